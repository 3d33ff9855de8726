"""``ReduceLROnPlateau``: divide the learning rate when a monitored quantity stops improving (Keras's callback)."""

from __future__ import annotations

import math

from .base import say
from .monitor import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """Multiply every param group's rate by ``factor`` after ``patience`` epochs without improvement.

    Keras's semantics: an epoch improves when it beats the best value by more than ``min_delta``
    (absolute); after ``patience`` epochs in a row without improvement the rate is reduced (never
    below ``min_lr``) and the count restarts; for ``cooldown`` epochs after a reduction nothing is
    counted. (``chainrule.optim.lr_scheduler.ReduceLROnPlateau`` is PyTorch's scheduler of the same
    name, with a relative threshold and a reduction after ``patience + 1`` bad epochs.)

    Args:
        monitor (str): the logs key to watch. Default: ``"val_loss"``.
        factor (float): new_lr = lr * factor, in (0, 1). Default: 0.1.
        patience (int): epochs without improvement before reducing. Default: 10.
        verbose (int): 1 prints each reduction. Default: 0.
        mode (str): ``"min"``, ``"max"`` or ``"auto"`` (max for accuracies, min otherwise). Default: ``"auto"``.
        min_delta (float): smallest change that counts as an improvement. Default: 1e-4.
        cooldown (int): epochs to wait after a reduction before counting again. Default: 0.
        min_lr (float): lower bound of the rate. Default: 0.

    >>> fit(model, loss_fn, optimizer, train, epochs=50, val_data=val,
    ...     callbacks=[ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=3)])
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0):
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor}")
        super().__init__(monitor, mode, min_delta)
        self.factor, self.patience, self.verbose = factor, patience, verbose
        self.cooldown, self.min_lr = cooldown, min_lr
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait = 0
        self.cooldown_counter = 0

    def state_dict(self) -> dict:
        return {"best": self.best, "wait": self.wait, "cooldown_counter": self.cooldown_counter}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.wait, self.cooldown_counter = state["best"], state["wait"], state["cooldown_counter"]

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.is_improvement(current, self.best):
            self.best, self.wait = current, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch)
                self.cooldown_counter, self.wait = self.cooldown, 0

    def _reduce(self, epoch: int) -> None:
        for group in self.optimizer.param_groups:
            old = float(group["lr"])
            if old > self.min_lr:
                group["lr"] = max(old * self.factor, self.min_lr)
                if self.verbose > 0:
                    say(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {group['lr']:.6g}")
