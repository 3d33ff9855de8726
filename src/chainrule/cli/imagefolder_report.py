"""The results of a ``chainrule train --data`` run: validation evaluation, report.md with the mistakes by
file name, and the ``predict`` / ``evaluate`` commands on such a run folder."""

from __future__ import annotations

import csv
import io as _io
import sys
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule.cli.imagefolder_model import load_images, load_run_model, prepare
from chainrule.cli.runs import RunError, read_config, write_text


def evaluate_images(model, config, X, y, shown, paths) -> dict:
    from chainrule.train.metrics import confusion_matrix, wilson_interval

    with cr.no_grad():
        probs = np.concatenate([model(cr.from_numpy(X[i:i + 256])).softmax(dim=1).numpy()
                                for i in range(0, len(X), 256)])
    pred = probs.argmax(axis=1)
    correct = int((pred == y).sum())
    low, high = wilson_interval(correct, len(y))
    cm = np.asarray(confusion_matrix(y, pred, num_classes=len(config["classes"])))
    acc = correct / len(y)
    return {"accuracy": acc, "ci": (low, high), "n": len(y), "confusion": cm, "probs": probs, "y_pred": pred,
            "y_true": y, "images": shown, "paths": paths,
            "headline": f"validation accuracy {acc:.4f} (95% CI {low:.4f}-{high:.4f}, n={len(y)})"}


def write_outputs(run_dir: Path, config: dict, result: dict) -> list[str]:
    notes, plots = [], []
    wrong = np.flatnonzero(result["y_pred"] != result["y_true"])
    wrong = wrong[np.argsort(-result["probs"][wrong, result["y_pred"][wrong]], kind="stable")]
    rows = [(str(Path(result["paths"][i]).relative_to(config["data"])), config["classes"][result["y_true"][i]],
             config["classes"][result["y_pred"][i]], f"{result['probs'][i, result['y_pred'][i]]:.3f}") for i in wrong]
    buffer = _io.StringIO()
    csv.writer(buffer).writerows([("file", "true", "predicted", "probability"), *rows])
    write_text(run_dir / "mistakes.csv", buffer.getvalue())
    try:
        from chainrule import viz

        viz.plot_training_curves(result["history"], run_dir / "curves.png", title=config["name"])
        viz.plot_confusion_matrix(result["confusion"], config["classes"], run_dir / "confusion.png")
        viz.plot_mistakes(result["images"], result["y_true"], result["y_pred"], result["probs"], config["classes"],
                          run_dir / "mistakes.png")
        plots = [("Training curves", "curves.png"), ("Confusion matrix (validation)", "confusion.png"),
                 ("Most confident mistakes", "mistakes.png")]
    except ImportError as e:
        notes.append(f"plots skipped: {e}")
    low, high = result["ci"]
    epochs = len(result["history"].get("loss", []))
    spec = config["input"]
    inverted = f"; {config['inverted_images']} light-background images inverted" if spec["background"] else ""
    how = "linear head on the frozen pretrained body" if config["freeze"] else (
        "full fine-tuning (body lr x0.1)" if config["pretrained"] else "trained from scratch")
    lines = [f"# {config['name']}", "",
             f"**Validation accuracy: {result['accuracy']:.4f}** (95% CI {low:.4f}-{high:.4f}, Wilson interval over "
             f"n = {result['n']} validation images).", "",
             f"Model: {config['model']}" + (f", pretrained {config['pretrained']}" if config["pretrained"] else "")
             + f", {how}. Data: {config['data']} ({config['train_samples']} train, {config['val_samples']} validation "
             f"images; classes {', '.join(config['classes'])}).", "",
             f"Input: {spec['channels']} channel(s), {spec['size'][0]}x{spec['size'][1]}, normalised with mean "
             f"{spec['mean']} and std {spec['std']}{inverted}.", "",
             f"Epochs run: {epochs} of {config['epochs']}; Adam lr {config['lr']:g}, batch {config['batch_size']}, "
             f"seed {config['seed']}. Time: {result['train_seconds']:.1f} s training, "
             f"{result['total_seconds']:.1f} s in all.",
             "", "## Mistakes (validation images, most confident first; also in mistakes.csv)", ""]
    lines += ["| file | true | predicted | p |", "|---|---|---|---:|"] + [f"| {' | '.join(r)} |" for r in rows[:25]]
    if not rows:
        lines.append("| (none) | | | |")
    lines.append("")
    if plots:
        lines += ["## Plots", ""] + [f"![{title}]({file})" for title, file in plots] + [""]
    lines += [f"Predict: `chainrule predict {run_dir} IMAGE`", ""]
    write_text(run_dir / "report.md", "\n".join(lines))
    return notes


def run_predict_folder(args, parser) -> int:
    """``chainrule predict RUN_DIR IMAGE...`` for a folder run: top classes with the training preprocessing.
    A folder among the images stands for the image files in it (sorted)."""
    from chainrule.vision.datasets import IMG_EXTENSIONS, pil_loader

    config = read_config(args.run_dir)
    model = load_run_model(args.run_dir, config)
    if getattr(args, "invert", False):
        print("note: --invert is ignored for this run: light backgrounds are detected and inverted automatically, "
              "as in training", file=sys.stderr)
    top = min(getattr(args, "top", 3), len(config["classes"]))
    paths = []
    for given in args.images:
        if Path(given).is_dir():
            found = sorted(str(f) for f in Path(given).iterdir() if f.suffix.lower() in IMG_EXTENSIONS)
            if not found:
                raise RunError(f"{given}: a folder without image files ({', '.join(IMG_EXTENSIONS)})")
            paths += found
        else:
            paths.append(given)
    for path in paths:
        x, _, inverted = prepare(pil_loader(path), config["input"])
        if inverted:
            print(f"note: {path} has a light background; inverted to the dark background of the training images",
                  file=sys.stderr)
        with cr.no_grad():
            p = model(cr.from_numpy(x[None])).softmax(dim=1).numpy()[0]
        best = np.argsort(-p, kind="stable")[:top]
        print(f"{path}: " + ", ".join(f"{config['classes'][i]} {p[i]:.3f}" for i in best))
    return 0


def run_evaluate_folder(args) -> int:
    """``chainrule evaluate RUN_DIR`` for a folder run: the validation images again, per class."""
    config = read_config(args.run_dir)
    model = load_run_model(args.run_dir, config)
    root = Path(config["data"])
    files = [root / f for f in config["val_files"]]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise RunError(f"{len(missing)} validation images of {args.run_dir} are gone, e.g. {missing[0]}")
    X, _, keep, _ = load_images(files, config["input"])
    if X is None:
        raise RunError(f"none of the validation images of {args.run_dir} could be read")
    index = {name: i for i, name in enumerate(config["classes"])}
    y = np.array([index[Path(config["val_files"][i]).parts[0]] for i in keep], dtype=np.int64)
    result = evaluate_images(model, config, X, y, None, [str(files[i]) for i in keep])
    print(result["headline"])
    for c, name in enumerate(config["classes"]):
        n = int((y == c).sum())
        acc = float((result["y_pred"][y == c] == c).mean()) if n else float("nan")
        print(f"  {name}: {acc:.4f} (n={n})")
    return 0
