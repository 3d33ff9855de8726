"""PyTorch's legacy tensor types, which older course code still uses: ``torch.FloatTensor(2, 3)``,
``torch.LongTensor(labels)``, ``isinstance(x, torch.FloatTensor)``, ``x.type(torch.LongTensor)``.

Each is a factory with a dtype, not a subclass: calling it makes an ordinary ``Tensor``.
"""

from __future__ import annotations

import numpy as np

from chainrule import dtypes
from chainrule.devices import check as _check_device
from chainrule.tensor import Tensor, _as_array

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
           "ByteTensor", "BoolTensor"]


class _LegacyType(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args, device=None):
        """``T(*sizes)`` (zero-filled: chainrule never hands out uninitialised memory), ``T(data)`` or ``T()``."""
        _check_device(device, cls.__name__)
        if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            return Tensor._wrap(np.zeros(tuple(int(a) for a in args) if args else (0,), cls.dtype))
        if len(args) == 1:
            return Tensor._wrap(np.array(_as_array(args[0]), dtype=cls.dtype))
        raise TypeError(f"{cls.__name__}(): expected sizes (ints) or one sequence of data, got {args!r}")

    def __repr__(cls):
        return f"<class 'chainrule.{cls.__name__}'>"


def _legacy(name, dtype):
    return _LegacyType(name, (), {"dtype": dtype, "__doc__": f"Legacy {dtype} tensor type: ``{name}(2, 3)``, "
                                  f"``{name}([1, 2])``, ``isinstance(x, {name})``."})


FloatTensor = _legacy("FloatTensor", dtypes.float32)
DoubleTensor = _legacy("DoubleTensor", dtypes.float64)
HalfTensor = _legacy("HalfTensor", dtypes.float16)
LongTensor = _legacy("LongTensor", dtypes.int64)
IntTensor = _legacy("IntTensor", dtypes.int32)
ShortTensor = _legacy("ShortTensor", dtypes.int16)
CharTensor = _legacy("CharTensor", dtypes.int8)
ByteTensor = _legacy("ByteTensor", dtypes.uint8)
BoolTensor = _legacy("BoolTensor", dtypes.bool)
