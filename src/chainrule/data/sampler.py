"""Samplers: the order in which a ``DataLoader`` visits a dataset, as in ``torch.utils.data``.

Built-in samplers also expose ``_indices()``, the whole epoch's order as one NumPy array, so the
loader slices batches out of it without a Python loop over indices.
"""

from __future__ import annotations

import numpy as np

from ._util import as_array, rng_of


def _has_fast_indices(sampler) -> bool:
    """Whether ``sampler._indices()`` gives the same order as iterating it (``__iter__`` not overridden)."""
    cls = type(sampler)
    owner = next((k for k in cls.__mro__ if "_indices" in k.__dict__), None)
    return owner is not None and cls.__iter__ is owner.__dict__.get("__iter__")


class Sampler:
    """Base class: subclasses define ``__iter__`` over dataset indices (and usually ``__len__``)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order.

    Args:
        data_source (Dataset): the dataset (only its length is used).

    >>> list(SequentialSampler(range(3)))
    [0, 1, 2]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def _indices(self) -> np.ndarray:
        return np.arange(len(self.data_source))

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random order on every pass (``iter()``).

    Args:
        data_source (Dataset): the dataset (only its length is used).
        replacement (bool): draw with replacement. Default: False.
        num_samples (int, optional): how many indices per pass. Default: ``len(data_source)``.
        generator (Generator, optional): source of randomness. Default: the global generator.

    >>> import chainrule
    >>> sorted(RandomSampler(range(4), generator=chainrule.Generator().manual_seed(0)))
    [0, 1, 2, 3]
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement must be a bool, got {replacement!r}")
        if num_samples is not None and (not isinstance(num_samples, (int, np.integer)) or num_samples <= 0):
            raise ValueError(f"RandomSampler: num_samples must be a positive int, got {num_samples!r}")
        self.data_source, self.replacement, self._num_samples = data_source, replacement, num_samples
        self.generator = generator

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else int(self._num_samples)

    def _indices(self) -> np.ndarray:
        rng, n, k = rng_of(self.generator), len(self.data_source), self.num_samples
        if self.replacement:
            return rng.integers(0, n, size=k)
        if k == n:
            return rng.permutation(n)
        # as torch: whole permutations back to back, then part of one more
        return np.concatenate([rng.permutation(n) for _ in range(-(-k // n))])[:k]

    def __iter__(self):
        return iter(self._indices().tolist())

    def __len__(self) -> int:
        return self.num_samples


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights`` (e.g. to balance classes).

    Args:
        weights (sequence of float): one non-negative weight per index; need not sum to 1.
        num_samples (int): indices per pass.
        replacement (bool): draw with replacement. Default: True.
        generator (Generator, optional): source of randomness. Default: the global generator.

    >>> import chainrule
    >>> list(WeightedRandomSampler([0.0, 1.0, 0.0], 3, generator=chainrule.Generator().manual_seed(0)))
    [1, 1, 1]
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples!r}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement!r}")
        w = np.asarray(as_array(weights), dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {w.shape}")
        if np.any(w < 0) or not np.all(np.isfinite(w)) or w.sum() <= 0:
            raise RuntimeError("WeightedRandomSampler: weights must be non-negative, finite, with a positive sum")
        if not replacement and num_samples > np.count_nonzero(w):
            raise RuntimeError(f"cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                               f"({num_samples} > {np.count_nonzero(w)} non-zero weights)")
        self.weights, self.num_samples, self.replacement, self.generator = w, int(num_samples), replacement, generator

    def _indices(self) -> np.ndarray:
        rng = rng_of(self.generator)
        if self.replacement:
            cdf = np.cumsum(self.weights)
            return np.searchsorted(cdf, rng.random(self.num_samples) * cdf[-1], side="right")
        with np.errstate(divide="ignore"):  # Gumbel top-k: sampling without replacement in one step
            keys = np.log(self.weights) + rng.gumbel(size=len(self.weights))
        return np.argsort(-keys, kind="stable")[:self.num_samples]

    def __iter__(self):
        return iter(self._indices().tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a fresh random order on every pass.

    Args:
        indices (sequence of int): the indices to draw from.
        generator (Generator, optional): source of randomness. Default: the global generator.

    >>> sorted(SubsetRandomSampler([5, 1, 3]))
    [1, 3, 5]
    """

    def __init__(self, indices, generator=None):
        self.indices, self.generator = indices, generator
        self._index = np.asarray(as_array(indices), dtype=np.intp)

    def _indices(self) -> np.ndarray:
        return self._index[rng_of(self.generator).permutation(len(self._index))]

    def __iter__(self):
        return iter(self._indices().tolist())

    def __len__(self) -> int:
        return len(self._index)


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    Args:
        sampler (Sampler or iterable): the indices.
        batch_size (int): size of each batch.
        drop_last (bool): drop the final batch if it is smaller than ``batch_size``.

    >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(
                f"BatchSampler: batch_size should be a positive integer value, but got batch_size={batch_size!r}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean value, but got drop_last={drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), drop_last

    def _batches(self):
        """Batches as index arrays: slices of one epoch-long array when the sampler has one."""
        if _has_fast_indices(self.sampler):
            yield from self._slices(self.sampler._indices())
        else:
            for batch in self:
                yield np.asarray(batch, dtype=np.intp)

    def _slices(self, order: np.ndarray, start: int = 0):
        """The batches of the epoch order ``order``, from batch ``start`` on (a DataLoader resuming mid-epoch)."""
        bs = self.batch_size
        stop = len(order) - len(order) % bs if self.drop_last else len(order)
        return (order[i:i + bs] for i in range(start * bs, stop, bs))

    def __iter__(self):
        if _has_fast_indices(self.sampler):
            for b in self._batches():
                yield b.tolist()
            return
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
