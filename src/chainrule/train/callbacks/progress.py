"""``ProgressBar``: a live bar during each epoch and one summary line per epoch, on stderr."""

from __future__ import annotations

import shutil
import sys
import time

from .base import Callback


def format_logs(logs: dict) -> str:
    """``loss: 0.1234 - accuracy: 0.9500 - lr: 0.001``: losses and metrics with 4 decimals, the rate in %g."""
    parts = []
    for key, value in logs.items():
        if isinstance(value, float) and key != "lr":
            parts.append(f"{key}: {value:.4f}")
        elif isinstance(value, float):
            parts.append(f"{key}: {value:.3g}")
        else:
            parts.append(f"{key}: {value}")
    return " - ".join(parts)


class ProgressBar(Callback):
    """Show training progress: a live bar with the running loss and accuracy, then one line per epoch.

    The bar is redrawn at most once per ``interval`` seconds, so it costs nothing noticeable per batch.
    When the output is not a terminal (a log file, a notebook capture, CI), there is no bar, only the
    epoch lines. ``fit(verbose=...)`` installs one: 0 silent, 1 bar and lines, 2 lines only.

    Args:
        verbose (int): 0 silent, 1 live bar (on a terminal) and epoch lines, 2 epoch lines only. Default: 1.
        file (file, optional): where to write. Default: ``sys.stderr`` (read when training starts).
        live (bool, optional): force the live bar on (True) or off (False); None decides by
            ``file.isatty()``. Default: None.
        interval (float): minimum seconds between redraws of the bar. Default: 0.1.
        width (int): characters of the bar. Default: 30.

    >>> fit(model, loss_fn, optimizer, (X, y), epochs=2, callbacks=[ProgressBar(verbose=2)], verbose=0)
    Epoch 1/2 - 0.1s - loss: 0.6931 - accuracy: 0.5000 - lr: 0.01
    Epoch 2/2 - 0.1s - loss: 0.5123 - accuracy: 0.8100 - lr: 0.01
    """

    def __init__(self, verbose: int = 1, file=None, live: bool | None = None, interval: float = 0.1, width: int = 30):
        if verbose not in (0, 1, 2):
            raise ValueError(f"ProgressBar: verbose must be 0, 1 or 2, got {verbose!r}")
        self.verbose, self.file, self.live, self.interval, self.width = verbose, file, live, interval, width
        self._out = None
        self._live = False

    def on_train_begin(self, logs=None):
        self._out = self.file if self.file is not None else sys.stderr
        if self.verbose != 1:
            self._live = False
        elif self.live is not None:
            self._live = bool(self.live)
        else:
            isatty = getattr(self._out, "isatty", None)
            self._live = bool(isatty and isatty())
        # a bar wider than the terminal would wrap, and "\r" would then rewrite only its last row
        self._columns = shutil.get_terminal_size(fallback=(10**6, 0)).columns - 1

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self._last_draw = time.monotonic()
        self._prefix = f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}"
        self._drawn = 0

    def on_train_batch_end(self, batch, logs=None):
        if not self._live:
            return
        now = time.monotonic()
        if now - self._last_draw < self.interval:
            return
        self._last_draw = now
        self._draw(f"{self._prefix} {self._bar(batch + 1)} - {format_logs(logs or {})}"[:self._columns])

    def on_epoch_end(self, epoch, logs=None):
        if self.verbose == 0:
            return
        seconds = time.monotonic() - self._epoch_start
        line = f"{self._prefix} - {seconds:.1f}s - {format_logs(logs or {})}"
        if self._live:
            self._draw(line)
            self._out.write("\n")
        else:
            self._out.write(line + "\n")
        self._out.flush()

    def _bar(self, done: int) -> str:
        steps = self.params.get("steps")
        if not steps:
            return f"{done}"
        filled = min(self.width, self.width * done // steps)
        arrow = ">" if filled < self.width else ""
        return f"{done}/{steps} [{'=' * filled}{arrow}{'.' * (self.width - filled - len(arrow))}]"

    def _draw(self, text: str) -> None:
        # \r returns to the line start; padding erases the tail of a longer previous line
        self._out.write("\r" + text.ljust(self._drawn))
        self._out.flush()
        self._drawn = len(text)
