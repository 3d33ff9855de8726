"""Recurrent layers as ops: one node runs one direction of one layer over the whole sequence.

The input projection ``x @ W_ih.T + b`` of every time step is one GEMM before the time loop; the loop
does only what must be sequential (``h @ W_hh.T`` and the gate math, on preallocated buffers, about
ten NumPy calls a step); backward runs the loop in reverse and then forms ``dW_ih``, ``dW_hh``, the
biases and ``dx`` as one GEMM each over all steps. No graph node is made per time step.

Sequences are stored packed, time-major: ``x`` is (N, input) with the rows of step t at
``offsets[t]:offsets[t] + batch_sizes[t]`` and ``batch_sizes`` non-increasing (a padded (T, B, input)
batch is the special case ``batch_sizes = (B,) * T``). A sequence ends when the batch shrinks; its
last state is written to ``h_n`` then. In reverse the steps run from T-1 to 0 and the batch grows,
the new rows starting from ``h0``.

Gate math (PyTorch's): LSTM gates i, f, g, o with c' = f*c + i*g, h' = o*tanh(c'); GRU gates r, z, n
with n = tanh(x_n + r*(h W_hn^T + b_hn)), h' = (1-z)*n + z*h. Inside the LSTM op the gate blocks are
reordered to i, f, o, g so the three sigmoids are one contiguous block.

A layer has up to three outputs (y, h_n, c_n) while an ``Op`` has one; ``ops/outputs.py`` gives the
others as ``Extra`` nodes that hand their gradient straight to the main node.
"""

from __future__ import annotations

import functools

import numpy as np

from chainrule.autograd.op import Op
from chainrule.ops import rnn_fast
from chainrule.ops.outputs import apply_with_extras
from chainrule.threads import poll as poll_threads

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _sigmoid_(a):
    """In place, as 1/(1+e^-a) (tiny values keep their relative precision; overflow gives exactly 0)."""
    np.negative(a, out=a)
    np.exp(a, out=a)  # the caller silences overflow (to inf, giving exactly 0) once for the whole loop
    a += 1
    return np.reciprocal(a, out=a)


@functools.lru_cache(maxsize=64)
def _lstm_order(h):
    """Row order taking PyTorch's gate blocks (i, f, g, o) to the op's (i, f, o, g)."""
    return np.r_[0:2 * h, 3 * h:4 * h, 2 * h:3 * h]


@functools.lru_cache(maxsize=64)
def _lstm_order_back(h):
    return np.argsort(_lstm_order(h))


@functools.lru_cache(maxsize=256)
def _offsets(batch_sizes):
    return [0] + np.cumsum(batch_sizes).tolist()


def _resize(s, n, init):
    """The state entering a step of batch n: drop the rows whose sequences ended, or start new ones."""
    m = s.shape[0]
    if n < m:
        return s[:n], s[n:m]
    if n > m:
        return np.concatenate([s, init[m:n]]), None
    return s, None


