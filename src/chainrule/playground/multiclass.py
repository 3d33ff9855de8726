"""The playground's multi-class datasets: a spiral with one arm per class and Gaussian blobs on a ring.

Both return ``X`` float32 ``(N, 2)`` inside [-6, 6]^2 and ``y`` int64 ``(N,)`` with labels ``0 .. classes-1``.

>>> X, y = spiral_arms(300, classes=3, seed=0)
>>> X.shape, sorted(set(y.tolist()))
((300, 2), [0, 1, 2])
"""

from __future__ import annotations

import numpy as np

MAX_CLASSES = 8


def _check(name, n_samples, classes, noise):
    if not 2 <= classes <= MAX_CLASSES:
        raise ValueError(f"{name}: classes must be from 2 to {MAX_CLASSES}, got {classes!r}")
    if n_samples < classes or noise < 0:
        raise ValueError(f"{name}: expected n_samples >= classes and noise >= 0, got {n_samples!r}, {noise!r}")


def spiral_arms(n_samples=500, classes=3, noise=0.0, *, seed=None):
    """``classes`` interleaved spiral arms of 1.75 turns and radius 5 (Playground's spiral, one arm per class).

    Args:
        n_samples (int): number of points, split evenly between the arms. Default: 500.
        classes (int): number of arms and labels, 2 to 8. Default: 3.
        noise (float): each coordinate moves by ``U(-1, 1) * noise``. Default: 0.0.
        seed (int, optional): seed of the generator. Default: None.
    """
    _check("spiral_arms", n_samples, classes, noise)
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % classes
    i = rng.uniform(0, 1, n_samples)
    r = i * 5
    t = 1.75 * i * 2 * np.pi + 2 * np.pi * y / classes
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + rng.uniform(-1, 1, (n_samples, 2)) * noise
    order = rng.permutation(n_samples)
    return X[order].astype(np.float32), y[order].astype(np.int64)


def blobs(n_samples=500, classes=3, noise=0.0, *, seed=None):
    """Gaussian blobs centred on a ring of radius 3.5, one per class (Playground's gauss, many classes).

    Args:
        n_samples (int): number of points, split evenly between the blobs. Default: 500.
        classes (int): number of blobs and labels, 2 to 8. Default: 3.
        noise (float): the variance grows from 0.5 at noise 0 to 4 at noise 0.5, as Playground's gauss.
        seed (int, optional): seed of the generator. Default: None.
    """
    _check("blobs", n_samples, classes, noise)
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % classes
    angle = 2 * np.pi * y / classes
    centres = 3.5 * np.stack([np.sin(angle), np.cos(angle)], axis=1)
    std = np.sqrt(0.5 + noise * (4 - 0.5) / 0.5) * (0.6 if classes > 4 else 1.0)
    X = centres + std * rng.standard_normal((n_samples, 2))
    order = rng.permutation(n_samples)
    return X[order].astype(np.float32), y[order].astype(np.int64)
