"""``TerminateOnNaN``: stop as soon as the loss is NaN or infinite, before the bad update is applied."""

from __future__ import annotations

import math

from .base import Callback, say


class TerminateOnNaN(Callback):
    """Stop training when a batch's loss is not finite, before ``optimizer.step()`` can spread it.

    The loss is checked in ``on_before_backward``, so the weights keep their last finite values (and
    the epoch's validation still runs on them). Keras checks after the update, when the weights are
    already NaN.

    Attributes:
        stopped_at (tuple or None): ``(epoch, step)`` (from 0) where training was stopped.

    >>> fit(model, loss_fn, optim.SGD(model.parameters(), lr=100.0), data, callbacks=[TerminateOnNaN()])
    TerminateOnNaN: the loss is nan at epoch 1, step 3; training stopped before this step's update. ...
    """

    def __init__(self):
        self.stopped_at = None
        self._epoch = 0

    def on_train_begin(self, logs=None):
        self.stopped_at = None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_before_backward(self, batch, loss):
        if math.isfinite(loss):
            return
        self.stopped_at = (self._epoch, batch)
        lr = self.optimizer.param_groups[0]["lr"] if self.optimizer is not None else None
        rate = f"the learning rate ({lr:.3g})" if lr is not None else "the learning rate"
        say(f"TerminateOnNaN: the loss is {loss} at epoch {self._epoch + 1}, step {batch + 1}; training stopped "
            f"before this step's update. Often {rate} is too high: try a lower learning rate (e.g. 10x smaller), "
            "or check the inputs for NaN and the loss for log(0).")
        self.model.stop_training = True
