"""Lesson 6's steps: state_dict contents, read-only snapshots, save/load, strict, missing/unexpected keys."""

from lessons.course import Question, Step

SOURCES = ["minimod/nn/module.py", "minimod/serialization.py"]

STEPS = [
    Step(
        """
        class BaseNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.linear = nn.Linear(4, 3)

            def forward(self, x):
                return self.linear(x)

        class NestedNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.base_net = BaseNet()
                self.relu = nn.ReLU()
                self.linear = nn.Linear(3, 2)

            def forward(self, x):
                return self.linear(self.relu(self.base_net(x)))

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
        print("snapshot:", snapshot["linear.bias"])  # ...but not the snapshot
        live = nested_net.state_dict(keep_vars=True)
        print(live["linear.bias"] is nested_net.linear.bias)
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
        explanation="state_dict() copies the values at the moment you call it: it is a snapshot, and "
        "later changes to the model do not reach it (nor can it be written to). That makes a state "
        "dict safe to keep as 'the best weights so far' while training continues.",
    ),
    Question(
        step=3,
        prompt="After new_net.load_state_dict(...), is new_net.linear.weight the same Parameter object "
        "as before loading?",
        choices=("True", "False"),
        answer="new_net.linear.weight is weight_object",
        explanation="Loading copies numbers into the existing Parameters: the objects stay, only "
        "their values change, so anything holding them (an optimizer, a shared reference) keeps working.",
    ),
    Question(
        step=5,
        prompt="Loading with strict=False a checkpoint with an extra key 'head.weight': "
        "what is result.unexpected_keys?",
        choices=("[]", "['head.weight']", "['linear.bias']", "['head.weight', 'linear.bias']"),
        answer="result.unexpected_keys",
        explanation="unexpected_keys are in the file but not in the model; 'linear.bias' is the "
        "opposite case, a missing key.",
    ),
]
