"""``MonitorCallback``: the base of callbacks that watch one value of the epoch logs (Keras's ``monitor``)."""

from __future__ import annotations

import warnings

from .base import Callback, monitor_mode


class MonitorCallback(Callback):
    """Watch ``logs[monitor]`` at the end of epochs: the direction of "better", ``min_delta`` and a missing key.

    ``EarlyStopping`` and ``ReduceLROnPlateau`` build on it. A subclass calls
    ``super().__init__(monitor, mode, min_delta)``, keeps its best value in ``self.best`` and, in
    ``on_epoch_end``, reads ``current = self.get_monitor_value(logs)`` (None, with a one-time warning,
    when the logs lack the key) and asks ``self.is_improvement(current, self.best)``.

    Args:
        monitor (str): the logs key to watch, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        mode (str): ``"min"``, ``"max"`` or ``"auto"`` (max for accuracies, min otherwise).
        min_delta (float): smallest change that counts as an improvement (its sign is ignored).

    >>> class PrintBest(MonitorCallback):
    ...     def __init__(self):
    ...         super().__init__("val_loss", "auto", 0.0)
    ...         self.best = None
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         current = self.get_monitor_value(logs)
    ...         if current is not None and self.is_improvement(current, self.best):
    ...             self.best = current
    ...             print(epoch, current)
    """

    def __init__(self, monitor: str, mode: str, min_delta: float):
        self.monitor = monitor
        self.mode = monitor_mode(mode, monitor, type(self).__name__)
        self.min_delta = abs(min_delta)
        self._warned = False

    def get_monitor_value(self, logs) -> float | None:
        """``logs[monitor]``, or None (warning once per callback) when the logs lack it."""
        current = (logs or {}).get(self.monitor)
        if current is None and not self._warned:
            warnings.warn(f"{type(self).__name__} is conditioned on {self.monitor!r}, which is not in the logs; "
                          f"available keys: {sorted(logs or {})}", stacklevel=3)
            self._warned = True
        return current

    def is_improvement(self, value: float, reference: float | None) -> bool:
        """Whether ``value`` beats ``reference`` by more than ``min_delta`` (anything beats None)."""
        if reference is None:
            return True
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference
