"""Lesson 6's steps: state_dict contents, snapshots (and PyTorch's aliasing), save/load, strict loads."""

from lessons.course import Question, Step
from lessons.pytorch_facts import KEEP_BEST
from lessons.step_models import NESTED_NET

SOURCES = ["minimod/nn/module.py", "minimod/serialization.py", "lessons/pytorch_facts.py"]

STEPS = [
    Step(
        NESTED_NET + """
        mm.manual_seed(0)
        model = nested_net = NestedNet()
        state = nested_net.state_dict()
        print(type(state).__name__)
        for key, value in state.items():
            print(key, type(value).__name__, value.shape, value.dtype)
        """,
        show="tensors",
        subtree=True,
    ),
    Step(
        """
        snapshot = nested_net.state_dict()
        try:
            snapshot["linear.bias"][0] = 1.0
        except ValueError as error:
            print("ValueError:", error)
        with mm.no_grad():
            nested_net.linear.bias.fill_(5.0)  # "training" changes the model...
        print("model: ", nested_net.linear.bias)
        print("snapshot:", snapshot["linear.bias"])  # ...and the snapshot?
        live = nested_net.state_dict(keep_vars=True)
        print(live["linear.bias"] is nested_net.linear.bias)
        """,
        show="tensors",
        focus="linear",
    ),
    Step(
        """
        from lessons.pytorch_facts import KEEP_BEST, in_pytorch, source_note

        kept = in_pytorch("which_copy_keeps_the_best")  # runs the three lines in torch, if installed
        for line in KEEP_BEST.values():
            print("kept the old values:" if line == kept else "followed the model:", line)
        print(source_note())
        """,
        show="tensors",
        focus="linear",
    ),
    Step(
        """
        import os
        import tempfile

        folder = tempfile.mkdtemp()
        path = os.path.join(folder, "nested_net.npz")
        mm.save(nested_net.state_dict(), path)
        print("saved", os.path.getsize(path), "bytes to", path)

        new_net = NestedNet()
        weight_object = new_net.linear.weight
        print(new_net.load_state_dict(mm.load(path)))
        print("same Parameter object:", new_net.linear.weight is weight_object)
        x = mm.randn(2, 4)
        # == compares element by element; .all() asks whether every comparison is True
        print("same outputs:", bool((new_net(x) == nested_net(x)).numpy().all()))
        model = new_net

        from lessons.pytorch_facts import in_pytorch, source_note

        whole_model = in_pytorch("load_of_a_pickled_model")  # torch.save(model, ...), torch.load(...)
        print("PyTorch, loading a whole saved model:", whole_model, source_note())
        """,
        show="tensors",
        focus="linear",
    ),
    Step(
        """
        base = BaseNet()
        before = new_net.state_dict()
        try:
            new_net.load_state_dict(base.state_dict())
        except RuntimeError as error:
            print("RuntimeError:", error)
        unchanged = all((before[k] == v).all() for k, v in new_net.state_dict().items())
        print("model unchanged:", unchanged)
        print(new_net.base_net.load_state_dict(base.state_dict()))
        """,
        show="tensors",
        focus="base_net.linear",
    ),
    Step(
        """
        from lessons.pytorch_facts import in_pytorch, source_note

        # in torch: a strict load of Linear(4, 3)'s keys plus a stray 'head.weight' raises RuntimeError
        copied = in_pytorch("failed_strict_load_copied_matching_keys")
        print("PyTorch had copied the matching keys before raising:", copied)
        print(source_note())
        """,
        show="tensors",
        focus="base_net.linear",
    ),
    Step(
        """
        checkpoint = dict(nested_net.state_dict())
        del checkpoint["linear.bias"]              # the file lacks a key the model has
        checkpoint["head.weight"] = np.zeros((2, 3), dtype=np.float32)  # and has one it lacks
        result = new_net.load_state_dict(checkpoint, strict=False)
        print("missing:   ", result.missing_keys)
        print("unexpected:", result.unexpected_keys)

        checkpoint["linear.weight"] = np.zeros((3, 4), dtype=np.float32)  # wrong shape
        try:
            new_net.load_state_dict(checkpoint, strict=False)
        except RuntimeError as error:
            print("RuntimeError:", error)
        """,
        show="tensors",
        subtree=True,
    ),
]

QUESTIONS = [
    Question(
        step=2,
        prompt="The step set the model's linear.bias to 5 after taking `snapshot`. "
        "Does snapshot['linear.bias'] "
        "hold 5s now?",
        choices=("True", "False"),
        answer="bool((snapshot['linear.bias'] == 5).all())",
        explanation="In minimod, state_dict() copies the values at the moment you call it: a snapshot "
        "that later changes to the model do not reach (nor can it be written to). In PyTorch it is "
        "different: the next step shows how.",
    ),
    Question(
        step=3,
        prompt="In PyTorch, training goes on after you keep 'the best weights'. Which line still "
        "holds the old values after an optimizer step?",
        choices=(KEEP_BEST["state_dict"], KEEP_BEST["dict"], KEEP_BEST["clone"]),
        answer="kept",
        explanation="PyTorch's state_dict() values share memory with the parameters, and dict(...) "
        "copies only the dictionary, not the tensors. Clone each tensor (or copy.deepcopy the state "
        "dict) to keep a checkpoint in memory; in minimod the values are copies already.",
    ),
    Question(
        step=4,
        prompt="After new_net.load_state_dict(...), is new_net.linear.weight the same Parameter object "
        "as before loading?",
        choices=("True", "False"),
        answer="new_net.linear.weight is weight_object",
        explanation="Loading copies numbers into the existing Parameters: the objects stay, only "
        "their values change, so anything holding them (an optimizer, a shared reference) keeps working.",
    ),
    Question(
        step=4,
        prompt="In PyTorch 2.13, torch.save(model, 'model.pth') saves the whole model object. What does "
        "torch.load('model.pth') with default arguments do?",
        choices=("the model comes back", "UnpicklingError: weights only load failed",
                 "a state dict comes back"),
        answer="whole_model",
        explanation="Since PyTorch 2.6 torch.load only unpickles tensors and plain containers unless "
        "weights_only=False: save model.state_dict(), not the model. minimod's files hold arrays only.",
    ),
    Question(
        step=5,
        prompt="minimod's strict load of BaseNet's state dict into new_net failed. Is every value of "
        "new_net the same as before the attempt?",
        choices=("True", "False"),
        answer="unchanged",
        explanation="minimod checks every key and shape first and copies only if all are fine: a failed "
        "load changes nothing. PyTorch does not promise this: the next step shows it.",
    ),
    Question(
        step=6,
        prompt="In PyTorch, a strict load fails because of one unexpected key. Have the keys that "
        "matched already been copied into the model?",
        choices=("True", "False"),
        answer="copied",
        explanation="PyTorch copies key by key and raises at the end, so the model is left half loaded. "
        "Load into a fresh model, or keep a deep copy of the state dict and load it back on error.",
    ),
    Question(
        step=7,
        prompt="Loading with strict=False a checkpoint with an extra key 'head.weight': "
        "what is result.unexpected_keys?",
        choices=("[]", "['head.weight']", "['linear.bias']", "['head.weight', 'linear.bias']"),
        answer="result.unexpected_keys",
        explanation="unexpected_keys are in the file but not in the model; 'linear.bias' is the "
        "opposite case, a missing key.",
    ),
]
