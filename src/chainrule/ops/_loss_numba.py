"""The numba kernels behind ``CrossEntropy``'s common case in ``loss.py`` (imported only when numba is wanted).

The case: logits (N, C) and class indices, no class weights, no label smoothing, the mean over rows.
The NumPy form does it in about fifteen NumPy calls on small arrays, each mostly call overhead at an
MLP's (64, 10); here it is three calls forward (the exponentials NumPy's) and one backward. Each row
is shifted by its own maximum (the NumPy form shifts by the global one where that is safe) and the
mean is summed in float64, so the two forms agree to rounding, not bit for bit
(tests/test_fused_cross_entropy.py).
"""

import numba
import numpy as np


def cross_entropy_mean(x, y, p, s):
    """mean_i (logsumexp(x_i) - x_i[y_i]); keeps p = exp(x - rowmax) and its row sums s for backward.

    Returns NaN, leaving the rest undone, when a target lies outside [0, C): the caller then takes
    the NumPy form, which raises the error that explains it. Three calls, not one loop: numba's
    exp is the C library's, one value at a time, and took 9 of a (200, 10) batch's 10 us; NumPy's
    is vectorised (1 us).
    """
    m = np.empty(x.shape[0], x.dtype)
    if not shift_rows(x, y, p, m):
        return np.nan
    np.exp(p, out=p)
    return mean_of_rows(x, y, p, m, s)


@numba.njit(error_model="numpy", cache=True)
def shift_rows(x, y, p, m):
    """p = x - m with m the maximum of each row; False, stopping there, at a target outside [0, C)."""
    n, c = x.shape
    for i in range(n):
        t = y[i]
        if t < 0 or t >= c:
            return False
        mi = x[i, 0]
        for j in range(1, c):
            if x[i, j] > mi:
                mi = x[i, j]
        m[i] = mi
        for j in range(c):
            p[i, j] = x[i, j] - mi
    return True


@numba.njit(error_model="numpy", cache=True)
def mean_of_rows(x, y, p, m, s):
    """s = the row sums of p = exp(x - m), and the mean of (m - x[y]) + log(s) (summed in float64)."""
    n, c = x.shape
    total = 0.0
    for i in range(n):
        acc = p[i, 0] * 0  # the row sum, in x's dtype
        for j in range(c):
            acc += p[i, j]
        s[i] = acc
        total += (m[i] - x[i, y[i]]) + np.log(acc)
    return total / n


@numba.njit(error_model="numpy", cache=True)
def cross_entropy_mean_backward(p, s, y, up, g):
    """g = p * (up / s) - up * onehot(y): the gradient of the mean for an upstream gradient ``up`` / N."""
    n, c = p.shape
    for i in range(n):
        a = up / s[i]
        for j in range(c):
            g[i, j] = p[i, j] * a
        g[i, y[i]] -= up
