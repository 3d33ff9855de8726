"""Small seeded 2-D datasets for lectures and tests, after TensorFlow Playground's.

Classification (``circle``, ``xor``, ``gauss``, ``spiral``, ``moons``) returns ``X`` float32 ``(N, 2)``
and ``y`` int64 ``(N,)`` with labels 0/1 (Playground's -1 becomes 0). Regression (``plane``,
``multi_gauss``, ``line``) returns ``X`` float32 ``(N, D)`` and ``y`` float32 ``(N, 1)``, matching the
output of ``nn.Linear(..., 1)``. ``noise`` is Playground's noise slider as a fraction (0 to 0.5); in
``circle``, ``xor``, ``plane`` and ``multi_gauss`` it perturbs the point used for the label, as there,
so labels near a boundary flip. With ``as_dataset=True`` a ``TensorDataset`` is returned instead.

>>> X, y = circle(200, noise=0.1, seed=0)
>>> X.shape, X.dtype, y.shape, sorted(set(y.tolist()))
((200, 2), dtype('float32'), (200,), [0, 1])
"""

from __future__ import annotations

import numpy as np

from .._util import resolve_generator, rng_of
from ..dataset import TensorDataset

NUM_SAMPLES_CLASSIFY = 500  # Playground's sizes
NUM_SAMPLES_REGRESS = 1200


def _finish(X, y, rng, shuffle, as_dataset, regression=False):
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32).reshape(-1, 1) if regression else np.asarray(y, dtype=np.int64)
    if shuffle:
        order = rng.permutation(len(X))
        X, y = X[order], y[order]
    return TensorDataset(X, y) if as_dataset else (X, y)


def _setup(name, n_samples, noise, generator, seed):
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 0:
        raise ValueError(f"{name}: n_samples must be a non-negative int, got {n_samples!r}")
    if noise < 0:
        raise ValueError(f"{name}: noise must be non-negative, got {noise!r}")
    from chainrule.utils.memory import check_fits

    # float64 points, their noisy copy and the generator's temporaries: about 6 arrays of (n, 2) float64
    check_fits(int(n_samples) * 2 * 8 * 6, f"{name}(n_samples={n_samples})")
    return rng_of(resolve_generator(generator, seed, name))


def _regression_points(rng, n_samples, noise):
    """Playground's regression inputs: points uniform in [-6, 6]^2, and the noisy copy ``y`` is computed from."""
    X = rng.uniform(-6, 6, (n_samples, 2))
    return X, X + rng.uniform(-6, 6, (n_samples, 2)) * noise


def circle(n_samples=NUM_SAMPLES_CLASSIFY, noise=0.0, *, shuffle=True, seed=None, generator=None, as_dataset=False):
    """A disc of class 1 (radius < 2.5) inside a ring of class 0 (radius 3.5 to 5); Playground's "circle".

    Args:
        n_samples (int): number of points, half per class. Default: 500.
        noise (float): label noise: the point is shifted by ``U(-5, 5) * noise`` per axis before
            labelling by its distance to the centre. Default: 0.0.
        shuffle (bool): shuffle the points. Default: True.
        seed (int, optional): seed for a private generator. Default: None.
        generator (Generator, optional): source of randomness. Default: the global generator.
        as_dataset (bool): return a ``TensorDataset``. Default: False.

    Shape:
        - X: ``(n_samples, 2)`` float32; y: ``(n_samples,)`` int64.

    >>> X, y = circle(100, seed=0)
    >>> bool((np.hypot(*X[y == 1].T) < 2.5).all())
    True
    """
    rng = _setup("circle", n_samples, noise, generator, seed)
    radius = 5.0
    n_in = n_samples // 2
    r = np.concatenate([rng.uniform(0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n_samples - n_in)])
    angle = rng.uniform(0, 2 * np.pi, n_samples)
    X = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    shifted = X + rng.uniform(-radius, radius, (n_samples, 2)) * noise
    y = np.hypot(shifted[:, 0], shifted[:, 1]) < radius * 0.5
    return _finish(X, y, rng, shuffle, as_dataset)


