"""``Tensor``: a NumPy array that remembers how it was computed.

Every differentiable method is a one-line call into an op in ``chainrule/ops``; this file holds the
argument handling PyTorch users expect (``dim`` or ``axis``, ``keepdim``, ``*shape`` or a tuple) and
the dtype rules (a Python number never promotes a float32 tensor).
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

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
from chainrule.ops.index import GetItem
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
        data: a NumPy array (kept as is, no copy), or a list or number (made float32, as ``torch.Tensor``).
        requires_grad (bool): record operations on this tensor for ``backward()``. Default False.

    >>> x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
    """

    __slots__ = ("_data", "grad", "_requires_grad", "_ctx", "__weakref__")
    __array_priority__ = 1000  # `ndarray + tensor` calls Tensor.__radd__
    __hash__ = object.__hash__  # identity, as in PyTorch (== is elementwise)

    def __init__(self, data, requires_grad=False):
        # like torch.Tensor(...): lists and numbers become the default float dtype; arrays keep theirs
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
    def device(self) -> str:
        """Always ``'cpu'``: chainrule computes with NumPy on the CPU."""
        return "cpu"

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
            elif isinstance(a, str) or a is None:
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

    def sum(self, dim=None, keepdim=False, *, axis=None, dtype=None):
        """Sum over all elements, or over ``dim`` (an int or a tuple), keeping the dims with ``keepdim``."""
        src = self.to(dtype) if dtype is not None else self
        if src._data.dtype.kind in "bu" or src._data.dtype in (dtypes.int8, dtypes.int16, dtypes.int32):
            src = src.long()  # integer sums accumulate in int64, as torch
        return Sum.apply(src, axes=self._axes(dim, axis), keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, *, axis=None, dtype=None):
        """Mean over all elements, or over ``dim`` (an int or a tuple), keeping the dims with ``keepdim``."""
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
