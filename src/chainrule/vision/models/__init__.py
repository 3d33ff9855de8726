"""Model builders with torchvision's names, arguments and state_dict keys (one file per family), plus
chainrule's pretrained ``fashion_cnn`` and the reference ``cnn`` of ``chainrule train --model cnn``.

``weights=`` takes a safetensors file (``chainrule convert model.pth model.safetensors`` turns a PyTorch
checkpoint into one) or the name of weights chainrule ships (``fashion_cnn(weights="fashion7")``).

>>> from chainrule.vision import models
>>> model = models.resnet18(num_classes=3)
>>> model.fc
Linear(in_features=512, out_features=3, bias=True)
"""

from chainrule.models import cnn  # the reference CNN of `chainrule train --model cnn` (28x28 grayscale)
from chainrule.vision.models.efficientnet import EfficientNet, efficientnet_b0
from chainrule.vision.models.fashion_cnn import FASHION7, FashionCNN, fashion_cnn
from chainrule.vision.models.mobilenetv2 import MobileNetV2, mobilenet_v2
from chainrule.vision.models.resnet import ResNet, resnet18, resnet34

__all__ = ["FASHION7", "EfficientNet", "FashionCNN", "MobileNetV2", "ResNet", "cnn", "efficientnet_b0", "fashion_cnn",
           "get_model", "list_models", "mobilenet_v2", "resnet18", "resnet34"]

_BUILDERS = {"efficientnet_b0": efficientnet_b0, "fashion_cnn": fashion_cnn, "mobilenet_v2": mobilenet_v2,
             "resnet18": resnet18, "resnet34": resnet34}


def list_models() -> list[str]:
    """The names :func:`get_model` builds, sorted (as ``torchvision.models.list_models()``)."""
    return sorted(_BUILDERS)


def get_model(name: str, **config):
    """Build a model by name: ``get_model("resnet18", weights=None, num_classes=3)``."""
    if name not in _BUILDERS:
        raise ValueError(f"get_model: unknown model {name!r}; chainrule has {', '.join(list_models())}")
    return _BUILDERS[name](**config)
