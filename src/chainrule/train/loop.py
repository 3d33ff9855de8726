"""``fit``: the lectures' training loop with Keras's callbacks (``evaluate`` and ``predict`` are in evaluate.py).

Each training step is exactly the loop on the slides::

    model.train()
    for x, y in loader:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

plus bookkeeping that stays cheap: the loss is read once per batch with ``.item()``, accuracy is
counted with NumPy on the raw arrays, and per-batch callbacks are called only if one overrides a
per-batch hook. Validation runs in ``model.eval()`` under ``no_grad()``.
"""

from __future__ import annotations

import itertools
import math
import os

import numpy as np

import chainrule as cr

from .callbacks.backup_and_restore import BackupAndRestore, read_state
from .callbacks.base import CallbackList
from .callbacks.lr_scheduler import LRScheduler
from .evaluate import _eval_pass
from .history import History
from .inputs import _fit_loaders, _len_or_none, _pairs, _unpack
from .metrics import accuracy_applies, correct_and_total


def fit(model, loss_fn, optimizer, train_data, epochs: int = 1, *, val_data=None, val_split: float = 0.0,
        batch_size: int = 32, callbacks=None, metrics=("accuracy",), seed: int | None = None,
        shuffle: bool = True, verbose: int = 1, transform=None, scheduler=None, checkpoint=None,
        checkpoint_every: int | None = None, resume=None, check_finite: bool = True,
        clip_grad_norm: float | None = None) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_data``; return the ``History`` of the epochs' logs.

    Every epoch's ``logs`` (given to ``on_epoch_end`` and recorded in the History) hold ``loss``, the
    metrics (``accuracy``), ``val_loss`` and ``val_`` metrics when there is validation data, and ``lr``
    (the first param group's rate during the epoch). Losses and metrics are means over the samples
    (batches weighted by their size). The model's training mode is restored at the end.

    Checkpoints and resuming: with ``checkpoint=path``, the whole training state (weights, optimizer,
    scheduler, epoch and step, every random generator with the data order, callbacks, history; see
    ``BackupAndRestore``) is written atomically to one file at the end of every epoch and every
    ``checkpoint_every`` steps. ``resume=path`` (or ``resume=True``: the ``checkpoint`` file, if it
    exists) continues such a run, also one killed in the middle of an epoch: call ``fit`` with the same
    arguments on a freshly built model, optimizer and callbacks. The resumed run ends with bitwise the
    same parameters, losses and logs as one that was never interrupted.

    Numerical faults: by default (``check_finite=True``) every step checks the loss and then the
    gradients (one dot product per parameter); a NaN or infinity stops training before ``optimizer.step()``
    with ``NonFiniteError`` (a ``FloatingPointError``) naming the epoch, the step and the first
    parameter whose gradient is not finite. The parameters keep their last finite values and the
    last checkpoint stays as it was. (``TerminateOnNaN`` is the softer alternative: it stops without
    raising.)

    Args:
        model (Module): the model; its output and the targets go to ``loss_fn``.
        loss_fn (callable): ``loss_fn(output, target)``, a mean over the batch (e.g. ``nn.CrossEntropyLoss()``).
        optimizer (Optimizer): updates the parameters.
        train_data: a ``Dataset``, a ``DataLoader`` (or any iterable of ``(x, y)`` batches, used as
            given: ``batch_size``, ``shuffle`` and ``transform`` then do not apply) or a tuple
            ``(X, y)`` of arrays or Tensors (float64 arrays become float32, integer arrays int64).
        epochs (int): the epoch to train up to (a resumed run continues to the same number). Default: 1.
        val_data: validation data, in the same forms. Default: None.
        val_split (float): fraction of ``train_data`` (a Dataset or ``(X, y)``) held out for validation:
            ``random_split`` with a permutation drawn from ``seed``; the held-out part is
            ``round(n * val_split)`` samples. Not together with ``val_data``. Default: 0.
        batch_size (int): samples per training batch. Default: 32.
        callbacks (list of Callback, optional): see ``chainrule.train.callbacks``. Default: None.
        metrics (sequence): ``"accuracy"`` and/or functions ``f(y_pred, y_true) -> float``. Accuracy
            is left out when the targets are not classes (a regression). Default: ``("accuracy",)``.
        seed (int, optional): makes the run repeatable: seeds the split and the shuffling (a private
            generator) and chainrule's global generator (Dropout, random transforms). Default: None
            (draws from the global generator).
        shuffle (bool): reshuffle the training data every epoch. Default: True.
        verbose (int): 0 silent, 1 a progress bar (on a terminal) and a line per epoch, 2 a line per
            epoch. Default: 1.
        transform (callable, optional): batch transform of the training inputs (augmentation). Default: None.
        scheduler (LRScheduler, optional): a ``chainrule.optim.lr_scheduler`` scheduler stepped after
            every epoch (after every batch for ``OneCycleLR``). Default: None.
        checkpoint (str, PathLike or BackupAndRestore, optional): where to keep the training
            checkpoint (a safetensors file); it stays after training. Default: None.
        checkpoint_every (int, optional): also write the checkpoint every this many steps (batches,
            counted over the run), besides the end of every epoch. Default: None.
        resume (str, PathLike or bool, optional): a checkpoint to continue from; ``True`` continues
            from ``checkpoint`` if that file exists and starts afresh otherwise. Default: None (a
            ``BackupAndRestore`` among ``callbacks`` resumes from its file if it exists, as in Keras).
        check_finite (bool): stop with ``NonFiniteError`` before an update from a non-finite loss or
            gradient. Default: True.
        clip_grad_norm (float, optional): rescale the gradients to this total norm at most before every
            step (``nn.utils.clip_grad_norm_``). Default: None.

    Returns:
        History: ``history.history["loss"]`` etc., one value per epoch; ``history.epoch``; ``history.params``.

    Raises:
        NonFiniteError: a loss or gradient was NaN or infinite (with ``check_finite=True``).

    >>> model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    >>> optimizer = optim.Adam(model.parameters(), lr=1e-2)
    >>> history = fit(model, nn.CrossEntropyLoss(), optimizer, (X, y), epochs=20, val_split=0.2, seed=0)
    >>> history.history["val_accuracy"][-1]
    0.975
    >>> fit(model, loss_fn, optimizer, (X, y), epochs=20, seed=0, checkpoint="run/ckpt.safetensors",
    ...     checkpoint_every=100)                                # killed in epoch 12 ...
    >>> fit(model, loss_fn, optimizer, (X, y), epochs=20, seed=0, checkpoint="run/ckpt.safetensors",
    ...     checkpoint_every=100, resume=True)                   # ... continues in epoch 12, step for step
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative int, got {epochs!r}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"fit: verbose must be 0, 1 or 2, got {verbose!r}")
    if not 0 <= val_split < 1:
        raise ValueError(f"fit: val_split must be in [0, 1), got {val_split}")
    if clip_grad_norm is not None and not clip_grad_norm > 0:
        raise ValueError(f"fit: clip_grad_norm must be a positive number, got {clip_grad_norm!r}")
    callbacks = list(callbacks or [])
    backup = _backup(checkpoint, checkpoint_every, callbacks)
    saved = None
    resume_from = _resume_path(resume, backup)
    if resume_from is not None:
        saved = read_state(resume_from)  # checked before anything is changed
        if saved.get("seed") != seed:
            raise ValueError(f"fit: {resume_from} was written by a fit with seed={saved.get('seed')!r}, but this "
                             f"fit has seed={seed!r}; resume with the same arguments as the interrupted run")
        saved = read_state(resume_from, model, optimizer, scheduler)
        cr.set_rng_state(saved["rng_start"])  # the split and the generators are made as the first time
    elif seed is not None:
        cr.manual_seed(seed)
    rng_start = cr.get_rng_state()
    generator = cr.default_generator.spawn() if seed is not None else None  # data order apart from model draws
    train_loader, val_loader, train_set = _fit_loaders(train_data, val_data, val_split, batch_size, shuffle,
                                                        transform, generator)
    if train_set is not None and len(train_set) == 0:
        raise ValueError("fit: the training data is empty (0 samples" + (f" after holding out val_split={val_split}"
                         if val_split > 0 else "") + "); give it at least one sample")
    extra = [LRScheduler(scheduler)] if scheduler is not None else []
    callbacks = CallbackList(
        callbacks + extra, add_history=True, add_progbar=verbose > 0, model=model, optimizer=optimizer,
        epochs=epochs, steps=_len_or_none(train_loader), verbose=verbose,
        batch_size=getattr(train_loader, "batch_size", batch_size), samples=_len_or_none(train_set),
    )
    hooks = [callbacks.hooks(name) for name in ("on_train_batch_begin", "on_before_backward", "on_train_batch_end")]
    run = _Run(model, optimizer, scheduler, train_loader, _Running(metrics), callbacks, backup, seed, rng_start)
    guard = _FiniteCheck(model, optimizer, backup) if check_finite else None
    was_training = model.training
    model.stop_training = False
    logs: dict = {}
    try:
        callbacks.on_train_begin()
        if saved is not None:
            try:
                logs = run.restore(saved)
            except ValueError as e:  # a loader or generator state the checks above let through
                raise ValueError(f"{os.fspath(resume_from)}: the training state cannot be restored ({e})") from e
        while run.epoch < epochs and not model.stop_training:
            epoch = run.epoch
            callbacks.on_epoch_begin(epoch)
            logs = _train_epoch(run, loss_fn, hooks, guard, clip_grad_norm)
            if val_loader is not None:
                logs.update(_validate(model, val_loader, loss_fn, run.running.metrics))
            logs["lr"] = float(optimizer.param_groups[0]["lr"])
            callbacks.on_epoch_end(epoch, logs)
            run.epoch, run.step = epoch + 1, 0
            run.save(logs)
        callbacks.on_train_end(logs)
    finally:
        model.train(was_training)
    return callbacks.history


