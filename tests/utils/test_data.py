"""minimod.utils.data: datasets, samplers, torch's default collate and the DataLoader, against torch."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest

import minimod as mm
from minimod.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)

Point = collections.namedtuple("Point", "x y")
BATCHES = [
    ("tensors", lambda lib: [lib.ones(2), lib.zeros(2)]),
    ("floats", lambda lib: [1.0, 2.5]),
    ("ints", lambda lib: [1, 2]),
    ("bools", lambda lib: [True, False]),
    ("strings", lambda lib: ["a", "b"]),
    ("pairs", lambda lib: [(lib.ones(2), 1), (lib.zeros(2), 0)]),
    ("lists", lambda lib: [[1, 2], [3, 4]]),
    ("dicts", lambda lib: [{"a": 1, "b": lib.ones(1)}, {"a": 2, "b": lib.zeros(1)}]),
    ("named tuples", lambda lib: [Point(1, 2.0), Point(3, 4.0)]),
    ("numpy arrays", lambda lib: [np.ones(2), np.zeros(2)]),
    ("numpy scalars", lambda lib: [np.float32(1), np.float32(2)]),
]


def _plain(value):
    """A collated batch as plain Python: (type name, dtype name, values) for tensors, recursively."""
    if hasattr(value, "tolist") and hasattr(value, "dtype"):
        return ("tensor", str(value.dtype).replace("torch.", ""), value.tolist())
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_plain(item) for item in value])
    return value


@pytest.mark.parametrize("name,batch", BATCHES, ids=[name for name, _ in BATCHES])
def test_default_collate_is_torchs(name, batch):
    ours = _plain(default_collate(batch(mm)))
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as torch_collate

    assert ours == _plain(torch_collate(batch(torch)))


@pytest.mark.parametrize("batch,error,message", [
    ([[1, 2], [3]], RuntimeError, "each element in list of batch should be of equal size"),
    ([object(), object()], TypeError, "default_collate: batch must contain tensors, numpy arrays, numbers"),
    ([np.array(["a"]), np.array(["b"])], TypeError, "found <U1"),
])
def test_default_collate_mistakes(batch, error, message):
    with pytest.raises(error, match=message):
        default_collate(batch)
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([mm.ones(2), mm.ones(3)])


def test_tensor_dataset_and_dataloader_batches():
    dataset = TensorDataset(mm.arange(10.0), mm.arange(10))
    assert len(dataset) == 10 and [t.item() for t in dataset[3]] == [3.0, 3]
    loader = DataLoader(dataset, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [y.tolist() for _, y in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert batches[0][0].dtype == mm.float32 and isinstance(batches[0], list)
    dropped = DataLoader(dataset, batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [len(y) for _, y in dropped] == [4, 4]
    assert [x.item() for x, _ in DataLoader(dataset, batch_size=None)][:3] == [0.0, 1.0, 2.0]
    assert loader.dataset is dataset and loader.batch_size == 4
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(mm.ones(3), mm.ones(4))


def test_shuffle_draws_a_new_order_each_epoch_from_the_seeded_generator():
    dataset = TensorDataset(mm.arange(20))
    loader = DataLoader(dataset, batch_size=5, shuffle=True)
    mm.manual_seed(0)
    first = [batch[0].tolist() for batch in loader]
    second = [batch[0].tolist() for batch in loader]
    mm.manual_seed(0)
    assert [batch[0].tolist() for batch in loader] == first  # reproducible
    assert first != second and sorted(sum(first, [])) == list(range(20))  # each epoch: a permutation
    own = [b[0].tolist() for b in DataLoader(dataset, batch_size=5, shuffle=True,
                                             generator=mm.Generator().manual_seed(1))]
    assert own == [b[0].tolist() for b in DataLoader(dataset, batch_size=5, shuffle=True,
                                                       generator=mm.Generator().manual_seed(1))]


def test_a_custom_dataset_and_collate_fn():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, index):
            return {"x": np.full(2, index, dtype=np.float32), "y": index * index}

    batch = next(iter(DataLoader(Squares(), batch_size=3)))
    assert batch["x"].tolist() == [[0, 0], [1, 1], [2, 2]] and batch["y"].tolist() == [0, 1, 4]
    assert next(iter(DataLoader(Squares(), batch_size=2, collate_fn=len))) == 2
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__."):
        Dataset()[0]
    assert (Squares() + Squares())[7]["y"] == 4 and isinstance(Squares() + Squares(), ConcatDataset)


@pytest.mark.parametrize("lengths,expected", [([3, 7], [3, 7]), ([0.33, 0.33, 0.34], [4, 3, 3]),
                                              ([0.5, 0.5], [5, 5])])
def test_random_split_lengths_and_fractions_as_torch(lengths, expected):
    parts = random_split(range(10), lengths, generator=mm.Generator().manual_seed(0))
    assert [len(part) for part in parts] == expected and all(isinstance(part, Subset) for part in parts)
    assert sorted(i for part in parts for i in part) == list(range(10))  # disjoint and complete
    torch = pytest.importorskip("torch")
    assert [len(p) for p in torch.utils.data.random_split(range(10), lengths)] == expected


def test_random_split_mistakes():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input"):
        random_split(range(10), [3, 8])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        assert [len(part) for part in random_split(range(3), [0.9, 0.1])] == [3, 0]


def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    mm.manual_seed(0)
    assert sorted(RandomSampler(range(6))) == list(range(6))
    more = RandomSampler(range(6), num_samples=9)
    assert len(more) == 9 == len(list(more))
    assert len(list(RandomSampler(range(3), replacement=True, num_samples=10))) == 10
    assert list(BatchSampler(range(5), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert len(BatchSampler(range(5), 2, drop_last=True)) == 2
    loader = DataLoader(TensorDataset(mm.arange(6)), batch_sampler=[[5, 0], [1]])
    assert [b[0].tolist() for b in loader] == [[5, 0], [1]]


@pytest.mark.parametrize("kwargs,message", [
    (dict(batch_size=0), "batch_size should be a positive integer value, but got batch_size=0"),
    (dict(shuffle=True, sampler=[0]), "sampler option is mutually exclusive with shuffle"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive with batch_size"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing"),
])
def test_dataloader_mistakes_are_torchs(kwargs, message):
    dataset = TensorDataset(mm.arange(4))
    with pytest.raises(ValueError, match=message):
        DataLoader(dataset, **kwargs)
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=message):
        torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(4)), **kwargs)


def test_workers_and_pinned_memory_give_the_same_batches_here():
    dataset = TensorDataset(mm.arange(6))
    plain = [b[0].tolist() for b in DataLoader(dataset, batch_size=4)]
    assert [b[0].tolist() for b in DataLoader(dataset, batch_size=4, num_workers=2,
                                              persistent_workers=True)] == plain
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator is found"):
        assert [b[0].tolist() for b in DataLoader(dataset, batch_size=4, pin_memory=True)] == plain
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(DataLoader(dataset))
