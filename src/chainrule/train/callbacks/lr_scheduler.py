"""``LRScheduler``: drive the learning rate from ``fit`` with a scheduler or a schedule function."""

from __future__ import annotations

from .base import Callback, say


class LRScheduler(Callback):
    """Step a ``chainrule.optim.lr_scheduler`` scheduler, or set the rate from ``schedule(epoch, lr)``.

    - A scheduler object is stepped after every epoch (after validation, where PyTorch code calls
      ``scheduler.step()``), or after every batch with ``interval="step"`` (the default for
      ``OneCycleLR``, whose schedule counts batches).
      ``ReduceLROnPlateau`` is stepped with ``logs[monitor]`` (``"loss"`` when there is no validation).
    - A function ``schedule(epoch, lr) -> new_lr`` (Keras's ``LearningRateScheduler``) is called at
      the start of every epoch (from 0) with each param group's current rate.

    ``fit(..., scheduler=s)`` is a shorthand for ``callbacks=[LRScheduler(s)]``.

    Args:
        schedule: a scheduler (anything with ``step()``) or a function ``(epoch, lr) -> lr``.
        interval (str, optional): ``"epoch"`` or ``"step"`` (schedulers only): when to call ``step()``.
            Default: None, meaning ``"step"`` for ``OneCycleLR`` and ``"epoch"`` otherwise.
        monitor (str): the logs key given to ``ReduceLROnPlateau.step``. Default: ``"val_loss"``.
        verbose (int): 1 prints the rate whenever a schedule function changes it. Default: 0.

    >>> fit(model, loss_fn, optimizer, data, epochs=30, callbacks=[LRScheduler(lambda epoch, lr: lr * 0.9)])
    >>> step_lr = optim.lr_scheduler.StepLR(optimizer, step_size=10)
    >>> fit(model, loss_fn, optimizer, data, epochs=30, callbacks=[LRScheduler(step_lr)])
    """

    def __init__(self, schedule, interval: str | None = None, monitor: str = "val_loss", verbose: int = 0):
        if interval is None:
            interval = "step" if _counts_batches(schedule) else "epoch"
        if interval not in ("epoch", "step"):
            raise ValueError(f"LRScheduler: interval must be 'epoch' or 'step', got {interval!r}")
        self.is_function = not hasattr(schedule, "step")
        if self.is_function and not callable(schedule):
            raise TypeError("LRScheduler: expected a scheduler or a function (epoch, lr) -> lr, "
                            f"got {type(schedule).__name__}")
        if self.is_function and interval == "step":
            raise ValueError("LRScheduler: a schedule function is called once per epoch; use interval='epoch'")
        self.schedule, self.interval, self.monitor, self.verbose = schedule, interval, monitor, verbose
        self._applied_epoch = None

    def on_train_begin(self, logs=None):
        self._applied_epoch = None

    def state_dict(self) -> dict:
        if self.is_function:
            return {"applied_epoch": self._applied_epoch}
        return {"scheduler": self.schedule.state_dict()} if hasattr(self.schedule, "state_dict") else {}

    def load_state_dict(self, state: dict) -> None:
        if self.is_function:
            self._applied_epoch = state.get("applied_epoch")
        elif "scheduler" in state:
            self.schedule.load_state_dict(state["scheduler"])

    def on_epoch_begin(self, epoch, logs=None):
        # once per epoch: a run resumed in the middle of an epoch calls on_epoch_begin again, but the
        # optimizer's restored rate already has this epoch's schedule applied
        if not self.is_function or epoch == self._applied_epoch:
            return
        self._applied_epoch = epoch
        for group in self.optimizer.param_groups:
            old = group["lr"]
            group["lr"] = float(self.schedule(epoch, old))
            if self.verbose > 0 and group["lr"] != old:
                say(f"Epoch {epoch + 1}: LRScheduler setting learning rate to {group['lr']:.6g}")

    def on_train_batch_end(self, batch, logs=None):
        if self.interval == "step":
            self.schedule.step()

    def on_epoch_end(self, epoch, logs=None):
        if self.is_function or self.interval != "epoch":
            return
        if _wants_metric(self.schedule):
            logs = logs or {}
            value = logs.get(self.monitor, logs.get("loss"))
            if value is None:
                raise KeyError(f"LRScheduler: ReduceLROnPlateau needs {self.monitor!r} in the logs; got {sorted(logs)}")
            self.schedule.step(value)
        else:
            self.schedule.step()


def _wants_metric(scheduler) -> bool:
    from chainrule.optim.lr_scheduler import ReduceLROnPlateau

    return isinstance(scheduler, ReduceLROnPlateau)


def _counts_batches(scheduler) -> bool:
    from chainrule.optim.lr_scheduler import OneCycleLR

    return isinstance(scheduler, OneCycleLR)
