"""The baselines a practitioner checks first: the global mean, and user + item biases without embeddings.

``BiasBaseline`` fits ``mu + b_u + b_i`` by regularised alternating least squares (Koren 2010, section
2.1; the defaults are Surprise's ``BaselineOnly``): each sweep sets every item bias to the shrunk mean of
its residuals, then every user bias likewise. Both are closed-form, so the fit takes milliseconds.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GlobalMean", "BiasBaseline"]


class GlobalMean:
    """Predict the mean training rating for every pair.

    >>> GlobalMean().fit(train).predict(test.users, test.items)
    """

    def fit(self, train) -> GlobalMean:
        self.mu = train.mean()
        return self

    def predict(self, users, items) -> np.ndarray:
        return np.full(np.shape(users), self.mu, dtype=np.float64)


class BiasBaseline:
    """``mu + b_u + b_i`` fitted by regularised alternating least squares.

    Args:
        reg_items (float): shrinkage of the item biases (a pseudo-count of ratings at the mean). Default: 10.
        reg_users (float): shrinkage of the user biases. Default: 15.
        epochs (int): ALS sweeps. Default: 10.

    Users and items without training ratings get bias 0 (the prediction falls back to ``mu``).

    >>> model = BiasBaseline().fit(train)
    >>> model.predict(test.users, test.items)
    """

    def __init__(self, reg_items: float = 10.0, reg_users: float = 15.0, epochs: int = 10):
        if reg_items < 0 or reg_users < 0:
            raise ValueError(f"BiasBaseline: regularisation must be >= 0, got reg_items={reg_items}, "
                             f"reg_users={reg_users}")
        self.reg_items, self.reg_users, self.epochs = float(reg_items), float(reg_users), int(epochs)

    def fit(self, train) -> BiasBaseline:
        u, i, r = train.users, train.items, train.ratings.astype(np.float64)
        self.mu = train.mean()
        self.user_bias = np.zeros(train.n_users)
        self.item_bias = np.zeros(train.n_items)
        n_u = np.bincount(u, minlength=train.n_users)
        n_i = np.bincount(i, minlength=train.n_items)
        for _ in range(self.epochs):
            self.item_bias = np.bincount(i, r - self.mu - self.user_bias[u], train.n_items) / (self.reg_items + n_i)
            self.user_bias = np.bincount(u, r - self.mu - self.item_bias[i], train.n_users) / (self.reg_users + n_u)
        return self

    def predict(self, users, items) -> np.ndarray:
        return self.mu + self.user_bias[np.asarray(users)] + self.item_bias[np.asarray(items)]
