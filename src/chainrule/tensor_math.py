"""Tensor methods for elementwise math (``x.exp()``, ``x.clamp()``, ``x.atan2(y)`` ...), matrix products
and linear algebra (``x.mm(y)``, ``x.det()`` ...) and their in-place forms (``x.exp_()``).

``Tensor`` (chainrule/tensor.py) inherits them from ``MathMethods``; they live in this file only to keep
each file short enough to read. Every method is still documented as ``help(chainrule.Tensor.<name>)``.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from chainrule.ops.activation import Relu, Sigmoid, Tanh
from chainrule.ops.elementwise import Abs, Clamp, Cos, Exp, Expm1, Log, Log1p, Log2, Log10, Maximum, Minimum, Sin, Sqrt
from chainrule.ops.math import Acos, Asin, Atan, Atan2, Cosh, Erf, Exp2, Reciprocal, Round, Rsqrt, Sinh, Tan
from chainrule.tensor_helpers import _float_operands, _floating, _raw, where

Tensor = None  # the Tensor class, handed over by chainrule.tensor once it exists (as to the ops; see its end)


class MathMethods:
    """Elementwise math, matrix products and in-place math methods of ``Tensor``."""

    __slots__ = ()  # Tensor's instances keep no __dict__

    # -- elementwise math --------------------------------------------------------------------------
    def sign(self) -> Tensor:
        """-1, 0 or 1 elementwise, with the tensor's dtype (no gradient)."""
        return Tensor._wrap(np.sign(self._data))

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

    def relu(self):
        """``max(x, 0)`` elementwise."""
        return Relu.apply(self)

    def sigmoid(self):
        """``1 / (1 + exp(-x))`` elementwise."""
        return Sigmoid.apply(_floating(self))

    def tanh(self):
        """Hyperbolic tangent elementwise."""
        return Tanh.apply(_floating(self))

    def log2(self):
        """Base-2 logarithm elementwise."""
        return Log2.apply(_floating(self))

    def log10(self):
        """Base-10 logarithm elementwise."""
        return Log10.apply(_floating(self))

    def expm1(self):
        """``exp(x) - 1`` elementwise, accurate for small x."""
        return Expm1.apply(_floating(self))

    # -- rounding, trigonometry and more elementwise functions -------------------------------------
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

    absolute = abs

    def logaddexp(self, other):
        """log(exp(self) + exp(other)), without overflow."""
        a, b = _float_operands(*self._operands(other))
        return a.maximum(b) + (-(a - b).abs()).exp().log1p()

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

    # -- matrix products and linear algebra --------------------------------------------------------
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

    def inverse(self):
        """The inverse of each square matrix (see ``linalg.inv``)."""
        from chainrule.linalg import inv

        return inv(self)

    def det(self):
        """The determinant of each square matrix (see ``linalg.det``)."""
        from chainrule.linalg import det

        return det(self)

    def cross(self, other, dim=None):
        """The cross product of 3-vectors along ``dim`` (default: the first dimension of size 3)."""
        if dim is None:
            dim = next(i for i, n in enumerate(np.broadcast_shapes(self._data.shape, other._data.shape)) if n == 3)
        a = [self.select(dim, i) for i in range(3)]
        b = [other.select(dim, i) for i in range(3)]
        from chainrule.functions import stack

        return stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]], dim)

    def kron(self, other):
        """The Kronecker product of two tensors with the same number of dimensions."""
        nd = self._data.ndim
        a = self.reshape(tuple(n for s in self._data.shape for n in (s, 1)))
        b = other.reshape(tuple(n for s in other._data.shape for n in (1, s)))
        return (a * b).reshape(tuple(x * y for x, y in zip(self._data.shape, other._data.shape[-nd:])))

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

    def vdot(self, other):
        """The dot product of two 1-D tensors."""
        return self.dot(other)

    # -- in-place math (no graph) ------------------------------------------------------------------
    def apply_(self, callable):
        """Apply a Python function to every element, in place (slow: one call per element)."""
        self._check_inplace()
        self._data[...] = np.vectorize(callable, otypes=[self._data.dtype])(self._data)
        return self

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

