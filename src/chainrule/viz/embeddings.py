"""Pictures of embeddings: a 2-D map coloured by class, and a grid of nearest-neighbour images."""

from __future__ import annotations

import numpy as np

from chainrule.viz import new_figure, to_numpy


def plot_embedding_map(coords, labels=None, class_names=None, texts=None, title="", axis_labels=("", ""),
                       path=None, point_size: float = 4.0):
    """A scatter of 2-D ``coords`` (N, 2), one colour per class in ``labels`` (with a legend of
    ``class_names``), or plain with ``texts`` written beside the points (e.g. movie titles).

    Returns the Figure; writes a PNG at ``path`` if given.
    """
    coords = to_numpy(coords)
    if coords.ndim != 2 or coords.shape[1] != 2:
        raise ValueError(f"plot_embedding_map: expected coords of shape (N, 2), got {coords.shape}")
    fig = new_figure(figsize=(8.5, 7))
    ax = fig.add_axes((0.08, 0.08, 0.66 if labels is not None else 0.88, 0.84))
    if labels is not None:
        labels = to_numpy(labels).astype(np.int64).ravel()
        if len(labels) != len(coords):
            raise ValueError(f"plot_embedding_map: {len(coords)} points but {len(labels)} labels")
        classes = np.unique(labels)
        cmap = _colours(len(classes))
        for colour, c in zip(cmap, classes):
            m = labels == c
            name = class_names[c] if class_names is not None and c < len(class_names) else str(c)
            ax.scatter(coords[m, 0], coords[m, 1], s=point_size, color=colour, label=name, alpha=0.7, linewidths=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), markerscale=4, frameon=False, fontsize=9)
    else:
        ax.scatter(coords[:, 0], coords[:, 1], s=point_size * 4, color="#4c72b0", alpha=0.8, linewidths=0)
    if texts is not None:
        for (x, y), text in zip(coords, texts):
            ax.annotate(str(text), (x, y), fontsize=7, xytext=(2, 2), textcoords="offset points")
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_title(title, fontsize=10)
    if path is not None:
        from chainrule.viz import save_figure

        save_figure(fig, path)
    return fig


def _colours(n):
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def plot_neighbours(images, labels, class_names, queries, neighbours, title="", path=None):
    """One row per query: the query image, then its neighbours (indices into ``images``), each framed green
    when its label matches the query's and red when not; titled with the class names.

    Args:
        images: (N, H, W) images (uint8 shown on a fixed 0..255 scale).
        labels: (N,) class indices. class_names: the names.
        queries: the query indices. neighbours: one list of neighbour indices per query.
    """
    images, labels = to_numpy(images), to_numpy(labels).astype(np.int64).ravel()
    rows, cols = len(queries), 1 + max((len(n) for n in neighbours), default=0)
    fig = new_figure(figsize=(1.25 * cols + 0.3, 1.45 * rows + 0.6))
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=1 - 0.55 / (1.45 * rows + 0.6), wspace=0.08,
                        hspace=0.45)
    axes = np.atleast_2d(fig.subplots(rows, cols, squeeze=False))
    scale = {"vmin": 0, "vmax": 255} if images.dtype == np.uint8 else {}
    for r, (q, near) in enumerate(zip(queries, neighbours)):
        for c in range(cols):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c > len(near):
                ax.set_axis_off()
                continue
            j = q if c == 0 else near[c - 1]
            ax.imshow(images[j], cmap="gray_r", **scale)
            colour = "#1f4e9c" if c == 0 else ("#2ca02c" if labels[j] == labels[q] else "#d62728")
            for spine in ax.spines.values():
                spine.set_color(colour)
                spine.set_linewidth(3 if c == 0 else 2)
            name = class_names[labels[j]] if class_names is not None else str(labels[j])
            ax.set_title(("query: " if c == 0 else "") + name, fontsize=7, color=colour)
    fig.suptitle(title, fontsize=10, y=1 - 0.08 / (1.45 * rows + 0.6))  # a fixed 0.08 in from the top: clear of row 1
    if path is not None:
        from chainrule.viz import save_figure

        save_figure(fig, path)
    return fig
