"""Lesson 13's steps: a minimod model, the same class in PyTorch, weights moved across, and the deliberate
differences shown live: state dicts that follow training, half-done strict loads, .numpy(), files."""

import textwrap

from lessons.course import Question, Step

SOURCES = ["minimod/nn/module.py", "inspector/adapters/for_torch.py", "lessons/pytorch_facts.py"]

# The class body of steps 1 and 2: the same text, under minimod's imports and under torch's.
TINY_NET = """
class TinyNet(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU())
        self.head = nn.Linear(8, classes)

    def forward(self, x):
        return self.head(self.body(x))
"""


def _with_tiny_net(imports: str, rest: str) -> str:
    """A step's code: its imports, TinyNet's class, then the rest."""
    return textwrap.dedent(imports) + TINY_NET + textwrap.dedent(rest)


STEPS = [
    Step(
        _with_tiny_net("""
        import minimod as mm
        from minimod import nn
        """, """
        mm.manual_seed(0)
        mm_net = TinyNet()
        model = mm_net

        x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)  # a batch of 5 inputs
        example_input = mm.tensor(x)
        for key, value in mm_net.state_dict().items():
            print(key, value.shape)
        """),
        show="tensors",
        subtree=True,
    ),
    Step(
        _with_tiny_net("""
        import torch
        from torch import nn
        """, """
        torch.manual_seed(0)
        torch_net = TinyNet()
        model = torch_net

        print(type(torch_net.head.weight))
        same_keys = list(torch_net.state_dict()) == list(mm_net.state_dict())
        print("the same state_dict keys, in the same order:", same_keys)
        print("the same repr:", repr(torch_net) == repr(mm_net))
        same_start = all(np.array_equal(mm_value, torch_net.state_dict()[key].numpy())
                         for key, mm_value in mm_net.state_dict().items())
        print("the same starting values:", same_start)
        """),
        show="tree",
        needs_torch=True,
    ),
    Step(
        """
        try:
            torch_net.load_state_dict(mm_net.state_dict())  # minimod's values as they are
            as_is = "it loads them"
        except RuntimeError as error:
            first_problem = str(error).splitlines()[1].strip()
            print("RuntimeError:", first_problem, "(and one line per key)")
            if "expected torch.Tensor" in first_problem and "numpy.ndarray" in first_problem:
                as_is = "RuntimeError: expected torch.Tensor ... but received numpy.ndarray"
            else:
                as_is = "RuntimeError: " + first_problem

        print("into PyTorch:", torch_net.load_state_dict(
            {key: torch.tensor(value) for key, value in mm_net.state_dict().items()}))
        print("into minimod:", mm_net.load_state_dict(
            {key: value.numpy() for key, value in torch_net.state_dict().items()}))

        mm_out = mm_net(mm.tensor(x)).detach().numpy()
        torch_out = torch_net(torch.tensor(x)).detach().numpy()
        print("the same outputs, to float32 precision:", np.allclose(mm_out, torch_out, rtol=1e-4, atol=1e-5))
        example_input = torch.tensor(x)
        """,
        show="trace",
        needs_torch=True,
    ),
    Step(
        """
        best_mm = mm_net.state_dict()
        best_torch = torch_net.state_dict()

        mm_optimizer = mm.optim.SGD(mm_net.parameters(), lr=0.1)
        (mm_net(mm.tensor(x)) ** 2).mean().backward()
        mm_optimizer.step()

        torch_optimizer = torch.optim.SGD(torch_net.parameters(), lr=0.1)
        (torch_net(torch.tensor(x)) ** 2).mean().backward()
        torch_optimizer.step()

        mm_followed = bool(np.array_equal(best_mm["head.bias"], mm_net.head.bias.detach().numpy()))
        torch_followed = torch.equal(best_torch["head.bias"], torch_net.head.bias.detach())
        print("minimod: best_mm['head.bias'] equals the trained bias:", mm_followed)
        print("PyTorch: best_torch['head.bias'] equals the trained bias:", torch_followed)
        print("PyTorch: the same memory as the parameter:",
              best_torch["head.bias"].data_ptr() == torch_net.head.bias.data_ptr())
        """,
        show="tensors",
        focus="head",
        needs_torch=True,
    ),
    Step(
        """
        import copy

        torch_checkpoint = TinyNet(classes=2).state_dict()  # a (PyTorch) TinyNet made for 2 classes
        mm_checkpoint = {key: value.numpy() for key, value in torch_checkpoint.items()}  # as in step 3
        mm_before = copy.deepcopy(mm_net.state_dict())
        torch_before = copy.deepcopy(torch_net.state_dict())

        for library, net, checkpoint in (("minimod", mm_net, mm_checkpoint),
                                         ("PyTorch", torch_net, torch_checkpoint)):
            try:
                net.load_state_dict(checkpoint)
            except RuntimeError as error:
                print(library, "RuntimeError:", str(error).splitlines()[1].strip(), "(and head.bias)")

        key = "body.0.weight"  # in the body, whose keys and shapes match
        mm_changed = not np.array_equal(mm_net.state_dict()[key], mm_before[key])
        torch_changed = not torch.equal(torch_net.state_dict()[key], torch_before[key])
        print("minimod: body.0.weight changed:", mm_changed)
        print("PyTorch: body.0.weight changed:", torch_changed)
        """,
        show="tensors",
        focus="body.0",
        needs_torch=True,
    ),
    Step(
        """
        mm_array = mm_net.head.weight.numpy()
        print("minimod:", type(mm_array).__name__, mm_array.shape)
        try:
            torch_array = torch_net.head.weight.numpy()
            torch_numpy = f"returns an ndarray, {torch_array.shape}"
        except RuntimeError as error:
            torch_numpy = f"RuntimeError: {error}"
        print("PyTorch:", torch_numpy)
        """,
        show="tensors",
        focus="head",
        needs_torch=True,
    ),
    Step(
        """
        import os
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            mm_file = os.path.join(folder, "model.pth")  # mm.save writes .npz, whatever the name
            torch_file = os.path.join(folder, "model_torch.pth")
            mm.save(mm_net.state_dict(), mm_file)
            torch.save(torch_net.state_dict(), torch_file)

            try:
                torch.load(mm_file)
                torch_reads_mm = "the state dict comes back"
            except Exception as error:
                torch_reads_mm = type(error).__name__
                print("torch.load(minimod's file):", torch_reads_mm, "|", error)
            try:
                mm.load(torch_file)
            except ValueError as error:  # the message names the file; here without its temporary folder
                print("mm.load(PyTorch's file):", type(error).__name__, "|",
                      str(error).replace(folder + os.sep, ""))
        """,
        show="tensors",
        subtree=True,
        needs_torch=True,
    ),
]

