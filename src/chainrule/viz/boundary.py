"""Decision boundary of a classifier on 2-D points: shaded class probabilities, the data, the mistakes.

``plot_decision_boundary`` draws one picture; ``BoundaryRecorder`` (a callback) keeps the grid's
probabilities after every epoch and ``animate_boundary`` turns them into a GIF (Pillow, the ``image``
extra), so a learner sees the boundary bend as the network learns, as in TensorFlow Playground.
"""

from __future__ import annotations

import numpy as np

from chainrule.train.callbacks.base import Callback
from chainrule.viz import new_figure, save_figure, to_numpy
from chainrule.viz._gif import grab_frame, pillow_image, save_gif

_CLASS_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")  # Okabe-Ito, colour-blind safe


def predict_proba_2d(model, points, transform=None) -> np.ndarray:
    """Class probabilities ``(N, C)`` of ``model`` at ``points`` ``(N, 2)``, in eval mode without gradients.

    A single output is read as a logit of class 1 (sigmoid), several as logits (softmax). ``transform``
    (e.g. the run's normalisation) is applied to the points first. The model's mode is restored.
    """
    import chainrule as cr

    x = np.asarray(points, dtype=np.float32)
    if transform is not None:
        x = to_numpy(transform(x)).astype(np.float32, copy=False)
    was_training = model.training
    model.eval()
    try:
        with cr.no_grad():
            out = to_numpy(model(cr.tensor(x))).astype(np.float64).reshape(len(x), -1)
    finally:
        model.train(was_training)
    if out.shape[1] == 1:
        p1 = 1.0 / (1.0 + np.exp(-out[:, 0]))
        return np.stack([1.0 - p1, p1], axis=1)
    out = out - out.max(axis=1, keepdims=True)
    e = np.exp(out)
    return e / e.sum(axis=1, keepdims=True)


def boundary_grid(X, resolution: int = 100, margin: float = 0.1):
    """A ``resolution x resolution`` grid covering the points ``X`` plus ``margin`` of their range per side."""
    X = np.asarray(X, dtype=np.float64)
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = (hi - lo) * margin + 1e-6
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    return np.meshgrid(xs, ys)


def _draw(ax, xx, yy, probs, X, y, X_test=None, y_test=None, pred=None, pred_test=None, legend=True, fast=False):
    n_classes = probs.shape[-1]
    if n_classes == 2 and fast:  # an image is several times cheaper to draw than filled contours (GIF frames)
        shade = ax.imshow(probs[..., 1], origin="lower", extent=(xx[0, 0], xx[0, -1], yy[0, 0], yy[-1, 0]),
                          cmap="PuOr_r", vmin=0, vmax=1, alpha=0.55, aspect="auto", interpolation="bilinear")
        ax.contour(xx, yy, probs[..., 1], levels=[0.5], colors="k", linewidths=1.2)
    elif n_classes == 2:  # shade P(class 1): a diverging map whose ends match the two class colours
        shade = ax.contourf(xx, yy, probs[..., 1], levels=np.linspace(0, 1, 11), cmap="PuOr_r", alpha=0.55)
        ax.contour(xx, yy, probs[..., 1], levels=[0.5], colors="k", linewidths=1.2)
    else:
        from matplotlib.colors import ListedColormap

        cmap = ListedColormap(_CLASS_COLORS[:n_classes])
        shade = ax.contourf(xx, yy, probs.argmax(-1), levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.35)
    for c in range(int(max(n_classes, y.max() + 1 if len(y) else 0))):
        color = _CLASS_COLORS[c % len(_CLASS_COLORS)]
        ax.scatter(*X[y == c].T, s=12, color=color, edgecolors="white", linewidths=0.4, label=f"train, class {c}")
        if X_test is not None:
            ax.scatter(*X_test[y_test == c].T, s=14, marker="^", facecolors="none", edgecolors=color, linewidths=0.8,
                       label=f"test, class {c}")
    wrong = [(X, y, pred), (X_test, y_test, pred_test)]
    bad = np.concatenate([P[T != Q] for P, T, Q in wrong if P is not None and Q is not None] or [np.zeros((0, 2))])
    if len(bad):
        ax.scatter(*bad.T, s=40, marker="x", color="black", linewidths=1.2, label="misclassified")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if legend:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=7, frameon=False)
    return shade


