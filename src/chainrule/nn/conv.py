"""Convolution layers with PyTorch's contract: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``.

Parameters, their shapes, names (``weight``, ``bias``) and initialisation match PyTorch's, so a
PyTorch ``state_dict`` loads unchanged. The math is in ``nn.functional`` (``functional_conv.py``).
"""

from __future__ import annotations

import numpy as np

from chainrule import dtypes
from chainrule.nn import functional_conv as FC
from chainrule.nn import functional_resample as FR
from chainrule.nn import init
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter


class _ConvNd(Module):
    _dims = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None, output_padding=0):
        super().__init__()
        name, n = type(self).__name__, self._dims
        for arg, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0:
                raise ValueError(f"{name}: {arg} must be a positive int, got {v!r}; e.g. nn.{name}(1, 32, 3)")
        if not isinstance(groups, (int, np.integer)) or groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels={in_channels} must be divisible by groups={groups}")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels={out_channels} must be divisible by groups={groups}")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"{name}: padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular', "
                             f"got {padding_mode!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = FC._pair(kernel_size, n, "kernel_size", name)
        self.stride = FC._pair(stride, n, "stride", name)
        self.dilation = FC._pair(dilation, n, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: invalid padding string {padding!r}, expected one of 'valid', 'same'")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = FC._pair(padding, n, "padding", name)
        self.output_padding = FC._pair(output_padding, n, "output_padding", name)
        self.groups, self.padding_mode, self.transposed = int(groups), padding_mode, self._transposed
        dtype = np.dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        if self._transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init._reset_linear_like(self.weight, self.bias)  # PyTorch's default

    def _who(self):
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size})"

    def _pre_pad(self, input):
        # non-zero padding modes pad explicitly, then convolve without padding (as PyTorch does)
        if self.padding_mode == "zeros" or self.padding == "valid":
            return input, self.padding
        if self.padding == "same":
            per = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(self.kernel_size, self.dilation)]
        else:
            per = [(p, p) for p in self.padding]
        flat = tuple(v for pair in reversed(per) for v in pair)  # F.pad lists the last dimension first
        return FR.pad(input, flat, mode=self.padding_mode), 0

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            s += f", dilation={self.dilation}"
        if self._transposed and self.output_padding != (0,) * self._dims:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    """Conv1d and Conv2d: PyTorch's signature (no ``output_padding``) and one ``forward`` through ``_conv``."""

    _conv = None  # FC._conv1d or FC._conv2d

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)

    def forward(self, input):
        x, padding = self._pre_pad(input)
        conv = type(self)._conv
        return conv(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups, self._who())


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) images (cross-correlation, as in PyTorch).

    Args:
        in_channels (int): channels of the input (1 for grey images, 3 for RGB).
        out_channels (int): number of filters.
        kernel_size (int or tuple): filter size.
        stride (int or tuple): step of the filter. Default 1.
        padding (int, tuple, "valid" or "same"): zero padding on each side. Default 0.
        dilation (int or tuple): spacing between kernel elements. Default 1.
        groups (int): independent channel groups (in_channels for a depthwise conv). Default 1.
        bias (bool): learn a bias per output channel. Default True.
        padding_mode (str): 'zeros', 'reflect', 'replicate' or 'circular'. Default 'zeros'.
        dtype: parameter dtype. Default None (float32).

    Attributes:
        weight: (out_channels, in_channels / groups, kH, kW), U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
            fan_in = in_channels / groups * kH * kW (PyTorch's kaiming_uniform_ with a=sqrt(5)).
        bias: (out_channels,), from the same range.

    Shape: (N, C_in, H, W) -> (N, C_out, H_out, W_out),
        H_out = floor((H + 2 * padding - dilation * (kH - 1) - 1) / stride) + 1.

    >>> conv = nn.Conv2d(1, 32, kernel_size=3, padding=1)
    >>> conv(chainrule.zeros(64, 1, 28, 28)).shape
    Size([64, 32, 28, 28])
    """

    _conv = staticmethod(FC._conv2d)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) signals; arguments as ``Conv2d`` with one spatial dimension.

    >>> nn.Conv1d(3, 8, kernel_size=5, padding=2)(chainrule.zeros(4, 3, 100)).shape
    Size([4, 8, 100])
    """

    _dims = 1
    _conv = staticmethod(FC._conv1d)


class ConvTranspose2d(_ConvNd):
    """2-D transposed convolution (a learned upsampling; the gradient of ``Conv2d`` with respect to its input).

    Args: as ``Conv2d`` plus ``output_padding`` (extra size on one side of the output, smaller than
    stride or dilation). Only padding_mode='zeros' is supported, as in PyTorch.

    Attributes:
        weight: (in_channels, out_channels / groups, kH, kW).

    Shape: H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1.

    >>> nn.ConvTranspose2d(16, 8, kernel_size=2, stride=2)(chainrule.zeros(1, 16, 7, 7)).shape
    Size([1, 8, 14, 14])
    """

    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple, got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype, output_padding)

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        size = tuple(output_size)[-self._dims:]
        pads = []
        for i in range(self._dims):
            base = ((input.shape[-self._dims + i] - 1) * self.stride[i] - 2 * self.padding[i]
                    + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            extra = size[i] - base
            if not 0 <= extra < max(self.stride[i], self.dilation[i]):
                raise ValueError(f"{type(self).__name__}: requested output_size {tuple(output_size)} is not "
                                 f"reachable from input shape {tuple(input.shape)}")
            pads.append(extra)
        return tuple(pads)

    def forward(self, input, output_size=None):
        op = self._output_padding(input, output_size)
        return FC._conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                                    self.dilation, self._who())


class ConvTranspose1d(ConvTranspose2d):
    """1-D transposed convolution over (N, C_in, L) signals; arguments as ``ConvTranspose2d``."""

    _dims = 1

    def forward(self, input, output_size=None):
        op = self._output_padding(input, output_size)
        return FC.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                                   self.dilation)
