"""What a ``chainrule train`` run asks of the machine, checked before anything is allocated or written.

A run that cannot fit (``--hidden 1000000,1000000``: 4 TB of weights; ``--subset 10**12`` toy points;
``--threads 10**20``) is refused with one line that gives the size and the machine's memory, before the
run folder exists.
"""

from __future__ import annotations

import os

from chainrule.cli.runs import is_image
from chainrule.utils.memory import check_fits, format_bytes

__all__ = ["MAX_THREADS", "set_threads", "check_subset", "check_run_fits", "training_bytes"]

MAX_THREADS = 1024  # BLAS libraries cap their pools far lower; a larger number is a typo
# per parameter, in float32 units: the parameter, its gradient, up to two optimizer moments, the best
# weights kept by early stopping, and the serialized checkpoint (parameters and moments again)
_COPIES = 8


def set_threads(n: int, parser) -> None:
    import chainrule as cr

    if n > MAX_THREADS:
        parser.error(f"--threads {n} is more than any machine runs usefully; give at most {MAX_THREADS} "
                     f"(this machine has {os.cpu_count() or '?'} cores)")
    cr.set_num_threads(n)


def check_subset(config: dict) -> None:
    """Refuse a toy set of ``--subset`` points that cannot be generated in memory (images are only subsampled)."""
    n = config.get("subset")
    if n is not None and not is_image(config["dataset"]):
        check_fits(n * 2 * 8 * 6, f"--subset {n} ({config['dataset']} points, float64 while generated)")


def layer_sizes(config: dict) -> list[int]:
    return [int(config["in_features"]), *(int(h) for h in config["hidden"]), int(config["out_features"])]


def training_bytes(config: dict) -> tuple[int, int]:
    """``(parameters, bytes)``: the model's parameter count and an estimate of what training it allocates."""
    sizes = layer_sizes(config)
    params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    # activations of a batch: forward values and their gradients for every layer, a few temporaries each
    batch = min(int(config["batch_size"]), int(config.get("train_samples") or config["batch_size"]))
    activations = batch * sum(sizes) * 4 * 4
    return params, params * 4 * _COPIES + activations


def check_run_fits(config: dict, data: dict | None = None) -> None:
    """Raise ``OutOfMemoryError`` (size and machine memory in the message) if training cannot fit."""
    params, nbytes = training_bytes(config)
    shape = "-".join(str(s) for s in layer_sizes(config))
    check_fits(nbytes, f"training the MLP {shape} ({params:,} parameters: {format_bytes(params * 4)} of float32 "
                       "weights, with gradients, optimizer state and checkpoints)")
