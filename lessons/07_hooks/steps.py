"""Lesson 7's steps: forward pre-hooks, forward hooks (tracing, changing outputs), backward, global hooks."""

from lessons.course import Question, Step
from lessons.step_models import NESTED_NET

SOURCES = ["minimod/nn/module.py", "minimod/hooks.py", "inspector/trace.py", "inspector/events.py"]

STEPS = [
    Step(
        NESTED_NET + """
        mm.manual_seed(0)
        model = nested_net = NestedNet()
        x = mm.ones(1, 4)

        def show_args(module, args):
            print("pre-hook:", type(module).__name__, "got", [tuple(a.shape) for a in args])

        handle = nested_net.linear.register_forward_pre_hook(show_args)
        plain = nested_net(x)
        handle.remove()

        def double_input(module, args):
            return (args[0] * 2,)

        with nested_net.base_net.register_forward_pre_hook(double_input):
            doubled_input = nested_net(x)
        print("plain:        ", plain)
        print("input doubled:", doubled_input)
        """,
        show="tree",
    ),
    Step(
        """
        order = []
        activations = {}
        handles = []
        for name, module in nested_net.named_modules():
            def record(module, args, output, name=name):
                order.append(type(module).__name__)
                activations[name] = tuple(output.shape)
            handles.append(module.register_forward_hook(record))

        nested_net(mm.randn(2, 4))
        for handle in handles:
            handle.remove()
        print("fired in this order:", order)
        print(activations)
        # for the Picture pane's timeline: an input that needs a gradient, so backward reaches it
        example_input = mm.randn(2, 4, requires_grad=True)
        """,
        show="picture",
        picture="hooks",
    ),
    Step(
        """
        def clamp(module, args, output):
            return output.clamp(0.0, 1.0)

        x = mm.randn(3, 4) * 10
        with nested_net.base_net.linear.register_forward_hook(clamp):
            print(nested_net.base_net(x))
        print(nested_net.base_net(x))
        """,
        show="tensors",
        focus="base_net.linear",
    ),
    Step(
        """
        seen = []

        def show_grads(module, grad_input, grad_output):
            seen.append(module)
            shapes = [None if g is None else tuple(g.shape) for g in grad_input]
            print(type(module).__name__, "grad_input", shapes, "grad_output", tuple(grad_output[0].shape))

        first = nested_net.base_net.linear.register_full_backward_hook(show_grads)
        last = nested_net.linear.register_full_backward_hook(show_grads)
        first_grad_input = "not called"

        def keep_first(module, grad_input, grad_output):
            global first_grad_input
            first_grad_input = grad_input[0]

        keep = nested_net.base_net.linear.register_full_backward_hook(keep_first)
        loss = nested_net(mm.randn(5, 4)).sum()
        loss.backward()
        for handle in (first, last, keep):
            handle.remove()
        print("first layer's grad_input[0]:", first_grad_input)
        """,
        show="tensors",
        focus="linear",
    ),
    Step(
        """
        calls = []
        handle = nn.register_module_forward_hook(
            lambda module, args, output: calls.append(type(module).__name__)
        )
        try:
            nested_net(mm.randn(1, 4))
        finally:
            handle.remove()
        print(calls)
        example_input = mm.randn(2, 4)  # the trace pane runs model(example_input) under a Recorder
        """,
        show="trace",
    ),
]

QUESTIONS = [
    Question(
        step=2,
        prompt="With a forward hook on every module of NestedNet, which module's hook fires LAST?",
        choices=("BaseNet", "ReLU", "Linear", "NestedNet"),
        answer="order[-1]",
        explanation="A forward hook fires when its module's forward returns. NestedNet's forward "
        "returns only after all its children have finished, so inner modules report before the "
        "modules that contain them, and the root reports last.",
    ),
    Question(
        step=4,
        prompt="The first Linear layer receives plain data (no requires_grad). What is its grad_input[0] "
        "in a full backward hook?",
        choices=("None", "a tensor of zeros", "the same as grad_output[0]"),
        answer="first_grad_input",
        explanation="grad_input holds gradients with respect to the module's inputs; nothing needs "
        "the gradient of the input data, so minimod, like PyTorch, passes None: grad_input is (None,).",
    ),
]
