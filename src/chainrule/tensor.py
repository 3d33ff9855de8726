"""``Tensor``: a NumPy array that remembers how it was computed.

Every differentiable method is a one-line call into an op in ``chainrule/ops``; this file holds the
argument handling PyTorch users expect (``dim`` or ``axis``, ``keepdim``, ``*shape`` or a tuple) and
the dtype rules (a Python number never promotes a float32 tensor).

This file holds the class itself: construction, the autograd fields, basic properties, printing, the
operators (``+``, ``@``, ``+=`` ...), in-place updates and indexing. The other methods are grouped by
concern in files of their own, which ``Tensor`` inherits from:

- ``tensor_convert.py``  (``ConversionMethods``): dtypes, devices, legacy type names, ``new_*``, random fills
- ``tensor_math.py``     (``MathMethods``): elementwise math, matrix products, in-place math
- ``tensor_reduce.py``   (``ReductionMethods``): ``sum``, ``mean``, ``max``, ``softmax``, scans, statistics
- ``tensor_shape.py``    (``ShapeMethods``): reshaping, reordering, gathering and scattering
- ``tensor_compare.py``  (``ComparisonMethods``): comparisons, logic, ``argmax``, sorting
- ``tensor_helpers.py``: the small functions they share (``_raw``, ``_floating``, ``where`` ...)
"""

from __future__ import annotations

import builtins

import numpy as np

from chainrule import devices as _device
from chainrule import dtypes, tensor_compare, tensor_convert, tensor_helpers, tensor_math, tensor_reduce, tensor_shape
from chainrule.arguments import index as _index
from chainrule.arguments import shape as _shape_arg  # noqa: F401 - re-exported (creation.py, sampling.py)
from chainrule.autograd import engine, hooks, op
from chainrule.autograd.functional import grad as _grad
from chainrule.autograd.grad_mode import GradMode
from chainrule.ops.elementwise import Add, Div, FloorDivide, Mul, Neg, Pow, Remainder, Sub
from chainrule.ops.index import GetItem
from chainrule.ops.matmul import MatMul
from chainrule.random import rng_of
from chainrule.tensor_compare import ComparisonMethods
from chainrule.tensor_convert import ConversionMethods
from chainrule.tensor_helpers import ValuesIndices, _as_array, _float_operands, _raw, where  # noqa: F401 - re-exported
from chainrule.tensor_math import MathMethods
from chainrule.tensor_reduce import ReductionMethods
from chainrule.tensor_shape import ShapeMethods

_NUMBER = (builtins.int, builtins.float, builtins.bool)


class Size(tuple):
    """A tensor's shape: a tuple that prints like PyTorch's ``torch.Size([2, 3])``."""

    def __repr__(self):
        return f"Size({list(self)})"

    def numel(self):
        return builtins.int(np.prod(self))


class Tensor(ConversionMethods, MathMethods, ReductionMethods, ShapeMethods, ComparisonMethods):
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

    def register_hook(self, hook):
        """Call ``hook(grad)`` whenever this tensor's gradient is computed (leaf or not); a returned tensor
        replaces the gradient. Returns a handle: ``handle.remove()`` unregisters it (as ``torch``)."""
        return hooks.register(self, hook)

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

    def _repr_html_(self):  # Jupyter: shape, dtype and value range above the values
        from chainrule.utils.html import tensor_html

        return tensor_html(self)

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
    multiply, divide, subtract, true_divide, negative = mul, div, sub, div, neg

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

    # -- indexing -----------------------------------------------------------------------------------
    def __getitem__(self, index):
        return GetItem.apply(self, index=_index(index))


op.bind_tensor(Tensor)  # the ops wrap their results in this class (they never import this module)
for _module in (tensor_helpers, tensor_convert, tensor_math, tensor_reduce, tensor_shape, tensor_compare):
    _module.Tensor = Tensor  # the method groups name the class too; it did not exist when they were imported
