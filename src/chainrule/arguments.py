"""The argument forms PyTorch users write, turned into what NumPy takes: dims, shapes, indices, devices.

``Tensor`` methods and the factories call these; they raise PyTorch's errors with PyTorch's wording
(``Dimension out of range (expected to be in range of [-2, 1], but got 2)``).
"""

from __future__ import annotations

import builtins

import numpy as np


def dims(dim, ndim: int, axis=None):
    """``dim`` (an int, a tuple, negative, or None; NumPy's ``axis=`` also accepted) as a tuple of axes.

    None when neither is given (reduce over everything); ``()`` for a 0-d tensor, whose only valid
    dims are 0 and -1.
    """
    if dim is None:
        dim = axis
    if dim is None:
        return None
    given = (dim,) if isinstance(dim, (builtins.int, np.integer)) else tuple(dim)
    span = builtins.max(ndim, 1)
    for d in given:
        if not -span <= d < span:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-span}, {span - 1}], but got {d})")
    return () if ndim == 0 else tuple(d % ndim for d in given)


def one_dim(dim, ndim: int, axis, name: str):
    """The single axis that softmax-like ops normalise over (None for a 0-d tensor); ``dim`` is required."""
    axes = dims(dim, ndim, axis)
    if axes is None:
        raise TypeError(f"{name}() needs the dim to normalise over, e.g. {name}(dim=1) for (batch, classes) rows")
    return axes[0] if axes else None


def shape(args) -> tuple:
    """``f(2, 3)`` or ``f((2, 3))`` (a tuple, list or Size): the shape as a tuple of ints."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    return tuple(builtins.int(n) for n in args)


def index(key):
    """An index with tensors and lists inside turned into arrays NumPy understands."""
    if isinstance(key, tuple):
        return tuple(index(k) for k in key)
    data = getattr(key, "_data", None)  # a Tensor
    if isinstance(data, np.ndarray):
        return data
    if isinstance(key, list):
        arr = np.asarray([getattr(k, "_data", k) for k in key])
        return arr.astype(np.intp) if arr.size == 0 else arr  # x[[]] selects nothing (np.asarray([]) is float)
    return key


def check_device(device, where: str = "Tensor.to") -> None:
    """chainrule runs on the CPU: CPU devices (or None) are accepted, anything else raises ``DeviceError``."""
    from chainrule.devices import check

    check(device, where)
