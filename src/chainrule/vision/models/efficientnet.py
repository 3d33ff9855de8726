"""EfficientNet-B0 (Tan & Le, 2019) with torchvision's module names and state_dict keys."""

from __future__ import annotations

import copy
import math
from functools import partial

from chainrule import nn
from chainrule.vision.models._utils import build, init_mobile_net, make_divisible
from chainrule.vision.ops import Conv2dNormActivation, SqueezeExcitation, StochasticDepth

__all__ = ["EfficientNet", "MBConv", "MBConvConfig", "efficientnet_b0"]


class MBConvConfig:
    """One stage of MBConv blocks: expansion, kernel, first stride, channels in/out, repeats (Table 1 of the
    paper), with channels scaled by ``width_mult`` and repeats by ``depth_mult``."""

    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, width_mult=1.0,
                 depth_mult=1.0, block=None):
        self.expand_ratio, self.kernel, self.stride = expand_ratio, kernel, stride
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.num_layers = math.ceil(num_layers * depth_mult)
        self.block = block or MBConv

    @staticmethod
    def adjust_channels(channels, width_mult, min_value=None):
        return make_divisible(channels * width_mult, 8, min_value)


class MBConv(nn.Module):
    """Expand (1x1), depthwise k x k, squeeze-excitation, project (1x1, no activation); SiLU activations and a
    shortcut with stochastic depth when the shape is unchanged. Layers live in ``self.block``."""

    def __init__(self, cnf, stochastic_depth_prob, norm_layer, se_layer=SqueezeExcitation):
        super().__init__()
        if not 1 <= cnf.stride <= 2:
            raise ValueError(f"MBConv: stride should be 1 or 2, got {cnf.stride}")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        layers = []
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=nn.SiLU))
        layers.append(Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel, stride=cnf.stride,
                                           groups=expanded, norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(se_layer(expanded, max(1, cnf.input_channels // 4), activation=partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + input
        return result


class EfficientNet(nn.Module):
    """EfficientNet: ``features`` (stem, MBConv stages, 1x1 head convolution), ``avgpool``, ``classifier``.

    Args:
        inverted_residual_setting (list of MBConvConfig): the stages.
        dropout (float): before the last linear layer.
        stochastic_depth_prob (float): the last block's drop probability, growing linearly from 0. Default 0.2.
        num_classes (int): Default 1000.
        norm_layer: Default ``nn.BatchNorm2d``.
        last_channel (int or None): channels of the head convolution; None means 4x the last stage's.

    Shape: (N, 3, H, W) -> (N, num_classes).
    """

    def __init__(self, inverted_residual_setting, dropout, stochastic_depth_prob=0.2, num_classes=1000,
                 norm_layer=None, last_channel=None):
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("EfficientNet: the inverted_residual_setting should not be empty")
        if not all(isinstance(s, MBConvConfig) for s in inverted_residual_setting):
            raise TypeError("EfficientNet: the inverted_residual_setting should be a list of MBConvConfig")
        norm_layer = norm_layer or nn.BatchNorm2d
        first = inverted_residual_setting[0].input_channels
        layers = [Conv2dNormActivation(3, first, kernel_size=3, stride=2, norm_layer=norm_layer,
                                       activation_layer=nn.SiLU)]
        total = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:  # only a stage's first block changes the stride and width
                    block_cnf.input_channels, block_cnf.stride = block_cnf.out_channels, 1
                stage.append(block_cnf.block(block_cnf, stochastic_depth_prob * block_id / total, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        last_in = inverted_residual_setting[-1].out_channels
        last_out = last_channel if last_channel is not None else 4 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True), nn.Linear(last_out, num_classes))
        # Linear layers: U(-1/sqrt(out_features), 1/sqrt(out_features)), as torchvision
        init_mobile_net(self, lambda w: nn.init.uniform_(w, -1.0 / math.sqrt(w.shape[0]), 1.0 / math.sqrt(w.shape[0])))

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def _b0_setting(width_mult=1.0, depth_mult=1.0):
    stage = partial(MBConvConfig, width_mult=width_mult, depth_mult=depth_mult)
    return [stage(1, 3, 1, 32, 16, 1), stage(6, 3, 2, 16, 24, 2), stage(6, 5, 2, 24, 40, 2),
            stage(6, 3, 2, 40, 80, 3), stage(6, 5, 1, 80, 112, 3), stage(6, 5, 2, 112, 192, 4),
            stage(6, 3, 1, 192, 320, 1)]


def efficientnet_b0(*, weights=None, progress=True, **kwargs):
    """EfficientNet-B0 (5.3 M parameters at 1000 classes), the course's "EfficientNet".

    Args:
        weights (str or path or None): a safetensors file with torchvision's keys; without ``num_classes``,
            the file's ``classifier.1.weight`` decides it. Default None (random weights).
        progress (bool): accepted for torchvision compatibility.
        **kwargs: passed to :class:`EfficientNet` (``num_classes``, ``dropout`` (default 0.2),
            ``stochastic_depth_prob``, ``norm_layer``).

    >>> model = efficientnet_b0(num_classes=3)
    >>> model(chainrule.zeros(1, 3, 64, 64)).shape
    Size([1, 3])
    """
    dropout = kwargs.pop("dropout", 0.2)
    return build("efficientnet_b0", lambda **kw: EfficientNet(_b0_setting(), dropout, **kw), weights,
                 dict(kwargs, progress=progress), "classifier.1.weight")
