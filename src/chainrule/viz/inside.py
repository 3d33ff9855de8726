"""Inside the network: per-layer histograms of activations, weights and gradients, and two diagnoses.

* **Dead ReLUs**: the fraction of a ReLU layer's units that output 0 for every sample of a batch. Such a
  unit passes no gradient back and stops learning.
* **Vanishing / exploding gradients**: the ratio of the gradient norm of the first layer's weight to
  the last layer's. Far below 1 (< 0.01) the first layers barely learn; far above (> 100) they take
  huge steps.

``inspect_batch`` measures one batch (forward hooks on the activation layers, one backward);
``plot_inside`` draws the histograms of several such snapshots (one per epoch, as TensorBoard's
histograms); ``chainrule.train.callbacks.InsideRecorder`` takes a snapshot per epoch during ``fit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chainrule.viz import new_figure, save_figure, to_numpy

VANISHING, EXPLODING = 1e-2, 1e2
SAMPLE = 20_000  # values a snapshot keeps of a larger array: plenty for a 40-bin histogram


@dataclass
class Snapshot:
    """One batch seen from inside: per-layer arrays and the two diagnoses.

    Attributes:
        activations (dict name -> array): outputs of the activation layers (ReLU, Tanh, ...).
        weights, grads (dict name -> array): each weight matrix and its gradient (biases left out).
        dead (dict name -> float): for ReLU layers, the fraction of units never active on the batch.
        grad_ratio (float): ``|grad W_first| / |grad W_last|`` (NaN with fewer than two weight matrices).

    An array of more than ``SAMPLE`` values is kept as a fixed random sample of ``SAMPLE`` of them
    (flattened; ``dead`` and ``grad_ratio`` are computed on the whole arrays first): a CNN's first
    activations on 256 images are 26 MB, and a snapshot every epoch made a 20-epoch run hold 1 GB.
    """

    activations: dict = field(default_factory=dict)
    weights: dict = field(default_factory=dict)
    grads: dict = field(default_factory=dict)
    dead: dict = field(default_factory=dict)
    grad_ratio: float = float("nan")
    epoch: int | None = None

    def diagnosis(self) -> str:
        """One line in words: dead ReLUs and the gradient-flow verdict."""
        parts = []
        worst = max(self.dead.items(), key=lambda kv: kv[1], default=None)
        if worst is not None:
            parts.append(f"dead ReLUs: {100 * worst[1]:.0f}% of {worst[0]}'s units never fire on this batch"
                         + (" (many: lower the lr or use LeakyReLU)" if worst[1] > 0.5 else ""))
        r = self.grad_ratio
        if np.isfinite(r):
            verdict = ("vanishing gradients: the first layer learns far slower than the last" if r < VANISHING else
                       "exploding gradients: the first layer's gradient dwarfs the last's" if r > EXPLODING else
                       "gradient flow healthy")
            parts.append(f"gradient norm first/last layer = {r:.3g} ({verdict})")
        return "; ".join(parts) or "nothing to diagnose (no ReLU layers, fewer than two weight matrices)"


def dead_fraction(activation) -> float:
    """Fraction of units (all axes but the batch axis) that are 0 for every sample of the batch."""
    a = to_numpy(activation)
    if a.size == 0:
        return float("nan")
    return float((a.reshape(len(a), -1) <= 0).all(axis=0).mean())


def grad_norm_ratio(grads) -> float:
    """``|g_first| / |g_last|`` of a list (or ordered dict) of weight gradients, first layer first."""
    gs = list(grads.values()) if isinstance(grads, dict) else list(grads)
    if len(gs) < 2:
        return float("nan")
    last = float(np.linalg.norm(to_numpy(gs[-1])))
    first = float(np.linalg.norm(to_numpy(gs[0])))
    return first / last if last > 0 else float("inf") if first > 0 else float("nan")


def inspect_batch(model, loss_fn, x, y, epoch=None) -> Snapshot:
    """Run one forward/backward on ``(x, y)`` and collect activations, weights, gradients and diagnoses.

    The parameters' ``.grad`` are put back as they were; the model's mode is left as it is.

    >>> snap = inspect_batch(model, nn.CrossEntropyLoss(), X[:256], y[:256])  # doctest: +SKIP
    >>> print(snap.diagnosis())  # doctest: +SKIP
    """
    import chainrule as cr
    from chainrule import nn

    kinds = (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh)
    snap = Snapshot(epoch=epoch)
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, kinds):
            def hook(mod, inputs, output, name=name):
                key, a = f"{type(mod).__name__} {name}", to_numpy(output)
                if key.startswith("ReLU"):
                    snap.dead[key] = dead_fraction(a)
                snap.activations[key] = _sample(a)
            handles.append(module.register_forward_hook(hook))
    params = [(n, p) for n, p in model.named_parameters() if p.ndim >= 2]
    saved = [p.grad for _, p in model.named_parameters()]
    try:
        for _, p in model.named_parameters():
            p.grad = None
        x = x if isinstance(x, cr.Tensor) else cr.tensor(np.asarray(x))
        y = y if isinstance(y, cr.Tensor) else cr.tensor(np.asarray(y))
        loss_fn(model(x), y).backward()
        grads = {n: np.zeros_like(p._data) if p.grad is None else p.grad._data for n, p in params}
        snap.grad_ratio = grad_norm_ratio(grads)
        for n, p in params:
            snap.weights[n] = _sample(p._data)
            snap.grads[n] = _sample(grads[n])
    finally:
        for h in handles:
            h.remove()
        for (_, p), g in zip(model.named_parameters(), saved):
            p.grad = g
    return snap


def _sample(a) -> np.ndarray:
    """A copy of ``a``, or of a fixed random sample of ``SAMPLE`` of its values (flattened) when larger."""
    if a.size <= SAMPLE:
        return np.array(a, copy=True)
    # a generator of its own: the training's random stream (chainrule's) stays untouched
    picks = np.sort(np.random.default_rng(0).integers(0, a.size, SAMPLE))
    return a.reshape(-1)[picks]


def plot_inside(snapshots, path=None, title=None, bins: int = 40):
    """Histograms per layer (columns) of activations, weights and gradients (rows), one curve per snapshot.

    Later snapshots are drawn in brighter viridis colours; the diagnosis of the last one is the subtitle,
    and each ReLU panel states its dead fraction.

    Args:
        snapshots (Snapshot or list of Snapshot): e.g. ``InsideRecorder.snapshots``.
        path (str or Path, optional): write the figure there as a PNG.
        bins (int): histogram bins. Default: 40.

    Returns:
        (Figure, dict): the figure and ``{"rows": {row: {layer: [(edges, counts), ...]}}, "dead", "grad_ratio"}``.
    """
    snaps = [snapshots] if isinstance(snapshots, Snapshot) else list(snapshots)
    if not snaps:
        raise ValueError("plot_inside: expected at least one Snapshot, got none")
    rows = {"activations": snaps[-1].activations, "weights": snaps[-1].weights, "gradients": snaps[-1].grads}
    rows = {k: list(v) for k, v in rows.items() if v}
    ncols = max(len(v) for v in rows.values())
    fig = new_figure(figsize=(3.2 * ncols, 2.5 * len(rows) + 0.8), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(rows), ncols, squeeze=False))
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    drawn = {}
    for r, (row, names) in enumerate(rows.items()):
        drawn[row] = {}
        for c in range(ncols):
            ax = axes[r, c]
            if c >= len(names):
                ax.axis("off")
                continue
            name = names[c]
            values = [getattr(s, {"gradients": "grads"}.get(row, row)).get(name) for s in snaps]
            finite = np.concatenate([v.ravel() for v in values if v is not None])
            finite = finite[np.isfinite(finite)]
            lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
            edges = np.linspace(lo, hi if hi > lo else lo + 1e-12, bins + 1)
            drawn[row][name] = []
            for i, v in enumerate(values):
                if v is None:
                    continue
                counts, _ = np.histogram(v.ravel(), bins=edges)
                drawn[row][name].append((edges, counts))
                color = cmap(i / max(len(values) - 1, 1))
                ax.stairs(counts, edges, color=color, lw=1.2, label=f"epoch {snaps[i].epoch}"
                          if snaps[i].epoch is not None else None)
            label = f"{name}"
            if row == "activations" and name in snaps[-1].dead:
                label += f"\n{100 * snaps[-1].dead[name]:.0f}% units dead"
            ax.set_title(label, fontsize=8)
            ax.set_xlabel({"activations": "activation value", "weights": "weight value",
                           "gradients": "gradient value"}[row], fontsize=8)
            ax.tick_params(labelsize=7)
            ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 3))
            if c == 0:
                ax.set_ylabel(f"{row}\ncount", fontsize=9)
    if len(snaps) > 1:
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize

        epochs = [s.epoch if s.epoch is not None else i for i, s in enumerate(snaps)]
        sm = ScalarMappable(norm=Normalize(min(epochs), max(epochs)), cmap=cmap)
        fig.colorbar(sm, ax=axes, label="epoch", shrink=0.6)
    fig.suptitle(f"{title or 'Inside the network'}\n{snaps[-1].diagnosis()}", fontsize=9)
    if path is not None:
        save_figure(fig, path)
    return fig, {"rows": drawn, "dead": snaps[-1].dead, "grad_ratio": snaps[-1].grad_ratio}