def plot_decision_boundary(model, X, y, X_test=None, y_test=None, *, transform=None, resolution: int = 100,
                           path=None, title=None):
    """Plot ``model``'s class regions over 2-D data with the training (and test) points and its mistakes.

    Args:
        model (Module): a classifier of 2 features (logits, or one logit of class 1).
        X, y: training points ``(N, 2)`` and integer labels ``(N,)`` (arrays or Tensors).
        X_test, y_test (optional): test points, drawn as open triangles.
        transform (callable, optional): applied to raw points before the model (the run's normalisation).
        resolution (int): grid points per axis. Default: 100.
        path (str or Path, optional): write the figure there as a PNG.
        title (str, optional): the title. Default: "Decision boundary".

    Returns:
        (Figure, dict): the figure and the data drawn: ``xx``, ``yy`` (the grid), ``probs``
        ``(resolution, resolution, C)``, ``pred`` (the model's classes of ``X``), ``pred_test``,
        ``misclassified`` (indices into ``X``), ``accuracy`` (on ``X``).

    >>> fig, data = plot_decision_boundary(model, X, y, resolution=50)  # doctest: +SKIP
    """
    X, y = to_numpy(X).astype(np.float64), to_numpy(y).astype(np.int64).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: expected X of shape (N, 2), got {X.shape}")
    X_test = None if X_test is None else to_numpy(X_test).astype(np.float64)
    y_test = None if y_test is None else to_numpy(y_test).astype(np.int64).reshape(-1)
    both = X if X_test is None else np.concatenate([X, X_test])
    xx, yy = boundary_grid(both, resolution)
    probs = predict_proba_2d(model, np.stack([xx.ravel(), yy.ravel()], 1), transform).reshape(*xx.shape, -1)
    pred = predict_proba_2d(model, X, transform).argmax(1)
    pred_test = None if X_test is None else predict_proba_2d(model, X_test, transform).argmax(1)
    fig = new_figure(figsize=(5.6, 5.4), layout="constrained")
    ax = fig.subplots()
    shade = _draw(ax, xx, yy, probs, X, y, X_test, y_test, pred, pred_test)
    if probs.shape[-1] == 2:
        fig.colorbar(shade, ax=ax, label="P(class 1)")
    acc = float((pred == y).mean()) if len(y) else float("nan")
    extra = "" if pred_test is None else f", test {float((pred_test == y_test).mean()):.3f}"
    ax.set_title(f"{title or 'Decision boundary'}\ntrain accuracy {acc:.3f}{extra}", fontsize=10)
    if path is not None:
        save_figure(fig, path)
    return fig, {"xx": xx, "yy": yy, "probs": probs, "pred": pred, "pred_test": pred_test,
                 "misclassified": np.flatnonzero(pred != y), "accuracy": acc}


class BoundaryRecorder(Callback):
    """Keep the model's class probabilities on a fixed grid after every ``every`` epochs (for a GIF).

    Args:
        X (array): the 2-D points whose range the grid covers.
        transform (callable, optional): applied to raw points before the model.
        resolution (int): grid points per axis. Default: 60.
        every (int): record every ``every`` epochs (the last epoch is always recorded). Default: 1.

    Attributes:
        xx, yy: the grid; frames: list of ``(epoch, probs)``.

    >>> rec = BoundaryRecorder(X)  # doctest: +SKIP
    >>> fit(model, loss_fn, opt, (X, y), epochs=20, callbacks=[rec])  # doctest: +SKIP
    >>> animate_boundary(rec, X, y, "b.gif")  # doctest: +SKIP
    """

    def __init__(self, X, transform=None, resolution: int = 60, every: int = 1):
        self.X = to_numpy(X).astype(np.float64)
        self.transform, self.every = transform, max(int(every), 1)
        self.xx, self.yy = boundary_grid(self.X, resolution)
        self.frames: list[tuple[int, np.ndarray]] = []

    def record(self, epoch: int) -> None:
        points = np.stack([self.xx.ravel(), self.yy.ravel()], 1)
        self.frames.append((epoch, predict_proba_2d(self.model, points, self.transform).reshape(*self.xx.shape, -1)))

    def on_train_begin(self, logs=None):
        if not self.frames:
            self.record(0)

    def on_epoch_end(self, epoch, logs=None):
        last = epoch + 1 >= self.params.get("epochs", 0)
        if (epoch + 1) % self.every == 0 or last:
            self.record(epoch + 1)


def animate_boundary(recorder, X, y, path, *, max_frames: int = 40, duration_ms: int = 150, dpi: int = 60):
    """Write the recorded boundaries as an animated GIF (needs Pillow: ``pip install chainrule[image]``).

    Args:
        recorder (BoundaryRecorder): holds the grid and the frames.
        X, y: the points to draw on every frame.
        path (str or Path): the GIF to write (atomically).
        max_frames (int): at most this many frames, evenly spaced (the last always kept). Default: 40.
        duration_ms (int): time per frame. Default: 150.
        dpi (int): resolution of a frame. Default: 60.

    Returns:
        list of int: the epochs of the frames written.
    """
    pillow_image("animate_boundary")

    frames = recorder.frames
    if not frames:
        raise ValueError("animate_boundary: the recorder holds no frames (was it passed to fit's callbacks?)")
    keep = sorted(set(np.linspace(0, len(frames) - 1, min(max_frames, len(frames))).round().astype(int).tolist()))
    X, y = to_numpy(X).astype(np.float64), to_numpy(y).astype(np.int64).reshape(-1)
    images = []
    # one figure with fixed margins, cleared per frame: a layout engine per frame would cost most of the time
    fig = new_figure(figsize=(4, 4), dpi=dpi)
    fig.subplots_adjust(left=0.14, right=0.97, bottom=0.12, top=0.92)
    ax = fig.subplots()
    for i in keep:
        epoch, probs = frames[i]
        ax.clear()
        _draw(ax, recorder.xx, recorder.yy, probs, X, y, legend=False, fast=True)
        ax.set_title(f"epoch {epoch}", fontsize=10)
        images.append(grab_frame(fig, colors=32))
    save_gif(path, images, duration_ms)
    return [frames[i][0] for i in keep]
