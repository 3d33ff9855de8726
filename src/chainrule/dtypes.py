"""chainrule's dtypes are NumPy's: ``chainrule.float32 == numpy.float32`` and ``t.dtype`` is a numpy dtype.

Conversion rules follow PyTorch: Python floats become float32 (the default dtype), Python ints
int64, bools bool; NumPy arrays keep their dtype. The promotion rules (the dtype of an op on two
operands) are at the end of this file.
"""

from __future__ import annotations

import builtins

import numpy as np

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool = np.dtype(np.bool_)  # noqa: A001 - PyTorch's name

_default_float = float32


def get_default_dtype():
    """The dtype that Python floats become (float32 unless changed)."""
    return _default_float


def set_default_dtype(dtype) -> None:
    """Make Python floats become ``dtype`` (float32 or float64), as ``torch.set_default_dtype``."""
    global _default_float
    d = np.dtype(dtype)
    if d.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating point dtype, got {d}")
    _default_float = d


def is_floating_point(dtype) -> "bool":
    return np.dtype(dtype).kind == "f"


# -- promotion: PyTorch's rules for the dtype of a binary op ------------------------------------------
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def category(dtype) -> "int":
    """PyTorch's dtype category, lowest first: bool 0, integers 1, floating 2, complex 3."""
    return _CATEGORY[dtype.kind]


def promote_types(da, db):
    """The dtype of an op on two tensors with dimensions: the higher category wins, as is.

    ``int64 + float32`` is float32 (NumPy would widen to float64); within one category NumPy's
    widening applies (``float32 + float64`` is float64).
    """
    ca, cb = _CATEGORY[da.kind], _CATEGORY[db.kind]
    if ca != cb:
        return da if ca > cb else db
    return np.promote_types(da, db)


def result_type(a, b):
    """The dtype of an op on arrays ``a`` and ``b``: ``promote_types``, except that a 0-d array does
    not widen a dimensioned one of the same category (``x32 * tensor(2.0, dtype=float64)`` is float32).
    """
    da, db = a.dtype, b.dtype
    if _CATEGORY[da.kind] == _CATEGORY[db.kind]:
        if a.ndim == 0 and b.ndim != 0:
            return db
        if b.ndim == 0 and a.ndim != 0:
            return da
    return promote_types(da, db)


def scalar_result_type(dtype, value):
    """The dtype of an op on a tensor of integer or bool ``dtype`` and a Python number ``value``.

    A Python number never widens a tensor of its own category (``float32 * 2.0`` stays float32): only
    a float with an integer or bool tensor gives the default float dtype, and an int with a bool
    tensor int64. Returns None when the tensor's dtype stays.
    """
    if isinstance(value, builtins.float) and dtype.kind in "biu":
        return _default_float
    if isinstance(value, builtins.int) and not isinstance(value, builtins.bool) and dtype.kind == "b":
        return int64
    return None