QUESTIONS = [
    Question(
        step=1,
        prompt="How many entries does mm_net.state_dict() have? (Linear, BatchNorm1d, ReLU, Linear)",
        choices=("6", "8", "9"),
        answer="len(mm_net.state_dict())",
        explanation="Two Linear layers with a weight and a bias each, and a BatchNorm1d with a weight, a "
        "bias and three buffers (running_mean, running_var, num_batches_tracked): 9. ReLU holds nothing.",
    ),
    Question(
        step=2,
        prompt="In PyTorch, TinyNet is built right after torch.manual_seed(0), as mm_net was after "
        "mm.manual_seed(0). Do the two nets start with the same weights?",
        choices=("True", "False"),
        answer="same_start",
        explanation="Each library has its own random number generator: the same seed gives different "
        "numbers in PyTorch and in minimod. Same tree, same keys, different values; to get the same "
        "model, copy the weights across (next step).",
    ),
    Question(
        step=3,
        prompt="In PyTorch, torch_net.load_state_dict(mm_net.state_dict()) gets minimod's state dict as "
        "it is: numpy arrays. What happens?",
        choices=("it loads them", "RuntimeError: expected torch.Tensor ... but received numpy.ndarray",
                 "it loads them, converted to float64"),
        answer="as_is",
        explanation="PyTorch's load_state_dict takes tensors only (minimod's takes numpy arrays and its own "
        "tensors, not torch's). Convert on the way: torch.tensor(value) into PyTorch, value.numpy() "
        "into minimod.",
    ),
    Question(
        step=4,
        prompt="In PyTorch, best_torch = torch_net.state_dict() is taken before an optimizer step. "
        "After the step, does best_torch['head.bias'] equal the trained torch_net.head.bias?",
        choices=("True", "False"),
        answer="torch_followed",
        explanation="PyTorch's state_dict() values share memory with the parameters, so the optimizer's "
        "in-place update reaches them: 'the best weights' followed training. "
        "copy.deepcopy(model.state_dict()) keeps a copy in PyTorch and in minimod.",
    ),
    Question(
        step=5,
        prompt="In PyTorch, the strict load of a 2-class checkpoint into the 3-class torch_net raised a "
        "RuntimeError for the head. Did torch_net's body.0.weight change?",
        choices=("True", "False"),
        answer="torch_changed",
        explanation="PyTorch copies key by key and raises at the end: the keys that matched (the body) "
        "are loaded, the head is not. minimod's load changes nothing when it fails. Keep a copy and put "
        "it back on error (your exercise).",
    ),
    Question(
        step=6,
        prompt="In PyTorch, what does torch_net.head.weight.numpy() do?",
        choices=("returns an ndarray, (3, 8)",
                 "RuntimeError: Can't call numpy() on Tensor that requires grad"),
        answer="torch_numpy.split('. ')[0]",  # the error's first sentence
        explanation="PyTorch refuses numpy() on a tensor that requires grad, since numpy would bypass "
        "autograd; minimod allows it. tensor.detach().numpy() works in both.",
    ),
    Question(
        step=7,
        prompt="In PyTorch, torch.load reads the file that mm.save wrote (named model.pth). What happens?",
        choices=("the state dict comes back", "RuntimeError", "UnpicklingError"),
        answer="torch_reads_mm",
        explanation="The two libraries write different files: minimod a numpy .npz archive (no pickle, "
        "whatever the name), PyTorch a zip holding a pickle. Neither reads the other's: move weights "
        "through a state dict in memory (step 3), then save with the other library.",
    ),
]
