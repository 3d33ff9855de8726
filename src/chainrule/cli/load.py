"""``chainrule.load_run(RUN_DIR)``: a run folder written by ``chainrule train``, back in Python."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["Run", "load_run", "read_history"]


@dataclass
class Run:
    """A trained run: its model and everything needed to use and judge it.

    Attributes:
        path (Path): the run folder.
        model (Module): the trained model (rebuilt from config.json, weights from model.safetensors), in
            eval mode.
        preprocessing (callable): the batch transform the model was trained with (scale to [0, 1],
            standardise with the training statistics): apply it to raw inputs (uint8 images ``(N, 28, 28)``
            or toy points ``(N, 2)``) before the model.
        classes (list of str or None): the class names (None for a regression).
        config (dict): config.json: every setting, the seed, the data shapes.
        history (dict): metrics.csv as ``{"epoch": [1, 2, ...], "loss": [...], "val_loss": [...], ...}``.
        results (dict or None): results.json (test metrics, per-class scores, times, diagnosis); None for
            runs written before it existed.
    """

    path: Path
    model: object
    preprocessing: object
    classes: list | None
    config: dict
    history: dict = field(default_factory=dict)
    results: dict | None = None

    def predict(self, inputs, batch_size: int = 256) -> np.ndarray:
        """Class probabilities ``(N, C)`` (regression: outputs ``(N, 1)``) for raw inputs, preprocessed as in training.

        >>> run = chainrule.load_run("runs/fashion-mnist-20260101-120000")   # doctest: +SKIP
        >>> run.predict(images[:5]).argmax(1)                                # doctest: +SKIP
        """
        import chainrule as cr

        inputs = np.asarray(inputs)
        outputs = []
        with cr.no_grad():
            for i in range(0, len(inputs), batch_size):
                x = cr.from_numpy(np.asarray(self.preprocessing(inputs[i:i + batch_size])))
                y = self.model(x)
                outputs.append((y.softmax(dim=1) if self.classes is not None else y).numpy())
        return np.concatenate(outputs) if outputs else np.zeros((0, len(self.classes or [0])), np.float32)

    def __repr__(self) -> str:
        acc = (self.results or {}).get("test", {}).get("accuracy")
        what = f", test accuracy {acc:.4f}" if isinstance(acc, float) else ""
        return f"Run({str(self.path)!r}, {self.config.get('dataset')}{what})"


def read_history(path) -> dict:
    """metrics.csv as a dict of per-epoch lists (numbers as float, ``epoch`` as int; NA as NaN)."""
    columns: dict[str, list] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for key, value in row.items():
                columns.setdefault(key, []).append(_number(value, key == "epoch"))
    return columns


def _number(text, integer):
    try:
        return int(float(text)) if integer else float(text)
    except (TypeError, ValueError):
        return math.nan


def load_run(run_dir) -> Run:
    """Load a run folder written by ``chainrule train``: the trained model, its preprocessing, class names,
    config, history and results.

    Args:
        run_dir (str or PathLike): the run folder (e.g. ``"runs/fashion-mnist-20260101-120000"``).

    Returns:
        Run: ``.model``, ``.preprocessing``, ``.classes``, ``.config``, ``.history``, ``.results``, and
        ``.predict(raw_inputs)``.

    Raises:
        chainrule.cli.runs.RunError: not a run folder, or one without weights (the run did not finish).

    >>> import chainrule
    >>> run = chainrule.load_run("runs/fashion-mnist-20260101-120000")        # doctest: +SKIP
    >>> run.results["test"]["accuracy"], run.classes[:2]                      # doctest: +SKIP
    (0.8893, ['T-shirt/top', 'Trouser'])
    >>> probs = run.predict(test_images)                                       # doctest: +SKIP
    """
    from chainrule.cli.runs import load_model, preprocessing, read_config

    path = Path(run_dir)
    config = read_config(path)
    model = load_model(path, config)
    history = read_history(path / "metrics.csv") if (path / "metrics.csv").is_file() else {}
    results_file = path / "results.json"
    results = json.loads(results_file.read_text()) if results_file.is_file() else None
    return Run(path=path, model=model, preprocessing=preprocessing(config), classes=config.get("classes"),
               config=config, history=history, results=results)
