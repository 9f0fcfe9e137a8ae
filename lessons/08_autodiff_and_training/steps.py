"""Lesson 8's steps: grad_fn and backward, parameter gradients, accumulation and zero_grad, SGD, the loop."""

from lessons.course import Question, Step

SOURCES = ["minimod/autograd.py", "minimod/tensor.py", "minimod/tensor_math.py", "minimod/optim/sgd.py",
           "minimod/optim/optimizer.py"]

STEPS = [
    Step(
        """
        w = mm.tensor([2.0], requires_grad=True)
        y = (w * 3) ** 2
        print("y =", y)
        print("grad_fn:", y.grad_fn.name(), "<-", [fn.name() for fn, _ in y.grad_fn.next_functions if fn])
        y.backward()
        print("w.grad =", w.grad)
        """,
        show="picture",
        picture="autograd:y",
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
                x = self.l0(x)
                x = F.relu(x)
                x = self.l1(x)
                return x

        mm.manual_seed(0)
        model = net = Net()
        x = mm.randn(4)
        loss = net(x).abs()
        print("loss:", loss)
        loss.backward()
        for name, parameter in net.named_parameters():
            print(name, tuple(parameter.shape), "grad", tuple(parameter.grad.shape))
        """,
        show="tensors",
        focus="l0",
        picture="autograd:loss",
    ),
    Step(
        """
        net.zero_grad()
        net(x).abs().backward()
        once = net.l0.weight.grad.clone()  # a copy of the gradient after one pass
        net(x).abs().backward()  # no zero_grad in between
        twice = net.l0.weight.grad
        print("ratio:", (twice.abs().sum() / once.abs().sum()).item())  # total size, twice / once
        net.zero_grad()
        print("after zero_grad:", net.l0.weight.grad)
        """,
        show="tensors",
        focus="l0",
    ),
    Step(
        """
        lr = 0.1
        net.zero_grad()
        net(x).abs().backward()
        before = net.l1.bias.detach().clone()
        with mm.no_grad():
            for parameter in net.parameters():
                parameter.sub_(lr * parameter.grad)  # in place: the Parameter object stays
        print("by hand:", round(before.item(), 4), "->", round(net.l1.bias.item(), 4))

        optimizer = optim.SGD(net.parameters(), lr=lr)
        optimizer.zero_grad()
        net(x).abs().backward()
        expected = (net.l1.bias - lr * net.l1.bias.grad).item()
        optimizer.step()
        print("SGD:    ", round(net.l1.bias.item(), 4), "expected", round(expected, 4))
        """,
        show="tensors",
        focus="l1",
    ),
    Step(
        """
        mm.manual_seed(0)
        model = net = Net()
        optimizer = optim.SGD(net.parameters(), lr=1e-4, weight_decay=1e-2, momentum=0.9)

        # Run a sample training loop that "teaches" the network to output the constant zero function
        losses = []
        for _ in range(10000):
            input = mm.randn(4)
            output = net(input)
            loss = output.abs()
            net.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())

        print("average loss, first 100 steps:", round(sum(losses[:100]) / 100, 4))
        print("average loss, last 100 steps: ", round(sum(losses[-100:]) / 100, 4))
        print(net.l1.weight)
        example_input = mm.randn(4)
        """,
        show="picture",
        focus="l1",
        picture="loss:losses",
    ),
]

QUESTIONS = [
    Question(
        step=1,
        prompt="y = (3w)^2 at w = 2. What is w.grad after y.backward()?",
        choices=("6", "12", "36", "18"),
        answer="w.grad.item()",
        explanation="y = 9w^2, so dy/dw = 18w = 36 at w = 2. backward() applies the chain rule "
        "through PowBackward0 and MulBackward0 to get it.",
    ),
    Question(
        step=3,
        prompt="Two forward + backward passes on the same input, with no zero_grad between them. "
        "How does l0.weight.grad compare with one pass?",
        choices=("the same", "twice as big", "zero"),
        answer="'twice as big' if abs((twice.abs().sum() / once.abs().sum()).item() - 2) < 1e-5 "
        "else 'the same'",
        explanation="backward() adds into .grad. That is why every training step starts with zero_grad().",
    ),
    Question(
        step=3,
        prompt="After net.zero_grad() (default arguments), what is net.l0.weight.grad?",
        choices=("None", "a tensor of zeros", "unchanged"),
        answer="net.l0.weight.grad",
        explanation="zero_grad(set_to_none=True) is the default, as in PyTorch: the gradient is "
        "dropped (None) rather than filled with zeros; that costs nothing, and the next backward() "
        "simply creates a fresh one.",
    ),
]
