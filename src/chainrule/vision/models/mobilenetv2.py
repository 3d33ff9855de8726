"""MobileNetV2 (Sandler et al., 2018) with torchvision's module names and state_dict keys."""

from __future__ import annotations

from chainrule import nn
from chainrule.vision.models._utils import build, init_mobile_net, make_divisible
from chainrule.vision.ops import Conv2dNormActivation

__all__ = ["InvertedResidual", "MobileNetV2", "mobilenet_v2"]

# expansion t, output channels c, repeats n, first stride s (the paper's Table 2)
_SETTING = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]


class InvertedResidual(nn.Module):
    """Expand with a 1x1 convolution, filter depthwise 3x3, project back with a linear 1x1 convolution;
    a shortcut when the shape is unchanged. Layers live in ``self.conv`` (torchvision's keys)."""

    def __init__(self, inp, oup, stride, expand_ratio, norm_layer=None):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"InvertedResidual: stride should be 1 or 2, got {stride}")
        norm_layer = norm_layer or nn.BatchNorm2d
        self.stride = stride
        hidden_dim = round(inp * expand_ratio)
        self.use_res_connect = stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=nn.ReLU6))
        layers += [
            Conv2dNormActivation(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim, norm_layer=norm_layer,
                                 activation_layer=nn.ReLU6),
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
            norm_layer(oup),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    """MobileNetV2: ``features`` (a stem and 17 inverted residual blocks, then a 1x1 convolution to 1280
    channels), global average pooling and ``classifier`` (Dropout, Linear).

    Args:
        num_classes (int): Default 1000.
        width_mult (float): scales every layer's channels. Default 1.0.
        inverted_residual_setting (list of [t, c, n, s]): the stages. Default: the paper's.
        round_nearest (int): channel counts are multiples of this. Default 8.
        block: the block class. Default ``InvertedResidual``.
        norm_layer: Default ``nn.BatchNorm2d``.
        dropout (float): before the last linear layer. Default 0.2.

    Shape: (N, 3, H, W) -> (N, num_classes).
    """

    def __init__(self, num_classes=1000, width_mult=1.0, inverted_residual_setting=None, round_nearest=8,
                 block=None, norm_layer=None, dropout=0.2):
        super().__init__()
        block = block or InvertedResidual
        norm_layer = norm_layer or nn.BatchNorm2d
        setting = _SETTING if inverted_residual_setting is None else inverted_residual_setting
        if len(setting) == 0 or len(setting[0]) != 4:
            raise ValueError(f"MobileNetV2: inverted_residual_setting should be a non-empty list of 4-element "
                             f"lists [t, c, n, s], got {setting}")
        input_channel = make_divisible(32 * width_mult, round_nearest)
        self.last_channel = make_divisible(1280 * max(1.0, width_mult), round_nearest)
        features = [Conv2dNormActivation(3, input_channel, stride=2, norm_layer=norm_layer, activation_layer=nn.ReLU6)]
        for t, c, n, s in setting:
            output_channel = make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(block(input_channel, output_channel, s if i == 0 else 1, expand_ratio=t,
                                      norm_layer=norm_layer))
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, kernel_size=1, norm_layer=norm_layer,
                                             activation_layer=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(self.last_channel, num_classes))
        init_mobile_net(self, lambda weight: nn.init.normal_(weight, 0, 0.01))

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(x.flatten(1))


def mobilenet_v2(*, weights=None, progress=True, **kwargs):
    """MobileNetV2 (3.5 M parameters at 1000 classes).

    Args:
        weights (str or path or None): a safetensors file with torchvision's keys; without ``num_classes``,
            the file's ``classifier.1.weight`` decides it. Default None (random weights).
        progress (bool): accepted for torchvision compatibility.
        **kwargs: passed to :class:`MobileNetV2`.

    >>> model = mobilenet_v2(num_classes=3)
    >>> model.classifier[-1] = nn.Linear(model.last_channel, 5)
    """
    return build("mobilenet_v2", MobileNetV2, weights, dict(kwargs, progress=progress), "classifier.1.weight")
