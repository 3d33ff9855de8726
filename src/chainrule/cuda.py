"""``chainrule.cuda``: what device-agnostic lecture code asks of ``torch.cuda`` on a CPU-only library.

``is_available()`` is False and ``device_count()`` is 0, so ``"cuda" if torch.cuda.is_available()
else "cpu"`` picks the CPU; seeding and cache calls are accepted and do nothing (there is no GPU
state), as in a CPU-only PyTorch.
"""

from __future__ import annotations

from chainrule.devices import DeviceError


def is_available() -> bool:
    """Whether a CUDA GPU can be used: never, in chainrule."""
    return False


def device_count() -> int:
    """The number of CUDA GPUs: 0."""
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """Seed the GPU generators: nothing to seed (PyTorch also accepts this without a GPU)."""


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's generator: nothing to seed."""


def empty_cache() -> None:
    """Release cached GPU memory: there is none."""


def current_device() -> int:
    raise DeviceError("cuda.current_device(): no CUDA device: chainrule runs on the CPU only")


def synchronize(device=None) -> None:
    raise DeviceError("cuda.synchronize(): no CUDA device: chainrule runs on the CPU only")


def get_device_name(device=None) -> str:
    raise DeviceError("cuda.get_device_name(): no CUDA device: chainrule runs on the CPU only")
