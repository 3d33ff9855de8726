"""The schema of a run's ``config.json``: what ``evaluate``, ``predict`` and ``train --resume`` rely on.

A damaged file (``{}``, ``[]``, ``null``, ``"dataset": "nonsense"``, a width made a string) is refused with
one line naming the file and the field. Fields this schema does not know are allowed (newer versions add
some); the ones it names must have the right type and range, and agree with each other.
"""

from __future__ import annotations

import math

from chainrule.cli.runs import DATASETS, LOSSES, TOY_REGRESSION, is_image
from chainrule.io.schema import Fields, Float, Int, List, Optional, SchemaError, Str, validate

__all__ = ["CONFIG_SCHEMA", "check_config"]

_FINITE = Float()
CONFIG_SCHEMA = Fields({
    "dataset": Str(DATASETS),
    "task": Str(("classification", "regression")),
    "hidden": List(Int(min=1)),
    "activation": Str(),
    "dropout": Float(0.0, 1.0, max_open=True),
    "loss": Str(LOSSES),
    "optimizer": Str(),
    "lr": Float(0.0, min_open=True),
    "momentum": Float(0.0, 1.0),
    "weight_decay": Float(0.0),
    "epochs": Int(min=1),
    "batch_size": Int(min=1),
    "val_split": Float(0.0, 1.0, max_open=True),
    "early_stopping": Int(min=0),
    "reduce_lr": Int(min=0),
    "augment": List(Str(("shift", "flip", "noise"))),
    "noise": Optional(Float(0.0)),
    "subset": Optional(Int(min=1)),
    "seed": Int(min=0),
    "checkpoint_every": Optional(Int(min=0)),
    "threads": Optional(Int(min=1)),
    "name": Str(),
    "normalize": Fields({"mean": List(_FINITE, min_len=1), "std": List(Float(0.0, min_open=True), min_len=1)}),
    "in_features": Int(min=1),
    "input_shape": List(Int(min=1), min_len=1),
    "out_features": Int(min=1),
    "classes": Optional(List(Str(), min_len=1)),
    "padding": Int(min=0, max=1),
}, required=("dataset", "task", "activation", "dropout", "loss", "seed", "name", "normalize",
             "in_features", "input_shape", "out_features"))


def check_config(config, path) -> dict:
    """Return ``config`` if it fits ``CONFIG_SCHEMA`` and agrees with itself; else raise ``SchemaError``."""
    if isinstance(config, dict) and config.get("command") == "recommend":
        # a `chainrule recommend` run (cli/recommend.py): its own fields; listed by `chainrule runs`
        for field in ("dataset", "dim", "seed", "n_users", "n_items"):
            if field not in config:
                raise SchemaError(path, field, "is missing")
        return config
    if isinstance(config, dict) and isinstance(config.get("data"), str) and "activation" not in config:
        # a `train --data FOLDER` run (chainrule.vision): its own fields, read by cli/imagefolder*.py
        for field in ("model", "classes", "input", "seed"):
            if field not in config:
                raise SchemaError(path, field, "is missing")
        return config
    validate(config, CONFIG_SCHEMA, path)
    from chainrule.models import ACTIVATIONS

    def fail(field: str, problem: str):
        raise SchemaError(path, field, problem)

    if config.get("model", "mlp") == "mlp" and "hidden" not in config:  # other models have their own fields
        fail("hidden", "is missing")
    if config["activation"] not in ACTIVATIONS:
        fail("activation", f"is {config['activation']!r}, expected one of {', '.join(ACTIVATIONS)}")
    task = "regression" if config["dataset"] in TOY_REGRESSION else "classification"
    if config["task"] != task:
        fail("task", f"is {config['task']!r}, but dataset {config['dataset']!r} is a {task} set")
    if math.prod(config["input_shape"]) != config["in_features"]:
        fail("in_features", f"is {config['in_features']}, but input_shape {config['input_shape']} holds "
                            f"{math.prod(config['input_shape'])} values")
    if task == "classification":
        classes = config.get("classes")
        if classes is None:
            fail("classes", "is missing, but a classification run needs its class names")
        if len(classes) != config["out_features"]:
            fail("classes", f"names {len(classes)} classes, but out_features is {config['out_features']}")
    width = 1 if is_image(config["dataset"]) else config["in_features"]
    for key in ("mean", "std"):
        if len(config["normalize"][key]) != width:
            fail(f"normalize.{key}", f"has {len(config['normalize'][key])} values, expected {width}")
    return config
