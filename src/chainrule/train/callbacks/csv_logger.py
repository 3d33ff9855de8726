"""``CSVLogger``: one CSV row per epoch with the epoch's logs."""

from __future__ import annotations

import csv
import errno
import os

from .base import Callback


class CSVLogger(Callback):
    """Write each epoch's logs as a CSV row: ``epoch`` (from 0) and the keys of the first epoch's logs.

    The header is written from the first row's keys; a key missing in a later epoch is written as
    ``NA``. The file is flushed after every epoch, so it can be watched while training runs. A run
    resumed from a checkpoint (``fit(..., resume=...)``) continues the file where the checkpoint was
    written, without repeating epochs.

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
        folder = os.path.dirname(self.filename)
        if folder:
            os.makedirs(folder, exist_ok=True)
        # opened without truncating: a resumed run (load_state_dict) keeps the rows written before its
        # checkpoint, so the file is cut to its length only at the first row
        # never through a symbolic link: truncating the log would cut the link's target, outside the folder
        if os.path.islink(self.filename):
            raise OSError(errno.ELOOP, "is a symbolic link; CSVLogger does not write through links (give the "
                                       "target's path, or remove the link)", self.filename)
        fd = os.open(self.filename, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0), 0o666)
        self._file = open(fd, "a", newline="", encoding="utf-8")
        self._keep = None if self.append else 0  # bytes to keep at the first row; None keeps everything
        self.keys, self._writer = None, None

    def state_dict(self) -> dict:
        if self._file is None:
            return {}
        size = self._file.tell()
        if self._writer is None and self._keep is not None:  # not cut yet: the length it will be cut to
            size = min(size, self._keep)
        return {"size": size, "keys": self.keys}

    def load_state_dict(self, state: dict) -> None:
        # rows written after the checkpoint (before a crash) are dropped: the resumed run writes them again
        if state.get("size") is not None:
            self._keep = state["size"]
            self.keys = state.get("keys")

    def on_epoch_end(self, epoch, logs=None):
        try:
            self._write_row(epoch, logs or {})
        except OSError as e:
            if e.filename is None and e.errno is not None:  # "No space left on device": say which file
                raise OSError(e.errno, e.strerror, self.filename) from e
            raise

    def _write_row(self, epoch, logs):
        if self._writer is None:
            if self._keep is not None and self._keep < os.path.getsize(self.filename):
                self._file.truncate(self._keep)
                self._file.seek(0, os.SEEK_END)
            if self.keys is None:
                self.keys = list(logs)
            self._writer = csv.writer(self._file, delimiter=self.sep, lineterminator="\n")
            if self._file.tell() == 0:  # a new or empty file (with append, the header is already there)
                self._writer.writerow(["epoch", *self.keys])
        self._writer.writerow([epoch, *(logs.get(k, "NA") for k in self.keys)])
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = self._writer = None