def xor(n_samples=NUM_SAMPLES_CLASSIFY, noise=0.0, *, shuffle=True, seed=None, generator=None, as_dataset=False):
    """Four quadrants, class 1 where ``x * y >= 0``; Playground's "exclusive or".

    Points are uniform in [-5, 5]^2, pushed 0.3 away from the axes.

    Args:
        n_samples (int): number of points. Default: 500.
        noise (float): label noise: shift by ``U(-5, 5) * noise`` per axis before labelling. Default: 0.0.
        shuffle (bool): shuffle the points. Default: True.
        seed (int, optional): seed for a private generator. Default: None.
        generator (Generator, optional): source of randomness. Default: the global generator.
        as_dataset (bool): return a ``TensorDataset``. Default: False.

    Shape:
        - X: ``(n_samples, 2)`` float32; y: ``(n_samples,)`` int64.

    >>> X, y = xor(100, seed=0)
    >>> bool(((X[:, 0] * X[:, 1] >= 0) == (y == 1)).all())
    True
    """
    rng = _setup("xor", n_samples, noise, generator, seed)
    X = rng.uniform(-5, 5, (n_samples, 2))
    X += np.where(X > 0, 0.3, -0.3)  # padding away from the axes
    shifted = X + rng.uniform(-5, 5, (n_samples, 2)) * noise
    return _finish(X, shifted[:, 0] * shifted[:, 1] >= 0, rng, shuffle, as_dataset)


def gauss(n_samples=NUM_SAMPLES_CLASSIFY, noise=0.0, *, shuffle=True, seed=None, generator=None, as_dataset=False):
    """Two Gaussian blobs, class 1 around (2, 2) and class 0 around (-2, -2); Playground's "gaussian".

    Args:
        n_samples (int): number of points, half per class. Default: 500.
        noise (float): the variance grows linearly from 0.5 at noise 0 to 4 at noise 0.5. Default: 0.0.
        shuffle (bool): shuffle the points. Default: True.
        seed (int, optional): seed for a private generator. Default: None.
        generator (Generator, optional): source of randomness. Default: the global generator.
        as_dataset (bool): return a ``TensorDataset``. Default: False.

    Shape:
        - X: ``(n_samples, 2)`` float32; y: ``(n_samples,)`` int64.

    >>> X, y = gauss(100, seed=0)
    >>> bool(X[y == 1].mean() > 0 > X[y == 0].mean())
    True
    """
    rng = _setup("gauss", n_samples, noise, generator, seed)
    std = np.sqrt(0.5 + noise * (4 - 0.5) / 0.5)
    n_pos = n_samples // 2
    y = np.arange(n_samples) < n_pos
    centres = np.where(y[:, None], 2.0, -2.0)
    X = centres + std * rng.standard_normal((n_samples, 2))
    return _finish(X, y, rng, shuffle, as_dataset)


def spiral(n_samples=NUM_SAMPLES_CLASSIFY, noise=0.0, *, shuffle=True, seed=None, generator=None, as_dataset=False):
    """Two interleaved spirals of 1.75 turns and radius 5; Playground's "spiral".

    Args:
        n_samples (int): number of points, half per class. Default: 500.
        noise (float): each coordinate moves by ``U(-1, 1) * noise``. Default: 0.0.
        shuffle (bool): shuffle the points. Default: True.
        seed (int, optional): seed for a private generator. Default: None.
        generator (Generator, optional): source of randomness. Default: the global generator.
        as_dataset (bool): return a ``TensorDataset``. Default: False.

    Shape:
        - X: ``(n_samples, 2)`` float32; y: ``(n_samples,)`` int64.

    >>> X, y = spiral(100, seed=0)
    >>> X.shape
    (100, 2)
    """
    rng = _setup("spiral", n_samples, noise, generator, seed)
    half = n_samples // 2
    parts = []
    for count, delta, label in ((half, 0.0, 1), (n_samples - half, np.pi, 0)):
        i = np.arange(count)
        r = i / max(count, 1) * 5
        t = 1.75 * i / max(count, 1) * 2 * np.pi + delta
        xy = np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + rng.uniform(-1, 1, (count, 2)) * noise
        parts.append((xy, np.full(count, label)))
    X = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    return _finish(X, y, rng, shuffle, as_dataset)


def moons(n_samples=100, noise=0.0, *, shuffle=True, seed=None, generator=None, as_dataset=False):
    """Two interleaving half circles ("two moons"): class 0 on top, class 1 below, as scikit-learn's.

    Args:
        n_samples (int): number of points, half per class. Default: 100.
        noise (float): standard deviation of Gaussian noise added to the points. Default: 0.0.
        shuffle (bool): shuffle the points. Default: True.
        seed (int, optional): seed for a private generator. Default: None.
        generator (Generator, optional): source of randomness. Default: the global generator.
        as_dataset (bool): return a ``TensorDataset``. Default: False.

    Shape:
        - X: ``(n_samples, 2)`` float32; y: ``(n_samples,)`` int64.

    >>> X, y = moons(10, seed=0)
    >>> y.sum()
    np.int64(5)
    """
    rng = _setup("moons", n_samples, noise, generator, seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1)])
    if noise:
        X = X + rng.normal(0.0, noise, X.shape)
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    return _finish(X, y, rng, shuffle, as_dataset)


