"""Compiled gate math for the LSTM and GRU time loops (numba, ``pip install chainrule[fast]``).

Per time step the NumPy backward in ``rnn.py`` makes about ten NumPy calls, each a pass over memory
plus Python overhead; with the kernels a backward step is one compiled pass and one matrix product
(BLAS). Backward's gate math is plain arithmetic. Forward's needs exp and tanh, which NumPy's SIMD
loops compute faster than numba's scalar ones (a fully compiled forward of a 32->128 LSTM, T=50,
B=32 took 16 ms against NumPy's 7 ms), so the LSTM forward keeps exp and tanh in NumPy and compiles
only the rest of the step. Both forms fill the same buffers and are tested against each other and
against PyTorch. ``CHAINRULE_JIT=0`` selects the NumPy form.
"""

from __future__ import annotations

import numpy as np

from chainrule.ops._jit import LazyKernels


def _warm(k):
    a = np.zeros((1, 4), np.float32)
    h = np.zeros((1, 1), np.float32)
    k.lstm_backward_step(a, h, h.copy(), h.copy(), h.copy(), h.copy(), a.copy())


# the compiled kernels (a module), or None when numba is missing or CHAINRULE_JIT=0
kernels = LazyKernels("chainrule.ops._rnn_numba", _warm, "RNN kernels")


def lstm_backward(ctx, k, grad, steps, ds, dcs, dh_n, dc_n, dh0, dc0, first_m):
    offsets, g = ctx.offsets, ctx.g
    dg = np.empty_like(g)
    dcs = dcs.copy()  # updated in place by the kernel
    for i in range(len(steps) - 1, -1, -1):
        t = steps[i]
        lo, hi = offsets[t], offsets[t + 1]
        k.lstm_backward_step(g[lo:hi], grad[lo:hi], ds, dcs, ctx.cprev[lo:hi], ctx.tc[lo:hi], dg[lo:hi])
        ds = ctx._undo_resize(i, steps, dg[lo:hi] @ ctx.w_hh, dh_n, dh0, first_m)
        dcs = ctx._undo_resize(i, steps, dcs, dc_n, dc0, first_m)
    return dg, ds, dcs


def gru_backward(ctx, k, grad, steps, ds, dh_n, dh0, first_m):
    offsets, g = ctx.offsets, ctx.g
    dg, dg_h = np.empty_like(g), np.empty_like(g)
    direct = np.empty_like(dh0)
    for i in range(len(steps) - 1, -1, -1):
        t = steps[i]
        lo, hi = offsets[t], offsets[t + 1]
        k.gru_backward_step(g[lo:hi], grad[lo:hi], ds, ctx.hprev[lo:hi], ctx.hn[lo:hi], dg[lo:hi], dg_h[lo:hi],
                            direct[: hi - lo])
        ds = dg_h[lo:hi] @ ctx.w_hh
        ds += direct[: hi - lo]
        ds = ctx._undo_resize(i, steps, ds, dh_n, dh0, first_m)
    return dg, dg_h, ds
