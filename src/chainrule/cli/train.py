"""``chainrule train``: data -> MLP -> fit with early stopping -> test evaluation -> a run folder.

The run folder (``runs/<name>/``) holds everything needed to understand and reuse the run:
config.json (every argument, the resolved defaults, the seed, the chainrule version), metrics.csv (one
row per epoch), model.safetensors (the weights, with the config in the metadata), checkpoint.safetensors
(the whole training state, written every epoch and every ``--checkpoint-every`` steps, for
``--resume RUN_DIR``), curves.png, confusion.png, mistakes.png (images only) and report.md.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule.cli import CHECKPOINT, DEFAULTS
from chainrule.cli.defaults import default, default_lr
from chainrule.cli.models import CNN_HIDDEN, CNN_PADDING, model_name
from chainrule.cli.models import describe as describe_model
from chainrule.cli.runs import (
    RunError, build_loss, build_model, is_image, is_regression, load_raw, normalization, preprocessing,
    read_config, write_json,
)
from chainrule.cli.resources import check_run_fits, check_subset, set_threads
from chainrule.cli.run_folder import check_name, check_run_files, claim_run_dir

WITH_MOMENTUM = ("sgd", "momentum", "nesterov", "rmsprop")
CNN_BATCH, CNN_EPOCHS = 64, 20  # the reference CNN's batch size; 10 epochs gave 0.9156, short of 0.92
# Without augmentation 20 epochs gave 0.9198 (the best epoch was 12, val_loss rising after it); mirroring
# half the images (Fashion-MNIST's clothes are left-right symmetric) keeps it learning (docs/performance.md);
# with that, the unpadded reference CNN sat at 0.92 (0.9194-0.9225), the padded one (cli/models.CNN_PADDING) ~0.93
CNN_AUGMENT = ("flip",)


def resolve_config(args, parser) -> dict:
    """Turn the parsed arguments into the run's config: defaults filled in, combinations checked (exit 2)."""
    image, regression = is_image(args.dataset), is_regression(args.dataset)
    loss = args.loss or ("mse" if regression else "cross-entropy")
    if regression and loss in ("cross-entropy", "nll"):
        parser.error(f"--loss {loss} needs a classification dataset; {args.dataset} is a regression set "
                     "(use mse, mae, huber, smooth-l1 or msle)")
    if args.model == "cnn" and not image:
        parser.error(f"--model cnn needs an image dataset (fashion-mnist, mnist); {args.dataset} is a table of points")
    augment = args.augment if args.augment is not None else list(CNN_AUGMENT if args.model == "cnn" else ())
    if not image and set(augment) & {"shift", "flip"}:
        parser.error(f"--augment shift/flip work on images; {args.dataset} is a table of points (use noise)")
    if args.momentum is not None and args.optimizer not in WITH_MOMENTUM:
        parser.error(f"--momentum applies to {', '.join(WITH_MOMENTUM)}, not to --optimizer {args.optimizer}")
    name = args.name if args.name is not None else f"{args.dataset}-{datetime.now():%Y%m%d-%H%M%S}"
    problem = check_name(name)
    if problem:
        parser.error(f"--name {name!r} {problem}")
    from chainrule import __version__

    return {
        "chainrule_version": __version__,
        "dataset": args.dataset,
        "task": "regression" if regression else "classification",
        "model": args.model,
        **({"padding": CNN_PADDING} if args.model == "cnn" else {}),
        "hidden": list(args.hidden if args.hidden is not None else
                       (CNN_HIDDEN if args.model == "cnn" else DEFAULTS["hidden"])),
        "activation": args.activation,
        "dropout": args.dropout if args.dropout is not None else default(args.dataset, "dropout"),
        "loss": loss,
        "optimizer": args.optimizer,
        "lr": args.lr if args.lr is not None else default_lr(args.dataset, args.optimizer),
        "momentum": args.momentum if args.momentum is not None else (0.9 if args.optimizer in ("momentum", "nesterov") else 0.0),
        "weight_decay": args.weight_decay if args.weight_decay is not None else (0.01 if args.optimizer == "adamw" else 0.0),
        "epochs": args.epochs or (CNN_EPOCHS if args.model == "cnn" else default(args.dataset, "epochs")),
        "batch_size": args.batch_size or (CNN_BATCH if args.model == "cnn" else default(args.dataset, "batch_size")),
        "val_split": args.val_split,
        "early_stopping": args.early_stopping if args.early_stopping is not None else default(args.dataset, "early_stopping"),
        "reduce_lr": args.reduce_lr if args.reduce_lr is not None else default(args.dataset, "reduce_lr"),
        "augment": augment,
        "noise": None if image else args.noise,
        "subset": args.subset,
        "seed": args.seed if args.seed is not None else secrets.randbelow(2**31),
        "checkpoint_every": args.checkpoint_every,
        "threads": args.threads,  # None: the adaptive default (a fixed count repeats a seeded run bit for bit)
        "name": name,
        "out": str(args.out),
    }


