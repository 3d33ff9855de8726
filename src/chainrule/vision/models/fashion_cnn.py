"""``fashion_cnn``: chainrule's own small pretrained feature extractor for 28x28 grayscale images.

No ImageNet weights can be downloaded offline, so chainrule ships a CNN pre-trained on 7 of the 10
Fashion-MNIST classes. The 3 footwear classes (sandal, sneaker, ankle boot) were held out, so they can
measure transfer learning honestly (``docs/transfer.md``). ``scripts/pretrain_foundation.py`` rebuilds
the weights file deterministically.
"""

from __future__ import annotations

from chainrule import nn
from chainrule.vision.models._utils import build

__all__ = ["FASHION7", "FashionCNN", "fashion_cnn"]

# what the shipped weights expect and know (torchvision keeps the same facts in ``weights.meta``)
FASHION7 = {
    "categories": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Shirt", "Bag"],
    "fashion_mnist_labels": [0, 1, 2, 3, 4, 6, 8],  # the original label of each category
    "held_out": ["Sandal", "Sneaker", "Ankle boot"],  # labels 5, 7, 9
    "input_size": (28, 28),
    "mean": (0.2860,), "std": (0.3530,),  # Fashion-MNIST's training pixels, in [0, 1] units
    "background": "dark",  # bright objects on black, like Fashion-MNIST: invert photos on white paper
}


class FashionCNN(nn.Module):
    """Three conv-BN-ReLU blocks (16, 32, 64 channels; pooling after the first two), pooled to 3x3, then
    ``fc``. ``children()`` run in order, so ``nn.Sequential(*list(model.children())[:-1])`` is the
    feature extractor, giving 576 features per image.

    Args:
        num_classes (int): outputs of ``fc``. Default 10.
        in_channels (int): 1 for grayscale. Default 1.

    Shape: (N, in_channels, 28, 28) -> (N, num_classes) (other sizes work: the pooling is adaptive).

    >>> model = FashionCNN(num_classes=3)
    >>> model(chainrule.zeros(2, 1, 28, 28)).shape
    Size([2, 3])
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1):
        super().__init__()

        def block(c_in, c_out, pool):
            layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
            return layers + [nn.MaxPool2d(2)] if pool else layers

        self.features = nn.Sequential(*block(in_channels, 16, True), *block(16, 32, True), *block(32, 64, False))
        self.avgpool = nn.AdaptiveAvgPool2d((3, 3))
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64 * 3 * 3, num_classes)

    def forward(self, x):
        return self.fc(self.flatten(self.avgpool(self.features(x))))


def fashion_cnn(*, weights=None, progress=True, **kwargs):
    """The small CNN, optionally with chainrule's pretrained weights.

    Args:
        weights (str or path or None): ``"fashion7"`` for the shipped weights (7 classes, see ``FASHION7``),
            a safetensors file, or None for random weights. Default None.
        progress (bool): accepted for torchvision compatibility.
        **kwargs: passed to :class:`FashionCNN` (``num_classes``, ``in_channels``).

    Transfer to your 3 classes, as in PyTorch:

    >>> model = fashion_cnn(weights="fashion7")
    >>> model.requires_grad_(False)
    >>> model.fc = nn.Linear(model.fc.in_features, 3)   # new head, trainable
    """
    return build("fashion_cnn", FashionCNN, weights, dict(kwargs, progress=progress), "fc.weight")