class NonFiniteError(FloatingPointError):
    """``fit`` met a NaN or infinite loss or gradient and stopped before the optimizer step.

    Attributes:
        epoch, step (int): where (from 0; the message counts from 1).
        parameter (str or None): the name (as in ``named_parameters()``) of the first parameter with a
            non-finite gradient; None when the loss itself was not finite.
    """

    def __init__(self, message: str, epoch: int, step: int, parameter: str | None = None):
        super().__init__(message)
        self.epoch, self.step, self.parameter = epoch, step, parameter


class _FiniteCheck:
    """The cheap per-step check: one dot product per gradient, added up and tested once; names only on failure.

    ``vdot(g, g)`` (the sum of squares, a SIMD BLAS call) is NaN or inf if any element of ``g`` is, and
    is 2.5x faster than ``g.sum()``; it can overflow for finite gradients above ~1e19, and then the
    slow path below finds every gradient finite and lets the step go on.
    """

    def __init__(self, model, optimizer, backup=None):
        names = {id(p): name for name, p in model.named_parameters()}
        self.optimizer, self.backup = optimizer, backup
        self.params = [p for group in optimizer.param_groups for p in group["params"]]
        self.names = [names.get(id(p), f"param_groups[{i}]['params'][{j}]")
                      for i, group in enumerate(optimizer.param_groups) for j, p in enumerate(group["params"])]

    def loss(self, value: float, epoch: int, step: int) -> None:
        if not math.isfinite(value):
            raise NonFiniteError(f"fit: the loss is {value} at epoch {epoch + 1}, step {step + 1}; " + self._advice(),
                                 epoch, step)

    def gradients(self, loss: float, epoch: int, step: int) -> None:
        total = 0.0
        for p in self.params:
            g = p.grad
            if g is not None:
                total += np.vdot(g._data, g._data)  # a NaN or inf anywhere makes it NaN or inf
        if math.isfinite(total):
            return
        for name, p in zip(self.names, self.params):
            g = p.grad
            if g is not None and not np.isfinite(g._data).all():
                bad = g._data[~np.isfinite(g._data)]
                kinds = ", ".join(sorted({"nan" if np.isnan(v) else "inf" for v in bad[:1000].tolist()}))
                raise NonFiniteError(
                    f"fit: the gradient of parameter {name!r} (shape {tuple(g.shape)}) has {bad.size} non-finite "
                    f"values ({kinds}) at epoch {epoch + 1}, step {step + 1}, with a finite loss ({loss:.6g}); "
                    + self._advice() + " chainrule.autograd.detect_anomaly() shows the op that made it.",
                    epoch, step, name)
        # else: finite gradients whose float32 sum of squares overflowed; nothing is wrong

    def _advice(self) -> str:
        lr = self.optimizer.param_groups[0].get("lr")
        rate = f" (lr={float(lr):.3g})" if isinstance(lr, (int, float)) else ""
        kept = f" and the last checkpoint, {self.backup.filepath}, is as it was" if self.backup is not None else ""
        return (f"training stopped before this step's update: the parameters keep their last finite values{kept}. "
                f"Try a lower learning rate{rate}, e.g. 10x smaller, or gradient "
                "clipping (fit(..., clip_grad_norm=1.0)); check the inputs for NaN/inf and the loss for log(0). "
                "fit(..., check_finite=False) turns this check off.")


