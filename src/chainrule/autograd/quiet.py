"""NumPy's floating-point warnings switched off inside ops: PyTorch computes inf and nan silently.

``log(0)`` is ``-inf`` and ``0 / 0`` is ``nan`` without a ``RuntimeWarning``; ``detect_anomaly()`` is
the place where such values are reported (it checks every op's output and gradient). The switch is
NumPy's own error state (what ``np.errstate`` sets), held only while one op's forward or one backward
pass runs, so the user's NumPy code keeps its warnings::

    token = set_state(IGNORE)
    try:
        ...  # NumPy work of an op
    finally:
        reset_state(token)
"""

from __future__ import annotations

import numpy as np

try:
    # NumPy 2 keeps the error state in a context variable; setting it directly costs ~0.1 us per op,
    # `with np.errstate(all="ignore")` ~2 us (more than the rest of a small op's overhead)
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    IGNORE = _make_extobj(all="ignore")
    set_state = _extobj_contextvar.set
    reset_state = _extobj_contextvar.reset
except (ImportError, AttributeError, TypeError):  # NumPy 1.x: the public (thread-local) settings
    IGNORE = {"all": "ignore"}

    def set_state(state):
        return np.seterr(**state)

    def reset_state(token):
        np.seterr(**token)
