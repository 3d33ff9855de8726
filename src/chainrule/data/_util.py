"""Small helpers shared by the data pipeline: array <-> Tensor and generator resolution."""

from __future__ import annotations

import numpy as np

from .. import random as _random


def as_array(x):
    """The NumPy array behind ``x`` (a chainrule Tensor or anything array-like), without copying."""
    data = getattr(x, "_data", None)
    return data if isinstance(data, np.ndarray) else np.asarray(x)


def is_tensor(x) -> bool:
    import chainrule  # late: chainrule imports this package while it initialises

    return isinstance(x, chainrule.Tensor)


def wrap(arr: np.ndarray):
    """A chainrule Tensor sharing memory with ``arr``."""
    import chainrule

    return chainrule.from_numpy(np.asarray(arr))


def resolve_generator(generator=None, seed=None, where: str = "") -> _random.Generator | None:
    """``generator`` or a fresh one seeded with ``seed``; None means "the global generator at draw time"."""
    if seed is not None:
        if generator is not None:
            raise ValueError(f"{where}: pass either generator= or seed=, not both")
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"{where}: seed must be an int, got {type(seed).__name__}")
        return _random.Generator().manual_seed(int(seed))
    if generator is not None and not isinstance(generator, (_random.Generator, np.random.Generator)):
        raise TypeError(
            f"{where}: generator must be a chainrule.Generator, got {type(generator).__name__}"
        )
    return generator


def rng_of(generator) -> np.random.Generator:
    """The NumPy generator to draw from now (the global one when ``generator`` is None)."""
    if isinstance(generator, np.random.Generator):
        return generator
    # NOTE: read .rng at draw time: manual_seed() replaces it
    return (generator if generator is not None else _random.default_generator).rng
