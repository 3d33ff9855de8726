"""ResNet-18 and ResNet-34 (He et al., 2016) with torchvision's module names, so its state_dicts load unchanged."""

from __future__ import annotations

from chainrule import nn
from chainrule.vision.models._utils import build, norm_classes

__all__ = ["BasicBlock", "ResNet", "resnet18", "resnet34"]


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, groups=groups,
                     bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a shortcut: ``relu(bn2(conv2(relu(bn1(conv1(x))))) + x)``.

    ``downsample`` (a 1x1 convolution and batch norm) reshapes the shortcut when the stride or width changes.
    """

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """A ResNet: a 7x7 stem, four stages of residual blocks, global average pooling and a linear ``fc``.

    Args:
        block: the residual block class (``BasicBlock``).
        layers (list of 4 ints): blocks per stage.
        num_classes (int): outputs of ``fc``. Default 1000.
        zero_init_residual (bool): start each block's last batch norm at zero weight. Default False.
        norm_layer: the norm class. Default ``nn.BatchNorm2d``.

    Shape: (N, 3, H, W) -> (N, num_classes); any H, W >= 32 works (global pooling).
    """

    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1, width_per_group=64,
                 replace_stride_with_dilation=None, norm_layer=None):
        super().__init__()
        if replace_stride_with_dilation not in (None, [False, False, False], (False, False, False)):
            raise NotImplementedError("ResNet: replace_stride_with_dilation needs a bottleneck block, which "
                                      "chainrule's ResNet-18/34 do not use")
        self._norm_layer = norm_layer or nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = 64, 1, groups, width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, norm_classes()):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        norm_layer = self._norm_layer
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, self.dilation,
                        norm_layer)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                         dilation=self.dilation, norm_layer=norm_layer) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def resnet18(*, weights=None, progress=True, **kwargs):
    """ResNet-18: ``BasicBlock`` stages of [2, 2, 2, 2] (11.7 M parameters at 1000 classes).

    Args:
        weights (str or path or None): a safetensors file with torchvision's keys (see ``chainrule convert``).
            Without ``num_classes``, the file's ``fc.weight`` decides it. Default None (random weights).
        progress (bool): accepted for torchvision compatibility; nothing is downloaded.
        **kwargs: passed to :class:`ResNet` (``num_classes``, ``zero_init_residual``, ``norm_layer``).

    >>> model = resnet18(num_classes=3)
    >>> model(chainrule.zeros(1, 3, 64, 64)).shape
    Size([1, 3])
    """
    return build("resnet18", lambda **kw: ResNet(BasicBlock, [2, 2, 2, 2], **kw), weights,
                 dict(kwargs, progress=progress), "fc.weight")


def resnet34(*, weights=None, progress=True, **kwargs):
    """ResNet-34: ``BasicBlock`` stages of [3, 4, 6, 3]; arguments as :func:`resnet18`."""
    return build("resnet34", lambda **kw: ResNet(BasicBlock, [3, 4, 6, 3], **kw), weights,
                 dict(kwargs, progress=progress), "fc.weight")
