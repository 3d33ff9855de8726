"""``chainrule evaluate RUN_DIR``: rebuild a run's model, load its weights, report test accuracy per class."""

from __future__ import annotations

from chainrule.cli.report import evaluate_run, per_class_table
from chainrule.cli.runs import build_loss, load_model, load_raw, preprocessing, read_config


def run_evaluate(args) -> int:
    from chainrule.data import TensorDataset

    config = read_config(args.run_dir)
    model = load_model(args.run_dir, config)
    X_test, y_test, _ = load_raw(config["dataset"], False, config["seed"], config.get("noise") or 0.0)
    test_data = TensorDataset(X_test, y_test, transform=preprocessing(config))
    result = evaluate_run(model, build_loss(config), test_data, y_test, config, batch_size=args.batch_size)
    print(f"{config['name']}: {config['dataset']}, {result['headline']}")
    if config["task"] == "classification":
        width = max(len(name) for name in config["classes"])
        print(f"{'class':<{width}}  accuracy  samples")
        for name, acc, n in per_class_table(config, result):
            print(f"{name:<{width}}  {acc:8.4f}  {n:7d}")
    return 0