class _Run:
    """Where a ``fit`` is (epoch, step within it, steps in all) and how to save and restore all of it."""

    def __init__(self, model, optimizer, scheduler, loader, running, callbacks, backup, seed, rng_start):
        self.model, self.optimizer, self.scheduler, self.loader = model, optimizer, scheduler, loader
        self.running, self.callbacks, self.backup = running, callbacks, backup
        self.seed, self.rng_start = seed, rng_start
        self.epoch = self.step = self.global_step = 0
        self.save_every = backup.every if backup is not None else None

    def state(self, logs: dict | None = None) -> dict:
        loader = self.loader.state_dict() if hasattr(self.loader, "state_dict") else None
        if loader is not None and self.step == 0 and loader.get("batches_done"):
            # the epoch ended early (stop_training): the next epoch starts a new pass
            loader = {k: v for k, v in loader.items() if k not in ("order", "pass_start")} | {"batches_done": 0}
        history = self.callbacks.history
        states, seen = [], {}
        for cb in self.callbacks:
            name = type(cb).__name__
            seen[name] = seen.get(name, -1) + 1
            state = cb.state_dict()
            if state:
                states.append({"class": name, "index": seen[name], "state": state})
        return {"epoch": self.epoch, "step": self.step, "global_step": self.global_step,
                "stopped": bool(self.model.stop_training), "seed": self.seed, "rng_start": self.rng_start,
                "rng": cr.get_rng_state(), "loader": loader,
                "running": self.running.state() if self.step else None,
                "history": {"history": history.history, "epoch": history.epoch}, "callbacks": states,
                "logs": logs}

    def save(self, logs: dict | None = None) -> None:
        if self.backup is not None:
            self.backup.save(self.state(logs), self.model, self.optimizer, self.scheduler)

    def restore(self, saved: dict) -> dict:
        """Put everything but the model, optimizer and scheduler (restored already) back; return the last logs."""
        self.epoch, self.step, self.global_step = saved["epoch"], saved["step"], saved["global_step"]
        if saved["loader"] is not None:
            if not hasattr(self.loader, "load_state_dict"):
                raise ValueError("fit: the checkpoint holds a DataLoader's position, but train_data is a "
                                 f"{type(self.loader).__name__}; resume with the same train_data")
            self.loader.load_state_dict(saved["loader"])
        if saved["running"] is not None:
            self.running.load(saved["running"])
        history = self.callbacks.history
        history.history, history.epoch = saved["history"]["history"], saved["history"]["epoch"]
        states = {(s["class"], s["index"]): s["state"] for s in saved["callbacks"]}
        seen: dict = {}
        for cb in self.callbacks:
            name = type(cb).__name__
            seen[name] = seen.get(name, -1) + 1
            if (name, seen[name]) in states:
                cb.load_state_dict(states[name, seen[name]])
        cr.set_rng_state(saved["rng"])
        self.model.stop_training = saved["stopped"]
        return saved["logs"] or {}


