"""Tensor factories with PyTorch's signatures: ``tensor``, ``zeros``, ``randn``, ``arange`` ..."""

from __future__ import annotations

import numpy as np

from chainrule import dtypes
from chainrule.devices import check as _check_device
from chainrule.random import rng_of
from chainrule.tensor import Tensor, _as_array, _shape_arg


def _new(arr, dtype=None, requires_grad=False, device=None):
    if device is not None:
        _check_device(device)
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def _float(dtype):
    return dtypes.get_default_dtype() if dtype is None else np.dtype(dtype)


def tensor(data, dtype=None, requires_grad=False, device=None) -> Tensor:
    """A new tensor holding a copy of ``data`` (list, number, NumPy array or tensor).

    Python floats become float32, ints int64, bools bool; NumPy arrays keep their dtype.

    >>> tensor([[1.0, 2.0]]).shape
    Size([1, 2])
    """
    src = data._data if isinstance(data, Tensor) else data
    arr = _as_array(src, dtype)
    if arr is src or (isinstance(src, np.ndarray) and np.shares_memory(arr, src)):
        arr = arr.copy()
    return _new(arr, requires_grad=requires_grad, device=device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array (or tensor) when no conversion is needed."""
    _check_device(device, "as_tensor")
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtype):
        return data
    return Tensor._wrap(_as_array(data, dtype))


def from_numpy(array: np.ndarray) -> Tensor:
    """Wrap a NumPy array without copying: changes to one show in the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


def zeros(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _new(np.zeros(_shape_arg(size), _float(dtype)), requires_grad=requires_grad, device=device)


def ones(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _new(np.ones(_shape_arg(size), _float(dtype)), requires_grad=requires_grad, device=device)


def empty(*size, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _new(np.empty(_shape_arg(size), _float(dtype)), requires_grad=requires_grad, device=device)


def full(size, fill_value, dtype=None, requires_grad=False, device=None) -> Tensor:
    if dtype is None:
        dtype = _as_array(fill_value).dtype
    return _new(np.full(_shape_arg((size,)), fill_value, dtype), requires_grad=requires_grad, device=device)


def zeros_like(input, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _new(np.zeros_like(input._data, dtype=dtype), requires_grad=requires_grad, device=device)


def ones_like(input, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _new(np.ones_like(input._data, dtype=dtype), requires_grad=requires_grad, device=device)


def full_like(input, fill_value, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _new(np.full_like(input._data, fill_value, dtype=dtype), requires_grad=requires_grad, device=device)


def empty_like(input, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _new(np.empty_like(input._data, dtype=dtype), requires_grad=requires_grad, device=device)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive); int64 when all arguments are ints, else float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else dtypes.get_default_dtype()
    return _new(np.arange(start, end, step, dtype=np.float64 if np.dtype(dtype).kind == "f" else dtype),
                dtype, requires_grad, device=device)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _new(np.linspace(start, end, steps), _float(dtype), requires_grad, device=device)


def eye(n, m=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    return _new(np.eye(n, m, dtype=_float(dtype)), requires_grad=requires_grad, device=device)


def randn(*size, generator=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Standard normal samples from ``generator`` (the global one, seeded by ``manual_seed``)."""
    arr = rng_of(generator).standard_normal(_shape_arg(size), dtype=np.float64)
    return _new(arr, _float(dtype), requires_grad, device=device)


def rand(*size, generator=None, dtype=None, requires_grad=False, device=None) -> Tensor:
    """Uniform samples in [0, 1)."""
    arr = rng_of(generator).random(_shape_arg(size), dtype=np.float64)
    return _new(arr, _float(dtype), requires_grad, device=device)


def randint(low, high=None, size=(), generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Integers in [low, high) (``randint(high, size)`` also accepted, as torch)."""
    if high is None:
        low, high = 0, low
    elif isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    if low >= high:
        raise RuntimeError(f"randint: expected low < high, got low={low} and high={high}")
    arr = rng_of(generator).integers(low, high, size=_shape_arg((size,)), dtype=np.int64)
    return _new(arr, dtype, device=device)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _new(rng_of(generator).permutation(n).astype(np.int64), dtype, device=device)


def randn_like(input, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return randn(input.shape, generator=generator, dtype=dtype or input.dtype, requires_grad=requires_grad,
                 device=device)


def rand_like(input, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return rand(input.shape, generator=generator, dtype=dtype or input.dtype, requires_grad=requires_grad,
                device=device)
