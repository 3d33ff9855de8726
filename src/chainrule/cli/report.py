"""Test-set evaluation of a run and the files that show it: curves.png, confusion.png, mistakes.png, report.md."""

from __future__ import annotations

import math

import numpy as np

from chainrule.cli.models import describe as describe_model
from chainrule.cli.runs import as_numpy, is_image, write_text


def evaluate_run(model, loss_fn, test_data, y_test, config: dict, probabilities: bool = False,
                 batch_size: int = 256) -> dict:
    """Evaluate ``model`` on the test set: accuracy with its interval, per-class accuracy, confusion matrix
    (and with ``probabilities`` the predicted probabilities, for the mistakes plot), or MSE, MAE and R^2
    for regression. ``headline`` is the one-line summary."""
    from chainrule.train import evaluate, predict, predict_proba

    model.eval()
    if config["task"] == "regression":
        pred = as_numpy(predict(model, test_data, batch_size=batch_size)).reshape(len(y_test), -1).astype(np.float64)
        target = np.asarray(y_test, dtype=np.float64).reshape(pred.shape)
        mse, mae = float(np.mean((pred - target) ** 2)), float(np.mean(np.abs(pred - target)))
        r2 = 1 - mse / float(np.var(target)) if np.var(target) > 0 else float("nan")
        return {"mse": mse, "mae": mae, "r2": r2, "n": len(target),
                "headline": f"test MSE {mse:.4g}, MAE {mae:.4g}, R^2 {r2:.4f} (n={len(target)})"}
    classes = config["classes"]
    ev = evaluate(model, test_data, loss_fn=loss_fn, batch_size=batch_size, num_classes=len(classes))
    low, high = (float(v) for v in ev.accuracy_ci)
    cm = as_numpy(ev.confusion_matrix).astype(np.int64)
    result = {
        "accuracy": float(ev.accuracy), "ci": (low, high), "n": int(ev.n), "loss": _float(ev.loss),
        "per_class": [float(a) for a in as_numpy(ev.per_class_accuracy)], "confusion": cm,
        "headline": f"test accuracy {float(ev.accuracy):.4f} (95% CI {low:.4f}-{high:.4f}, n={int(ev.n)})",
    }
    if probabilities:
        result["probs"] = as_numpy(predict_proba(model, test_data, batch_size=batch_size))
        result["y_pred"] = result["probs"].argmax(axis=1)
    return result


def per_class_table(config: dict, result: dict) -> list[tuple[str, float, int]]:
    counts = result["confusion"].sum(axis=1)
    return [(name, acc, int(n)) for name, acc, n in zip(config["classes"], result["per_class"], counts)]


def write_outputs(run_dir, config: dict, result: dict) -> list[str]:
    """Write the plots and report.md; returns notes for the user (plots skipped without matplotlib)."""
    from chainrule.cli.results import diagnosis_context
    from chainrule.train.diagnose import diagnose

    history = result["history"]
    result["diagnosis"] = diagnose(history, **diagnosis_context(config, result.get("chance")))
    notes, plots = [], []
    try:
        from chainrule import viz

        viz.plot_training_curves(history, run_dir / "curves.png", title=f"{config['name']} ({config['dataset']})",
                                 diagnosis=result["diagnosis"])
        plots.append(("Training curves", "curves.png"))
        if config["task"] == "classification":
            viz.plot_confusion_matrix(result["confusion"], config["classes"], run_dir / "confusion.png")
            plots.append(("Confusion matrix", "confusion.png"))
            if is_image(config["dataset"]):
                viz.plot_mistakes(result["images"], result["y_true"], result["y_pred"], result["probs"],
                                  config["classes"], run_dir / "mistakes.png")
                plots.append(("Most confident mistakes", "mistakes.png"))
        if "data" in result:
            from chainrule.cli.boundary import write_boundary

            write_boundary(run_dir, config, result["data"], result["model"], plots, notes)
            from chainrule.cli.inside import write_inside

            write_inside(run_dir, result["data"], result, plots)
    except ImportError as e:
        notes.append(f"plots skipped: {e}")
    write_text(run_dir / "report.md", render_report(config, result, plots))
    return notes


