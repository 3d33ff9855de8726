"""``InsideRecorder``: a look inside the network after every epoch (histograms, dead ReLUs, gradient flow)."""

from __future__ import annotations

from pathlib import Path

from .base import Callback


class InsideRecorder(Callback):
    """After every ``every`` epochs, inspect one fixed batch: activations, weights, gradients, diagnoses.

    Keeps ``snapshots`` (``chainrule.viz.inside.Snapshot``); with ``log_dir`` writes
    ``inside-epoch<N>.png`` there each time (needs matplotlib). ``summary()`` is one line for a report.

    Args:
        x, y: the batch to inspect (a few hundred samples are plenty).
        loss_fn (callable): the training loss.
        log_dir (str or Path, optional): folder for the per-epoch plots. Default: None (no files).
        every (int): inspect every ``every`` epochs. Default: 1.
        transform (callable, optional): applied to ``x`` first (a run's normalisation). Default: None.

    >>> rec = InsideRecorder(X[:256], y[:256], nn.CrossEntropyLoss(), log_dir="runs/inside")  # doctest: +SKIP
    >>> fit(model, loss_fn, opt, (X, y), epochs=5, callbacks=[rec])  # doctest: +SKIP
    >>> print(rec.summary())  # doctest: +SKIP
    """

    def __init__(self, x, y, loss_fn, log_dir=None, every: int = 1, transform=None):
        self.x, self.y, self.loss_fn = x, y, loss_fn
        self.log_dir = None if log_dir is None else Path(log_dir)
        self.every, self.transform = max(int(every), 1), transform
        self.snapshots = []

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        from chainrule.viz.inside import inspect_batch, plot_inside

        x = self.x if self.transform is None else self.transform(self.x)
        self.snapshots.append(inspect_batch(self.model, self.loss_fn, x, self.y, epoch=epoch + 1))
        if self.log_dir is not None:
            plot_inside(self.snapshots, self.log_dir / f"inside-epoch{epoch + 1}.png")

    def summary(self) -> str:
        """The last snapshot's diagnosis in one line (``"no snapshot"`` before the first epoch)."""
        if not self.snapshots:
            return "inside the network: no snapshot yet"
        return f"inside the network (epoch {self.snapshots[-1].epoch}): {self.snapshots[-1].diagnosis()}"
