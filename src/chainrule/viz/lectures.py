"""The lectures' own figures, each made by real training or real computation with chainrule.

* ``plot_curve_zoo``: "which training curve is happiest?" (seed 000): healthy, diverging (lr too
  high), too slow (lr too low) and overfitting (too little regularisation), with ``diagnose``'s verdict.
* ``plot_mae_vs_mse``: the lines that MAE and MSE fit to data with an outlier (seeds 000, 004).
* ``plot_loss_vs_weight``: the loss as a function of one weight with the others fixed (seed 002).
* ``plot_softmax``: logits to probabilities at several temperatures, and sigmoid as softmax of [s, 0] (seed 001).
"""

from __future__ import annotations

import textwrap

import numpy as np

from chainrule.viz import new_figure, save_figure

_C = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7")


def curve_zoo_runs(epochs: int = 30, seed: int = 0) -> dict:
    """Four real runs on the moons data, one per shape of training curve; returns name -> (history, cause)."""
    import chainrule as cr
    from chainrule import nn, optim
    from chainrule.data.datasets.toy import moons
    from chainrule.models import mlp
    from chainrule.train import fit

    X, y = moons(300, noise=0.2, seed=seed)
    Xs, ys = moons(40, noise=0.35, seed=seed + 1)
    setups = {
        "healthy": ("Adam, lr 0.003", X, y, (16, 16), "relu", lambda p: optim.Adam(p, lr=0.003), 32),
        "diverging": ("lr too high: SGD lr 2, momentum 0.9", X, y, (16, 16), "tanh",
                      lambda p: optim.SGD(p, lr=2.0, momentum=0.9), 32),
        "too slow": ("lr too low: SGD, lr 1e-4", X, y, (16, 16), "relu", lambda p: optim.SGD(p, lr=1e-4), 32),
        "overfitting": ("too little regularisation: 40 noisy samples, 2x256 units, no dropout", Xs, ys, (256, 256),
                        "relu", lambda p: optim.Adam(p, lr=0.01), 8),
    }
    runs = {}
    for name, (cause, Xd, yd, hidden, activation, make_opt, bs) in setups.items():
        cr.manual_seed(seed)
        model = mlp(2, hidden, 2, activation)
        history = fit(model, nn.CrossEntropyLoss(), make_opt(model.parameters()), (Xd, yd), epochs=epochs,
                      val_split=0.5 if name == "overfitting" else 0.2, batch_size=bs, seed=seed, verbose=0,
                      check_finite=False, metrics=())
        runs[name] = (history.history, cause)
    return runs


