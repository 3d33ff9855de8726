"""How much memory the machine has, and refusing an allocation that cannot fit before making it.

A model or dataset asked for beyond the machine (``--hidden 1000000,1000000``: 4 TB of weights) would
otherwise end in a ``MemoryError`` traceback, or worse, be allocated lazily by the operating system and
killed halfway through training. ``check_fits`` compares an estimate with the memory the machine can
give (available RAM plus free swap) and raises ``OutOfMemoryError`` with both sizes.
"""

from __future__ import annotations

import os

__all__ = ["OutOfMemoryError", "total_memory", "available_memory", "check_fits", "format_bytes"]


class OutOfMemoryError(MemoryError):
    """An allocation that the machine cannot hold, refused before it was made.

    Attributes:
        needed (int): the bytes asked for.
        available (int or None): the bytes the machine can give, None when unknown.
    """

    def __init__(self, message: str, needed: int, available: int | None):
        super().__init__(message)
        self.needed, self.available = needed, available


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KiB'``; binary units up to EiB."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} EiB"


def _meminfo() -> dict[str, int]:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            return {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f if line.split()[1:2]}
    except (OSError, ValueError, IndexError):
        return {}


def total_memory() -> int | None:
    """The machine's physical memory in bytes, None when it cannot be found."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return _meminfo().get("MemTotal")


def available_memory() -> int | None:
    """Bytes that can be allocated now without pushing others out: available RAM plus free swap (Linux);
    the physical memory elsewhere; None when unknown."""
    info = _meminfo()
    if "MemAvailable" in info:
        return info["MemAvailable"] + info.get("SwapFree", 0)
    return total_memory()


def check_fits(nbytes: int, what: str) -> None:
    """Raise ``OutOfMemoryError`` if ``nbytes`` is more than the machine can give now.

    Args:
        nbytes (int): the estimated allocation.
        what (str): what would be allocated, for the message ("the model's parameters (1000000x1000000 ...)").

    >>> check_fits(4 * 10**12, "the model")  # doctest: +SKIP
    OutOfMemoryError: the model needs 3.6 TiB of memory, but this machine has 24.0 GiB available (of 24.0 GiB)
    """
    available = available_memory()
    if available is None or nbytes <= available:
        return
    total = total_memory()
    of = f" (of {format_bytes(total)})" if total else ""
    raise OutOfMemoryError(f"{what} needs {format_bytes(nbytes)} of memory, but this machine has "
                           f"{format_bytes(available)} available{of}", nbytes, available)
