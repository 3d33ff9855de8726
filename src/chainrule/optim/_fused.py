"""Fused optimizer updates, compiled with numba: one pass over memory per parameter.

The readable NumPy update in ``adam.py`` makes about eight passes over memory per parameter; the
kernel in ``_fused_numba.py`` makes one, reading g, m, v, p and writing m, v, p, which takes a
third off an MLP's training step. Both compute the same formula in the same order and are tested
against each other bit for bit; the NumPy form stays the reference, and is what runs when numba is
missing, fails to compile, or ``CHAINRULE_JIT=0`` is set. Kernels are cached on disk by numba
(``cache=True``), so only the very first run pays for compiling them (about a second).

Why a single thread: threads spin-waiting for a core that another process holds made a step 40
times slower on a shared 2-core machine. A plain loop compiled with NumPy's error model (no
division-by-zero checks) vectorises as well as a parallel one, with none of that risk.
"""

from __future__ import annotations

import os
import warnings

_kernels = None  # None: not tried yet; False: unavailable; else the module of compiled kernels
_scalars_key = _scalars = None  # the last group/step/dtype's coefficients (one step reuses them)


def adam_kernel():
    """The compiled Adam kernel, or None when numba is missing or disabled."""
    global _kernels
    if _kernels is None:
        _kernels = _compile() if os.environ.get("CHAINRULE_JIT", "1") != "0" else False
    return _kernels.adam if _kernels else None


def fused_adam_step(p, state, group) -> bool:
    """Adam/AdamW's update of ``p`` in one compiled pass; False (nothing done) where it does not apply.

    It applies to contiguous float parameters whose gradient and moments share their dtype and
    layout, without amsgrad; anything else takes ``Adam._update``.
    """
    data, grad, m, v = p._data, p.grad._data, state["exp_avg"], state["exp_avg_sq"]
    if group["amsgrad"] or not _same_flat_layout(data, grad, m, v):
        return False
    global _scalars_key, _scalars
    key = (data.dtype, state["step"], float(group["lr"]), group["betas"], group["eps"], group["weight_decay"])
    if key != _scalars_key:  # once per step and group: rounded to the parameter's dtype, as the NumPy form's are
        dt, step, lr, (beta1, beta2), eps, weight_decay = data.dtype.type, *key[1:]
        _scalars = (dt(1 - beta1), dt(beta2), dt(1 - beta2), dt(lr / (1 - beta1**step)),
                    dt((1 - beta2**step) ** 0.5), dt(eps), dt(weight_decay), dt(1 - lr * weight_decay))
        _scalars_key = key
    _kernels.adam(data.reshape(-1), grad.reshape(-1), m.reshape(-1), v.reshape(-1), *_scalars,
                  group["maximize"], group["decoupled_weight_decay"])
    return True


def _same_flat_layout(data, grad, m, v):
    """True when all four are C-contiguous with ``data``'s float dtype and shape (reshape(-1) is a view)."""
    dtype, shape = data.dtype, data.shape
    return (dtype.kind == "f" and data.flags.c_contiguous and grad.flags.c_contiguous and m.flags.c_contiguous
            and v.flags.c_contiguous and grad.dtype == dtype and m.dtype == dtype and v.dtype == dtype
            and grad.shape == shape and m.shape == shape and v.shape == shape)


def _compile():
    try:
        from chainrule.optim import _fused_numba
    except ImportError:
        return False
    try:  # compile (or load from numba's cache) now, so a numba problem shows here once and falls back
        import numpy as np

        a = np.zeros(2, np.float32)
        c = np.float32(0.5)
        _fused_numba.adam(a, a.copy(), a.copy(), a.copy(), c, c, c, c, c, c, c, c, False, False)
    except Exception as exc:  # noqa: BLE001 - any JIT failure means: use the NumPy form
        warnings.warn(f"chainrule: numba kernels unavailable ({exc}); using NumPy updates", RuntimeWarning,
                      stacklevel=3)
        return False
    return _fused_numba
