"""results.json: what a finished run achieved, in one machine-readable file beside report.md.

    {"chainrule_version": "...", "dataset": "fashion-mnist", "task": "classification",
     "test": {"loss": 0.33, "accuracy": 0.889, "ci95": [0.882, 0.895], "n": 10000},
     "per_class": [{"class": "T-shirt/top", "precision": 0.84, "recall": 0.85, "f1": 0.84,
                    "accuracy": 0.85, "support": 1000}, ...],
     "epochs": {"run": 14, "planned": 20, "best": 9},
     "time": {"epochs": [0.9, 0.8, ...], "train_seconds": 12.1, "total_seconds": 15.3},
     "diagnosis": {"kind": "converged", "message": "...", "epoch": null, "chance_loss": 2.3026}}

A regression run has ``test: {"mse", "mae", "r2", "n"}`` and no per_class. Per-class accuracy is the
share of that class's test samples predicted right (= recall), as in report.md.
"""

from __future__ import annotations

import math

import numpy as np

from chainrule.cli.runs import write_json


def chance_level(config: dict, y_train=None) -> float | None:
    """The loss of a constant prediction, which a run that learns nothing stays at.

    Cross-entropy (or NLL): the entropy of the training class frequencies (ln C for C balanced classes).
    MSE regression: the variance of the training targets. Other losses: None (not known).
    """
    if config["task"] == "classification" and config["loss"] in ("cross-entropy", "nll"):
        if y_train is None:
            return math.log(config["out_features"])
        counts = np.bincount(np.asarray(y_train, dtype=np.int64).ravel(), minlength=config["out_features"])
        p = counts[counts > 0] / counts.sum()
        return float(-(p * np.log(p)).sum())
    if config["task"] == "regression" and config["loss"] == "mse" and y_train is not None:
        return float(np.var(np.asarray(y_train, dtype=np.float64)))
    return None


def per_class_metrics(confusion: np.ndarray, classes) -> list[dict]:
    """Precision, recall, F1, accuracy (= recall) and support of every class, from the confusion matrix
    (rows: true class, columns: predicted). A class never predicted has precision 0, as scikit-learn's."""
    cm = np.asarray(confusion, dtype=np.float64)
    true, predicted, hits = cm.sum(axis=1), cm.sum(axis=0), np.diag(cm)
    rows = []
    for i, name in enumerate(classes):
        precision = hits[i] / predicted[i] if predicted[i] else 0.0
        recall = hits[i] / true[i] if true[i] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append({"class": str(name), "precision": round(float(precision), 4), "recall": round(float(recall), 4),
                     "f1": round(float(f1), 4), "accuracy": round(float(recall), 4), "support": int(true[i])})
    return rows


def build_results(config: dict, result: dict) -> dict:
    """The content of results.json from the run's config and ``evaluate_run``'s result (with history, times
    and diagnosis added by ``finish_run``)."""
    from chainrule import __version__

    history = result["history"]
    if config["task"] == "classification":
        test = {"loss": _num(result["loss"]), "accuracy": round(result["accuracy"], 6),
                "ci95": [round(v, 6) for v in result["ci"]], "n": result["n"]}
    else:
        test = {"mse": _num(result["mse"]), "mae": _num(result["mae"]), "r2": _num(result["r2"]), "n": result["n"]}
    val = history.get("val_loss") or []
    monitored = val if val and all(math.isfinite(v) for v in val) else history.get("loss") or []
    best = int(np.argmin(monitored)) + 1 if monitored and all(math.isfinite(v) for v in monitored) else None
    diagnosis = result["diagnosis"]
    out = {
        "chainrule_version": __version__, "name": config["name"], "dataset": config["dataset"], "task": config["task"],
        "test": test,
        "epochs": {"run": len(history.get("loss", [])), "planned": config["epochs"], "best": best},
        "time": {"epochs": [round(float(t), 4) for t in history.get("time", [])],
                 "train_seconds": round(result["train_seconds"], 3),
                 "total_seconds": round(result["total_seconds"], 3)},
        "diagnosis": {"kind": diagnosis.kind, "message": diagnosis.message, "epoch": diagnosis.epoch,
                      "chance_loss": result.get("chance")},
    }
    if config["task"] == "classification":
        out["per_class"] = per_class_metrics(result["confusion"], config["classes"])
    return out


def write_results(run_dir, config: dict, result: dict) -> dict:
    data = build_results(config, result)
    write_json(run_dir / "results.json", data)
    return data


def _num(x):
    x = float(x)
    return round(x, 6) if math.isfinite(x) else None  # JSON has no NaN


def diagnosis_context(config: dict, chance: float | None) -> dict:
    """``diagnose``'s keyword arguments for a run: its chance level, validation size and regularisation."""
    return {"chance": chance, "val_samples": config.get("val_samples") or None,
            "early_stopping": bool(config.get("early_stopping")), "dropout": config.get("dropout") or 0.0,
            "weight_decay": config.get("weight_decay") or 0.0, "augment": bool(config.get("augment"))}
