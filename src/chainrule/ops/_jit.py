"""One rule for every compiled (numba) fast path: load its kernels lazily, once, or fall back to NumPy.

Each fast path keeps its readable NumPy form as the reference; its kernels live in a ``_*_numba``
module that imports numba. ``load_kernels`` imports that module and runs ``warm`` on it, which calls
every kernel on tiny arrays so that compiling (or loading numba's disk cache) happens here, once. It
returns the module, or False when ``CHAINRULE_JIT=0`` is set, numba is not installed, or warming up
failed (then with one RuntimeWarning naming ``what``): the callers then run the NumPy form.
``LazyKernels`` is how a fast path holds them: called, it loads them the first time and then gives
the module, or None.
"""

from __future__ import annotations

import importlib
import os
import warnings


def jit_enabled() -> bool:
    """False when the user switched the compiled paths off with ``CHAINRULE_JIT=0``."""
    return os.environ.get("CHAINRULE_JIT", "1") != "0"


def load_kernels(module: str, warm, what: str, fallback: str = "using NumPy"):
    """The kernels' module ``module`` after ``warm(module)`` ran, or False (see the module docstring)."""
    if not jit_enabled():
        return False
    try:
        kernels = importlib.import_module(module)
    except ImportError:
        return False
    try:
        warm(kernels)
    except Exception as exc:  # noqa: BLE001 - any JIT failure means: use the NumPy form
        warnings.warn(f"chainrule: numba {what} unavailable ({exc}); {fallback}", RuntimeWarning, stacklevel=4)
        return False
    return kernels


class LazyKernels:
    """A fast path's kernels: ``load_kernels(module, warm, what, fallback)`` on the first call, then the
    same answer every call: the kernels' module, or None (the NumPy form runs)."""

    def __init__(self, module: str, warm, what: str, fallback: str = "using NumPy"):
        self.module, self.warm, self.what, self.fallback = module, warm, what, fallback
        self.loaded = None  # None: not tried yet; False: unavailable or disabled; else the module

    def __call__(self):
        if self.loaded is None:
            self.loaded = load_kernels(self.module, self.warm, self.what, self.fallback)
        return self.loaded or None
