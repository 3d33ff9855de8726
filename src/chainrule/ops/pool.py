"""Pooling ops over (N, C, H, W): ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveMaxPool2d``.

Like the convolutions they work channels-last on ``as_strided`` window views (see ``ops/conv.py``):
the windows of the padded input are (N, Ho, Wo, kh, kw, C) without a copy, and backward adds the
window gradients back with the same col2im helper. When the kernel tiles the input exactly
(kernel == stride, no padding, the usual 2x2 pooling) the windows are a plain reshape and max
pooling needs neither a copy nor an index array larger than one byte per output.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from chainrule.autograd.op import Op
from chainrule.ops._jit import LazyKernels
from chainrule.ops.conv import add_patches, pad_nhwc, patches


def pool_out_size(size, k, stride, pad, dilation, ceil_mode):
    """PyTorch's pooling output length; with ceil_mode the last window must start inside the input or left pad."""
    span = size + 2 * pad - dilation * (k - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _padded(xh, k, stride, pad, dilation, out, value):
    # pad (N, H, W, C) by `pad` on both sides plus whatever the ceil_mode windows reach beyond
    extra = [max(0, (o - 1) * s + d * (kk - 1) + 1 - (n + 2 * p)) for o, s, d, kk, n, p in
             zip(out, stride, dilation, k, xh.shape[1:3], pad)]
    return pad_nhwc(xh, (pad[0], pad[0] + extra[0], pad[1], pad[1] + extra[1]), value)


def _warm(k):
    x = np.zeros((1, 2, 2, 1), np.float32)
    out, arg = np.empty((1, 1, 1, 1), np.float32), np.empty((1, 1, 1, 1), np.int8)
    k.max_pool_tiled(x, 2, 2, out, arg)
    k.max_pool_tiled_backward(out, arg, 2, 2, x)


# the compiled tiled max-pool kernels (_pool_numba), or None: then the NumPy form runs
kernels = LazyKernels("chainrule.ops._pool_numba", _warm, "pooling kernels")


def _compiled(x):
    # the kernels take float32/float64 (numba has no float16; integer maxima keep the NumPy form)
    return kernels() if x.dtype in (np.float32, np.float64) else None


def _tiles(x, k, writeable=False):
    # kernel == stride, no padding: (N, Ho, kh, Wo, kw, C) is a view of the (N, C, H, W) array in any memory
    # layout; rows and columns left over at the bottom and right (floor mode) are not in any window
    n, c, h, w = x.shape
    sn, sc, sh, sw = x.strides
    return as_strided(x, (n, h // k[0], k[0], w // k[1], k[1], c), (sn, sh * k[0], sh, sw * k[1], sw, sc),
                      writeable=writeable)


class MaxPool2d(Op):
    """Maximum over each window; the gradient goes to the (first) maximal element, as in PyTorch.

    Returns the pooled values; ``ctx.indices()`` gives PyTorch's flat H*W indices for ``return_indices``.
    """

    def forward(ctx, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1), out_hw=None):
        n, c, h, w = x.shape
        ctx.cfg = (x.shape, kernel, stride, padding, dilation)
        ctx.tiled = (kernel == stride and padding == (0, 0) and dilation == (1, 1)
                     and out_hw == (h // kernel[0], w // kernel[1]))
        if ctx.tiled:
            itype = np.int8 if kernel[0] * kernel[1] < 128 else np.int32
            k = _compiled(x)
            if k is not None:  # one compiled pass (0.3 against 1.1 ms for the reference CNN's first pool)
                best = np.empty((n, out_hw[0], out_hw[1], c), dtype=x.dtype)
                ctx.arg = np.empty(best.shape, dtype=itype)
                k.max_pool_tiled(x.transpose(0, 2, 3, 1), kernel[0], kernel[1], best, ctx.arg)
                return best.transpose(0, 3, 1, 2)
            t = _tiles(x, kernel)
            best = t[:, :, 0, :, 0].copy()
            arg, step = np.zeros(best.shape, dtype=itype), np.empty(best.shape, dtype=itype)
            greater = np.empty(best.shape, dtype=bool)
            for i in range(kernel[0]):
                for j in range(kernel[1]):
                    if i or j:
                        v = t[:, :, i, :, j]
                        np.greater(v, best, out=greater)  # strict: ties keep the first, as PyTorch
                        # window positions come in increasing order: the argmax is the last one that was greater
                        np.maximum(arg, np.multiply(greater, itype(i * kernel[1] + j), out=step), out=arg)
                        np.maximum(best, v, out=best)
            ctx.arg = arg
            return best.transpose(0, 3, 1, 2)
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        xp = _padded(x.transpose(0, 2, 3, 1), kernel, stride, padding, dilation, out_hw, fill)
        win = patches(xp, kernel[0], kernel[1], out_hw[0], out_hw[1], stride, dilation)
        flat = win.reshape(n, out_hw[0], out_hw[1], kernel[0] * kernel[1], c)
        arg = flat.argmax(axis=3)
        ctx.arg, ctx.xp_shape = arg, xp.shape
        out = np.take_along_axis(flat, arg[:, :, :, None], axis=3)[:, :, :, 0]
        return out.transpose(0, 3, 1, 2)

    def indices(ctx):
        """Flat (row * W + col) positions of the maxima in the unpadded input, shape (N, C, Ho, Wo), int64."""
        (n, c, h, w), k, s, p, d = ctx.cfg
        a = ctx.arg.astype(np.int64)  # (N, Ho, Wo, C)
        ho, wo = a.shape[1], a.shape[2]
        rows = np.arange(ho)[None, :, None, None] * s[0] - p[0] + (a // k[1]) * d[0]
        cols = np.arange(wo)[None, None, :, None] * s[1] - p[1] + (a % k[1]) * d[1]
        return np.ascontiguousarray((rows * w + cols).transpose(0, 3, 1, 2))

    def backward(ctx, grad):
        (n, c, h, w), k, s, p, d = ctx.cfg
        g = grad.transpose(0, 2, 3, 1)  # (N, Ho, Wo, C)
        if ctx.tiled:
            ho, wo = g.shape[1], g.shape[2]
            full = np.empty((n, h, w, c), dtype=grad.dtype)
            if (ho * k[0], wo * k[1]) != (h, w):
                full[:, ho * k[0]:] = 0  # the rows and columns no window covers
                full[:, :, wo * k[1]:] = 0
            kern = _compiled(grad)
            if kern is not None and ctx.arg.dtype == np.int8:
                kern.max_pool_tiled_backward(g, ctx.arg, k[0], k[1], full)
                return full.transpose(0, 3, 1, 2)
            gx = _tiles(full.transpose(0, 3, 1, 2), k, writeable=True)
            for i in range(k[0]):
                for j in range(k[1]):
                    np.multiply(g, ctx.arg == i * k[1] + j, out=gx[:, :, i, :, j])
            return full.transpose(0, 3, 1, 2)
        ho, wo = g.shape[1], g.shape[2]
        dwin = np.zeros((n, ho, wo, k[0] * k[1], c), dtype=grad.dtype)
        np.put_along_axis(dwin, ctx.arg[:, :, :, None], g[:, :, :, None], axis=3)
        dxp = np.zeros(ctx.xp_shape, dtype=grad.dtype)
        add_patches(dxp, dwin.reshape(n, ho, wo, k[0], k[1], c), s, d)
        return dxp[:, p[0]:p[0] + h, p[1]:p[1] + w].transpose(0, 3, 1, 2)


def _avg_divisor(size, k, stride, pad, out, count_include_pad):
    # per output position along one axis: the window length counted by PyTorch's average
    start = np.arange(out) * stride - pad
    end = np.minimum(start + k, size + pad)
    if not count_include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, size)
    return end - start


class AvgPool2d(Op):
    """Mean over each window (zero padding; ``count_include_pad`` / ``divisor_override`` choose the divisor)."""

    def forward(ctx, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0), out_hw=None, count_include_pad=True,
                divisor_override=None):
        n, c, h, w = x.shape
        if divisor_override:
            div = np.array(divisor_override, dtype=x.dtype)
        else:
            dh = _avg_divisor(h, kernel[0], stride[0], padding[0], out_hw[0], count_include_pad)
            dw = _avg_divisor(w, kernel[1], stride[1], padding[1], out_hw[1], count_include_pad)
            div = np.outer(dh, dw).astype(x.dtype)[None, :, :, None]
        xp = _padded(x.transpose(0, 2, 3, 1), kernel, stride, padding, (1, 1), out_hw, 0)
        ctx.cfg, ctx.div, ctx.xp_shape = (x.shape, kernel, stride, padding), div, xp.shape
        total = patches(xp, kernel[0], kernel[1], out_hw[0], out_hw[1], stride, (1, 1)).sum(axis=(3, 4))
        return (total / div).transpose(0, 3, 1, 2)

    def backward(ctx, grad):
        (n, c, h, w), k, s, p = ctx.cfg
        g = grad.transpose(0, 2, 3, 1) / ctx.div  # (N, Ho, Wo, C)
        ho, wo = g.shape[1], g.shape[2]
        dxp = np.zeros(ctx.xp_shape, dtype=grad.dtype)
        spread = np.broadcast_to(g[:, :, :, None, None, :], (n, ho, wo, k[0], k[1], c))
        add_patches(dxp, spread, s, (1, 1))
        return dxp[:, p[0]:p[0] + h, p[1]:p[1] + w].transpose(0, 3, 1, 2)


def adaptive_bins(size, out):
    """PyTorch's adaptive pooling windows along one axis: [floor(i*size/out), ceil((i+1)*size/out))."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


class AdaptiveMaxPool2d(Op):
    """Maximum over PyTorch's adaptive windows; ``ctx.flat_index`` holds flat H*W indices of the maxima."""

    def forward(ctx, x, out_hw=(1, 1)):
        n, c, h, w = x.shape
        (hs, he), (ws, we) = adaptive_bins(h, out_hw[0]), adaptive_bins(w, out_hw[1])
        out = np.empty((n, c) + tuple(out_hw), dtype=x.dtype)
        idx = np.empty((n, c) + tuple(out_hw), dtype=np.int64)
        for i in range(out_hw[0]):
            for j in range(out_hw[1]):
                region = x[:, :, hs[i]:he[i], ws[j]:we[j]].reshape(n, c, -1)
                a = region.argmax(axis=2)
                out[:, :, i, j] = np.take_along_axis(region, a[:, :, None], axis=2)[:, :, 0]
                rw = we[j] - ws[j]
                idx[:, :, i, j] = (hs[i] + a // rw) * w + ws[j] + a % rw
        ctx.flat_index, ctx.x_shape = idx, x.shape
        return out

    def backward(ctx, grad):
        return scatter_flat(grad, ctx.flat_index, ctx.x_shape)


def scatter_flat(grad, flat_index, x_shape):
    """Add grad (N, C, *out) into zeros (N, C, H, W) at flat H*W positions (repeats accumulate)."""
    n, c = x_shape[:2]
    hw = int(np.prod(x_shape[2:]))
    offsets = (np.arange(n * c) * hw).reshape(n, c, *([1] * (grad.ndim - 2)))
    dx = np.bincount((flat_index + offsets).ravel(), weights=grad.ravel(), minlength=n * c * hw)
    return dx.astype(grad.dtype, copy=False).reshape(x_shape)
