"""``Tensor``: a NumPy array that remembers how it was computed.

Every differentiable method is a one-line call into an op in ``chainrule/ops``; this file holds the
argument handling PyTorch users expect (``dim`` or ``axis``, ``keepdim``, ``*shape`` or a tuple) and
the dtype rules (a Python number never promotes a float32 tensor).
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from chainrule import devices as _device
from chainrule import arguments, dtypes
from chainrule.arguments import check_device as _check_device
from chainrule.arguments import index as _index
from chainrule.arguments import shape as _shape_arg
from chainrule.autograd import engine, op
from chainrule.autograd.functional import grad as _grad
from chainrule.autograd.grad_mode import GradMode
from chainrule.ops.activation import Relu, Sigmoid, Tanh
from chainrule.ops.elementwise import (
    Abs, Add, Clamp, Copy, Cos, Div, Exp, FloorDivide, Log, Log1p, Maximum, Minimum, Mul, Neg, Pow, Remainder, Sin,
    Sqrt, Sub, Where,
)
from chainrule.ops.elementwise import Expm1, Log2, Log10
from chainrule.ops.index import GetItem
from chainrule.ops.math import (
    Acos, Asin, Atan, Atan2, Cosh, Cumsum, Erf, Exp2, Flip, Gather, IndexAdd, Prod, Reciprocal, Roll, Round, Rsqrt,
    Scatter, Sinh, Tan,
)
from chainrule.ops.matmul import MatMul
from chainrule.ops.reduce import Amax, LogSoftmax, LogSumExp, MaxAll, MaxDim, Mean, Softmax, Std, Sum, Var
from chainrule.ops.shape import Expand, Permute, Reshape
from chainrule.random import rng_of

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])
_NUMBER = (builtins.int, builtins.float, builtins.bool)


class Size(tuple):
    """A tensor's shape: a tuple that prints like PyTorch's ``torch.Size([2, 3])``."""

    def __repr__(self):
        return f"Size({list(self)})"

    def numel(self):
        return builtins.int(np.prod(self))


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


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Args:
        data: a NumPy array (kept as is, no copy), or a list or float (made float32, as ``torch.Tensor``);
            ints or a ``Size`` are sizes, as in PyTorch: ``Tensor(2, 3)`` is a 2x3 float32 tensor (of zeros).
        requires_grad (bool, keyword): record operations on this tensor for ``backward()``. Default False.

    >>> x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
    """

    __slots__ = ("_data", "grad", "_requires_grad", "_ctx", "__weakref__")
    __array_priority__ = 1000  # `ndarray + tensor` calls Tensor.__radd__
    __hash__ = object.__hash__  # identity, as in PyTorch (== is elementwise)

    def __init__(self, data=(), *sizes, requires_grad=False):
        # like torch.Tensor(...): lists and numbers become the default float dtype; arrays keep theirs.
        # torch.Tensor(2, 3) / Tensor(Size([2, 3])) / Tensor() give that shape (zeros, never uninitialised memory)
        if sizes and len(sizes) == 1 and isinstance(sizes[0], builtins.bool):
            requires_grad, sizes = sizes[0], ()  # chainrule's older Tensor(data, requires_grad)
        if (type(data) is builtins.int and all(type(n) is builtins.int for n in sizes)) or isinstance(data, Size) \
                or (isinstance(data, tuple) and not data and not sizes):
            shape = (data,) + sizes if type(data) is builtins.int else tuple(data) if data else (0,)
            data = np.zeros(shape, dtypes.get_default_dtype())
        elif sizes:
            raise TypeError(f"Tensor(): expected sizes (ints) or one piece of data, got {(data,) + sizes!r}")
        arr = _as_array(data, None if isinstance(data, (np.ndarray, Tensor)) else dtypes.get_default_dtype())
        self._data = arr
        self.grad = None
        self._ctx = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _wrap(cls, arr, requires_grad=False):
        """Fast constructor around an existing ndarray (no checks, no copy)."""
        t = cls.__new__(cls)
        t._data = arr
        t.grad = None
        t._ctx = None
        t._requires_grad = requires_grad
        return t

    # -- autograd attributes ------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """Whether operations on this tensor are recorded for backward (settable on leaves)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only tensors of floating point dtype can require gradients, got {self._data.dtype}; "
                "convert first with .float()"
            )
        if not value and self._ctx is not None:
            raise RuntimeError("requires_grad can only be switched off on leaf tensors; use .detach() instead")
        self._requires_grad = builtins.bool(value)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place and return this tensor (``w.requires_grad_()``)."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (not by an op): their ``.grad`` is kept after backward."""
        return self._ctx is None

    @property
    def grad_fn(self):
        """The op node that made this tensor (None for leaves): ``y.grad_fn.name() == 'MulBackward'``."""
        return self._ctx

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor during backward (leaves keep it anyway)."""
        if self._ctx is not None:
            self._ctx.retained = self

    def backward(self, gradient=None, retain_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see ``autograd/engine.py``)."""
        if not self._requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn: nothing "
                "in its computation has requires_grad=True (or it was computed under no_grad())"
            )
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            grads = _grad([self], inputs, [gradient] if gradient is not None else None,
                          retain_graph=retain_graph, allow_unused=True)
            for t, g in zip(inputs, grads):
                if g is not None:
                    t.grad = g if t.grad is None else Tensor._wrap(t.grad._data + g._data)
            return
        engine.run_backward([self], [engine.seed_gradient(self, gradient)], retain_graph=retain_graph)

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory, as in PyTorch)."""
        return Tensor._wrap(self._data)

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place and return it."""
        self._ctx = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        """The same values as a tensor detached from the graph, sharing memory (``w.data -= lr * w.grad``)."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value):
        self._data = _as_array(value)

    # -- basic properties and conversion ---------------------------------------------------------
    @property
    def shape(self) -> Size:
        """The tensor's shape as a ``Size`` (a tuple): ``torch.zeros(2, 3).shape == (2, 3)``."""
        return Size(self._data.shape)

    def size(self, dim=None):
        """The shape (``size()``), or the length of dimension ``dim`` (``size(1)``)."""
        return Size(self._data.shape) if dim is None else self._data.shape[dim]

    @property
    def dtype(self):
        """The element type, a NumPy dtype (``chainrule.float32 is np.dtype('float32')``)."""
        return self._data.dtype

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    def dim(self) -> int:
        """The number of dimensions (``x.dim() == x.ndim``)."""
        return self._data.ndim

    def numel(self) -> int:
        """The number of elements."""
        return self._data.size

    def element_size(self) -> int:
        """Bytes per element (4 for float32)."""
        return self._data.itemsize

    @property
    def device(self):
        """Always ``device(type='cpu')``: chainrule computes with NumPy on the CPU."""
        return _device.CPU

    @property
    def T(self) -> Tensor:
        """The tensor with all dimensions reversed (the transpose of a matrix)."""
        return self.permute(*reversed(range(self._data.ndim)))

    @property
    def mT(self) -> Tensor:
        """The last two dimensions swapped (a batch of matrices transposed)."""
        return self.transpose(-2, -1)

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array sharing memory (raises if the tensor requires grad, as PyTorch)."""
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on a tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a tensor with {self._data.size} elements cannot be converted to a Python number")
        return self._data.item()

    def tolist(self):
        """The values as (nested) Python lists of numbers."""
        return self._data.tolist()

    def to(self, *args, dtype=None, **kwargs) -> Tensor:
        """``to(dtype)``, ``to(other_tensor)`` or ``to('cpu')``: a cast that keeps the graph."""
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, _device.device)) or a is None:
                _check_device(a)
            else:
                dtype = a
        _check_device(kwargs.get("device"))
        if dtype is None or np.dtype(dtype) == self._data.dtype:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind not in "fc":  # integer and bool results carry no gradient, as in torch
            return Tensor._wrap(self._data.astype(dtype))
        return Copy.apply(self, dtype=dtype)

    def float(self) -> Tensor:
        """This tensor as float32 (itself if it is float32 already); gradients flow through the cast."""
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        """This tensor as float64 (itself if it is float64 already); gradients flow through the cast."""
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        """This tensor as float16 (itself if it is float16 already); gradients flow through the cast."""
        return self.to(dtypes.float16)

    def long(self) -> Tensor:
        """An int64 copy of this tensor, without gradient (itself if it is int64 already)."""
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        """An int32 copy of this tensor, without gradient (itself if it is int32 already)."""
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        """A bool copy of this tensor, without gradient (itself if it is bool already)."""
        return self.to(dtypes.bool)

    def type_as(self, other) -> Tensor:
        """This tensor cast to ``other``'s dtype."""
        return self.to(other.dtype)

    def cpu(self) -> Tensor:
        """This tensor (chainrule tensors always live on the CPU)."""
        return self

    def contiguous(self) -> Tensor:
        """This tensor (NumPy handles the memory layout)."""
        return self

    def is_floating_point(self) -> bool:
        """Whether the dtype is a floating-point type."""
        return self._data.dtype.kind == "f"

    def clone(self) -> Tensor:
        """A copy with its own memory that stays in the graph (gradients flow back to this tensor)."""
        return Copy.apply(self)

    # -- printing --------------------------------------------------------------------------------
    def __repr__(self):
        d = self._data
        # like PyTorch: whole numbers print as "2.", anything else with 4 fixed decimals
        whole = d.dtype.kind != "f" or not d.size or builtins.bool(np.all(np.mod(d[np.isfinite(d)], 1) == 0))
        body = np.array2string(d, separator=", ", prefix="tensor(", precision=4,
                               floatmode="maxprec" if whole else "fixed")
        extras = []
        if self._data.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool):
            extras.append(f"dtype=chainrule.{self._data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name()}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of a tensor with {self._data.size} values is ambiguous; use .any() or .all()")
        return builtins.bool(self._data)

    def __float__(self):
        return builtins.float(self.item())

    def __int__(self):
        return builtins.int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self._data)

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    # -- arithmetic ------------------------------------------------------------------------------
    def _operands(self, other, broadcast: bool = True):
        """Pair ``self`` with ``other`` under PyTorch's promotion rules; returns (a, b).

        With ``broadcast`` (elementwise ops) the shapes must broadcast; checked here so that NumPy's
        error text never reaches the user.
        """
        if isinstance(other, Tensor):
            sa, sb = self._data.shape, other._data.shape
            # (the slices: a trailing-shape match such as a bias row needs no loop)
            if broadcast and sa != sb and sa[len(sa) - len(sb):] != sb and sb[len(sb) - len(sa):] != sa:
                for i, (x, y) in enumerate(zip(reversed(sa), reversed(sb))):
                    if x != y and x != 1 and y != 1:
                        raise RuntimeError(
                            f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                            f"dimension {max(len(sa), len(sb)) - 1 - i}: shapes {tuple(sa)} and {tuple(sb)} cannot "
                            "be broadcast together (aligned from the right, sizes must be equal or 1)")
            da, db = self._data.dtype, other._data.dtype
            if da is db or da == db:
                return self, other
            target = dtypes.result_type(self._data, other._data)
            return self.to(target), other.to(target)
        if isinstance(other, _NUMBER) or isinstance(other, np.generic):
            if isinstance(other, np.generic):
                other = other.item()
            if self._data.dtype.kind in "biu":  # a Python number never widens a float tensor
                target = dtypes.scalar_result_type(self._data.dtype, other)
                if target is not None:
                    return self.to(target), other
            return self, other
        return self._operands(Tensor(_as_array(other)), broadcast)

    def __add__(self, other):
        """``self + other`` elementwise, broadcasting (``add``)."""
        a, b = self._operands(other)
        return Add.apply(a, b)

    def __radd__(self, other):
        a, b = self._operands(other)
        return Add.apply(b, a)

    def __sub__(self, other):
        """``self - other`` elementwise, broadcasting (``sub``)."""
        a, b = self._operands(other)
        return Sub.apply(a, b)

    def __rsub__(self, other):
        a, b = self._operands(other)
        return Sub.apply(b, a)

    def __mul__(self, other):
        """``self * other`` elementwise, broadcasting (``mul``)."""
        a, b = self._operands(other)
        return Mul.apply(a, b)

    def __rmul__(self, other):
        a, b = self._operands(other)
        return Mul.apply(b, a)

    def __truediv__(self, other):
        """``self / other`` elementwise, broadcasting; integers divide to the default float dtype (``div``)."""
        a, b = _float_operands(*self._operands(other))
        return Div.apply(a, b)

    def __rtruediv__(self, other):
        a, b = _float_operands(*self._operands(other))
        return Div.apply(b, a)

    def __pow__(self, other):
        """``self ** other`` elementwise, broadcasting (``pow``)."""
        a, b = self._operands(other)
        return Pow.apply(a, b)

    def __rpow__(self, other):
        a, b = self._operands(other)
        return Pow.apply(b, a)

    def __neg__(self):
        """``-self`` (``neg``)."""
        return Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return Tensor(_as_array(other)).matmul(self)

    def __floordiv__(self, other):
        """``self // other``: recorded, but backward through it raises, as in PyTorch."""
        a, b = self._operands(other)
        return FloorDivide.apply(a, b)

    def __mod__(self, other):
        """``self % other`` with the sign of ``other`` (Python's and PyTorch's remainder), differentiable."""
        a, b = self._operands(other)
        return Remainder.apply(a, b)

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    pow = __pow__
    neg = __neg__

    def matmul(self, other) -> Tensor:
        """Matrix product ``self @ other`` (vectors, matrices and broadcast batches of matrices)."""
        a, b = self._operands(other, broadcast=False)
        if a._data.ndim == 0 or b._data.ndim == 0:
            raise RuntimeError("matmul: both arguments need at least 1 dimension, got a 0-d tensor")
        if a._data.shape[-1] != b._data.shape[-2 if b._data.ndim > 1 else 0]:
            raise RuntimeError(
                f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be multiplied "
                f"({a._data.shape[-1]} != {b._data.shape[-2 if b._data.ndim > 1 else 0]})"
            )
        try:
            return MatMul.apply(a, b)
        except ValueError:  # the batch dimensions do not broadcast
            raise RuntimeError(f"matmul: the batch dimensions of {tuple(a.shape)} and {tuple(b.shape)} "
                               "cannot be broadcast") from None

    # -- in-place updates (no graph: for optimizers, init and no_grad blocks) ---------------------
    def _check_inplace(self, other=None):
        if GradMode.enabled and (self._requires_grad or getattr(other, "_requires_grad", False)):
            if self._ctx is None and self._requires_grad:
                raise RuntimeError(
                    "a leaf tensor that requires grad is being used in an in-place operation; "
                    "wrap the update in `with chainrule.no_grad():`"
                )
            raise RuntimeError("in-place operations on tensors in a recorded graph are not supported; use the out-of-place form")

    def _inplace(self, ufunc, other):
        if GradMode.enabled and (self._requires_grad or getattr(other, "_requires_grad", False)):
            self._check_inplace(other)
        ufunc(self._data, _raw(other), out=self._data, casting="same_kind")
        return self

    def _augmented(self, other, ufunc, out_of_place):
        """``x += y`` and friends: in place, except on a non-leaf in a recorded graph, where the
        out-of-place result is returned and Python rebinds the name (user code reads the same)."""
        if GradMode.enabled and self._ctx is not None and (self._requires_grad or getattr(other, "_requires_grad", False)):
            return out_of_place(self, other)
        return self._inplace(ufunc, other)

    def __iadd__(self, other):
        return self._augmented(other, np.add, Tensor.__add__)

    def __isub__(self, other):
        return self._augmented(other, np.subtract, Tensor.__sub__)

    def __imul__(self, other):
        return self._augmented(other, np.multiply, Tensor.__mul__)

    def __itruediv__(self, other):
        return self._augmented(other, np.true_divide, Tensor.__truediv__)

    def add_(self, other, alpha=1):
        """In place ``self += alpha * other``, outside the graph (optimizers, ``no_grad`` blocks)."""
        return self._inplace(np.add, other if alpha == 1 else _raw(other) * alpha)

    def sub_(self, other, alpha=1):
        """In place ``self -= alpha * other``, outside the graph."""
        return self._inplace(np.subtract, other if alpha == 1 else _raw(other) * alpha)

    def mul_(self, other):
        """In place ``self *= other``, outside the graph."""
        return self._inplace(np.multiply, other)

    def div_(self, other):
        """In place ``self /= other``, outside the graph."""
        return self._inplace(np.true_divide, other)

    def clamp_(self, min=None, max=None):
        """In place clamp to ``[min, max]``, outside the graph."""
        self._check_inplace()
        np.clip(self._data, min, max, out=self._data)
        return self

    def zero_(self):
        """Fill with zeros in place (``w.grad.zero_()``)."""
        self._check_inplace()
        self._data[...] = 0
        return self

    def fill_(self, value):
        """Fill with ``value`` in place."""
        self._check_inplace()
        self._data[...] = _raw(value)
        return self

    def copy_(self, src):
        """Copy ``src``'s values into this tensor in place (broadcasting, casting to this dtype)."""
        self._check_inplace(src)
        self._data[...] = _raw(src)
        return self

    def uniform_(self, a=0.0, b=1.0, generator=None):
        """Fill in place with values drawn uniformly from ``[a, b)``."""
        self._check_inplace()
        self._data[...] = rng_of(generator).uniform(a, b, self._data.shape)
        return self

    def normal_(self, mean=0.0, std=1.0, generator=None):
        """Fill in place with values drawn from a normal distribution (``mean``, ``std``)."""
        self._check_inplace()
        self._data[...] = rng_of(generator).normal(mean, std, self._data.shape)
        return self

    def __setitem__(self, index, value):
        self._check_inplace(value)
        self._data[_index(index)] = _raw(value)

    # -- comparisons (no gradient) -----------------------------------------------------------------
    def __eq__(self, other):
        """Elementwise ``self == other`` as a bool tensor (``eq``)."""
        return Tensor._wrap(np.equal(self._data, _raw(other)))

    def __ne__(self, other):
        """Elementwise ``self != other`` as a bool tensor (``ne``)."""
        return Tensor._wrap(np.not_equal(self._data, _raw(other)))

    def __lt__(self, other):
        """Elementwise ``self < other`` as a bool tensor (``lt``)."""
        return Tensor._wrap(np.less(self._data, _raw(other)))

    def __le__(self, other):
        """Elementwise ``self <= other`` as a bool tensor (``le``)."""
        return Tensor._wrap(np.less_equal(self._data, _raw(other)))

    def __gt__(self, other):
        """Elementwise ``self > other`` as a bool tensor (``gt``)."""
        return Tensor._wrap(np.greater(self._data, _raw(other)))

    def __ge__(self, other):
        """Elementwise ``self >= other`` as a bool tensor (``ge``)."""
        return Tensor._wrap(np.greater_equal(self._data, _raw(other)))

    def __invert__(self):
        return Tensor._wrap(~self._data)

    def __and__(self, other):
        return Tensor._wrap(self._data & _raw(other))

    def __or__(self, other):
        return Tensor._wrap(self._data | _raw(other))

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def equal(self, other) -> bool:
        """True if ``other`` has the same shape and the same values."""
        return self.shape == other.shape and builtins.bool(np.array_equal(self._data, other._data))

    def allclose(self, other, rtol=1e-5, atol=1e-8) -> bool:
        """True if all values are close to ``other``'s: ``|self - other| <= atol + rtol * |other|``."""
        return builtins.bool(np.allclose(self._data, _raw(other), rtol=rtol, atol=atol))

    def argmax(self, dim=None, keepdim=False, *, axis=None) -> Tensor:
        """Index of the largest value, over all elements or along ``dim`` (int64, no gradient)."""
        return _arg_reduce(np.argmax, self, dim if dim is not None else axis, keepdim)

    def argmin(self, dim=None, keepdim=False, *, axis=None) -> Tensor:
        """Index of the smallest value, over all elements or along ``dim`` (int64, no gradient)."""
        return _arg_reduce(np.argmin, self, dim if dim is not None else axis, keepdim)

    def all(self, dim=None, keepdim=False) -> Tensor:
        """Whether all elements (along ``dim``) are true / non-zero."""
        return Tensor._wrap(np.asarray(np.all(self._data, axis=self._axes(dim), keepdims=keepdim)))

    def any(self, dim=None, keepdim=False) -> Tensor:
        """Whether any element (along ``dim``) is true / non-zero."""
        return Tensor._wrap(np.asarray(np.any(self._data, axis=self._axes(dim), keepdims=keepdim)))

    def sign(self) -> Tensor:
        """-1, 0 or 1 elementwise, with the tensor's dtype (no gradient)."""
        return Tensor._wrap(np.sign(self._data))

    def isnan(self) -> Tensor:
        """Elementwise test for NaN, as a bool tensor."""
        return Tensor._wrap(np.isnan(self._data))

    def isfinite(self) -> Tensor:
        """Elementwise test for finite values (not NaN, not infinite), as a bool tensor."""
        return Tensor._wrap(np.isfinite(self._data))

    # -- elementwise math ---------------------------------------------------------------------------
    def exp(self):
        """``e ** x`` elementwise."""
        return Exp.apply(_floating(self))

    def log(self):
        """Natural logarithm elementwise (``log(0)`` is ``-inf``, as in PyTorch)."""
        return Log.apply(_floating(self))

    def log1p(self):
        """``log(1 + x)`` elementwise, accurate for small ``x``."""
        return Log1p.apply(_floating(self))

    def sqrt(self):
        """Square root elementwise."""
        return Sqrt.apply(_floating(self))

    def abs(self):
        """Absolute value elementwise (gradient 0 at 0, as PyTorch)."""
        return Abs.apply(self)

    def sin(self):
        """Sine elementwise."""
        return Sin.apply(_floating(self))

    def cos(self):
        """Cosine elementwise."""
        return Cos.apply(_floating(self))

    def square(self):
        """``x * x`` elementwise."""
        return self * self

    def clamp(self, min=None, max=None):
        """Values limited to ``[min, max]`` (either bound may be None or a tensor); ``clip`` is the same."""
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must be given")
        if isinstance(min, Tensor) or isinstance(max, Tensor):  # tensor bounds get gradients too, as torch
            out = self if min is None else where(self < min, min, self)
            return out if max is None else where(out > max, max, out)
        return Clamp.apply(self, min, max)

    clip = clamp

    def maximum(self, other):
        """Elementwise maximum with ``other`` (ties share the gradient, as PyTorch)."""
        a, b = self._operands(other)
        return Maximum.apply(a, b)

    def minimum(self, other):
        """Elementwise minimum with ``other`` (ties share the gradient, as PyTorch)."""
        a, b = self._operands(other)
        return Minimum.apply(a, b)

    def masked_fill(self, mask, value):
        """A copy with ``value`` where ``mask`` is true."""
        return where(mask, value, self)

    def relu(self):
        """``max(x, 0)`` elementwise."""
        return Relu.apply(self)

    def sigmoid(self):
        """``1 / (1 + exp(-x))`` elementwise."""
        return Sigmoid.apply(_floating(self))

    def tanh(self):
        """Hyperbolic tangent elementwise."""
        return Tanh.apply(_floating(self))

    # -- reductions ---------------------------------------------------------------------------------
    def _axes(self, dim, axis=None):
        """Normalise ``dim`` (int, tuple, negative, or None) to a tuple of axes or None."""
        return arguments.dims(dim, self._data.ndim, axis)

    def sum(self, dim=None, keepdim=False, *, axis=None, dtype=None, keepdims=False):
        """Sum over all elements, or over ``dim`` (an int or a tuple), keeping the dims with ``keepdim``."""
        keepdim = keepdim or keepdims  # NumPy's spelling, which PyTorch accepts
        src = self.to(dtype) if dtype is not None else self
        if src._data.dtype.kind in "bu" or src._data.dtype in (dtypes.int8, dtypes.int16, dtypes.int32):
            src = src.long()  # integer sums accumulate in int64, as torch
        return Sum.apply(src, axes=self._axes(dim, axis), keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, *, axis=None, dtype=None, keepdims=False):
        """Mean over all elements, or over ``dim`` (an int or a tuple), keeping the dims with ``keepdim``."""
        keepdim = keepdim or keepdims
        src = self.to(dtype) if dtype is not None else self
        if src._data.dtype.kind not in "fc":
            raise RuntimeError(f"mean(): could not infer output dtype; input dtype is {src.dtype}, use .float() first")
        return Mean.apply(src, axes=self._axes(dim, axis), keepdim=keepdim)

    def _max_min(self, dim, keepdim, axis, largest):
        if isinstance(dim, Tensor):
            return self.maximum(dim) if largest else self.minimum(dim)
        if dim is None and axis is None:
            return MaxAll.apply(self, largest=largest)
        (ax,) = self._axes(dim, axis) or (0,)
        if self._data.ndim == 0:
            return ValuesIndices(self, Tensor._wrap(np.asarray(0)))
        values = MaxDim.apply(self, axis=ax, keepdim=keepdim, largest=largest)
        return ValuesIndices(values, Tensor._wrap(values._ctx.indices if values._ctx else _arg_reduce(
            np.argmax if largest else np.argmin, self, ax, keepdim)._data))

    def max(self, dim=None, keepdim=False, *, axis=None):
        """max() of all elements, or (values, indices) along ``dim``, or the elementwise max with a tensor."""
        return self._max_min(dim, keepdim, axis, True)

    def min(self, dim=None, keepdim=False, *, axis=None):
        """min() of all elements, or (values, indices) along ``dim``, or the elementwise min with a tensor."""
        return self._max_min(dim, keepdim, axis, False)

    def amax(self, dim=None, keepdim=False):
        """Largest values over ``dim`` (int, tuple or None for all); ties share the gradient, as torch."""
        return Amax.apply(self, axes=self._axes(dim) if dim != () else None, keepdim=keepdim, largest=True)

    def amin(self, dim=None, keepdim=False):
        """Smallest values over ``dim`` (int, tuple or None for all); ties share the gradient, as torch."""
        return Amax.apply(self, axes=self._axes(dim) if dim != () else None, keepdim=keepdim, largest=False)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
        """Variance; unbiased (divides by N - 1) by default, as torch."""
        if isinstance(dim, builtins.bool):  # var(False): torch's overload var(unbiased)
            dim, unbiased = None, dim
        if correction is None:
            correction = 0 if unbiased is False else 1
        return Var.apply(_floating(self), axes=self._axes(dim, axis), correction=correction, keepdim=keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
        """Standard deviation; unbiased by default, as torch (see ``var``)."""
        if isinstance(dim, builtins.bool):  # std(False): torch's overload std(unbiased)
            dim, unbiased = None, dim
        if correction is None:
            correction = 0 if unbiased is False else 1
        return Std.apply(_floating(self), axes=self._axes(dim, axis), correction=correction, keepdim=keepdim)

    def logsumexp(self, dim=None, keepdim=False, *, axis=None):
        """``log(sum(exp(x)))`` over ``dim``, computed without overflow."""
        axes = self._axes(dim, axis)
        return LogSumExp.apply(_floating(self), axes=axes, keepdim=keepdim)

    def softmax(self, dim=None, *, axis=None):
        """``exp(x) / sum(exp(x))`` along ``dim``: each slice becomes probabilities."""
        return Softmax.apply(_floating(self), axis=self._one_axis(dim, axis, "softmax"))

    def log_softmax(self, dim=None, *, axis=None):
        """``log(softmax(x))`` along ``dim``, computed stably (pair it with ``nll_loss``)."""
        return LogSoftmax.apply(_floating(self), axis=self._one_axis(dim, axis, "log_softmax"))

    def _one_axis(self, dim, axis, name):
        return arguments.one_dim(dim, self._data.ndim, axis, name)

    # -- shape --------------------------------------------------------------------------------------
    def reshape(self, *shape):
        """The same values in a new shape (``-1`` infers one size); ``view`` is the same."""
        shape = _shape_arg(shape)
        try:
            return Reshape.apply(self, shape=shape)
        except ValueError:
            raise RuntimeError(f"shape {list(shape)} is invalid for input of size {self._data.size} (shape {tuple(self.shape)})") from None

    view = reshape

    def view_as(self, other):
        """``reshape`` to ``other``'s shape (``reshape_as`` is the same)."""
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim=0, end_dim=-1):
        """Dimensions ``start_dim`` to ``end_dim`` merged into one (all of them by default)."""
        shape = self._data.shape
        if not shape:
            return self.reshape(1)
        s, e = start_dim % len(shape), end_dim % len(shape)
        return self.reshape(shape[:s] + (-1 if self._data.size else builtins.int(np.prod(shape[s:e + 1])),) + shape[e + 1:])

    def unflatten(self, dim, sizes):
        """Dimension ``dim`` split into ``sizes``."""
        shape = self._data.shape
        d = dim % len(shape)
        return self.reshape(shape[:d] + tuple(sizes) + shape[d + 1:])

    def permute(self, *dims):
        """The dimensions reordered: ``x.permute(2, 0, 1)``."""
        dims = _shape_arg(dims)
        nd = self._data.ndim
        if len(dims) != nd or sorted(d % builtins.max(nd, 1) for d in dims) != list(range(nd)):
            raise RuntimeError(f"permute(dims={list(dims)}): expected a permutation of {nd} dims for shape {tuple(self.shape)}")
        return Permute.apply(self, dims=tuple(d % nd for d in dims))

    def transpose(self, dim0, dim1):
        """Dimensions ``dim0`` and ``dim1`` swapped (``swapaxes`` is the same)."""
        nd = self._data.ndim
        (dim0, dim1) = self._axes((dim0, dim1)) or (0, 0)  # validates: IndexError naming the range
        if nd < 2:
            return self
        dims = list(range(nd))
        dims[dim0 % nd], dims[dim1 % nd] = dims[dim1 % nd], dims[dim0 % nd]
        return Permute.apply(self, dims=tuple(dims))

    swapaxes = transpose

    def t(self):
        """The transpose of a matrix (dims 0 and 1 swapped)."""
        return self.transpose(0, 1)

    def squeeze(self, dim=None):
        """Dimensions of size 1 removed (all of them, or only ``dim``)."""
        shape = self._data.shape
        if dim is None:
            new = tuple(n for n in shape if n != 1)
        else:
            axes = self._axes(dim)
            new = tuple(n for i, n in enumerate(shape) if not (i in axes and n == 1))
        return self if new == shape else self.reshape(new)

    def unsqueeze(self, dim):
        """A new dimension of size 1 inserted at ``dim``."""
        nd = self._data.ndim + 1
        if not -nd <= dim < nd:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
        shape = list(self._data.shape)
        shape.insert(dim % nd, 1)
        return self.reshape(tuple(shape))

    def expand(self, *sizes):
        """A broadcast view to ``sizes`` (``-1`` keeps a size); gradients sum back."""
        sizes = _shape_arg(sizes)
        shape = self._data.shape
        lead = len(sizes) - len(shape)
        target = tuple(shape[i - lead] if (n == -1 and i >= lead) else n for i, n in enumerate(sizes))
        try:
            np.broadcast_shapes(shape, target)
        except ValueError:
            raise RuntimeError(f"expand: cannot expand shape {tuple(shape)} to {tuple(sizes)}") from None
        return Expand.apply(self, shape=target)

    def expand_as(self, other):
        """``expand`` to ``other``'s shape."""
        return self.expand(other.shape)

    def split(self, split_size_or_sections, dim=0):
        """Pieces along ``dim``: of size ``split_size`` each (the last may be smaller), or of the given sizes."""
        n = self._data.shape[dim]
        if isinstance(split_size_or_sections, (builtins.int, np.integer)):
            step = builtins.int(split_size_or_sections)
            sizes = [builtins.min(step, n - i) for i in range(0, n, step)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise RuntimeError(f"split: sizes {sizes} must add up to {n}, the size of dim {dim}")
        return tuple(self.narrow(dim, start, size) for start, size in zip(np.cumsum([0] + sizes[:-1]), sizes))

    def chunk(self, chunks, dim=0):
        """``chunks`` pieces of (nearly) equal size along ``dim``."""
        n = self._data.shape[dim]
        return self.split(builtins.max(1, -(-n // chunks)), dim)

    def narrow(self, dim, start, length):
        """Elements ``start`` to ``start + length`` along ``dim``."""
        index = [slice(None)] * self._data.ndim
        index[dim] = slice(builtins.int(start), builtins.int(start) + builtins.int(length))
        return self[tuple(index)]

    # -- PyTorch API that real programs use (issue 20): devices, products, math, norms, sampling ----------
    def cuda(self, device=None, non_blocking=False):
        """Raises ``DeviceError``: chainrule runs on the CPU only (``.to(device)`` with a CPU device works)."""
        _device.check("cuda" if device is None else device if isinstance(device, (str, _device.device)) else f"cuda:{device}", "Tensor.cuda")
        return self

    @property
    def is_cpu(self) -> bool:
        """Always True: chainrule computes on the CPU."""
        return True

    @property
    def is_cuda(self) -> bool:
        """Always False: chainrule has no GPU tensors."""
        return False

    def get_device(self) -> int:
        """-1, PyTorch's answer for a CPU tensor."""
        return -1

    def nelement(self) -> int:
        """The number of elements (as ``numel()``)."""
        return self._data.size

    def type(self, dtype=None, non_blocking=False):
        """Without arguments the legacy type name (``'torch.FloatTensor'``); else a cast to ``dtype``.

        ``dtype`` may be a dtype or a name such as ``'torch.DoubleTensor'``.
        """
        if dtype is None:
            return "torch." + _LEGACY_NAMES.get(self._data.dtype, "Tensor")
        if isinstance(getattr(dtype, "dtype", None), np.dtype):  # a legacy type: x.type(torch.LongTensor)
            dtype = dtype.dtype
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            if ".cuda." in dtype:
                _device.check("cuda", "Tensor.type")
            target = next((d for d, n in _LEGACY_NAMES.items() if n == name), None)
            if target is None:
                raise ValueError(f"invalid type: {dtype!r}")
            dtype = target
        return self.to(dtype)

    def __format__(self, format_spec):
        # as PyTorch: a 0-d tensor formats like its number (f"{loss:.4f}"); others only with an empty spec
        if self._data.ndim == 0:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def new_tensor(self, data, dtype=None, requires_grad=False, device=None):
        """A new tensor from ``data`` with this tensor's dtype."""
        t = Tensor._wrap(np.array(_as_array(data), dtype=dtype or self._data.dtype))
        return t.requires_grad_(requires_grad) if requires_grad else t

    def new_zeros(self, *size, dtype=None, requires_grad=False, device=None):
        """A tensor of zeros of ``size`` with this tensor's dtype."""
        return Tensor._wrap(np.zeros(_shape_arg(size), dtype or self._data.dtype)).requires_grad_(requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False, device=None):
        """A tensor of ones of ``size`` with this tensor's dtype."""
        return Tensor._wrap(np.ones(_shape_arg(size), dtype or self._data.dtype)).requires_grad_(requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False, device=None):
        """A tensor of ``size`` filled with ``fill_value``, with this tensor's dtype."""
        return Tensor._wrap(np.full(_shape_arg((size,)), fill_value, dtype or self._data.dtype)).requires_grad_(requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad=False, device=None):
        """An uninitialised tensor of ``size`` with this tensor's dtype."""
        return Tensor._wrap(np.empty(_shape_arg(size), dtype or self._data.dtype)).requires_grad_(requires_grad)

    def mm(self, mat2):
        """Matrix product of two 2-D tensors, ``(n, m) @ (m, p) -> (n, p)``."""
        if self._data.ndim != 2 or _raw(mat2).ndim != 2:
            raise RuntimeError(f"{'self' if self._data.ndim != 2 else 'mat2'} must be a matrix")
        (n, m), (m2, p) = self._data.shape, mat2._data.shape
        if m != m2:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{m} and {m2}x{p})")
        return self.matmul(mat2)

    def bmm(self, mat2):
        """Batched matrix product of 3-D tensors, ``(b, n, m) @ (b, m, p) -> (b, n, p)`` (no broadcasting)."""
        if self._data.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        if _raw(mat2).ndim != 3:
            raise RuntimeError("batch2 must be a 3D tensor")
        b, _, m = self._data.shape
        if mat2._data.shape[:2] != (b, m):
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {m}] "
                               f"but got: {list(mat2._data.shape[:2])}.")
        return self.matmul(mat2)

    def mv(self, vec):
        """Matrix-vector product, ``(n, m) @ (m,) -> (n,)``."""
        if self._data.ndim != 2 or _raw(vec).ndim != 1:
            raise RuntimeError(f"vector + matrix @ vector expected, got {self._data.ndim}D matrix and {_raw(vec).ndim}D vector")
        if self._data.shape[1] != vec._data.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({self._data.shape[0]}), mat "
                               f"({self._data.shape[0]}x{self._data.shape[1]}), vec ({vec._data.shape[0]})")
        return self.matmul(vec)

    def dot(self, other):
        """Inner product of two 1-D tensors of the same length (a 0-d result)."""
        if self._data.ndim != 1 or _raw(other).ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {self._data.ndim}D and {_raw(other).ndim}D tensors")
        n, m = self._data.shape[0], other._data.shape[0]
        if n != m:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
                               f"number of elements, but got {n} and {m} elements respectively")
        return self.matmul(other)

    inner = dot

    def outer(self, vec2):
        """Outer product of two 1-D tensors, ``(n,) x (m,) -> (n, m)``."""
        for name, v in (("self", self), ("vec2", vec2)):
            if _raw(v).ndim != 1:
                raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {_raw(v).ndim}-D")
        return self.reshape(-1, 1) * vec2.reshape(1, -1)

    ger = outer

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """``beta * self + alpha * (mat1 @ mat2)``."""
        prod = mat1.mm(mat2)
        prod = prod if alpha == 1 else prod * alpha
        return prod + (self if beta == 1 else self * beta) if beta != 0 else prod + self * 0

    def log2(self):
        """Base-2 logarithm elementwise."""
        return Log2.apply(_floating(self))

    def log10(self):
        """Base-10 logarithm elementwise."""
        return Log10.apply(_floating(self))

    def expm1(self):
        """``exp(x) - 1`` elementwise, accurate for small x."""
        return Expm1.apply(_floating(self))

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The p-norm over ``dim`` (all elements by default), as ``torch.norm``: ``p`` is a number,
        ``inf``, ``-inf``, ``'fro'`` (the 2-norm of the elements) or ``'nuc'`` (nuclear norm of a matrix)."""
        from chainrule import linalg

        if p == "nuc":
            return linalg.matrix_norm(self, "nuc", dim if dim is not None else (-2, -1), keepdim, dtype=dtype)
        return linalg.vector_norm(self, 2 if p == "fro" or p is None else p, dim, keepdim, dtype=dtype)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """Category indices drawn with probabilities proportional to ``self`` (see ``chainrule.multinomial``)."""
        from chainrule.sampling import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    def bernoulli(self, p=None, *, generator=None):
        """0/1 samples with the probabilities in ``self`` (or ``p``), same dtype."""
        from chainrule.sampling import bernoulli

        return bernoulli(self, p, generator=generator)

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill with 1 (probability ``p``, a number or tensor) or 0, in place."""
        from chainrule.sampling import bernoulli

        self._check_inplace()
        self._data[...] = bernoulli(self, p, generator=generator)._data
        return self

    def exponential_(self, lambd=1.0, *, generator=None):
        """Fill with exponential samples of rate ``lambd``, in place."""
        from chainrule.random import rng_of

        self._check_inplace()
        self._data[...] = rng_of(generator).exponential(1.0 / lambd, self._data.shape)
        return self

    def random_(self, from_=0, to=None, *, generator=None):
        """Fill with integers drawn uniformly from ``[from_, to)`` (``random_(to)`` means ``[0, to)``)."""
        from chainrule.random import rng_of

        if to is None:
            from_, to = 0, from_
        self._check_inplace()
        self._data[...] = rng_of(generator).integers(from_, to, self._data.shape)
        return self

    # -- more of PyTorch's tensor API (issue 20): rounding, trigonometry, scans, sorting, gathering ------
    def floor(self):
        """Round down elementwise (gradient 0)."""
        return Round.apply(self, fn=np.floor)

    def ceil(self):
        """Round up elementwise (gradient 0)."""
        return Round.apply(self, fn=np.ceil)

    def round(self, decimals=0):
        """Round half to even elementwise (to ``decimals`` places; gradient 0)."""
        return Round.apply(self, fn=np.round, decimals=decimals)

    def trunc(self):
        """Round towards zero elementwise (gradient 0)."""
        return Round.apply(self, fn=np.trunc)

    fix = trunc

    def frac(self):
        """The fractional part, ``x - trunc(x)``."""
        return self - self.trunc()

    def reciprocal(self):
        """``1 / x`` elementwise."""
        return Reciprocal.apply(_floating(self))

    def rsqrt(self):
        """``1 / sqrt(x)`` elementwise."""
        return Rsqrt.apply(_floating(self))

    def tan(self):
        """Tangent elementwise."""
        return Tan.apply(_floating(self))

    def sinh(self):
        """Hyperbolic sine elementwise."""
        return Sinh.apply(_floating(self))

    def cosh(self):
        """Hyperbolic cosine elementwise."""
        return Cosh.apply(_floating(self))

    def asin(self):
        """Arc sine elementwise (inputs in [-1, 1])."""
        return Asin.apply(_floating(self))

    def acos(self):
        """Arc cosine elementwise (inputs in [-1, 1])."""
        return Acos.apply(_floating(self))

    def atan(self):
        """Arc tangent elementwise."""
        return Atan.apply(_floating(self))

    arcsin, arccos, arctan = asin, acos, atan

    def atan2(self, other):
        """The angle of the point (other, self) elementwise, in (-pi, pi]."""
        a, b = _float_operands(*self._operands(other))
        return Atan2.apply(a, b)

    arctan2 = atan2

    def erf(self):
        """The error function elementwise."""
        return Erf.apply(_floating(self))

    def exp2(self):
        """``2 ** x`` elementwise."""
        return Exp2.apply(_floating(self))

    def clamp_min(self, min):
        """Elementwise ``max(self, min)``."""
        return self.clamp(min=min)

    def clamp_max(self, max):
        """Elementwise ``min(self, max)``."""
        return self.clamp(max=max)

    def lerp(self, end, weight):
        """``self + weight * (end - self)``."""
        return self + weight * (end - self)

    def addcmul(self, tensor1, tensor2, *, value=1):
        """``self + value * tensor1 * tensor2``."""
        return self + value * tensor1 * tensor2

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """``self + value * tensor1 / tensor2``."""
        return self + value * tensor1 / tensor2

    def cumsum(self, dim, *, dtype=None):
        """Running sums along ``dim``."""
        src = self.to(dtype) if dtype is not None else self
        if src._data.dtype.kind in "bu" or src._data.dtype in (dtypes.int8, dtypes.int16, dtypes.int32):
            src = src.long()  # integer sums accumulate in int64, as torch
        (axis,) = self._axes(dim) or (0,)
        return Cumsum.apply(src, axis=axis) if self._data.ndim else src.clone()

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        """The product of all elements, or along ``dim``."""
        src = self.to(dtype) if dtype is not None else self
        if src._data.dtype.kind in "bu" or src._data.dtype in (dtypes.int8, dtypes.int16, dtypes.int32):
            src = src.long()
        axis = None if dim is None or not self._data.ndim else self._axes(dim)[0]
        return Prod.apply(src, axis=axis, keepdim=keepdim and axis is not None)

    def flip(self, *dims):
        """Reverse the order of elements along ``dims``."""
        return Flip.apply(self, axes=self._axes(_shape_arg(dims)))

    def fliplr(self):
        """Reverse the columns (dimension 1)."""
        return self.flip(1)

    def flipud(self):
        """Reverse the rows (dimension 0)."""
        return self.flip(0)

    def roll(self, shifts, dims=None):
        """Shift elements along ``dims`` by ``shifts``, wrapping around."""
        axes = None if dims is None else self._axes(dims)
        if isinstance(shifts, (list, tuple)):
            shifts = tuple(builtins.int(s) for s in shifts)
        return Roll.apply(self, shifts=shifts, axes=axes if axes is None or len(axes) > 1 else axes[0])

    def repeat(self, *sizes):
        """Tile the tensor ``sizes[i]`` times along each dimension (new leading dimensions allowed)."""
        sizes = _shape_arg(sizes)
        if len(sizes) < self._data.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions "
                               f"of tensor (repeat dims {list(sizes)}, tensor of {self._data.ndim} dims)")
        shape = (1,) * (len(sizes) - self._data.ndim) + self._data.shape
        x = self.reshape(tuple(n for s in shape for n in (1, s)))
        x = x.expand(tuple(n for r, s in zip(sizes, shape) for n in (r, s)))
        return x.reshape(tuple(r * s for r, s in zip(sizes, shape)))

    def tile(self, *dims):
        """Repeat the tensor ``dims`` times per dimension (missing leading dims count as 1)."""
        dims = _shape_arg(dims)
        return self.repeat((1,) * (self._data.ndim - len(dims)) + dims)

    def gather(self, dim, index):
        """Values along ``dim`` at ``index`` (int64, same number of dimensions), as ``torch.gather``."""
        idx = _raw(index)
        if idx.dtype.kind not in "iu":
            raise RuntimeError(f"gather(): Expected dtype int64 for index, got {idx.dtype}")
        if idx.ndim != self._data.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
        return Gather.apply(self, idx, axis=self._axes(dim)[0])

    def take_along_dim(self, indices, dim=None):
        """Values at ``indices`` along ``dim`` (over the flattened tensor when ``dim`` is None)."""
        if dim is None:
            return self.reshape(-1).gather(0, indices.reshape(-1))
        return self.gather(dim, indices)

    def index_select(self, dim, index):
        """The entries at ``index`` along ``dim`` (a copy)."""
        axis = self._axes(dim)[0]
        return self[(slice(None),) * axis + (_raw(index),)]

    def masked_select(self, mask):
        """The elements where ``mask`` is true, as a 1-D tensor."""
        m = _raw(mask)
        x = self.expand(np.broadcast_shapes(self._data.shape, m.shape)) if m.shape != self._data.shape else self
        return x[np.broadcast_to(m, x._data.shape)]

    def sort(self, dim=-1, descending=False, stable=False):
        """(values, indices) sorted along ``dim``; values keep their gradient."""
        axis = self._axes(dim)[0] if self._data.ndim else None
        if axis is None:
            return ValuesIndices(self.clone(), Tensor._wrap(np.zeros((), np.int64)))
        if descending:  # sort the reversed axis ascending and read it backwards: stable, NaN first, no negation
            flipped = np.flip(self._data, axis)
            idx = self._data.shape[axis] - 1 - np.flip(np.argsort(flipped, axis=axis, kind="stable"), axis)
            idx = idx.astype(np.int64)
        else:
            idx = np.argsort(self._data, axis=axis, kind="stable").astype(np.int64)
        return ValuesIndices(self.gather(axis, Tensor._wrap(idx)), Tensor._wrap(idx))

    def argsort(self, dim=-1, descending=False, stable=False):
        """The indices that sort the tensor along ``dim``."""
        return self.sort(dim, descending, stable).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The ``k`` largest (or smallest) values along ``dim`` and their indices."""
        axis = self._axes(dim)[0] if self._data.ndim else 0
        n = self._data.shape[axis] if self._data.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError(f"selected index k out of range (k={k}, size {n})")
        values, idx = self.sort(dim, descending=largest)
        idx = idx.narrow(axis, 0, k) if self._data.ndim else idx
        return ValuesIndices(self.gather(axis, idx) if self._data.ndim else values, idx)

    def tril(self, diagonal=0):
        """The lower triangle (below and on diagonal ``diagonal``); the rest 0."""
        return self * Tensor._wrap(np.tril(np.ones(self._data.shape[-2:], self._data.dtype), diagonal))

    def triu(self, diagonal=0):
        """The upper triangle (above and on diagonal ``diagonal``); the rest 0."""
        return self * Tensor._wrap(np.triu(np.ones(self._data.shape[-2:], self._data.dtype), diagonal))

    def diag(self, diagonal=0):
        """A 1-D tensor's values on a diagonal of a new square matrix, or a matrix's diagonal."""
        if self._data.ndim == 1:
            from chainrule.functions import cat

            k = abs(diagonal)
            n = self._data.shape[0] + k
            padded = cat([self, Tensor._wrap(np.zeros(k, self._data.dtype))]) if k else self
            # row r holds x[r] on diagonal k >= 0 (column r + k); column c holds x[c] below it
            spread = padded.unsqueeze(1) if diagonal >= 0 else padded.unsqueeze(0)
            return spread * Tensor._wrap(np.eye(n, dtype=self._data.dtype, k=diagonal))
        if self._data.ndim == 2:
            return self.diagonal(diagonal)
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self._data.ndim}D")

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal (``offset`` above it when positive) of the ``dim1``/``dim2`` planes (a copy)."""
        rows, cols = self._data.shape[dim1], self._data.shape[dim2]
        i = np.arange(max(0, -offset), min(rows, cols - offset))
        index = [slice(None)] * self._data.ndim
        index[dim1], index[dim2] = i, i + offset
        out = self[tuple(index)]
        return out if dim1 == 0 and dim2 == 1 or out.ndim == 1 else out.movedim(0, -1)

    def trace(self):
        """The sum of the main diagonal."""
        return self.diagonal().sum()

    def unbind(self, dim=0):
        """The slices along ``dim``, as a tuple of tensors with one dimension fewer."""
        axis = self._axes(dim)[0]
        return tuple(self[(slice(None),) * axis + (i,)] for i in range(self._data.shape[axis]))

    def movedim(self, source, destination):
        """Move dimension(s) ``source`` to position(s) ``destination``."""
        src, dst = self._axes(source), self._axes(destination)
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                               f"contain the same number of dims as destination ({list(dst)} dims)")
        order = [d for d in range(self._data.ndim) if d not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return self.permute(*order)

    moveaxis = movedim

    def nonzero(self, *, as_tuple=False):
        """The indices of the non-zero elements: one row each, or a tuple per dimension (``as_tuple``)."""
        found = np.nonzero(self._data)
        if as_tuple:
            return tuple(Tensor._wrap(i.astype(np.int64)) for i in found)
        return Tensor._wrap(np.stack(found, axis=1).astype(np.int64))

    def argwhere(self):
        """The indices of the non-zero elements, one row each (as ``nonzero()``)."""
        return self.nonzero()

    def count_nonzero(self, dim=None):
        """The number of non-zero elements (over ``dim`` when given)."""
        return Tensor._wrap(np.asarray(np.count_nonzero(self._data, axis=self._axes(dim)), np.int64))

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (sorted), optionally with the inverse indices and counts; no gradient."""
        out = np.unique(self._data, return_inverse=True, return_counts=True, axis=dim)
        result = [Tensor._wrap(out[0])]
        if return_inverse:
            result.append(Tensor._wrap(out[1].reshape(self._data.shape if dim is None else -1).astype(np.int64)))
        if return_counts:
            result.append(Tensor._wrap(out[2].astype(np.int64)))
        return result[0] if len(result) == 1 else tuple(result)

    def isinf(self):
        """Where the elements are +inf or -inf."""
        return Tensor._wrap(np.isinf(self._data))

    def isposinf(self):
        """Where the elements are +inf."""
        return Tensor._wrap(np.isposinf(self._data))

    def isneginf(self):
        """Where the elements are -inf."""
        return Tensor._wrap(np.isneginf(self._data))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Elementwise ``|self - other| <= atol + rtol * |other|``."""
        return Tensor._wrap(np.isclose(self._data, _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def logical_and(self, other):
        """Elementwise logical and (non-zero is true)."""
        return Tensor._wrap(np.logical_and(self._data, _raw(other)))

    def logical_or(self, other):
        """Elementwise logical or (non-zero is true)."""
        return Tensor._wrap(np.logical_or(self._data, _raw(other)))

    def logical_xor(self, other):
        """Elementwise logical exclusive or (non-zero is true)."""
        return Tensor._wrap(np.logical_xor(self._data, _raw(other)))

    def logical_not(self):
        """Elementwise logical not (non-zero is true)."""
        return Tensor._wrap(np.logical_not(self._data))

    def __xor__(self, other):
        return Tensor._wrap(self._data ^ _raw(other))

    def masked_fill_(self, mask, value):
        """Set the elements where ``mask`` is true to ``value``, in place."""
        self._check_inplace()
        self._data[np.broadcast_to(_raw(mask), self._data.shape)] = _raw(value)
        return self

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        """In place: ``self[i][index[i][j]] = src[i][j]`` along ``dim`` (``src`` a tensor or ``value``)."""
        self._check_inplace(src)
        axis, idx = self._axes(dim)[0], _raw(index)
        vals = src if src is not None else value
        vals = np.broadcast_to(_raw(vals), idx.shape) if np.ndim(_raw(vals)) == 0 else \
            _raw(vals)[tuple(slice(0, n) for n in idx.shape)]
        target = [np.arange(n).reshape([-1 if d == i else 1 for d in range(idx.ndim)]) for i, n in enumerate(idx.shape)]
        target[axis] = idx
        if reduce == "add":
            np.add.at(self._data, tuple(target), vals)
        elif reduce == "multiply":
            np.multiply.at(self._data, tuple(target), vals)
        else:
            self._data[tuple(target)] = vals
        return self

    def scatter_add_(self, dim, index, src):
        """Add ``src`` into the places ``index`` names along ``dim``, in place."""
        return self.scatter_(dim, index, src, reduce="add")

    def index_fill_(self, dim, index, value):
        """Fill the entries at ``index`` along ``dim`` with ``value``, in place."""
        self._check_inplace()
        self._data[(slice(None),) * self._axes(dim)[0] + (_raw(index),)] = _raw(value)
        return self

    def apply_(self, callable):
        """Apply a Python function to every element, in place (slow: one call per element)."""
        self._check_inplace()
        self._data[...] = np.vectorize(callable, otypes=[self._data.dtype])(self._data)
        return self

    def is_contiguous(self, memory_format=None) -> bool:
        """Always True: chainrule's ops need no particular memory layout."""
        return True

    def is_complex(self) -> bool:
        """Whether the dtype is complex."""
        return self._data.dtype.kind == "c"

    def is_signed(self) -> bool:
        """Whether the dtype holds negative values."""
        return self._data.dtype.kind in "if"

    def ndimension(self) -> int:
        """The number of dimensions (as ``dim()``)."""
        return self._data.ndim

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes held by the elements."""
        return self._data.nbytes

    absolute, multiply, divide, subtract, true_divide, negative = abs, mul, div, sub, div, neg
    greater, greater_equal, less, less_equal, not_equal = __gt__, __ge__, __lt__, __le__, __ne__

    # -- statistics, linear algebra and counting (issue 20) ---------------------------------------------
    def inverse(self):
        """The inverse of each square matrix (see ``linalg.inv``)."""
        from chainrule.linalg import inv

        return inv(self)

    def det(self):
        """The determinant of each square matrix (see ``linalg.det``)."""
        from chainrule.linalg import det

        return det(self)

    def median(self, dim=None, keepdim=False):
        """The lower median (as PyTorch: no averaging for an even count); (values, indices) along ``dim``."""
        if dim is None:
            flat = self.reshape(-1)
            return flat.sort().values[(flat.numel() - 1) // 2]
        axis = self._axes(dim)[0]
        values, indices = self.sort(axis)
        k = (self._data.shape[axis] - 1) // 2
        values, indices = values.narrow(axis, k, 1), indices.narrow(axis, k, 1)
        return ValuesIndices(values if keepdim else values.squeeze(axis), indices if keepdim else indices.squeeze(axis))

    def nansum(self, dim=None, keepdim=False):
        """The sum of the elements, NaN counted as 0."""
        return where(self.isnan(), 0.0, self).sum(dim, keepdim)

    def nanmean(self, dim=None, keepdim=False):
        """The mean of the non-NaN elements."""
        present = (~self.isnan()).sum(dim, keepdim)
        return self.nansum(dim, keepdim) / present

    def logaddexp(self, other):
        """log(exp(self) + exp(other)), without overflow."""
        a, b = _float_operands(*self._operands(other))
        return a.maximum(b) + (-(a - b).abs()).exp().log1p()

    def cross(self, other, dim=None):
        """The cross product of 3-vectors along ``dim`` (default: the first dimension of size 3)."""
        if dim is None:
            dim = next(i for i, n in enumerate(np.broadcast_shapes(self._data.shape, other._data.shape)) if n == 3)
        a = [self.select(dim, i) for i in range(3)]
        b = [other.select(dim, i) for i in range(3)]
        from chainrule.functions import stack

        return stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]], dim)

    def select(self, dim, index):
        """The slice at ``index`` of dimension ``dim`` (one dimension fewer), a view."""
        axis = self._axes(dim)[0]
        return self[(slice(None),) * axis + (builtins.int(index),)]

    def kron(self, other):
        """The Kronecker product of two tensors with the same number of dimensions."""
        nd = self._data.ndim
        a = self.reshape(tuple(n for s in self._data.shape for n in (s, 1)))
        b = other.reshape(tuple(n for s in other._data.shape for n in (1, s)))
        return (a * b).reshape(tuple(x * y for x, y in zip(self._data.shape, other._data.shape[-nd:])))

    def bincount(self, weights=None, minlength=0):
        """How often each non-negative int occurs (summing ``weights`` instead when given)."""
        w = None if weights is None else _raw(weights)
        out = np.bincount(self._data, weights=w, minlength=minlength)
        return Tensor._wrap(out.astype(np.int64) if w is None else out.astype(w.dtype if w.dtype.kind == "f" else np.float64))

    def histc(self, bins=100, min=0, max=0):
        """A histogram of ``bins`` equal bins between ``min`` and ``max`` (the data's range when equal)."""
        lo, hi = (builtins.float(self._data.min()), builtins.float(self._data.max())) if min == max else (min, max)
        counts, _ = np.histogram(self._data, bins=bins, range=(lo, hi))
        return Tensor._wrap(counts.astype(self._data.dtype))

    # -- in-place math and more small methods (issue 20) --------------------------------------------------
    def _apply_inplace(self, result):
        """Write ``result`` (computed from this tensor) into this tensor's memory, as PyTorch's ``op_`` do."""
        self._check_inplace()
        self._data[...] = result._data
        return self

    def abs_(self):
        """In-place ``abs``."""
        return self._apply_inplace(self.detach().abs())

    def exp_(self):
        """In-place ``exp``."""
        return self._apply_inplace(self.detach().exp())

    def log_(self):
        """In-place ``log``."""
        return self._apply_inplace(self.detach().log())

    def sqrt_(self):
        """In-place ``sqrt``."""
        return self._apply_inplace(self.detach().sqrt())

    def sigmoid_(self):
        """In-place ``sigmoid``."""
        return self._apply_inplace(self.detach().sigmoid())

    def tanh_(self):
        """In-place ``tanh``."""
        return self._apply_inplace(self.detach().tanh())

    def relu_(self):
        """In-place ``relu``."""
        return self._apply_inplace(self.detach().relu())

    def neg_(self):
        """In-place negation."""
        return self._apply_inplace(-self.detach())

    def pow_(self, exponent):
        """In-place ``pow``."""
        return self._apply_inplace(self.detach() ** exponent)

    def square_(self):
        """In-place ``square``."""
        return self._apply_inplace(self.detach().square())

    def floor_(self):
        """In-place ``floor``."""
        return self._apply_inplace(self.detach().floor())

    def ceil_(self):
        """In-place ``ceil``."""
        return self._apply_inplace(self.detach().ceil())

    def round_(self, decimals=0):
        """In-place ``round``."""
        return self._apply_inplace(self.detach().round(decimals))

    def trunc_(self):
        """In-place ``trunc``."""
        return self._apply_inplace(self.detach().trunc())

    def reciprocal_(self):
        """In-place ``reciprocal``."""
        return self._apply_inplace(self.detach().reciprocal())

    def sin_(self):
        """In-place ``sin``."""
        return self._apply_inplace(self.detach().sin())

    def cos_(self):
        """In-place ``cos``."""
        return self._apply_inplace(self.detach().cos())

    def log1p_(self):
        """In-place ``log1p``."""
        return self._apply_inplace(self.detach().log1p())

    def expm1_(self):
        """In-place ``expm1``."""
        return self._apply_inplace(self.detach().expm1())

    def lerp_(self, end, weight):
        """In-place ``lerp``."""
        return self._apply_inplace(self.detach().lerp(end, weight))

    def addcmul_(self, tensor1, tensor2, *, value=1):
        """In-place ``addcmul``."""
        return self._apply_inplace(self.detach().addcmul(tensor1, tensor2, value=value))

    def addcdiv_(self, tensor1, tensor2, *, value=1):
        """In-place ``addcdiv``."""
        return self._apply_inplace(self.detach().addcdiv(tensor1, tensor2, value=value))

    def fill_diagonal_(self, fill_value, wrap=False):
        """Set the main diagonal to ``fill_value``, in place."""
        self._check_inplace()
        np.fill_diagonal(self._data, fill_value, wrap=wrap)
        return self

    def remainder(self, other):
        """Python's ``%``: the remainder with the sign of the divisor."""
        return self % other

    def fmod(self, other):
        """C's ``fmod``: the remainder with the sign of the dividend (``self - trunc(self / other) * other``)."""
        return self - (self / other).trunc() * other if self.is_floating_point() else \
            Tensor._wrap(np.fmod(self._data, _raw(other)))

    def floor_divide(self, other):
        """``self // other``."""
        return self // other

    def float_power(self, exponent):
        """``self ** exponent`` in float64."""
        return self.double() ** (exponent.double() if isinstance(exponent, Tensor) else exponent)

    def hypot(self, other):
        """sqrt(self^2 + other^2) elementwise."""
        return (self * self + other * other).sqrt()

    def xlogy(self, other):
        """``self * log(other)``, 0 where ``self`` is 0."""
        return where(self == 0, 0.0, self * _floating(other if isinstance(other, Tensor) else Tensor(other)).log())

    def logit(self, eps=None):
        """log(p / (1 - p)), with ``p`` clamped to [eps, 1 - eps] when ``eps`` is given."""
        p = self if eps is None else self.clamp(eps, 1 - eps)
        return (p / (1 - p)).log()

    def signbit(self):
        """Where the sign bit is set (negative numbers and -0.0)."""
        return Tensor._wrap(np.signbit(self._data))

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN, +inf and -inf replaced (by 0 and the dtype's largest and smallest values by default)."""
        info = np.finfo(self._data.dtype) if self._data.dtype.kind == "f" else None
        out = where(self.isnan(), nan, self)
        if info is not None:
            out = where(out.isposinf(), info.max if posinf is None else posinf, out)
            out = where(out.isneginf(), info.min if neginf is None else neginf, out)
        return out

    def positive(self):
        """``+self``."""
        return self

    def ravel(self):
        """The elements as a 1-D tensor."""
        return self.reshape(-1)

    def take(self, index):
        """The elements at ``index`` of the flattened tensor (shaped like ``index``)."""
        return self.reshape(-1)[_raw(index)]

    swapdims = swapaxes

    def repeat_interleave(self, repeats, dim=None):
        """Repeat each element ``repeats`` times (along ``dim``, or over the flattened tensor)."""
        src = self.reshape(-1) if dim is None else self
        axis = 0 if dim is None else self._axes(dim)[0]
        counts = np.broadcast_to(np.asarray(_raw(repeats)), (src.shape[axis],))
        return src.index_select(axis, Tensor._wrap(np.repeat(np.arange(src.shape[axis]), counts)))

    def tensor_split(self, indices_or_sections, dim=0):
        """Split into ``n`` nearly equal parts, or at the given indices, along ``dim``."""
        axis = self._axes(dim)[0]
        n = self._data.shape[axis]
        if isinstance(indices_or_sections, (builtins.int, np.integer)):
            k = builtins.int(indices_or_sections)
            sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        else:
            bounds = [0] + [builtins.min(builtins.max(builtins.int(i), 0), n) for i in indices_or_sections] + [n]
            sizes = [builtins.max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]
        starts = np.cumsum([0] + sizes[:-1])
        return tuple(self.narrow(axis, builtins.int(s), builtins.int(z)) for s, z in zip(starts, sizes))

    def split_with_sizes(self, split_sizes, dim=0):
        """Split along ``dim`` into pieces of the given sizes."""
        return self.split(list(split_sizes), dim)

    def vsplit(self, sections):
        """``tensor_split`` along dimension 0."""
        return self.tensor_split(sections, 0)

    def hsplit(self, sections):
        """``tensor_split`` along dimension 1 (0 for 1-D tensors)."""
        return self.tensor_split(sections, 1 if self._data.ndim > 1 else 0)

    def rot90(self, k=1, dims=(0, 1)):
        """Rotate by 90 degrees ``k`` times, from the first towards the second of ``dims``."""
        k %= 4
        d0, d1 = dims
        if k == 1:
            return self.flip(d1).transpose(d0, d1)
        if k == 2:
            return self.flip(d0, d1)
        if k == 3:
            return self.transpose(d0, d1).flip(d1)
        return self

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The ``k``-th smallest value along ``dim`` (1-based) and its index."""
        axis = self._axes(dim)[0]
        values, indices = self.sort(axis)
        values, indices = values.narrow(axis, k - 1, 1), indices.narrow(axis, k - 1, 1)
        return ValuesIndices(values if keepdim else values.squeeze(axis), indices if keepdim else indices.squeeze(axis))

    def aminmax(self, *, dim=None, keepdim=False):
        """(min, max) over ``dim`` (all elements by default)."""
        return namedtuple("aminmax", ["min", "max"])(self.amin(dim, keepdim), self.amax(dim, keepdim))

    def logdet(self):
        """log(det(self)) (nan for a negative determinant, as PyTorch)."""
        return self.det().log()

    def slogdet(self):
        """(sign, log|det|) of each square matrix."""
        d = self.det()
        return namedtuple("slogdet", ["sign", "logabsdet"])(d.sign(), d.abs().log())

    def matrix_power(self, n):
        """The matrix to the integer power ``n`` (negative: of its inverse)."""
        base = self if n >= 0 else self.inverse()
        out = None
        for _ in range(abs(n)):
            out = base if out is None else out @ base
        if out is None:
            from chainrule.creation import eye

            return eye(self._data.shape[-1], dtype=self._data.dtype).expand(self._data.shape)
        return out

    def dist(self, other, p=2):
        """The p-norm of ``self - other``."""
        return (self - other).norm(p)

    def vdot(self, other):
        """The dot product of two 1-D tensors."""
        return self.dot(other)

    def is_same_size(self, other) -> bool:
        """Whether the two tensors have the same shape."""
        return self.shape == other.shape

    # -- out-of-place scatters (issue 20) -------------------------------------------------------------------
    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        """A copy with ``src`` (or ``value``) written at ``index`` along ``dim``; differentiable in both."""
        if reduce is not None:
            return self.clone().scatter_(dim, index, src, value=value, reduce=reduce)
        if src is None or not isinstance(src, Tensor):
            v = value if src is None else src
            src = Tensor._wrap(np.full(_raw(index).shape, v, self._data.dtype))
        a, s = self._operands(src, broadcast=False)
        return Scatter.apply(a, s, _raw(index), axis=self._axes(dim)[0], add=False)

    def scatter_add(self, dim, index, src):
        """A copy with ``src`` added at ``index`` along ``dim`` (repeated indices add up); differentiable."""
        a, s = self._operands(src, broadcast=False)
        return Scatter.apply(a, s, _raw(index), axis=self._axes(dim)[0], add=True)

    def index_add(self, dim, index, source, *, alpha=1):
        """A copy with ``alpha * source`` added at the positions ``index`` of dimension ``dim``."""
        a, s = self._operands(source, broadcast=False)
        return IndexAdd.apply(a, s, _raw(index), axis=self._axes(dim)[0], alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        """In-place ``index_add``."""
        source = source.detach() if isinstance(source, Tensor) else Tensor(_as_array(source))
        return self._apply_inplace(self.detach().index_add(dim, index, source, alpha=alpha))

    # -- indexing -----------------------------------------------------------------------------------
    def __getitem__(self, index):
        return GetItem.apply(self, index=_index(index))


# -- helpers -----------------------------------------------------------------------------------------
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


op.bind_tensor(Tensor)  # the ops wrap their results in this class (they never import this module)

_LEGACY_NAMES = {dtypes.float32: "FloatTensor", dtypes.float64: "DoubleTensor", dtypes.float16: "HalfTensor",
                 dtypes.int64: "LongTensor", dtypes.int32: "IntTensor", dtypes.int16: "ShortTensor",
                 dtypes.int8: "CharTensor", dtypes.uint8: "ByteTensor", dtypes.bool: "BoolTensor"}
