"""Layers that change the spatial size without parameters: ``Upsample`` and the padding layers."""

from __future__ import annotations

from chainrule.nn import functional_resample as FR
from chainrule.nn.module import Module


class Upsample(Module):
    """Resize (N, C, L) or (N, C, H, W) inputs by ``size`` or ``scale_factor`` (``F.interpolate`` as a layer).

    Args:
        size (int or tuple): output spatial size.
        scale_factor (float or tuple): multiplier of the spatial size.
        mode (str): 'nearest', 'linear' or 'bilinear'. Default 'nearest'.
        align_corners (bool): for (bi)linear modes. Default None (False).

    >>> nn.Upsample(scale_factor=2)(chainrule.zeros(1, 3, 7, 7)).shape
    Size([1, 3, 14, 14])
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, input):
        return FR.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                              self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = f"scale_factor={float(self.scale_factor)}" if self.scale_factor is not None and \
            not isinstance(self.scale_factor, tuple) else \
            (f"scale_factor={self.scale_factor}" if self.scale_factor is not None else f"size={self.size}")
        return f"{what}, mode='{self.mode}'"


class _Pad2d(Module):
    _mode = "constant"

    def __init__(self, padding, value=0.0):
        super().__init__()
        self.padding = (padding,) * 4 if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != 4:
            raise ValueError(f"{type(self).__name__}: padding must be an int or (left, right, top, bottom), "
                             f"got {padding!r}")
        self.value = value

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"{type(self).__name__}: expected a 3D or 4D input (N, C, H, W), got shape "
                             f"{tuple(input.shape)}")
        return FR.pad(input, self.padding, self._mode, self.value if self._mode == "constant" else None)

    def extra_repr(self) -> str:
        return f"{self.padding}" + (f", value={self.value}" if self._mode == "constant" else "")


class ZeroPad2d(_Pad2d):
    """Pad (N, C, H, W) images with zeros: ``padding`` is an int or (left, right, top, bottom).

    >>> nn.ZeroPad2d((1, 1, 2, 0))(chainrule.zeros(1, 1, 3, 3)).shape
    Size([1, 1, 5, 5])
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ConstantPad2d(_Pad2d):
    """Pad (N, C, H, W) images with ``value``: ``padding`` is an int or (left, right, top, bottom)."""

    def __init__(self, padding, value):
        super().__init__(padding, value)


class ReflectionPad2d(_Pad2d):
    """Pad (N, C, H, W) images by mirroring them at the border (without repeating the edge)."""

    _mode = "reflect"

    def __init__(self, padding):
        super().__init__(padding)


class ReplicationPad2d(_Pad2d):
    """Pad (N, C, H, W) images by repeating the edge pixels."""

    _mode = "replicate"

    def __init__(self, padding):
        super().__init__(padding)
