"""DataLoader: iterate over a dataset in batches, in order or shuffled, each batch collated into tensors."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

from .collate import default_collate, default_convert
from .sampler import BatchSampler, RandomSampler, SequentialSampler


class DataLoader:
    """Batches of a dataset: ``for X, y in DataLoader(dataset, batch_size=64, shuffle=True)``.

    Indices come from a sampler (0, 1, 2, ... or, with shuffle, a fresh permutation each epoch drawn from
    minimod's seeded generator, or from ``generator``), are grouped batch_size at a time (the last batch
    shorter, unless drop_last), and each group's samples are merged by collate_fn (default_collate:
    tensors stacked, numbers made tensors, tuples and dicts field by field). ``batch_size=None`` yields
    single samples instead.

    Loading happens in this process: num_workers > 0 gives the same batches in the same order (torch's
    workers only load ahead in parallel), and pin_memory has no accelerator to pin for, as on a
    CPU-only torch.
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let "
                             "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to "
                             "None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn or (default_collate if batch_sampler is not None else default_convert)
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers

    def __iter__(self) -> Iterator:
        if self.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device "
                          "pinned memory won't be used.", stacklevel=2)
        if self.batch_sampler is None:  # no batching: one converted sample at a time
            return (self.collate_fn(self.dataset[index]) for index in self.sampler)
        return (self.collate_fn([self.dataset[index] for index in indices]) for indices in self.batch_sampler)

    def __len__(self) -> int:
        """The number of batches in one pass (len(dataloader.dataset) is the number of samples)."""
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)
