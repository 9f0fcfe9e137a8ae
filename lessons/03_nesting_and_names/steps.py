"""Lesson 3's steps: NestedNet's tree, named_children vs named_modules, dotted names, BigNet, Sequential."""

from lessons.course import Question, Step
from lessons.step_models import NESTED_NET

SOURCES = ["minimod/nn/module.py", "minimod/nn/containers.py", "minimod/zoo/megengine.py",
           "minimod/zoo/pytorch_note.py"]

STEPS = [
    Step(
        NESTED_NET + """
        mm.manual_seed(0)
        model = nested_net = NestedNet()
        print(nested_net)
        """,
        show="tree",
        picture="tree",
    ),
    Step(
        """
        print("children:")
        for name, child in nested_net.named_children():
            print("  ", name)
        print("modules:")
        for name, module in nested_net.named_modules():
            print("  ", repr(name), type(module).__name__)
        """,
        show="picture",
        picture="tree",
    ),
    Step(
        """
        for name, parameter in nested_net.named_parameters():
            print(name, tuple(parameter.shape))
        print("relative to base_net:", [name for name, _ in nested_net.base_net.named_parameters()])
        print("only biases:", [name for name, _ in nested_net.named_parameters() if 'bias' in name])
        """,
        show="tensors",
        focus="base_net.linear",
    ),
    Step(
        """
        print(nested_net.get_submodule("base_net.linear"))
        print(nested_net.get_parameter("base_net.linear.bias"))
        print([name for name, _ in nested_net.named_parameters(prefix="model")])
        try:
            nested_net.get_submodule("base_net.conv")
        except AttributeError as error:
            print("AttributeError:", error)
        """,
        show="tensors",
        focus="base_net.linear",
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

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.l0 = MyLinear(4, 3)
                self.l1 = MyLinear(3, 1)

            def forward(self, x):
                return self.l1(F.relu(self.l0(x)))

        class BigNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.l1 = MyLinear(5, 4)
                self.net = Net()

            def forward(self, x):
                return self.net(self.l1(x))

        mm.manual_seed(0)
        model = big_net = BigNet()
        for name, module in big_net.named_modules():
            print(repr(name), type(module).__name__)
        example_input = mm.randn(1, 5)
        """,
        show="trace",
    ),
    Step(
        """
        mm.manual_seed(0)
        model = net = nn.Sequential(MyLinear(4, 3), nn.ReLU(), MyLinear(3, 1))
        print(net)
        print([name for name, _ in net.named_parameters()])
        print(net[0] is net.get_submodule("0"))
        example_input = mm.randn(1, 4)
        print(net(example_input))
        """,
        show="tree",
    ),
]

QUESTIONS = [
    Question(
        step=2,
        prompt="How many (name, module) pairs does nested_net.named_modules() yield?",
        choices=("3", "4", "5", "6"),
        answer="len(list(nested_net.named_modules()))",
        explanation="The root '' itself, base_net, base_net.linear, relu and linear: 5. "
        "named_children() would give only the 3 direct children.",
    ),
    Question(
        step=3,
        prompt="What name does nested_net.base_net.named_parameters() give to the weight of the Linear "
        "inside base_net?",
        choices=("weight", "linear.weight", "base_net.linear.weight", "BaseNet.linear.weight"),
        answer="[name for name, p in nested_net.base_net.named_parameters() "
        "if p is nested_net.base_net.linear.weight][0]",
        explanation="A name is the path from the module you asked: base_net itself is the root "
        "here, so the path is linear, then the parameter's own name. Asked from nested_net, the "
        "same tensor is base_net.linear.weight; a class name is never part of a path.",
    ),
    Question(
        step=5,
        prompt="How many parameter tensors does BigNet have in total?",
        choices=("2", "4", "6", "8"),
        answer="len(list(big_net.parameters()))",
        explanation="Three MyLinear modules (l1, net.l0, net.l1), each with a weight and a bias: 6.",
    ),
    Question(
        step=6,
        prompt="In nn.Sequential(MyLinear(4, 3), nn.ReLU(), MyLinear(3, 1)), what is the full name of "
        "the last layer's bias?",
        choices=("bias", "l1.bias", "2.bias", "MyLinear.bias"),
        answer="list(dict(net.named_parameters()))[-1]",
        explanation="A Sequential names its children by position, from 0: the ReLU is child 1 (it has "
        "no parameters) and the last MyLinear is child 2.",
    ),
]
