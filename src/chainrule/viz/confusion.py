"""A confusion matrix as a heat map: rows are the true classes, columns the predicted ones."""

from __future__ import annotations

import numpy as np

from chainrule.viz import new_figure, save_figure, to_numpy

_MAX_ANNOTATED = 20  # above this many classes the numbers in the cells become unreadable


def plot_confusion_matrix(cm, class_names, path=None, normalize=False):
    """Plot a confusion matrix with a count (or a fraction) in each cell.

    Args:
        cm (array or Tensor): ``(C, C)`` counts; ``cm[i, j]`` = samples of true class i predicted as j
            (as ``Evaluation.confusion_matrix``).
        class_names (sequence of str): the C class names, for both axes.
        path (str or Path, optional): write the figure there as a PNG. Default: None.
        normalize (bool): divide each row by its total, so that the diagonal is the per-class
            accuracy (recall). Default: False.

    Returns:
        matplotlib.figure.Figure

    Raises:
        ImportError: matplotlib is not installed (``pip install chainrule[plot]``).
        ValueError: ``cm`` is not square or does not match ``class_names``.

    Shape:
        cm: ``(C, C)``.

    >>> fig = plot_confusion_matrix([[5, 1], [2, 7]], ["cat", "dog"], normalize=True)  # doctest: +SKIP
    """
    cm = to_numpy(cm).astype(np.float64)
    names = [str(c) for c in class_names]
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] != len(names):
        raise ValueError(f"plot_confusion_matrix(cm): expected a square matrix of {len(names)}x{len(names)} "
                         f"(one row and column per class name), got shape {cm.shape}")
    if normalize:
        totals = cm.sum(axis=1, keepdims=True)
        cm = np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)
    c = len(names)
    size = max(4.5, 0.55 * c + 2.5)
    fig = new_figure(figsize=(size + 1, size), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(cm, cmap="Blues", vmin=0, vmax=1 if normalize else max(cm.max(), 1))
    fig.colorbar(image, ax=ax, shrink=0.8, label="fraction of the true class" if normalize else "count")
    ax.set_xticks(range(c), names, rotation=45, ha="right")
    ax.set_yticks(range(c), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    total = cm.trace() / cm.sum() if not normalize and cm.sum() else None
    ax.set_title("Confusion matrix" + (" (rows normalised)" if normalize else f"  (accuracy {total:.3f})" if total is not None else ""))
    if c <= _MAX_ANNOTATED:
        threshold = (1 if normalize else max(cm.max(), 1)) / 2
        for i in range(c):
            for j in range(c):
                text = f"{cm[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if cm[i, j] > threshold else "black")
    if path is not None:
        save_figure(fig, path)
    return fig
