"""``chainrule search --optuna``: Optuna's TPE sampler with median pruning on the per-epoch validation
metric, the study in SQLite in the search folder (running the search again resumes it) and ``--jobs N``
worker processes with one BLAS thread each.

Trials are the same as in a grid search (``chainrule train`` with early stopping, one folder each
under ``trials/``); a trial whose validation curve falls below the median of the earlier trials at
the same epoch is stopped (pruned). The winner (best completed trial) is retrained from its
configuration and seed in the main process into ``best/`` and evaluated once on the test set. With
``jobs=1`` a seeded search repeats exactly; with several workers the proposals depend on which
trials finish first.
"""

from __future__ import annotations

import os
import shutil

from chainrule.train.callbacks import Callback

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _optuna():
    try:
        import optuna
    except ImportError as e:
        raise ImportError("chainrule search --optuna needs Optuna: pip install chainrule[optuna]") from e
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


class _Pruning(Callback):
    """Report the epoch's validation metric to the Optuna trial; stop training when it says prune."""

    def __init__(self, trial, metric):
        self.trial, self.metric, self.pruned = trial, metric, False

    def on_epoch_end(self, epoch, logs=None):
        self.trial.report(float(logs[self.metric]), epoch)
        if self.trial.should_prune():
            self.pruned = True
            self.model.stop_training = True


def _study(optuna, spec, storage, worker: int):
    return optuna.create_study(
        study_name="search", storage=storage, load_if_exists=True,
        direction="maximize" if spec["metric"] == "val_accuracy" else "minimize",
        sampler=optuna.samplers.TPESampler(seed=spec["seed"] + worker),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1))


def _finished(optuna, study) -> int:
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return len(study.get_trials(deepcopy=False, states=states))


def _optimize(spec, search_dir, storage, worker: int, verbose: bool) -> None:
    """Run trials until the study holds ``spec['trials']`` finished ones (one worker's loop)."""
    from chainrule.cli import build_parser
    from chainrule.search.runner import _options_text, _raise, _resolve, _run_trial
    from chainrule.search.space import parse_space

    optuna = _optuna()
    if worker > 0 or os.environ.get("OPENBLAS_NUM_THREADS") == "1":
        import chainrule as cr

        cr.set_num_threads(1)
    parser = build_parser().subcommands["train"]
    parser.error = _raise
    dims, fixed = parse_space(spec["space"], parser)
    study = _study(optuna, spec, storage, worker)
    total, metric = spec["trials"], spec["metric"]

    def objective(trial):
        options = {}
        for d in dims:
            if d.values is not None:
                options[d.option] = trial.suggest_categorical(d.name, d.values)
            elif d.kind is int:
                options[d.option] = str(trial.suggest_int(d.name, int(d.low), int(d.high), log=d.log))
            else:
                options[d.option] = f"{trial.suggest_float(d.name, d.low, d.high, log=d.log):.6g}"
        config = _resolve(parser, fixed, options, trial.number, spec["seed"], search_dir)
        pruning = _Pruning(trial, metric)
        row, kept = _run_trial(trial.number, options, config, parser, metric, extra_callbacks=[pruning])
        row["status"] = "pruned" if pruning.pruned else row["status"]
        trial.set_user_attr("row", row)
        if verbose:
            print(f"  trial {trial.number:3d} {_options_text(options)}: {metric} {row['score']:.4f} "
                  f"({row['status']}, {row['epochs']} epochs, {row['seconds']:.1f} s)", flush=True)
        if pruning.pruned:
            raise optuna.TrialPruned()
        return row["score"]

    stop = optuna.study.MaxTrialsCallback(
        total, states=(optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED))
    if _finished(optuna, study) < total:
        study.optimize(objective, callbacks=[stop], catch=(FloatingPointError,))


def _worker(spec, search_dir, storage, worker):  # the target of a spawned process
    from pathlib import Path

    _optimize(spec, Path(search_dir), storage, worker, verbose=True)


def run_optuna(spec, dims, parser, search_dir, jobs: int, verbose: bool) -> dict:
    """The Optuna search of ``run_search(..., optuna=True)``; returns the same summary."""
    from chainrule.search.runner import _resolve, _run_trial, finish_search

    optuna = _optuna()
    storage = f"sqlite:///{(search_dir / 'study.db').resolve()}"
    study = _study(optuna, spec, storage, 0)  # creates (or reopens) the study before the workers start
    done = _finished(optuna, study)
    if verbose:
        resumed = f", resuming after {done} finished trials" if done else ""
        print(f"Optuna search {search_dir.name}: {spec['trials']} trials of {', '.join(spec['options'])} "
              f"(TPE, median pruning, {jobs} job{'s' * (jobs > 1)}{resumed}), chosen on {spec['metric']}", flush=True)
    if jobs == 1:
        _optimize(spec, search_dir, storage, 0, verbose)
    else:
        import multiprocessing

        saved = {v: os.environ.get(v) for v in THREAD_VARIABLES}
        os.environ.update({v: "1" for v in THREAD_VARIABLES})  # inherited by the spawned workers
        try:
            context = multiprocessing.get_context("spawn")
            workers = [context.Process(target=_worker, args=(spec, str(search_dir), storage, w))
                       for w in range(jobs)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
        finally:
            for v, value in saved.items():
                if value is None:
                    os.environ.pop(v, None)
                else:
                    os.environ[v] = value
    study = _study(optuna, spec, storage, 0)
    rows = [t.user_attrs["row"] for t in sorted(study.trials, key=lambda t: t.number) if "row" in t.user_attrs]
    completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not completed:
        return finish_search(spec, dims, parser, search_dir, rows, None, verbose)
    winner = study.best_trial
    for folder in ("best", "final"):  # from an earlier run of this search: redone below
        path = search_dir / folder
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
    options = winner.user_attrs["row"]["options"]
    config = _resolve(parser, spec["fixed"], options, winner.number, spec["seed"], search_dir, name="best",
                      out=search_dir)
    row, kept = _run_trial(winner.number, options, config, parser, spec["metric"])
    row["run"] = "best"
    return finish_search(spec, dims, parser, search_dir, rows, (row, *kept) if kept else None, verbose)
