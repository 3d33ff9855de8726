"""``chainrule.accelerator``: PyTorch's device-generic accelerator queries; there is no accelerator."""

from __future__ import annotations


def is_available() -> bool:
    """Whether any accelerator (CUDA, MPS, XPU ...) can be used: never, in chainrule."""
    return False


def device_count() -> int:
    return 0


def current_accelerator(check_available: bool = False):
    """The current accelerator device: None, as in PyTorch when there is none."""
    return None
