"""Convolution functions of ``chainrule.nn.functional``: argument handling and error messages.

The math lives in ``chainrule.ops.conv``; this file turns PyTorch's flexible arguments (an int or a
tuple, ``padding="same"``, unbatched inputs) into the ops' fixed ones and explains bad input.
"""

from __future__ import annotations

import math

from chainrule.ops import conv as _conv
from chainrule.tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "fold", "unfold"]


def _pair(v, n=2, name="argument", who="conv2d"):
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            v = tuple(v) * n
        if len(v) != n:
            raise ValueError(f"{who}: {name} must be an int or a tuple of {n} ints, got {v!r}")
        return tuple(int(i) for i in v)
    return (int(v),) * n


def _padding(padding, kernel, stride, dilation, who):
    """(top, bottom, left, right) from an int, a pair, "valid" or "same" (extra padding goes bottom/right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(f"{who}: invalid padding string {padding!r}, expected one of 'valid', 'same'")
        if any(s != 1 for s in stride):
            raise ValueError(f"{who}: padding='same' is not supported for strided convolutions (stride={stride})")
        pads = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pads += [total // 2, total - total // 2]
        return tuple(pads)
    ph, pw = _pair(padding, 2, "padding", who)
    if ph < 0 or pw < 0:
        raise ValueError(f"{who}: padding must be non-negative, got {padding!r}")
    return (ph, ph, pw, pw)


def _check_input(input, weight, groups, who, transposed=False):
    shape = tuple(input.shape)
    if input.ndim not in (3, 4):
        c = weight.shape[0] if transposed else weight.shape[1] * groups
        hint = ""
        if input.ndim == 2 and shape[1] % c == 0 and math.isqrt(shape[1] // c) ** 2 == shape[1] // c:
            side = math.isqrt(shape[1] // c)
            hint = (f"; reshape flat rows to images first: x.view(-1, {c}, {side}, {side}) "
                    f"(N x {c} x {side} x {side})")
        elif input.ndim == 2:
            hint = f"; reshape it to (N, {c}, H, W)"
        raise RuntimeError(f"{who}: expected a 4D input (N, C, H, W) or 3D unbatched (C, H, W), got {input.ndim}D "
                         f"input of shape {shape}{hint}")
    c_in = shape[-3]
    expected = weight.shape[0] if transposed else weight.shape[1] * groups
    if c_in != expected:
        raise RuntimeError(f"{who}: expected input with {expected} channels in dimension {input.ndim - 3}, got "
                           f"input of shape {shape} ({c_in} channels)"
                         + ("; channels-last images need x.permute(0, 3, 1, 2)"
                              if input.ndim == 4 and shape[3] == expected else ""))
    if input.dtype != weight.dtype:
        raise RuntimeError(f"{who}: input dtype {input.dtype} and weight dtype {weight.dtype} should be the same "
                           f"(convert the input with .to({weight.dtype}) or the model with .to({input.dtype}))")


def _check_groups(weight, groups, who, transposed=False):
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{who}: groups must be a positive int, got {groups!r}")
    n = weight.shape[0]
    if n % groups:
        what = "in_channels" if transposed else "out_channels"
        raise RuntimeError(f"{who}: groups={groups} must divide {what}={n}")


def _conv2d(input, weight, bias, stride, padding, dilation, groups, who):
    _check_groups(weight, groups, who)
    _check_input(input, weight, groups, who)
    stride, dilation = _pair(stride, 2, "stride", who), _pair(dilation, 2, "dilation", who)
    kernel = tuple(weight.shape[2:])
    pads = _padding(padding, kernel, stride, dilation, who)
    h, w = input.shape[-2], input.shape[-1]
    hp, wp = h + pads[0] + pads[1], w + pads[2] + pads[3]
    if hp < dilation[0] * (kernel[0] - 1) + 1 or wp < dilation[1] * (kernel[1] - 1) + 1:
        raise RuntimeError(f"{who}: the (dilated) kernel {kernel[0]}x{kernel[1]} (dilation {dilation}) is larger "
                           f"than the padded input {hp}x{wp} (input {h}x{w}, padding {padding!r}); use a smaller "
                           f"kernel, more padding or larger images")
    if input.ndim == 3:
        return _conv.Conv2d.apply(input.unsqueeze(0), weight, bias, pads=pads, stride=stride, dilation=dilation,
                                  groups=groups).squeeze(0)
    return _conv.Conv2d.apply(input, weight, bias, pads=pads, stride=stride, dilation=dilation, groups=groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """2-D convolution (cross-correlation, as in PyTorch) over an (N, C, H, W) batch.

    Args:
        input (Tensor): (N, C_in, H, W) or unbatched (C_in, H, W).
        weight (Tensor): (C_out, C_in / groups, kH, kW).
        bias (Tensor, optional): (C_out,). Default None.
        stride (int or tuple): step of the window. Default 1.
        padding (int, tuple, "valid" or "same"): zeros added on each side. Default 0.
        dilation (int or tuple): spacing between kernel elements. Default 1.
        groups (int): split the channels into this many independent groups (C_in for depthwise). Default 1.

    Shape: H_out = floor((H + 2 * padding - dilation * (kH - 1) - 1) / stride) + 1, likewise W_out.

    >>> F.conv2d(chainrule.zeros(8, 1, 28, 28), chainrule.zeros(32, 1, 3, 3)).shape
    Size([8, 32, 26, 26])
    """
    return _conv2d(input, weight, bias, stride, padding, dilation, groups, "conv2d")


def _as_2d(x):
    # (N, C, L) -> (N, C, 1, L) (or unbatched (C, L) -> (C, 1, L)): a 1-D conv is a 2-D conv of height 1
    return x.unsqueeze(-2)


def _conv1d(input, weight, bias, stride, padding, dilation, groups, who):
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{who}: expected a 3D input (N, C, L) or 2D unbatched (C, L), got {input.ndim}D input of "
                         f"shape {tuple(input.shape)}")
    if isinstance(padding, str):
        pad2 = padding
    else:
        pad2 = (0, _pair(padding, 1, "padding", who)[0])
    s, d = _pair(stride, 1, "stride", who)[0], _pair(dilation, 1, "dilation", who)[0]
    out = _conv2d(_as_2d(input), _as_2d(weight), bias, (1, s), pad2, (1, d), groups, who)
    return out.squeeze(-2)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """1-D convolution over an (N, C, L) batch; arguments as ``conv2d`` with one spatial dimension.

    Shape: input (N, C_in, L) or (C_in, L); weight (C_out, C_in / groups, k) -> (N, C_out, L_out).

    >>> F.conv1d(chainrule.zeros(2, 3, 10), chainrule.zeros(4, 3, 3), padding="same").shape
    Size([2, 4, 10])
    """
    return _conv1d(input, weight, bias, stride, padding, dilation, groups, "conv1d")


def _conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation, who):
    _check_groups(weight, groups, who, transposed=True)
    _check_input(input, weight, groups, who, transposed=True)
    stride, dilation = _pair(stride, 2, "stride", who), _pair(dilation, 2, "dilation", who)
    ph, pw = _pair(padding, 2, "padding", who)
    oph, opw = _pair(output_padding, 2, "output_padding", who)
    if not (oph < stride[0] or oph < dilation[0]) or not (opw < stride[1] or opw < dilation[1]):
        raise ValueError(f"{who}: output_padding {(oph, opw)} must be smaller than either stride {stride} or "
                         f"dilation {dilation}")
    h, w = input.shape[-2], input.shape[-1]
    kh, kw = weight.shape[2], weight.shape[3]
    ho = (h - 1) * stride[0] - 2 * ph + dilation[0] * (kh - 1) + oph + 1
    wo = (w - 1) * stride[1] - 2 * pw + dilation[1] * (kw - 1) + opw + 1
    if ho <= 0 or wo <= 0:
        raise RuntimeError(f"{who}: the output size {ho}x{wo} is not positive for input {h}x{w}; reduce padding")
    x = input.unsqueeze(0) if input.ndim == 3 else input
    out = _conv.ConvTranspose2d.apply(x, weight, bias, pads=(ph, ph, pw, pw), stride=stride, dilation=dilation,
                                      groups=groups, out_hw=(ho, wo))
    return out.squeeze(0) if input.ndim == 3 else out


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1) -> Tensor:
    """2-D transposed convolution (the gradient of ``conv2d`` with respect to its input), for upsampling.

    Args:
        input (Tensor): (N, C_in, H, W) or (C_in, H, W).
        weight (Tensor): (C_in, C_out / groups, kH, kW).
        bias (Tensor, optional): (C_out,).
        stride, padding, dilation (int or tuple): as the conv this one transposes. Default 1, 0, 1.
        output_padding (int or tuple): extra rows/columns on the bottom/right of the output. Default 0.
        groups (int): channel groups. Default 1.

    Shape: H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1.

    >>> F.conv_transpose2d(chainrule.zeros(1, 4, 7, 7), chainrule.zeros(4, 2, 2, 2), stride=2).shape
    Size([1, 2, 14, 14])
    """
    return _conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation,
                             "conv_transpose2d")


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1) -> Tensor:
    """1-D transposed convolution: ``conv_transpose2d`` with one spatial dimension (input (N, C_in, L))."""
    one = lambda v, name: (_pair(v, 1, name, "conv_transpose1d")[0],)  # noqa: E731
    out = _conv_transpose2d(_as_2d(input), _as_2d(weight), bias, (1,) + one(stride, "stride"),
                            (0,) + one(padding, "padding"), (0,) + one(output_padding, "output_padding"), groups,
                            (1,) + one(dilation, "dilation"), "conv_transpose1d")
    return out.squeeze(-2)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding blocks (im2col): (N, C, H, W) -> (N, C * kH * kW, L), L the number of blocks.

    >>> F.unfold(chainrule.zeros(2, 3, 5, 5), kernel_size=3).shape
    Size([2, 27, 9])
    """
    if input.ndim != 4:
        raise ValueError(f"unfold: expected a 4D input (N, C, H, W), got shape {tuple(input.shape)}")
    k = _pair(kernel_size, 2, "kernel_size", "unfold")
    d, p, s = (_pair(v, 2, n, "unfold") for v, n in ((dilation, "dilation"), (padding, "padding"), (stride, "stride")))
    return _conv.Unfold.apply(input, kernel=k, dilation=d, padding=p, stride=s)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum sliding blocks back into an image (col2im), the adjoint of ``unfold``: (N, C*kH*kW, L) -> (N, C, H, W).

    >>> F.fold(chainrule.ones(1, 4, 9), output_size=(4, 4), kernel_size=2).shape
    Size([1, 1, 4, 4])
    """
    if input.ndim != 3:
        raise ValueError(f"fold: expected a 3D input (N, C * kH * kW, L), got shape {tuple(input.shape)}")
    k = _pair(kernel_size, 2, "kernel_size", "fold")
    out = _pair(output_size, 2, "output_size", "fold")
    d, p, s = (_pair(v, 2, n, "fold") for v, n in ((dilation, "dilation"), (padding, "padding"), (stride, "stride")))
    n, ck, length = input.shape
    if ck % (k[0] * k[1]):
        raise RuntimeError(f"fold: dimension 1 of the input ({ck}) must be divisible by kernel_size product "
                           f"{k[0] * k[1]}")
    ho = _conv.out_size(out[0], k[0], s[0], 2 * p[0], d[0])
    wo = _conv.out_size(out[1], k[1], s[1], 2 * p[1], d[1])
    if ho * wo != length:
        raise RuntimeError(f"fold: expected L={ho * wo} blocks ({ho}x{wo}) for output_size={out}, got L={length}")
    return _conv.Fold.apply(input, x_shape=(n, ck // (k[0] * k[1])) + out, kernel=k, dilation=d, padding=p,
                            stride=s, ho=ho, wo=wo)
