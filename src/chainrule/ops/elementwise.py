"""Elementwise arithmetic and math: each op reads like its derivative.

Inputs may be arrays or plain Python numbers (a constant gets no gradient). Gradients are returned in
the broadcast shape of the output; the engine sums them back to each input's shape.
"""

from __future__ import annotations

import math

import numpy as np

from chainrule.autograd.op import Op


class Add(Op):
    def forward(ctx, a, b):
        return a + b

    def backward(ctx, grad):
        return grad, grad


class Sub(Op):
    def forward(ctx, a, b):
        return a - b

    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Op):
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return a * b

    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        return (grad * ctx.b if need_a else None), (grad * ctx.a if need_b else None)


class Div(Op):
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return a / b

    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        ga = grad / ctx.b if need_a else None
        gb = -grad * ctx.a / (ctx.b * ctx.b) if need_b else None  # d(a/b)/db = -a/b^2
        return ga, gb


class Remainder(Op):
    """``a % b`` with the sign of ``b`` (Python's and PyTorch's ``remainder``): ``a - floor(a / b) * b``."""

    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return np.remainder(a, b)

    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        gb = -grad * np.floor_divide(ctx.a, ctx.b) if need_b else None  # d/db (a - floor(a/b) b), floor flat
        return (grad if need_a else None), gb


class FloorDivide(Op):
    """``a // b``: recorded, but with no derivative, as in PyTorch (backward through it raises)."""

    def forward(ctx, a, b):
        return np.floor_divide(a, b)

    def backward(ctx, grad):
        raise RuntimeError("derivative for floor_divide is not implemented (a // b is piecewise constant); "
                           "write a.detach() // b where no gradient should flow through it")


class Pow(Op):
    """``a ** b`` where either side may be a constant."""

    def forward(ctx, a, b):
        out = a**b
        ctx.a, ctx.b, ctx.out = a, b, out
        return out

    def backward(ctx, grad):
        a, b, out = ctx.a, ctx.b, ctx.out
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        if need_a:
            if isinstance(b, (int, float)):
                # NOTE: x**0 has gradient 0 everywhere (also at x == 0), as in PyTorch
                ga = grad * (b * a ** (b - 1)) if b != 0 else grad * 0
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    ga = grad * np.where(b == 0, 0, b * a ** (b - 1))  # 0 where b == 0, as above
        if need_b:
            # d(a**b)/db = a**b * log(a); PyTorch defines it as 0 where a == 0 and b >= 0
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = grad * np.where((a == 0) & (b >= 0), 0, out * np.log(a))
        return ga, gb


class Neg(Op):
    def forward(ctx, a):
        return -a

    def backward(ctx, grad):
        return -grad


class Exp(Op):
    def forward(ctx, a):
        ctx.out = np.exp(a)
        return ctx.out

    def backward(ctx, grad):
        return grad * ctx.out


class Log(Op):
    def forward(ctx, a):
        ctx.a = a
        return np.log(a)

    def backward(ctx, grad):
        return grad / ctx.a


class Log1p(Op):
    def forward(ctx, a):
        ctx.a = a
        return np.log1p(a)

    def backward(ctx, grad):
        return grad / (1 + ctx.a)


class Sqrt(Op):
    def forward(ctx, a):
        ctx.out = np.sqrt(a)
        return ctx.out

    def backward(ctx, grad):
        return grad / (2 * ctx.out)


class Abs(Op):
    def forward(ctx, a):
        ctx.a = a
        return np.abs(a)

    def backward(ctx, grad):
        return grad * np.sign(ctx.a)  # NOTE: abs'(0) := 0, as torch


class Sin(Op):
    def forward(ctx, a):
        ctx.a = a
        return np.sin(a)

    def backward(ctx, grad):
        return grad * np.cos(ctx.a)


class Cos(Op):
    def forward(ctx, a):
        ctx.a = a
        return np.cos(a)

    def backward(ctx, grad):
        return -grad * np.sin(ctx.a)


class Clamp(Op):
    def forward(ctx, a, lo=None, hi=None):
        ctx.a, ctx.lo, ctx.hi = a, lo, hi
        return np.clip(a, lo, hi)

    def backward(ctx, grad):
        a, lo, hi = ctx.a, ctx.lo, ctx.hi
        mask = True
        if lo is not None:
            mask = a >= lo  # NOTE: the bounds themselves pass the gradient, as torch
        if hi is not None:
            mask = mask & (a <= hi)
        return grad * mask


class Maximum(Op):
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return np.maximum(a, b)

    def backward(ctx, grad):
        # NOTE: where a == b the gradient is split in half between the two, as torch
        a, b = ctx.a, ctx.b
        share = (a > b) + 0.5 * (a == b)
        need_a, need_b = ctx.needs_input_grad
        return (grad * share if need_a else None), (grad * (1 - share) if need_b else None)


class Minimum(Op):
    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return np.minimum(a, b)

    def backward(ctx, grad):
        a, b = ctx.a, ctx.b
        share = (a < b) + 0.5 * (a == b)
        need_a, need_b = ctx.needs_input_grad
        return (grad * share if need_a else None), (grad * (1 - share) if need_b else None)


class Where(Op):
    """``where(cond, a, b)``: ``cond`` is a boolean array and gets no gradient."""

    def forward(ctx, cond, a, b):
        ctx.cond = cond
        return np.where(cond, a, b)

    def backward(ctx, grad):
        cond = ctx.cond
        _, need_a, need_b = ctx.needs_input_grad
        zero = np.zeros((), dtype=grad.dtype)
        ga = np.where(cond, grad, zero) if need_a else None
        gb = np.where(cond, zero, grad) if need_b else None
        return None, ga, gb


class Copy(Op):
    """Identity with a fresh buffer: ``clone()``, and dtype casts (``to``) that keep the graph."""

    def forward(ctx, a, dtype=None):
        ctx.dtype = a.dtype
        return a.astype(dtype) if dtype is not None else a.copy()

    def backward(ctx, grad):
        return grad.astype(ctx.dtype, copy=False)


_erf = np.frompyfunc(math.erf, 1, 1)


def erf(x):
    """Exact error function elementwise (NumPy has none; math.erf is exact to the last bit)."""
    x = np.asarray(x)  # 0-d inputs arrive as NumPy scalars, and frompyfunc then returns a float
    return np.asarray(_erf(x), dtype=x.dtype)


class Log2(Op):
    def forward(ctx, a):
        ctx.a = a
        return np.log2(a)

    def backward(ctx, grad):
        return grad / (ctx.a * math.log(2))


class Log10(Op):
    def forward(ctx, a):
        ctx.a = a
        return np.log10(a)

    def backward(ctx, grad):
        return grad / (ctx.a * math.log(10))


class Expm1(Op):
    def forward(ctx, a):
        out = np.expm1(a)
        ctx.out = out
        return out

    def backward(ctx, grad):
        return grad * (ctx.out + 1)  # d(e^a - 1)/da = e^a
