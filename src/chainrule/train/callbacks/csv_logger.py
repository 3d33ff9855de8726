"""``CSVLogger``: one CSV row per epoch with the epoch's logs."""

from __future__ import annotations

import csv
import os

from .base import Callback


class CSVLogger(Callback):
    """Write each epoch's logs as a CSV row: ``epoch`` (from 0) and the keys of the first epoch's logs.

    The header is written from the first row's keys; a key missing in a later epoch is written as
    ``NA``. The file is flushed after every epoch, so it can be watched while training runs.

    Args:
        filename (str or PathLike): the CSV file.
        separator (str): the field separator. Default: ``","``.
        append (bool): append to an existing file (without repeating the header) instead of
            overwriting it. Default: False.

    >>> fit(model, loss_fn, optimizer, data, epochs=5, callbacks=[CSVLogger("runs/log.csv")])
    """

    def __init__(self, filename, separator: str = ",", append: bool = False):
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self.keys = None
        self._file = self._writer = None

    def on_train_begin(self, logs=None):
        # append to a non-empty file: its header is already there
        self._write_header = not (self.append and os.path.isfile(self.filename) and os.path.getsize(self.filename) > 0)
        folder = os.path.dirname(self.filename)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self._file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self.keys, self._writer = None, None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._writer is None:
            self.keys = list(logs)
            self._writer = csv.writer(self._file, delimiter=self.sep, lineterminator="\n")
            if self._write_header:
                self._writer.writerow(["epoch", *self.keys])
        self._writer.writerow([epoch, *(logs.get(k, "NA") for k in self.keys)])
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = self._writer = None
