"""A movie recommender: matrix factorisation trained with ``fit``, its baselines, metrics and splits.

>>> from chainrule.recommender import MatrixFactorization, fit_ratings, split_random, synthetic_ratings
>>> data, groups = synthetic_ratings(seed=0)              # MovieLens-100K-shaped, from known factors
>>> train, test = split_random(data, 0.2, seed=0)
>>> model = MatrixFactorization(data.n_users, data.n_items, dim=32)
>>> history = fit_ratings(model, train, test)
>>> items, scores = model.recommend(0, k=10)
"""

from .baselines import BiasBaseline, GlobalMean
from .metrics import mae, ranking_metrics, rmse
from .mf import MatrixFactorization
from .ratings import Ratings, check_ratings, split_by_time, split_random, synthetic_ratings
from .train import DEFAULTS, fit_ratings, rmse_curve

__all__ = ["BiasBaseline", "DEFAULTS", "GlobalMean", "MatrixFactorization", "Ratings", "check_ratings", "fit_ratings",
           "mae", "ranking_metrics", "rmse", "rmse_curve", "split_by_time", "split_random", "synthetic_ratings"]
