"""Lesson 9's steps: apply with init_weights, zero-init of a ResUnit's last BatchNorm, dtypes, freezing."""

from lessons.course import Question, Step

SOURCES = ["minimod/nn/module.py", "minimod/nn/init.py", "minimod/zoo/nnabla.py"]

STEPS = [
    Step(
        """
        visited = []

        @mm.no_grad()
        def init_weights(m):
            print(m)
            visited.append(type(m).__name__)
            if type(m) == nn.Linear:
                m.weight.fill_(1.0)
                print(m.weight)

        model = net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
        print(net.apply(init_weights) is net)
        print("visited:", visited)
        """,
        show="tensors",
        focus="1",
    ),
    Step(
        """
        from minimod.zoo.nnabla import ResUnit

        mm.manual_seed(0)
        model = unit = ResUnit(16, 16)
        with mm.no_grad():
            for name, module in unit.named_modules():
                if name == "conv3.bn":
                    nn.init.zeros_(module.weight)
        x = mm.randn(1, 16, 8, 8)
        out = unit(x)
        skip_only = F.relu(unit.skip(x))
        print("block output == relu(skip(x)):", bool(((out - skip_only).abs() < 1e-6).numpy().all()))
        example_input = x
        """,
        show="tree",
    ),
    Step(
        """
        bn = nn.BatchNorm2d(3)
        bn(mm.randn(4, 3, 2, 2)).sum().backward()
        weight = bn.weight
        bn.double()
        print({name: str(t.dtype) for name, t in bn.state_dict(keep_vars=True).items()})
        print("grad converted too:", bn.weight.grad.dtype, "| same object:", bn.weight is weight)
        bn.half()
        print({name: str(t.dtype) for name, t in bn.state_dict(keep_vars=True).items()})
        model = bn
        """,
        show="tensors",
    ),
    Step(
        """
        mm.manual_seed(0)
        model = unit = ResUnit(16, 16)
        unit.conv1.requires_grad_(False)  # freeze the first stage
        unit(mm.randn(2, 16, 8, 8)).sum().backward()
        for name, parameter in unit.named_parameters():
            print(f"{name:18} requires_grad={parameter.requires_grad!s:5}",
                  f"grad is None: {parameter.grad is None}")
        trainable = [p for p in unit.parameters() if p.requires_grad]
        optimizer = optim.SGD(trainable, lr=0.01)
        print(len(trainable), "of", len(list(unit.parameters())), "parameter tensors train")
        """,
        show="tensors",
        focus="conv1.conv",
    ),
]

QUESTIONS = [
    Question(
        step=1,
        prompt="net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)). "
        "Which module does net.apply(fn) visit LAST?",
        choices=("Linear", "Sequential"),
        answer="visited[-1]",
        explanation="apply recurses into the children first and calls fn(self) at the end, so the "
        "container comes after both Linear layers.",
    ),
    Question(
        step=3,
        prompt="After bn.half(), what dtype is BatchNorm's buffer num_batches_tracked?",
        choices=("float16", "float32", "int64"),
        answer="str(bn.num_batches_tracked.dtype)",
        explanation="Conversions only touch floating-point tensors; a counter stays an integer, so "
        "num_batches_tracked stays int64 through double() and half().",
    ),
    Question(
        step=4,
        prompt="After unit.conv1.requires_grad_(False), what is unit.conv1.conv.weight.grad "
        "after backward()?",
        choices=("None", "a tensor of zeros", "a normal gradient"),
        answer="unit.conv1.conv.weight.grad",
        explanation="A parameter that does not require grad is not part of the gradient graph, so "
        "backward() never creates a .grad for it: it stays None, and an optimizer step leaves the "
        "parameter alone.",
    ),
]
