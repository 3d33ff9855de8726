"""The lectures' figures: the numbers behind them."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import chainrule as cr  # noqa: E402
from chainrule import nn  # noqa: E402
from chainrule.viz.lectures import fit_line, plot_curve_zoo, plot_loss_vs_weight, plot_mae_vs_mse, plot_softmax  # noqa: E402


def test_softmax_temperatures_and_sigmoid_as_two_class_softmax():
    fig, data = plot_softmax(logits=(2.0, 1.0, 0.1), temperatures=(0.5, 2.0))
    z = np.array([2.0, 1.0, 0.1])
    for T, p in data["probs"].items():
        e = np.exp(z / T)
        assert np.allclose(p, e / e.sum())
    assert data["probs"][0.5][0] > data["probs"][2.0][0]  # low temperature sharpens
    assert np.allclose(data["sigmoid"], 1 / (1 + np.exp(-data["s"])))
    assert np.allclose(data["sigmoid"], data["softmax0"])


def test_mse_line_is_least_squares_and_mae_ignores_the_outlier():
    X = np.linspace(0, 10, 12)
    y = 2 * X + 1
    y[-2] += 25
    w, b = fit_line(X, y, "mse", steps=3000, lr=0.1)
    assert np.allclose((w, b), np.polyfit(X, y, 1), atol=2e-2)
    fig, data = plot_mae_vs_mse(X, y)
    assert data["mae"][0] == pytest.approx(2.0, abs=0.1) and data["mae"][1] == pytest.approx(1.0, abs=0.4)
    assert abs(data["mse"][0] - 2) > abs(data["mae"][0] - 2)


def test_loss_vs_weight_passes_through_the_models_loss_and_restores_it():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2))
    before = model[0].weight.detach().numpy().copy()
    fig, data = plot_loss_vs_weight(model, nn.CrossEntropyLoss(), X, y, "0.weight", (1, 0), span=1.0)
    assert np.array_equal(before, model[0].weight.detach().numpy())
    i = np.argmin(np.abs(data["values"] - data["current"]))
    assert data["values"][i] == pytest.approx(data["current"]) and data["losses"][i] == pytest.approx(data["loss"])
    # the sweep moves only that weight: compare one point with a hand-edited copy
    with cr.no_grad():
        model[0].weight[1, 0] = float(data["values"][0])
        expected = nn.CrossEntropyLoss()(model(cr.tensor(X)), cr.tensor(y)).item()
    assert data["losses"][0] == pytest.approx(expected, rel=1e-6)


def test_curve_zoo_prints_each_runs_diagnosis():
    up = [1.0, 1.5, 2.5, 4.0, 7.0]
    runs = {"healthy": ({"loss": [1.0, 0.5, 0.3, 0.25, 0.24, 0.24]}, "fine"),
            "diverging": ({"loss": up}, "lr too high")}
    fig, data = plot_curve_zoo(runs)
    assert data["diverging"]["diagnosis"].kind == "diverged"
    assert data["healthy"]["diagnosis"].kind == "converged"
    assert "chainrule: diverged" in fig.axes[1].get_xlabel()
