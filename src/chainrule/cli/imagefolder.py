"""``chainrule train --data FOLDER``: transfer learning on your own images (``FOLDER/<class>/<image>``).

    chainrule train --data photos --model fashion_cnn --pretrained fashion7 --freeze
    chainrule predict runs/<name> photo.jpg

The images are read once with the model's preprocessing (grayscale 28x28 for fashion_cnn, RGB for the
torchvision models), split into training and validation images (seeded), and the model is trained:
with ``--freeze`` only a new linear head learns, on features computed once by the frozen body (its
BatchNorm statistics stay as pretrained; no gradient is computed for it); without it the whole network
is fine-tuned, the body at a 10x smaller learning rate. The run folder holds config.json,
model.safetensors, metrics.csv, curves.png, confusion.png, mistakes.png, mistakes.csv (file names of
the misclassified validation images) and report.md. ``predict`` applies exactly the same preprocessing.

Fashion-MNIST shows bright objects on a dark background. For fashion_cnn an image whose border is
mostly light (a photo on white paper) is inverted, in training and in predict alike, and predict says so.
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
from chainrule.cli.imagefolder_model import (
    FORMAT,
    MODELS,
    SHIPPED,
    build_model,
    head_location,
    head_prefix,
    input_spec,
    load_images,
)
from chainrule.cli.imagefolder_report import evaluate_images, write_outputs
from chainrule.cli.runs import RunError, write_json


def add_arguments(train_parser) -> None:
    """The ``train`` options of this mode (``--model`` only if no other mode defined it)."""
    t = train_parser
    t.add_argument("--data", default=None, metavar="FOLDER",
                   help="train on your own images in FOLDER/<class name>/<image> (png, jpg, ...) instead of --dataset")
    model = t._option_string_actions.get("--model")
    if model is None:
        t.add_argument("--model", default=None, metavar="NAME", help=f"with --data: one of {', '.join(MODELS)}")
    else:  # the --dataset models (mlp, cnn) plus ours, which need --data
        from chainrule.cli import _choice

        model.choices = (*model.choices, *MODELS)
        model.type = _choice("model", model.choices)
        model.help += f"; with --data: {', '.join(MODELS)} (default fashion_cnn)"
    t.add_argument("--pretrained", default=None, metavar="WEIGHTS",
                   help="with --data: start from these weights: fashion7 (shipped, for fashion_cnn) or a .safetensors "
                        "file with torchvision's keys (see `chainrule convert`)")
    t.add_argument("--freeze", action="store_true",
                   help="with --data and --pretrained: train only a new linear head on the frozen pretrained body")
    t.add_argument("--image-size", type=int, default=None, metavar="PIXELS",
                   help="with --data: input size (default 28 for fashion_cnn, 64 for the torchvision models)")


def wants_folder_mode(args, parser) -> bool:
    """Whether ``train`` runs on --data; the options of this mode without --data are an error (exit 2)."""
    if args.data:
        if getattr(args, "resume", None):
            parser.error("--resume continues --dataset runs; a --data run starts anew")
        if getattr(args, "augment", None):
            parser.error("--augment applies to --dataset runs; --data runs train on the images as they are")
        if args.image_size is not None and not 8 <= args.image_size <= 1024:
            parser.error(f"--image-size must be between 8 and 1024 pixels, got {args.image_size}")
        return True
    given = [flag for flag, on in (("--pretrained", args.pretrained), ("--freeze", args.freeze),
                                   ("--image-size", args.image_size), (f"--model {args.model}", args.model in MODELS))
             if on]
    if given:
        parser.error(f"{', '.join(given)} need --data FOLDER (your own images)")
    return False


def resolve(args, parser) -> dict:
    model = args.model if args.model not in (None, "mlp") else "fashion_cnn"  # mlp: the --dataset default
    if model not in MODELS:
        parser.error(f"--model {model} cannot train on --data; choose from {', '.join(MODELS)}")
    if args.pretrained in SHIPPED and SHIPPED[args.pretrained] != model:
        parser.error(f"--pretrained {args.pretrained} are weights for --model {SHIPPED[args.pretrained]}, not {model}")
    if args.pretrained and args.pretrained not in SHIPPED and not Path(args.pretrained).is_file():
        parser.error(f"--pretrained: no such weights file: {args.pretrained} (shipped: {', '.join(SHIPPED)})")
    if args.freeze and not args.pretrained:
        parser.error("--freeze keeps pretrained weights fixed; give --pretrained too")
    if not Path(args.data).is_dir():
        raise RunError(f"--data {args.data}: not a folder; expected FOLDER/<class name>/<image files>")
    if not 0 < args.val_split < 1:
        parser.error("--data needs a validation split: --val-split between 0 and 1")
    freeze = bool(args.freeze)
    from chainrule import __version__

    name = args.name or f"{Path(args.data).resolve().name}-{datetime.now():%Y%m%d-%H%M%S}"
    return {
        "chainrule_version": __version__, "format": FORMAT, "dataset": "imagefolder", "task": "classification",
        "data": str(Path(args.data).resolve()), "model": model, "pretrained": args.pretrained, "freeze": freeze,
        "input": input_spec(model, args.image_size), "optimizer": "adam",
        "lr": args.lr or (1e-2 if freeze else 1e-3), "body_lr_factor": 0.1,
        "epochs": args.epochs or (30 if freeze else 10), "batch_size": args.batch_size or 32,
        "val_split": args.val_split, "early_stopping": args.early_stopping if args.early_stopping is not None else 5,
        "seed": args.seed if args.seed is not None else secrets.randbelow(2**31), "name": name, "out": str(args.out),
    }


def split(y: np.ndarray, val_split: float, seed: int):
    """(validation, training) indices, stratified: each class with 2+ images gives
    ``round(n_class * val_split)`` (at least 1) images to validation, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    val = []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        if len(members) >= 2:
            val.extend(members[:min(len(members) - 1, max(1, round(len(members) * val_split)))])
    val = np.sort(np.asarray(val, dtype=np.int64))
    return val, np.setdiff1d(np.arange(len(y)), val)


