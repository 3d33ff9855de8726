"""``Callback`` (the no-op base with Keras's hooks) and ``CallbackList`` (the composite the loop calls).

``fit`` calls the hooks in this order::

    on_train_begin
      on_epoch_begin(epoch)
        on_train_batch_begin(step)      # = on_batch_begin
        on_before_backward(step, loss)  # loss computed, nothing updated yet
        on_train_batch_end(step, logs)  # = on_batch_end; logs hold the epoch's running means
      on_epoch_end(epoch, logs)         # logs: loss, accuracy, val_loss, val_accuracy, lr
    on_train_end(logs)

A callback stops training by setting ``self.model.stop_training = True``; the loop finishes the
current step (or skips its update, when set in ``on_before_backward``), runs validation and
``on_epoch_end``, then stops. Nothing is raised, so every callback sees the final logs.

When ``fit`` resumes from a checkpoint, it calls ``on_train_begin``, then every callback's
``load_state_dict`` with what its ``state_dict()`` returned when the checkpoint was written, then
continues: a run resumed in the middle of an epoch calls ``on_epoch_begin`` of that epoch again.
"""

from __future__ import annotations

import sys


class Callback:
    """Base class of callbacks: every hook is a no-op; override the ones you need.

    Attributes (set by ``fit`` before ``on_train_begin``):
        model (Module): the model being trained; set ``model.stop_training = True`` to stop.
        optimizer (Optimizer): its optimizer (``optimizer.param_groups[0]["lr"]`` is the rate).
        params (dict): ``epochs``, ``steps`` (batches per epoch, or None), ``verbose``, ``batch_size``,
            ``samples`` (training samples, or None).

    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, logs["loss"])
    """

    # Class-level defaults, so subclasses that skip super().__init__() still work.
    model = None
    optimizer = None
    params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_optimizer(self, optimizer) -> None:
        self.optimizer = optimizer

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None):
        """Called once before the first epoch."""

    def on_train_end(self, logs=None):
        """Called once after the last epoch (``logs`` are the last epoch's)."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each epoch (``epoch`` counts from 0)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called after each epoch's training and validation, with the epoch's logs."""

    def on_batch_begin(self, batch, logs=None):
        """Keras's older name of ``on_train_batch_begin``."""

    def on_batch_end(self, batch, logs=None):
        """Keras's older name of ``on_train_batch_end``."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training step (``batch`` counts from 0 within the epoch)."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each optimizer step; ``logs`` hold the running means of the epoch so far."""
        self.on_batch_end(batch, logs)

    def on_before_backward(self, batch, loss):
        """Called when the batch's loss (a float) is known, before ``backward()`` and ``optimizer.step()``.

        Setting ``self.model.stop_training = True`` here skips this step's update (see ``TerminateOnNaN``).
        """

    def state_dict(self) -> dict:
        """What this callback must remember across a resumed run (``fit(..., resume=...)``); default: nothing.

        Plain values (numbers, strings, lists, dicts; infinities are fine) and arrays / Tensors, which
        go into the checkpoint with the model. PyTorch Lightning's name for the same idea.
        """
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore ``state_dict()``; ``fit`` calls it after ``on_train_begin`` when resuming."""


# Hooks a subclass may override; an override of the alias counts as one of the main hook.
_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _overrides(cb: Callback, name: str) -> bool:
    method = getattr(cb, name, None)
    return getattr(method, "__func__", None) is not getattr(Callback, name)


class CallbackList:
    """Several callbacks called as one, in order; ``fit`` builds one around the user's callbacks.

    Batch-level hooks are dispatched only to the callbacks that override them (see ``hooks``), so a
    training run without per-batch callbacks pays nothing per batch.

    Args:
        callbacks (list of Callback, optional): the callbacks. Default: none.
        add_history (bool): append a ``History`` unless one is given. Default: False.
        add_progbar (bool): append a ``ProgressBar`` unless one is given. Default: False.
        model (Module, optional): passed to every callback's ``set_model``.
        optimizer (Optimizer, optional): passed to every callback's ``set_optimizer``.
        **params: passed to every callback's ``set_params`` (epochs, steps, verbose, ...).

    >>> cbs = CallbackList([EarlyStopping()], add_history=True, model=model, epochs=10)
    >>> cbs.history.history
    {}
    """

    def __init__(self, callbacks=None, add_history: bool = False, add_progbar: bool = False,
                 model=None, optimizer=None, **params):
        from .history import History
        from .progress import ProgressBar

        self.callbacks = list(callbacks) if callbacks else []
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"CallbackList: callbacks must be Callback instances, got {type(cb).__name__}")
        self.history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        if add_history and self.history is None:
            self.history = History()
            self.callbacks.append(self.history)
        if add_progbar and not any(isinstance(cb, ProgressBar) for cb in self.callbacks):
            self.callbacks.append(ProgressBar(verbose=params.get("verbose", 1)))
        self.model, self.optimizer, self.params = model, optimizer, params
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_optimizer(optimizer)
            cb.set_params(params)

    def append(self, callback: Callback) -> None:
        callback.set_model(self.model)
        callback.set_optimizer(self.optimizer)
        callback.set_params(self.params)
        self.callbacks.append(callback)

    def hooks(self, name: str) -> list:
        """The bound ``name`` methods of the callbacks that override it (or its Keras alias)."""
        alias = _ALIASES.get(name)
        return [getattr(cb, name) for cb in self.callbacks
                if _overrides(cb, name) or (alias is not None and _overrides(cb, alias))]

    def on_train_begin(self, logs=None):
        for cb in self.callbacks:
            cb.on_train_begin(logs)

    def on_train_end(self, logs=None):
        for cb in self.callbacks:
            cb.on_train_end(logs)

    def on_epoch_begin(self, epoch, logs=None):
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        for cb in self.callbacks:
            cb.on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        for cb in self.callbacks:
            cb.on_train_batch_end(batch, logs)

    def on_before_backward(self, batch, loss):
        for cb in self.callbacks:
            cb.on_before_backward(batch, loss)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)


def monitor_mode(mode: str, monitor: str, where: str) -> str:
    """Resolve Keras's ``mode="auto"``: "max" for accuracy-like metrics, "min" for the rest (losses)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{where}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    name = monitor.removeprefix("val_")
    return "max" if name in ("acc", "accuracy", "auc") or name.endswith(("accuracy", "_acc", "auc")) else "min"


def say(message: str) -> None:
    """Print a callback's message on stderr (beside the progress bar), on a line of its own."""
    print(message, file=sys.stderr, flush=True)
