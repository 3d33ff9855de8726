"""Training curves: train and validation loss and accuracy per epoch, with the diagnosis as subtitle."""

from __future__ import annotations

import math
import textwrap

from chainrule.train.diagnose import diagnose
from chainrule.viz import new_figure, save_figure

_TRAIN, _VAL = "#1f77b4", "#d62728"


def plot_training_curves(history, path=None, title=None):
    """Plot loss (left) and accuracy (right) per epoch for training and validation data.

    The subtitle is ``diagnose(history)``'s one-line verdict ("converged", "overfitting since epoch 7:
    ...", ...); for overfitting a dotted line marks the epoch where val_loss was lowest.

    Args:
        history: a ``History`` from ``fit`` or a dict of per-epoch lists (``loss``, ``val_loss``,
            ``accuracy``, ``val_accuracy``; missing ones are left out).
        path (str or Path, optional): write the figure there as a PNG. Default: None.
        title (str, optional): the figure title. Default: None ("Training curves").

    Returns:
        matplotlib.figure.Figure

    Raises:
        ImportError: matplotlib is not installed (``pip install chainrule[plot]``).

    >>> fig = plot_training_curves({"loss": [1.0, 0.6, 0.5], "accuracy": [0.6, 0.8, 0.85]})  # doctest: +SKIP
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs.get("loss"):
        raise ValueError("plot_training_curves(history): expected a History or a dict with a non-empty 'loss' list, "
                         f"got {type(history).__name__}")
    fig = new_figure(figsize=(10, 4.2), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    diagnosis = diagnose(logs)
    for ax, key, label in ((ax_loss, "loss", "loss"), (ax_acc, "accuracy", "accuracy")):
        for prefix, color, name in (("", _TRAIN, "train"), ("val_", _VAL, "validation")):
            values = [float(v) for v in logs.get(prefix + key) or []]
            if values:
                epochs = range(1, len(values) + 1)
                ax.plot(epochs, [v if math.isfinite(v) else math.nan for v in values], "o-", ms=3,
                        color=color, label=name)
        if ax.lines:
            ax.legend()
        else:
            ax.text(0.5, 0.5, f"no {label} recorded", ha="center", va="center", transform=ax.transAxes, color="gray")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    if diagnosis.kind == "overfitting":
        for ax in (ax_loss, ax_acc):
            ax.axvline(diagnosis.epoch, color="gray", ls=":", label=f"best val_loss (epoch {diagnosis.epoch})")
        ax_loss.legend()
    # the diagnosis is the subtitle, wrapped so that a long advice line fits the figure's width
    subtitle = "\n".join(textwrap.wrap(diagnosis.message, 120))
    fig.suptitle(f"{title or 'Training curves'}\n{subtitle}", fontsize=10)
    if path is not None:
        save_figure(fig, path)
    return fig