def _backup(checkpoint, checkpoint_every, callbacks):
    """The BackupAndRestore of this fit (from ``checkpoint`` or among ``callbacks``), or None."""
    given = [cb for cb in callbacks if isinstance(cb, BackupAndRestore)]
    if checkpoint is not None and given:
        raise ValueError("fit: pass either checkpoint= or a BackupAndRestore callback, not both")
    if len(given) > 1:
        raise ValueError("fit: only one BackupAndRestore callback can keep the training state")
    if checkpoint_every is not None and (isinstance(checkpoint_every, bool)
                                         or not isinstance(checkpoint_every, (int, np.integer)) or checkpoint_every < 1):
        raise ValueError(f"fit: checkpoint_every must be a positive number of steps, got {checkpoint_every!r}")
    if checkpoint is None:
        if checkpoint_every is not None:
            raise ValueError("fit: checkpoint_every needs checkpoint= (the file to write), e.g. "
                             "fit(..., checkpoint='run/ckpt.safetensors', checkpoint_every=100)")
        return given[0] if given else None
    if isinstance(checkpoint, BackupAndRestore):
        backup = checkpoint
    elif isinstance(checkpoint, (str, os.PathLike)):
        backup = BackupAndRestore(checkpoint, save_freq=checkpoint_every or "epoch", delete_checkpoint=False)
        backup.restore = False
        return backup  # not a callback of the run: fit saves it itself
    else:
        raise TypeError(f"fit: checkpoint must be a file path or a BackupAndRestore, got {type(checkpoint).__name__}")
    if checkpoint_every is not None:
        raise ValueError("fit: give the BackupAndRestore its own save_freq instead of checkpoint_every")
    callbacks.append(backup)
    return backup


