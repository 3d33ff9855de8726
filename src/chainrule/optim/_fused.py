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

import numpy as np

from chainrule.ops._jit import LazyKernels

_rows = {}  # _row's cache for the per-parameter update (the one-call update keeps its own per optimizer)
_last = None  # (row, dtype, its scalars in that dtype): the last parameter's, which the next one mostly shares


def adam_kernel():
    """The compiled Adam kernel, or None when numba is missing or disabled."""
    k = kernels()
    return k.adam if k else None


def fused_adam_step(p, state, group) -> bool:
    """Adam/AdamW's update of ``p`` in one compiled pass; False (nothing done) where it does not apply.

    It applies to contiguous float parameters whose gradient and moments share their dtype and
    layout, without amsgrad; anything else takes ``Adam._update``.
    """
    data, grad, m, v = p._data, p.grad._data, state["exp_avg"], state["exp_avg_sq"]
    if group["amsgrad"] or not _same_flat_layout(data, grad, m, v):
        return False
    kernels().adam(data.reshape(-1), grad.reshape(-1), m.reshape(-1), v.reshape(-1),
                   *_coefficients(data, state["step"], group), group["maximize"], group["decoupled_weight_decay"])
    return True


def _coefficients(data, step, group):
    """The kernel's eight scalars for one step of ``group``, rounded to the parameter's dtype (as the NumPy
    form's are); the one-call update's row (``_row``) made per parameter, remembered for the step."""
    global _last
    row = _row(step, group, _rows)
    if _last is None or _last[0] is not row or _last[1] != data.dtype:
        dt = data.dtype.type
        _last = (row, data.dtype, tuple(dt(v) for v in row[:8]))
    return _last[2]


def fused_adam_all(items, views, rows) -> bool:
    """One compiled call updating every parameter of every param group: ``items`` are the step's
    ``(p, state, group)`` (each with a gradient and a state); False, with nothing done (not even a step
    counted), where it does not apply, and the caller then updates parameter by parameter.

    It applies when ``fused_adam_step`` would apply to each parameter and all share one dtype; groups
    may differ in every hyperparameter and parameters in their step count, since each parameter gets
    its own row of scalars. ``views`` caches each parameter's flat views of its data and moments,
    checked by identity each step (a replaced array, e.g. after ``load_state_dict``, is viewed afresh);
    ``rows`` caches the scalars per step and hyperparameters.
    """
    if not items:
        return True
    dtype = items[0][0]._data.dtype
    ps, gs, ms, vs, scalars = [], [], [], [], []
    group = step = row = None
    for p, state, g in items:
        if g is not group or state["step"] + 1 != step:  # a new group, or a late-joining parameter
            if g["amsgrad"]:
                return False
            group, step = g, state["step"] + 1
            row = _row(step, group, rows)
        data, grad, m, v = p._data, p.grad._data, state["exp_avg"], state["exp_avg_sq"]
        cached = views.get(id(p))
        if cached is None or cached[0] is not data or cached[1] is not m or cached[2] is not v:
            if data.dtype != dtype or not _same_flat_layout(data, grad, m, v):
                return False
            cached = views[id(p)] = (data, m, v, data.reshape(-1), m.reshape(-1), v.reshape(-1))
        elif data.dtype != dtype or not (grad.dtype == dtype and grad.shape == data.shape and grad.flags.c_contiguous):
            return False  # (m and v are the cached arrays, checked against data when cached)
        ps.append(cached[3])
        gs.append(grad.reshape(-1))
        ms.append(cached[4])
        vs.append(cached[5])
        scalars.append(row)
    for _, state, _ in items:  # every parameter applies: now count the step
        state["step"] += 1
    pad = (1 << (len(ps) - 1).bit_length()) - len(ps)  # to a power of two: few compiled lengths
    if pad:
        empty = _empty(dtype)
        for lst in (ps, gs, ms, vs):
            lst.extend([empty] * pad)
        scalars.extend([(0.0,) * 10] * pad)
    kernels().adam_params(tuple(ps), tuple(gs), tuple(ms), tuple(vs), np.array(scalars, dtype))
    return True


def _row(step, group, rows):
    """The kernel's scalars for a parameter at ``step`` of ``group``, as Python floats (``np.array``
    rounds them to the parameter's dtype: the NumPy form's values); cached in ``rows``."""
    key = (step, float(group["lr"]), tuple(group["betas"]), group["eps"], group["weight_decay"], group["maximize"],
           group["decoupled_weight_decay"])
    row = rows.get(key)
    if row is None:
        if len(rows) > 64:  # the steps go by: keep the cache small
            rows.clear()
        _, lr, (beta1, beta2), eps, weight_decay, maximize, decoupled = key
        row = rows[key] = (1 - beta1, beta2, 1 - beta2, lr / (1 - beta1**step), (1 - beta2**step) ** 0.5, eps,
                           weight_decay, 1 - lr * weight_decay, float(maximize), float(decoupled))
    return row


_empties = {}


def _empty(dtype):
    e = _empties.get(dtype)
    if e is None:
        e = _empties[dtype] = np.empty(0, dtype)
    return e


def _same_flat_layout(data, grad, m, v):
    """True when all four are C-contiguous with ``data``'s float dtype and shape (reshape(-1) is a view)."""
    dtype, shape = data.dtype, data.shape
    # float32/float64 only: numba has no float16 (an Adam on half parameters took a compile error)
    return (dtype.kind == "f" and dtype.itemsize >= 4 and data.flags.c_contiguous and grad.flags.c_contiguous and m.flags.c_contiguous
            and v.flags.c_contiguous and grad.dtype == dtype and m.dtype == dtype and v.dtype == dtype
            and grad.shape == shape and m.shape == shape and v.shape == shape)


def _warm(k):
    a = np.zeros(2, np.float32)
    c = np.float32(0.5)
    k.adam(a, a.copy(), a.copy(), a.copy(), c, c, c, c, c, c, c, c, False, False)
    for dt in (np.float32, np.float64):  # and the whole-step kernel for the most common lengths (cached on disk)
        a = np.zeros(2, dt)
        for n in (2, 4, 8):
            t = (a,) * n
            k.adam_params(t, t, t, t, np.zeros((n, 10), dt))


# the compiled kernels (a module), or None when numba is missing or CHAINRULE_JIT=0
kernels = LazyKernels("chainrule.optim._fused_numba", _warm, "kernels", "using NumPy updates")
