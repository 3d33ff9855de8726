"""The numba kernels behind ``rnn_fast.py``: one time step's gate arithmetic in one call.

Each kernel does in one pass what the NumPy form in ``rnn.py`` does in several calls; the matrix
products, exp and tanh stay in NumPy. The forward buffers hold the gate activations in the op's
layout: LSTM blocks (i, f, o, g), GRU blocks (r, z, n).
"""

import numba


@numba.njit(error_model="numpy", cache=True)
def lstm_backward_step(gates, grad, ds, dcs, cprev, tc, d):
    """d (n, 4H) <- gradient of the gate pre-activations; dcs <- gradient of c_prev (in place)."""
    n, hidden = ds.shape
    for b in range(n):
        for j in range(hidden):
            i, f = gates[b, j], gates[b, hidden + j]
            o, g = gates[b, 2 * hidden + j], gates[b, 3 * hidden + j]
            t = tc[b, j]
            dh = grad[b, j] + ds[b, j]
            dc = dh * o * (1 - t * t) + dcs[b, j]
            d[b, j] = dc * g * i * (1 - i)
            d[b, hidden + j] = dc * cprev[b, j] * f * (1 - f)
            d[b, 2 * hidden + j] = dh * t * o * (1 - o)
            d[b, 3 * hidden + j] = dc * i * (1 - g * g)
            dcs[b, j] = dc * f


@numba.njit(error_model="numpy", cache=True)
def gru_backward_step(gates, grad, ds, hprev, hn, dg, dgh, direct):
    """dg, dgh (n, 3H) <- gradients of the input-side and hidden-side pre-activations; direct = dh * z."""
    n, hidden = ds.shape
    for b in range(n):
        for j in range(hidden):
            r, z, nn = gates[b, j], gates[b, hidden + j], gates[b, 2 * hidden + j]
            dh = grad[b, j] + ds[b, j]
            dan = dh * (1 - z) * (1 - nn * nn)
            dar = dan * hn[b, j] * r * (1 - r)
            daz = dh * (hprev[b, j] - nn) * z * (1 - z)
            dg[b, j], dg[b, hidden + j], dg[b, 2 * hidden + j] = dar, daz, dan
            dgh[b, j], dgh[b, hidden + j], dgh[b, 2 * hidden + j] = dar, daz, dan * r
            direct[b, j] = dh * z


@numba.njit(error_model="numpy", cache=True)
def lstm_forward_gates(a, h, c, hprev, cprev):
    """The LSTM step between NumPy's vectorised exp and tanh: a's i, f, o blocks hold e^-x, its g
    block tanh(x); they become the gate values, c becomes f*c + i*g in place, h and c are saved."""
    n, hidden = c.shape
    for b in range(n):
        for j in range(hidden):
            i = 1 / (1 + a[b, j])
            f = 1 / (1 + a[b, hidden + j])
            a[b, j], a[b, hidden + j] = i, f
            a[b, 2 * hidden + j] = 1 / (1 + a[b, 2 * hidden + j])
            hprev[b, j] = h[b, j]
            cprev[b, j] = c[b, j]
            c[b, j] = f * c[b, j] + i * a[b, 3 * hidden + j]
