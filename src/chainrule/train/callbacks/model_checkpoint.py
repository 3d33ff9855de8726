"""``ModelCheckpoint``: save the weights after every epoch, or only when the monitored value improves."""

from __future__ import annotations

import math
import os
import warnings

from .base import Callback, monitor_mode, say


class ModelCheckpoint(Callback):
    """Save the model to a safetensors file at the end of epochs (Keras's ``ModelCheckpoint``).

    Files are written atomically (a crash mid-write leaves the previous file intact) and folders are
    created as needed. With ``save_weights_only=True`` the file holds ``model.state_dict()``
    (``chainrule.io.save_state_dict``; the metadata records the epoch, from 1, and the epoch's logs as
    strings): load it with ``chainrule.io.load_into(model, path)``. With ``False`` it is a full
    training checkpoint (``chainrule.io.save_checkpoint``: weights, optimizer state, and
    ``{"epoch", "logs"}``) to resume from with ``chainrule.io.load_checkpoint``. The model's code is
    never stored (that would need pickle): rebuild the model in code. To continue an interrupted run
    exactly (data order, random generators, callbacks, mid-epoch), use ``fit(..., checkpoint=...)`` or
    ``BackupAndRestore`` instead.

    Args:
        filepath (str or PathLike): where to save; may contain ``str.format`` fields filled from the
            epoch (from 1) and the logs, e.g. ``"ckpt/epoch{epoch:02d}-{val_loss:.4f}.safetensors"``.
        monitor (str): the logs key that decides "best". Default: ``"val_loss"``.
        verbose (int): 1 prints a line when saving. Default: 0.
        save_best_only (bool): save only when ``monitor`` improves on the best value so far (with a
            fixed ``filepath`` the file then always holds the best model). Default: False.
        save_weights_only (bool): save only the weights (True) or also the optimizer's state (False). Default: True.
        mode (str): ``"min"``, ``"max"`` or ``"auto"`` (max for accuracies, min otherwise). Default: ``"auto"``.
        initial_value_threshold (float, optional): with ``save_best_only``, a value to beat before
            the first save. Default: None.

    Attributes:
        best (float): the best monitored value so far.
        last_saved (str or None): the path of the last file written.

    >>> ckpt = ModelCheckpoint("runs/best.safetensors", monitor="val_accuracy", save_best_only=True)
    >>> fit(model, loss_fn, optimizer, train, epochs=20, val_data=val, callbacks=[ckpt])
    """

    def __init__(self, filepath, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = True, mode: str = "auto", initial_value_threshold: float | None = None):
        self.filepath = os.fspath(filepath)
        self.monitor, self.verbose, self.save_best_only = monitor, verbose, save_best_only
        self.save_weights_only = save_weights_only
        self.mode = monitor_mode(mode, monitor, "ModelCheckpoint")
        self.initial_value_threshold = initial_value_threshold
        self.last_saved = None
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        if self.initial_value_threshold is not None:
            self.best = float(self.initial_value_threshold)
        else:
            self.best = math.inf if self.mode == "min" else -math.inf

    def state_dict(self) -> dict:
        return {"best": self.best, "last_saved": self.last_saved}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.last_saved = state["best"], state["last_saved"]

    def _improved(self, value: float) -> bool:
        return value < self.best if self.mode == "min" else value > self.best

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self._format_path(epoch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"ModelCheckpoint: can save the best model only with {self.monitor!r} in the logs; "
                              f"available keys: {sorted(logs)}; skipping", stacklevel=2)
                return
            if not self._improved(current):
                if self.verbose > 0:
                    say(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                say(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, "
                    f"saving to {path}")
            self.best = current
        elif self.verbose > 0:
            say(f"Epoch {epoch + 1}: saving model to {path}")
        self._save(path, epoch, logs)

    def _format_path(self, epoch: int, logs: dict) -> str:
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as e:
            raise KeyError(f"ModelCheckpoint: filepath {self.filepath!r} names {e}, which is not among "
                           f"'epoch' and the logs keys {sorted(logs)}") from None

    def _save(self, path: str, epoch: int, logs: dict) -> None:
        from chainrule import io

        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            metadata = {"epoch": str(epoch + 1), **{k: str(v) for k, v in logs.items()}}
            io.save_state_dict(self.model.state_dict(), path, metadata=metadata)
        else:
            io.save_checkpoint(path, model=self.model, optimizer=self.optimizer,
                               extra={"epoch": epoch + 1, "logs": dict(logs)})
        self.last_saved = path
