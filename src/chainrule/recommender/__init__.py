"""A movie recommender: matrix factorisation trained with ``fit``, its baselines, metrics and splits.

>>> from chainrule.recommender import MatrixFactorization, fit_ratings, split_random, synthetic_ratings
>>> data, groups = synthetic_ratings(seed=0)              # MovieLens-100K-shaped, from known factors
>>> train, test = split_random(data, 0.2, seed=0)
>>> model = MatrixFactorization(data.n_users, data.n_items, dim=32)
>>> history = fit_ratings(model, train, test)
>>> items, scores = model.recommend(0, k=10)
"""

from .defaults import DEFAULTS

# each name's module, imported on first use: chainrule.models (MatrixFactorization) and the command line
# (DEFAULTS) stay cheap to import, and the training loop is loaded only when something trains
_HOMES = {"BiasBaseline": "baselines", "GlobalMean": "baselines", "EpochClock": "experiment",
          "evaluate_split": "experiment", "mae": "metrics", "ranking_metrics": "metrics", "rmse": "metrics",
          "MatrixFactorization": "mf", "Ratings": "ratings", "check_ratings": "ratings", "split_by_time": "ratings",
          "split_random": "ratings", "synthetic_ratings": "ratings", "fit_ratings": "train", "rmse_curve": "train",
          "default_weight_decay": "train"}

__all__ = ["DEFAULTS", *sorted(_HOMES)]


def __getattr__(name):
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'chainrule.recommender' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_HOMES))
