"""``run_search``: train one ``chainrule train`` configuration per trial, choose on validation only,
then touch the test set once with the winner.

Every trial uses the search's seed, so all trials see the same train/validation split and the same
data order; each trains with early stopping on the validation split (``chainrule train``'s
``--early-stopping``, keeping the best epoch's weights) and is scored by its best epoch's validation
accuracy (or lowest validation loss). The winner is the best score (the earlier trial on a tie).
Only then is the test set used, once: on the winner's weights, or with ``retrain`` on a model
retrained on train+validation for the winner's best number of epochs.
"""

from __future__ import annotations

import copy
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from chainrule import io
from chainrule.cli import build_parser
from chainrule.cli.report import evaluate_run, write_outputs
from chainrule.cli.run_folder import claim_run_dir
from chainrule.cli.runs import is_image, is_regression, write_json
from chainrule.cli.train import load_data, resolve_config, train_model
from chainrule.search.outputs import write_search_outputs
from chainrule.search.space import SearchError, grid, parse_space, random_configs

METRICS = ("val_accuracy", "val_loss")


def run_search(space, *, name: str, out="runs", trials: int | None = None, seed: int = 0,
               metric: str | None = None, retrain: bool = False, verbose: bool = True, optuna: bool = False,
               jobs: int = 1) -> dict:
    """Grid search (or ``trials`` random draws) over ``chainrule train`` options; writes ``out/name/``.

    Args:
        space (list of str): ``chainrule train`` options with value lists, as typed on the command
            line: ``["--lr", "1e-3,1e-2", "--hidden", "64;128,64", "--dataset", "spiral"]``. Options
            with one value apply to every trial.
        name (str): the search's folder name under ``out``.
        trials (int, optional): random search with this many trials; None: the full grid.
        seed (int): the data split, the initialisation and the random draws. Default: 0.
        metric (str, optional): ``val_accuracy`` (highest wins; classification default) or
            ``val_loss`` (lowest wins; regression's only choice).
        retrain (bool): retrain the winner on train+validation before the test evaluation.
        optuna (bool): Optuna's TPE sampler with median pruning instead (``trials`` of them, default 20),
            its study in ``out/name/study.db``: running the same search again resumes it.
        jobs (int): with ``optuna``, parallel worker processes (one BLAS thread each).

    Under ``mpirun -n K`` (grid or random search), the trials are spread over the K ranks, one at a
    time per rank; rank 0 gathers the results, alone writes ``out/name/`` and returns the summary
    (the other ranks return their own rows). The winner is the serial search's: see ``parallel.py``.

    Returns:
        dict: ``trials`` (rows with each trial's options and validation score), ``winner`` (its row),
        ``test`` (the one test evaluation), ``dir`` (the search folder).

    Raises:
        SearchError: a bad specification (unknown option, empty list, wrong value), before any training.

    >>> run_search(["--dataset", "spiral", "--lr", "1e-3,1e-2", "--epochs", "20"], name="demo", seed=0)
    """
    parser = build_parser().subcommands["train"]
    parser.error = _raise  # a bad combination is a SearchError, not an exit
    if not name or Path(name).name != name:
        raise SearchError(f"--name must be a plain folder name, got {name!r}")
    if trials is not None and trials < 1:
        raise SearchError(f"--trials must be a positive integer, got {trials}")
    dims, fixed = parse_space(space, parser)
    if not dims:
        raise SearchError("nothing to search: give at least one train option with two or more values, "
                          "e.g. --lr 1e-3,1e-2")
    if optuna:
        configs = [{d.option: d.values[0] if d.values is not None else d.draw(np.random.default_rng(0))
                    for d in dims}]  # a representative trial, for checking the options
    else:
        configs = grid(dims) if trials is None else random_configs(dims, trials, seed)
    search_dir = Path(out) / name
    from chainrule.search.parallel import mpi_group

    comm = mpi_group()  # under mpirun -n K: the trials are spread over the ranks (see parallel.py)
    if comm is not None and optuna:
        raise SearchError("--optuna does not run under mpirun; use --jobs N for parallel Optuna trials, or a "
                          "grid/random search under mpirun")
    taken = (search_dir / "search.json").exists() and not (optuna and (search_dir / "study.db").exists())
    if comm is not None:
        taken = comm.bcast(taken, root=0)  # rank 0's folder decides, on every rank alike
    if taken:
        raise SearchError(f"{search_dir} already holds a search; choose another --name or --out")
    if jobs < 1 or (jobs > 1 and not optuna):
        raise SearchError(f"--jobs {jobs}: expected a positive number, and more than 1 only with --optuna")
    resolved = [_resolve(parser, fixed, c, k, seed, search_dir) for k, c in enumerate(configs)]
    regression = is_regression(resolved[0]["dataset"])
    metric = metric or ("val_loss" if regression else "val_accuracy")
    if metric not in METRICS or (regression and metric != "val_loss"):
        raise SearchError(f"--metric must be {'val_loss for regression' if regression else ' or '.join(METRICS)}, "
                          f"got {metric!r}")
    if resolved[0]["val_split"] <= 0:
        raise SearchError("--val-split 0 leaves no validation data to choose on; the search needs one")
    rank0 = comm is None or comm.Get_rank() == 0
    verbose = verbose and rank0
    if rank0:
        search_dir.mkdir(parents=True, exist_ok=True)
    spec = {"space": list(space), "fixed": fixed, "options": [d.option for d in dims],
            "mode": "optuna" if optuna else "grid" if trials is None else "random",
            "trials": (trials or 20) if optuna else len(configs), "seed": seed, "metric": metric,
            "retrain": retrain, "configs": None if optuna else configs}
    if rank0:
        write_json(search_dir / "search.json", spec)
    if optuna:
        from chainrule.search.optuna_search import run_optuna

        return run_optuna(spec, dims, parser, search_dir, jobs, verbose)
    if verbose:
        print(f"Search {name}: {len(configs)} trials of {', '.join(d.option for d in dims)} "
              f"({spec['mode']}, seed {seed}), chosen on {metric}"
              + (f", over {comm.Get_size()} MPI ranks" if comm is not None else ""), flush=True)
    if comm is not None:
        from chainrule.search.parallel import run_parallel

        return run_parallel(comm, spec, dims, parser, search_dir, configs, resolved, verbose)

    rows, best = [], None
    for k, (trial, config) in enumerate(zip(configs, resolved)):
        row, kept = _run_trial(k, trial, config, parser, metric)
        rows.append(row)
        if kept is not None and (best is None or _better(row["score"], best[0]["score"], metric)):
            best = (row, *kept)
        if verbose:
            print(f"  trial {k:3d} {_options_text(trial)}: {metric} {row['score']:.4f} "
                  f"(best epoch {row['best_epoch']}, {row['seconds']:.1f} s)", flush=True)
    return finish_search(spec, dims, parser, search_dir, rows, best, verbose)


