"""Lesson 4's steps: replacing and adding children, shared and tied parameters, ModuleList/ModuleDict."""

from lessons.course import Question, Step
from lessons.step_models import NESTED_NET

SOURCES = ["minimod/nn/module.py", "minimod/nn/containers.py"]

STEPS = [
    Step(
        NESTED_NET + """
        mm.manual_seed(0)
        model = nested_net = NestedNet()
        x = mm.randn(1, 4)
        print("before:", nested_net(x).shape)
        nested_net.linear = nn.Linear(3, 5)
        print("after: ", nested_net(x).shape)
        print(nested_net)
        """,
        show="tree",
    ),
    Step(
        """
        nested_net.basenet = nn.Linear(5, 3)  # meant to replace base_net
        print(nested_net)
        print("parameters:", [name for name, _ in nested_net.named_parameters()])
        """,
        show="tree",
    ),
    Step(
        """
        del nested_net.basenet  # step 2's mistake, undone
        print("children after del:", [name for name, _ in nested_net.named_children()])

        model = nested_net = NestedNet()
        base_net = BaseNet()
        for name, parameter in base_net.named_parameters():
            if name == "linear.weight":
                nested_net.base_net.linear.weight = parameter
            if name == "linear.bias":
                nested_net.base_net.linear.bias = parameter

        print(nested_net.base_net.linear.weight is base_net.linear.weight)
        with mm.no_grad():
            base_net.linear.bias.fill_(7.0)  # change it through base_net...
        print(nested_net.base_net.linear.bias)  # ...and nested_net sees the change
        """,
        show="tensors",
        focus="base_net.linear",
    ),
    Step(
        """
        class TiedNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.encode = nn.Linear(4, 4)
                self.decode = nn.Linear(4, 4)
                self.decode.weight = self.encode.weight  # one matrix, used twice

            def forward(self, x):
                return self.decode(F.relu(self.encode(x)))

        model = TiedNet()
        print([name for name, _ in model.named_parameters()])
        print([name for name, _ in model.named_parameters(remove_duplicate=False)])
        print(list(model.state_dict().keys()))
        """,
        show="tensors",
        subtree=True,
    ),
    Step(
        """
        class ListNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = [nn.Linear(4, 4) for _ in range(3)]  # a plain list: NOT registered

        print("plain list:", len(list(ListNet().parameters())), "parameters")

        class DynamicNet(nn.Module):
            def __init__(self, num_layers):
                super().__init__()
                self.linears = nn.ModuleList([nn.Linear(4, 4) for _ in range(num_layers)])
                self.activations = nn.ModuleDict({"relu": nn.ReLU(), "lrelu": nn.LeakyReLU()})
                self.final = nn.Linear(4, 1)

            def forward(self, x, act="relu"):
                for linear in self.linears:
                    x = linear(x)
                    x = self.activations[act](x)
                return self.final(x)

        mm.manual_seed(0)
        model = DynamicNet(3)
        print([name for name, _ in model.named_parameters()])
        print(model(mm.randn(4), "lrelu"))
        example_input = mm.randn(2, 4)
        """,
        show="trace",
    ),
]

QUESTIONS = [
    Question(
        step=2,
        prompt="nested_net had 4 parameter tensors. After `nested_net.basenet = nn.Linear(5, 3)`, "
        "how many does list(nested_net.parameters()) hold?",
        choices=("4", "5", "6"),
        answer="len(list(nested_net.parameters()))",
        explanation="basenet is a new name, so a fourth child is added next to base_net, relu and "
        "linear, and its weight and bias join the parameters: 6. An optimizer would carry this "
        "useless layer along. Step 3 deletes it again with del.",
    ),
    Question(
        step=4,
        prompt="TiedNet has two Linear(4, 4) layers sharing one weight. How many tensors does "
        "list(model.parameters()) hold?",
        choices=("2", "3", "4"),
        answer="len(list(model.parameters()))",
        explanation="encode.weight (shared), encode.bias and decode.bias: the shared weight is "
        "yielded once, so an optimizer updates it once per step.",
    ),
    Question(
        step=5,
        prompt="How many parameter tensors does DynamicNet(3) have?",
        choices=("2", "6", "8", "10"),
        answer="len(list(model.parameters()))",
        explanation="The ModuleList registers 3 Linear layers (a weight and a bias each: 6), final "
        "adds 2: 8. The activations have no parameters. The plain list in ListNet registered "
        "nothing: 0.",
    ),
]