class RNNLayer(Op):
    """One direction of one recurrent layer over a packed sequence; output y (N, hidden).

    forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode, batch_sizes, reverse, box): ``c0`` is None
    except for LSTM, the biases may be None, ``w_hr`` is an LSTM's projection (proj_size, hidden) or None;
    ``box`` (a list) receives the node so the caller can read the extra outputs ``ctx.extras`` = [h_n]
    (+ [c_n] for LSTM).
    """

    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode, batch_sizes, reverse, box):
        poll_threads()  # BLAS threads follow the machine's load (threads.py)
        box.append(ctx)
        hidden = w_hh.shape[0] // GATES[mode]
        ctx.mode, ctx.batch_sizes, ctx.reverse = mode, batch_sizes, reverse
        offsets = _offsets(batch_sizes)
        steps = range(len(batch_sizes) - 1, -1, -1) if reverse else range(len(batch_sizes))
        ctx.offsets, ctx.steps = offsets, steps
        if mode == "LSTM":
            order = _lstm_order(hidden)
            w_ih, w_hh = w_ih[order], w_hh[order]
            bias = None if b_ih is None else (b_ih + b_hh)[order]
        else:
            bias = None if b_ih is None else (b_ih + b_hh if mode != "GRU" else b_ih)
        g = x @ w_ih.T  # the input projection of every step in one GEMM
        if bias is not None:
            g += bias
        ctx.x, ctx.w_ih, ctx.w_hh, ctx.w_hr = x, w_ih, w_hh, w_hr
        with np.errstate(over="ignore"):
            y = ctx._loop(x, h0, c0, g, w_hh, b_hh, mode, batch_sizes, offsets, steps, hidden, reverse)
        ctx.has_bias = b_ih is not None
        ctx.extra_grads = [None] * len(ctx.extras)
        return y

    def _loop(ctx, x, h0, c0, g, w_hh, b_hh, mode, batch_sizes, offsets, steps, hidden, reverse):
        n_all = x.shape[0]
        hprev = np.empty((n_all, w_hh.shape[1]), x.dtype)  # the state h: hidden, or an LSTM's proj_size
        h_n = np.zeros_like(h0)
        h = h0[: 0 if reverse else h0.shape[0]]
        w_t = w_hh.T
        if mode == "LSTM":
            y = np.empty_like(hprev)
            w_hr = ctx.w_hr
            cprev, tc = np.empty((n_all, hidden), x.dtype), np.empty((n_all, hidden), x.dtype)
            hraw = None if w_hr is None else np.empty_like(tc)  # o * tanh(c), before the projection
            c_n = np.zeros_like(c0)
            c = c0[: h.shape[0]]
            fast = rnn_fast.kernels() if w_hr is None else None
            if fast is not None:
                c = c.copy()  # updated in place by the kernel
            for t in steps:
                lo, hi = offsets[t], offsets[t + 1]
                h, done = _resize(h, hi - lo, h0)
                if done is not None:
                    h_n[hi - lo:hi - lo + done.shape[0]] = done
                c, done = _resize(c, hi - lo, c0)
                if done is not None:
                    c_n[hi - lo:hi - lo + done.shape[0]] = done
                a = g[lo:hi]
                a += h @ w_t
                if fast is not None:  # exp and tanh in NumPy (SIMD), the rest in one compiled pass
                    s = a[:, : 3 * hidden]
                    np.exp(np.negative(s, out=s), out=s)
                    np.tanh(a[:, 3 * hidden:], out=a[:, 3 * hidden:])
                    fast.lstm_forward_gates(a, h, c, hprev[lo:hi], cprev[lo:hi])
                else:
                    hprev[lo:hi] = h
                    cprev[lo:hi] = c
                    _sigmoid_(a[:, : 3 * hidden])
                    np.tanh(a[:, 3 * hidden:], out=a[:, 3 * hidden:])
                    c = a[:, hidden:2 * hidden] * c
                    c += a[:, :hidden] * a[:, 3 * hidden:]
                np.tanh(c, out=tc[lo:hi])
                if w_hr is None:
                    h = np.multiply(a[:, 2 * hidden:3 * hidden], tc[lo:hi], out=y[lo:hi])
                else:
                    r = np.multiply(a[:, 2 * hidden:3 * hidden], tc[lo:hi], out=hraw[lo:hi])
                    h = np.matmul(r, w_hr.T, out=y[lo:hi])
            c_n[: c.shape[0]] = c
            ctx.cprev, ctx.tc, ctx.hraw = cprev, tc, hraw
            ctx.extras = [h_n, c_n]
        elif mode == "GRU":
            y = np.empty((n_all, hidden), x.dtype)
            hn_all = np.empty_like(hprev)
            for t in steps:
                lo, hi = offsets[t], offsets[t + 1]
                h, done = _resize(h, hi - lo, h0)
                if done is not None:
                    h_n[hi - lo:hi - lo + done.shape[0]] = done
                hprev[lo:hi] = h
                hp = h @ w_t
                if b_hh is not None:
                    hp += b_hh
                a = g[lo:hi]
                rz = a[:, : 2 * hidden]
                rz += hp[:, : 2 * hidden]
                _sigmoid_(rz)
                hn_all[lo:hi] = hp[:, 2 * hidden:]
                n = a[:, 2 * hidden:]
                n += rz[:, :hidden] * hp[:, 2 * hidden:]
                np.tanh(n, out=n)
                h = np.subtract(h, n, out=y[lo:hi])
                h *= rz[:, hidden:]
                h += n
            ctx.hn = hn_all
            ctx.extras = [h_n]
        else:
            y = g  # the projection buffer becomes the output, step by step
            for t in steps:
                lo, hi = offsets[t], offsets[t + 1]
                h, done = _resize(h, hi - lo, h0)
                if done is not None:
                    h_n[hi - lo:hi - lo + done.shape[0]] = done
                hprev[lo:hi] = h
                h = g[lo:hi]
                h += hprev[lo:hi] @ w_t
                if mode == "RNN_TANH":
                    np.tanh(h, out=h)
                else:
                    np.maximum(h, 0, out=h)
            ctx.extras = [h_n]
        h_n[: h.shape[0]] = h
        ctx.g, ctx.hprev, ctx.y = g, hprev, y
        return y

    def backward(ctx, grad):
        mode = ctx.mode
        hidden = ctx.g.shape[1] // GATES[mode]
        dh_n, dc_n = (ctx.extra_grads + [None])[:2]
        ctx.extra_grads = [None] * len(ctx.extras)  # a retained graph starts afresh next time
        h0_shape = ctx.extras[0].shape
        dh_n = np.zeros(h0_shape, grad.dtype) if dh_n is None else dh_n
        dh0 = np.zeros(h0_shape, grad.dtype)
        offsets, g, hprev = ctx.offsets, ctx.g, ctx.hprev
        dg = np.empty_like(g)
        w = ctx.w_hh
        steps = list(ctx.steps)
        w_hr = ctx.w_hr
        fast = rnn_fast.kernels() if mode in ("LSTM", "GRU") and w_hr is None else None
        first_m = 0 if ctx.reverse else h0_shape[0]
        # the state flowing backward has the size of the state leaving the step being undone
        m_last = offsets[steps[-1] + 1] - offsets[steps[-1]]
        ds = dh_n[:m_last]
        if mode == "LSTM":
            c0_shape = ctx.extras[1].shape
            dc_n = np.zeros(c0_shape, grad.dtype) if dc_n is None else dc_n
            dc0 = np.zeros(c0_shape, grad.dtype)
            dy = None if w_hr is None else np.empty_like(grad)  # the gradient of the projected h
            dcs = dc_n[:m_last]
            if fast is not None:
                dg, ds, dcs = rnn_fast.lstm_backward(ctx, fast, grad, steps, ds, dcs, dh_n, dc_n, dh0, dc0,
                                                     first_m)
            else:
                tc = ctx.tc
                fac = g.copy()  # the gates' derivatives: s(1-s) for the sigmoids, 1-g^2 for tanh
                fac[:, : 3 * hidden] *= 1 - g[:, : 3 * hidden]
                np.multiply(g[:, 3 * hidden:], g[:, 3 * hidden:], out=fac[:, 3 * hidden:])
                np.subtract(1, fac[:, 3 * hidden:], out=fac[:, 3 * hidden:])
                oq = g[:, 2 * hidden:3 * hidden] * (1 - tc * tc)  # dh'/dc' = o * tanh'(c')
                for k in range(len(steps) - 1, -1, -1):
                    t = steps[k]
                    lo, hi = offsets[t], offsets[t + 1]
                    gt = g[lo:hi]
                    dh = grad[lo:hi] + ds
                    if w_hr is not None:
                        dy[lo:hi] = dh
                        dh = dh @ w_hr
                    dc = dh * oq[lo:hi]
                    dc += dcs
                    d = dg[lo:hi]
                    np.multiply(dc, gt[:, 3 * hidden:], out=d[:, :hidden])
                    np.multiply(dc, ctx.cprev[lo:hi], out=d[:, hidden:2 * hidden])
                    np.multiply(dh, tc[lo:hi], out=d[:, 2 * hidden:3 * hidden])
                    np.multiply(dc, gt[:, :hidden], out=d[:, 3 * hidden:])
                    d *= fac[lo:hi]
                    dcs = dc * gt[:, hidden:2 * hidden]
                    ds = d @ w
                    ds, dcs = ctx._undo_resize(k, steps, ds, dh_n, dh0, first_m), \
                        ctx._undo_resize(k, steps, dcs, dc_n, dc0, first_m)
            dg_h = dg
        elif mode == "GRU":
            if fast is not None:
                dg, dg_h, ds = rnn_fast.gru_backward(ctx, fast, grad, steps, ds, dh_n, dh0, first_m)
            else:
                r, z, n = g[:, :hidden], g[:, hidden:2 * hidden], g[:, 2 * hidden:]
                fac_n = (1 - z) * (1 - n * n)  # dh'/da_n
                fac_r = ctx.hn * r * (1 - r)  # da_n/da_r
                fac_z = (hprev - n) * z * (1 - z)  # dh'/da_z
                dg_h = np.empty_like(g)  # the gradient of h W_hh^T + b_hh; differs from dg in the n block
                for k in range(len(steps) - 1, -1, -1):
                    t = steps[k]
                    lo, hi = offsets[t], offsets[t + 1]
                    dh = grad[lo:hi] + ds
                    dan = np.multiply(dh, fac_n[lo:hi], out=dg[lo:hi, 2 * hidden:])
                    d = dg_h[lo:hi]
                    np.multiply(dan, fac_r[lo:hi], out=d[:, :hidden])
                    np.multiply(dh, fac_z[lo:hi], out=d[:, hidden:2 * hidden])
                    np.multiply(dan, r[lo:hi], out=d[:, 2 * hidden:])
                    ds = d @ w
                    ds += dh * z[lo:hi]
                    ds = ctx._undo_resize(k, steps, ds, dh_n, dh0, first_m)
                dg[:, : 2 * hidden] = dg_h[:, : 2 * hidden]
        else:
            y = ctx.y
            fac = 1 - y * y if mode == "RNN_TANH" else (y > 0).astype(y.dtype)
            for k in range(len(steps) - 1, -1, -1):
                t = steps[k]
                lo, hi = offsets[t], offsets[t + 1]
                d = np.add(grad[lo:hi], ds, out=dg[lo:hi])
                d *= fac[lo:hi]
                ds = ctx._undo_resize(k, steps, d @ w, dh_n, dh0, first_m)
            dg_h = dg
        dh0[:first_m] = ds
        need = ctx.needs_input_grad
        gx = dg @ ctx.w_ih if need[0] else None
        gw_ih = dg.T @ ctx.x if need[3] else None
        gw_hh = dg_h.T @ hprev if need[4] else None
        gb_ih = dg.sum(axis=0) if ctx.has_bias and (need[5] or need[6]) else None
        gb_hh = dg_h.sum(axis=0) if ctx.has_bias and (need[5] or need[6]) else None
        gc0 = gw_hr = None
        if mode == "LSTM":
            if w_hr is not None and need[7]:
                gw_hr = dy.T @ ctx.hraw
            back = _lstm_order_back(hidden)
            gw_ih = None if gw_ih is None else gw_ih[back]
            gw_hh = None if gw_hh is None else gw_hh[back]
            gb_ih = None if gb_ih is None else gb_ih[back]
            gb_hh = gb_ih
            dc0[:first_m] = dcs
            gc0 = dc0
        return gx, dh0, gc0, gw_ih, gw_hh, gb_ih, gb_hh, gw_hr

    def _undo_resize(ctx, k, steps, ds, d_final, d_init, first_m):
        """The gradient of the state leaving step k-1, from that of the state entering step k."""
        offsets = ctx.offsets
        n = ds.shape[0]
        m = first_m if k == 0 else offsets[steps[k - 1] + 1] - offsets[steps[k - 1]]
        if n < m:  # rows n:m ended before step k: their gradient comes from h_n
            return np.concatenate([ds, d_final[n:m]])
        if n > m:  # rows m:n started at step k from h0
            d_init[m:n] = ds[m:]
            return ds[:m]
        return ds

    def name(self):
        mode = self.__dict__.get("mode")  # gone once backward has freed the node's saved values
        return {"LSTM": "LSTM", "GRU": "GRU"}.get(mode, "RNN") + "LayerBackward"


def rnn_layer(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, batch_sizes, reverse=False, keep=None, w_hr=None):
    """One direction of one layer: (y, h_n) or, for LSTM, (y, h_n, c_n); ``keep`` picks extras.

    ``batch_sizes`` is a tuple of ints (hashable: the step offsets are cached per tuple).
    """
    return apply_with_extras(RNNLayer, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, mode=mode,
                             batch_sizes=batch_sizes, reverse=reverse, keep=keep)
