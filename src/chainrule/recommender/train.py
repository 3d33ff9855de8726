"""``fit_ratings``: train a ``MatrixFactorization`` on a ``Ratings`` table with ``chainrule.train.fit``.

The model is an ordinary regression model on ``(pairs, ratings)``: MSE loss, an optimizer with weight
decay on the embeddings and biases (not on the global mean), and early stopping on the validation
RMSE with the best epoch's weights restored.
"""

from __future__ import annotations

import math

import chainrule as cr
from chainrule import nn, optim

__all__ = ["DEFAULTS", "default_weight_decay", "fit_ratings", "rmse_curve"]

from .defaults import DEFAULTS, WEIGHT_DECAY_PER_RATING


def fit_ratings(model, train, val=None, *, epochs: int = DEFAULTS["epochs"], lr: float = DEFAULTS["lr"],
                weight_decay: float | None = DEFAULTS["weight_decay"], batch_size: int = DEFAULTS["batch_size"],
                patience: int | None = DEFAULTS["patience"], seed: int | None = 0, callbacks=(), verbose: int = 0):
    """Train ``model`` on the ``train`` ratings; returns fit's ``History`` (``loss``, ``val_loss``: MSE).

    The global bias starts at the training mean. With ``val`` (a ``Ratings``), ``EarlyStopping`` watches
    ``val_loss`` with ``patience`` and restores the best epoch's weights. Afterwards the model
    ``remember``s ``train`` (for cold start and for leaving rated items out of recommendations).

    Args:
        model (MatrixFactorization): the model, with id ranges covering the data.
        train (Ratings): training ratings (not empty).
        val (Ratings, optional): validation ratings for early stopping. Default: None.
        epochs (int): most epochs (early stopping usually ends training long before). Default: 100.
        lr (float): Adam's learning rate. Default: 3e-3.
        weight_decay (float, optional): Adam's ``weight_decay`` (an L2 penalty) on the embeddings and the
            per-user/item biases, not on the global bias. Default: None: ``23 / len(train)`` (3e-4 for
            MovieLens 100K), so that the penalty weighs the same against the data whatever the table's size.
        batch_size (int): ratings per step. Default: 256.
        patience (int, optional): early-stopping patience in epochs; None trains all epochs. Default: 3.
        seed (int, optional): the data order. Default: 0.
        callbacks (sequence): more ``fit`` callbacks (e.g. an epoch timer). Default: ().
        verbose (int): as ``fit``'s. Default: 0.

    Raises:
        ValueError: the training table is empty or its ids do not fit the model.
    """
    from chainrule.train import fit
    from chainrule.train.callbacks import EarlyStopping

    if len(train) == 0:
        raise ValueError("fit_ratings: the training ratings are empty; give at least one rating")
    for name, data in (("train", train), ("val", val)):
        if data is not None and (data.n_users > model.n_users or data.n_items > model.n_items):
            raise ValueError(f"fit_ratings: the {name} ratings have {data.n_users} users and {data.n_items} items, the "
                             f"model only {model.n_users} and {model.n_items}")
    if getattr(model, "biases", False):
        with cr.no_grad():
            model.global_bias.fill_(train.mean())
    if weight_decay is None:
        weight_decay = default_weight_decay(len(train))
    decayed = [p for name, p in model.named_parameters() if name != "global_bias"]
    rest = [p for name, p in model.named_parameters() if name == "global_bias"]
    groups = [{"params": decayed, "weight_decay": weight_decay}] + ([{"params": rest, "weight_decay": 0.0}]
                                                                     if rest else [])
    optimizer = optim.Adam(groups, lr=lr)
    callbacks = list(callbacks)
    if val is not None and len(val) and patience is not None:
        callbacks.append(EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True))
    val_data = (val.pairs, val.ratings) if val is not None and len(val) else None
    history = fit(model, nn.MSELoss(), optimizer, (train.pairs, train.ratings), epochs=epochs, val_data=val_data,
                  batch_size=batch_size, callbacks=callbacks, metrics=(), seed=seed, verbose=verbose)
    model.eval()
    model.remember(train)
    return history


def default_weight_decay(n_train: int) -> float:
    """The default weight decay for ``n_train`` training ratings: ``23 / n_train``."""
    return WEIGHT_DECAY_PER_RATING / max(int(n_train), 1)


def rmse_curve(history, key: str = "val_loss") -> list[float]:
    """The per-epoch RMSE from a History's MSE ``key``."""
    return [math.sqrt(v) for v in history.history.get(key, [])]
