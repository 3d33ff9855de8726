"""Matrix products: ``a @ b`` in every PyTorch form, and the fused ``x @ W.T + b`` of a Linear layer."""

from __future__ import annotations

import math

import numpy as np

from chainrule.autograd.op import Op
from chainrule.threads import poll as poll_threads


def _rows(x):
    """View (..., k) as (rows, k); reshape(-1, k) is ambiguous when x is empty."""
    return x.reshape(math.prod(x.shape[:-1]), x.shape[-1])


class MatMul(Op):
    """1-D, 2-D and batched products with broadcast batch dimensions, like ``torch.matmul``."""

    def forward(ctx, a, b):
        poll_threads()  # BLAS threads follow the machine's load (threads.py)
        ctx.a, ctx.b = a, b
        return np.matmul(a, b)

    def backward(ctx, grad):
        a, b = ctx.a, ctx.b
        need_a, need_b = ctx.needs_input_grad
        # treat a 1-D `a` as a row (1, m) and a 1-D `b` as a column (m, 1), as the forward did
        g = grad
        if b.ndim == 1:
            g = np.expand_dims(g, -1)
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        ga = gb = None
        if need_a:
            ga = g @ np.swapaxes(b2, -1, -2)  # dL/da = g b^T
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if need_b:
            if b2.ndim == 2 and a2.ndim > 2:  # (..., n, m) @ (m, p): fold the batch into one GEMM
                gb = _rows(a2).T @ _rows(g)
            else:
                gb = np.swapaxes(a2, -1, -2) @ g  # dL/db = a^T g
            if b.ndim == 1:
                gb = gb[..., 0]
        return ga, gb


class Linear(Op):
    """``x @ weight.T + bias`` in one node: one GEMM, an in-place bias add, and three GEMM-ish grads.

    Shapes: x (..., in), weight (out, in), bias (out,) or None.
    """

    def forward(ctx, x, weight, bias=None):
        poll_threads()  # BLAS threads follow the machine's load (threads.py)
        ctx.x, ctx.weight = x, weight
        if x.ndim == 2 and x.shape[0] < weight.shape[0]:
            # The same product transposed: OpenBLAS runs it faster with the longer side first (64x784 by
            # 784x256: 147 us instead of 193 on one thread; the sums' order, hence rounding, may differ, as
            # with another thread count). The bias add copies it back to row-major in the pass it needed
            # anyway, so later ops see the usual layout.
            t = (weight @ x.T).T
            return np.add(t, bias, out=np.empty(t.shape, t.dtype)) if bias is not None else np.ascontiguousarray(t)
        out = x @ weight.T
        if bias is not None:
            out += bias
        return out

    def backward(ctx, grad):
        x, w = ctx.x, ctx.weight
        need_x, need_w, need_b = (list(ctx.needs_input_grad) + [False])[:3]
        g2 = _rows(grad) if grad.ndim != 2 else grad
        gx = grad @ w if need_x else None
        gw = g2.T @ (_rows(x) if x.ndim != 2 else x) if need_w else None
        gb = g2.sum(axis=0) if need_b else None
        return gx, gw, gb
