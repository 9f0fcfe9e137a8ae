"""Lesson 10's steps: where attributes live, __setattr__/__delattr__, hook dicts, _load_from_state_dict,
apply vs _apply, state-dict hooks, global hooks."""

from lessons.course import Question, Step

SOURCES = ["minimod/nn/module.py", "minimod/hooks.py", "inspector/trace.py"]

STEPS = [
    Step(
        """
        class Tiny(nn.Module):
            def __init__(self):
                super().__init__()
                self.scale = 2.0  # a plain number
                self.weight = nn.Parameter(mm.ones(3))  # a parameter
                self.register_buffer("count", mm.tensor(0))  # a buffer
                self.inner = nn.Linear(3, 3)  # a child module

        model = tiny = Tiny()
        in_dict = [name for name in ("scale", "weight", "count", "inner") if name in tiny.__dict__]
        print("in __dict__:", in_dict)
        print("_parameters:", list(tiny._parameters))
        print("_buffers:   ", list(tiny._buffers))
        print("_modules:   ", list(tiny._modules))
        print("tiny.weight is tiny._parameters['weight']:", tiny.weight is tiny._parameters["weight"])
        """,
        show="tree",
    ),
    Step(
        """
        try:
            tiny.weight = mm.zeros(3)  # a plain tensor where a Parameter lives
            outcome = "it replaces the weight"
        except TypeError as error:
            outcome = "TypeError"
            print("TypeError:", error)
        tiny.weight = nn.Parameter(mm.zeros(3))  # a new Parameter
        del tiny.inner
        print("_modules after del tiny.inner:", list(tiny._modules))
        tiny.count = None  # empties the slot, keeps the name
        print("_buffers:", dict(tiny._buffers))

        class Forgetful(nn.Module):
            def __init__(self):
                self.weight = nn.Parameter(mm.ones(2))  # before super().__init__()
                super().__init__()

        try:
            Forgetful()
        except AttributeError as error:
            print("AttributeError:", error)
        """,
        show="tensors",
    ),
    Step(
        """
        layer = nn.Linear(2, 2)
        handles = [layer.register_forward_hook(lambda module, args, output: None) for _ in range(3)]
        print("ids:", [handle.id for handle in handles])
        print("_forward_hooks keys:", list(layer._forward_hooks))
        handles[1].remove()
        print("after removing the second:", list(layer._forward_hooks))
        with layer.register_forward_pre_hook(lambda module, args: None):
            print("pre-hooks inside the with block:", len(layer._forward_pre_hooks))
        print("pre-hooks after it:", len(layer._forward_pre_hooks))
        """,
        show="tensors",
    ),
    Step(
        """
        class Scale(nn.Module):
            def __init__(self):
                super().__init__()
                self.weight = nn.Parameter(mm.ones(3))

            def forward(self, x):
                return x * self.weight

            def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs):
                old = prefix + "w"  # what version 1 of this class called its weight
                if old in state_dict:
                    state_dict[prefix + "weight"] = state_dict.pop(old)
                super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                              missing_keys, unexpected_keys, error_msgs)

        old_checkpoint = {"w": np.full(3, 2.0, dtype=np.float32)}
        model = Scale()
        result = model.load_state_dict(old_checkpoint)
        print(result)
        print(model.weight)
        nested = nn.Sequential(Scale())
        print(nested.load_state_dict({"0.w": np.full(3, 5.0, dtype=np.float32)}))
        """,
        show="tensors",
    ),
    Step(
        """
        model = net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
        modules = []
        net.apply(lambda module: modules.append(type(module).__name__))
        print("apply called fn on:", modules)

        tensors = []

        def record(tensor):
            tensors.append(tuple(tensor.shape))
            return tensor  # _apply puts back what fn returns

        net._apply(record)
        print("_apply called fn on", len(tensors), "tensors:", tensors)
        """,
        show="tensors",
        subtree=True,
    ),
    Step(
        """
        model = layer = nn.Linear(2, 2)

        def drop_bias(module, state_dict, prefix, local_metadata):
            state_dict.pop(prefix + "bias")

        handle = layer.register_state_dict_post_hook(drop_bias)
        keys = list(layer.state_dict())
        print("with the hook:", keys)
        handle.remove()
        print("after remove():", list(layer.state_dict()))

        def report(module, incompatible_keys):
            print("load post hook: missing", incompatible_keys.missing_keys)

        layer.register_load_state_dict_post_hook(report)
        layer.load_state_dict({"weight": np.zeros((2, 2), dtype=np.float32)}, strict=False)
        """,
        show="tensors",
    ),
    Step(
        """
        calls = []
        forward = nn.register_module_forward_hook(
            lambda module, args, output: calls.append(("forward", type(module).__name__)))
        backward = nn.register_module_full_backward_hook(
            lambda module, grad_input, grad_output: calls.append(("backward", type(module).__name__)))
        model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
        try:
            model(mm.randn(4, 3, requires_grad=True)).sum().backward()
        finally:
            forward.remove()
            backward.remove()
        for call in calls:
            print(*call)
        example_input = mm.randn(4, 3, requires_grad=True)
        """,
        show="picture",
        picture="hooks",
    ),
]

