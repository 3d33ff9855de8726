"""``pad`` and ``interpolate`` of ``chainrule.nn.functional``: change the spatial size of a batch."""

from __future__ import annotations

import math

import numpy as np

from chainrule.ops.resample import Pad, Resample
from chainrule.tensor import Tensor

__all__ = ["interpolate", "pad", "upsample"]


def pad(input, pad, mode="constant", value=None) -> Tensor:
    """Pad the last dimensions: ``pad`` = (left, right) for the last, then (top, bottom) for the one before, ...

    Args:
        input (Tensor): any shape (reflect / replicate / circular pad the last 1-3 dimensions).
        pad (tuple of int): an even number of sizes, last dimension first; negative values crop
            (constant mode).
        mode (str): 'constant', 'reflect' (mirror without repeating the edge), 'replicate' (repeat
            the edge) or 'circular'. Default 'constant'.
        value (float): the fill value for 'constant'. Default 0.

    >>> F.pad(chainrule.ones(1, 1, 2, 2), (1, 1, 0, 0)).shape
    Size([1, 1, 2, 4])
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: expected an even number of sizes, at most 2 per dimension of the {input.ndim}D "
                         f"input, got pad={pad}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: mode {mode!r} is not supported; use 'constant', 'reflect', 'replicate' "
                                  "or 'circular'")
    if mode != "constant" and value:
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in a value argument")
    pairs = tuple((pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2))[::-1]  # first axis first
    sizes = input.shape[input.ndim - len(pairs):]
    for n, (a, b) in zip(sizes, pairs):
        if mode == "constant" and n + a + b < 0:
            raise ValueError(f"pad: padding {pad} would give a negative size for input of shape {tuple(input.shape)}")
        if mode == "reflect" and (a >= n or b >= n):
            raise ValueError(f"pad: reflect padding must be smaller than the padded dimension, got pad={pad} for input "
                             f"of shape {tuple(input.shape)}")
        if mode != "constant" and (a < 0 or b < 0):
            raise ValueError(f"pad: negative padding is only supported in constant mode, got pad={pad}")
        if mode == "circular" and (a > n or b > n):
            raise ValueError(f"pad: circular padding can be at most the dimension size, got pad={pad} for input of "
                             f"shape {tuple(input.shape)}")
    return Pad.apply(input, pads=pairs, mode=mode, value=0.0 if value is None else value)


def _nearest_matrix(n_in, n_out, scale, dtype):
    # PyTorch's rule in float32: src = min(floor(dst * scale), n_in - 1), scale = in / out or 1 / scale_factor
    s = np.float32(scale if scale is not None else n_in / n_out)
    src = np.minimum(np.floor(np.arange(n_out, dtype=np.float32) * s).astype(np.int64), n_in - 1)
    if n_out == n_in:
        src = np.arange(n_out)
    m = np.zeros((n_out, n_in), dtype=dtype)
    m[np.arange(n_out), src] = 1
    return m


def _linear_matrix(n_in, n_out, scale, align_corners, dtype):
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        s = scale if scale is not None else n_in / n_out
        src = np.maximum((dst + 0.5) * s - 0.5, 0.0)
    i0 = np.floor(src).astype(np.int64)
    i1 = np.minimum(i0 + 1, n_in - 1)
    frac = src - i0
    m = np.zeros((n_out, n_in), dtype=np.float64)
    np.add.at(m, (np.arange(n_out), i0), 1 - frac)
    np.add.at(m, (np.arange(n_out), i1), frac)
    return m.astype(dtype)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False) -> Tensor:
    """Resize (N, C, L) or (N, C, H, W) batches by ``size`` or ``scale_factor``.

    Args:
        size (int or tuple): the output spatial size.
        scale_factor (float or tuple): multiplier of the spatial size (output = floor(input * factor)).
        mode (str): 'nearest', 'linear' (3D input) or 'bilinear' (4D input). Default 'nearest'.
        align_corners (bool): for (bi)linear, map the corner pixels' centres onto each other. Default False.
        recompute_scale_factor (bool): with scale_factor, derive the sampling scale from the output size.

    >>> F.interpolate(chainrule.ones(1, 3, 7, 7), scale_factor=2, mode="bilinear").shape
    Size([1, 3, 14, 14])
    """
    dims = input.ndim - 2
    if dims not in (1, 2):
        raise NotImplementedError(f"interpolate: supports 3D (N, C, L) and 4D (N, C, H, W) input, got {input.ndim}D "
                                  f"input of shape {tuple(input.shape)}")
    allowed = {"nearest": (1, 2), "linear": (1,), "bilinear": (2,)}
    if mode not in allowed:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; use 'nearest', 'linear' or "
                                  "'bilinear'")
    if dims not in allowed[mode]:
        raise NotImplementedError(f"interpolate: mode {mode!r} needs a {allowed[mode][0] + 2}D input, got "
                                  f"{input.ndim}D input of shape {tuple(input.shape)}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("interpolate: align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    in_sizes = tuple(input.shape[2:])
    scales = [None] * dims
    if size is not None:
        out = tuple(size) if isinstance(size, (tuple, list)) else (size,) * dims
        if len(out) != dims:
            raise ValueError(f"interpolate: size {size!r} must have {dims} elements for a {input.ndim}D input")
    else:
        factors = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * dims
        if len(factors) != dims:
            raise ValueError(f"interpolate: scale_factor {scale_factor!r} must have {dims} elements")
        out = tuple(int(math.floor(n * float(f))) for n, f in zip(in_sizes, factors))
        if not recompute_scale_factor:
            scales = [1.0 / float(f) for f in factors]
    if min(out) <= 0:
        raise ValueError(f"interpolate: output size {out} must be positive (input spatial size {in_sizes})")
    dt = input._data.dtype
    if mode == "nearest":
        mats = [_nearest_matrix(n, o, s, dt) for n, o, s in zip(in_sizes, out, scales)]
    else:
        mats = [_linear_matrix(n, o, s, bool(align_corners), dt) for n, o, s in zip(in_sizes, out, scales)]
    if dims == 1:
        return Resample.apply(input, mw=mats[0])
    return Resample.apply(input, mh=mats[0], mw=mats[1])


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None) -> Tensor:
    """Deprecated PyTorch alias of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)
