"""The learning-rate finder's picture: smoothed loss against learning rate (log scale) with the suggestions."""

from __future__ import annotations

import numpy as np

from chainrule.viz import new_figure, save_figure


def plot_lr_find(result, path=None, title=None):
    """Plot ``lr_find``'s raw and smoothed loss against the learning rate, marking both suggestions.

    Args:
        result (LRFinderResult): from ``chainrule.train.lr_find``.
        path (str or Path, optional): write the figure there as a PNG.
        title (str, optional): the title. Default: "Learning-rate finder".

    Returns:
        (Figure, dict): the figure and the data drawn (``lrs``, ``losses``, ``smoothed``, ``steepest``,
        ``min_div10``).

    >>> fig, data = plot_lr_find(lr_find(model, loss_fn, optimizer, (X, y)))  # doctest: +SKIP
    """
    lrs, losses, smoothed = (np.asarray(v, dtype=np.float64) for v in (result.lrs, result.losses, result.smoothed))
    if len(lrs) == 0:
        raise ValueError("plot_lr_find: the result holds no steps (the loss was not finite from the start)")
    fig = new_figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.subplots()
    ax.plot(lrs, losses, color="#999999", lw=0.8, alpha=0.7, label="loss per step")
    ax.plot(lrs, smoothed, color="#0072B2", lw=2, label="smoothed loss")
    for lr, color, style, name in ((result.steepest, "#D55E00", "--", "steepest descent"),
                                   (result.min_div10, "#009E73", ":", "minimum / 10")):
        if np.isfinite(lr):
            ax.axvline(lr, color=color, ls=style, lw=1.5, label=f"{name}: lr = {lr:.2g}")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    top = np.nanpercentile(smoothed, 95) if len(smoothed) > 5 else np.nanmax(smoothed)
    low = np.nanmin(np.concatenate([losses, smoothed]))
    ax.set_ylim(low - 0.05 * abs(low), min(np.nanmax(losses), top * 1.5) + 1e-12)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or "Learning-rate finder (exponential sweep)", fontsize=10)
    if path is not None:
        save_figure(fig, path)
    return fig, {"lrs": lrs, "losses": losses, "smoothed": smoothed, "steepest": result.steepest,
                 "min_div10": result.min_div10}
