"""The models ``chainrule train --model NAME`` builds from a run's config: ``mlp`` (default) and ``cnn``.

A run folder is rebuilt from its config.json alone, so everything a model needs is in the config:
``model``, ``hidden``, ``activation``, ``dropout``, ``input_shape`` and ``out_features``.
"""

from __future__ import annotations

MODELS = ("mlp", "cnn")
CNN_HIDDEN = (128,)  # the reference CNN's fully connected layer
CNN_CHANNELS = (32, 64)
CNN_PADDING = 1  # new runs; run folders without the field hold the unpadded reference CNN (docs/performance.md)


def model_name(config: dict) -> str:
    return config.get("model", "mlp")  # run folders written before --model existed hold MLPs


def build_model(config: dict):
    """The untrained model of a run's config."""
    from chainrule import models

    if model_name(config) == "cnn":
        shape = config["input_shape"]
        return models.cnn(in_channels=1 if len(shape) == 2 else shape[0], image_size=tuple(shape[-2:]),
                          channels=config.get("channels", CNN_CHANNELS), hidden=config["hidden"],
                          out_features=config["out_features"], activation=config["activation"],
                          dropout=config["dropout"], padding=config.get("padding", 0))
    return models.mlp(config["in_features"], hidden=config["hidden"], out_features=config["out_features"],
                      activation=config["activation"], dropout=config["dropout"])


def describe(config: dict) -> str:
    """One line for the report and the console, e.g. 'CNN conv32-conv64-128-10, relu, dropout 0.2'."""
    widths = "-".join(str(s) for s in [*config["hidden"], config["out_features"]])
    if model_name(config) == "cnn":
        convs = "-".join(f"conv{c}" for c in config.get("channels", CNN_CHANNELS))
        pad = ", padding 1" if config.get("padding", 0) else ""
        return (f"CNN {convs}-{widths} (3x3 convs{pad}, 2x2 max pooling), {config['activation']}, "
                f"dropout {config['dropout']}")
    return f"MLP {config['in_features']}-{widths}, {config['activation']}, dropout {config['dropout']}"


def add_channel_axis(x):
    """Grey images get a channel axis, the layout conv layers take: a sample (H, W) -> (1, H, W), a batch
    (N, H, W) -> (N, 1, H, W) (transforms run per sample in a dataset, per batch in ``predict``)."""
    if x.ndim == 2:
        return x[None]
    return x[:, None] if x.ndim == 3 else x
