"""The optimizer race: chainrule's optimizers on classic 2-D test functions, as paths on a contour plot.

Each optimizer moves one 2-parameter tensor (float64) with its own ``step()``; the path is the tensor
after every step. ``race`` runs them, ``plot_race`` draws the contour, the paths and a table of each
optimizer's final distance to the minimum, and ``animate_race`` writes the same as a GIF.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainrule.viz import new_figure, save_figure
from chainrule.viz._gif import grab_frame, pillow_image, save_gif

# Okabe-Ito colours (colour-blind safe) and line styles, so that eight paths stay apart in grey too
_COLORS = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#999999", "#0072B2", "#D55E00", "#CC79A7")
_STYLES = ("-", "--", "-.", ":", "-", "--", "-.", ":")


@dataclass(frozen=True)
class TestFunction:
    """A 2-D function for the race: ``f(x, y)`` on Tensors or arrays, its minimum, a start and a view box."""

    name: str
    f: object
    minimum: tuple | None
    start: tuple
    box: tuple  # (xmin, xmax, ymin, ymax)
    lrs: dict  # a learning rate per optimizer that shows it at its best on this function
    log_levels: bool = True


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y * y * y) ** 2


def _quadratic(x, y):  # condition number 50
    return 0.5 * (x * x + 50 * y * y)


def _saddle(x, y):
    return x * x - y * y


def _plateau(x, y):  # flat far from the well: gradients vanish, adaptive steps help
    r2 = x * x + y * y
    return 1 - (-r2 / 2).exp() if hasattr(r2, "exp") else 1 - np.exp(-r2 / 2)


_ALL = {"sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "nadam"}


def _lrs(**kw):
    return {k: kw.get(k) for k in _ALL}


FUNCTIONS = {
    "rosenbrock": TestFunction("Rosenbrock", _rosenbrock, (1.0, 1.0), (-1.5, 2.0), (-2, 2, -1, 3),
                               _lrs(sgd=1e-3, momentum=1e-3, nesterov=1e-3, adagrad=0.7, adadelta=5.0, rmsprop=0.01,
                                    adam=0.2, nadam=0.1)),
    "beale": TestFunction("Beale", _beale, (3.0, 0.5), (1.0, 1.5), (-0.5, 4, -1.5, 2),
                          _lrs(sgd=1e-3, momentum=2e-4, nesterov=2e-4, adagrad=0.5, adadelta=10.0, rmsprop=0.01,
                               adam=0.05, nadam=0.05)),
    "quadratic": TestFunction("ill-conditioned quadratic", _quadratic, (0.0, 0.0), (-4.0, 1.5), (-5, 5, -2, 2),
                              _lrs(sgd=0.035, momentum=0.01, nesterov=0.01, adagrad=1.0, adadelta=10.0, rmsprop=0.05,
                                   adam=0.2, nadam=0.2), log_levels=False),
    "saddle": TestFunction("saddle x^2 - y^2", _saddle, None, (-2.0, 1e-3), (-2.5, 2.5, -2.5, 2.5),
                           _lrs(sgd=0.05, momentum=0.01, nesterov=0.01, adagrad=0.3, adadelta=10.0, rmsprop=0.01,
                                adam=0.05, nadam=0.05), log_levels=False),
    "plateau": TestFunction("plateau 1 - exp(-r^2 / 2)", _plateau, (0.0, 0.0), (3.2, 2.4), (-4, 4, -3, 3),
                            _lrs(sgd=1.0, momentum=0.3, nesterov=0.3, adagrad=0.5, adadelta=10.0, rmsprop=0.05,
                                 adam=0.1, nadam=0.1), log_levels=False),
}


def make_optimizer(name: str, params, lr: float):
    """One of the race's optimizers by name (momentum/nesterov: SGD with momentum 0.9)."""
    from chainrule import optim

    if name in ("sgd", "momentum", "nesterov"):
        return optim.SGD(params, lr=lr, momentum=0.0 if name == "sgd" else 0.9, nesterov=name == "nesterov")
    cls = {"adagrad": optim.Adagrad, "adadelta": optim.Adadelta, "rmsprop": optim.RMSprop, "adam": optim.Adam,
           "nadam": optim.NAdam}.get(name)
    if cls is None:
        raise ValueError(f"race: unknown optimizer {name!r}; choose from {', '.join(sorted(_ALL))}")
    return cls(params, lr=lr)


OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "nadam")