def build_optimizer(config: dict, params):
    from chainrule import optim

    name, lr, wd, mom = config["optimizer"], config["lr"], config["weight_decay"], config["momentum"]
    if name in ("sgd", "momentum", "nesterov"):
        return optim.SGD(params, lr=lr, momentum=mom, weight_decay=wd, nesterov=name == "nesterov")
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, momentum=mom, weight_decay=wd)
    cls = {"adagrad": optim.Adagrad, "adadelta": optim.Adadelta, "adam": optim.Adam, "adamw": optim.AdamW,
           "nadam": optim.NAdam}[name]
    return cls(params, lr=lr, weight_decay=wd)


def run_train(args, parser) -> int:
    if args.threads is not None:
        set_threads(args.threads, parser)
    from chainrule.train.distributed import auto_init, is_rank_zero

    auto_init()  # under mpirun -n K: data parallel; only rank 0 prints and writes the run folder
    if args.resume is not None:
        return resume_train(args, parser)
    config = resolve_config(args, parser)
    started = time.perf_counter()
    check_subset(config)
    data = load_data(config, parser)
    check_run_fits(config, data)
    if not is_rank_zero():
        return finish_run(config, data, Path(config["out"]) / config["name"], True, started)
    # the folder is made only now that the run can start: a refused run leaves nothing behind
    run_dir = claim_run_dir(config["out"], config["name"], config, numbered=args.name is None)
    args._run_dir = run_dir  # for the resume command printed on Ctrl-C
    if not args.quiet:
        print(f"Training {article(describe_model(config))} on {config['dataset']}: "
              f"{config['train_samples']} train / {config['val_samples']} validation / {len(data['y_test'])} test "
              f"samples; {config['optimizer']} lr {config['lr']:g}, batch {config['batch_size']}, up to "
              f"{config['epochs']} epochs, seed {config['seed']}", flush=True)
    return finish_run(config, data, run_dir, args.quiet, started)


def resume_train(args, parser) -> int:
    """``chainrule train --resume RUN_DIR``: continue from RUN_DIR's checkpoint with RUN_DIR's config.json."""
    given = [action.option_strings[0] for action in parser._actions
             if action.option_strings and action.dest not in ("help", "resume", "quiet", "threads", "epochs")
             and getattr(args, action.dest) != action.default]
    if given:
        parser.error(f"--resume continues a run with its own config.json; drop {', '.join(given)} "
                     "(only --epochs N may be given: a larger total extends the run)")
    run_dir = Path(args.resume)
    if run_dir.is_dir() and not (run_dir / CHECKPOINT).is_file():
        raise RunError(f"{run_dir} has no {CHECKPOINT} to resume from (the run stopped before its first "
                       "checkpoint, or was trained without one); start a new run instead")
    config = read_config(run_dir)
    check_run_files(run_dir)
    if args.threads is None and config.get("threads"):  # the run's own fixed count, unless one is typed
        set_threads(config["threads"], parser)
    args._run_dir = run_dir
    extend = False
    if args.epochs is not None and args.epochs != config["epochs"]:
        done = epochs_done(run_dir)
        if args.epochs <= done:
            parser.error(f"--epochs {args.epochs}: {run_dir} has trained {done} epochs already; give a larger "
                         "total to extend it (as Keras's fit(initial_epoch=...))")
        config["epochs"], extend = args.epochs, True
        write_json(run_dir / "config.json", config)
    started = time.perf_counter()
    data = load_data(config, parser)
    check_run_fits(config, data)
    from chainrule.train.distributed import is_rank_zero

    if not args.quiet and is_rank_zero():
        what = "Extending" if extend else "Resuming"
        print(f"{what} {run_dir} from {CHECKPOINT} (seed {config['seed']}, up to {config['epochs']} epochs)",
              flush=True)
    return finish_run(config, data, run_dir, args.quiet, started, resume=True, extend=extend)


