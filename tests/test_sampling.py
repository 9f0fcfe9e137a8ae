"""The random and constant makers the tutorials use: eye, multinomial, randperm, Generator, *_like, size=."""

from __future__ import annotations

import numpy as np
import pytest

import minimod as mm


def test_eye_matches_torch():
    assert mm.eye(3).tolist() == np.eye(3).tolist() and mm.eye(3).dtype == mm.float32
    assert mm.eye(2, 4, dtype=mm.long).tolist() == [[1, 0, 0, 0], [0, 1, 0, 0]]
    inp = mm.eye(4, 5, requires_grad=True)
    ((inp + 1) ** 2).t().sum().backward()
    assert inp.grad.tolist() == (2 * (np.eye(4, 5) + 1)).tolist()
    torch = pytest.importorskip("torch")
    assert mm.eye(4, 5).tolist() == torch.eye(4, 5).tolist()


def test_size_can_be_given_by_name_as_in_torch():
    for make in (mm.zeros, mm.ones, mm.empty, mm.rand, mm.randn):
        assert make(size=(2, 4)).shape == (2, 4) and make((2, 4)).shape == make(2, 4).shape == (2, 4)
    with pytest.raises(TypeError, match="not both"):
        mm.zeros(2, size=(2,))


def test_randint_takes_torchs_two_forms():
    mm.manual_seed(0)
    assert mm.randint(10, (3,)).shape == (3,) and mm.randint(10, size=(2, 2)).shape == (2, 2)
    draws = mm.randint(5, 7, (200,))
    assert set(draws.tolist()) == {5, 6} and draws.dtype == mm.int64
    assert int(mm.randint(3, size=(1,)).item()) in (0, 1, 2)
    with pytest.raises(TypeError, match="size"):
        mm.randint(3)


def test_generators_make_their_own_reproducible_stream():
    first = mm.Generator().manual_seed(42)
    second = mm.Generator().manual_seed(42)
    assert mm.randperm(10, generator=first).tolist() == mm.randperm(10, generator=second).tolist()
    assert mm.rand(3, generator=first).tolist() == mm.rand(3, generator=second).tolist()
    assert first.initial_seed() == 42 and mm.Generator().manual_seed(7) is not None
    mm.manual_seed(3)
    a = mm.randn(4).tolist()
    mm.manual_seed(3)
    assert mm.randn(4).tolist() == a and mm.initial_seed() == 3


def test_randperm_is_a_permutation():
    order = mm.randperm(50)
    assert sorted(order.tolist()) == list(range(50)) and order.dtype == mm.int64


def test_like_makers_follow_their_input():
    x = mm.ones(2, 3, dtype=mm.float64)
    for make in (mm.rand_like, mm.randn_like, mm.empty_like):
        made = make(x)
        assert made.shape == (2, 3) and made.dtype == mm.float64
    assert mm.full_like(x, 7).tolist() == [[7.0] * 3] * 2
    assert mm.rand_like(mm.tensor([[1, 2]]), dtype=mm.float).dtype == mm.float32
    with pytest.raises(NotImplementedError, match="\"check_uniform_bounds\" not implemented for 'Long'"):
        mm.rand_like(mm.tensor([1, 2]))
    torch = pytest.importorskip("torch")
    with pytest.raises(NotImplementedError, match="\"check_uniform_bounds\" not implemented for 'Long'"):
        torch.rand_like(torch.tensor([1, 2]))


def test_multinomial_draws_in_proportion_to_the_weights():
    mm.manual_seed(0)
    weights = mm.tensor([1.0, 0.0, 3.0, 6.0])  # need not sum to one
    draws = mm.multinomial(weights, 20000, replacement=True)
    counts = np.bincount(draws.numpy(), minlength=4) / 20000
    np.testing.assert_allclose(counts, [0.1, 0.0, 0.3, 0.6], atol=0.015)
    assert draws.dtype == mm.int64 and counts[1] == 0  # a weight of zero is never drawn


def test_multinomial_without_replacement_never_repeats_within_a_row():
    mm.manual_seed(1)
    probs = mm.tensor([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]])
    draws = probs.multinomial(num_samples=4)
    assert draws.shape == (2, 4) and all(sorted(row) == [0, 1, 2, 3] for row in draws.tolist())
    # the first draw of a row follows the weights too
    firsts = np.bincount([mm.multinomial(probs[0], 1).item() for _ in range(4000)], minlength=4) / 4000
    np.testing.assert_allclose(firsts, [0.1, 0.2, 0.3, 0.4], atol=0.03)
    # categories of weight 0 come last, once the others are used up (torch does not refuse them either)
    assert sorted(mm.multinomial(mm.tensor([1.0, 0.0, 0.0]), 2).tolist())[0] == 0


def test_nanogpts_sampling_step():
    """torch.multinomial(F.softmax(logits), num_samples=1) on a batch: one index per row, shape (B, 1)."""
    probs = mm.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert mm.multinomial(probs, num_samples=1).tolist() == [[1], [2]]


MULTINOMIAL_MISTAKES = [
    (lambda lib: lib.multinomial(lib.ones(2, 2, 2), 1), "prob_dist must be 1 or 2 dim"),
    (lambda lib: lib.multinomial(lib.ones(3), 0), "cannot sample n_sample <= 0 samples"),
    (lambda lib: lib.multinomial(lib.ones(3), 4), "cannot sample n_sample > prob_dist.size\\(-1\\) samples"),
    (lambda lib: lib.multinomial(lib.tensor([1.0, -1.0]), 1), "probability tensor contains either `inf`"),
    (lambda lib: lib.multinomial(lib.zeros(2), 1),
     "invalid multinomial distribution \\(sum of probabilities"),
]


@pytest.mark.parametrize("call,message", MULTINOMIAL_MISTAKES)
def test_multinomial_mistakes_raise_torchs_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call(mm)
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match=message):
        call(torch)
