"""Rating errors (RMSE, MAE) and top-k ranking quality (precision@k, recall@k, NDCG@k).

Ranking follows the usual offline protocol: for each test user, every item with training ratings that
the user did not rate in the training data is a candidate; the model ranks the candidates, and the
user's test items rated at least ``threshold`` are the relevant ones. Users without a relevant test
item are skipped (their precision would be 0 whatever the model does).
"""

from __future__ import annotations

import numpy as np

__all__ = ["rmse", "mae", "ranking_metrics"]


def rmse(predicted, actual) -> float:
    """Root mean squared error."""
    predicted, actual = _pair(predicted, actual, "rmse")
    return float(np.sqrt(np.mean((predicted - actual) ** 2)))


def mae(predicted, actual) -> float:
    """Mean absolute error."""
    predicted, actual = _pair(predicted, actual, "mae")
    return float(np.mean(np.abs(predicted - actual)))


def _pair(predicted, actual, name):
    predicted = np.asarray(predicted, dtype=np.float64).ravel()
    actual = np.asarray(actual, dtype=np.float64).ravel()
    if predicted.shape != actual.shape:
        raise ValueError(f"{name}: {predicted.size} predictions for {actual.size} ratings")
    if not predicted.size:
        raise ValueError(f"{name}: no ratings to compare (the table is empty)")
    return predicted, actual


def ranking_metrics(score_user, train, test, k: int = 10, threshold: float = 4.0) -> dict:
    """Mean precision@k, recall@k and NDCG@k (binary relevance) over the test users.

    Args:
        score_user (callable): ``score_user(user) -> (n_items,)`` array of scores (higher is better),
            e.g. ``model.scores``.
        train, test (Ratings): the split; training items are excluded from each user's ranking.
        k (int): the list length. Default: 10.
        threshold (float): a test rating at least this is relevant. Default: 4.0.

    Returns:
        dict: ``precision@k``, ``recall@k``, ``ndcg@k`` and ``users`` (how many users were evaluated).

    Raises:
        ValueError: ``k`` is not between 1 and the number of items, or no test user has a relevant item.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= train.n_items:
        raise ValueError(f"ranking_metrics: k must be an int from 1 to the number of items ({train.n_items}), "
                         f"got {k!r}")
    known = np.bincount(train.items, minlength=train.n_items) > 0
    relevant = test.ratings >= threshold
    by_user: dict[int, list] = {}
    for u, i in zip(test.users[relevant].tolist(), test.items[relevant].tolist()):
        if known[i]:
            by_user.setdefault(u, []).append(i)
    if not by_user:
        raise ValueError(f"ranking_metrics: no test rating is >= threshold={threshold} for an item with training "
                         "ratings; nothing to rank against")
    order = np.argsort(train.users, kind="stable")
    indptr = np.searchsorted(train.users[order], np.arange(train.n_users + 1))
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    precision, recall, ndcg = [], [], []
    for u, rel in by_user.items():
        scores = np.asarray(score_user(u), dtype=np.float64).copy()
        scores[~known] = -np.inf
        scores[train.items[order[indptr[u]:indptr[u + 1]]]] = -np.inf
        kk = min(k, int(np.isfinite(scores).sum()))
        top = np.argpartition(-scores, kk - 1)[:kk]
        top = top[np.argsort(-scores[top], kind="stable")]
        hits = np.isin(top, rel)
        precision.append(hits.sum() / k)
        recall.append(hits.sum() / len(rel))
        ideal = discount[:min(len(rel), k)].sum()
        ndcg.append((discount[:kk] * hits).sum() / ideal)
    return {f"precision@{k}": float(np.mean(precision)), f"recall@{k}": float(np.mean(recall)),
            f"ndcg@{k}": float(np.mean(ndcg)), "users": len(by_user)}