def finish_search(spec, dims, parser, search_dir, rows, best, verbose) -> dict:
    """The winner's one test evaluation, then trials.csv, trials.md, search.png and report.md."""
    metric = spec["metric"]
    if best is None:
        raise SearchError("every trial failed (non-finite loss); try smaller learning rates")
    winner_row, config, data, model, loss_fn, history = best
    test = _test_once(winner_row, config, data, model, loss_fn, history, parser, search_dir, spec["retrain"])
    summary = {"dir": str(search_dir), "spec": spec, "trials": rows, "winner": winner_row, "test": test}
    write_search_outputs(search_dir, summary, dims)
    if verbose:
        print(f"winner: trial {winner_row['trial']} {_options_text(winner_row['options'])} "
              f"({metric} {winner_row['score']:.4f}); {test['headline']} (test set used once)\n"
              f"wrote {search_dir}/", flush=True)
    return summary


def _raise(message):
    raise SearchError(message)


def _resolve(parser, fixed, trial, k, seed, search_dir, name=None, out=None) -> dict:
    argv = [*fixed, *(x for option, value in trial.items() for x in (option, value)), "--seed", str(seed),
            "--name", name or f"trial-{k:03d}", "--out", str(out or search_dir / "trials"), "--quiet"]
    try:
        args = parser.parse_args(argv)
    except SystemExit:  # argparse already printed its message
        raise SearchError(f"trial {k}: invalid train options {' '.join(argv)}") from None
    return resolve_config(args, parser)