def run_train_folder(args, parser) -> int:
    from chainrule.vision.datasets import ImageFolder

    config = resolve(args, parser)
    if getattr(args, "threads", None) is not None:
        cr.set_num_threads(args.threads)
    started = time.perf_counter()
    folder = ImageFolder(config["data"])
    if len(folder.classes) < 2:
        raise RunError(f"--data {config['data']}: found one class folder ({folder.classes[0]}); need at least two")
    paths = [p for p, _ in folder.samples]
    X, shown, keep, flipped = load_images(paths, config["input"])
    if X is None:
        raise RunError(f"--data {config['data']}: none of the {len(paths)} image files could be read")
    y = np.asarray(folder.targets, dtype=np.int64)[keep]
    paths = [paths[i] for i in keep]
    val, train = split(y, config["val_split"], config["seed"])
    n_val = len(val)
    if not len(train) or not n_val:
        raise RunError(f"--data {config['data']}: {len(y)} readable images are too few for a validation split")
    config.update(classes=folder.classes, train_samples=len(train), val_samples=n_val, inverted_images=int(flipped),
                  val_files=[str(Path(paths[i]).relative_to(config["data"])) for i in val])
    run_dir = _run_dir(config, numbered=args.name is None)
    write_json(run_dir / "config.json", config)
    if not args.quiet:
        how = "a new head on the frozen body" if config["freeze"] else "the whole network"
        print(f"Training {how} of {config['model']}" + (f" ({config['pretrained']})" if config["pretrained"] else "")
              + f" on {len(folder.classes)} classes ({', '.join(folder.classes)}): {len(train)} train / {n_val} "
              f"validation images; seed {config['seed']}", flush=True)
        if flipped:
            print(f"note: {flipped} images with a light background were inverted to the dark background the model "
                  "was pretrained on (predict does the same)", flush=True)
    cr.manual_seed(config["seed"])
    model = build_model(config, len(folder.classes))
    fit_started = time.perf_counter()
    history = _fit(model, config, X, y, train, val, run_dir, 0 if args.quiet else 1)
    train_seconds = time.perf_counter() - fit_started
    from chainrule import io

    io.save_state_dict(model.state_dict(), run_dir / "model.safetensors",
                       metadata={"config": json.dumps(config), "format": FORMAT})
    result = evaluate_images(model, config, X[val], y[val], shown[val], [paths[i] for i in val])
    result.update(history=history, train_seconds=train_seconds, total_seconds=time.perf_counter() - started)
    for note in write_outputs(run_dir, config, result):
        print(f"note: {note}", file=sys.stderr)
    print(f"{result['headline']}\nwrote {run_dir}/ in {time.perf_counter() - started:.0f} s")
    return 0


