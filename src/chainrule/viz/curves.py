"""Training curves: train and validation loss and accuracy per epoch, with the diagnosis as subtitle."""

from __future__ import annotations

import math
import textwrap

from chainrule.train.diagnose import diagnose
from chainrule.viz import new_figure, save_figure

_TRAIN, _VAL = "#1f77b4", "#d62728"


def plot_training_curves(history, path=None, title=None, diagnosis=None):
    """Plot loss (left) and accuracy (right) per epoch for training and validation data.

    The subtitle is ``diagnose(history)``'s one-line verdict ("converged", "overfitting since epoch 7:
    ...", ...). A dotted line and a star mark the best epoch (lowest val_loss, else lowest loss: the
    weights early stopping keeps), and the learning rate (``lr`` in the history) is drawn as a gray
    step line on a log axis at the right of the loss plot, so that a plateau halving shows.

    Args:
        history: a ``History`` from ``fit`` or a dict of per-epoch lists (``loss``, ``val_loss``,
            ``accuracy``, ``val_accuracy``; missing ones are left out).
        path (str or Path, optional): write the figure there as a PNG. Default: None.
        title (str, optional): the figure title. Default: None ("Training curves").
        diagnosis (Diagnosis, optional): the verdict to show, e.g. from ``diagnose(history, chance=...)``
            with what is known about the run. Default: None (``diagnose(history)``).

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
    diagnosis = diagnosis if diagnosis is not None else diagnose(logs)
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
    best = _best_epoch(logs)
    if best is not None:
        key, epoch, value = best
        for ax in (ax_loss, ax_acc):
            ax.axvline(epoch, color="gray", ls=":", lw=1)
        ax_loss.plot([epoch], [value], "*", ms=12, color="#2ca02c", label=f"best {key} (epoch {epoch})", zorder=5)
        ax_loss.legend()
    _plot_lr(ax_loss, logs.get("lr"))
    # the diagnosis is the subtitle, wrapped so that a long advice line fits the figure's width
    subtitle = "\n".join(textwrap.wrap(diagnosis.message, 120))
    fig.suptitle(f"{title or 'Training curves'}\n{subtitle}", fontsize=10)
    if path is not None:
        save_figure(fig, path)
    return fig


def _best_epoch(logs):
    """``(key, 1-based epoch, value)`` of the lowest val_loss (else loss), or None without finite values."""
    for key in ("val_loss", "loss"):
        values = [float(v) for v in logs.get(key) or []]
        finite = [(v, i) for i, v in enumerate(values) if math.isfinite(v)]
        if finite:
            value, i = min(finite)
            return key, i + 1, value
    return None


def _plot_lr(ax, lr):
    rates = [float(v) for v in lr or []]
    if not rates or not all(math.isfinite(v) and v > 0 for v in rates):
        return
    twin = ax.twinx()
    twin.step(range(1, len(rates) + 1), rates, where="mid", color="gray", alpha=0.6, lw=1.2)
    twin.set_yscale("log")
    twin.set_ylabel("learning rate (gray)", color="gray")
    twin.tick_params(axis="y", colors="gray", labelsize=8)
    if min(rates) == max(rates):  # one rate: a single labelled tick instead of an empty log axis
        twin.set_yticks([rates[0]], [f"lr {rates[0]:g}"])
        twin.minorticks_off()
