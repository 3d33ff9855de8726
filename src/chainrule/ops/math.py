"""More elementwise math, scans and rearrangements: each op reads like its derivative.

Rounding (``floor``, ``ceil``, ``round``, ``trunc``) has gradient 0 almost everywhere, as PyTorch
defines it; ``Gather`` and ``Flip``/``Roll`` move gradients back to where values came from.
"""

from __future__ import annotations

import math

import numpy as np

from chainrule.autograd.op import Op
from chainrule.ops.activation import normal_cdf


class Tan(Op):
    def forward(ctx, a):
        ctx.out = np.tan(a)
        return ctx.out

    def backward(ctx, grad):
        return grad * (1 + ctx.out * ctx.out)


class Sinh(Op):
    def forward(ctx, a):
        ctx.a = a
        return np.sinh(a)

    def backward(ctx, grad):
        return grad * np.cosh(ctx.a)


class Cosh(Op):
    def forward(ctx, a):
        ctx.a = a
        return np.cosh(a)

    def backward(ctx, grad):
        return grad * np.sinh(ctx.a)


class Asin(Op):
    def forward(ctx, a):
        ctx.a = a
        return np.arcsin(a)

    def backward(ctx, grad):
        return grad / np.sqrt(1 - ctx.a * ctx.a)


class Acos(Op):
    def forward(ctx, a):
        ctx.a = a
        return np.arccos(a)

    def backward(ctx, grad):
        return -grad / np.sqrt(1 - ctx.a * ctx.a)


class Atan(Op):
    def forward(ctx, a):
        ctx.a = a
        return np.arctan(a)

    def backward(ctx, grad):
        return grad / (1 + ctx.a * ctx.a)


class Atan2(Op):
    """atan2(a, b): the angle of the point (b, a)."""

    def forward(ctx, a, b):
        ctx.a, ctx.b = a, b
        return np.arctan2(a, b)

    def backward(ctx, grad):
        a, b = ctx.a, ctx.b
        r2 = a * a + b * b
        return grad * b / r2, -grad * a / r2


class Rsqrt(Op):
    def forward(ctx, a):
        ctx.out = 1 / np.sqrt(a)
        return ctx.out

    def backward(ctx, grad):
        return grad * -0.5 * ctx.out**3


class Reciprocal(Op):
    def forward(ctx, a):
        ctx.out = 1 / a
        return ctx.out

    def backward(ctx, grad):
        return -grad * ctx.out * ctx.out


class Exp2(Op):
    def forward(ctx, a):
        ctx.out = np.exp2(a)
        return ctx.out

    def backward(ctx, grad):
        return grad * ctx.out * math.log(2)


class Erf(Op):
    """erf(x) = 2 Phi(x sqrt 2) - 1 (``normal_cdf``: exact in float64, ~1 ulp in float32)."""

    def forward(ctx, a):
        ctx.a = a
        return (2 * normal_cdf(a * np.asarray(math.sqrt(2), a.dtype)) - 1).astype(a.dtype)

    def backward(ctx, grad):
        return grad * (2 / math.sqrt(math.pi)) * np.exp(-ctx.a * ctx.a)


class Round(Op):
    """floor / ceil / round / trunc: piecewise constant, so the gradient is 0 (as PyTorch)."""

    def forward(ctx, a, fn, decimals=0):
        return fn(a) if not decimals else np.round(a, decimals)

    def backward(ctx, grad):
        return np.zeros_like(grad)


class Cumsum(Op):
    def forward(ctx, a, axis):
        ctx.axis = axis
        return np.cumsum(a, axis=axis)

    def backward(ctx, grad):
        # each input feeds every later partial sum: a reversed cumulative sum of the gradient
        return np.flip(np.cumsum(np.flip(grad, ctx.axis), axis=ctx.axis), ctx.axis)


