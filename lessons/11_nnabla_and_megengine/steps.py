"""Lesson 11's steps: nnabla's call() and lazy parameters, @scope/param names, the training flag, saving
numpy arrays as MegEngine does, and capital-M Module versus Python module."""

from lessons.course import Question, Step

SOURCES = ["minimod/zoo/nnabla.py", "minimod/zoo/megengine.py", "minimod/nn/module.py",
           "minimod/serialization.py"]

STEPS = [
    Step(
        """
        class LazyScale(nn.Module):
            # the nnabla way in minimod: the weight's shape comes from the first input
            def __init__(self):
                super().__init__()
                self.register_parameter("weight", None)  # a name, no value yet

            def forward(self, x):
                if self.weight is None:
                    self.weight = nn.Parameter(mm.ones(x.shape[-1]))
                return x * self.weight

        model = lazy = LazyScale()
        before = len(list(lazy.parameters()))
        print("parameters before the first call:", before)
        lazy(mm.randn(2, 5))
        print("after it:", [(name, tuple(p.shape)) for name, p in lazy.named_parameters()])
        """,
        show="tensors",
    ),
    Step(
        """
        from minimod.zoo.nnabla import ResUnit

        mm.manual_seed(0)
        model = unit = ResUnit(16, 16)
        for name, parameter in unit.named_parameters():
            print(f"{name:18} {tuple(parameter.shape)}")
        """,
        show="tree",
    ),
    Step(
        """
        model = net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
        net.training = False  # the nnabla way: set the property
        dropout_training = net[1].training
        print({name: module.training for name, module in net.named_modules()})
        net.eval()  # the PyTorch way
        print({name: module.training for name, module in net.named_modules()})
        """,
        show="tree",
    ),
    Step(
        """
        import os
        import tempfile

        path = os.path.join(tempfile.mkdtemp(), "unit.npz")
        mm.save(unit.state_dict(), path)
        loaded = mm.load(path)
        value = loaded["conv1.conv.weight"]
        print(len(loaded), "entries; conv1.conv.weight:", type(value).__name__, value.shape, value.dtype)
        model = unit
        """,
        show="tensors",
        focus="conv1.conv",
    ),
    Step(
        """
        print("nn:       ", nn)
        print("nn.Module:", nn.Module)
        print("type(nn):", type(nn).__name__, "| type(nn.Module):", type(nn.Module).__name__)
        print("a Linear is an nn.Module:", isinstance(nn.Linear(2, 2), nn.Module))
        """,
        show="tensors",
    ),
]

QUESTIONS = [
    Question(
        step=1,
        prompt="LazyScale registers its weight as None and creates it in forward. How many tensors does "
        "list(lazy.parameters()) hold before the first call?",
        choices=("0", "1", "5"),
        answer="before",
        explanation="parameters() skips a name whose value is None. An optimizer built now would miss "
        "the weight: run one batch first, as with nnabla's parametric functions or PyTorch's LazyLinear.",
    ),
    Question(
        step=2,
        prompt="In minimod's ResUnit, what is the full PyTorch-style name of the BatchNorm weight inside "
        "conv2?",
        choices=("@conv2/bn/gamma", "conv2/bn/weight", "conv2.bn.weight", "bn.weight"),
        answer="[name for name, p in unit.named_parameters() if p is unit.conv2.bn.weight][0]",
        explanation="PyTorch's names are the module path joined with dots, then the parameter's own "
        "name; nnabla joins with / and marks module names with @ (and names BatchNorm's weight gamma).",
    ),
    Question(
        step=3,
        prompt="net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)); net.training = False. "
        "What is net[1].training?",
        choices=("True", "False"),
        answer="dropout_training",
        explanation="Assigning the attribute changes that one module only; train() and eval() walk the "
        "tree, as the second printed line shows.",
    ),
    Question(
        step=4,
        prompt="unit.state_dict() was saved with mm.save. What type is a value read back with mm.load?",
        choices=("ndarray", "Tensor", "Parameter"),
        answer="type(value).__name__",
        explanation="minimod keeps MegEngine's choice: state dicts hold numpy arrays, also in files. "
        "PyTorch's hold torch.Tensors. The keys are the same dotted names in all three.",
    ),
    Question(
        step=5,
        prompt="`from minimod import nn`. What is type(nn).__name__?",
        choices=("Module", "module", "type"),
        answer="type(nn).__name__",
        explanation="nn is a Python module (what import gives you); nn.Module is a class defined in it. "
        "MegEngine's M and M.Module are the same pair.",
    ),
]