def _fit(model, config, X, y, train, val, run_dir, verbose):
    """Train the head on cached features (frozen) or the whole model (fine-tune); returns the history dict."""
    from chainrule import nn, optim
    from chainrule.data import TensorDataset
    from chainrule.train import fit
    from chainrule.train.callbacks import CSVLogger, EarlyStopping

    prefix = head_prefix(model)
    callbacks = [CSVLogger(run_dir / "metrics.csv")]
    if config["early_stopping"]:
        callbacks.append(EarlyStopping(monitor="val_loss", patience=config["early_stopping"],
                                       restore_best_weights=True))
    common = dict(epochs=config["epochs"], batch_size=config["batch_size"], callbacks=callbacks, seed=config["seed"],
                  verbose=verbose, metrics=("accuracy",))
    if config["freeze"]:
        model.requires_grad_(False).eval()  # eval: the body's BatchNorm keeps its pretrained statistics
        owner, name = head_location(model)
        head = getattr(owner, name) if name.isidentifier() else owner[int(name)]
        head.requires_grad_(True)
        features = _features(model, X)
        optimizer = optim.Adam(head.parameters(), lr=config["lr"])
        history = fit(head, nn.CrossEntropyLoss(), optimizer, TensorDataset(features[train], y[train]),
                      val_data=TensorDataset(features[val], y[val]), **common)
    else:
        body = [p for n, p in model.named_parameters() if not n.startswith(prefix)]
        head = [p for n, p in model.named_parameters() if n.startswith(prefix)]
        optimizer = optim.Adam([{"params": body, "lr": config["lr"] * config["body_lr_factor"]}, {"params": head}],
                               lr=config["lr"])
        history = fit(model, nn.CrossEntropyLoss(), optimizer, TensorDataset(X[train], y[train]),
                      val_data=TensorDataset(X[val], y[val]), **common)
    model.eval()
    return getattr(history, "history", history)


def _features(model, X):
    """What the frozen body gives the head: the model's input to its last Linear layer, captured by a hook."""
    owner, name = head_location(model)
    head = getattr(owner, name) if name.isidentifier() else owner[int(name)]
    captured = []
    handle = head.register_forward_pre_hook(lambda module, inputs: captured.append(inputs[0].numpy()))
    try:
        with cr.no_grad():
            for i in range(0, len(X), 256):
                model(cr.from_numpy(X[i:i + 256]))
    finally:
        handle.remove()
    return np.concatenate(captured)


def _run_dir(config: dict, numbered: bool) -> Path:
    run_dir = Path(config["out"]) / config["name"]
    base, k = config["name"], 2
    while numbered and run_dir.exists():
        config["name"], k = f"{base}-{k}", k + 1
        run_dir = Path(config["out"]) / config["name"]
    if (run_dir / "config.json").exists():
        raise RunError(f"{run_dir} already holds a run; choose another --name or --out")
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir
