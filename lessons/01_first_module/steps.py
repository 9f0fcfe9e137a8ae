"""Lesson 1's steps: SimpleModel, named_parameters, calling forward, MyLinear and ConvNet."""

from lessons.course import Question, Step

SOURCES = ["minimod/nn/module.py", "minimod/nn/parameter.py", "minimod/nn/layers/linear.py",
           "minimod/zoo/megengine.py"]

STEPS = [
    Step(
        """
        class SimpleModel(nn.Module):
            def __init__(self):
                super().__init__()  # always first: it creates _parameters, _buffers, _modules
                self.weight = nn.Parameter(mm.tensor([1.0, 2.0, 3.0, 4.0]))
                self.bias = nn.Parameter(mm.tensor([0.0, 0.0, 1.0, 1.0]))

            def forward(self, x):
                return x * self.weight + self.bias

        model = SimpleModel()
        print(model)
        print(model._parameters.keys())
        """,
        show="tensors",
    ),
    Step(
        """
        print(type(model.parameters()))
        for name, parameter in model.named_parameters():
            print(name, parameter.shape, parameter.dtype)
        print(len(list(model.parameters())), "parameters")
        """,
        show="tensors",
    ),
    Step(
        """
        x = mm.tensor([1.0, 1.0, 1.0, 1.0])
        y = model(x)  # Module.__call__ runs hooks, then forward(x)
        print(y)
        """,
        show="tensors",
    ),
    Step(
        """
        try:
            model.bias[0] = 1.0  # in place, while gradients are recorded: refused
        except RuntimeError as error:
            print("RuntimeError:", error)
        with mm.no_grad():
            model.bias[0] = 1.0
        print(model.bias)
        print(model(x))
        """,
        show="tensors",
    ),
    Step(
        """
        class MyLinear(nn.Module):
            def __init__(self, in_features, out_features):
                super().__init__()
                self.weight = nn.Parameter(mm.randn(in_features, out_features))
                self.bias = nn.Parameter(mm.randn(out_features))

            def forward(self, input):
                return (input @ self.weight) + self.bias

        mm.manual_seed(0)
        model = MyLinear(4, 3)
        sample_input = mm.randn(4)
        print(model(sample_input))
        print(sum(p.numel() for p in model.parameters()), "learnable numbers")
        """,
        show="tensors",
    ),
    Step(
        """
        class ConvNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 10, 5)
                self.pool1 = nn.MaxPool2d(2, 2)
                self.conv2 = nn.Conv2d(10, 20, 5)
                self.pool2 = nn.MaxPool2d(2, 2)
                self.fc1 = nn.Linear(320, 50)
                self.fc2 = nn.Linear(50, 10)

            def forward(self, input):
                x = self.pool1(F.relu(self.conv1(input)))
                x = self.pool2(F.relu(self.conv2(x)))
                x = F.flatten(x, 1)
                x = F.relu(self.fc1(x))
                x = F.relu(self.fc2(x))
                return x

        mm.manual_seed(0)
        model = ConvNet()
        print(model)
        example_input = mm.randn(1, 1, 28, 28)  # a mini-batch of one 28 x 28 image
        print(model(example_input).shape)
        """,
        show="trace",
    ),
]

QUESTIONS = [
    Question(
        step=2,
        prompt="How many tensors does list(model.parameters()) hold for SimpleModel?",
        choices=("1", "2", "4", "8"),
        answer="len(list(model.parameters()))",
        explanation="Two Parameters were assigned in __init__ (weight and bias). parameters() yields "
        "whole tensors, not the 8 numbers inside them: that count is sum(p.numel() for p in ...).",
    ),
    Question(
        step=3,
        prompt="With weight [1, 2, 3, 4] and bias [0, 0, 1, 1], what is "
        "model(mm.tensor([1., 1., 1., 1.]))[2]?",
        choices=("1", "3", "4", "7"),
        answer="model(mm.tensor([1.0, 1.0, 1.0, 1.0]))[2].item()",
        explanation="forward computes x * weight + bias element by element: 1 * 3 + 1 = 4.",
    ),
    Question(
        step=6,
        prompt="What shape does ConvNet's output have for a mini-batch of 8 images, mm.randn(8, 1, 28, 28)?",
        choices=("(10,)", "(1, 10)", "(8, 10)", "(8, 320)"),
        answer="tuple(model(mm.randn(8, 1, 28, 28)).shape)",
        explanation="Every layer keeps the batch dimension in front, so 8 images give 8 rows of 10 scores.",
    ),
]