def epochs_done(run_dir: Path) -> int:
    """Epochs in the run's metrics.csv (the rows after the header)."""
    try:
        with open(run_dir / "metrics.csv", encoding="utf-8") as f:
            return max(sum(1 for line in f if line.strip()) - 1, 0)
    except FileNotFoundError:
        return 0


def finish_run(config: dict, data: dict, run_dir: Path, quiet: bool, started: float, resume: bool = False,
               extend: bool = False) -> int:
    """Train (or resume), then write the weights, the evaluation and the report into ``run_dir``."""
    fit_started = time.perf_counter()
    model, loss_fn, history = train_model(config, data, run_dir, verbose=0 if quiet else 1, resume=resume,
                                          extend=extend)
    train_seconds = time.perf_counter() - fit_started
    from chainrule.train.distributed import is_rank_zero

    if not is_rank_zero():
        return 0  # rank 0 evaluates and writes the run folder

    from chainrule import io
    from chainrule.cli.finite import nonfinite_parameters
    from chainrule.cli.report import evaluate_run, write_outputs
    from chainrule.cli.results import chance_level, write_results

    bad = nonfinite_parameters(model)
    if bad:  # never write a model file with NaN or inf (fit's guard should have stopped first)
        raise RunError(f"{run_dir}: the trained weights hold NaN or infinite values ({bad[0][0]!r}: {bad[0][1]} of "
                       f"{bad[0][2]}); model.safetensors was not written: train again with a smaller --lr")
    io.save_state_dict(model.state_dict(), run_dir / "model.safetensors",
                       metadata={"config": json.dumps(config), "format": f"chainrule-{model_name(config)}"})
    result = evaluate_run(model, loss_fn, data["test"], data["y_test"], config, probabilities=is_image(config["dataset"]))
    result.update(history=getattr(history, "history", history), images=data["X_test"], y_true=data["y_test"],
                  train_seconds=train_seconds, total_seconds=time.perf_counter() - started,
                  chance=chance_level(config, data["y_train"]))
    result.update(model=model, data=data)  # for boundary.png / boundary.gif (toy 2-D sets)
    for note in write_outputs(run_dir, config, result):
        print(f"note: {note}", file=sys.stderr)
    write_results(run_dir, config, result)
    print(f"{result['headline']}\n{result['diagnosis'].message}\nwrote {run_dir}/ in {time.perf_counter() - started:.0f} s")
    return 0


def load_data(config: dict, parser) -> dict:
    """Load, subset and split the data (seeded), record the shapes and statistics in ``config``, and wrap
    the splits in datasets with the run's preprocessing (augmentation on the training part only)."""
    from chainrule.data import TensorDataset

    dataset, seed = config["dataset"], config["seed"]
    rng = np.random.default_rng(seed)
    X, y, classes = load_raw(dataset, True, seed, config["noise"] or 0.0,
                             n_samples=None if is_image(dataset) else config["subset"])
    if config["subset"] is not None and is_image(dataset):
        # a seeded random subset keeps the classes balanced on average
        keep = np.sort(rng.permutation(len(X))[:config["subset"]])
        X, y = X[keep], y[keep]
    if len(X) == 0:  # e.g. IDX files in CHAINRULE_DATA that hold 0 images
        raise RunError(f"the {dataset} training data holds no samples; check the dataset's files")
    n_val = int(round(len(X) * config["val_split"]))
    if config["val_split"] > 0 and not 0 < n_val < len(X):
        parser.error(f"--val-split {config['val_split']} of {len(X)} samples leaves no validation or no training data")
    order = rng.permutation(len(X))
    val, train = order[:n_val], order[n_val:]
    X_test, y_test, _ = load_raw(dataset, False, seed, config["noise"] or 0.0)
    config.update(normalize=normalization(X[train], dataset), in_features=int(np.prod(X.shape[1:])),
                  input_shape=list(X.shape[1:]), out_features=1 if is_regression(dataset) else len(classes),
                  classes=classes, train_samples=len(train), val_samples=n_val)
    plain = preprocessing(config)
    return {
        "train": TensorDataset(X[train], y[train], transform=preprocessing(config, augment=True)),
        "val": TensorDataset(X[val], y[val], transform=plain) if n_val else None,
        "test": TensorDataset(X_test, y_test, transform=plain),
        "X_test": X_test, "y_test": y_test, "y_train": y[train],
    }


