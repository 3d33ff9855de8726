"""``BackupAndRestore``: a training checkpoint that lets an interrupted ``fit`` continue exactly (Keras's callback)."""

from __future__ import annotations

import os

import numpy as np

from .base import Callback

_ARRAY = "__array__"  # placeholder for an array inside the saved state: {"__array__": "<name in the file>"}


class BackupAndRestore(Callback):
    """Keep the whole training state in one file, so that a killed run resumes as if it never stopped.

    ``fit`` writes the checkpoint at the end of every epoch and, with ``save_freq=N``, also after every
    N optimizer steps (counted over the whole run), each time after all other callbacks have run, so
    that it is consistent. The file is a safetensors checkpoint (``chainrule.io.save_checkpoint``),
    written atomically: a crash while writing leaves the previous checkpoint intact. When ``fit``
    starts and the file exists, it restores it and continues from there (Keras's behaviour). A resumed
    run gives bitwise the same parameters and per-step losses as one that was never interrupted.

    The checkpoint holds the model's parameters and buffers, the optimizer's state, the scheduler
    given to ``fit``, the epoch and the step within it, chainrule's global generator (dropout, random
    init) and the loader's generator (shuffling, augmentation) with the epoch's order and batch index
    (``DataLoader.state_dict()``), the epoch's running loss and metric sums, the ``History`` and every
    callback's ``state_dict()`` (EarlyStopping's best weights, ReduceLROnPlateau's patience count,
    CSVLogger's position, ...). The model's code is not stored: build the same model, optimizer and
    callbacks, then call ``fit`` again with the same arguments.

    ``fit(..., checkpoint=path, checkpoint_every=N, resume=...)`` is the shorthand (there the file is
    kept at the end, and resuming is asked for explicitly).

    Args:
        filepath (str or PathLike): the checkpoint file, e.g. ``"runs/a/checkpoint.safetensors"``.
        save_freq (str or int): ``"epoch"`` saves at the end of every epoch; an int N also saves every
            N steps (batches). Default: ``"epoch"``.
        delete_checkpoint (bool): delete the file when ``fit`` finishes normally (Keras's default), so
            that the next run starts afresh. Default: True.

    >>> backup = BackupAndRestore("ckpt/run.safetensors", save_freq=100)
    >>> fit(model, loss_fn, optimizer, train, epochs=20, seed=0, callbacks=[backup])   # killed in epoch 7 ...
    >>> fit(model, loss_fn, optimizer, train, epochs=20, seed=0, callbacks=[backup])   # ... continues in epoch 7
    """

    def __init__(self, filepath, save_freq="epoch", delete_checkpoint: bool = True):
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, (int, np.integer))
                                     or save_freq < 1):
            raise ValueError(f"BackupAndRestore: save_freq must be 'epoch' or a positive number of steps, "
                             f"got {save_freq!r}")
        self.filepath = os.fspath(filepath)
        self.save_freq, self.delete_checkpoint = save_freq, delete_checkpoint
        self.restore = True  # resume from an existing file (fit's checkpoint=path sets False)
        self.saved = False  # whether this run has written the file

    @property
    def every(self) -> int | None:
        """Steps between checkpoints within an epoch, or None."""
        return None if self.save_freq == "epoch" else int(self.save_freq)

    def save(self, state: dict, model=None, optimizer=None, scheduler=None) -> None:
        """Write ``state`` (a nested dict; arrays and Tensors anywhere in it) with the model, optimizer and scheduler."""
        from chainrule.io import save_checkpoint

        folder = os.path.dirname(self.filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        arrays: dict = {}
        plain = _take_arrays(state, arrays)
        save_checkpoint(self.filepath, model=model, optimizer=optimizer, scheduler=scheduler,
                        extra={"fit": plain}, arrays=arrays)
        self.saved = True

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.filepath):
            os.remove(self.filepath)


def read_state(path, model=None, optimizer=None, scheduler=None, check=None) -> dict:
    """The state saved by ``BackupAndRestore.save``, restoring the model, optimizer and scheduler on the way.

    Without objects, only the file's description is read (nothing is restored). ``check(state)`` is
    called with the saved state (its arrays not yet read) before anything is restored; raise in it
    to refuse the file. The file is read once.
    """
    from chainrule.io import load_checkpoint

    def verify(extra):
        if not isinstance(extra.get("fit"), dict):
            raise ValueError(f"{os.fspath(path)} is a checkpoint, but not one written by fit(checkpoint=...) or "
                             "BackupAndRestore: it has no training state to resume from; load its weights with "
                             "chainrule.io.load_checkpoint instead")
        if check is not None:
            check(extra["fit"])

    if model is None and optimizer is None and scheduler is None:
        extra, arrays = load_checkpoint(path, check=verify), {}
    else:
        extra, arrays = load_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler,
                                        return_arrays=True, check=verify)
    return _put_arrays(extra["fit"], arrays)


def _take_arrays(value, arrays: dict):
    """``value`` with every array / Tensor replaced by a placeholder; the arrays go into ``arrays``."""
    if isinstance(value, dict):
        return {k: _take_arrays(v, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_take_arrays(v, arrays) for v in value)
    data = getattr(value, "_data", value)
    if isinstance(data, np.ndarray):
        name = str(len(arrays))
        arrays[name] = data
        return {_ARRAY: name}
    return value


def _put_arrays(value, arrays: dict):
    if isinstance(value, dict):
        if set(value) == {_ARRAY}:
            return arrays.get(value[_ARRAY])  # None when the arrays were not read
        return {k: _put_arrays(v, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_put_arrays(v, arrays) for v in value)
    return value
