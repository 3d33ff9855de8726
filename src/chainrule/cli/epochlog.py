"""The per-epoch log of a run folder: metrics.csv counts epochs from 1 (as the console and report.md do)
and has a ``time`` column, the wall-clock seconds of each epoch (training and validation)."""

from __future__ import annotations

import time

from chainrule.train.callbacks import Callback, CSVLogger


class EpochTimer(Callback):
    """Put the epoch's wall-clock seconds into its logs as ``time`` (so History and metrics.csv keep it).

    Install it before the loggers: callbacks see the logs in order.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["time"] = round(time.perf_counter() - self._start, 4)


class RunCSVLogger(CSVLogger):
    """``CSVLogger`` whose ``epoch`` column counts from 1, like the console lines and the report."""

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch + 1, logs)
