"""Fused layer ops: dropout, embedding lookup, batch norm and layer norm, each one graph node.

A composite of elementwise ops would give the same numbers; one node per layer keeps the graph
short, saves temporaries, and puts the whole derivative in one readable place.
"""

from __future__ import annotations

import numpy as np

from chainrule.autograd.op import Op


class Dropout(Op):
    """``x * mask``, where ``mask`` holds 0 (dropped) or ``1 / (1 - p)`` (kept): inverted dropout.

    The caller draws the mask, so the op stays deterministic and testable.
    """

    def forward(ctx, x, mask):
        ctx.mask = mask
        return x * mask

    def backward(ctx, grad):
        return grad * ctx.mask, None


def add_rows(num, idx, rows):
    """A (num, dim) array whose row i is the sum of ``rows[j]`` over every j with ``idx[j] == i``.

    ``np.add.at`` in effect, three to four times faster: a stable sort groups equal indices, one
    ``np.add.reduceat`` sums each group in its original order.
    """
    out = np.zeros((num,) + rows.shape[1:], dtype=rows.dtype)
    if idx.size:
        order = np.argsort(idx, kind="stable")
        s = idx[order]
        starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
        out[s[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return out


class Embedding(Op):
    """Rows of ``weight`` picked by integer ``indices``; gradients of repeated rows add up.

    Shapes: indices (*), weight (num_embeddings, dim) -> (*, dim).
    """

    def forward(ctx, indices, weight, padding_idx=None, scale_grad_by_freq=False):
        ctx.indices, ctx.num, ctx.padding_idx, ctx.scale = indices, weight.shape[0], padding_idx, scale_grad_by_freq
        return weight[indices]

    def backward(ctx, grad):
        idx = ctx.indices.reshape(-1)
        g = grad.reshape(idx.size, grad.shape[-1])
        if ctx.scale:  # scale_grad_by_freq: divide each row's gradient by how often it occurs in the batch
            counts = np.bincount(idx, minlength=ctx.num)
            g = g / counts[idx, None].astype(g.dtype)
        gw = add_rows(ctx.num, idx, g)
        if ctx.padding_idx is not None:
            gw[ctx.padding_idx] = 0  # the padding row never learns
        return None, gw


def _channel_axes(x):
    # (N, C) -> reduce over N; (N, C, L, ...) -> over N and every axis after C
    return (0,) + tuple(range(2, x.ndim))


def _per_channel(v, ndim):
    # (C,) -> (C, 1, ...) so that it broadcasts against (N, C, L, ...)
    return v if ndim == 2 else v.reshape(v.shape + (1,) * (ndim - 2))


class BatchNorm(Op):
    """Normalise each channel with its batch statistics (training) or the given running ones (eval).

    Training: xhat = (x - mean) / sqrt(var + eps) with the biased batch variance; y = xhat * w + b.
    When ``running_mean`` / ``running_var`` arrays are given in training they are updated in place:
    ``running = (1 - momentum) * running + momentum * batch_stat`` (unbiased variance).
    Shapes: x (N, C, *) such as (N, C) or (N, C, L); weight, bias, running stats (C,).
    """

    def forward(ctx, x, weight, bias, running_mean=None, running_var=None, training=True, momentum=0.1, eps=1e-5):
        axes = _channel_axes(x)
        if training:
            mean = x.mean(axis=axes)
            centered = x - _per_channel(mean, x.ndim)
            var = np.square(centered).mean(axis=axes)
            if running_mean is not None:
                m = x.size // x.shape[1]
                running_mean *= 1 - momentum
                running_mean += momentum * mean.astype(running_mean.dtype, copy=False)
                running_var *= 1 - momentum
                running_var += (momentum * m / max(m - 1, 1)) * var.astype(running_var.dtype, copy=False)
        else:
            mean, var = running_mean.astype(x.dtype, copy=False), running_var.astype(x.dtype, copy=False)
            centered = x - _per_channel(mean, x.ndim)
        invstd = 1 / np.sqrt(var + eps)
        xhat = centered * _per_channel(invstd, x.ndim)
        ctx.xhat, ctx.invstd, ctx.weight, ctx.training, ctx.axes = xhat, invstd, weight, training, axes
        out = xhat * _per_channel(weight, x.ndim) if weight is not None else xhat.copy()
        if bias is not None:
            out += _per_channel(bias, x.ndim)
        return out

    def backward(ctx, grad):
        xhat, invstd, w, axes = ctx.xhat, ctx.invstd, ctx.weight, ctx.axes
        nd = grad.ndim
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gb = grad.sum(axis=axes)  # dL/dbias
        gw = (grad * xhat).sum(axis=axes)  # dL/dweight
        gx = None
        if need_x:
            scale = invstd if w is None else invstd * w
            if ctx.training:
                # through the batch statistics: gx = w*invstd * (g - mean(g) - xhat * mean(g * xhat))
                m = grad.size // grad.shape[1]
                gx = _per_channel(scale, nd) * (grad - _per_channel(gb / m, nd) - xhat * _per_channel(gw / m, nd))
            else:
                gx = grad * _per_channel(scale, nd)
        return gx, (gw if need_w else None), (gb if need_b else None)


class LayerNorm(Op):
    """Normalise over the last ``ndims`` axes of each sample, then scale and shift elementwise.

    xhat = (x - mean) / sqrt(var + eps) (biased variance over the normalised axes); y = xhat * w + b.
    Shapes: x (*, *normalized_shape); weight, bias normalized_shape (or None).
    """

    def forward(ctx, x, weight, bias, ndims=1, eps=1e-5):
        axes = tuple(range(x.ndim - ndims, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = np.square(centered).mean(axis=axes, keepdims=True)
        invstd = 1 / np.sqrt(var + eps)
        xhat = centered * invstd
        ctx.xhat, ctx.invstd, ctx.weight, ctx.axes = xhat, invstd, weight, axes
        out = xhat * weight if weight is not None else xhat.copy()
        if bias is not None:
            out += bias
        return out

    def backward(ctx, grad):
        xhat, invstd, w, axes = ctx.xhat, ctx.invstd, ctx.weight, ctx.axes
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        batch_axes = tuple(range(grad.ndim - len(axes)))
        gx = gw = gb = None
        if need_x:
            gxhat = grad * w if w is not None else grad
            # gx = invstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)) over the normalised axes
            gx = invstd * (gxhat - gxhat.mean(axis=axes, keepdims=True)
                           - xhat * (gxhat * xhat).mean(axis=axes, keepdims=True))
        if need_w:
            gw = (grad * xhat).sum(axis=batch_axes)
        if need_b:
            gb = grad.sum(axis=batch_axes)
        return gx, gw, gb
