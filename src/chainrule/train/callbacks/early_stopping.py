"""``EarlyStopping``: stop when a monitored quantity has stopped improving (Keras's semantics)."""

from __future__ import annotations

import numpy as np

from .base import say
from .monitor import MonitorCallback


def copy_state_dict(model) -> dict:
    """A deep copy of ``model.state_dict()`` (the state dict itself shares memory with the model)."""
    import chainrule

    return {k: chainrule.from_numpy(np.array(getattr(v, "_data", v), copy=True)) for k, v in model.state_dict().items()}


class EarlyStopping(MonitorCallback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    An epoch improves when the value beats the best so far by more than ``min_delta``; ``wait``
    counts the epochs since the last improvement, and training stops at the end of the epoch where
    ``wait`` reaches ``patience`` (never after the first epoch). With ``baseline``, the count is only
    reset by values that also beat the baseline, so a model that never reaches the baseline is
    stopped at its first epoch without improvement once ``patience`` epochs have passed.

    Args:
        monitor (str): the logs key to watch. Default: ``"val_loss"``.
        min_delta (float): smallest change that counts as an improvement. Default: 0.
        patience (int): epochs without improvement before stopping. Default: 0.
        verbose (int): 1 prints when stopping and restoring. Default: 0.
        mode (str): ``"min"``, ``"max"`` or ``"auto"`` (max for accuracies, min otherwise). Default: ``"auto"``.
        baseline (float, optional): a value the monitored quantity must beat. Default: None.
        restore_best_weights (bool): at the end of training (stopped early or not), load the weights
            of the best epoch. Default: False.
        start_from_epoch (int): epochs to wait before watching at all (a warm-up). Default: 0.

    Attributes:
        stopped_epoch (int): the epoch (from 0) at which training was stopped; 0 if it was not.
        best, best_epoch: the best value seen and its epoch (from 0).

    >>> stopper = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    >>> history = fit(model, loss_fn, optimizer, train, epochs=100, val_data=val, callbacks=[stopper])
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0):
        super().__init__(monitor, mode, min_delta)
        self.patience, self.verbose = patience, verbose
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        # reset, so that one instance can serve several fits
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None:
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # until something beats it, the first watched epoch is the best
            self.best_weights, self.best_epoch = copy_state_dict(self.model), epoch
        self.wait += 1
        if self.is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = copy_state_dict(self.model)
            if self.baseline is None or self.is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def state_dict(self) -> dict:
        return {"wait": self.wait, "stopped_epoch": self.stopped_epoch, "best": self.best,
                "best_epoch": self.best_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state: dict) -> None:
        import chainrule

        self.wait, self.stopped_epoch, self.best = state["wait"], state["stopped_epoch"], state["best"]
        self.best_epoch, weights = state["best_epoch"], state["best_weights"]
        self.best_weights = None if weights is None else {
            k: chainrule.from_numpy(np.array(getattr(v, "_data", v), copy=True)) for k, v in weights.items()}

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            say(f"Epoch {self.stopped_epoch + 1}: early stopping "
                f"({self.monitor} did not improve for {self.wait} epochs)")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                say(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.load_state_dict(self.best_weights)
