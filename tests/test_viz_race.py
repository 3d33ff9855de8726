"""The optimizer race: paths start at the given point and every step is the optimizer's own."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.viz.race import FUNCTIONS, OPTIMIZERS, race


@pytest.mark.parametrize("name", ["nesterov", "adam", "adadelta"])
def test_race_paths_are_the_optimizers_own_steps(name):
    start = (-1.2, 1.7)
    out = race("rosenbrock", [name], steps=25, start=start)
    path = out["paths"][name]
    assert path.shape == (26, 2) and np.array_equal(path[0], start)
    # the same optimizer, driven by hand
    lr = FUNCTIONS["rosenbrock"].lrs[name]
    p = cr.tensor(start, dtype=cr.float64, requires_grad=True)
    opt = {"nesterov": lambda: optim.SGD([p], lr=lr, momentum=0.9, nesterov=True),
           "adam": lambda: optim.Adam([p], lr=lr), "adadelta": lambda: optim.Adadelta([p], lr=lr)}[name]()
    for k in range(25):
        x, y = p[0], p[1]
        loss = (1 - x) ** 2 + 100 * (y - x * x) ** 2
        assert out["values"][name][k] == pytest.approx(loss.item(), rel=1e-12)
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert np.array_equal(path[k + 1], p.detach().numpy())
    assert out["distance"][name] == pytest.approx(np.hypot(*(path[-1] - (1.0, 1.0))))


def test_race_reaches_the_quadratics_minimum_and_stops_down_a_saddle():
    out = race("quadratic", OPTIMIZERS, steps=200)
    assert set(out["paths"]) == set(OPTIMIZERS)
    assert out["distance"]["adam"] < 0.05 and out["distance"]["momentum"] < 0.05
    saddle = race("saddle", ["sgd"], steps=400)
    assert len(saddle["paths"]["sgd"]) < 401 and abs(saddle["paths"]["sgd"][-1, 1]) > 1e3
    assert np.isnan(saddle["distance"]["sgd"])


def test_race_plot_and_gif(tmp_path):
    pytest.importorskip("matplotlib")
    from chainrule.viz.race import animate_race, plot_race

    out = race("beale", ["sgd", "adam"], steps=10)
    fig, data = plot_race(out, tmp_path / "r.png")
    assert data is out and (tmp_path / "r.png").stat().st_size > 1000
    pytest.importorskip("PIL")
    assert animate_race(out, tmp_path / "r.gif", frames=3, dpi=30) == 3


def test_race_unknown_optimizer():
    with pytest.raises(ValueError, match="race: unknown optimizer 'lion'"):
        race("beale", ["lion"], steps=1)


def test_missing_pillow_and_matplotlib_name_the_extra(monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    import sys

    from chainrule.viz.race import animate_race

    out = race("quadratic", ["sgd"], steps=2)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"pip install chainrule\[image\]"):
        animate_race(out, tmp_path / "r.gif")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    from chainrule.viz.race import plot_race

    with pytest.raises(ImportError, match=r"pip install chainrule\[plot\]"):
        plot_race(out)