class Prod(Op):
    """Product over ``axis`` (None: all); zeros are handled by products of the other elements."""

    def forward(ctx, a, axis, keepdim):
        ctx.a, ctx.axis, ctx.keepdim = a, axis, keepdim
        return np.prod(a, axis=axis, keepdims=keepdim)

    def backward(ctx, grad):
        a, axis = ctx.a, ctx.axis
        flat = a.reshape(-1) if axis is None else a
        ax = 0 if axis is None else axis
        # product of all the others = (product of those before) * (product of those after)
        ones = np.ones_like(np.take(flat, [0], axis=ax))
        before = np.cumprod(np.concatenate([ones, np.delete(flat, -1, axis=ax)], axis=ax), axis=ax)
        after = np.flip(np.cumprod(np.concatenate([ones, np.flip(np.delete(flat, 0, axis=ax), ax)], axis=ax),
                                   axis=ax), ax)
        others = (before * after).reshape(a.shape)
        if axis is not None and not ctx.keepdim:
            grad = np.expand_dims(grad, axis)
        return grad * others


class Flip(Op):
    def forward(ctx, a, axes):
        ctx.axes = axes
        return np.flip(a, axes).copy()

    def backward(ctx, grad):
        return np.flip(grad, ctx.axes)


class Roll(Op):
    def forward(ctx, a, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return np.roll(a, shifts, axes)

    def backward(ctx, grad):
        back = -np.asarray(ctx.shifts) if not isinstance(ctx.shifts, int) else -ctx.shifts
        return np.roll(grad, back if ctx.axes is None or isinstance(back, int) else tuple(back), ctx.axes)


class Gather(Op):
    """``out[i][j] = a[i][index[i][j]]`` along ``axis`` (``torch.gather``); repeated indices add up."""

    def forward(ctx, a, index, axis):
        ctx.shape, ctx.index, ctx.axis = a.shape, index, axis
        # PyTorch allows an index smaller than the input in the other dimensions
        part = a[tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(index.shape))]
        return np.take_along_axis(part, index, axis=axis)

    def backward(ctx, grad):
        out = np.zeros(ctx.shape, grad.dtype)
        idx = [np.arange(n).reshape([-1 if d == i else 1 for d in range(grad.ndim)])
               for i, n in enumerate(ctx.index.shape)]
        idx[ctx.axis] = ctx.index
        np.add.at(out, tuple(idx), grad)
        return out


def _scatter_index(index, axis):
    """Full index arrays for ``index`` along ``axis`` (the other axes count up), for fancy indexing."""
    idx = [np.arange(n).reshape([-1 if d == i else 1 for d in range(index.ndim)]) for i, n in enumerate(index.shape)]
    idx[axis] = index
    return tuple(idx)


class Scatter(Op):
    """``out = a`` with ``out[i][index[i][j]] = src[i][j]`` along ``axis`` (``add``: added instead).

    Gradients: ``a`` gets the output gradient except where it was overwritten; ``src`` gets the output
    gradient at the places it went to.
    """

    def forward(ctx, a, src, index, axis, add):
        ctx.where, ctx.add = _scatter_index(index, axis), add
        out = a.copy()
        part = src[tuple(slice(0, n) for n in index.shape)]
        if add:
            np.add.at(out, ctx.where, part)
        else:
            out[ctx.where] = part
        ctx.src_shape, ctx.index_shape = src.shape, index.shape
        return out

    def backward(ctx, grad):
        need_a, need_src = ctx.needs_input_grad[:2]
        ga = gsrc = None
        if need_a:
            ga = grad
            if not ctx.add:
                ga = grad.copy()
                ga[ctx.where] = 0
        if need_src:
            gsrc = np.zeros(ctx.src_shape, grad.dtype)
            gsrc[tuple(slice(0, n) for n in ctx.index_shape)] = grad[ctx.where]
        return ga, gsrc


class IndexAdd(Op):
    """``out = a``; ``out[..., index[k], ...] += alpha * source[..., k, ...]`` along ``axis``."""

    def forward(ctx, a, source, index, axis, alpha):
        ctx.index, ctx.axis, ctx.alpha = index, axis, alpha
        out = a.copy()
        np.add.at(np.moveaxis(out, axis, 0), index, np.moveaxis(source, axis, 0) * alpha)
        return out

    def backward(ctx, grad):
        need_a, need_src = ctx.needs_input_grad[:2]
        gsrc = np.take(grad, ctx.index, axis=ctx.axis) * ctx.alpha if need_src else None
        return (grad if need_a else None), gsrc
