"""Lesson 2's steps: BatchNorm2d's parameters and buffers, RunningMean, state_dict, persistent=False."""

from lessons.course import Question, Step

SOURCES = ["minimod/nn/module.py", "minimod/nn/layers/normalization.py", "minimod/zoo/pytorch_note.py"]

STEPS = [
    Step(
        """
        model = nn.BatchNorm2d(10)
        for name, parameter in model.named_parameters():
            print("parameter", name, parameter.shape)
        for name, buffer in model.named_buffers():
            print("buffer   ", name, buffer.shape, buffer.dtype)
        """,
    ),
    Step(
        """
        mm.manual_seed(0)
        batch = mm.randn(8, 10, 4, 4) + 3.0  # 8 samples whose channels have a mean near 3
        output = model(batch)
        print("running_mean:", model.running_mean[:3], "...")  # the first 3 of 10 channels
        # .item(): the single number inside a one-element tensor, as a plain Python number
        print("num_batches_tracked:", model.num_batches_tracked.item())
        # .detach() gives the numbers without the gradient bookkeeping (lesson 8), for printing
        print("weight unchanged:", model.weight[:3].detach(), "...")
        """,
    ),
    Step(
        """
        class RunningMean(nn.Module):
            def __init__(self, num_features, momentum=0.9):
                super().__init__()
                self.momentum = momentum
                self.register_buffer('mean', mm.zeros(num_features))

            def forward(self, x):
                self.mean = self.momentum * self.mean + (1.0 - self.momentum) * x
                return self.mean

        model = RunningMean(4)
        for _ in range(10):
            model(mm.ones(4))
        print(model.mean)
        print("parameters:", list(model.parameters()))
        print("buffers:", [name for name, _ in model.named_buffers()])
        """,
    ),
    Step(
        """
        model = nn.BatchNorm2d(10)
        print(list(model.state_dict().keys()))
        running = RunningMean(4)
        print(running.state_dict())
        """,
    ),
    Step(
        """
        class RunningMeanWithScratch(RunningMean):
            def __init__(self, num_features, momentum=0.9):
                super().__init__(num_features, momentum)
                self.register_buffer('unserialized_thing', mm.randn(5), persistent=False)

        model = RunningMeanWithScratch(4)
        print("buffers:   ", [name for name, _ in model.named_buffers()])
        print("state_dict:", list(model.state_dict().keys()))
        print("_non_persistent_buffers_set:", model._non_persistent_buffers_set)
        """,
    ),
]

QUESTIONS = [
    Question(
        step=1,
        prompt="How many buffers does nn.BatchNorm2d(10) have?",
        choices=("0", "2", "3", "10"),
        answer="len(list(model.buffers()))",
        explanation="running_mean, running_var and num_batches_tracked. The 10 channels live inside "
        "each buffer (running_mean has shape (10,)); the count is of tensors.",
    ),
    Question(
        step=4,
        prompt="How many keys are in nn.BatchNorm2d(10).state_dict()?",
        choices=("2", "3", "4", "5"),
        answer="len(model.state_dict())",
        explanation="2 parameters (weight, bias) + 3 persistent buffers = 5. The state dict keeps "
        "everything needed to restore the layer, not only what is learned.",
    ),
    Question(
        step=5,
        prompt="Is the non-persistent buffer 'unserialized_thing' in model.state_dict()?",
        choices=("True", "False"),
        answer="'unserialized_thing' in model.state_dict()",
        explanation="persistent=False keeps a buffer out of the state dict, so it is neither saved "
        "nor expected when loading; it still appears in named_buffers(). The Tensors pane's saved column "
        "says no for it.",
    ),
]
