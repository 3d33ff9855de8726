"""Linear resampling and padding ops: ``Resample`` (separable matrices along H and W) and ``Pad``.

Adaptive average pooling and nearest / (bi)linear interpolation are all linear maps that act on
the rows and the columns separately: out = Mh @ x @ Mw.T with small (out, in) matrices. One op
covers them all, and its backward is the transpose: dx = Mh.T @ g @ Mw.
"""

from __future__ import annotations

import numpy as np

from chainrule.autograd.op import Op


class Resample(Op):
    """x (..., H, W) -> Mh @ x @ Mw.T; ``mh`` may be None (a 1-D map along the last axis only)."""

    def forward(ctx, x, mh=None, mw=None):
        ctx.mh, ctx.mw = mh, mw
        out = x @ mw.T
        return mh @ out if mh is not None else out

    def backward(ctx, grad):
        g = ctx.mh.T @ grad if ctx.mh is not None else grad
        return g @ ctx.mw


class Pad(Op):
    """Pad the last ``len(pads)`` axes; ``pads[i] = (before, after)``, negative values crop (constant mode).

    ``mode`` is 'constant' (with ``value``), 'reflect', 'replicate' or 'circular'.
    """

    def forward(ctx, x, pads=(), mode="constant", value=0.0):
        lead = x.ndim - len(pads)
        ctx.pads, ctx.mode, ctx.lead, ctx.x_shape = pads, mode, lead, x.shape
        if mode == "constant":
            shape = x.shape[:lead] + tuple(n + a + b for n, (a, b) in zip(x.shape[lead:], pads))
            out = np.full(shape, value, dtype=x.dtype)
            out[ctx._inner(shape)] = x[ctx._inner(x.shape, source=True)]
            return out
        ctx.maps = [_source_index(n, a, b, mode) for n, (a, b) in zip(x.shape[lead:], pads)]
        out = x
        for ax, src in enumerate(ctx.maps):
            out = np.take(out, src, axis=lead + ax)
        return out

    def _inner(ctx, shape, source=False):
        # the slices where input and output overlap: in the output (source=False) or the input
        idx = [slice(None)] * ctx.lead
        for n, (a, b) in zip(shape[ctx.lead:], ctx.pads):
            a, b = (-a, -b) if source else (a, b)
            idx.append(slice(max(a, 0), n - max(b, 0)))
        return tuple(idx)

    def backward(ctx, grad):
        if ctx.mode == "constant":
            gx = np.zeros(ctx.x_shape, dtype=grad.dtype)
            gx[ctx._inner(ctx.x_shape, source=True)] = grad[ctx._inner(grad.shape)]
            return gx
        g = grad
        for ax in reversed(range(len(ctx.maps))):
            src, axis = ctx.maps[ax], ctx.lead + ax
            onehot = np.zeros((src.size, ctx.x_shape[axis]), dtype=grad.dtype)
            onehot[np.arange(src.size), src] = 1
            g = np.moveaxis(np.tensordot(g, onehot, axes=([axis], [0])), -1, axis)
        return g


def _source_index(n, before, after, mode):
    np_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    return np.pad(np.arange(n), (before, after), mode=np_mode)
