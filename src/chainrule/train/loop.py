"""``fit``: the lectures' training loop with Keras's callbacks.

Around the loop: checkpoint and resume in resume.py, the non-finite guard in guards.py, the running
means in running.py; ``evaluate`` and ``predict`` are in evaluate.py.

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
import os

import numpy as np

import chainrule as cr

from .callbacks.base import CallbackList
from .callbacks.history import History
from .callbacks.lr_scheduler import LRScheduler
from .callbacks.terminate_on_nan import TerminateOnNaN
from .chain import ChainStep
from .distributed import DataParallelFit, auto_init
from .evaluate import eval_pass
from .guards import FiniteCheck, NonFiniteError  # noqa: F401 - NonFiniteError: also importable from here
from .inputs import fit_loaders, len_or_none, unpack, xy_pairs
from .resume import RunState, checkpoint_backup, read_run, resume_path
from .running import RunningMeans


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

    Numerical faults: by default (``check_finite=True``) every step checks the loss, the gradients and,
    after ``optimizer.step()``, the parameters (one dot product per tensor); a NaN or infinity stops
    training with ``NonFiniteError`` (a ``FloatingPointError``) naming the epoch, the step and the first
    parameter concerned. A bad loss or gradient stops before the update; an update that overflowed by
    itself (an enormous lr, float16 parameters) is rolled back to the last finite values (those of the
    last checkpoint, or of the epoch's start). Either way the parameters end finite and no checkpoint
    ever holds a NaN. (``TerminateOnNaN`` is the softer alternative: it stops without raising.)

    Args:
        model (Module): the model; its output and the targets go to ``loss_fn``.
        loss_fn (callable): ``loss_fn(output, target)``, a mean over the batch (e.g. ``nn.CrossEntropyLoss()``).
        optimizer (Optimizer): updates the parameters.
        train_data: a ``Dataset``, a ``DataLoader`` (or any iterable of ``(x, y)`` batches, used as
            given: ``batch_size``, ``shuffle`` and ``transform`` then do not apply) or a tuple
            ``(X, y)`` of arrays or Tensors (float64 arrays become float32, integer arrays int64).
        epochs (int): the epoch to train up to (a resumed run continues to the same number; a larger one
            extends it, like Keras's ``initial_epoch``, even if it had stopped early). Default: 1.
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
    dp = DataParallelFit(model, optimizer) if auto_init() else None  # under mpirun -n K: see distributed.py
    if dp is not None:
        seed, verbose = dp.seed(seed), (verbose if dp.rank == 0 else 0)
    backup = checkpoint_backup(checkpoint, checkpoint_every, callbacks)
    saved = None
    resume_from = resume_path(resume, backup)
    if resume_from is not None:
        saved = read_run(resume_from, seed, model, optimizer, scheduler)
        cr.set_rng_state(saved["rng_start"])  # the split and the generators are made as the first time
    elif seed is not None:
        cr.manual_seed(seed)
    rng_start = cr.get_rng_state()
    generator = cr.default_generator.spawn() if seed is not None else None  # data order apart from model draws
    train_loader, val_loader, train_set = fit_loaders(train_data, val_data, val_split, batch_size, shuffle,
                                                       transform, generator)
    if train_set is not None and len(train_set) == 0:
        raise ValueError("fit: the training data is empty (0 samples" + (f" after holding out val_split={val_split}"
                         if val_split > 0 else "") + "); give it at least one sample")
    extra = [LRScheduler(scheduler)] if scheduler is not None else []
    callbacks = CallbackList(
        callbacks + extra, add_history=True, add_progbar=verbose > 0, model=model, optimizer=optimizer,
        epochs=epochs, steps=len_or_none(train_loader), verbose=verbose,
        batch_size=getattr(train_loader, "batch_size", batch_size), samples=len_or_none(train_set),
    )
    hooks = [callbacks.hooks(name) for name in ("on_train_batch_begin", "on_before_backward", "on_train_batch_end")]
    run = RunState(model, optimizer, scheduler, train_loader, RunningMeans(metrics), callbacks, backup, seed, rng_start)
    run.epochs = epochs
    guard = FiniteCheck(model, optimizer, backup, scheduler) if check_finite else None
    run.dp = dp
    # an MLP's step without the autograd graph (chain.py: the same bits), where nothing needs the graph
    # (TerminateOnNaN only reads the loss before backward: the chain's backward changes nothing it decides)
    before = [getattr(h, "__self__", None) for h in hooks[1]]
    plain = dp is None and all(type(cb) is TerminateOnNaN for cb in before)
    run.chain = ChainStep.of(model, loss_fn) if plain else None
    run.chain_ready = False  # the first batch of a fit takes the ordinary step (its argument checks)
    if dp is not None and dp.rank != 0:
        run.backup = None  # only rank 0 writes the checkpoint (every rank holds the same state)
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
            if guard is not None:  # the rollback point for an update that overflows
                guard.keep(f"from the start of epoch {epoch + 1}" if run.step == 0
                           else f"from epoch {epoch + 1}, step {run.step} (where this fit resumed)")
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


def _train_epoch(run, loss_fn, hooks, guard, clip_grad_norm) -> dict:
    """One pass of the lectures' loop over the loader (from ``run.step`` on); returns the epoch's means."""
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
        x, y = unpack(batch, "fit")
        if run.dp is not None:
            x, y = run.dp.shard(x, y)
        for hook in batch_begin:
            hook(step, None)
        chained = None
        if run.chain_ready:
            optimizer.zero_grad()
            chained = run.chain(x, y)  # forward and backward at once, or None: the ordinary step
        if chained is None:
            output = model(x)
            loss = loss_fn(output, y)
            loss_value = loss.item()
        else:
            output, loss_value = chained
        if run.dp is None:
            running.update(loss_value, output, y)
        else:  # the whole batch's loss and metrics, on every rank
            loss_value = run.dp.update(running, loss_value, output, y)
        if before_backward:
            for hook in before_backward:
                hook(step, loss_value)
            if model.stop_training:  # e.g. a NaN loss: skip this update
                break
        if guard is not None:
            guard.loss(loss_value, epoch, step)
        if chained is None:
            optimizer.zero_grad()
            loss.backward()
        if run.dp is not None:
            run.dp.average_gradients()
        if guard is not None:  # before clipping: one NaN would make the norm, and so every gradient, NaN
            guard.gradients(loss_value, epoch, step)
        if clipped is not None:
            cr.nn.utils.clip_grad_norm_(clipped, clip_grad_norm)
        optimizer.step()
        if guard is not None:  # the update itself can overflow (a huge lr, float16 parameters)
            guard.parameters(epoch, step)
        run.step, run.global_step = step + 1, run.global_step + 1
        run.chain_ready = run.chain is not None
        if batch_end:
            running.means(into=batch_logs)
            for hook in batch_end:
                hook(step, batch_logs)
            if model.stop_training:
                break
        if save_every is not None and run.global_step % save_every == 0:
            run.save()
            if guard is not None:
                guard.keep(f"from the checkpoint of epoch {epoch + 1}, step {step + 1}")
    if running.n == 0:  # an iterable of batches that gave none
        raise ValueError(f"fit: the training data gave no batches in epoch {epoch + 1}; an empty loader (or a "
                         "one-shot iterator, used up in an earlier epoch) cannot be trained on")
    return running.means()


def _validate(model, loader, loss_fn, metrics) -> dict:
    running = RunningMeans((), metrics)
    def update(output, y):
        running.update(loss_fn(output, y).item(), output, y)

    eval_pass(model, xy_pairs(loader, "validation"), update)
    return running.means(prefix="val_")