QUESTIONS = [
    Question(
        step=1,
        prompt="Tiny sets scale (a number), weight (a Parameter), count (a buffer) and inner (a Linear). "
        "Which of these names are in tiny.__dict__?",
        choices=("['scale', 'weight', 'count', 'inner']", "['scale']", "['weight', 'count', 'inner']", "[]"),
        answer="in_dict",
        explanation="Parameters, buffers and child modules go to _parameters, _buffers and _modules; only "
        "the plain number reaches __dict__. Module.__getattr__ finds the others when normal lookup fails.",
    ),
    Question(
        step=2,
        prompt="tiny.weight is a Parameter. What does tiny.weight = mm.zeros(3) (a plain tensor) do?",
        choices=("it replaces the weight", "TypeError"),
        answer="outcome",
        explanation="Module.__setattr__ refuses a plain tensor over a parameter's name: assign an "
        "nn.Parameter (or None), or copy new values into the existing one under mm.no_grad().",
    ),
    Question(
        step=3,
        prompt="Three forward hooks are registered, then handles[1].remove(). How many entries does "
        "layer._forward_hooks keep?",
        choices=("0", "1", "2", "3"),
        answer="len(layer._forward_hooks)",
        explanation="Each handle removes only its own entry, found by its id; the other two stay and "
        "run on every call until removed.",
    ),
    Question(
        step=4,
        prompt="Scale's _load_from_state_dict renames 'w' to 'weight'. What does "
        "model.load_state_dict({'w': ...}) (strict) report?",
        choices=("<All keys matched successfully>",
                 "missing_keys=['weight'], unexpected_keys=['w']",
                 "RuntimeError: Unexpected key(s) in state_dict: \"w\""),
        answer="str(result)",
        explanation="The override renamed the entry before the normal loading looked at it, so the key "
        "matched. This is how PyTorch classes read checkpoints written by older versions.",
    ),
    Question(
        step=5,
        prompt="net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)), no backward yet. How many times "
        "does net._apply(fn) call fn?",
        choices=("2", "3", "5", "7"),
        answer="len(tensors)",
        explanation="_apply visits tensors, not modules: 2 parameters of the Linear, then BatchNorm's 2 "
        "parameters and 3 buffers. Gradients would be visited too, had backward run.",
    ),
    Question(
        step=6,
        prompt="While the state-dict post hook drop_bias is registered, what is list(layer.state_dict())?",
        choices=("['weight', 'bias']", "['weight']", "['bias']", "[]"),
        answer="keys",
        explanation="A state-dict post hook may edit the entries collected for its module; this one "
        "removed the bias. Removing the handle brings the full state dict back.",
    ),
    Question(
        step=7,
        prompt="With a global full backward hook, model = Sequential(Linear, ReLU), input requiring grad: "
        "which module's backward hook fires first?",
        choices=("Linear", "ReLU", "Sequential"),
        answer="[name for phase, name in calls if phase == 'backward'][0]",
        explanation="Gradients flow from the loss back to the input: the ReLU (last in forward) gets "
        "them first, then the Linear, and the Sequential once they reach its input.",
    ),
]
