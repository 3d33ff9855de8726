"""``ProgressBar``: a live bar during each epoch and one summary line per epoch, on stderr."""

from __future__ import annotations

import sys
import time

from chainrule.utils.progress import Bar, is_live

from .base import Callback


def format_logs(logs: dict) -> str:
    """``loss: 0.1234 - accuracy: 0.9500 - lr: 0.001``: losses and metrics with 4 decimals, the rate in %g."""
    parts = []
    for key, value in logs.items():
        if key == "time":  # the epoch line shows the duration already
            continue
        if isinstance(value, float) and key != "lr":
            parts.append(f"{key}: {value:.4f}")
        elif isinstance(value, float):
            parts.append(f"{key}: {value:.3g}")
        else:
            parts.append(f"{key}: {value}")
    return " - ".join(parts)


class ProgressBar(Callback):
    """Show training progress: a live bar with the running loss and accuracy, the time left (ETA) and
    steps per second, then one line per epoch (``chainrule.utils.progress.Bar``, shared with downloads).

    The bar is redrawn at most once per ``interval`` seconds, so it costs nothing noticeable per batch.
    It is live on a terminal and in Jupyter (an IPython kernel; there an ipywidgets bar when ipywidgets is
    installed, which gives way to the epoch's line at its end); when the output is neither (a log file,
    CI), there is no bar, only the epoch lines. ``fit(verbose=...)`` installs one: 0 silent,
    1 bar and lines, 2 lines only.

    Args:
        verbose (int): 0 silent, 1 live bar (on a terminal) and epoch lines, 2 epoch lines only. Default: 1.
        file (file, optional): where to write. Default: ``sys.stderr`` (read when training starts).
        live (bool, optional): force the live bar on (True) or off (False); None decides by
            ``file.isatty()`` or a Jupyter kernel. Default: None.
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
            self._live = is_live(self._out)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.monotonic()
        self._prefix = f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}"
        self._bar = Bar(self.params.get("steps"), self._prefix, "steps", file=self._out, interval=self.interval,
                        width=self.width)
        self._timed = False

    def on_train_batch_end(self, batch, logs=None):
        if not self._live:
            return
        if not self._timed:  # the rate counts from the first step seen (a resumed epoch starts mid-way)
            self._bar.restart(batch + 1)
            self._timed = True
        self._bar.update(batch + 1, format_logs(logs or {}))

    def on_epoch_end(self, epoch, logs=None):
        if self.verbose == 0:
            return
        seconds = time.monotonic() - self._epoch_start
        line = f"{self._prefix} - {seconds:.1f}s - {format_logs(logs or {})}"
        if self._live:
            self._bar.finish(line)
        else:
            self._out.write(line + "\n")
            self._out.flush()
