"""The loss landscape around a trained model.

* 1-D: the loss along the straight line from the initial to the final weights, ``(1 - a) w0 + a w1``
  (Goodfellow, Vinyals and Saxe, 2015, "Qualitatively characterizing neural network optimization problems").
* 2-D: the loss on the plane ``w + a d1 + b d2`` through the trained weights, with ``d1``, ``d2`` random
  directions normalised filter by filter: each row of each weight matrix (one unit's incoming weights)
  gets the norm of that row of the model, and biases are left out (Li, Xu, Taylor, Studer and Goldstein,
  2018, "Visualizing the Loss Landscape of Neural Nets"); or with the two PCA directions of the training
  trajectory, on which that trajectory is then drawn (their section 7).

Every loss is a full pass over the data in large batches, in eval mode, under ``no_grad``; the
parameters are written in place and put back exactly afterwards.
"""

from __future__ import annotations

import numpy as np

from chainrule.train.callbacks.base import Callback
from chainrule.viz import new_figure, save_figure, to_numpy


def _params(model):
    return list(model.parameters())


def flat_weights(model) -> np.ndarray:
    """All parameters of ``model`` in one float64 vector (in ``parameters()`` order)."""
    return np.concatenate([p._data.astype(np.float64).ravel() for p in _params(model)])


def _unflatten(model, vec):
    out, i = [], 0
    for p in _params(model):
        out.append(np.asarray(vec[i:i + p._data.size], dtype=np.float64).reshape(p._data.shape))
        i += p._data.size
    return out


def dataset_loss(model, loss_fn, X, y, batch_size: int = 4096) -> float:
    """The mean of ``loss_fn`` over ``(X, y)`` in batches, in eval mode, without gradients."""
    import chainrule as cr

    X, y = to_numpy(X), to_numpy(y)
    total = 0.0
    with cr.no_grad():
        for s in range(0, len(X), batch_size):
            xb, yb = X[s:s + batch_size], y[s:s + batch_size]
            total += float(loss_fn(model(cr.tensor(xb)), cr.tensor(yb)).item()) * len(xb)
    return total / len(X)


class _Weights:
    """Write ``base + a * d1 + b * d2`` into the parameters in place; restore them exactly on exit."""

    def __init__(self, model):
        self.model, self.params = model, _params(model)

    def __enter__(self):
        self.saved = [p._data.copy() for p in self.params]
        self.was_training = self.model.training
        self.model.eval()
        return self

    def set(self, base, dirs, coefs):
        for k, (p, b) in enumerate(zip(self.params, base)):
            value = b.astype(np.float64) + sum(c * d[k] for c, d in zip(coefs, dirs))
            np.copyto(p._data, value, casting="unsafe")

    def __exit__(self, *exc):
        for p, s in zip(self.params, self.saved):
            np.copyto(p._data, s)
        self.model.train(self.was_training)


def filter_normalized_direction(model, generator=None) -> list[np.ndarray]:
    """A random direction with each weight row scaled to the norm of the model's row; zero for biases.

    Args:
        model (Module): gives the shapes and the per-filter norms.
        generator (numpy.random.Generator, optional): source of the Gaussian draws. Default: seed 0.

    Returns:
        list of arrays, one per parameter (float64).
    """
    rng = generator if generator is not None else np.random.default_rng(0)
    out = []
    for p in _params(model):
        w = p._data.astype(np.float64)
        if w.ndim <= 1:  # biases and norm scales: left out, as in Li et al.
            out.append(np.zeros_like(w))
            continue
        d = rng.standard_normal(w.shape)
        rows_w = np.linalg.norm(w.reshape(len(w), -1), axis=1)
        rows_d = np.linalg.norm(d.reshape(len(d), -1), axis=1) + 1e-12
        out.append(d * (rows_w / rows_d).reshape(-1, *([1] * (w.ndim - 1))))
    return out


