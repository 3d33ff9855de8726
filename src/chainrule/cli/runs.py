"""What ``train``, ``evaluate`` and ``predict`` share: datasets, preprocessing, the model and loss named by a
run's config.json, and atomic file writes. A run folder is rebuilt from its config.json alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import chainrule as cr

IMAGE_DATASETS = {"fashion-mnist": "FashionMNIST", "mnist": "MNIST"}
TOY_CLASSIFICATION = ("circle", "xor", "gauss", "spiral", "moons")
TOY_REGRESSION = ("plane", "multi-gauss", "line")
DATASETS = (*IMAGE_DATASETS, *TOY_CLASSIFICATION, *TOY_REGRESSION)
TOY_TEST_SAMPLES = 500
TOY_TEST_SEED_OFFSET = 1  # the toy test set is drawn from the same distribution with seed + 1

CLASSIFICATION_LOSSES = ("cross-entropy", "nll")
# regression losses; on a classification set they compare softmax(logits) with one-hot targets (Keras-style)
REGRESSION_LOSSES = {"mse": "MSELoss", "mae": "L1Loss", "huber": "HuberLoss", "smooth-l1": "SmoothL1Loss",
                     "msle": "MSLELoss"}
LOSSES = (*CLASSIFICATION_LOSSES, *REGRESSION_LOSSES)


class RunError(Exception):
    """A problem the user can fix (a run folder without config.json, a wrong image), shown as one line."""


def is_image(dataset: str) -> bool:
    return dataset in IMAGE_DATASETS


def is_regression(dataset: str) -> bool:
    return dataset in TOY_REGRESSION


def load_raw(dataset: str, train: bool, seed: int, noise: float = 0.0, n_samples: int | None = None):
    """``(X, y, classes)`` as NumPy arrays: uint8 images ``(N, 28, 28)``, or toy features ``(N, D)`` float32.

    Toy test sets are a fresh draw with ``seed + 1``; ``classes`` is None for regression.
    """
    if is_image(dataset):
        from chainrule.data import datasets

        ds = getattr(datasets, IMAGE_DATASETS[dataset])(train=train)
        return as_numpy(ds.data), as_numpy(ds.targets), list(ds.classes)
    from chainrule.data.datasets import toy

    fn = getattr(toy, dataset.replace("-", "_"))
    kwargs = {"noise": noise, "seed": seed if train else seed + TOY_TEST_SEED_OFFSET}
    if not train:
        kwargs["n_samples"] = TOY_TEST_SAMPLES
    elif n_samples is not None:
        kwargs["n_samples"] = n_samples
    X, y = fn(**kwargs)
    return X, y, (None if is_regression(dataset) else ["0", "1"])


def as_numpy(x) -> np.ndarray:
    data = getattr(x, "_data", None)
    return data if isinstance(data, np.ndarray) else np.asarray(x)


def preprocessing(config: dict, augment: bool = False):
    """The batch transform of a run: scale images to [0, 1], (augment,) standardise with the training statistics."""
    from chainrule.data import transforms as T

    steps = [T.ToFloat()]
    if augment:
        for name in config["augment"]:
            steps.append({"shift": lambda: T.RandomShift(2), "flip": lambda: T.RandomHorizontalFlip(),
                          "noise": lambda: T.GaussianNoise(0.05 if is_image(config["dataset"]) else 0.1)}[name]())
    steps.append(T.Normalize(config["normalize"]["mean"], config["normalize"]["std"]))
    if config.get("model") == "cnn":
        # (N, H, W) -> (N, 1, H, W) as a batchable transform (floats pass ToTensor unscaled): a Lambda is applied
        # per sample since main's torchvision-style dataset transforms, which put the axis in the wrong place
        steps.append(T.ToTensor())
    return T.Compose(steps)


def normalization(X: np.ndarray, dataset: str) -> dict:
    """Training-set statistics: one mean/std for images (in [0, 1] units), one per feature for tabular data."""
    if is_image(dataset):
        # uint8 pixels: exact moments from a 256-bin histogram, without a float copy of the images
        flat = X.reshape(len(X), -1)
        counts = sum(np.bincount(flat[i:i + 2048].reshape(-1), minlength=256) for i in range(0, len(flat), 2048))
        values = np.arange(256) / 255
        mean = float(counts @ values / counts.sum())
        std = float(np.sqrt(counts @ (values - mean) ** 2 / counts.sum()))
        return {"mean": [round(mean, 4)], "std": [round(std, 4) or 1.0]}
    std = X.std(axis=0)
    return {"mean": [round(float(m), 4) for m in X.mean(axis=0)],
            "std": [round(float(s), 4) if s > 0 else 1.0 for s in std]}


def build_model(config: dict):
    from chainrule.cli.models import build_model

    return build_model(config)


def build_loss(config: dict):
    """The loss module named in the config, adapted to the task (see ``REGRESSION_LOSSES``)."""
    from chainrule import nn

    name = config["loss"]
    if name == "cross-entropy":
        return nn.CrossEntropyLoss()
    if name == "nll":
        return _OnLogSoftmax(nn.NLLLoss())
    loss = getattr(nn, REGRESSION_LOSSES[name])()
    return loss if is_regression(config["dataset"]) else _OnProbabilities(loss, config["out_features"])


class _OnProbabilities:
    """``loss(softmax(logits), one_hot(y))``: a regression loss used for classification, as in Keras."""

    def __init__(self, loss, num_classes: int):
        self.loss, self.num_classes = loss, num_classes

    def __call__(self, logits, target):
        onehot = cr.nn.functional.one_hot(target, self.num_classes).float()
        return self.loss(logits.softmax(dim=1), onehot)

    def __repr__(self):
        return f"{self.loss!r} on softmax probabilities and one-hot targets"


class _OnLogSoftmax:
    def __init__(self, loss):
        self.loss = loss

    def __call__(self, logits, target):
        return self.loss(cr.nn.functional.log_softmax(logits, dim=1), target)


def read_config(run_dir) -> dict:
    path = Path(run_dir) / "config.json"
    if not Path(run_dir).is_dir():
        raise RunError(f"{run_dir} is not a folder; pass a run folder written by `chainrule train` (e.g. runs/<name>)")
    from chainrule.cli.config_schema import check_config
    from chainrule.io.files import open_regular

    try:
        with open_regular(path, "r") as f:
            text = f.read()
        return check_config(json.loads(text), path)
    except FileNotFoundError:
        raise RunError(_not_a_run(Path(run_dir))) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RunError(f"{path} is not valid JSON ({e})") from None
    except RecursionError:
        raise RunError(f"{path} is nested too deeply to be a config.json") from None


def load_model(run_dir, config: dict):
    """The trained model of a run: rebuilt from the config, weights from model.safetensors, in eval mode."""
    from chainrule import io

    path = Path(run_dir) / "model.safetensors"
    if not path.is_file():
        raise RunError(f"{run_dir} has no model.safetensors; did the training run finish?")
    model = build_model(config)
    io.load_into(model, path)
    return model.eval()


def write_text(path, text: str) -> None:
    """Write a text file atomically (temporary file, fsync, rename): a crash never leaves half a file."""
    from chainrule.io import atomic_write

    with atomic_write(path, "w") as f:
        f.write(text)


def write_json(path, data) -> None:
    write_text(path, json.dumps(data, indent=2) + "\n")


def _not_a_run(folder: Path) -> str:
    """Why ``folder`` (which has no config.json) is not a run, and which folder inside it would be."""
    try:
        return _not_a_run_hint(folder)
    except OSError:  # an unreadable folder inside: the plain message
        return f"{folder} has no config.json; is it a run folder written by `chainrule train`?"


def _not_a_run_hint(folder: Path) -> str:
    if (folder / "search.json").is_file():
        trials = sorted(p.name for p in (folder / "trials").glob("trial-*") if (p / "config.json").is_file())
        example = f" (e.g. {folder / 'trials' / trials[0]})" if trials else ""
        return (f"{folder} is a `chainrule search` folder; each trial in {folder / 'trials'} is a run "
                f"folder{example}, the winner is named in {folder / 'report.md'}")
    runs = sorted(p.name for p in folder.iterdir() if (p / "config.json").is_file()) if folder.is_dir() else []
    if runs:
        return f"{folder} holds run folders, it is not one; pass one of them (e.g. {folder / runs[0]})"
    return f"{folder} has no config.json; is it a run folder written by `chainrule train`?"
