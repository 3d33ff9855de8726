"""The loss landscape: its centre is the model's loss, the directions are filter-normalised, weights come back."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.data.datasets.toy import gauss
from chainrule.models import mlp
from chainrule.train import fit
from chainrule.viz.landscape import (
    WeightTrajectory,
    dataset_loss,
    filter_normalized_direction,
    flat_weights,
    interpolate_1d,
    pca_directions,
)


@pytest.fixture(scope="module")
def run():
    X, y = gauss(80, noise=0.2, seed=0)
    cr.manual_seed(0)
    model = mlp(2, (6, 5), 2, "tanh")
    rec = WeightTrajectory()
    fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), (X, y), epochs=4, verbose=0, seed=0,
        callbacks=[rec])
    return model, X, y, rec.weights


def test_landscape_centre_is_the_models_loss_and_weights_come_back(run, tmp_path):
    pytest.importorskip("matplotlib")
    from chainrule.viz.landscape import plot_loss_landscape

    model, X, y, traj = run
    before = [p._data.copy() for p in model.parameters()]
    with cr.no_grad():
        expected = nn.CrossEntropyLoss()(model(cr.tensor(X)), cr.tensor(y)).item()
    fig, data = plot_loss_landscape(model, nn.CrossEntropyLoss(), X, y, trajectory=traj, resolution=3,
                                    path=tmp_path / "l.png")
    assert data["loss"] == pytest.approx(expected, rel=1e-6)
    assert data["random"]["Z"].shape == (3, 3) and data["random"]["Z"][1, 1] == data["loss"]
    assert data["random"]["Z"].min() <= data["loss"] < data["random"]["Z"].max()
    assert data["pca"]["Z"].shape == (3, 3) and np.allclose(data["pca"]["coords"][-1], 0)
    assert data["pca"]["coords"].shape == (len(traj), 2)
    line = data["line"]
    assert line["losses"][np.argmin(abs(line["alphas"] - 1))] == pytest.approx(data["loss"], rel=1e-6)
    for b, p in zip(before, model.parameters()):
        assert np.array_equal(b, p._data)
    assert (tmp_path / "l.png").stat().st_size > 1000


def test_interpolation_ends_are_initial_and_final_losses(run):
    model, X, y, traj = run
    out = interpolate_1d(model, nn.CrossEntropyLoss(), X, y, traj[0], alphas=[0.0, 1.0])
    final = dataset_loss(model, nn.CrossEntropyLoss(), X, y)
    fresh = mlp(2, (6, 5), 2, "tanh")
    for p, w in zip(fresh.parameters(), [traj[0][i:i + p.numel()] for i, p in
                                         zip(np.cumsum([0] + [p.numel() for p in model.parameters()])[:-1],
                                             model.parameters())]):
        p._data[...] = w.reshape(p.shape)
    assert out["losses"][0] == pytest.approx(dataset_loss(fresh, nn.CrossEntropyLoss(), X, y), rel=1e-6)
    assert out["losses"][1] == pytest.approx(final, rel=1e-6)


def test_filter_normalised_direction(run):
    model = run[0]
    d = filter_normalized_direction(model, np.random.default_rng(3))
    for p, dp in zip(model.parameters(), d):
        if p.ndim == 1:
            assert not dp.any()
        else:
            assert np.allclose(np.linalg.norm(dp, axis=1), np.linalg.norm(p._data.astype(np.float64), axis=1))


def test_pca_directions_recover_a_planar_path(run):
    model = run[0]
    w = flat_weights(model)
    rng = np.random.default_rng(0)
    u, v = np.linalg.qr(rng.standard_normal((len(w), 2)))[0].T
    coords = np.array([[3.0, 1.0], [2.0, -0.5], [1.0, 0.2], [0.5, 0.1], [0.0, 0.0]])
    d1, d2, got, explained = pca_directions(model, [w + a * u + b * v for a, b in coords])
    # the recovered plane holds the path: coordinates reproduce it up to a rotation/reflection
    recon = got @ np.stack([np.concatenate([x.ravel() for x in d1]), np.concatenate([x.ravel() for x in d2])])
    assert np.allclose(recon, coords @ np.stack([u, v]), atol=1e-9)
    assert explained.sum() == pytest.approx(1.0)