def interpolate_1d(model, loss_fn, X, y, init_weights, alphas=None) -> dict:
    """Loss along ``(1 - a) * init + a * final`` for ``a`` in ``alphas`` (final = the model's weights).

    Args:
        init_weights (list of arrays or flat vector): the initial weights (``flat_weights`` or a list).
        alphas (array, optional): default ``linspace(-0.5, 1.5, 41)``.

    Returns:
        dict: ``alphas`` and ``losses``.
    """
    alphas = np.linspace(-0.5, 1.5, 41) if alphas is None else np.asarray(alphas, dtype=np.float64)
    init = _unflatten(model, init_weights) if np.ndim(init_weights) == 1 and not isinstance(init_weights, list) \
        else [np.asarray(w, dtype=np.float64) for w in init_weights]
    final = [p._data.astype(np.float64) for p in _params(model)]
    delta = [f - i for f, i in zip(final, init)]
    losses = []
    with _Weights(model) as w:
        for a in alphas:
            w.set(init, [delta], [a])
            losses.append(dataset_loss(model, loss_fn, X, y))
    return {"alphas": alphas, "losses": np.array(losses)}


def pca_directions(model, trajectory):
    """The two principal directions of ``trajectory - final`` and the trajectory's coordinates on them.

    Returns:
        (d1, d2, coords, explained): directions as per-parameter lists, coords ``(T, 2)``, and the
        fraction of the trajectory's variance each direction explains.
    """
    T = np.asarray(trajectory, dtype=np.float64)
    M = T - flat_weights(model)
    _, s, vt = np.linalg.svd(M, full_matrices=False)
    v = vt[:2] if len(vt) >= 2 else np.vstack([vt, np.zeros_like(vt)])
    explained = (s[:2] ** 2 / max((s ** 2).sum(), 1e-300)) if len(s) else np.zeros(2)
    return _unflatten(model, v[0]), _unflatten(model, v[1]), M @ v.T, explained


def loss_surface(model, loss_fn, X, y, d1, d2, xs, ys) -> np.ndarray:
    """Losses ``(len(ys), len(xs))`` at ``w + a d1 + b d2`` for ``a`` in ``xs`` and ``b`` in ``ys``."""
    base = [p._data.astype(np.float64) for p in _params(model)]
    Z = np.empty((len(ys), len(xs)))
    with _Weights(model) as w:
        for i, b in enumerate(ys):
            for j, a in enumerate(xs):
                w.set(base, [d1, d2], [a, b])
                Z[i, j] = dataset_loss(model, loss_fn, X, y)
    return Z


class WeightTrajectory(Callback):
    """Record ``flat_weights(model)`` before training and after every ``every`` epochs (for ``plot_loss_landscape``)."""

    def __init__(self, every: int = 1):
        self.every, self.weights = max(int(every), 1), []

    def on_train_begin(self, logs=None):
        if not self.weights:
            self.weights.append(flat_weights(self.model))

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0:
            self.weights.append(flat_weights(self.model))


