"""Matrix products: ``a @ b`` in every PyTorch form, and the fused ``x @ W.T + b`` of a Linear layer."""

from __future__ import annotations

import math

import numpy as np

from chainrule.autograd.op import Op
from chainrule.ops._jit import LazyKernels
from chainrule.threads import poll as poll_threads


def _rows(x):
    """View (..., k) as (rows, k); reshape(-1, k) is ambiguous when x is empty."""
    return x.reshape(math.prod(x.shape[:-1]), x.shape[-1])


def _mm(a, b):
    """``a @ b``, with an outer product (a contracted length of 1) as a broadcast multiply.

    The values are the same (one product each, nothing to add), but NumPy's matmul takes a slow loop
    there: 23 us for (200, 1) @ (1, 100) against 5.7 us for the multiply. That product is every step
    of a network with one output or one input feature (a regression head, the playground's x).
    """
    if a.ndim >= 2 and b.ndim >= 2 and a.shape[-1] == 1 and b.shape[-2] == 1:
        return np.multiply(a, b)
    return a @ b


class MatMul(Op):
    """1-D, 2-D and batched products with broadcast batch dimensions, like ``torch.matmul``."""

    def forward(ctx, a, b):
        poll_threads()  # BLAS threads follow the machine's load (threads.py)
        ctx.a, ctx.b = a, b
        return _mm(a, b)

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
            ga = _mm(g, np.swapaxes(b2, -1, -2))  # dL/da = g b^T
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if need_b:
            if b2.ndim == 2 and a2.ndim > 2:  # (..., n, m) @ (m, p): fold the batch into one GEMM
                gb = _mm(_rows(a2).T, _rows(g))
            else:
                gb = _mm(np.swapaxes(a2, -1, -2), g)  # dL/db = a^T g
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
        if x.ndim == 2 and x.shape[0] < weight.shape[0] and x.shape[1] > 1:
            # The same product transposed: OpenBLAS runs it faster with the longer side first (64x784 by
            # 784x256: 147 us instead of 193 on one thread; the sums' order, hence rounding, may differ, as
            # with another thread count). The bias add copies it back to row-major in the pass it needed
            # anyway, so later ops see the usual layout.
            t = (weight @ x.T).T
            return np.add(t, bias, out=np.empty(t.shape, t.dtype)) if bias is not None else np.ascontiguousarray(t)
        out = _mm(x, weight.T)
        if bias is not None:
            out += bias
        return out

    def backward(ctx, grad):
        x, w = ctx.x, ctx.weight
        need_x, need_w, need_b = (list(ctx.needs_input_grad) + [False])[:3]
        g2 = _rows(grad) if grad.ndim != 2 else grad
        gx = _mm(grad, w) if need_x else None
        gw = _mm(g2.T, _rows(x) if x.ndim != 2 else x) if need_w else None
        gb = _bias_grad(g2) if need_b else None
        return gx, gw, gb


class LinearRelu(Linear):
    """``relu(x @ weight.T + bias)`` in one node: a ``Linear`` followed by a ``ReLU``, as ``Sequential``
    runs the pair (nn/container.py).

    The readable form (``forward_reference`` / ``backward_reference``) is Linear's, with the ReLU in
    place on the fresh output and its mask applied to the incoming gradient. Where numba is available
    (``_kernels``) and the input is a 2-D batch of float32/float64, the bias add and the ReLU are one
    compiled pass over the product, and backward computes the masked gradient and the bias gradient
    in one pass: the same bits (tests/test_fused_linear_relu.py), two node walks and three memory
    passes fewer per layer and step.
    """

    def forward(ctx, x, weight, bias=None):
        k = _kernels()
        if k and bias is not None and _fits(x, weight, bias):
            poll_threads()
            ctx.x, ctx.weight = x, weight
            if x.shape[0] < weight.shape[0]:  # the faster product for a batch below out_features (Linear)
                t = weight @ x.T  # (out, batch)
                out = np.empty((x.shape[0], weight.shape[0]), t.dtype)
                k.bias_relu_transposed(t, bias, out)
            else:
                out = x @ weight.T
                k.bias_relu(out, bias)
            ctx.out = out
            return out
        return ctx.forward_reference(x, weight, bias)

    def forward_reference(ctx, x, weight, bias=None):
        out = Linear.forward(ctx, x, weight, bias)  # a fresh array: the ReLU can go in place
        ctx.out = np.maximum(out, 0, out=out)
        return out

    def backward(ctx, grad):
        k = _kernels()
        out = ctx.out
        if (k and grad.ndim == 2 and grad.dtype == out.dtype and out.dtype.kind == "f" and out.dtype.itemsize >= 4
                and grad.flags.c_contiguous and out.flags.c_contiguous):  # numba has no float16
            need_x, need_w, need_b = (list(ctx.needs_input_grad) + [False])[:3]
            g = np.empty_like(grad)
            gb = np.empty(grad.shape[1], grad.dtype)
            k.relu_grad_bias_sum(grad, out, grad.dtype.type(0), g, gb)
            gx = _mm(g, ctx.weight) if need_x else None
            gw = _mm(g.T, ctx.x) if need_w else None
            return gx, gw, (gb if need_b else None)
        return ctx.backward_reference(grad)

    def backward_reference(ctx, grad):
        return Linear.backward(ctx, grad * (ctx.out > 0))  # relu'(0) := 0, as torch


def _fits(x, weight, bias):
    """The compiled forward's case: a 2-D float32/float64 batch of at least two features, one dtype."""
    dt = weight.dtype
    return (x.ndim == 2 and x.shape[1] > 1 and dt.kind == "f" and dt.itemsize >= 4
            and x.dtype == dt and bias.dtype == dt and bias.ndim == 1 and x.shape[1] == weight.shape[1])


def _bias_grad(g):
    """``g.sum(axis=0)`` of a 2-D gradient: a bias's gradient, compiled where numba is available."""
    k = _kernels()
    if (k and g.shape[1] > 1 and g.dtype.kind == "f" and g.dtype.itemsize >= 4 and g.flags.c_contiguous):
        total = np.empty(g.shape[1], g.dtype)  # (one column: NumPy sums it pairwise, another order)
        k.column_sum(g, g.dtype.type(0), total)
        return total
    return g.sum(axis=0)


def _warm(k):
    for dt in (np.float32, np.float64):
        a = np.ones((1, 1), dt)
        k.bias_relu_transposed(a, a[0], a.copy())
        k.relu_grad_bias_sum(a, a, dt(0), a.copy(), a[0].copy())
        k.bias_relu(a.copy(), a[0])
        k.column_sum(a, dt(0), a[0].copy())


# the compiled Linear+ReLU kernels (a module), or None when numba is missing or CHAINRULE_JIT=0
_kernels = LazyKernels("chainrule.ops._linear_numba", _warm, "Linear+ReLU kernels")
