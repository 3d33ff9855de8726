"""What ``chainrule train --data`` runs share with ``predict`` and ``evaluate``: the model's input
preprocessing (exactly the same in training and use), reading the images, and the network of a run."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from chainrule.cli.runs import RunError, read_config

MODELS = ("fashion_cnn", "resnet18", "resnet34", "mobilenet_v2", "efficientnet_b0")
SHIPPED = {"fashion7": "fashion_cnn"}
IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
FORMAT = "chainrule-imagefolder"


def input_spec(model: str, image_size: int | None) -> dict:
    """How images are prepared for ``model``: size, channels, normalisation, background convention."""
    if model == "fashion_cnn":
        from chainrule.vision.models import FASHION7

        size = image_size or 28
        return {"size": [size, size], "channels": 1, "mean": list(FASHION7["mean"]), "std": list(FASHION7["std"]),
                "background": "dark"}
    size = image_size or 64
    return {"size": [size, size], "channels": 3, "mean": IMAGENET_MEAN, "std": IMAGENET_STD, "background": None}


def is_light_background(gray: np.ndarray) -> bool:
    """Whether the border of a grayscale image (uint8) is mostly light: its median above mid-grey."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return float(np.median(border)) > 127


def prepare(image, spec: dict):
    """A PIL image -> (normalised float32 (C, H, W), uint8 picture for plots, whether it was inverted)."""
    from PIL import ImageOps

    from chainrule.vision import transforms as T

    image = image.convert("L" if spec["channels"] == 1 else "RGB")
    inverted = False
    if spec["background"] == "dark" and is_light_background(np.asarray(image.convert("L"))):
        image, inverted = ImageOps.invert(image), True
    size = spec["size"]
    image = T.CenterCrop(size)(T.Resize(min(size))(image))
    x = T.Normalize(spec["mean"], spec["std"])(T.ToTensor()(image))
    return x.numpy(), np.asarray(image), inverted


def load_images(paths, spec: dict, quiet: bool = True):
    """Read and prepare every image; files that cannot be read are reported by name and skipped."""
    from chainrule.vision.datasets import DatasetError, pil_loader

    X, shown, keep, flipped, bad = [], [], [], 0, []
    for i, path in enumerate(paths):
        try:
            x, picture, inverted = prepare(pil_loader(path), spec)
        except DatasetError as e:
            bad.append(str(e))
            continue
        X.append(x)
        shown.append(picture)
        keep.append(i)
        flipped += inverted
    for problem in bad:
        print(f"warning: skipped {problem}", file=sys.stderr)
    return np.stack(X) if X else None, np.stack(shown) if shown else None, np.array(keep, dtype=np.int64), flipped


def build_model(config: dict, num_classes: int, pretrained: bool = True):
    """The network of a folder run: the named model, pretrained weights if any, a new head for the classes."""
    from chainrule import nn
    from chainrule.vision import models

    builder = getattr(models, config["model"])
    weights = config["pretrained"] if pretrained else None
    model = builder(weights=weights) if weights else builder(num_classes=num_classes)
    head_owner, head_name = head_location(model)
    old = getattr(head_owner, head_name) if head_name.isidentifier() else head_owner[int(head_name)]
    if old.out_features != num_classes:
        new = nn.Linear(old.in_features, num_classes)
        if head_name.isidentifier():
            setattr(head_owner, head_name, new)
        else:
            head_owner[int(head_name)] = new
    return model


def head_location(model):
    """(module holding the last Linear layer, its attribute name or index): ``fc`` or ``classifier[-1]``."""
    if hasattr(model, "fc"):
        return model, "fc"
    return model.classifier, str(len(model.classifier) - 1)


def head_prefix(model) -> str:
    owner, name = head_location(model)
    return "fc." if owner is model else f"classifier.{name}."


def is_folder_run(run_dir) -> bool:
    try:
        return read_config(run_dir).get("format") == FORMAT
    except RunError:
        return False


def load_run_model(run_dir, config):
    from chainrule import io

    path = Path(run_dir) / "model.safetensors"
    if not path.is_file():
        raise RunError(f"{run_dir} has no model.safetensors; did the training run finish?")
    model = build_model(config, len(config["classes"]), pretrained=False)
    io.load_into(model, path)
    return model.eval()
