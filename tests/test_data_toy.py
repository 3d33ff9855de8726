"""Toy datasets: shapes, labels, the Playground's geometry, seeding and noise."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import TensorDataset
from chainrule.data.datasets import toy

CLASSIFY = [toy.circle, toy.xor, toy.gauss, toy.spiral, toy.moons]
REGRESS = [toy.plane, toy.multi_gauss, toy.line]


@pytest.mark.parametrize("make", CLASSIFY)
def test_classification_shapes_and_labels(make):
    X, y = make(101, noise=0.1, seed=0)
    assert X.shape == (101, 2) and X.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int64 and set(y.tolist()) == {0, 1}


@pytest.mark.parametrize("make", REGRESS)
def test_regression_shapes(make):
    X, y = make(50, seed=0)
    assert X.dtype == np.float32 and y.dtype == np.float32
    assert len(X) == 50 and y.shape == (50, 1)


@pytest.mark.parametrize("make", CLASSIFY + REGRESS)
def test_seeded_reproducibility_and_noise(make):
    a, b = make(64, noise=0.2, seed=1), make(64, noise=0.2, seed=1)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    c = make(64, noise=0.2, generator=cr.Generator().manual_seed(1))
    assert all(np.array_equal(p, q) for p, q in zip(a, c))
    d = make(64, noise=0.2, seed=2)
    assert not all(np.array_equal(p, q) for p, q in zip(a, d))
    clean = make(64, noise=0.0, seed=1)
    assert not all(np.array_equal(p, q) for p, q in zip(a, clean)), "noise must change X or y"


@pytest.mark.parametrize("make", CLASSIFY + REGRESS)
def test_as_dataset_and_argument_errors(make):
    ds = make(20, seed=0, as_dataset=True)
    assert isinstance(ds, TensorDataset) and len(ds) == 20
    with pytest.raises(ValueError, match="n_samples must be a non-negative int"):
        make(-1)
    with pytest.raises(ValueError, match="noise must be non-negative"):
        make(10, noise=-0.1)


def test_circle_geometry_and_balance():
    X, y = toy.circle(500, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.bincount(y).tolist() == [250, 250]
    assert r[y == 1].max() < 2.5 and r[y == 0].min() >= 3.5 - 1e-6 and r.max() <= 5 + 1e-6
    _, noisy = toy.circle(500, noise=0.5, seed=0)
    assert 0 < (noisy != y).sum() < 250  # label noise flips some labels near the boundary


def test_xor_geometry():
    X, y = toy.xor(400, seed=0)
    assert np.all(np.abs(X) >= 0.3 - 1e-6) and np.all(np.abs(X) <= 5.3 + 1e-6)
    assert np.array_equal(y == 1, X[:, 0] * X[:, 1] >= 0)


def test_gauss_centres_and_variance_grows_with_noise():
    X, y = toy.gauss(2000, seed=0)
    np.testing.assert_allclose(X[y == 1].mean(0), [2, 2], atol=0.1)
    np.testing.assert_allclose(X[y == 0].mean(0), [-2, -2], atol=0.1)
    assert abs(X[y == 1].var(0).mean() - 0.5) < 0.06
    Xn, yn = toy.gauss(2000, noise=0.5, seed=0)
    assert abs(Xn[yn == 1].var(0).mean() - 4.0) < 0.4


def test_spiral_radius_and_symmetry():
    X, y = toy.spiral(400, seed=0, shuffle=False)
    assert np.hypot(X[:, 0], X[:, 1]).max() <= 5
    np.testing.assert_allclose(X[y == 0], -X[y == 1], atol=1e-5)  # the second arm is the first rotated by pi


def test_moons_are_sklearns_half_circles():
    X, y = toy.moons(100, seed=0, shuffle=False)
    np.testing.assert_allclose(np.hypot(X[y == 0, 0], X[y == 0, 1]), 1, atol=1e-6)
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5), 1, atol=1e-6)


def test_plane_and_multi_gauss_labels():
    X, y = toy.plane(300, seed=0)
    np.testing.assert_allclose(y[:, 0], X.sum(1) / 10, atol=1e-6)
    assert np.abs(X).max() <= 6
    X, y = toy.multi_gauss(3000, seed=0)
    assert np.abs(y).max() <= 1 and y.min() < -0.9 and y.max() > 0.9
    near = np.hypot(X[:, 0] - 4, X[:, 1] - 2.5) < 0.2  # centre of a positive bump
    assert near.any() and np.all(y[near, 0] > 0.85)


def test_line_matches_the_lecture_table_and_noise_level():
    X, y = toy.line(4, w=2.0, b=0.0, seed=0)
    np.testing.assert_allclose(y, 2 * X, rtol=1e-6)
    X, y = toy.line(5000, w=-1.5, b=3.0, noise=0.5, low=0, high=10, seed=0)
    assert X.shape == (5000, 1) and 0 <= X.min() and X.max() <= 10
    residual = y - (-1.5 * X + 3.0)
    assert abs(residual.std() - 0.5) < 0.03 and abs(residual.mean()) < 0.03
    with pytest.raises(ValueError, match="high must be greater than low"):
        toy.line(3, low=1, high=1)


def test_plane_and_multi_gauss_draw_the_same_points_from_the_same_seed():
    # one sampler (_regression_points): the same inputs, different targets
    Xp, yp = toy.plane(64, noise=0.2, seed=5, shuffle=False)
    Xm, ym = toy.multi_gauss(64, noise=0.2, seed=5, shuffle=False)
    np.testing.assert_array_equal(Xp, Xm)
    assert np.all(np.abs(Xp) <= 6) and not np.allclose(yp, ym)
    Xn, yn = toy.plane(64, noise=0.0, seed=5, shuffle=False)
    np.testing.assert_array_equal(Xn, Xp)
    np.testing.assert_allclose(yn[:, 0], Xn.sum(1) / 10, atol=1e-6)  # no noise: y from the points themselves
    assert not np.allclose(yp[:, 0], Xp.sum(1) / 10, atol=1e-3)  # noise shifts the point y is computed from