def _resume_path(resume, backup):
    """The checkpoint to continue from, or None to start afresh."""
    if resume is None:
        resume = backup is not None and backup.restore
    if resume is False:
        return None
    if resume is True:
        if backup is None:
            raise ValueError("fit: resume=True continues from checkpoint=..., which is not given; pass the "
                             "checkpoint file as resume=path")
        return backup.filepath if os.path.exists(backup.filepath) else None
    if not isinstance(resume, (str, os.PathLike)):
        raise TypeError(f"fit: resume must be a checkpoint file path or a bool, got {type(resume).__name__}")
    if not os.path.isfile(resume):
        raise FileNotFoundError(f"fit: resume={os.fspath(resume)!r}: no such checkpoint file")
    return resume


def _train_epoch(run, loss_fn, hooks, guard, clip_grad_norm) -> dict:
    """One pass of the lectures' loop over the loader (from ``run.step`` on); returns the epoch's mean loss and metrics."""
    model, optimizer, running, epoch = run.model, run.optimizer, run.running, run.epoch
    batch_begin, before_backward, batch_end = hooks
    model.train()
    loader = run.loader
    if run.step == 0:
        running.reset()
    elif not hasattr(loader, "state_dict"):  # a plain iterable of batches: assumed to repeat every epoch
        loader = itertools.islice(loader, run.step, None)
    clipped = None if clip_grad_norm is None else [p for g in optimizer.param_groups for p in g["params"]]
    save_every = run.save_every
    batch_logs: dict = {}  # reused: per-batch callbacks get the running means in place
    for step, batch in enumerate(loader, run.step):
        x, y = _unpack(batch, "fit")
        for hook in batch_begin:
            hook(step, None)
        output = model(x)
        loss = loss_fn(output, y)
        loss_value = loss.item()
        running.update(loss_value, output, y)
        if before_backward:
            for hook in before_backward:
                hook(step, loss_value)
            if model.stop_training:  # e.g. a NaN loss: skip this update
                break
        if guard is not None:
            guard.loss(loss_value, epoch, step)
        optimizer.zero_grad()
        loss.backward()
        if guard is not None:  # before clipping: one NaN would make the norm, and so every gradient, NaN
            guard.gradients(loss_value, epoch, step)
        if clipped is not None:
            cr.nn.utils.clip_grad_norm_(clipped, clip_grad_norm)
        optimizer.step()
        run.step, run.global_step = step + 1, run.global_step + 1
        if batch_end:
            running.means(into=batch_logs)
            for hook in batch_end:
                hook(step, batch_logs)
            if model.stop_training:
                break
        if save_every is not None and run.global_step % save_every == 0:
            run.save()
    if running.n == 0:  # an iterable of batches that gave none
        raise ValueError(f"fit: the training data gave no batches in epoch {epoch + 1}; an empty loader (or a "
                         "one-shot iterator, used up in an earlier epoch) cannot be trained on")
    return running.means()


