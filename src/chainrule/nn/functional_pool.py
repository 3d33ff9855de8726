"""Pooling functions of ``chainrule.nn.functional``: max, average and adaptive pooling in 1-D and 2-D.

The ops (``chainrule.ops.pool``, ``chainrule.ops.resample``) take fixed pairs; these functions accept
PyTorch's ints or tuples, unbatched inputs and 1-D signals (pooled as images of height 1).
"""

from __future__ import annotations

import numpy as np

from chainrule.nn.functional_conv import _pair
from chainrule.ops import pool as _pool
from chainrule.ops.resample import Resample
from chainrule.tensor import Tensor

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d", "avg_pool1d",
           "avg_pool2d", "max_pool1d", "max_pool2d"]


def _batched(input, dims, who):
    # (N, C, *spatial) stays; unbatched (C, *spatial) gets a batch of one
    if input.ndim == dims + 2:
        return input, False
    if input.ndim == dims + 1:
        return input.unsqueeze(0), True
    names = "(N, C, H, W) or (C, H, W)" if dims == 2 else "(N, C, L) or (C, L)"
    raise RuntimeError(f"{who}: expected a {dims + 2}D or {dims + 1}D input {names}, got {input.ndim}D input of "
                     f"shape {tuple(input.shape)}")


def _pool_args(input, kernel_size, stride, padding, dilation, ceil_mode, who):
    k = _pair(kernel_size, 2, "kernel_size", who)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else \
        _pair(stride, 2, "stride", who)
    p, d = _pair(padding, 2, "padding", who), _pair(dilation, 2, "dilation", who)
    if min(k) <= 0 or min(s) <= 0 or min(d) <= 0:
        raise ValueError(f"{who}: kernel_size, stride and dilation must be positive, got kernel_size={kernel_size}, "
                         f"stride={stride}, dilation={dilation}")
    if any(pp < 0 or pp > kk // 2 for pp, kk in zip(p, k)):
        raise RuntimeError(f"{who}: padding should be at most half of the kernel size, got padding={padding} for "
                         f"kernel_size={kernel_size}")
    h, w = input.shape[-2], input.shape[-1]
    out = (_pool.pool_out_size(h, k[0], s[0], p[0], d[0], ceil_mode),
           _pool.pool_out_size(w, k[1], s[1], p[1], d[1], ceil_mode))
    if out[0] < 1 or out[1] < 1:
        raise RuntimeError(f"{who}: input of spatial size {h}x{w} is too small for kernel_size={kernel_size} "
                         f"(stride={stride}, padding={padding}, dilation={dilation}): the output would be "
                         f"{out[0]}x{out[1]}")
    return k, s, p, d, out


def _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, who):
    x, unbatched = _batched(input, 2, who)
    k, s, p, d, out = _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode, who)
    y = _pool.MaxPool2d.apply(x, kernel=k, stride=s, padding=p, dilation=d, out_hw=out)
    if return_indices:
        ctx = y._ctx or _pool.MaxPool2d.__new__(_pool.MaxPool2d)
        if y._ctx is None:  # no graph recorded: recompute the indices from a throwaway forward
            ctx.forward(x._data, kernel=k, stride=s, padding=p, dilation=d, out_hw=out)
        idx = Tensor._wrap(ctx.indices())
        return (y.squeeze(0), idx.squeeze(0)) if unbatched else (y, idx)
    return y.squeeze(0) if unbatched else y


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Maximum over each kernel_size window of an (N, C, H, W) batch.

    Args:
        kernel_size (int or tuple): window size.
        stride (int or tuple): step. Default: kernel_size.
        padding (int or tuple): implicit -inf padding on both sides, at most half the kernel. Default 0.
        dilation (int or tuple): spacing between window elements. Default 1.
        ceil_mode (bool): round the output size up (a last partial window). Default False.
        return_indices (bool): also return the flat H*W index of each maximum. Default False.

    Shape: H_out = floor((H + 2 * padding - dilation * (k - 1) - 1) / stride) + 1 (ceil with ceil_mode).

    >>> F.max_pool2d(chainrule.zeros(1, 3, 28, 28), 2).shape
    Size([1, 3, 14, 14])
    """
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool2d")


def _one(v, who, name):
    return None if v is None else (1, _pair(v, 1, name, who)[0])


def _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, who):
    x, unbatched = _batched(input, 1, who)
    out = _max_pool2d(x.unsqueeze(-2), _one(kernel_size, who, "kernel_size"), _one(stride, who, "stride"),
                      (0, _pair(padding, 1, "padding", who)[0]), _one(dilation, who, "dilation"), ceil_mode,
                      return_indices, who)
    if return_indices:
        y, idx = out[0].squeeze(-2), out[1].squeeze(-2)
        return (y.squeeze(0), idx.squeeze(0)) if unbatched else (y, idx)
    out = out.squeeze(-2)
    return out.squeeze(0) if unbatched else out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Maximum over each window of an (N, C, L) signal; arguments as ``max_pool2d``."""
    return _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool1d")