def plane(n_samples=NUM_SAMPLES_REGRESS, noise=0.0, *, shuffle=True, seed=None, generator=None, as_dataset=False):
    """Regression on a tilted plane: ``y = (x1 + x2) / 10`` for points in [-6, 6]^2; Playground's "plane".

    Args:
        n_samples (int): number of points. Default: 1200.
        noise (float): the point is shifted by ``U(-6, 6) * noise`` per axis before computing ``y``.
            Default: 0.0.
        shuffle (bool): shuffle the points. Default: True.
        seed (int, optional): seed for a private generator. Default: None.
        generator (Generator, optional): source of randomness. Default: the global generator.
        as_dataset (bool): return a ``TensorDataset``. Default: False.

    Shape:
        - X: ``(n_samples, 2)`` float32; y: ``(n_samples, 1)`` float32.

    >>> X, y = plane(5, seed=0)
    >>> bool(np.allclose(y[:, 0], X.sum(1) / 10, atol=1e-6))
    True
    """
    rng = _setup("plane", n_samples, noise, generator, seed)
    X, shifted = _regression_points(rng, n_samples, noise)
    return _finish(X, shifted.sum(axis=1) / 10, rng, shuffle, as_dataset, regression=True)


_GAUSSIANS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]])


def multi_gauss(n_samples=NUM_SAMPLES_REGRESS, noise=0.0, *, shuffle=True, seed=None, generator=None, as_dataset=False):
    """Regression on six signed bumps in a 3x2 grid; Playground's "multi gaussian".

    ``y`` is ``sign * clip(1 - d / 2, 0, 1)`` for the bump (at distance ``d``) whose value is largest
    in absolute value, for points uniform in [-6, 6]^2.

    Args:
        n_samples (int): number of points. Default: 1200.
        noise (float): the point is shifted by ``U(-6, 6) * noise`` per axis before computing ``y``.
            Default: 0.0.
        shuffle (bool): shuffle the points. Default: True.
        seed (int, optional): seed for a private generator. Default: None.
        generator (Generator, optional): source of randomness. Default: the global generator.
        as_dataset (bool): return a ``TensorDataset``. Default: False.

    Shape:
        - X: ``(n_samples, 2)`` float32; y: ``(n_samples, 1)`` float32 in [-1, 1].

    >>> X, y = multi_gauss(100, seed=0)
    >>> bool(np.abs(y).max() <= 1)
    True
    """
    rng = _setup("multi_gauss", n_samples, noise, generator, seed)
    X, shifted = _regression_points(rng, n_samples, noise)
    d = np.hypot(shifted[:, None, 0] - _GAUSSIANS[:, 0], shifted[:, None, 1] - _GAUSSIANS[:, 1])
    values = _GAUSSIANS[:, 2] * np.clip(1 - d / 2, 0, 1)  # (N, 6)
    # Playground keeps the first bump with the strictly largest |value|: argmax picks the first too
    y = values[np.arange(n_samples), np.abs(values).argmax(axis=1)] if n_samples else np.zeros(0)
    return _finish(X, y, rng, shuffle, as_dataset, regression=True)


def line(n_samples=100, w=2.0, b=0.0, noise=0.0, *, low=-5.0, high=5.0, shuffle=True, seed=None, generator=None,
         as_dataset=False):
    """A noisy line ``y = w * x + b + N(0, noise**2)``, the "input / target" table of a first lecture.

    Args:
        n_samples (int): number of points. Default: 100.
        w (float): slope. Default: 2.0.
        b (float): intercept. Default: 0.0.
        noise (float): standard deviation of the Gaussian noise on ``y``. Default: 0.0.
        low (float): smallest ``x``. Default: -5.0.
        high (float): largest ``x``. Default: 5.0.
        shuffle (bool): shuffle the points (they are drawn at random anyway). Default: True.
        seed (int, optional): seed for a private generator. Default: None.
        generator (Generator, optional): source of randomness. Default: the global generator.
        as_dataset (bool): return a ``TensorDataset``. Default: False.

    Shape:
        - X: ``(n_samples, 1)`` float32; y: ``(n_samples, 1)`` float32.

    >>> X, y = line(4, w=2.0, seed=0)
    >>> bool(np.allclose(y, 2 * X))
    True
    """
    rng = _setup("line", n_samples, noise, generator, seed)
    if not high > low:
        raise ValueError(f"line: high must be greater than low, got low={low!r}, high={high!r}")
    x = rng.uniform(low, high, n_samples)
    y = w * x + b + (rng.normal(0.0, noise, n_samples) if noise else 0.0)
    return _finish(x[:, None], y, rng, shuffle, as_dataset, regression=True)
