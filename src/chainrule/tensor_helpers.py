"""The small functions that ``Tensor`` (chainrule/tensor.py) and its method groups (``tensor_*.py``) share:
raw arrays of operands, float promotion, ``where``, and turning user data into arrays.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from chainrule import dtypes
from chainrule.ops.elementwise import Where

Tensor = None  # the Tensor class, handed over by chainrule.tensor once it exists (as to the ops; see its end)

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _as_array(data, dtype=None):
    """Convert user data to an ndarray with PyTorch's dtype rules."""
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, (np.ndarray, np.generic)):
        arr = np.asarray(data)  # NumPy arrays and scalars keep their dtype, as in torch
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
            data = [x._data if isinstance(x, Tensor) else x for x in data]
        try:
            arr = np.asarray(data)
        except ValueError:
            raise ValueError(
                "tensor(): nested lists must be rectangular (every row the same length, like a matrix); "
                f"got rows of different lengths in {str(data)[:80]}"
            ) from None
        if dtype is None:
            if arr.dtype.kind == "f":
                arr = arr.astype(dtypes.get_default_dtype(), copy=False)
            elif arr.dtype.kind in "iu":
                arr = arr.astype(np.int64, copy=False)
            elif arr.dtype.kind not in "bc":
                raise TypeError(f"tensor(): could not convert data of type {type(data).__name__} (numpy dtype {arr.dtype})")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    return arr


def _raw(x):
    return x._data if isinstance(x, Tensor) else x


def _float_operands(a, b):
    """True division of integers gives the default float dtype, as torch."""
    if isinstance(a, Tensor) and a._data.dtype.kind in "biu":
        a = a.to(dtypes.get_default_dtype())
    if isinstance(b, Tensor) and b._data.dtype.kind in "biu":
        b = b.to(dtypes.get_default_dtype())
    return a, b


def _floating(t):
    return t if t._data.dtype.kind in "fc" else t.to(dtypes.get_default_dtype())


def _arg_reduce(fn, t, dim, keepdim):
    if dim is None:
        return Tensor._wrap(np.asarray(fn(t._data), dtype=np.int64))
    (ax,) = t._axes(dim) or (None,)
    out = fn(t._data, axis=ax, keepdims=keepdim) if ax is not None else fn(t._data)
    return Tensor._wrap(np.asarray(out, dtype=np.int64))


def where(condition, input, other):
    """Elements of ``input`` where ``condition`` holds, else of ``other`` (either may be a number)."""
    cond = _raw(condition)
    if not isinstance(cond, np.ndarray) or cond.dtype != np.bool_:
        cond = np.asarray(cond, dtype=bool)
    if isinstance(input, Tensor):
        input, other = input._operands(other)
    elif isinstance(other, Tensor):
        other, input = other._operands(input)
    else:
        input = Tensor(_as_array(input))
    return Where.apply(cond, input, other)
