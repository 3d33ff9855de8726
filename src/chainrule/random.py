"""Random number generators: every chainrule random draw goes through a ``Generator``.

There is no hidden global NumPy state: ``manual_seed(n)`` reseeds ``default_generator``, and any API
that draws random numbers also takes ``generator=`` for a private stream.
"""

from __future__ import annotations

import numpy as np


class Generator:
    """A seedable random stream (PCG64 underneath), like ``torch.Generator``.

    >>> g = Generator().manual_seed(0)
    >>> x = chainrule.randn(3, generator=g)
    """

    def __init__(self, seed: int | None = None, device=None):
        from chainrule import devices

        if isinstance(seed, (str, devices.device)):  # torch.Generator("cpu") / Generator(device)
            seed, device = None, seed
        devices.check(device, "Generator")
        self.manual_seed(seed if seed is not None else 67280421310721)

    @property
    def device(self):
        """Always ``device(type='cpu')``."""
        from chainrule import devices

        return devices.CPU

    def manual_seed(self, seed: int) -> "Generator":
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed expected an int, got {type(seed).__name__}")
        self._seed = int(seed)
        self.rng = np.random.Generator(np.random.PCG64(int(seed) % 2**128))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        """The generator's full state as a JSON-friendly dict (for checkpoints)."""
        return {"seed": self._seed, "bit_generator": self.rng.bit_generator.state}

    def set_state(self, state: dict) -> None:
        self._seed = int(state["seed"])
        self.rng.bit_generator.state = state["bit_generator"]

    def spawn(self) -> "Generator":
        """A new independent generator derived from this one (for data workers, augmentation, ...)."""
        g = Generator.__new__(Generator)
        g._seed = self._seed
        g.rng = np.random.Generator(self.rng.bit_generator.jumped())
        return g


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed chainrule's global generator, making every draw that uses it reproducible."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Reseed the global generator from OS entropy and return the seed used."""
    s = int(np.random.SeedSequence().entropy % 2**63)
    default_generator.manual_seed(s)
    return s


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def rng_of(generator: Generator | None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (the global one when None)."""
    return (generator or default_generator).rng
