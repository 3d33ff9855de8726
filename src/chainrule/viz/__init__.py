"""Plots that make training visible: learning curves, confusion matrices, the most confident mistakes.

matplotlib is an optional extra (``pip install chainrule[plot]``), imported only when a plot is drawn.
The plots are drawn on a plain ``matplotlib.figure.Figure`` with the Agg canvas, never through
``pyplot``: nothing is registered in pyplot's global list of open figures, so nothing leaks in a long
training script and no display is needed. Each function returns its Figure, which shows inline in
Jupyter without importing pyplot first (it has ``_repr_png_``), and, given ``path``, writes a PNG
atomically (temporary file, fsync, rename).

>>> from chainrule.viz import plot_training_curves
>>> fig = plot_training_curves({"loss": [1.0, 0.6, 0.5], "val_loss": [1.1, 0.7, 0.65]}, "curves.png")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["plot_confusion_matrix", "plot_mistakes", "plot_training_curves",
           # issue 12, one file per picture (see docs/gallery.md)
           "plot_decision_boundary", "plot_loss_landscape", "plot_inside", "draw_graph", "race", "plot_race",
           "plot_lr_find", "plot_batch_sizes"]

INSTALL_HINT = "pip install chainrule[plot]"


def new_figure(**kwargs):
    """A pyplot-free ``Figure`` on the Agg canvas; raises ImportError with the install hint without matplotlib."""
    try:
        import matplotlib  # noqa: F401 - first, so that a missing (or hidden) matplotlib fails here
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(f"plotting needs matplotlib, which is not installed: {INSTALL_HINT}") from e
    global _InlineFigure
    if _InlineFigure is None:
        class _InlineFigure(Figure):
            """A Figure that Jupyter shows as a PNG by itself (no pyplot, no inline backend needed)."""

            def _repr_png_(self):
                import io

                buffer = io.BytesIO()
                self.savefig(buffer, format="png", dpi=100)
                return buffer.getvalue()

    fig = _InlineFigure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


_InlineFigure = None  # made on first use: matplotlib is imported only when a plot is drawn


def save_figure(fig, path, dpi: int = 100) -> Path:
    """Write ``fig`` as a PNG at ``path`` atomically (temporary file, fsync, rename), creating its folder."""
    from chainrule.io import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        fig.savefig(f, format="png", dpi=dpi)
    return path


def to_numpy(x):
    """A NumPy view of a Tensor, an ndarray or a list (plots accept any of them)."""
    import numpy as np

    return np.asarray(getattr(x, "_data", x))


from chainrule.viz.batch_size import plot_batch_sizes  # noqa: E402
from chainrule.viz.boundary import plot_decision_boundary  # noqa: E402
from chainrule.viz.confusion import plot_confusion_matrix  # noqa: E402 - helpers above are used by these
from chainrule.viz.curves import plot_training_curves  # noqa: E402
from chainrule.viz.graph import draw_graph  # noqa: E402
from chainrule.viz.inside import plot_inside  # noqa: E402
from chainrule.viz.landscape import plot_loss_landscape  # noqa: E402
from chainrule.viz.lr_find import plot_lr_find  # noqa: E402
from chainrule.viz.mistakes import plot_mistakes  # noqa: E402
from chainrule.viz.race import plot_race, race  # noqa: E402
