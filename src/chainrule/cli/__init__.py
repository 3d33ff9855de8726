"""The ``chainrule`` command: train a classifier, evaluate a run, classify your own images.

    chainrule train                        # an MLP on Fashion-MNIST with good defaults (~0.89 test accuracy)
    chainrule train --dataset spiral --hidden 16,16 --activation tanh
    chainrule train --resume runs/<name>   # continue an interrupted run exactly where it stopped
    chainrule evaluate runs/<name>         # test accuracy with its 95% interval, per-class accuracy
    chainrule predict runs/<name> shoe.jpg # top-3 classes of a photo (or of every image in a folder)
    chainrule runs                         # the runs in runs/, best first; --compare A B side by side
    chainrule lr-find --dataset moons      # the learning-rate range test (train's options): plot + suggestion
    chainrule figures gallery/             # regenerate every picture of chainrule.viz (docs/gallery.md)
    chainrule train --data photos --model fashion_cnn --pretrained fashion7 --freeze   # your own images
    chainrule convert model.pth model.safetensors   # PyTorch weights (torch.load(weights_only=True)) -> safetensors
    chainrule embed runs/<name>            # 2-D map and nearest-neighbour grid of the run's image embeddings
    chainrule recommend --data ml-100k     # a movie recommender (matrix factorisation): run folder with a map

Bad arguments print the usage and a one-line error and exit with status 2; problems found while
running (a dataset that cannot be found, a run folder without weights) print one clear error and exit
with status 1. Set CHAINRULE_DEBUG=1 to see the full traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys

from chainrule.cli.defaults import describe
from chainrule.cli.models import MODELS
from chainrule.cli.runs import DATASETS, LOSSES, RunError

__all__ = ["build_parser", "main"]

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamw", "nadam")
ACTIVATION_NAMES = ("relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh")
AUGMENTATIONS = ("shift", "flip", "noise")

# defaults of `chainrule train`, chosen to reach ~0.89 test accuracy on Fashion-MNIST in about a minute on 2 cores
DEFAULTS = {
    "dataset": "fashion-mnist", "hidden": (256, 128), "activation": "relu", "dropout": 0.2,
    "optimizer": "adam", "epochs_image": 20, "epochs_toy": 200, "batch_image": 128, "batch_toy": 32,
    "val_split": 0.1, "patience_image": 5, "patience_toy": 20, "reduce_lr": 2, "out": "runs",
    "checkpoint_every": 200,
}
CHECKPOINT = "checkpoint.safetensors"  # the training state in a run folder, for --resume


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def _float_in(low: float, high: float, closed_high: bool = False):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not (low <= value <= high if closed_high else low <= value < high):
            raise argparse.ArgumentTypeError(
                f"expected a number in [{low:g}, {high:g}{']' if closed_high else ')'}, got {text!r}")
        return value
    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _choice(what: str, names):
    """An argparse type for one of ``names``, suggesting the closest name for a typo."""
    def parse(text: str) -> str:
        if text in names:
            return text
        import difflib

        close = difflib.get_close_matches(text.lower(), names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise argparse.ArgumentTypeError(f"unknown {what} {text!r}; choose from {', '.join(names)}{hint}")
    return parse


def _hidden(text: str) -> tuple[int, ...]:
    if text.strip() in ("", "none"):
        return ()
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = (0,)
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"expected comma-separated positive layer widths like 256,128 (or 'none'), got {text!r}")
    return sizes


def _augment(text: str) -> list[str]:
    if text.strip() == "none":  # turns off the default augmentation of --model cnn
        return []
    names = [part.strip() for part in text.split(",") if part.strip()]
    bad = [n for n in names if n not in AUGMENTATIONS]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown augmentation {bad[0]!r}; choose from {', '.join(AUGMENTATIONS)}")
    return list(dict.fromkeys(names))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``chainrule`` command and its subcommands."""
    parser = argparse.ArgumentParser(prog="chainrule", description="Train, evaluate and use chainrule models.")
    from chainrule import __version__

    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    t = commands.add_parser(
        "train", help="train an MLP or CNN and write a run folder", description=(
            "Train a multi-layer perceptron (or --model cnn; or, with --data FOLDER, a pretrained CNN on your "
            "images) and write runs/<name>/ with config.json, metrics.csv, "
            f"model.safetensors, {CHECKPOINT}, curves.png, confusion.png, mistakes.png (images), inside.png, "
            "boundary.png and boundary.gif (2-D toy sets) and report.md. The defaults "
            "reach about 0.89 test accuracy on Fashion-MNIST in about a minute. An interrupted run continues "
            "with --resume RUN_DIR."))
    t.add_argument("--dataset", type=_choice("dataset", DATASETS), choices=DATASETS, default=DEFAULTS["dataset"], metavar="NAME",
                   help=f"one of {', '.join(DATASETS)} (default: %(default)s)")
    t.add_argument("--model", type=_choice("model", MODELS), choices=MODELS, default="mlp", metavar="NAME",
                   help="mlp (default) or cnn (two padded 3x3 conv + 2x2 max-pool blocks, 32 and 64 channels, then "
                        "the hidden layers, trained on mirrored images too; ~0.93 test accuracy on Fashion-MNIST)")
    t.add_argument("--hidden", type=_hidden, default=None, metavar="W1,W2",
                   help="hidden layer widths, or 'none' for a linear model (default: 256,128; cnn: 128)")
    t.add_argument("--activation", type=_choice("activation", ACTIVATION_NAMES), choices=ACTIVATION_NAMES, default=DEFAULTS["activation"], metavar="NAME",
                   help=f"one of {', '.join(ACTIVATION_NAMES)} (default: %(default)s)")
    t.add_argument("--dropout", type=_float_in(0.0, 1.0), default=None,
                   help=f"dropout probability after each hidden layer (default: {describe('dropout')})")
    t.add_argument("--loss", type=_choice("loss", LOSSES), choices=LOSSES, default=None, metavar="NAME",
                   help=f"one of {', '.join(LOSSES)}; default: cross-entropy for classification, mse for regression (plane, multi-gauss, line)")
    t.add_argument("--optimizer", type=_choice("optimizer", OPTIMIZERS), choices=OPTIMIZERS, default=DEFAULTS["optimizer"], metavar="NAME",
                   help=f"one of {', '.join(OPTIMIZERS)} (momentum/nesterov: SGD with momentum 0.9; default: %(default)s)")
    t.add_argument("--lr", type=_positive_float, default=None,
                   help="learning rate; default per optimizer on images: adam/adamw 1e-3, nadam 2e-3, sgd 0.1, "
                        "momentum/nesterov 0.01, rmsprop 1e-3, adagrad 0.01, adadelta 1.0; on toy sets "
                        "adam/adamw/nadam 0.03, rmsprop 0.01, adagrad 0.1")
    t.add_argument("--momentum", type=_float_in(0.0, 1.0), default=None,
                   help="for sgd, momentum, nesterov and rmsprop (default 0.9 for momentum/nesterov, else 0)")
    t.add_argument("--weight-decay", type=_float_in(0.0, float("inf")), default=None,
                   help="L2 penalty (decoupled for adamw); default 0 (adamw: 0.01)")
    t.add_argument("--epochs", type=_positive_int, default=None,
                   help=f"default {DEFAULTS['epochs_image']} for images, {DEFAULTS['epochs_toy']} for toy sets")
    t.add_argument("--batch-size", type=_positive_int, default=None,
                   help=f"default {DEFAULTS['batch_image']} for images, {DEFAULTS['batch_toy']} for toy sets")
    t.add_argument("--val-split", type=_float_in(0.0, 1.0), default=DEFAULTS["val_split"],
                   help="fraction of the training data held out for validation (default: %(default)s)")
    t.add_argument("--early-stopping", type=_non_negative_int, default=None, metavar="PATIENCE",
                   help="stop after PATIENCE epochs without a better val_loss and keep the best weights (0 = off); "
                        f"default {describe('early_stopping')} (a toy set's loss can sit on a plateau for tens of epochs)")
    t.add_argument("--reduce-lr", type=_non_negative_int, default=None, metavar="PATIENCE",
                   help="halve the learning rate after PATIENCE epochs without a better val_loss (0 = off; "
                        f"default: {describe('reduce_lr')})")
    t.add_argument("--augment", type=_augment, default=None, metavar="LIST",
                   help=f"comma-separated training augmentations: {', '.join(AUGMENTATIONS)} (shift/flip: images "
                        "only), or 'none'; default: flip for --model cnn, none otherwise")
    t.add_argument("--noise", type=_float_in(0.0, 0.5, closed_high=True), default=0.1,
                   help="noise of the toy datasets, ignored for images (default: %(default)s)")
    t.add_argument("--subset", type=_positive_int, default=None, metavar="N",
                   help="train on only N samples (quick runs and tests); toy sets: draw N samples")
    t.add_argument("--seed", type=_non_negative_int, default=None,
                   help="default: a random seed, saved in config.json; the same seed repeats a run "
                        "(bit for bit with --threads fixed)")
    t.add_argument("--out", default=DEFAULTS["out"], help="folder for run folders (default: %(default)s)")
    t.add_argument("--name", default=None, help="run folder name (default: <dataset>-<timestamp>)")
    t.add_argument("--quiet", action="store_true", help="print only the final result")
    t.add_argument("--threads", type=_positive_int, default=None, metavar="N",
                   help="threads for matrix products (default: the free cores, re-checked as the machine's load "
                        "changes; a fixed N makes seeded runs repeat bit for bit, and 1 is steadier on a busy machine)")
    t.add_argument("--checkpoint-every", type=_non_negative_int, default=DEFAULTS["checkpoint_every"],
                   metavar="STEPS", help=f"write RUN_DIR/{CHECKPOINT} every STEPS batches, besides every epoch "
                                         "(0 = at the end of epochs only; default: %(default)s)")
    t.add_argument("--config", default=None, metavar="FILE.json",
                   help="take the settings from a JSON file (a run's config.json works); options given on the "
                        "command line override it")
    t.add_argument("--resume", default=None, metavar="RUN_DIR",
                   help=f"continue the interrupted run in RUN_DIR from its {CHECKPOINT}, with its config.json "
                        "(give no other training options); the result equals an uninterrupted run")
    from chainrule.cli.imagefolder import add_arguments as _add_imagefolder_arguments

    _add_imagefolder_arguments(t)  # --data FOLDER [--model NAME --pretrained W --freeze]: your own images

    e = commands.add_parser("evaluate", help="test accuracy of a trained run",
                            description="Rebuild a run's model from config.json, load its weights and evaluate it "
                                        "on the test set: accuracy with its 95% interval and per-class accuracy.")
    e.add_argument("run_dir", metavar="RUN_DIR")
    e.add_argument("--batch-size", type=_positive_int, default=256,
                   help="test samples per forward pass; only memory and speed depend on it (default: %(default)s)")

    p = commands.add_parser(
        "predict", help="classify images with a trained run", description=(
            "Print the top-3 classes of each image with their probabilities; a folder stands for every image "
            "in it. Photos are prepared like the training images: inverted when the border is light (a dark "
            "garment on white paper; said when done), contrast stretched, cropped to the object, padded to a "
            "square, resized and centred by mass. A warning says when the result still looks unlike the training "
            "images. Needs Pillow (pip install chainrule[image])."))
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files or folders of images")
    p.add_argument("--invert", action=argparse.BooleanOptionalAction, default=None,
                   help="force (--invert) or forbid (--no-invert) inverting the gray levels "
                        "(default: invert when the image's border is light)")
    p.add_argument("--plain", action="store_true",
                   help="only convert to gray and resize to 28x28 (for images already made like the dataset's)")
    p.add_argument("--top", type=_positive_int, default=3, help="how many classes to show (default: %(default)s)")
    r = commands.add_parser("runs", help="list runs, or compare two",
                            description="List the run folders in FOLDER (default: runs) with their key settings and "
                                        "test result, best first; or show two runs side by side with --compare.")
    r.add_argument("folder", nargs="?", default=DEFAULTS["out"], metavar="FOLDER")
    r.add_argument("--compare", nargs=2, metavar=("RUN_A", "RUN_B"), help="two run folders to compare")
    from chainrule.cli.search import register as register_search

    register_search(commands)
    c = commands.add_parser(
        "convert", help="PyTorch weights (.pth) to a safetensors file", description=(
            "Write the tensors of a PyTorch checkpoint (a state_dict saved with torch.save) to a .safetensors "
            "file that chainrule loads (e.g. chainrule.vision.models.resnet18(weights=FILE)). Reads the checkpoint "
            "only with torch.load(weights_only=True), and only when PyTorch is installed."))
    c.add_argument("source", metavar="MODEL.pth")
    c.add_argument("target", metavar="MODEL.safetensors")
    c.add_argument("--force", action="store_true", help="overwrite the target file")
    parser.subcommands = {"train": t, "evaluate": e, "predict": p, "convert": c, "runs": r}  # for errors found after parsing
    from chainrule.cli.lr_find import add_parser as add_lr_find  # noqa: I001 - issue 12's subcommands

    parser.subcommands["lr-find"] = add_lr_find(commands, t)
    from chainrule.cli.figures import add_parser as add_figures

    parser.subcommands["figures"] = add_figures(commands)
    from chainrule.cli.playground import add_playground_parser
    parser.subcommands["playground"] = add_playground_parser(commands)
    from chainrule.cli.embed import add_parser as add_embed  # issue 11

    parser.subcommands["embed"] = add_embed(commands)
    from chainrule.cli.recommend import add_parser as add_recommend  # issue 11: the movie recommender

    parser.subcommands["recommend"] = add_recommend(commands)
    return parser


