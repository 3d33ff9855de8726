"""chainrule's dtypes are NumPy's: ``chainrule.float32 == numpy.float32`` and ``t.dtype`` is a numpy dtype.

Conversion rules follow PyTorch: Python floats become float32 (the default dtype), Python ints
int64, bools bool; NumPy arrays keep their dtype.
"""

from __future__ import annotations

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
