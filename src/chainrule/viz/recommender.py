"""Pictures of a recommender run: RMSE per epoch against the baselines, and a 2-D map of the item embeddings."""

from __future__ import annotations

import numpy as np

from chainrule.viz import new_figure, save_figure

__all__ = ["plot_rating_curves", "plot_item_map"]


def plot_rating_curves(history, baselines=None, path=None, title=None):
    """RMSE per epoch (training and validation), with each baseline's RMSE as a horizontal line.

    Args:
        history (dict): per-epoch lists ``rmse`` and ``val_rmse`` (``evaluate_split``'s ``history``).
        baselines (dict, optional): name -> test RMSE, drawn as dashed lines (the model's own test RMSE
            may be among them). Default: None.
        path (str or Path, optional): write the PNG there. Default: None.
        title (str, optional): the figure title. Default: None.

    Returns:
        matplotlib.figure.Figure
    """
    if not history.get("rmse"):
        raise ValueError("plot_rating_curves(history): expected a dict with a non-empty 'rmse' list")
    fig = new_figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    for key, color, label in (("rmse", "#1f77b4", "train"), ("val_rmse", "#d62728", "validation")):
        values = history.get(key) or []
        if values:
            ax.plot(range(1, len(values) + 1), values, "o-", ms=3, color=color, label=label)
    val = history.get("val_rmse") or []
    if val:
        best = int(np.argmin(val))
        ax.plot([best + 1], [val[best]], "*", ms=13, color="#2ca02c", zorder=5,
                label=f"best validation {val[best]:.4f} (epoch {best + 1})")
    for (name, value), color in zip((baselines or {}).items(), ("#7f7f7f", "#ff7f0e", "#2ca02c", "#9467bd")):
        ax.axhline(value, ls="--", lw=1.2, color=color, label=f"{name} (test) {value:.4f}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("RMSE (stars)")
    ax.grid(alpha=0.3)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=8)
    ax.set_title(title or "Matrix factorisation: RMSE per epoch", fontsize=10)
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_item_map(embeddings, titles, counts, path=None, n_labels: int = 30, min_count: int = 20, title=None,
                  groups=None):
    """A 2-D PCA map of item embeddings; the ``n_labels`` most-rated items are named.

    Items with fewer than ``min_count`` ratings are left out (their embeddings are mostly the prior).
    Point size grows with the number of ratings.

    Args:
        embeddings (array): ``(n_items, dim)`` item embeddings.
        titles (sequence of str): a title per item.
        counts (array): training ratings per item.
        path (str or Path, optional): write the PNG there. Default: None.
        n_labels (int): how many of the most-rated items get their title. Default: 30.
        min_count (int): fewest ratings for an item to be drawn. Default: 20.
        title (str, optional): the figure title. Default: None.
        groups (sequence, optional): a label per item (a genre); the 8 commonest among the drawn items get
            colours of their own, the others are grey. Default: None (one colour).

    Returns:
        matplotlib.figure.Figure
    """
    embeddings, counts = np.asarray(embeddings), np.asarray(counts)
    if len(embeddings) != len(titles) or len(counts) != len(titles):
        raise ValueError(f"plot_item_map: {len(embeddings)} embeddings, {len(titles)} titles and {len(counts)} counts "
                         "must match")
    if embeddings.ndim != 2 or embeddings.shape[1] < 2 or len(embeddings) < 3:
        raise ValueError(f"plot_item_map: expected at least 3 embeddings of at least 2 values, got shape "
                         f"{embeddings.shape}")
    from chainrule.embeddings.images import pca_2d  # the same PCA as chainrule embed's map

    shown = np.flatnonzero(counts >= min_count)
    if len(shown) < 3:
        shown = np.argsort(-counts)[:max(3, min(len(counts), 50))]
    coords, ratio = pca_2d(embeddings[shown])
    fig = new_figure(figsize=(11, 8.5), layout="constrained")
    ax = fig.subplots()
    sizes = 6 + 60 * np.sqrt(counts[shown] / max(counts[shown].max(), 1))
    top = np.argsort(-counts[shown], kind="stable")[:n_labels]
    if groups is None:
        ax.scatter(coords[:, 0], coords[:, 1], s=sizes, alpha=0.35, color="#1f77b4", linewidths=0)
        ax.scatter(coords[top, 0], coords[top, 1], s=sizes[top], color="#d62728", alpha=0.9, linewidths=0)
    else:
        labels = np.array([str(groups[i]) for i in shown], dtype=object)
        names, n = np.unique(labels, return_counts=True)
        common = list(names[np.argsort(-n, kind="stable")[:8]])
        palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
        rest = ~np.isin(labels, common)
        ax.scatter(coords[rest, 0], coords[rest, 1], s=sizes[rest], alpha=0.3, color="#bbbbbb", linewidths=0,
                   label="other" if rest.any() else None)
        for name, color in zip(common, palette):
            mask = labels == name
            ax.scatter(coords[mask, 0], coords[mask, 1], s=sizes[mask], alpha=0.55, color=color, linewidths=0,
                       label=name)
        ax.scatter(coords[top, 0], coords[top, 1], s=sizes[top] + 8, facecolors="none", edgecolors="black",
                   linewidths=0.8)
        ax.legend(fontsize=8, loc="best", markerscale=1.2)
    _place_labels(fig, ax, coords[top], [str(titles[shown[j]]) for j in top])
    ax.set_xlabel(f"principal component 1 ({ratio[0]:.0%} of the variance)")
    ax.set_ylabel(f"principal component 2 ({ratio[1]:.0%})")
    ax.grid(alpha=0.2)
    ax.set_title(title or f"Item embeddings, PCA to 2-D: {len(shown)} items with >= {min_count} ratings; "
                 f"the {len(top)} most-rated named", fontsize=10)
    if path is not None:
        save_figure(fig, path)
    return fig


def _place_labels(fig, ax, points, names) -> None:
    """Name each point, trying four positions around it and leaving out a label that would cover another."""
    renderer = fig.canvas.get_renderer()
    placed = []
    offsets = ((4, 3, "left", "bottom"), (4, -3, "left", "top"), (-4, 3, "right", "bottom"), (-4, -3, "right", "top"))
    for (x, y), name in zip(points, names):
        name = name if len(name) <= 32 else name[:31] + "…"
        for dx, dy, ha, va in offsets:
            text = ax.annotate(name, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=7.5, ha=ha, va=va)
            box = text.get_window_extent(renderer).expanded(1.02, 1.1)
            if not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            text.remove()
