"""Small data, models and snapshots shared by the training tests (also as fixtures in conftest.py).

>>> X, y = blobs(64)                 # two separable 2-D blobs: float32 inputs, int64 labels
>>> model = mlp(hidden=8)            # Linear(2, 8), ReLU, Linear(8, 2), seeded
>>> before = weights(model)          # a copy of the state dict as NumPy arrays
"""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule import nn


def blobs(n: int = 96, seed: int = 0, spread: float = 2.0):
    """Two separable Gaussian blobs in 2-D, centred at +-spread: float32 inputs, int64 labels in {0, 1}."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 2)) + spread * np.where(y[:, None] == 1, 1.0, -1.0)
    return X.astype(np.float32), y.astype(np.int64)


def mlp(*middle, hidden: int = 16, seed: int = 0, dropout: float = 0.0):
    """``Linear(2, hidden), *middle, ReLU, [Dropout], Linear(hidden, 2)``, initialised after ``manual_seed(seed)``."""
    cr.manual_seed(seed)
    layers = [nn.Linear(2, hidden), *middle, nn.ReLU()] + ([nn.Dropout(dropout)] if dropout else [])
    return nn.Sequential(*layers, nn.Linear(hidden, 2))


def weights(model) -> dict:
    """A copy of ``model.state_dict()`` as NumPy arrays (to compare before and after)."""
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}