class _Running:
    """Sample-weighted sums of the loss and the metrics over one pass; metrics resolved on the first batch."""

    def __init__(self, requested, resolved=None):
        self.requested = requested
        self.metrics = resolved  # [(name, fn)], fn None for accuracy
        self.reset()

    def reset(self) -> None:
        self.n, self.loss = 0, 0.0
        self.sums = self.counts = None

    def update(self, loss_value: float, output, y) -> None:
        n = len(y)
        self.n += n
        self.loss += loss_value * n
        if self.metrics is None:
            self.metrics = _resolve_metrics(self.requested, output, y)
        if self.sums is None:
            self.sums, self.counts = [0.0] * len(self.metrics), [0] * len(self.metrics)
        for i, (_, fn) in enumerate(self.metrics):
            if fn is None:
                correct, total = correct_and_total(output, y)
                self.sums[i] += correct
                self.counts[i] += total
            else:
                self.sums[i] += float(fn(output.detach(), y)) * n
                self.counts[i] += n

    def state(self) -> dict:
        return {"n": self.n, "loss": self.loss, "sums": self.sums, "counts": self.counts,
                "metrics": None if self.metrics is None else [name for name, _ in self.metrics]}

    def load(self, state: dict) -> None:
        self.n, self.loss, self.sums, self.counts = state["n"], state["loss"], state["sums"], state["counts"]
        if state["metrics"] is not None:  # as resolved on the first batch before the checkpoint
            requested = self.requested if isinstance(self.requested, (list, tuple)) else ()
            functions = {getattr(m, "__name__", type(m).__name__): m for m in requested if callable(m)}
            self.metrics = [(name, functions.get(name)) for name in state["metrics"]]

    def means(self, prefix: str = "", into: dict | None = None) -> dict:
        logs = {} if into is None else into
        logs[prefix + "loss"] = self.loss / self.n if self.n else float("nan")
        for i, (name, _) in enumerate(self.metrics or ()):
            logs[prefix + name] = self.sums[i] / self.counts[i] if self.sums and self.counts[i] else float("nan")
        return logs


def _resolve_metrics(requested, output, y) -> list:
    if isinstance(requested, str):
        requested = (requested,)
    resolved = []
    for metric in requested or ():
        if metric in ("accuracy", "acc"):
            if accuracy_applies(output, y):
                resolved.append(("accuracy", None))
        elif callable(metric):
            resolved.append((getattr(metric, "__name__", type(metric).__name__), metric))
        else:
            raise ValueError(f"fit: unknown metric {metric!r}; use 'accuracy' or a function f(y_pred, y_true) -> float")
    return resolved


def _validate(model, loader, loss_fn, metrics) -> dict:
    running = _Running((), metrics)
    def update(output, y):
        running.update(loss_fn(output, y).item(), output, y)

    _eval_pass(model, _pairs(loader, "validation"), update)
    return running.means(prefix="val_")
