"""Reductions (sum, mean, max/min, var, logsumexp) and softmax / log-softmax.

``axes`` is a tuple of non-negative axes or None (all axes); ``Tensor`` normalises ``dim``. Backward
re-inserts the reduced axes (when ``keepdim`` dropped them) and broadcasts back.
"""

from __future__ import annotations

import numpy as np

from chainrule.autograd.op import Op


def _expand_back(grad, shape, axes, keepdim):
    """Reshape a reduced gradient so it broadcasts against the input of ``shape``."""
    if not keepdim:
        if axes is None:
            return grad.reshape((1,) * len(shape))
        grad = np.expand_dims(grad, axes)
    return grad


class Sum(Op):
    def forward(ctx, a, axes=None, keepdim=False):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        return np.asarray(a.sum(axis=axes, keepdims=keepdim))

    def backward(ctx, grad):
        return np.broadcast_to(_expand_back(grad, ctx.shape, ctx.axes, ctx.keepdim), ctx.shape)


class Mean(Op):
    def forward(ctx, a, axes=None, keepdim=False):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        ctx.count = a.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
        return np.asarray(a.mean(axis=axes, keepdims=keepdim))

    def backward(ctx, grad):
        g = _expand_back(grad, ctx.shape, ctx.axes, ctx.keepdim) / ctx.count
        return np.broadcast_to(g, ctx.shape)


class MaxAll(Op):
    """max() / min() over every element; tied maxima share the gradient evenly, as torch."""

    def forward(ctx, a, largest=True):
        if a.size == 0:
            raise RuntimeError("max(): expected a non-empty tensor; use max(dim) on a non-empty dimension")
        out = np.asarray(a.max() if largest else a.min())
        ctx.a, ctx.out = a, out
        return out

    def backward(ctx, grad):
        mask = ctx.a == ctx.out
        return mask * (grad / mask.sum())


class Amax(Op):
    """amax / amin over ``axes`` (None: all): tied extremes share the gradient evenly, as torch."""

    def forward(ctx, a, axes=None, keepdim=False, largest=True):
        if a.size == 0:
            raise RuntimeError("amax(): expected a non-empty tensor")
        out = a.max(axis=axes, keepdims=True) if largest else a.min(axis=axes, keepdims=True)
        ctx.mask, ctx.shape, ctx.axes, ctx.keepdim = a == out, a.shape, axes, keepdim
        if keepdim:
            return out
        return out.reshape(()) if axes is None else np.squeeze(out, axes)

    def backward(ctx, grad):
        g = _expand_back(grad, ctx.shape, ctx.axes, ctx.keepdim)
        mask = ctx.mask
        count = mask.sum(axis=ctx.axes, keepdims=True).astype(g.dtype)
        return mask * (g / count)


class MaxDim(Op):
    """max(dim) / min(dim): the gradient goes to the element that ``indices`` names."""

    def forward(ctx, a, axis, keepdim=False, largest=True):
        if a.shape[axis] == 0:
            raise IndexError(f"max(dim={axis}): cannot reduce a dimension of size 0")
        idx = np.argmax(a, axis=axis) if largest else np.argmin(a, axis=axis)
        idx = np.expand_dims(idx, axis)
        ctx.shape, ctx.axis, ctx.keepdim, ctx.idx = a.shape, axis, keepdim, idx
        out = np.take_along_axis(a, idx, axis=axis)
        ctx.indices = idx if keepdim else np.squeeze(idx, axis)
        return out if keepdim else np.squeeze(out, axis)

    def backward(ctx, grad):
        g = grad if ctx.keepdim else np.expand_dims(grad, ctx.axis)
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.put_along_axis(out, ctx.idx, g, axis=ctx.axis)
        return out


class Var(Op):
    """Variance with Bessel's ``correction`` (1 = unbiased, PyTorch's default)."""

    def forward(ctx, a, axes=None, correction=1, keepdim=False):
        n = a.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
        mean = a.mean(axis=axes, keepdims=True)
        ctx.centered = a - mean
        ctx.denom = max(n - correction, 0)
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        with np.errstate(divide="ignore", invalid="ignore"):
            sq = np.asarray((ctx.centered * ctx.centered).sum(axis=axes, keepdims=keepdim))
            return np.asarray(sq / ctx.denom, dtype=a.dtype)

    def backward(ctx, grad):
        g = _expand_back(grad, ctx.shape, ctx.axes, ctx.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return g * (2 / ctx.denom if ctx.denom else np.inf) * ctx.centered


class Std(Var):
    """Standard deviation: sqrt of ``Var``; where it is 0 the gradient is 0 (not nan), as torch."""

    def forward(ctx, a, axes=None, correction=1, keepdim=False):
        ctx.std = np.sqrt(Var.forward(ctx, a, axes, correction, keepdim))
        return ctx.std

    def backward(ctx, grad):
        std = ctx.std
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(std == 0, 0, grad / (2 * std))
        return Var.backward(ctx, g)


class LogSumExp(Op):
    def forward(ctx, a, axes, keepdim=False):
        m = np.max(a, axis=axes, keepdims=True) if a.size else np.zeros((1,) * a.ndim, a.dtype)
        m = np.where(np.isfinite(m), m, 0)  # all -inf rows stay -inf instead of becoming nan
        with np.errstate(divide="ignore"):
            out = np.log(np.exp(a - m).sum(axis=axes, keepdims=True)) + m
        ctx.a, ctx.out, ctx.axes, ctx.keepdim = a, out, axes, keepdim
        return out if keepdim else np.squeeze(out, axes)

    def backward(ctx, grad):
        g = grad if ctx.keepdim else np.expand_dims(grad, ctx.axes)
        return g * np.exp(ctx.a - ctx.out)


class Softmax(Op):
    def forward(ctx, a, axis):
        ctx.axis = axis
        if a.size == 0:
            ctx.out = a.copy()
            return ctx.out
        e = np.exp(a - a.max(axis=axis, keepdims=True))  # shift by the max: no overflow
        e /= e.sum(axis=axis, keepdims=True)
        ctx.out, ctx.axis = e, axis
        return e

    def backward(ctx, grad):
        s = ctx.out
        # Jacobian-vector product: s * (g - sum(g * s))
        return s * (grad - (grad * s).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Op):
    def forward(ctx, a, axis):
        ctx.axis = axis
        if a.size == 0:
            ctx.out = a.copy()
            return ctx.out
        shifted = a - a.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.out, ctx.axis = out, axis
        return out

    def backward(ctx, grad):
        return grad - np.exp(ctx.out) * grad.sum(axis=ctx.axis, keepdims=True)
