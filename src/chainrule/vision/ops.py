"""Building blocks torchvision keeps in ``torchvision.ops``: conv-norm-activation, squeeze-excitation,
stochastic depth. Their module names match torchvision's, so state_dict keys do too."""

from __future__ import annotations

import chainrule as cr
from chainrule import nn

__all__ = ["Conv2dNormActivation", "SqueezeExcitation", "StochasticDepth", "stochastic_depth"]


class Conv2dNormActivation(nn.Sequential):
    """Conv2d, then a norm layer, then an activation, as one ``nn.Sequential`` (keys ``0.``, ``1.``, ...).

    Args:
        in_channels (int), out_channels (int): channels in and out.
        kernel_size (int): Default 3. stride (int): Default 1.
        padding (int or None): None pads ``(kernel_size - 1) // 2 * dilation`` ("same" at stride 1).
        groups (int): Default 1 (``groups=in_channels`` is a depthwise convolution).
        norm_layer: a class called with ``out_channels``, or None. Default ``nn.BatchNorm2d``.
        activation_layer: a class, or None. Default ``nn.ReLU``.
        dilation (int): Default 1. inplace (bool or None): passed to the activation. Default True.
        bias (bool or None): None adds a bias only when there is no norm layer.

    Shape: (N, in_channels, H, W) -> (N, out_channels, H', W').

    >>> block = Conv2dNormActivation(3, 16, stride=2)
    >>> block(chainrule.zeros(1, 3, 32, 32)).shape
    Size([1, 16, 16, 16])
    """

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                 norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU, dilation=1, inplace=True, bias=None):
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        if bias is None:
            bias = norm_layer is None
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation,
                            groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer() if inplace is None else activation_layer(inplace=inplace))
        super().__init__(*layers)
        self.out_channels = out_channels


class SqueezeExcitation(nn.Module):
    """Scale each channel by a gate computed from the global average (Hu et al., 2018).

    ``x * sigmoid(fc2(activation(fc1(avgpool(x)))))`` with 1x1 convolutions ``fc1``/``fc2``.

    Args:
        input_channels (int): channels of x. squeeze_channels (int): channels of the bottleneck.
        activation: class of the inner activation. Default ``nn.ReLU``.
        scale_activation: class of the gate. Default ``nn.Sigmoid``.

    Shape: (N, C, H, W) -> (N, C, H, W).
    """

    def __init__(self, input_channels, squeeze_channels, activation=None, scale_activation=None):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = (activation or nn.ReLU)()
        self.scale_activation = (scale_activation or nn.Sigmoid)()

    def _scale(self, input):
        return self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(input)))))

    def forward(self, input):
        return self._scale(input) * input


def stochastic_depth(input, p: float, mode: str, training: bool = True):
    """Drop whole residual branches with probability ``p`` ("row": per sample, "batch": all at once).

    Survivors are scaled by ``1 / (1 - p)``; outside training (or with p = 0) the input is returned.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"stochastic_depth: p must be in [0, 1], got {p}")
    if mode not in ("batch", "row"):
        raise ValueError(f"stochastic_depth: mode must be 'batch' or 'row', got {mode!r}")
    if not training or p == 0.0:
        return input
    keep = 1.0 - p
    shape = (input.shape[0],) + (1,) * (input.ndim - 1) if mode == "row" else (1,) * input.ndim
    mask = (cr.random.default_generator.rng.random(shape) < keep).astype(input._data.dtype)
    if keep > 0:
        mask /= keep
    return input * cr.from_numpy(mask)


class StochasticDepth(nn.Module):
    """Module form of :func:`stochastic_depth` (identity in eval mode).

    Args:
        p (float): probability of dropping a sample's branch. mode (str): "row" or "batch".
    """

    def __init__(self, p: float, mode: str):
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, input):
        return stochastic_depth(input, self.p, self.mode, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode}"
