"""One train/evaluate round as the command line and ``scripts/movielens_table.py`` run it.

``evaluate_split(train, test)`` holds out a validation part of ``train`` for early stopping, trains a
``MatrixFactorization`` with ``fit_ratings``, fits the two baselines on the same training ratings and
scores all three on ``test`` (RMSE, MAE; precision/recall/NDCG@k for the model and the bias baseline).
"""

from __future__ import annotations

import math
import time

import numpy as np

import chainrule as cr
from chainrule.train.callbacks import Callback

from .baselines import BiasBaseline, GlobalMean
from .metrics import mae, ranking_metrics, rmse
from .mf import MatrixFactorization
from .ratings import split_random
from .train import DEFAULTS, fit_ratings

__all__ = ["EpochClock", "evaluate_split"]


class EpochClock(Callback):
    """Put each epoch's seconds into its logs: ``time`` (wall clock) and ``cpu_time`` (this process)."""

    def on_epoch_begin(self, epoch, logs=None):
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["time"] = round(time.perf_counter() - self._wall, 4)
            logs["cpu_time"] = round(time.process_time() - self._cpu, 4)


def evaluate_split(train, test, *, dim: int = DEFAULTS["dim"], val_fraction: float = 0.05, k: int = 10,
                   seed: int = 0, ranking: bool = True, callbacks=(), verbose: int = 0, **fit_kwargs) -> dict:
    """Train on ``train`` (less a ``val_fraction`` for early stopping), evaluate on ``test``.

    Returns:
        dict: ``model``, ``history`` (per-epoch logs with ``rmse``, ``val_rmse``, ``time``, ``cpu_time``),
        ``metrics`` (``{"global mean": {...}, "bias baseline": {...}, "matrix factorization": {...}}`` with
        ``rmse``, ``mae`` and, with ``ranking``, ``precision@k``, ``recall@k``, ``ndcg@k``) and ``epochs``.
    """
    fit_part, val = split_random(train, val_fraction, seed=seed) if val_fraction > 0 else (train, None)
    cr.manual_seed(seed)
    model = MatrixFactorization(train.n_users, train.n_items, dim)
    history = fit_ratings(model, fit_part, val, seed=seed, callbacks=[EpochClock(), *callbacks], verbose=verbose,
                          **fit_kwargs)
    logs = history.history
    logs["rmse"] = [math.sqrt(v) for v in logs["loss"]]
    if "val_loss" in logs:
        logs["val_rmse"] = [math.sqrt(v) for v in logs["val_loss"]]
    model.remember(train)  # all training ratings count as seen (the validation part too)
    mean, bias = GlobalMean().fit(fit_part), BiasBaseline().fit(fit_part)
    metrics = {}
    for name, predict in (("global mean", mean.predict), ("bias baseline", bias.predict),
                          ("matrix factorization", model.predict)):
        pred = predict(test.users, test.items)
        metrics[name] = {"rmse": rmse(pred, test.ratings), "mae": mae(pred, test.ratings)}
    if ranking:
        bias_scores = lambda u: bias.predict(np.full(train.n_items, u), np.arange(train.n_items))  # noqa: E731
        for name, score in (("bias baseline", bias_scores), ("matrix factorization", model.scores)):
            try:
                metrics[name].update({key: v for key, v in ranking_metrics(score, train, test, k=k).items()
                                      if key != "users"})
            except ValueError:  # no relevant test rating (a tiny table): no ranking metrics
                break
    best = int(np.argmin(logs["val_loss"])) + 1 if "val_loss" in logs else len(logs["loss"])
    return {"model": model, "history": logs, "metrics": metrics, "epochs": len(logs["loss"]), "best_epoch": best,
            "train_ratings": len(fit_part), "val_ratings": 0 if val is None else len(val)}