def plot_curve_zoo(runs=None, path=None, epochs: int = 30, seed: int = 0):
    """Seed 000's "which of these training curves is happiest?", from four real runs, each with its diagnosis.

    Returns:
        (Figure, dict): the figure and name -> ``{"history", "cause", "diagnosis"}``.

    >>> fig, data = plot_curve_zoo(path="curves_zoo.png")  # doctest: +SKIP
    """
    from chainrule.train.diagnose import diagnose

    runs = runs if runs is not None else curve_zoo_runs(epochs, seed)
    fig = new_figure(figsize=(10, 8.4), layout="constrained")
    axes = fig.subplots(2, (len(runs) + 1) // 2).ravel()
    data = {}
    for ax, (name, (history, cause)) in zip(np.atleast_1d(axes), runs.items()):
        d = diagnose(history)
        data[name] = {"history": history, "cause": cause, "diagnosis": d}
        for key, color, label in (("loss", _C[0], "train"), ("val_loss", _C[1], "validation")):
            values = np.array(history.get(key) or [], dtype=np.float64)
            if len(values):
                ax.plot(np.arange(1, len(values) + 1), np.where(np.isfinite(values), values, np.nan), "o-", ms=2.5,
                        color=color, label=label)
        finite = np.array([v for v in history["loss"] + history.get("val_loss", []) if np.isfinite(v)])
        if len(finite) and finite.max() > 20 * max(np.median(finite), 1e-9):
            ax.set_yscale("log")
        ax.set_title(f"{name}\n" + "\n".join(textwrap.wrap(f"({cause})", 60)), fontsize=9)
        ax.set_xlabel("epoch\n\n" + "\n".join(textwrap.wrap("chainrule: " + d.message, 75)), fontsize=8)
        ax.set_ylabel("cross-entropy loss")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Which training curve is happiest? Four real runs on the moons data", fontsize=11)
    if path is not None:
        save_figure(fig, path)
    return fig, data


def fit_line(X, y, loss: str = "mse", steps: int = 1500, lr: float = 0.05) -> tuple[float, float]:
    """Fit ``y = w x + b`` by gradient descent (Adam) on the MSE or MAE loss; returns ``(w, b)``."""
    import chainrule as cr
    from chainrule import nn, optim

    loss_fn = {"mse": nn.MSELoss(), "mae": nn.L1Loss()}[loss]
    w = cr.zeros(1, dtype=cr.float64, requires_grad=True)
    b = cr.zeros(1, dtype=cr.float64, requires_grad=True)
    x, t = cr.tensor(np.asarray(X, np.float64).ravel()), cr.tensor(np.asarray(y, np.float64).ravel())
    opt = optim.Adam([w, b], lr=lr)
    for _ in range(steps):
        out = loss_fn(w * x + b, t)
        opt.zero_grad()
        out.backward()
        opt.step()
    return float(w.item()), float(b.item())


def plot_mae_vs_mse(X=None, y=None, path=None):
    """The lines fitted by MSE and by MAE to points with one outlier: MSE is pulled toward it, MAE is not.

    Returns:
        (Figure, dict): ``X``, ``y``, ``mse`` and ``mae`` (each ``(w, b)``).
    """
    if X is None:
        rng = np.random.default_rng(4)
        X = np.linspace(0, 10, 12)
        y = 2.0 * X + 1.0 + rng.normal(0, 0.8, len(X))
        y[-2] += 25.0  # the outlier
    X, y = np.asarray(X, np.float64), np.asarray(y, np.float64)
    fits = {"mse": fit_line(X, y, "mse"), "mae": fit_line(X, y, "mae", steps=3000)}
    fig = new_figure(figsize=(6, 4.4), layout="constrained")
    ax = fig.subplots()
    ax.scatter(X, y, color="black", s=20, zorder=3, label="data")
    grid = np.linspace(X.min(), X.max(), 50)
    for (name, (w, b)), color, style in zip(fits.items(), (_C[3], _C[0]), ("-", "--")):
        sign = "-" if b < 0 else "+"
        label = f"{name.upper()} fit: y = {w:.2f} x {sign} {abs(b):.2f}"
        ax.plot(grid, w * grid + b, style, color=color, lw=2, label=label)
    i = int(np.argmax(np.abs(y - (fits["mae"][0] * X + fits["mae"][1]))))
    ax.annotate("outlier", (X[i], y[i]), xytext=(-60, -5), textcoords="offset points", fontsize=9,
                arrowprops=dict(arrowstyle="->", color="gray"))
    ax.set_xlabel("input x")
    ax.set_ylabel("target y")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    ax.set_title("MSE squares the outlier's error and bends toward it; MAE does not", fontsize=10)
    if path is not None:
        save_figure(fig, path)
    return fig, {"X": X, "y": y, **fits}


def loss_vs_weight(model, loss_fn, X, y, param, index, values) -> np.ndarray:
    """The loss as ``param[index]`` takes each of ``values`` with every other weight fixed (restored after)."""
    from chainrule.viz.landscape import dataset_loss

    old = param._data[index].copy()
    out = []
    try:
        for v in values:
            param._data[index] = v
            out.append(dataset_loss(model, loss_fn, X, y))
    finally:
        param._data[index] = old
    return np.array(out)


def plot_loss_vs_weight(model=None, loss_fn=None, X=None, y=None, param_name=None, index=(0, 0), span: float = 3.0,
                        path=None):
    """Seed 002's picture: the loss as a function of one weight w1, all other weights fixed.

    Without arguments a small MLP is trained on the moons data and its first weight is swept.

    Returns:
        (Figure, dict): ``values`` (of the weight), ``losses``, ``current`` (the trained value), ``loss``.
    """
    import chainrule as cr
    from chainrule import nn, optim
    from chainrule.train import fit

    if model is None:
        from chainrule.data.datasets.toy import moons
        from chainrule.models import mlp

        X, y = moons(200, noise=0.2, seed=2)
        cr.manual_seed(2)
        model = mlp(2, (8,), 2, "tanh")
        loss_fn = nn.CrossEntropyLoss()
        fit(model, loss_fn, optim.Adam(model.parameters(), lr=0.03), (X, y), epochs=30, verbose=0, seed=2)
    named = dict(model.named_parameters())
    param_name = param_name or next(iter(named))
    param = named[param_name]
    current = float(param._data[index])
    values = np.linspace(current - span, current + span, 121)
    losses = loss_vs_weight(model, loss_fn, X, y, param, index, values)
    fig = new_figure(figsize=(6, 4.2), layout="constrained")
    ax = fig.subplots()
    ax.plot(values, losses, color=_C[0], lw=2)
    from chainrule.viz.landscape import dataset_loss

    here = dataset_loss(model, loss_fn, X, y)
    ax.plot(current, here, "o", color=_C[3], ms=8, label=f"trained value w1 = {current:.3f}")
    ax.set_xlabel(f"w1 = {param_name}{list(index)}")
    ax.set_ylabel("loss (all other weights fixed)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title("The loss as a function of one weight", fontsize=10)
    if path is not None:
        save_figure(fig, path)
    return fig, {"values": values, "losses": losses, "current": current, "loss": here}


def plot_softmax(logits=(2.0, 1.0, 0.1), temperatures=(0.5, 1.0, 2.0), path=None):
    """Logits to probabilities (softmax at several temperatures) and sigmoid(s) = softmax([s, 0])[0].

    Returns:
        (Figure, dict): ``probs`` (temperature -> probabilities), ``s``, ``sigmoid``, ``softmax0``.
    """
    import chainrule as cr

    z = cr.tensor(np.asarray(logits, np.float64))
    probs = {T: cr.softmax(z / T, dim=0).numpy() for T in temperatures}
    s = np.linspace(-6, 6, 121)
    sig = cr.sigmoid(cr.tensor(s)).numpy()
    pair = cr.softmax(cr.tensor(np.stack([s, np.zeros_like(s)], axis=1)), dim=1).numpy()[:, 0]
    fig = new_figure(figsize=(11, 4), layout="constrained")
    ax_l, ax_p, ax_s = fig.subplots(1, 3, width_ratios=[0.8, 1.4, 1.2])
    k = np.arange(len(logits))
    ax_l.bar(k, logits, color="#999999")
    ax_l.set_title("logits (scores)", fontsize=10)
    ax_l.set_xticks(k, [f"class {i}" for i in k])
    ax_l.axhline(0, color="black", lw=0.6)
    width = 0.8 / len(temperatures)
    for j, (T, p) in enumerate(probs.items()):
        ax_p.bar(k + (j - (len(temperatures) - 1) / 2) * width, p, width, color=_C[j % len(_C)],
                 label=f"T = {T:g}")
    ax_p.set_xticks(k, [f"class {i}" for i in k])
    ax_p.set_ylabel("probability")
    ax_p.set_ylim(0, 1)
    ax_p.legend(fontsize=8)
    ax_p.set_title("softmax(logits / T): low T sharpens, high T flattens", fontsize=10)
    ax_s.plot(s, sig, color=_C[0], lw=3, label="sigmoid(s)")
    ax_s.plot(s, pair, "--", color=_C[1], lw=2, label="softmax([s, 0])[0]")
    ax_s.set_xlabel("score s")
    ax_s.set_ylabel("probability")
    ax_s.legend(fontsize=8)
    ax_s.grid(alpha=0.3)
    ax_s.set_title("sigmoid is a two-class softmax", fontsize=10)
    if path is not None:
        save_figure(fig, path)
    return fig, {"probs": probs, "s": s, "sigmoid": sig, "softmax0": pair}
