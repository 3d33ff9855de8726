"""Distances between sets of vectors (``cdist``) and bags of embeddings (``EmbeddingBag``).

Both are one graph node with the derivative written out: ``cdist`` through broadcasting would hold a
(P, R, M) difference tensor in the graph; here the differences are made in row chunks, once forward and
once backward, so memory stays at about ``_CHUNK`` numbers whatever P and R are.
"""

from __future__ import annotations

import numpy as np

from chainrule.autograd.op import Op
from chainrule.ops.nn import add_rows

_CHUNK = 1 << 21  # numbers in one (rows, R, M) block of differences


def _rows_per_chunk(r: int, m: int) -> int:
    return max(1, _CHUNK // max(1, r * m))


def _pnorm(diff, p):
    a = np.abs(diff)
    if p == 0:
        return (a != 0).sum(-1).astype(diff.dtype)
    if p == 1:
        return a.sum(-1)
    if p == 2:
        return np.sqrt((a * a).sum(-1))
    if np.isinf(p):
        return a.max(-1) if a.shape[-1] else np.zeros(a.shape[:-1], diff.dtype)
    return (a ** p).sum(-1) ** (1.0 / p)


class CDist(Op):
    """p-norm distances between the rows of ``x1`` (B, P, M) and ``x2`` (B, R, M): (B, P, R).

    The gradient follows PyTorch's ``_cdist_backward``: 0 where a distance is 0; for p = inf every
    coordinate that attains the maximum gets the full gradient; for p < 1 a zero coordinate gets 0.
    """

    def forward(ctx, x1, x2, p=2.0, use_mm=False):
        ctx.x1, ctx.x2, ctx.p = x1, x2, p
        if p == 2 and use_mm:
            sq = (np.einsum("bpm,bpm->bp", x1, x1)[:, :, None] - 2 * (x1 @ x2.transpose(0, 2, 1))
                  + np.einsum("brm,brm->br", x2, x2)[:, None, :])
            out = np.sqrt(np.maximum(sq, 0))
        else:
            b, n, r, m = x1.shape[0], x1.shape[1], x2.shape[1], x1.shape[2]
            out = np.empty((b, n, r), dtype=np.result_type(x1, x2))
            step = _rows_per_chunk(r, m)
            for i in range(0, n, step):
                out[:, i:i + step] = _pnorm(x1[:, i:i + step, None, :] - x2[:, None, :, :], p)
        ctx.out = out
        return out

    def backward(ctx, grad):
        x1, x2, p, d = ctx.x1, ctx.x2, ctx.p, ctx.out
        if p == 0:
            return np.zeros_like(x1), np.zeros_like(x2)
        if p == 2:
            w = np.divide(grad, d, out=np.zeros_like(d), where=d != 0)
            g1 = x1 * w.sum(2)[:, :, None] - w @ x2
            g2 = x2 * w.sum(1)[:, :, None] - w.transpose(0, 2, 1) @ x1
            return g1, g2
        g1, g2 = np.zeros_like(x1), np.zeros_like(x2)
        step = _rows_per_chunk(x2.shape[1], x1.shape[2])
        for i in range(0, x1.shape[1], step):
            diff = x1[:, i:i + step, None, :] - x2[:, None, :, :]
            dd, gg = d[:, i:i + step, :, None], grad[:, i:i + step, :, None]
            if p == 1:
                t = gg * np.sign(diff)
            elif np.isinf(p):
                t = gg * np.sign(diff) * (np.abs(diff) == dd)
            else:
                a = np.abs(diff)
                zero = (dd == 0) | ((a == 0) & (p < 1))
                with np.errstate(divide="ignore", invalid="ignore"):
                    t = np.sign(diff) * a ** (p - 1) * gg / dd ** (p - 1)
                t = np.where(zero, 0, t)
            g1[:, i:i + step] = t.sum(2)
            g2 -= t.sum(1)
        return g1, g2


class EmbeddingBag(Op):
    """Reduce bags of rows of ``weight``: bag ``b`` holds ``indices[starts[b]:ends[b]]``.

    mode 'sum' (optionally weighting each row by ``per_sample_weights``), 'mean' or 'max'. An empty bag
    gives a zero row. Rows equal to ``padding_idx`` are left out of the bag (and of the mean's count).
    """

    def forward(ctx, weight, psw, indices=None, starts=None, ends=None, mode="mean", padding_idx=None,
                scale_grad_by_freq=False):
        nb, dim = len(starts), weight.shape[1]
        keep = np.ones(indices.shape, bool) if padding_idx is None else indices != padding_idx
        bag = np.repeat(np.arange(nb), ends - starts)  # bag id of every position
        pos = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)]) if nb else np.zeros(0, np.int64)
        pos, bag = pos[keep[pos]], bag[keep[pos]]
        rows = weight[indices[pos]]
        ctx.shape, ctx.pos, ctx.bag, ctx.indices, ctx.mode, ctx.nb = weight.shape, pos, bag, indices, mode, nb
        ctx.scale = scale_grad_by_freq
        out = np.zeros((nb, dim), dtype=weight.dtype)
        if mode == "max":
            out[...] = -np.inf
            np.maximum.at(out, bag, rows)
            filled = np.bincount(bag, minlength=nb) > 0
            out[~filled] = 0
            # the position that gave each maximum (the first one on ties)
            first = np.full((nb, dim), len(pos), np.int64)
            np.minimum.at(first, bag, np.where(rows == out[bag], np.arange(len(pos))[:, None], len(pos)))
            arg = np.where(first < len(pos), pos[np.minimum(first, max(len(pos) - 1, 0))] if len(pos) else -1, -1)
            ctx.arg = arg
            return out
        if psw is not None:
            ctx.psw = psw[pos]
            rows = rows * ctx.psw[:, None]
        np.add.at(out, bag, rows)
        if mode == "mean":
            count = np.bincount(bag, minlength=nb).astype(weight.dtype)
            ctx.count = np.maximum(count, 1)
            out /= ctx.count[:, None]
        ctx.rows = weight[indices[pos]] if psw is not None else None
        return out

    def backward(ctx, grad):
        gw = np.zeros(ctx.shape, dtype=grad.dtype)
        if ctx.mode == "max":
            b, c = np.nonzero(ctx.arg >= 0)
            np.add.at(gw, (ctx.indices[ctx.arg[b, c]], c), grad[b, c])
            return gw, None
        g = grad[ctx.bag]
        if ctx.mode == "mean":
            g = g / ctx.count[ctx.bag][:, None]
        gpsw = None
        if ctx.rows is not None:
            if ctx.needs_input_grad[1]:
                gpsw = np.zeros(ctx.indices.shape, dtype=grad.dtype)
                gpsw[ctx.pos] = (g * ctx.rows).sum(1)
            g = g * ctx.psw[:, None]
        if ctx.scale:  # each id's gradient divided by its count in the whole input
            g = g / np.bincount(ctx.indices, minlength=ctx.shape[0])[ctx.indices[ctx.pos]][:, None].astype(g.dtype)
        gw += add_rows(ctx.shape[0], ctx.indices[ctx.pos], g)
        return gw, gpsw
