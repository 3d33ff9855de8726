"""Datasets: the map-style ``Dataset`` protocol, ``TensorDataset``, ``Subset``, ``ConcatDataset``, ``random_split``.

A dataset is anything with ``__len__`` and ``__getitem__``. Array-backed datasets additionally implement
``_gather(indices, generator)``, which returns a whole batch (a list of arrays, one per field) with one
fancy-index gather; ``DataLoader`` uses it instead of a Python loop over samples. A subclass that
overrides ``__getitem__`` loses the fast path automatically (see ``supports_gather``), so the loader
never bypasses user code.
"""

from __future__ import annotations

import bisect
import math
import warnings

import numpy as np

from ..errors import SizeMismatchError
from ._util import as_array, is_tensor, resolve_generator, rng_of, wrap
from .transforms import apply_to_sample, apply_transform, is_batchable


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``.

    ``a + b`` concatenates two datasets (a ``ConcatDataset``), as in PyTorch.

    >>> class Squares(Dataset):
    ...     def __len__(self): return 10
    ...     def __getitem__(self, i): return float(i), float(i * i)
    >>> len(Squares() + Squares())
    20
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of datasets that are streams: subclasses define ``__iter__`` (PyTorch's ``IterableDataset``).

    The ``DataLoader`` batches what the iterator yields, in order (``shuffle`` and samplers do not
    apply); ``a + b`` chains two streams.

    >>> class Count(IterableDataset):
    ...     def __iter__(self): return iter(range(5))
    >>> [b.tolist() for b in DataLoader(Count(), batch_size=2)]  # doctest: +SKIP
    [[0, 1], [2, 3], [4]]
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several iterable datasets one after the other.

    Args:
        datasets (iterable of IterableDataset): the streams, in order.
    """

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


class StackDataset(Dataset):
    """Datasets of the same length side by side: sample ``i`` is a tuple (``*args``) or dict (``**kwargs``)
    of each dataset's sample ``i``.

    >>> ds = StackDataset(images=TensorDataset(np.zeros((3, 2))), labels=[0, 1, 2])
    >>> sorted(ds[1])
    ['images', 'labels']
    """

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("StackDataset: give the datasets either positionally (tuple samples) or by "
                             "keyword (dict samples), not both")
        parts = list(args) or list(kwargs.values())
        if not parts:
            raise ValueError("At least one dataset should be passed")
        sizes = {len(d) for d in parts}
        if len(sizes) != 1:
            raise ValueError(f"Size mismatch between datasets: {sorted(sizes)}")
        self._length = sizes.pop()
        self.datasets = args if args else kwargs

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)


def supports_gather(dataset) -> bool:
    """Whether ``dataset`` can deliver whole batches with ``_gather`` (its ``__getitem__`` is not overridden)."""
    cls = type(dataset)
    owner = next((k for k in cls.__mro__ if "_gather" in k.__dict__), None)
    if owner is None or cls.__getitem__ is not owner.__dict__.get("__getitem__"):
        return False
    can = getattr(dataset, "_can_gather", None)
    return can() if can is not None else True


class TensorDataset(Dataset):
    """Dataset wrapping tensors (or NumPy arrays) that share their first dimension.

    Sample ``i`` is ``tuple(t[i] for t in tensors)``. The ``DataLoader`` gathers whole batches with
    one index operation per tensor.

    Args:
        *tensors: tensors or arrays with the same size in dimension 0.
        transform (callable, optional): transform of the first tensor (the inputs), applied per sample
            as torchvision's are; chainrule's batchable transforms run on whole batches in the
            ``DataLoader`` (same result, faster). Default: None.

    Shape:
        - tensors: ``(N, *)`` each.

    >>> import numpy as np
    >>> ds = TensorDataset(np.zeros((4, 2), np.float32), np.arange(4))
    >>> x, y = ds[1]
    >>> tuple(x.shape), int(y)
    ((2,), 1)
    """

    def __init__(self, *tensors, transform=None):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor, got none")
        arrays = [as_array(t) for t in tensors]
        for k, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {k} must have at least one dimension, got a scalar")
        sizes = [len(a) for a in arrays]
        if len(set(sizes)) != 1:
            raise SizeMismatchError(
                f"TensorDataset: all tensors must have the same size in dimension 0, got sizes {sizes}")
        self.tensors = tuple(t if is_tensor(t) else wrap(a) for t, a in zip(tensors, arrays))
        self.transform = transform
        self._arrays = arrays

    def __len__(self) -> int:
        return len(self._arrays[0])

    def __getitem__(self, index):
        items = [np.asarray(a[index]) for a in self._arrays]
        if self.transform is not None:
            items[0] = apply_to_sample(self.transform, items[0])
        return tuple(wrap(x) if isinstance(x, np.ndarray) else x for x in items)

    def _can_gather(self) -> bool:
        return self.transform is None or is_batchable(self.transform)

    def _gather(self, indices: np.ndarray, generator=None) -> list:
        batch = [a.take(indices, axis=0) for a in self._arrays]  # (np.take adds a dispatch: 0.5 us a field)
        if self.transform is not None:
            batch[0] = apply_transform(self.transform, batch[0], generator)
        return batch


def _transform_one(transform, x):
    """``transform`` applied to one sample (see ``transforms.apply_to_sample``)."""
    return apply_to_sample(transform, x)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``.

    Args:
        dataset (Dataset): the whole dataset.
        indices (sequence of int): the indices of the samples to keep, in order.

    >>> sub = Subset(TensorDataset(np.arange(10)), [7, 2])
    >>> [int(sub[i][0]) for i in range(len(sub))]
    [7, 2]
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices
        index = np.asarray(as_array(indices))
        if index.size == 0:
            index = index.astype(np.intp)
        if index.ndim != 1 or index.dtype.kind not in "iu":
            raise TypeError(
                f"Subset: indices must be a 1-D sequence of ints, got {index.dtype} with shape {index.shape}"
            )
        self._index = index.astype(np.intp, copy=False)

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[int(self._index[i]) for i in idx]]
        j = self.indices[idx]
        return self.dataset[int(j) if isinstance(j, np.integer) else j]

    def _can_gather(self) -> bool:
        return supports_gather(self.dataset)

    def _gather(self, indices: np.ndarray, generator=None) -> list:
        return self.dataset._gather(self._index[indices], generator)


class ConcatDataset(Dataset):
    """The concatenation of several datasets, one after the other.

    Args:
        datasets (iterable of Dataset): the parts, in order.

    >>> ds = ConcatDataset([TensorDataset(np.arange(3)), TensorDataset(np.arange(5))])
    >>> len(ds), ds.cumulative_sizes
    (8, [3, 8])
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise IndexError(f"ConcatDataset: index {idx} is out of range for length {len(self)}")
            idx += len(self)
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[d - 1] if d > 0 else 0
        return self.datasets[d][idx - start]

    def _can_gather(self) -> bool:
        return all(supports_gather(d) for d in self.datasets)

    def _gather(self, indices: np.ndarray, generator=None) -> list:
        which = np.searchsorted(self.cumulative_sizes, indices, side="right")
        starts = np.concatenate([[0], self.cumulative_sizes[:-1]])
        parts = [(which == d, d) for d in np.unique(which)]
        if len(parts) == 1:  # common case: no reassembly needed
            d = parts[0][1]
            return self.datasets[d]._gather(indices - starts[d], generator)
        gathered = [(mask, self.datasets[d]._gather(indices[mask] - starts[d], generator)) for mask, d in parts]
        out = []
        for f in range(len(gathered[0][1])):
            pieces = [g[f] for _, g in gathered]
            field = np.empty((len(indices),) + pieces[0].shape[1:], np.result_type(*pieces))
            for (mask, _), piece in zip(gathered, pieces):
                field[mask] = piece
            out.append(field)
        return out


def random_split(dataset, lengths, generator=None, *, seed=None) -> list[Subset]:
    """Randomly split ``dataset`` into non-overlapping ``Subset``s of the given lengths.

    Fractions that sum to 1 are turned into lengths as PyTorch does: ``floor(n * frac)`` each, then
    the remainder is handed out one by one, round-robin from the first subset.

    Args:
        dataset (Dataset): the dataset to split.
        lengths (sequence of int or float): the lengths, or fractions summing to 1.
        generator (Generator, optional): source of the permutation. Default: the global generator.
        seed (int, optional): shorthand for ``generator=Generator().manual_seed(seed)``. Default: None.

    >>> train, val = random_split(TensorDataset(np.arange(10)), [0.8, 0.2], seed=0)
    >>> len(train), len(val)
    (8, 2)
    """
    generator = resolve_generator(generator, seed, "random_split")
    n = len(dataset)
    lengths = list(lengths)
    for i, v in enumerate(lengths):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"random_split: lengths[{i}] must be an int or a float, got {type(v).__name__}")
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(f"random_split: fraction lengths[{i}]={frac} is not between 0 and 1")
        sizes = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; this split will be empty",
                              stacklevel=2)
    else:
        sizes = [int(v) for v in lengths]
        if any(v != s for v, s in zip(lengths, sizes)) or any(s < 0 for s in sizes):
            raise ValueError(
                f"random_split: lengths must be non-negative ints or fractions summing to 1, got {lengths}"
            )
        if sum(sizes) != n:
            raise ValueError(
                f"random_split: lengths sum to {sum(sizes)} but the dataset has {n} samples"
            )
    perm = rng_of(generator).permutation(n)
    bounds = np.cumsum([0] + sizes)
    return [Subset(dataset, perm[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