def race(function="rosenbrock", optimizers=OPTIMIZERS, steps: int = 200, start=None, lrs=None) -> dict:
    """Run each optimizer from ``start`` for ``steps`` steps on a test function; return the paths.

    Args:
        function (str or TestFunction): ``rosenbrock``, ``beale``, ``quadratic``, ``saddle``, ``plateau``.
        optimizers (sequence of str): names from ``OPTIMIZERS``. Default: all eight.
        steps (int): steps per optimizer. Default: 200.
        start ((float, float), optional): the starting point. Default: the function's.
        lrs (dict, optional): learning rates overriding the function's per-optimizer defaults.

    Returns:
        dict: ``function`` (TestFunction), ``paths`` (name -> ``(steps + 1, 2)`` array, row 0 = start;
        shorter when the point ran off far beyond the view, e.g. down a saddle),
        ``values`` (name -> f along the path), ``steps``, ``distance`` (name -> final distance to the minimum, NaN
        without one), ``lrs`` (the rates used).

    >>> out = race("quadratic", ["sgd", "adam"], steps=50)
    >>> out["paths"]["adam"].shape
    (51, 2)
    """
    import chainrule as cr

    fn = FUNCTIONS[function] if isinstance(function, str) else function
    start = tuple(float(v) for v in (start if start is not None else fn.start))
    rates = {**fn.lrs, **(lrs or {})}
    out = {"function": fn, "steps": steps, "paths": {}, "values": {}, "distance": {}, "lrs": {}}
    for name in optimizers:
        p = cr.tensor(start, dtype=cr.float64, requires_grad=True)
        opt = make_optimizer(name, [p], rates.get(name) or 0.01)
        path, values = [p.detach().numpy().copy()], []
        for _ in range(steps):
            loss = fn.f(p[0], p[1])
            values.append(float(loss.item()))
            opt.zero_grad()
            loss.backward()
            opt.step()
            path.append(p.detach().numpy().copy())
            if not np.all(np.abs(path[-1]) < 1e3 * (1 + np.abs(fn.box).max())):
                break  # left far behind the view (a saddle, a divergence): the path ends here
        path = np.array(path)
        values.append(float(fn.f(*path[-1])))
        out["paths"][name], out["values"][name], out["lrs"][name] = path, np.array(values), opt.param_groups[0]["lr"]
        out["distance"][name] = float(np.hypot(*(path[-1] - fn.minimum))) if fn.minimum else float("nan")
    return out


def _contour(ax, fn, resolution=200):
    x0, x1, y0, y1 = fn.box
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    zz = fn.f(xx, yy)
    if fn.log_levels:
        levels = np.logspace(np.log10(max(zz.min(), 1e-3)), np.log10(zz.max()), 20)
        ax.contour(xx, yy, zz, levels=levels, cmap="viridis", linewidths=0.7, alpha=0.8)
    else:
        ax.contour(xx, yy, zz, levels=20, cmap="viridis", linewidths=0.7, alpha=0.8)
    if fn.minimum:
        ax.plot(*fn.minimum, marker="*", ms=14, color="#D55E00", mec="black", ls="none", label="minimum", zorder=5)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")


def _draw_paths(ax, result, upto=None):
    ax.autoscale(False)  # paths that leave the view (a saddle) must not zoom it out
    for i, (name, path) in enumerate(result["paths"].items()):
        shown = path if upto is None else path[:upto + 1]
        ax.plot(*shown.T, color=_COLORS[i % 8], ls=_STYLES[i % 8], lw=1.6, label=name)
        ax.plot(*shown[-1], marker="o", ms=4, color=_COLORS[i % 8])


def plot_race(result, path=None, title=None):
    """Draw a ``race`` result: contour, one path per optimizer, and a table of final distances.

    Returns:
        (Figure, dict): the figure and the ``race`` result it drew.

    >>> fig, data = plot_race(race("beale", steps=100), "race.png")  # doctest: +SKIP
    """
    fn = result["function"]
    fig = new_figure(figsize=(10, 5), layout="constrained")
    ax, tab = fig.subplots(1, 2, width_ratios=[2.0, 1])
    _contour(ax, fn)
    ax.plot(*next(iter(result["paths"].values()))[0], marker="s", ms=7, color="black", ls="none", label="start")
    _draw_paths(ax, result)
    handles, labels = ax.get_legend_handles_labels()
    steps = result["steps"]
    ax.set_title(title or f"{fn.name}: {steps} steps from {tuple(round(v, 3) for v in fn.start)}", fontsize=10)
    tab.axis("off")
    key = "distance" if fn.minimum else "values"
    rows = [[name, f"{result['lrs'][name]:g}", str(len(result["paths"][name]) - 1),
             f"{result['distance'][name]:.3g}" if fn.minimum else f"{result['values'][name][-1]:.3g}"]
            for name in result["paths"]]
    tab.legend(handles, labels, loc="upper center", ncol=2, fontsize=8, frameon=False)
    header = ["optimizer", "lr", "steps", "distance" if key == "distance" else "final f"]
    table = tab.table(cellText=rows, colLabels=header,
                      colWidths=[0.34, 0.2, 0.18, 0.28], loc="lower center", cellLoc="left")
    tab.set_title("at the end: distance to the minimum" if key == "distance" else "at the end: f(w)",
                  fontsize=9, y=0.0, pad=-14)
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1, 1.3)
    if path is not None:
        save_figure(fig, path)
    return fig, result


def animate_race(result, path, *, frames: int = 30, duration_ms: int = 120, dpi: int = 60) -> int:
    """Write the race as an animated GIF (Pillow, ``pip install chainrule[image]``); returns the frame count."""
    pillow_image("animate_race")

    steps = max(len(p) for p in result["paths"].values()) - 1
    images = []
    fig = new_figure(figsize=(5, 4), dpi=dpi)  # one figure, fixed margins, cleared per frame (no layout engine)
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.12, top=0.92)
    ax = fig.subplots()
    for upto in sorted(set(np.linspace(0, steps, frames).round().astype(int).tolist())):
        ax.clear()
        _contour(ax, result["function"], resolution=120)
        _draw_paths(ax, result, upto)
        ax.legend(fontsize=6, loc="best", ncol=2)
        ax.set_title(f"{result['function'].name}: step {upto}", fontsize=9)
        images.append(grab_frame(fig, colors=64))
    save_gif(path, images, duration_ms)
    return len(images)
