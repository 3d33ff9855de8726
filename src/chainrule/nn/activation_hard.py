"""Clipped activations of the mobile networks: ``ReLU6`` (MobileNetV2), ``Hardsigmoid``, ``Hardswish`` (MobileNetV3)."""

from __future__ import annotations

from chainrule.nn import functional_cnn as FN
from chainrule.nn.module import Module


class _Clipped(Module):
    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ReLU6(_Clipped):
    """min(max(x, 0), 6), elementwise.

    >>> nn.ReLU6()(chainrule.tensor([-1.0, 3.0, 8.0]))
    tensor([0., 3., 6.])
    """

    def forward(self, input):
        return input.clamp(0.0, 6.0)


class Hardsigmoid(_Clipped):
    """relu6(x + 3) / 6, elementwise: a piecewise-linear sigmoid.

    >>> nn.Hardsigmoid()(chainrule.tensor([0.0]))
    tensor([0.5000])
    """

    def forward(self, input):
        return FN.hardsigmoid(input)


class Hardswish(_Clipped):
    """x * relu6(x + 3) / 6, elementwise: a piecewise-polynomial swish.

    >>> nn.Hardswish()(chainrule.tensor([4.0]))
    tensor([4.])
    """

    def forward(self, input):
        return FN.hardswish(input)