def _avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, who):
    x, unbatched = _batched(input, 2, who)
    k, s, p, _, out = _pool_args(x, kernel_size, stride, padding, 1, ceil_mode, who)
    if divisor_override is not None and divisor_override == 0:
        raise ValueError(f"{who}: divisor_override must be non-zero")
    y = _pool.AvgPool2d.apply(x, kernel=k, stride=s, padding=p, out_hw=out, count_include_pad=count_include_pad,
                              divisor_override=divisor_override)
    return y.squeeze(0) if unbatched else y


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None) -> Tensor:
    """Mean over each kernel_size window of an (N, C, H, W) batch.

    Args:
        kernel_size, stride, padding, ceil_mode: as ``max_pool2d`` (padding is zeros).
        count_include_pad (bool): count the zero padding in the divisor. Default True.
        divisor_override (int, optional): divide every window sum by this instead. Default None.

    >>> F.avg_pool2d(chainrule.ones(1, 1, 4, 4), 2).tolist()
    [[[[1.0, 1.0], [1.0, 1.0]]]]
    """
    return _avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override,
                       "avg_pool2d")


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True) -> Tensor:
    """Mean over each window of an (N, C, L) signal; arguments as ``avg_pool2d``."""
    who = "avg_pool1d"
    x, unbatched = _batched(input, 1, who)
    y = _avg_pool2d(x.unsqueeze(-2), _one(kernel_size, who, "kernel_size"), _one(stride, who, "stride"),
                    (0, _pair(padding, 1, "padding", who)[0]), ceil_mode, count_include_pad, None, who).squeeze(-2)
    return y.squeeze(0) if unbatched else y


def _adaptive_matrix(size, out, dtype):
    # (out, size): row i averages PyTorch's adaptive window i
    start, end = _pool.adaptive_bins(size, out)
    j = np.arange(size)
    inside = (j[None, :] >= start[:, None]) & (j[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _out_pair(output_size, input, dims, who):
    sizes = _pair(output_size, dims, "output_size", who) if not isinstance(output_size, (tuple, list)) else \
        tuple(output_size)
    if len(sizes) != dims:
        raise ValueError(f"{who}: output_size must have {dims} elements, got {output_size!r}")
    # None keeps the input's size, as in PyTorch
    return tuple(input.shape[-dims + i] if s is None else int(s) for i, s in enumerate(sizes))


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """Average over windows chosen so that the output is exactly ``output_size`` (e.g. 1 for global pooling).

    >>> F.adaptive_avg_pool2d(chainrule.ones(2, 8, 7, 7), 1).shape
    Size([2, 8, 1, 1])
    """
    x, unbatched = _batched(input, 2, "adaptive_avg_pool2d")
    ho, wo = _out_pair(output_size, x, 2, "adaptive_avg_pool2d")
    dt = x._data.dtype
    y = Resample.apply(x, mh=_adaptive_matrix(x.shape[2], ho, dt), mw=_adaptive_matrix(x.shape[3], wo, dt))
    return y.squeeze(0) if unbatched else y


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    """Average over windows chosen so that an (N, C, L) signal becomes (N, C, output_size)."""
    x, unbatched = _batched(input, 1, "adaptive_avg_pool1d")
    (lo,) = _out_pair(output_size, x, 1, "adaptive_avg_pool1d")
    y = Resample.apply(x, mw=_adaptive_matrix(x.shape[2], lo, x._data.dtype))
    return y.squeeze(0) if unbatched else y


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Maximum over windows chosen so that the output is exactly ``output_size``; optionally with indices."""
    x, unbatched = _batched(input, 2, "adaptive_max_pool2d")
    out = _out_pair(output_size, x, 2, "adaptive_max_pool2d")
    y = _pool.AdaptiveMaxPool2d.apply(x, out_hw=out)
    if return_indices:
        if y._ctx is not None:
            flat = y._ctx.flat_index
        else:
            probe = _pool.AdaptiveMaxPool2d.__new__(_pool.AdaptiveMaxPool2d)
            probe.forward(x._data, out_hw=out)
            flat = probe.flat_index
        idx = Tensor._wrap(flat)
        return (y.squeeze(0), idx.squeeze(0)) if unbatched else (y, idx)
    return y.squeeze(0) if unbatched else y


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Maximum over adaptive windows of an (N, C, L) signal."""
    x, unbatched = _batched(input, 1, "adaptive_max_pool1d")
    out = adaptive_max_pool2d(x.unsqueeze(-2), (1, _pair(output_size, 1, "output_size", "adaptive_max_pool1d")[0]),
                              return_indices)
    if return_indices:
        y, idx = out[0].squeeze(-2), out[1].squeeze(-2)
        return (y.squeeze(0), idx.squeeze(0)) if unbatched else (y, idx)
    out = out.squeeze(-2)
    return out.squeeze(0) if unbatched else out