def plot_loss_landscape(model, loss_fn, X, y, *, trajectory=None, init_weights=None, resolution: int = 25,
                        span: float = 1.0, seed: int = 0, path=None, title=None):
    """Draw the loss landscape around ``model``: 1-D interpolation, random 2-D plane, PCA plane with the path.

    Args:
        model (Module), loss_fn (callable): the trained model and its loss.
        X, y: the data the loss is measured on.
        trajectory (list of flat weight vectors, optional): e.g. ``WeightTrajectory().weights``; gives the
            PCA panel (and ``init_weights`` = its first entry, for the 1-D panel).
        init_weights (flat vector, optional): the initial weights for the 1-D panel.
        resolution (int): grid points per axis of the 2-D panels. Default: 25.
        span (float): the random plane covers ``[-span, span]^2`` in units of the filter norms. Default: 1.
        seed (int): seed of the random directions. Default: 0.
        path (str or Path, optional): write the figure there as a PNG.

    Returns:
        (Figure, dict): ``loss`` (the model's loss: the centre of both planes), ``random``
        (``xs``, ``ys``, ``Z``), and when available ``line`` (``alphas``, ``losses``) and ``pca``
        (``xs``, ``ys``, ``Z``, ``coords``, ``explained``).

    >>> fig, data = plot_loss_landscape(model, nn.CrossEntropyLoss(), X, y, trajectory=rec.weights)  # doctest: +SKIP
    """
    X, y = to_numpy(X), to_numpy(y)
    data = {"loss": dataset_loss(model, loss_fn, X, y)}
    if init_weights is None and trajectory:
        init_weights = trajectory[0]
    if init_weights is not None:
        data["line"] = interpolate_1d(model, loss_fn, X, y, init_weights)
    rng = np.random.default_rng(seed)
    d1, d2 = filter_normalized_direction(model, rng), filter_normalized_direction(model, rng)
    grid = np.linspace(-span, span, resolution)
    data["random"] = {"xs": grid, "ys": grid, "Z": loss_surface(model, loss_fn, X, y, d1, d2, grid, grid)}
    if trajectory is not None and len(trajectory) >= 3:
        p1, p2, coords, explained = pca_directions(model, trajectory)
        lo, hi = coords.min(axis=0), coords.max(axis=0)
        pad = np.maximum((hi - lo) * 0.2, 1e-3)
        xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
        ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
        data["pca"] = {"xs": xs, "ys": ys, "Z": loss_surface(model, loss_fn, X, y, p1, p2, xs, ys),
                       "coords": coords, "explained": explained}
    panels = 1 + ("line" in data) + ("pca" in data)
    fig = new_figure(figsize=(4.6 * panels, 4.2), layout="constrained")
    axes = list(np.atleast_1d(fig.subplots(1, panels)))
    if "line" in data:
        ax = axes.pop(0)
        ax.plot(data["line"]["alphas"], data["line"]["losses"], color="#0072B2", lw=2)
        ax.axvline(0, color="gray", ls=":", lw=1)
        ax.axvline(1, color="gray", ls=":", lw=1)
        ax.set_xlabel("a  (0 = initial weights, 1 = trained weights)")
        ax.set_ylabel("loss")
        ax.set_title("1-D: (1 - a) w_init + a w_final", fontsize=10)
        ax.grid(alpha=0.3)
    for key, ax in zip(("random", "pca"), axes):
        part = data[key]
        Z = part["Z"]
        levels = np.quantile(Z, np.linspace(0, 1, 16)) if np.ptp(Z) > 0 else 10
        cs = ax.contourf(part["xs"], part["ys"], Z, levels=np.unique(levels) if np.ndim(levels) else levels,
                         cmap="viridis")
        ax.contour(part["xs"], part["ys"], Z, levels=cs.levels, colors="white", linewidths=0.3, alpha=0.5)
        fig.colorbar(cs, ax=ax, label="loss", format="%.3g")
        ax.plot(0, 0, marker="*", ms=13, color="#D55E00", mec="white", ls="none", label="trained model")
        if key == "pca":
            c = part["coords"]
            ax.plot(c[:, 0], c[:, 1], "o-", color="white", ms=3, lw=1.2, mec="black", mew=0.5, label="trajectory")
            ax.plot(*c[0], marker="s", ms=7, color="#E69F00", mec="black", ls="none", label="initial weights")
            e1, e2 = part["explained"]
            ax.set_xlabel(f"PCA direction 1 ({100 * e1:.0f}% of the path's variance)")
            ax.set_ylabel(f"PCA direction 2 ({100 * e2:.0f}%)")
            ax.set_title("2-D: the training path's PCA plane", fontsize=10)
        else:
            ax.set_xlabel("random direction 1 (filter-normalised)")
            ax.set_ylabel("random direction 2 (filter-normalised)")
            ax.set_title("2-D: random plane through the trained weights", fontsize=10)
        ax.legend(fontsize=7, loc="upper right")
    fig.suptitle(title or f"Loss landscape (loss at the trained weights: {data['loss']:.4g})", fontsize=11)
    if path is not None:
        save_figure(fig, path)
    return fig, data
