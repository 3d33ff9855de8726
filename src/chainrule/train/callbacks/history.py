"""``History``: the record of a ``fit`` run, one entry per epoch (Keras's ``History``)."""

from __future__ import annotations

from .base import Callback


class History(Callback):
    """Record every epoch's logs; ``fit`` always installs one and returns it.

    Attributes:
        history (dict): ``{"loss": [...], "accuracy": [...], "val_loss": [...], ..., "lr": [...]}``,
            one value per epoch.
        epoch (list of int): the epochs recorded (counting from 0).
        params (dict): the run's parameters (``epochs``, ``steps``, ``batch_size``, ...).

    >>> history = fit(model, loss_fn, optimizer, (X, y), epochs=3, verbose=0)
    >>> history.epoch, len(history.history["loss"])
    ([0, 1, 2], 3)
    """

    def __init__(self):
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        # a History passed to several fits describes the latest one
        self.history, self.epoch = {}, []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def plot(self, path=None, title=None):
        """The training curves (``chainrule.viz.plot_training_curves``): a Figure that shows inline in Jupyter.

        >>> history.plot()  # doctest: +SKIP
        """
        from chainrule.viz import plot_training_curves

        return plot_training_curves(self, path=path, title=title)

    def _repr_html_(self) -> str:  # Jupyter: one row per epoch, no pandas needed
        from chainrule.utils.html import history_html

        return history_html(self.history, self.epoch)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"
