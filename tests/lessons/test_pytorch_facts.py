"""The lessons' "In PyTorch" answers: each recorded answer is what torch itself does."""

import pytest

from lessons import pytorch_facts, torch_recordings


@pytest.mark.parametrize("name", sorted(pytorch_facts.FACTS))
def test_recorded_answer_is_torchs(name):
    torch = pytest.importorskip("torch")
    assert pytorch_facts.FACTS[name](torch) == pytorch_facts.RECORDED[name]


def test_without_torch_the_recorded_answer_is_used(monkeypatch):
    monkeypatch.setattr(torch_recordings, "torch_or_none", lambda: None)
    assert pytorch_facts.in_pytorch("state_dict_follows_training") is True
    assert "recorded" in pytorch_facts.source_note()
