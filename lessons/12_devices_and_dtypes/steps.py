"""Lesson 12's steps: to(device=...) and cpu(), Tensor.to returns a new tensor, mixed dtypes in PyTorch,
type() converts integer buffers too, numpy's dtypes."""

from lessons.course import Question, Step

SOURCES = ["minimod/nn/module.py", "minimod/tensor.py", "lessons/pytorch_facts.py"]

STEPS = [
    Step(
        """
        mm.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
        device = mm.device("cpu")  # minimod's only device
        moved = model.to(device=device)
        print("to() returned the model itself:", moved is model, "| cpu() too:", model.cpu() is model)
        print("the weight lives on:", model[0].weight.device)
        try:
            model.to("cuda")
        except AssertionError as error:  # what a PyTorch built without CUDA raises too
            print("AssertionError:", error)
        returned = "the same model object" if moved is model else "a copy"
        """,
        show="tree",
    ),
    Step(
        """
        x = mm.ones(2)
        y = x.to(mm.float64)
        print("x:", x.dtype, "| y:", y.dtype, "| y is x:", y is x)
        print("x.to(mm.float32) is x:", x.to(mm.float32) is x)  # nothing to convert: the same tensor
        """,
    ),
    Step(
        """
        from lessons.pytorch_facts import in_pytorch, source_note

        model = layer = nn.Linear(2, 2).double()
        print("minimod:", layer(mm.ones(1, 2)).dtype)  # float32 input, float64 layer
        in_torch = in_pytorch("mixed_dtypes_in_linear")
        print("PyTorch:", in_torch)
        print(source_note())
        """,
    ),
    Step(
        """
        from lessons.pytorch_facts import in_pytorch, source_note

        doubled = nn.BatchNorm1d(3).double()
        typed = nn.BatchNorm1d(3).type(mm.float64)
        print("double():", {name: str(t.dtype) for name, t in doubled.state_dict(keep_vars=True).items()})
        print("type():  ", {name: str(t.dtype) for name, t in typed.state_dict(keep_vars=True).items()})
        print("PyTorch's type(torch.float64) gives num_batches_tracked:",
              in_pytorch("type_converts_integer_buffers"), source_note())
        model = typed
        """,
        show="tensors",
    ),
    Step(
        """
        print("mm.float32 is np.float32:", mm.float32 is np.float32)
        print("mm.tensor(1.5).dtype:", mm.tensor(1.5).dtype)
        from_array = mm.tensor(np.zeros(2))
        print("mm.tensor(np.zeros(2)).dtype:", from_array.dtype)
        print("compare through the library:", mm.ones(1).dtype == mm.float32)
        """,
    ),
]

QUESTIONS = [
    Question(
        step=1,
        prompt="What does model.to(device='cpu') return?",
        choices=("the same model object", "a copy", "None"),
        answer="returned",
        explanation="Module.to converts the module in place and returns it (as in PyTorch), so you may "
        "chain it: model = Net().to(device).",
    ),
    Question(
        step=2,
        prompt="x = mm.ones(2) (float32); y = x.to(mm.float64). What is x.dtype now?",
        choices=("float32", "float64"),
        answer="str(x.dtype)",
        explanation="A tensor's to() returns a converted tensor and leaves the original alone: write "
        "x = x.to(...) when you mean to replace it.",
    ),
    Question(
        step=3,
        prompt="In PyTorch, nn.Linear(2, 2).double() is called on a float32 input. What happens?",
        choices=("float64", "float32",
                 "RuntimeError: mat1 and mat2 must have the same dtype, but got Float and Double"),
        answer="in_torch",
        explanation="PyTorch does not mix dtypes in a matrix product; minimod (numpy) promotes to "
        "float64. Convert the input with the model, or keep both float32.",
    ),
    Question(
        step=4,
        prompt="bn = nn.BatchNorm1d(3).type(mm.float64). What dtype is bn.num_batches_tracked?",
        choices=("int64", "float64", "float32"),
        answer="str(typed.num_batches_tracked.dtype)",
        explanation="type() converts every tensor, integer buffers too, in minimod as in PyTorch; "
        "to(), float(), double() and half() convert floating-point tensors only.",
    ),
    Question(
        step=5,
        prompt="What is mm.tensor(np.zeros(2)).dtype (np.zeros makes float64 arrays)?",
        choices=("float32", "float64"),
        answer="str(from_array.dtype)",
        explanation="A tensor made from an array keeps the array's dtype (as torch.tensor does); "
        "float32 is the default only for Python numbers.",
    ),
]
