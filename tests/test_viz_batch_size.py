"""Batch size: the gradient-noise measurement and the three training runs."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.viz.batch_size import gradient_noise, train_with_batch_sizes


def _linear_case(n=12):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3)).astype(np.float32)
    y = rng.standard_normal((n, 1)).astype(np.float32)
    cr.manual_seed(0)
    return nn.Linear(3, 1), X, y


def test_gradient_noise_matches_per_sample_gradients():
    model, X, y = _linear_case()
    # per-sample gradients of MSE for a linear model, by hand
    W, b = (p.detach().numpy().astype(np.float64) for p in (model.weight, model.bias))
    r = X @ W.T + b - y  # (n, 1)
    per = np.concatenate([2 * r * X, 2 * r], axis=1)  # d/dW, d/db per sample
    full = per.mean(0)
    exact_b1 = np.mean(np.sum((per - full) ** 2, axis=1))
    noise = gradient_noise(model, nn.MSELoss(), X, y, [1, len(X)], n_batches=600, seed=1)
    assert noise[len(X)] == pytest.approx(0.0, abs=1e-10)  # the whole set is the full gradient
    assert noise[1] == pytest.approx(exact_b1, rel=0.25)
    assert model.weight.grad is None  # restored


def test_batch_size_runs_start_equal_and_count_steps():
    model, X, y = _linear_case(16)
    runs = train_with_batch_sizes(lambda: nn.Linear(3, 1), nn.MSELoss(), X, y, batch_sizes=(None, 4), epochs=2,
                                  lr=0.05)
    full, small = runs["full batch (16)"], runs["batch 4"]
    assert len(full["step_loss"]) == 2 and len(small["step_loss"]) == 8
    assert full["epoch_loss"][0] == small["epoch_loss"][0]  # same initial weights
    assert full["step_loss"][0] == pytest.approx(full["epoch_loss"][0], rel=1e-6)  # one batch = the whole set
    assert small["epoch_loss"][-1] < small["epoch_loss"][0]


def test_batch_size_plot(tmp_path):
    pytest.importorskip("matplotlib")
    from chainrule.viz.batch_size import plot_batch_sizes

    model, X, y = _linear_case(16)
    fig, data = plot_batch_sizes(lambda: nn.Linear(3, 1), nn.MSELoss(), X, y, batch_sizes=(None, 4), epochs=2,
                                 noise_sizes=(1, 4, 16, 32), path=tmp_path / "b.png")
    assert sorted(data["noise"]) == [1, 4, 16] and (tmp_path / "b.png").stat().st_size > 1000
