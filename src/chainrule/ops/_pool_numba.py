"""The numba kernels behind ``pool.py``'s tiled max pooling (kernel == stride, no padding).

One pass over the channels-last input gives the maxima and the one-byte window positions of the
argmax; one pass over the input gradient writes each window's gradient. The NumPy form in ``pool.py``
makes about a dozen passes for a 2x2 window (a compare, a multiply and two maxima per position) and
stays the reference: the kernels reproduce it exactly, NaN included (a NaN wins the value, the
argmax keeps the last strictly greater element before it), and are tested against it.
"""

import numba


@numba.njit(error_model="numpy", cache=True)
def max_pool_tiled(x, kh, kw, out, arg):
    """x (N, H, W, C) -> out (N, Ho, Wo, C) maxima and arg (same shape) window positions i * kw + j."""
    n, ho, wo, c = out.shape
    for b in range(n):
        for i in range(ho):
            for j in range(wo):
                for ch in range(c):
                    out[b, i, j, ch] = x[b, i * kh, j * kw, ch]
                    arg[b, i, j, ch] = 0
                for di in range(kh):
                    for dj in range(kw):
                        if di == 0 and dj == 0:
                            continue
                        pos = di * kw + dj
                        for ch in range(c):
                            v = x[b, i * kh + di, j * kw + dj, ch]
                            best = out[b, i, j, ch]
                            if v > best:
                                out[b, i, j, ch] = v
                                arg[b, i, j, ch] = pos
                            elif v != v:  # NaN: it becomes the value, as np.maximum; the argmax stays
                                out[b, i, j, ch] = v


@numba.njit(error_model="numpy", cache=True)
def max_pool_tiled_backward(g, arg, kh, kw, full):
    """full (N, H, W, C) <- each window's gradient at its argmax, zeros elsewhere in the window."""
    n, ho, wo, c = g.shape
    for b in range(n):
        for i in range(ho):
            for di in range(kh):
                for j in range(wo):
                    for dj in range(kw):
                        pos = di * kw + dj
                        for ch in range(c):
                            v = g[b, i, j, ch]
                            # v * 0 off the argmax: -0.0 and NaN as the NumPy form's g * mask
                            full[b, i * kh + di, j * kw + dj, ch] = v if arg[b, i, j, ch] == pos else v * 0
