"""Convolution as im2col + one GEMM per layer: ``Conv2d``, ``ConvTranspose2d``, ``Unfold`` and ``Fold``.

Layout: the public shapes are PyTorch's NCHW, but the work is done channels-last (NHWC). The
input is viewed as (N, H, W, C) (free when the previous conv produced it: its NCHW output is a
transposed view of an NHWC buffer), padded once, and ``as_strided`` gives the patches
(N, Ho, Wo, kh, kw, C) without copying. One reshape copies them into the column matrix
(N*Ho*Wo, kh*kw*C) and one GEMM against the weight (O, kh*kw*C) gives the output. Backward:

    dW    = grad2d.T @ cols                     (O, K)
    dcols = grad2d @ W                          (M, K), added back into the padded input (col2im)

Groups split the channels: the same products per group, batched by ``np.matmul``.

Fast paths of the ungrouped conv, each tested against the general form above (``tests/test_ops_conv.py``):

- one product per kernel tap for dx: ``dxp[window of tap (i, j)] += grad2d @ W[:, :, i, j]``, so the
  (M, K) dcols matrix is never made and each tap's (M, C) product is added while it is in cache
  (conv2 of the reference CNN, 1 thread: 3.7 ms against 2.8 + 2.2 ms for dcols + col2im);
- one input channel (the first layer on grey images): the columns are built as a (K + 1, M) matrix
  whose last row is ones, so the bias rides in the forward GEMM and db in the dW GEMM (0.4 + 0.5 ms
  against 0.4 + 0.3 ms bias add and 0.6 + 0.7 ms dW and column sum);
- db of the other convs as ``ones @ grad2d`` (a GEMV) instead of a column sum (0.03 against 0.12 ms).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from chainrule.autograd.op import Op
from chainrule.threads import poll as poll_threads


def out_size(size, k, stride, pad_total, dilation):
    """Output length of a convolution along one axis (may be <= 0 for a too-small input)."""
    return (size + pad_total - dilation * (k - 1) - 1) // stride + 1


def pad_nhwc(xh, pads, value=0):
    """Pad an (N, H, W, C) array by (top, bottom, left, right); returns ``xh`` itself when no padding."""
    pt, pb, pl, pr = pads
    if not (pt or pb or pl or pr):
        return xh
    n, h, w, c = xh.shape
    xp = np.full((n, h + pt + pb, w + pl + pr, c), value, dtype=xh.dtype)
    xp[:, pt:pt + h, pl:pl + w] = xh
    return xp


def patches(xp, kh, kw, ho, wo, stride, dilation):
    """The (N, Ho, Wo, kh, kw, C) view of the windows of a padded (N, Hp, Wp, C) array; no copy."""
    sn, sh, sw, sc = xp.strides
    return as_strided(xp, (xp.shape[0], ho, wo, kh, kw, xp.shape[3]),
                      (sn, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1], sc), writeable=False)


def add_patches(dxp, dcols6, stride, dilation):
    """col2im: add (N, Ho, Wo, kh, kw, C) window values back into the padded (N, Hp, Wp, C) array."""
    ho, wo, kh, kw = dcols6.shape[1:5]  # trailing axes: channels (C) or groups (G, Cg)
    (s0, s1), (d0, d1) = stride, dilation
    for i in range(kh):
        for j in range(kw):
            dxp[:, i * d0:i * d0 + s0 * (ho - 1) + 1:s0, j * d1:j * d1 + s1 * (wo - 1) + 1:s1] += dcols6[:, :, :, i, j]
    return dxp


def _columns(xp, w_shape, ho, wo, stride, dilation, groups):
    # (G, N*Ho*Wo, kh*kw*Cg): the one copy of the input a conv makes
    n, c = xp.shape[0], xp.shape[3]
    kh, kw = w_shape[2], w_shape[3]
    p = patches(xp, kh, kw, ho, wo, stride, dilation)
    if c == 1:
        return _columns_t(p, ones_row=False)[None].transpose(0, 2, 1)
    if groups == 1:
        return p.reshape(1, n * ho * wo, kh * kw * c)
    p = p.reshape(n, ho, wo, kh, kw, groups, c // groups).transpose(5, 0, 1, 2, 3, 4, 6)
    return p.reshape(groups, n * ho * wo, kh * kw * (c // groups))


def _columns_t(p, ones_row):
    # one input channel (the first layer on grey images): copying tap by tap into a (K, M) matrix moves
    # rows of Wo pixels at a time, where the (M, K) copy moves one float at a time (0.41 vs 0.82 ms);
    # with ones_row a last row of ones carries the bias through the GEMMs
    n, ho, wo, kh, kw = p.shape[:5]
    cols_t = np.empty((kh * kw + ones_row, n, ho, wo), dtype=p.dtype)
    for i in range(kh):
        for j in range(kw):
            cols_t[i * kw + j] = p[:, :, :, i, j, 0]
    if ones_row:
        cols_t[-1] = 1
    return cols_t.reshape(len(cols_t), n * ho * wo)


def _weight_matrix(w, groups):
    # (O, Cg, kh, kw) -> (G, Og, kh*kw*Cg), matching the column order (kh, kw, Cg)
    o, cg, kh, kw = w.shape
    return w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 1, 3, 4, 2).reshape(groups, o // groups, -1)


def _weight_grad(g3, cols, w_shape, groups):
    # g3 (G, M, Og), cols (G, M, Kg) -> dW (O, Cg, kh, kw)
    o, cg, kh, kw = w_shape
    dw = np.matmul(g3.transpose(0, 2, 1), cols)
    return np.ascontiguousarray(dw.reshape(groups, o // groups, kh, kw, cg).transpose(0, 1, 4, 2, 3).reshape(w_shape))


def _grad_rows(grad, groups):
    # (N, O, Ho, Wo) -> (G, N*Ho*Wo, Og), channels-last
    n, o, ho, wo = grad.shape
    g2 = grad.transpose(0, 2, 3, 1).reshape(n * ho * wo, o)
    return g2[None] if groups == 1 else g2.reshape(-1, groups, o // groups).transpose(1, 0, 2)


def conv_forward(xh, w, pads, stride, dilation, groups):
    """NHWC input (N, H, W, C), weight (O, Cg, kh, kw) -> (out (N*Ho*Wo, O), cols, padded shape, Ho, Wo)."""
    xp = pad_nhwc(xh, pads)
    kh, kw = w.shape[2], w.shape[3]
    ho = out_size(xp.shape[1], kh, stride[0], 0, dilation[0])
    wo = out_size(xp.shape[2], kw, stride[1], 0, dilation[1])
    cols = _columns(xp, w.shape, ho, wo, stride, dilation, groups)
    wm = _weight_matrix(w, groups)
    out = np.matmul(cols, wm.transpose(0, 2, 1))  # (G, M, Og)
    out = out[0] if groups == 1 else out.transpose(1, 0, 2).reshape(cols.shape[1], -1)
    return out, cols, wm, xp.shape, ho, wo


def input_grad(g3, wm, xp_shape, w_shape, ho, wo, stride, dilation, groups, dtype):
    """dL/d(padded input) (N, Hp, Wp, C) from gradient rows g3 (G, M, Og)."""
    kh, kw = w_shape[2], w_shape[3]
    n, hp, wp, c = xp_shape
    dcols = np.matmul(g3, wm).reshape(groups, n, ho, wo, kh, kw, c // groups)
    dxp = np.zeros(xp_shape, dtype=dtype)
    if groups == 1:
        return add_patches(dxp, dcols[0], stride, dilation)
    add_patches(dxp.reshape(n, hp, wp, groups, c // groups), dcols.transpose(1, 2, 3, 4, 5, 0, 6), stride, dilation)
    return dxp


def input_grad_taps(g2, w, xp_shape, ho, wo, stride, dilation, dtype):
    """``input_grad`` for groups == 1, one GEMM per kernel tap added straight into its window of dL/dxp."""
    o, c, kh, kw = w.shape
    n = xp_shape[0]
    (s0, s1), (d0, d1) = stride, dilation
    dxp = np.zeros(xp_shape, dtype=dtype)
    wt = np.ascontiguousarray(w.transpose(2, 3, 0, 1))  # (kh, kw, O, C): each tap's (O, C) block
    tap = np.empty((g2.shape[0], c), dtype=np.result_type(g2, w))
    tap4 = tap.reshape(n, ho, wo, c)
    for i in range(kh):
        for j in range(kw):
            np.matmul(g2, wt[i, j], out=tap)
            dxp[:, i * d0:i * d0 + s0 * (ho - 1) + 1:s0, j * d1:j * d1 + s1 * (wo - 1) + 1:s1] += tap4
    return dxp


def _taps(xp, w_shape, ho, wo, stride, dilation):
    # the kh*kw shifted (N, Ho, Wo, C) views of the padded input, one per kernel tap
    kh, kw = w_shape[2], w_shape[3]
    p = patches(xp, kh, kw, ho, wo, stride, dilation)
    return [(i, j, p[:, :, :, i, j]) for i in range(kh) for j in range(kw)]


def depthwise_forward(xp, w, ho, wo, stride, dilation):
    """groups == channels, one filter each: sum over taps of shifted input * per-channel weight, no GEMM."""
    wt = w[:, 0].transpose(1, 2, 0)  # (kh, kw, C)
    out = np.zeros((xp.shape[0], ho, wo, xp.shape[3]), dtype=np.result_type(xp, w))
    tmp = np.empty_like(out)
    for i, j, v in _taps(xp, w.shape, ho, wo, stride, dilation):
        out += np.multiply(v, wt[i, j], out=tmp)
    return out


def depthwise_backward(xp, w, g, need_x, need_w, stride, dilation):
    """(dL/d padded input, dL/dw) of ``depthwise_forward`` for output gradient g (N, Ho, Wo, C)."""
    ho, wo = g.shape[1], g.shape[2]
    wt = w[:, 0].transpose(1, 2, 0)
    dxp = np.zeros(xp.shape, dtype=g.dtype) if need_x else None
    dw = np.empty((w.shape[2], w.shape[3], w.shape[0]), dtype=g.dtype) if need_w else None
    (s0, s1), (d0, d1) = stride, dilation
    tmp = np.empty_like(g)
    for i, j, v in _taps(xp, w.shape, ho, wo, stride, dilation):
        if need_w:
            dw[i, j] = np.multiply(g, v, out=tmp).sum(axis=(0, 1, 2))
        if need_x:
            dxp[:, i * d0:i * d0 + s0 * (ho - 1) + 1:s0, j * d1:j * d1 + s1 * (wo - 1) + 1:s1] += \
                np.multiply(g, wt[i, j], out=tmp)
    return dxp, (dw.transpose(2, 0, 1)[:, None].copy() if need_w else None)


def _unpad(dxp, pads, h, w):
    pt, _, pl, _ = pads
    return dxp[:, pt:pt + h, pl:pl + w]


class Conv2d(Op):
    """2-D cross-correlation of x (N, C, H, W) with w (O, C/groups, kh, kw), plus an optional bias (O,).

    ``pads`` is (top, bottom, left, right); ``stride`` and ``dilation`` are pairs. The output
    (N, O, Ho, Wo) is a transposed view of a channels-last buffer. ``Conv2d.fast = False`` makes
    every conv take the general (grouped) path, the reference the fast paths are tested against.
    """

    fast = True

    def forward(ctx, x, w, b, pads=(0, 0, 0, 0), stride=(1, 1), dilation=(1, 1), groups=1):
        poll_threads()  # BLAS threads follow the machine's load (threads.py)
        xh = x.transpose(0, 2, 3, 1)
        ctx.depthwise = groups > 1 and groups == x.shape[1] == w.shape[0]
        ctx.cfg, ctx.x_hw, ctx.w = (pads, stride, dilation, groups), x.shape[2:], w
        if ctx.depthwise:  # MobileNet's depthwise conv: kh*kw multiply-adds beat C tiny GEMMs
            xp = pad_nhwc(xh, pads)
            ho = out_size(xp.shape[1], w.shape[2], stride[0], 0, dilation[0])
            wo = out_size(xp.shape[2], w.shape[3], stride[1], 0, dilation[1])
            out = depthwise_forward(xp, w, ho, wo, stride, dilation)
            if b is not None:
                out += b
            ctx.xp = xp
            return out.transpose(0, 3, 1, 2)
        ctx.plain = groups == 1 and Conv2d.fast
        if ctx.plain:
            out, ho, wo = _plain_forward(ctx, xh, w, b, pads, stride, dilation)
        else:
            out, ctx.cols, ctx.wm, ctx.xp_shape, ho, wo = conv_forward(xh, w, pads, stride, dilation, groups)
            if b is not None:
                out += b
        return out.reshape(x.shape[0], ho, wo, w.shape[0]).transpose(0, 3, 1, 2)

    def backward(ctx, grad):
        pads, stride, dilation, groups = ctx.cfg
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if ctx.depthwise:
            g = grad.transpose(0, 2, 3, 1)
            dxp, gw = depthwise_backward(ctx.xp, ctx.w, g, need_x, need_w, stride, dilation)
            gx = _unpad(dxp, pads, *ctx.x_hw).transpose(0, 3, 1, 2) if need_x else None
            return gx, gw, (g.sum(axis=(0, 1, 2)) if need_b else None)
        ho, wo = grad.shape[2], grad.shape[3]
        if ctx.plain:
            gx, gw, gb = _plain_backward(ctx, grad, need_x, need_w, need_b)
        else:
            g3 = _grad_rows(grad, groups)
            gx = gw = gb = None
            if need_b:
                gb = g3.sum(axis=1).reshape(-1)
            if need_w:
                gw = _weight_grad(g3, ctx.cols, ctx.w.shape, groups)
            if need_x:
                gx = input_grad(g3, ctx.wm, ctx.xp_shape, ctx.w.shape, ho, wo, stride, dilation, groups, grad.dtype)
        if gx is not None:
            gx = _unpad(gx, pads, *ctx.x_hw).transpose(0, 3, 1, 2)
        return gx, gw, gb


def _plain_forward(ctx, xh, w, b, pads, stride, dilation):
    # groups == 1: 2-D GEMMs (np.matmul's batched form copied the transposed columns of the first layer)
    xp = pad_nhwc(xh, pads)
    o, c, kh, kw = w.shape
    ho = out_size(xp.shape[1], kh, stride[0], 0, dilation[0])
    wo = out_size(xp.shape[2], kw, stride[1], 0, dilation[1])
    ctx.xp_shape, ctx.cols_t, ctx.cols = xp.shape, None, None
    if c == 1 and b is not None and b.dtype == w.dtype == xp.dtype:
        # the bias rides in the GEMM as the weight of a row of ones (db comes out of the dW GEMM)
        ctx.cols_t = _columns_t(patches(xp, kh, kw, ho, wo, stride, dilation), ones_row=True)  # (K + 1, M)
        wm = np.concatenate([w.reshape(o, kh * kw), b[:, None]], axis=1)  # (O, K + 1)
        return ctx.cols_t.T @ wm.T, ho, wo
    ctx.cols = _columns(xp, w.shape, ho, wo, stride, dilation, 1)[0]  # (M, K)
    out = ctx.cols @ _weight_matrix(w, 1)[0].T
    if b is not None:
        out += b
    return out, ho, wo


def _plain_backward(ctx, grad, need_x, need_w, need_b):
    _, stride, dilation, _ = ctx.cfg
    n, o, ho, wo = grad.shape
    g2 = grad.transpose(0, 2, 3, 1).reshape(n * ho * wo, o)  # a view when grad is channels-last
    gx = gw = gb = None
    if ctx.cols_t is not None:
        if need_w or need_b:
            dwb = ctx.cols_t @ g2  # (K + 1, O): dW and, in the last row, db
            gw = np.ascontiguousarray(dwb[:-1].T).reshape(ctx.w.shape) if need_w else None
            gb = dwb[-1].copy() if need_b else None
    else:
        if need_b:
            gb = np.ones(g2.shape[0], dtype=g2.dtype) @ g2
        if need_w:
            gw = _weight_grad(g2[None], ctx.cols[None], ctx.w.shape, 1)
    if need_x:
        gx = input_grad_taps(g2, ctx.w, ctx.xp_shape, ho, wo, stride, dilation, grad.dtype)
    return gx, gw, gb


class ConvTranspose2d(Op):
    """The transpose (gradient) of ``Conv2d``: x (N, Cin, H, W), w (Cin, Cout/groups, kh, kw) -> (N, Cout, Ho, Wo).

    Forward scatters each input pixel through the kernel (col2im); backward is an ordinary conv.
    ``pads`` is (top, bottom, left, right) cropped from the full output; ``out_hw`` its final size.
    """

    def forward(ctx, x, w, b, pads=(0, 0, 0, 0), stride=(1, 1), dilation=(1, 1), groups=1, out_hw=None):
        poll_threads()  # BLAS threads follow the machine's load (threads.py)
        n, cin, h, wd = x.shape
        cout = w.shape[1] * groups
        hp, wp = out_hw[0] + pads[0] + pads[1], out_hw[1] + pads[2] + pads[3]
        g3 = _grad_rows(x, groups)
        wm = _weight_matrix(w, groups)
        dxp = input_grad(g3, wm, (n, hp, wp, cout), w.shape, h, wd, stride, dilation, groups, x.dtype)
        out = _unpad(dxp, pads, *out_hw)
        if b is not None:
            out = out + b
        ctx.w, ctx.wm, ctx.g3, ctx.cfg, ctx.x_shape = w, wm, g3, (pads, stride, dilation, groups), x.shape
        return out.transpose(0, 3, 1, 2)

    def backward(ctx, grad):
        pads, stride, dilation, groups = ctx.cfg
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        n, cin, h, wd = ctx.x_shape
        gh = pad_nhwc(grad.transpose(0, 2, 3, 1), pads)
        cols = _columns(gh, ctx.w.shape, h, wd, stride, dilation, groups)  # the conv of grad with w
        gx = gw = gb = None
        if need_b:
            gb = grad.sum(axis=(0, 2, 3))
        if need_x:
            out = np.matmul(cols, ctx.wm.transpose(0, 2, 1))  # (G, M, Cin/G)
            out = out[0] if groups == 1 else out.transpose(1, 0, 2).reshape(cols.shape[1], -1)
            gx = out.reshape(n, h, wd, cin).transpose(0, 3, 1, 2)
        if need_w:
            gw = _weight_grad(ctx.g3, cols, ctx.w.shape, groups)
        return gx, gw, gb


def _nchw_patches(xp, kh, kw, ho, wo, stride, dilation):
    # (N, C, kh, kw, Ho, Wo) view of a padded NCHW array: PyTorch's unfold order (C, kh, kw)
    sn, sc, sh, sw = xp.strides
    return as_strided(xp, (xp.shape[0], xp.shape[1], kh, kw, ho, wo),
                      (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1]), writeable=False)


class Unfold(Op):
    """im2col as PyTorch exposes it: (N, C, H, W) -> (N, C*kh*kw, L), blocks in (C, kh, kw) order."""

    def forward(ctx, x, kernel=(1, 1), dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
        n, c, h, w = x.shape
        (ph, pw), (kh, kw) = padding, kernel
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
        ho = out_size(h, kh, stride[0], 2 * ph, dilation[0])
        wo = out_size(w, kw, stride[1], 2 * pw, dilation[1])
        ctx.cfg = (x.shape, kernel, dilation, padding, stride, ho, wo)
        return _nchw_patches(xp, kh, kw, ho, wo, stride, dilation).reshape(n, c * kh * kw, ho * wo)

    def backward(ctx, grad):
        x_shape, kernel, dilation, padding, stride, ho, wo = ctx.cfg
        return fold_array(grad, x_shape, kernel, dilation, padding, stride, ho, wo)


def fold_array(cols, x_shape, kernel, dilation, padding, stride, ho, wo):
    """col2im: sum (N, C*kh*kw, L) blocks into (N, C, H, W) (the adjoint of ``Unfold``)."""
    n, c, h, w = x_shape
    (ph, pw), (kh, kw) = padding, kernel
    d6 = cols.reshape(n, c, kh, kw, ho, wo).transpose(0, 4, 5, 2, 3, 1)  # (N, Ho, Wo, kh, kw, C)
    dxp = np.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=cols.dtype)
    add_patches(dxp, d6, stride, dilation)
    return np.ascontiguousarray(dxp[:, ph:ph + h, pw:pw + w].transpose(0, 3, 1, 2))


class Fold(Op):
    """col2im as PyTorch exposes it: (N, C*kh*kw, L) -> (N, C, H, W), overlapping blocks summed."""

    def forward(ctx, cols, x_shape=None, kernel=(1, 1), dilation=(1, 1), padding=(0, 0), stride=(1, 1), ho=1, wo=1):
        ctx.cfg = (kernel, dilation, padding, stride)
        return fold_array(cols, x_shape, kernel, dilation, padding, stride, ho, wo)

    def backward(ctx, grad):
        kernel, dilation, padding, stride = ctx.cfg
        n, c = grad.shape[:2]
        (ph, pw), (kh, kw) = padding, kernel
        gp = np.pad(grad, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else grad
        ho = out_size(grad.shape[2], kh, stride[0], 2 * ph, dilation[0])
        wo = out_size(grad.shape[3], kw, stride[1], 2 * pw, dilation[1])
        return _nchw_patches(gp, kh, kw, ho, wo, stride, dilation).reshape(n, c * kh * kw, ho * wo)
