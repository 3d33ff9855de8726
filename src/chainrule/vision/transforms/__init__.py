"""torchvision's per-image transforms: a PIL image in, a CHW float tensor out.

Each transform works on one image (``ImageFolder`` applies it in ``__getitem__``), with torchvision's
names, arguments and semantics: geometry and colour transforms take PIL images (and CHW tensors where
cheap), ``ToTensor`` gives float32 in [0, 1], ``Normalize`` standardises a tensor. Random transforms draw
from ``generator=`` (or a fresh one from ``seed=``) when given, else from chainrule's global generator, so
``chainrule.manual_seed(0)`` makes a pipeline repeatable. (``chainrule.data.transforms`` holds the
batch-at-once transforms for arrays already in memory.)

>>> from chainrule.vision import transforms as T
>>> tf = T.Compose([T.Grayscale(), T.Resize(28), T.CenterCrop(28), T.ToTensor(), T.Normalize((0.286,), (0.353,))])
>>> tf(PIL.Image.open("shoe.jpg")).shape  # doctest: +SKIP
Size([1, 28, 28])
"""

from chainrule.vision.transforms._base import Compose, InterpolationMode, Lambda
from chainrule.vision.transforms.color import ColorJitter, Grayscale, Normalize, ToTensor
from chainrule.vision.transforms.geometry import (
    CenterCrop,
    Pad,
    RandomCrop,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomRotation,
    RandomVerticalFlip,
    Resize,
)

__all__ = ["CenterCrop", "ColorJitter", "Compose", "Grayscale", "InterpolationMode", "Lambda", "Normalize", "Pad",
           "RandomCrop", "RandomHorizontalFlip", "RandomResizedCrop", "RandomRotation", "RandomVerticalFlip", "Resize",
           "ToTensor"]
