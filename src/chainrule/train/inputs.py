"""What ``fit``, ``evaluate`` and ``predict`` accept as data (a Dataset, a DataLoader, ``(X, y)``) turned into loaders."""

from __future__ import annotations

import numpy as np

import chainrule as cr

from .metrics import _array

_EVAL_BATCH = 256  # no backward pass to pay for: bigger batches are faster and give the same means


def fit_loaders(train_data, val_data, val_split, batch_size, shuffle, transform, generator):
    """The training loader, the validation loader (or None) and the training Dataset (None for a loader)."""
    from chainrule.data import DataLoader

    train_set = _dataset_or_none(train_data, "train_data")
    val_set = _dataset_or_none(val_data, "val_data") if val_data is not None else None
    if val_split > 0:
        if val_data is not None:
            raise ValueError("fit: pass either val_data or val_split, not both")
        if train_set is None:
            raise ValueError("fit: val_split needs train_data as a Dataset or (X, y), got a "
                             f"{type(train_data).__name__}; split the data first (chainrule.data.random_split) "
                             "and pass val_data")
        train_set, val_set = _split(train_set, val_split, generator)
    if train_set is None:
        if transform is not None:
            raise ValueError("fit: transform applies to a Dataset or (X, y); give it to your DataLoader instead")
        train_loader = train_data
    else:
        train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=shuffle, generator=generator,
                                  transform=transform)
    val_loader = val_data  # None, or a loader used as given
    if val_set is not None:
        val_loader = DataLoader(val_set, batch_size=max(batch_size, _EVAL_BATCH))
    return train_loader, val_loader, train_set


def xy_pairs(loader, where: str):
    return (unpack(batch, where) for batch in loader)


def unpack(batch, where: str):
    if isinstance(batch, (list, tuple)) and len(batch) == 2:
        return batch[0], batch[1]
    got = f"{len(batch)} fields" if isinstance(batch, (list, tuple)) else f"a {type(batch).__name__}"
    raise ValueError(f"{where}: expected every batch to be (inputs, targets), got {got}")


def _as_field(a):
    # (X, y) given as arrays: the dtypes PyTorch code expects (float32 inputs, int64 class indices)
    if isinstance(a, cr.Tensor):
        return a
    a = np.asarray(a)
    if a.dtype == np.float64:
        return a.astype(cr.get_default_dtype())
    if a.dtype.kind in "iu" and a.dtype != np.int64:
        return a.astype(np.int64)
    return a


def _dataset_or_none(data, where: str):
    """``data`` as a Dataset (a tuple ``(X, y)`` becomes a TensorDataset), or None for a loader."""
    from chainrule.data import Dataset, TensorDataset

    if isinstance(data, tuple):
        if len(data) != 2:
            raise ValueError(f"fit: {where} as a tuple must be (X, y), got {len(data)} items")
        return TensorDataset(_as_field(data[0]), _as_field(data[1]))
    if isinstance(data, (np.ndarray, cr.Tensor)):
        raise TypeError(f"fit: {where} is a single array; pass inputs and targets together as (X, y)")
    if isinstance(data, Dataset) or (hasattr(data, "__getitem__") and hasattr(data, "__len__")
                                      and not isinstance(data, list)):  # a list is taken as a list of batches
        return data
    if not hasattr(data, "__iter__"):
        raise TypeError(f"fit: {where} must be a Dataset, a DataLoader or a tuple (X, y), got {type(data).__name__}")
    return None


def as_loader(data, batch_size: int):
    dataset = _dataset_or_none(data, "data")
    if dataset is None:
        return data
    from chainrule.data import DataLoader

    return DataLoader(dataset, batch_size=batch_size)


def _split(dataset, val_split: float, generator):
    from chainrule.data import random_split

    n = len(dataset)
    n_val = int(round(n * val_split))
    if not 0 < n_val < n:
        raise ValueError(f"fit: val_split={val_split} of {n} samples leaves {n_val} for validation and "
                         f"{n - n_val} for training; both need at least one")
    return random_split(dataset, [n - n_val, n_val], generator=generator)


def input_batches(data, batch_size: int):
    if isinstance(data, (np.ndarray, cr.Tensor)):
        X = _array(_as_field(data))
        for start in range(0, len(X), batch_size):
            yield cr.from_numpy(X[start:start + batch_size])
        return
    for batch in as_loader(data, batch_size):
        yield batch[0] if isinstance(batch, (list, tuple)) else batch


def len_or_none(obj):
    try:
        return len(obj)
    except TypeError:
        return None
