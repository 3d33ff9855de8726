"""Optional fused optimizer updates, compiled with numba (``pip install chainrule[fast]``).

The readable NumPy update in ``adam.py`` makes about eight passes over memory per parameter; the
kernel below makes one, reading g, m, v, p and writing m, v, p, which halves Adam's step time on a
784-256-10 MLP. Both compute the same formula and are tested against each other; the NumPy form
stays the reference. Set ``CHAINRULE_JIT=0`` to use NumPy only.

Why a single thread: threads spin-waiting for a core that another process holds made a step 40
times slower on a shared 2-core machine. A plain loop compiled with NumPy's error model (no
division-by-zero checks) vectorises as well as a parallel one, with none of that risk.
"""

from __future__ import annotations

import os
import warnings

_kernels = None  # None: not tried yet; False: unavailable; else a namespace of compiled kernels


def adam_kernel():
    """The compiled Adam kernel, or None when numba is missing or disabled."""
    global _kernels
    if _kernels is None:
        _kernels = _compile() if os.environ.get("CHAINRULE_JIT", "1") != "0" else False
    return _kernels.adam if _kernels else None


def _compile():
    try:
        from chainrule.optim import _fused_numba
    except ImportError:
        return False
    try:  # compile now, so a numba problem shows here once and falls back to NumPy
        import numpy as np

        a = np.zeros(2, np.float32)
        c = np.float32(0.5)
        _fused_numba.adam(a, a.copy(), a.copy(), a.copy(), c, c, c, c, c, c, c, c, False, False)
    except Exception as exc:  # noqa: BLE001 - any JIT failure means: use the NumPy form
        warnings.warn(f"chainrule: numba kernels unavailable ({exc}); using NumPy updates", RuntimeWarning, stacklevel=3)
        return False
    return _fused_numba
