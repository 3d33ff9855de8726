"""``chainrule evaluate RUN_DIR``: rebuild a run's model, load its weights, report test accuracy per class."""

from __future__ import annotations

import numpy as np

from chainrule.cli.report import evaluate_run, per_class_table
from chainrule.cli.runs import RunError, build_loss, load_model, load_raw, preprocessing, read_config


def run_evaluate(args) -> int:
    import sys
    import warnings
    from pathlib import Path

    from chainrule.cli.finite import describe_nonfinite, nonfinite_parameters
    from chainrule.data import TensorDataset

    config = read_config(args.run_dir)
    model = load_model(args.run_dir, config)
    bad = nonfinite_parameters(model)
    if bad:
        raise RunError(describe_nonfinite(Path(args.run_dir) / "model.safetensors", bad))
    X_test, y_test, _ = load_raw(config["dataset"], False, config["seed"], config.get("noise") or 0.0)
    test_data = TensorDataset(X_test, y_test, transform=preprocessing(config))
    with warnings.catch_warnings(record=True) as caught, np.errstate(over="ignore", invalid="ignore"):
        warnings.simplefilter("always", RuntimeWarning)
        result = evaluate_run(model, build_loss(config), test_data, y_test, config, batch_size=args.batch_size)
    nonfinite = [str(w.message) for w in caught if "NaN or infinite" in str(w.message)]
    if config["task"] == "regression" and not all(np.isfinite(result[k]) for k in ("mse", "mae")):
        nonfinite.append("the model's predictions are NaN or infinite")
    print(f"{config['name']}: {config['dataset']}, {result['headline']}")
    if nonfinite:
        print(f"chainrule evaluate: warning: {nonfinite[0]}; this result is not meaningful", file=sys.stderr)
        return 1
    if config["task"] == "classification":
        width = max(len(name) for name in config["classes"])
        print(f"{'class':<{width}}  accuracy  samples")
        for name, acc, n in per_class_table(config, result):
            print(f"{name:<{width}}  {acc:8.4f}  {n:7d}")
    return 0
