"""Checkpoint and resume for ``fit``: which file keeps the run, which one to continue from, and the state.

``RunState`` knows where a run is (epoch, step, steps in all) and writes and restores everything that
makes a resumed run continue bitwise as if it had never stopped: the generators, the loader's
position, the running sums, the History and every callback's ``state_dict()``. The model, optimizer
and scheduler are restored by ``read_run``, when the checkpoint is read.
"""

from __future__ import annotations

import os

import numpy as np

import chainrule as cr

from .callbacks.backup_and_restore import BackupAndRestore, read_state


def read_run(path, seed, model, optimizer, scheduler) -> dict:
    """Read the checkpoint at ``path`` once, check its ``seed``, restore the model, optimizer and scheduler.

    The seed must be this ``fit``'s (the data order and generators depend on it). Returns the saved
    run state (for ``RunState.restore``). Nothing is changed when a check fails.
    """
    def same_seed(state):
        if state.get("seed") != seed:
            raise ValueError(f"fit: {path} was written by a fit with seed={state.get('seed')!r}, but this "
                             f"fit has seed={seed!r}; resume with the same arguments as the interrupted run")

    return read_state(path, model, optimizer, scheduler, check=same_seed)


class RunState:
    """Where a ``fit`` is (epoch, step within it, steps in all) and how to save and restore all of it."""

    def __init__(self, model, optimizer, scheduler, loader, running, callbacks, backup, seed, rng_start):
        self.model, self.optimizer, self.scheduler, self.loader = model, optimizer, scheduler, loader
        self.running, self.callbacks, self.backup = running, callbacks, backup
        self.seed, self.rng_start = seed, rng_start
        self.epoch = self.step = self.global_step = 0
        self.epochs = None  # the epochs the fit plans (fit sets it)
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
                "stopped": bool(self.model.stop_training), "epochs": self.epochs,
                "seed": self.seed, "rng_start": self.rng_start,
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
        # resumed with more epochs than planned: an extension (Keras's initial_epoch), so a run that was
        # stopped early (or finished) trains on
        extended = saved.get("epochs") is not None and self.epochs is not None and self.epochs > saved["epochs"]
        self.model.stop_training = saved["stopped"] and not extended
        return saved["logs"] or {}


def checkpoint_backup(checkpoint, checkpoint_every, callbacks):
    """The BackupAndRestore of this fit (from ``checkpoint`` or among ``callbacks``), or None."""
    given = [cb for cb in callbacks if isinstance(cb, BackupAndRestore)]
    if checkpoint is not None and given:
        raise ValueError("fit: pass either checkpoint= or a BackupAndRestore callback, not both")
    if len(given) > 1:
        raise ValueError("fit: only one BackupAndRestore callback can keep the training state")
    if checkpoint_every is not None and (
            isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, (int, np.integer))
            or checkpoint_every < 1):
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


def resume_path(resume, backup):
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
