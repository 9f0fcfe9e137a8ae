"""Lesson 5's steps: Dropout and BatchNorm in both modes, recursive train/eval, the forgotten-eval bug."""

from lessons.course import Question, Step

SOURCES = ["minimod/nn/module.py", "minimod/nn/layers/dropout.py", "minimod/nn/layers/normalization.py"]

STEPS = [
    Step(
        """
        mm.manual_seed(0)
        model = nn.Dropout(p=0.5)
        x = mm.ones(10)
        print("training =", model.training)
        print(model(x))
        model.eval()
        print("training =", model.training)
        print(model(x))
        """,
    ),
    Step(
        """
        mm.manual_seed(0)
        model = nn.BatchNorm1d(3)
        batch = mm.randn(16, 3) * 2.0 + 5.0  # features with mean near 5 and spread near 2
        out = model(batch)
        print("train: output mean", out.mean(0).detach(), "running_mean", model.running_mean)
        model.eval()
        out = model(batch)
        print("eval:  output mean", out.mean(0).detach(), "running_mean", model.running_mean)
        model.train()
        try:
            model(mm.randn(1, 3))
        except ValueError as error:
            print("ValueError:", error)
        """,
    ),
    Step(
        """
        mm.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 1))
        print(model.eval() is model)
        print({name: module.training for name, module in model.named_modules()})
        model.train()
        print({name: module.training for name, module in model.named_modules()})
        try:
            model.train("no")
        except ValueError as error:
            print("ValueError:", error)
        """,
        show="tree",
    ),
    Step(
        """
        test = mm.randn(4, 4)
        other = mm.randn(4, 4)
        before = model[1].running_mean.clone()  # a copy: it keeps today's values
        # forgot model.eval():
        print("same input twice:", round(model(test)[0].item(), 4), round(model(test)[0].item(), 4))
        mixed = mm.cat([test[:1], other[1:]])
        print("sample 0, other batch-mates:", round(model(mixed)[0].item(), 4))
        moved = (model[1].running_mean - before).abs().sum().item() > 0
        print("running_mean moved:", moved)

        model.eval()
        with mm.no_grad():
            print("eval, same input twice:", round(model(test)[0].item(), 4), round(model(test)[0].item(), 4))
            print("eval, other batch-mates:", round(model(mixed)[0].item(), 4))
        example_input = test
        """,
        show="tensors",
        focus="1",
    ),
    Step(
        """
        class Backbone(nn.Module):
            def __init__(self, norm_eval=True):
                super().__init__()
                self.norm_eval = norm_eval
                self.fc = nn.Linear(4, 8)
                self.bn = nn.BatchNorm1d(8)
                self.head = nn.Linear(8, 2)

            def forward(self, x):
                return self.head(F.relu(self.bn(self.fc(x))))

            def train(self, mode=True):
                super().train(mode)
                if mode and self.norm_eval:
                    for m in self.modules():
                        # trick: eval has an effect on BatchNorm only
                        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                            m.eval()
                return self

        model = frozen = Backbone().train()
        print({name: module.training for name, module in frozen.named_modules()})
        """,
        show="tree",
    ),
]

QUESTIONS = [
    Question(
        step=1,
        prompt="In training mode, nn.Dropout(p=0.5) on mm.ones(1000): what value do the entries that "
        "are NOT dropped have?",
        choices=("0.5", "1", "2"),
        answer="nn.Dropout(0.5)(mm.ones(1000)).max().item()",
        explanation="Survivors are scaled by 1 / (1 - p) = 2, so the expected value of each output "
        "stays 1, the same as in eval mode, where nothing is dropped or scaled.",
    ),
    Question(
        step=4,
        prompt="With eval() forgotten, does asking the model about the test batch change the "
        "BatchNorm's running_mean?",
        choices=("True", "False"),
        answer="moved",
        explanation="In training mode BatchNorm updates its running statistics on every call, so each "
        "'test' quietly overwrites what training learned. Dropout also makes the same input give "
        "different answers, and BatchNorm's batch statistics make a sample's answer depend on its "
        "batch-mates. After eval() the answers are stable and the buffers stay put.",
    ),
    Question(
        step=5,
        prompt="After frozen.train(), what is frozen.bn.training?",
        choices=("True", "False"),
        answer="frozen.bn.training",
        explanation="super().train(True) first sets every module to training, then the override "
        "puts each BatchNorm back into eval, so its running statistics stay frozen.",
    ),
]
