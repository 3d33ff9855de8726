"""``DataLoader``: batches, shuffling and collation, as ``torch.utils.data.DataLoader``.

Array-backed datasets (``TensorDataset``, ``FashionMNIST``/``MNIST`` and ``Subset``/``ConcatDataset``
of them) are batched with one fancy-index gather per field; any other dataset is read one sample at a
time with ``__getitem__`` and collated with ``default_collate``. Loading runs in the calling process:
``num_workers`` and the other multiprocessing options are accepted for PyTorch compatibility and
ignored, since a vectorised gather is faster than shipping batches between processes.
"""

from __future__ import annotations

import collections.abc

import numpy as np

from ._util import as_array, is_tensor, resolve_generator, rng_of, wrap
from .dataset import IterableDataset, supports_gather
from .sampler import BatchSampler, RandomSampler, SequentialSampler, _has_fast_indices
from .transforms import apply_transform


def default_collate(batch):
    """Merge a list of samples into a batch, as PyTorch's ``default_collate``.

    Tensors, arrays and numbers are stacked into one Tensor with a new first dimension; tuples and
    lists are collated field by field (giving a list), dicts key by key, strings stay a list.
    Python floats become float32 (chainrule's default dtype; PyTorch gives float64), ints int64.

    Args:
        batch (list): the samples.

    >>> [tuple(x.shape) for x in default_collate([(np.zeros(3), 1), (np.ones(3), 0)])]
    [(2, 3), (2,)]
    """
    elem = batch[0]
    if is_tensor(elem) or isinstance(elem, np.ndarray):
        arrays = [as_array(b) for b in batch]
        if arrays[0].dtype.kind in "OUSV":
            raise TypeError(f"default_collate: cannot batch arrays of dtype {arrays[0].dtype}")
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise ValueError(f"default_collate: cannot stack samples of different shapes {sorted(shapes)}")
        return wrap(np.stack(arrays))
    if isinstance(elem, np.generic):
        return wrap(np.array(batch))
    if isinstance(elem, bool):
        return wrap(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return wrap(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        from ..dtypes import get_default_dtype

        return wrap(np.array(batch, dtype=get_default_dtype()))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if len({len(s) for s in batch}) != 1:
            raise RuntimeError("default_collate: each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem).__name__}"
    )


def default_convert(data):
    """Turn arrays (also inside tuples, lists and dicts) into Tensors; used when ``batch_size=None``."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OUSV":
        return wrap(data)
    if isinstance(data, collections.abc.Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (list, tuple)):
        return [default_convert(d) for d in data]
    return data


def _len(dataset):
    try:
        return len(dataset)
    except TypeError:
        return None


class DataLoader:
    """Iterate over a dataset in (optionally shuffled) batches of Tensors.

    Every ``iter()`` (every epoch) draws a new order when ``shuffle=True``; the same ``seed`` (or a
    generator seeded the same) gives the same sequence of epochs. ``state_dict()`` /
    ``load_state_dict()`` save and restore the position within an epoch, so that an interrupted
    training run continues with exactly the batches it would have seen.

    Args:
        dataset (Dataset): where the samples come from.
        batch_size (int or None): samples per batch; None yields single samples. Default: 1.
        shuffle (bool): reshuffle on every pass. Default: False.
        sampler (Sampler or iterable, optional): the order of indices; excludes ``shuffle``.
        batch_sampler (Sampler or iterable, optional): yields lists of indices; excludes
            ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
        num_workers (int): accepted for compatibility; loading runs in this process. Default: 0.
        collate_fn (callable, optional): merges a list of samples. Default: ``default_collate``.
        pin_memory (bool): accepted for compatibility, ignored. Default: False.
        drop_last (bool): drop the last batch if it is smaller than ``batch_size``. Default: False.
        generator (Generator, optional): for shuffling and random transforms. Default: the global one.
        batch_transform (callable, optional): chainrule's fast path: a function (or batch transform
            from ``chainrule.data.transforms``) of the whole batch of inputs (the first field of each
            batch), applied after the dataset's own per-sample ``transform``. Default: None.
        transform (callable, optional): the former name of ``batch_transform``. Default: None.
        seed (int, optional): shorthand for ``generator=Generator().manual_seed(seed)``. Default: None.

    Shape:
        - each batch: the dataset's sample shapes with a leading ``batch_size`` dimension.

    >>> from chainrule.data import TensorDataset
    >>> ds = TensorDataset(np.zeros((10, 3), np.float32), np.arange(10))
    >>> loader = DataLoader(ds, batch_size=4, shuffle=True, seed=0)
    >>> [tuple(x.shape) for x, y in loader], len(loader)
    ([(4, 3), (4, 3), (2, 3)], 3)
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True, transform=None, seed=None, batch_transform=None):
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
                                       or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size should be a positive integer value, but got batch_size="
                             f"{batch_size!r}; e.g. DataLoader(dataset, batch_size=64) (None yields single samples)")
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative int, got {num_workers!r}")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout must be non-negative, got {timeout!r}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                    "and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
            )
        self.generator = resolve_generator(generator, seed, "DataLoader")
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler), ("batch_sampler", batch_sampler)):
                if value not in (False, None):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, "
                                     f"but got {name}={value!r}")
            sampler = range(0)  # a stream has no index order; __iter__ reads the dataset itself
        if sampler is None:
            sampler = RandomSampler(dataset, generator=self.generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.worker_init_fn, self.prefetch_factor = worker_init_fn, prefetch_factor
        self.persistent_workers = persistent_workers
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_sampler is not None else default_convert)
        if transform is not None and batch_transform is not None:
            raise ValueError("DataLoader: give batch_transform= only (transform= is its former name)")
        self.batch_transform = self.transform = batch_transform if batch_transform is not None else transform
        # where the current pass is (see state_dict): batches yielded, and the pass's order or starting state
        self._batches_done, self._order, self._pass_start, self._resume = 0, None, None, None

    def __len__(self) -> int:
        if self._iterable:  # as PyTorch: known only when the stream says how long it is
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def _iter_stream(self):
        batch = []
        for sample in self.dataset:
            if self.batch_size is None:
                yield self._finish(self.collate_fn(sample))
                continue
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self._finish(self.collate_fn(batch))
                batch = []
        if batch and not self.drop_last:
            yield self._finish(self.collate_fn(batch))

    def _index_batches(self, start: int):
        """The pass's index batches from batch ``start`` on; remembers the pass's order when there is one."""
        bs = self.batch_sampler
        if isinstance(bs, BatchSampler) and _has_fast_indices(bs.sampler):
            order = (self._resume or {}).get("order")
            self._order = bs.sampler._indices() if order is None else order
            return bs._slices(self._order, start)
        batches = (np.asarray(b, dtype=np.intp) for b in bs) if bs is not None else iter(self.sampler)
        return self._skip(batches, start)

    def _skip(self, batches, start: int):
        # A sampler without a whole-pass order (a custom one) is replayed: from the generator state at the
        # start of the pass, draw and drop `start` batches of indices (loading nothing), then continue
        # from the state saved with them.
        rng = rng_of(self.generator)
        if start:
            now = rng.bit_generator.state
            rng.bit_generator.state = self._resume["pass_start"]
        self._pass_start = rng.bit_generator.state
        batches = iter(batches)
        for _ in range(start):
            next(batches, None)
        if start:
            rng.bit_generator.state = now
        return batches

    def __iter__(self):
        if self._iterable:
            yield from self._iter_stream()
            return
        start = self._resume["batches_done"] if self._resume else 0
        self._batches_done = start
        batches = self._index_batches(start)
        self._resume = None
        dataset, gen = self.dataset, self.generator
        if self.batch_sampler is None:  # no auto-batching
            for i in batches:
                self._batches_done += 1
                yield self._finish(self.collate_fn(dataset[i]))
        elif self.collate_fn is default_collate and supports_gather(dataset):
            for idx in batches:
                fields = dataset._gather(idx, gen)
                if self.transform is not None:
                    fields[0] = apply_transform(self.transform, fields[0], gen)
                self._batches_done += 1
                yield [f if is_tensor(f) else wrap(f) for f in fields]
        else:
            for idx in batches:
                batch = self._finish(self.collate_fn([dataset[i] for i in idx.tolist()]))
                self._batches_done += 1
                yield batch
        self._batches_done, self._order, self._pass_start = 0, None, None  # the pass is complete

    # -- resuming ------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """Where the loader is, to continue a pass later exactly (as torchdata's ``StatefulDataLoader``).

        Holds the state of the loader's ``generator`` (shuffling and random transforms), the number of
        batches of the current pass already yielded and, in the middle of a pass, the pass's index order
        (an int64 array; a custom sampler without one is replayed from the generator state at the start
        of the pass instead). A loader that draws from the global generator (no ``generator``/``seed``)
        also needs ``chainrule.get_rng_state()`` saved and restored beside this. Between passes it is
        just the generator state. Values are plain (JSON-friendly) except ``order``.

        >>> state = loader.state_dict()          # e.g. after 5 batches of an epoch
        >>> loader.load_state_dict(state)        # later, in a new process: the next iter() yields batch 6 on
        """
        state = {"batches_done": self._batches_done, "batch_size": self.batch_size, "samples": _len(self.dataset),
                 "generator": None if self.generator is None else rng_of(self.generator).bit_generator.state}
        if self._batches_done:
            if self._order is not None:
                state["order"] = np.array(self._order, dtype=np.int64)
            else:
                state["pass_start"] = self._pass_start
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore a ``state_dict()``: the generator now, the position at the next ``iter()``."""
        mine = self.state_dict()
        for key in ("batch_size", "samples"):
            if state.get(key) != mine[key]:
                raise ValueError(f"DataLoader.load_state_dict: the state was saved by a loader with {key}="
                                 f"{state.get(key)!r}, this loader has {key}={mine[key]!r}")
        if (state.get("generator") is None) != (self.generator is None):
            raise ValueError("DataLoader.load_state_dict: the state was saved by a loader "
                             f"{'without' if state.get('generator') is None else 'with'} its own generator; give "
                             "this loader the same generator= / seed= setting")
        done = int(state.get("batches_done", 0))
        order = state.get("order")
        if done and order is not None:
            order = np.asarray(getattr(order, "_data", order), dtype=np.intp)
            if order.ndim != 1 or (len(order) and not 0 <= order.min() <= order.max() < len(self.dataset)):
                raise ValueError("DataLoader.load_state_dict: 'order' is not a valid index order for this dataset "
                                 f"of {len(self.dataset)} samples")
        elif done and state.get("pass_start") is None:
            raise ValueError("DataLoader.load_state_dict: a state in the middle of a pass needs 'order' or 'pass_start'")
        if self.generator is not None:
            rng_of(self.generator).bit_generator.state = state["generator"]
        self._resume = {"batches_done": done, "order": order, "pass_start": state.get("pass_start")} if done else None
        self._batches_done, self._order, self._pass_start = done, order, state.get("pass_start")

    def _finish(self, batch):
        if self.transform is None:
            return batch
        if isinstance(batch, list) and batch:
            batch[0] = apply_transform(self.transform, batch[0], self.generator)
            return batch
        if type(batch) is tuple and batch:
            return (apply_transform(self.transform, batch[0], self.generator),) + batch[1:]
        return apply_transform(self.transform, batch, self.generator)
