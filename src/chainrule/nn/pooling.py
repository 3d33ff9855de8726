"""Pooling layers: ``MaxPool1d/2d``, ``AvgPool1d/2d``, ``AdaptiveAvgPool1d/2d``, ``AdaptiveMaxPool1d/2d``.

Thin wrappers over ``nn.functional`` (``functional_pool.py``); they hold no parameters.
"""

from __future__ import annotations

from chainrule.nn import functional_pool as FP
from chainrule.nn.module import Module


class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None and stride != []) else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """Maximum over each ``kernel_size`` window of (N, C, H, W) images.

    Args:
        kernel_size (int or tuple): window size.
        stride (int or tuple): step. Default: kernel_size.
        padding (int or tuple): implicit -inf padding, at most half the kernel. Default 0.
        dilation (int or tuple): spacing between window elements. Default 1.
        return_indices (bool): also return the flat index of each maximum. Default False.
        ceil_mode (bool): round the output size up. Default False.

    Shape: (N, C, H, W) -> (N, C, H_out, W_out), H_out = floor((H + 2p - d(k - 1) - 1) / s) + 1.

    >>> nn.MaxPool2d(2)(chainrule.zeros(64, 32, 28, 28)).shape
    Size([64, 32, 14, 14])
    """

    def forward(self, input):
        return FP._max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                              self.return_indices, f"MaxPool2d(kernel_size={self.kernel_size})")


class MaxPool1d(_MaxPoolNd):
    """Maximum over each window of (N, C, L) signals; arguments as ``MaxPool2d``."""

    def forward(self, input):
        return FP._max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                              self.return_indices, f"MaxPool1d(kernel_size={self.kernel_size})")


class AvgPool2d(Module):
    """Mean over each ``kernel_size`` window of (N, C, H, W) images.

    Args:
        kernel_size, stride, padding, ceil_mode: as ``MaxPool2d`` (padding is zeros).
        count_include_pad (bool): count the zero padding in the divisor. Default True.
        divisor_override (int, optional): divide each window sum by this instead. Default None.

    >>> nn.AvgPool2d(2)(chainrule.ones(1, 1, 4, 4)).shape
    Size([1, 1, 2, 2])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None and stride != []) else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return FP._avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                              self.count_include_pad, self.divisor_override,
                              f"AvgPool2d(kernel_size={self.kernel_size})")

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(Module):
    """Mean over each window of (N, C, L) signals; arguments as ``AvgPool2d``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = stride if stride is not None else kernel_size
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return FP.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePool(Module):
    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average pooling whose windows are chosen to give exactly ``output_size`` (1 = global average pooling).

    Args:
        output_size (int or tuple): the output (H, W); None keeps that input dimension.

    >>> nn.AdaptiveAvgPool2d((1, 1))(chainrule.zeros(2, 512, 7, 7)).shape
    Size([2, 512, 1, 1])
    """

    def __init__(self, output_size):
        super().__init__(output_size)

    def forward(self, input):
        return FP.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average pooling of (N, C, L) signals to exactly ``output_size`` positions."""

    def __init__(self, output_size):
        super().__init__(output_size)

    def forward(self, input):
        return FP.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveMaxPool2d(_AdaptivePool):
    """Max pooling whose windows are chosen to give exactly ``output_size``; optionally with indices."""

    def forward(self, input):
        return FP.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptivePool):
    """Max pooling of (N, C, L) signals to exactly ``output_size`` positions."""

    def forward(self, input):
        return FP.adaptive_max_pool1d(input, self.output_size, self.return_indices)
