"""torchvision's shape on chainrule: ``models``, ``datasets`` and ``transforms``.

Code written for torchvision runs with ``import chainrule.vision as torchvision``:

>>> import chainrule.vision as torchvision
>>> model = torchvision.models.resnet18(num_classes=3)
>>> tf = torchvision.transforms.Compose([torchvision.transforms.Resize(64), torchvision.transforms.ToTensor()])

The subpackages are imported on first use. Reading image files needs Pillow (``pip install chainrule[image]``).
"""

from __future__ import annotations

import importlib

__all__ = ["datasets", "models", "ops", "transforms"]


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f"chainrule.vision.{name}")
    raise AttributeError(f"module 'chainrule.vision' has no attribute {name!r}")