def render_report(config: dict, result: dict, plots) -> str:
    history = result["history"]
    epochs = len(history.get("loss", []))
    lines = [f"# {config['name']}", ""]
    if config["task"] == "classification":
        low, high = result["ci"]
        lines += [f"**Test accuracy: {result['accuracy']:.4f}** (95% CI {low:.4f}-{high:.4f}, Wilson interval over "
                  f"n = {result['n']} test samples); test loss {result['loss']:.4f}.", ""]
    else:
        lines += [f"**Test MSE: {result['mse']:.4g}**, MAE {result['mae']:.4g}, R^2 {result['r2']:.4f} "
                  f"(n = {result['n']} test samples).", ""]
    lines += [f"**Diagnosis:** {result['diagnosis'].message}", ""]
    if result.get("inside"):
        lines += [f"**Inside the network:** {result['inside']}", ""]
    stopped = ""
    val = history.get("val_loss") or []
    if config["early_stopping"] and epochs < config["epochs"]:
        stopped = f", stopped early (patience {config['early_stopping']})"
    if config["early_stopping"] and val and all(math.isfinite(v) for v in val):
        best = int(np.argmin(val)) + 1
        stopped += f"; best val_loss {min(val):.4f} at epoch {best}, whose weights were kept"
    lines += [f"Epochs run: {epochs} of {config['epochs']}{stopped}.", "",
              f"Time: {result['train_seconds']:.1f} s training, {result['total_seconds']:.1f} s in all.", ""]

    lines += ["## Settings", "", "| setting | value |", "|---|---|",
              f"| dataset | {config['dataset']} ({config['train_samples']} train, {config['val_samples']} validation) |",
              f"| model | {describe_model(config)} |",
              f"| loss | {config['loss']} |",
              f"| optimizer | {config['optimizer']}, lr {config['lr']:g}, momentum {config['momentum']:g}, "
              f"weight decay {config['weight_decay']:g} |",
              f"| batch size | {config['batch_size']} |",
              f"| schedule | {_schedule(config)} |",
              f"| augmentation | {', '.join(config['augment']) or 'none'} |",
              f"| seed | {config['seed']} |",
              f"| chainrule | {config['chainrule_version']} |", ""]
    if config["task"] == "classification":
        lines += ["## Per-class accuracy", "", "| class | accuracy | test samples |", "|---|---:|---:|"]
        lines += [f"| {name} | {acc:.4f} | {n} |" for name, acc, n in per_class_table(config, result)]
        lines.append("")
    if plots:
        lines += ["## Plots", ""] + [f"![{title}]({file})" for title, file in plots] + [""]
    lines += [f"Reproduce: `chainrule train {reproduce_args(config)}`", ""]
    return "\n".join(lines)


def reproduce_args(config: dict) -> str:
    parts = [f"--dataset {config['dataset']}", *(["--model cnn"] if config.get("model") == "cnn" else []), f"--hidden {','.join(map(str, config['hidden'])) or 'none'}",
             f"--activation {config['activation']}", f"--dropout {config['dropout']}", f"--loss {config['loss']}",
             f"--optimizer {config['optimizer']}", f"--lr {config['lr']:g}", f"--epochs {config['epochs']}",
             f"--batch-size {config['batch_size']}", f"--val-split {config['val_split']}",
             f"--early-stopping {config['early_stopping']}", f"--reduce-lr {config['reduce_lr']}",
             f"--seed {config['seed']}"]
    if config["optimizer"] in ("sgd", "momentum", "nesterov", "rmsprop"):
        parts.append(f"--momentum {config['momentum']:g}")
    if config["weight_decay"]:
        parts.append(f"--weight-decay {config['weight_decay']:g}")
    if config.get("threads"):  # a fixed thread count: the same bits (docs/runs.md, "Repeating a run")
        parts.append(f"--threads {config['threads']}")
    if config["augment"] or config.get("model") == "cnn":  # a CNN's default is flip: say 'none' when it had none
        parts.append(f"--augment {','.join(config['augment']) or 'none'}")
    if config.get("noise") is not None:
        parts.append(f"--noise {config['noise']}")
    if config["subset"]:
        parts.append(f"--subset {config['subset']}")
    return " ".join(parts)


def _schedule(config: dict) -> str:
    parts = [f"halve the lr after {config['reduce_lr']} epochs without progress" if config["reduce_lr"] else "constant lr"]
    if config["early_stopping"]:
        parts.append(f"early stopping with patience {config['early_stopping']}, best weights kept")
    return "; ".join(parts)


def _float(x) -> float:
    return float("nan") if x is None else float(x)