def _run_trial(k, trial, config, parser, metric, extra_callbacks=(), run_root=None):
    """Train one trial (validation only); returns its table row and what the winner needs later.

    ``run_root``: where to write the trial's run folder instead of ``config["out"]`` (a parallel
    search's rank other than 0 writes it in a scratch folder and sends it to rank 0)."""
    started = time.perf_counter()
    data = load_data(config, parser)
    run_dir = claim_run_dir(run_root or config["out"], config["name"], config, numbered=False)
    row = {"trial": k, "options": dict(trial), "run": f"trials/{config['name']}"}
    try:
        model, loss_fn, history = train_model(config, data, run_dir, verbose=0, extra_callbacks=extra_callbacks)
    except FloatingPointError as e:
        row.update(score=math.nan, best_epoch=0, epochs=0, val_loss=math.nan, val_accuracy=math.nan,
                   seconds=time.perf_counter() - started, status=f"diverged: {str(e).splitlines()[0]}")
        return row, None
    h = history.history
    values = h[metric]
    # the first best epoch: EarlyStopping kept those weights
    best_epoch = int(np.argmax(values) if metric == "val_accuracy" else np.argmin(values))
    row.update(score=float(values[best_epoch]), best_epoch=best_epoch + 1, epochs=len(values),
               val_loss=float(h["val_loss"][best_epoch]),
               val_accuracy=float(h["val_accuracy"][best_epoch]) if "val_accuracy" in h else math.nan,
               seconds=time.perf_counter() - started, status="ok")
    return row, (config, data, model, loss_fn, h)


def _better(score, best, metric) -> bool:
    if math.isnan(score):
        return False
    return score > best if metric == "val_accuracy" else score < best


def _test_once(row, config, data, model, loss_fn, history, parser, search_dir, retrain) -> dict:
    """The only use of the test set: the winner's weights, or a retrain on train+validation."""
    started = time.perf_counter()
    run_dir = search_dir / row["run"]
    if retrain:
        config = copy.deepcopy(config)
        config.update(val_split=0.0, early_stopping=0, epochs=row["best_epoch"], name="final", out=str(search_dir))
        data = load_data(config, parser)
        run_dir = claim_run_dir(config["out"], config["name"], config, numbered=False)
        model, loss_fn, history = train_model(config, data, run_dir, verbose=0)
        history = history.history
    result = _evaluate_into(run_dir, config, data, model, loss_fn, history, time.perf_counter() - started)
    test = {"run": str(run_dir.relative_to(search_dir)), "retrained": retrain, "headline": result["headline"]}
    for key in ("accuracy", "ci", "n", "loss", "mse", "mae", "r2"):
        if key in result:
            test[key] = result[key]
    return test


def _evaluate_into(run_dir, config, data, model, loss_fn, history, seconds) -> dict:
    """What ``chainrule train`` writes after training: weights, test evaluation, plots and report.md."""
    io.save_state_dict(model.state_dict(), run_dir / "model.safetensors",
                       metadata={"config": json.dumps(config), "format": "chainrule-mlp"})
    result = evaluate_run(model, loss_fn, data["test"], data["y_test"], config,
                          probabilities=is_image(config["dataset"]))
    result.update(history=history, images=data["X_test"], y_true=data["y_test"], train_seconds=seconds,
                  total_seconds=seconds)
    for note in write_outputs(run_dir, config, result):
        print(f"note: {note}", file=sys.stderr)
    return result


def _options_text(options: dict) -> str:
    return " ".join(f"{k} {v}" for k, v in options.items())
