"""default_collate: how a DataLoader turns a list of samples into one batch, as torch does.

Tensors are stacked along a new first dim; NumPy arrays and numbers become tensors (Python floats
float64, ints int64, as torch's); strings stay a list; and tuples, lists, named tuples and dicts are
collated field by field, so a batch of (image, label) pairs becomes [images, labels].
"""

from __future__ import annotations

import collections.abc

import numpy as np

from ...creation import stack, tensor
from ...tensor import Tensor

_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def default_collate(batch):
    """One batch from a list of samples (see the module's docstring for the rules)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "SaUO":  # strings and objects have no tensor dtype
            raise TypeError(_ERROR.format(elem.dtype))
        return default_collate([Tensor._wrap(np.array(sample)) for sample in batch])
    if isinstance(elem, np.generic):  # numpy scalars keep their dtype
        return Tensor._wrap(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=np.float64)
    if isinstance(elem, int):  # bool too: a bool tensor, as torch.tensor([True, False]) is
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple keeps its type
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        # torch gives a list for tuples (and for sequences it cannot rebuild)
        return [default_collate(list(samples)) for samples in zip(*batch)]
    raise TypeError(_ERROR.format(type(elem)))


def default_convert(data):
    """What a DataLoader does to each sample when it does not batch (batch_size=None): NumPy arrays and
    scalars become tensors, containers are converted field by field, everything else stays as it is."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "SaUO":
        return Tensor._wrap(data)
    if isinstance(data, np.generic):
        return Tensor._wrap(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data
