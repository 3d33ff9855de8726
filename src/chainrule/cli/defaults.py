"""Defaults of ``chainrule train`` per kind of dataset, chosen so that every README command learns.

Images (Fashion-MNIST, MNIST) and the 2-D toy sets need different settings. On images a little dropout,
halving the learning rate on a plateau and early stopping give ~0.89 test accuracy on Fashion-MNIST
in a few epochs. On the toy sets (a few hundred 2-D points) those same settings learn nothing: the
loss of a small tanh network sits on a plateau at ln 2 for tens of epochs before it finds the spiral,
so a plateau-triggered lr halving drives the rate to ~1e-6 and early stopping ends the run at chance
(seeds 0-2 of the README's spiral command: 0.58 test accuracy). Toy sets therefore train without
dropout, at a larger constant rate, for all their epochs (200 epochs of 450 points take seconds).
Measured on seeds 0-2 (2 cores): spiral 16,16 tanh 0.986-0.990, circle/xor/gauss/moons >= 0.96.
"""

from __future__ import annotations

from chainrule.cli.runs import is_image

# learning rates that train an MLP on images with each optimizer (PyTorch's defaults, except for plain
# SGD, whose 1e-3 is far too slow, and RMSprop, whose 1e-2 is too high for an MLP: Keras's 1e-3)
IMAGE_LR = {"sgd": 0.1, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.01, "adadelta": 1.0,
            "rmsprop": 1e-3, "adam": 1e-3, "adamw": 1e-3, "nadam": 2e-3}
# the toy sets' 2 inputs and tiny batches take a larger step: Adam-like optimizers 3e-2 (1e-2 left the
# spiral at 0.83 on one seed of three, 3e-2 reached >= 0.986 on all)
TOY_LR = IMAGE_LR | {"rmsprop": 1e-2, "adam": 3e-2, "adamw": 3e-2, "nadam": 3e-2, "adagrad": 0.1}

KIND_DEFAULTS = {
    "image": {"dropout": 0.2, "epochs": 20, "batch_size": 128, "early_stopping": 5, "reduce_lr": 2},
    "toy": {"dropout": 0.0, "epochs": 200, "batch_size": 32, "early_stopping": 0, "reduce_lr": 0},
}


def kind(dataset: str) -> str:
    """``"image"`` or ``"toy"``: which column of defaults a dataset takes."""
    return "image" if is_image(dataset) else "toy"


def default(dataset: str, setting: str):
    """The default of ``setting`` (dropout, epochs, batch_size, early_stopping, reduce_lr) for ``dataset``."""
    return KIND_DEFAULTS[kind(dataset)][setting]


def default_lr(dataset: str, optimizer: str) -> float:
    """The default learning rate of ``optimizer`` on ``dataset``."""
    return (IMAGE_LR if is_image(dataset) else TOY_LR)[optimizer]


def describe(setting: str) -> str:
    """``"0.2 for images, 0 for toy sets"``: the defaults of a setting, for --help."""
    image, toy = KIND_DEFAULTS["image"][setting], KIND_DEFAULTS["toy"][setting]
    return f"{image:g} for images, {toy:g} for toy sets"