def main(argv=None) -> int:
    """Run the ``chainrule`` command with ``argv`` (default: ``sys.argv[1:]``); returns the exit status.

    Bad arguments raise ``SystemExit(2)`` after printing the usage and a one-line error (argparse).

    >>> main(["evaluate", "runs/fashion-mnist-20250101-120000"])  # doctest: +SKIP
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["search"]:  # its train options are free-form: parsed by chainrule.cli.search
        from chainrule.cli.search import run as run_search

        return run_search(argv[1:])
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train"]:
        from chainrule.cli.config_file import expand

        argv = expand(argv, parser.subcommands["train"])
    from chainrule.cli.ranks import parse_on_rank_zero

    args = parse_on_rank_zero(parser.parse_args, argv)  # under mpirun: one usage error, not one per rank
    sub = parser.subcommands[args.command]
    from chainrule.cli.interrupts import sigterm_as_interrupt

    restore_sigterm = sigterm_as_interrupt()  # `kill` cleans up like Ctrl-C: no temporary file is left
    try:
        if args.command == "convert":
            from chainrule.cli.convert import run_convert

            return run_convert(args)
        if args.command == "train":
            from chainrule.cli.imagefolder import run_train_folder, wants_folder_mode

            if wants_folder_mode(args, sub):
                return run_train_folder(args, sub)
        if args.command in ("predict", "evaluate"):
            from chainrule.cli.recommend import refuse_recommend_run

            refuse_recommend_run(args.run_dir, args.command)
            from chainrule.cli.imagefolder_model import is_folder_run

            if is_folder_run(args.run_dir):  # a `train --data` run: its own preprocessing and model
                from chainrule.cli.imagefolder_report import run_evaluate_folder, run_predict_folder

                return run_evaluate_folder(args) if args.command == "evaluate" else run_predict_folder(args, sub)
        if args.command == "train":
            from chainrule.cli.train import run_train

            return run_train(args, sub)
        if args.command == "figures":
            from chainrule.cli.figures import run_figures

            return run_figures(args, sub)
        if args.command == "lr-find":
            from chainrule.cli.lr_find import run_lr_find

            return run_lr_find(args, sub)
        if args.command == "evaluate":
            from chainrule.cli.evaluate import run_evaluate

            return run_evaluate(args)
        if args.command == "playground":
            from chainrule.cli.playground import run_playground

            return run_playground(args)
        if args.command == "embed":
            from chainrule.cli.embed import run_embed

            return run_embed(args)
        if args.command == "runs":
            from chainrule.cli.listing import run_runs

            return run_runs(args)
        if args.command == "recommend":
            from chainrule.cli.recommend import run_recommend

            return run_recommend(args)
        from chainrule.cli.predict import run_predict

        return run_predict(args, sub)
    except KeyboardInterrupt:
        print("chainrule: interrupted", file=sys.stderr)
        run_dir = getattr(args, "_run_dir", None)
        if run_dir is not None:
            from chainrule.cli.train import resume_hint

            print(resume_hint(run_dir), file=sys.stderr)
        return 130
    except FloatingPointError as e:  # fit's NonFiniteError: NaN/inf loss or gradient
        if os.environ.get("CHAINRULE_DEBUG"):
            raise
        print(f"chainrule {args.command}: error: {_one_line(e)}\n    (from the command line: start a new run with a "
              "smaller --lr)", file=sys.stderr)
        return 1
    except (RunError, ValueError, OSError, ImportError, RuntimeError, MemoryError) as e:
        if os.environ.get("CHAINRULE_DEBUG"):
            raise
        print(f"chainrule {args.command}: error: {_one_line(e)}", file=sys.stderr)
        return 1
    finally:
        restore_sigterm()


def _one_line(error: BaseException) -> str:
    # library messages can span lines (a dataset that cannot be found lists the folders searched);
    # keep them, indented under the error line, but never a traceback
    text = str(error) or type(error).__name__
    if isinstance(error, OSError) and error.filename and error.strerror:
        text = f"{error.filename}: {error.strerror}"
    return text.replace("\n", "\n    ")