def train_model(config: dict, data: dict, run_dir: Path, verbose: int, resume: bool = False, extend: bool = False,
                extra_callbacks=()):
    """Build the model, loss and optimizer from ``config`` (seeded) and fit with the run's callbacks.

    The training state goes to ``run_dir/checkpoint.safetensors`` after every epoch and every
    ``checkpoint_every`` steps; ``resume`` continues from it (metrics.csv then continues too);
    ``extend`` continues a finished or early-stopped run to ``config["epochs"]`` (Keras's initial_epoch).
    """
    from chainrule.cli.epochlog import EpochTimer, RunCSVLogger
    from chainrule.train import fit
    from chainrule.train.distributed import is_rank_zero
    from chainrule.train.callbacks import EarlyStopping, ReduceLROnPlateau, TerminateOnNaN

    cr.manual_seed(config["seed"])
    model = build_model(config)
    loss_fn = build_loss(config)
    optimizer = build_optimizer(config, model.parameters())
    monitor = "val_loss" if data["val"] is not None else "loss"
    csv = [RunCSVLogger(run_dir / "metrics.csv")] if is_rank_zero() else []
    nan_stop = TerminateOnNaN()
    callbacks = [EpochTimer(), *csv, nan_stop]
    if config["reduce_lr"]:
        callbacks.append(ReduceLROnPlateau(monitor=monitor, factor=0.5, patience=config["reduce_lr"]))
    if config["early_stopping"]:
        stopping = EarlyStopping(monitor=monitor, patience=config["early_stopping"], restore_best_weights=True)
        if extend:  # a fresh patience for the added epochs; the best value and weights so far are kept
            stopping.load_state_dict = _fresh_patience(stopping.load_state_dict, stopping)
        callbacks.append(stopping)
    from chainrule.cli.boundary import boundary_callbacks

    callbacks += boundary_callbacks(config, data)  # toy 2-D sets: the decision boundary per epoch, for boundary.gif
    from chainrule.cli.inside import inside_callbacks

    callbacks += inside_callbacks(config, data)  # histograms, dead ReLUs, gradient flow: inside.png, report.md
    callbacks += list(extra_callbacks)  # e.g. chainrule search's pruning
    history = fit(model, loss_fn, optimizer, data["train"], epochs=config["epochs"], val_data=data["val"],
                  batch_size=config["batch_size"], callbacks=callbacks,
                  metrics=() if is_regression(config["dataset"]) else ("accuracy",), seed=config["seed"],
                  verbose=verbose, checkpoint=run_dir / CHECKPOINT,
                  checkpoint_every=config.get("checkpoint_every") or None,
                  resume=run_dir / CHECKPOINT if resume else None)
    if nan_stop.stopped_at is not None:  # the weights are finite, but the run diverged: fail as the guard does
        from chainrule.train import NonFiniteError

        epoch, step = nan_stop.stopped_at
        raise NonFiniteError(f"the training loss was NaN or infinite at epoch {epoch + 1}, step {step + 1}; "
                             "TerminateOnNaN stopped training before that update, and the run has no trained model",
                             epoch, step)
    return model.eval(), loss_fn, history


def resume_hint(run_dir: Path) -> str:
    """What to type to continue an interrupted run (printed on Ctrl-C)."""
    import shlex

    if (Path(run_dir) / CHECKPOINT).is_file():
        return f"continue it with: chainrule train --resume {shlex.quote(str(run_dir))}"
    return f"{run_dir} has no checkpoint yet (interrupted before the first one); start the run again"


def _fresh_patience(load_state_dict, stopping):
    def load(state):
        load_state_dict(state)
        stopping.wait, stopping.stopped_epoch = 0, 0
    return load


def article(noun: str) -> str:
    """'an MLP ...', 'a CNN ...': the article English reads before the model's description."""
    return ("an " if noun[:1] in "AEIMOU" else "a ") + noun
