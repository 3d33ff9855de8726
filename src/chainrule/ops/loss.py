"""Fused loss functions: each is one graph node whose backward is the loss's derivative in closed form.

A loss built from primitive ops (``((a - b) ** 2).mean()``) creates several nodes and as many
temporaries; here each loss computes its elementwise value, reduces it and, on the way back, writes
the gradient in one or two passes. ``reduction`` is ``'none'``, ``'mean'`` or ``'sum'`` (validated by
``nn.functional``); for ``'mean'`` backward scales by ``1 / count``.

Arguments that never get a gradient (class weights, ``pos_weight``, integer targets) are passed as
keyword arrays; tensors that may need one (``input``, a float ``target``) are positional.
"""

from __future__ import annotations

import numpy as np

from chainrule.autograd.op import Op
from chainrule.ops._jit import LazyKernels
from chainrule.ops.activation import sigmoid


def _reduce(loss, reduction):
    """Reduce an elementwise loss array ('mean' of an empty array is nan, as torch)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / loss.size if loss.size else np.full((), np.nan, loss.dtype)


def _upstream(grad, reduction, count):
    """The incoming gradient per element: a scalar for 'mean' / 'sum', the full array for 'none'."""
    if reduction == "mean":
        return grad / count if count else grad * 0
    return grad


def _softplus(x):
    """log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|)."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


# -- regression --------------------------------------------------------------------------------------
class MSE(Op):
    """(input - target)^2, reduced."""

    def forward(ctx, x, t, reduction="mean"):
        d = x - t
        ctx.d, ctx.reduction = d, reduction
        if reduction == "none":
            return d * d
        flat = d.reshape(-1)
        total = np.vdot(flat, flat)  # sum of squares in one pass, no temporary
        if reduction == "sum":
            return total
        return total / d.size if d.size else np.full((), np.nan, d.dtype)

    def backward(ctx, grad):
        d = ctx.d
        g = d * (2 * _upstream(grad, ctx.reduction, d.size))
        need_x, need_t = ctx.needs_input_grad
        return (g if need_x else None), (-g if need_t else None)


class L1(Op):
    """|input - target|, reduced (abs'(0) := 0, as torch)."""

    def forward(ctx, x, t, reduction="mean"):
        d = x - t
        ctx.d, ctx.reduction = d, reduction
        return _reduce(np.abs(d), reduction)

    def backward(ctx, grad):
        d = ctx.d
        g = np.sign(d) * _upstream(grad, ctx.reduction, d.size)
        need_x, need_t = ctx.needs_input_grad
        return (g if need_x else None), (-g if need_t else None)


class Huber(Op):
    """scale * Huber_delta(input - target): 0.5 d^2 where |d| < delta, else delta (|d| - delta / 2).

    ``smooth_l1_loss(beta)`` is ``Huber(delta=beta, scale=1 / beta)``.
    """

    def forward(ctx, x, t, delta=1.0, reduction="mean", scale=1.0):
        d = x - t
        ad = np.abs(d)
        loss = np.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
        if scale != 1.0:
            loss *= scale
        ctx.d, ctx.delta, ctx.reduction, ctx.scale = d, delta, reduction, scale
        return _reduce(loss, reduction)

    def backward(ctx, grad):
        d, delta = ctx.d, ctx.delta
        g = np.clip(d, -delta, delta) * (ctx.scale * _upstream(grad, ctx.reduction, d.size))
        need_x, need_t = ctx.needs_input_grad
        return (g if need_x else None), (-g if need_t else None)


class MSLE(Op):
    """(log1p(max(input, eps)) - log1p(max(target, eps)))^2, reduced: Keras's definition (eps = 1e-7).

    Where a value is below ``eps`` it was clipped and gets no gradient.
    """

    def forward(ctx, x, t, eps=1e-7, reduction="mean"):
        xc, tc = np.maximum(x, eps), np.maximum(t, eps)
        d = np.log1p(xc) - np.log1p(tc)
        ctx.x, ctx.t, ctx.xc, ctx.tc, ctx.d = x, t, xc, tc, d
        ctx.eps, ctx.reduction = eps, reduction
        return _reduce(d * d, reduction)

    def backward(ctx, grad):
        g = ctx.d * (2 * _upstream(grad, ctx.reduction, ctx.d.size))
        need_x, need_t = ctx.needs_input_grad
        gx = g / (1 + ctx.xc) * (ctx.x >= ctx.eps) if need_x else None
        gt = -g / (1 + ctx.tc) * (ctx.t >= ctx.eps) if need_t else None
        return gx, gt


# -- binary classification ---------------------------------------------------------------------------
class BinaryCrossEntropy(Op):
    """-w (t log(x) + (1 - t) log(1 - x)) with each log clamped at -100, as torch."""

    def forward(ctx, x, t, weight=None, reduction="mean"):
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        loss = (t - 1) * log_1mx - t * log_x
        if weight is not None:
            loss = loss * weight
        ctx.x, ctx.t, ctx.weight, ctx.reduction, ctx.size = x, t, weight, reduction, loss.size
        return _reduce(loss, reduction)

    def backward(ctx, grad):
        x, t, w = ctx.x, ctx.t, ctx.weight
        up = _upstream(grad, ctx.reduction, ctx.size)
        if w is not None:
            up = up * w
        need_x, need_t = ctx.needs_input_grad
        # NOTE: torch divides by max(x (1 - x), 1e-12) so x = 0 or 1 gives a large, finite gradient
        gx = up * (x - t) / np.maximum(x * (1 - x), 1e-12) if need_x else None
        with np.errstate(divide="ignore"):
            gt = up * (np.log1p(-x) - np.log(x)) if need_t else None  # -logit(x), as torch
        return gx, gt


class BinaryCrossEntropyWithLogits(Op):
    """(1 - t) x + lw * softplus(-x), lw = 1 + (pos_weight - 1) t: BCE on sigmoid(x) without overflow."""

    def forward(ctx, x, t, weight=None, pos_weight=None, reduction="mean"):
        sp = _softplus(-x)  # -log(sigmoid(x)), finite for any x
        if pos_weight is None:
            loss = (1 - t) * x + sp
        else:
            loss = (1 - t) * x + (1 + (pos_weight - 1) * t) * sp
        if weight is not None:
            loss = loss * weight
        ctx.x, ctx.t, ctx.sp, ctx.weight, ctx.pos_weight = x, t, sp, weight, pos_weight
        ctx.reduction, ctx.size = reduction, loss.size
        return _reduce(loss, reduction)

    def backward(ctx, grad):
        x, t, pw = ctx.x, ctx.t, ctx.pos_weight
        up = _upstream(grad, ctx.reduction, ctx.size)
        if ctx.weight is not None:
            up = up * ctx.weight
        need_x, need_t = ctx.needs_input_grad
        gx = gt = None
        if need_x:
            if pw is None:
                gx = up * (sigmoid(x) - t)
            else:
                gx = up * ((1 + (pw - 1) * t) * sigmoid(x) - pw * t)
        if need_t:
            gt = up * (-x if pw is None else (pw - 1) * ctx.sp - x)
        return gx, gt


# -- multi-class classification ----------------------------------------------------------------------
# Inputs are viewed as (N, C) or (N, C, K) (class axis 1); per-row quantities have shape (N, 1[, K]).
# NOTE: NumPy reduces a short last axis slowly (the row max of a (4096, 10) float32 array costs ~90x its
# global max, its row sum ~8x an einsum), so row sums use einsum and the softmax shift is the global max
# where that is safe. BLAS (a @ ones) would be faster still for small arrays but multithreads
# erratically on large ones. 2-D targets are addressed through flat indices n * C + y.

def class_rows(x, n, c):
    """View ``x`` (N, C, d1, ...) as (N, C) or (N, C, K) so axis 1 is the class axis."""
    k = x.size // (n * c) if n * c else 0
    return x.reshape(n, c) if x.ndim <= 2 else x.reshape(n, c, k)


def _class_sum(a):
    """sum over the class axis, kept as (N, 1[, K])."""
    if a.ndim == 2 and a.shape[1] <= 8192:  # longer rows: pairwise summation, for accuracy
        return np.einsum("nc->n", a)[:, None]
    return a.sum(axis=1, keepdims=True)


def _class_dot(a, v):
    """sum_c a[n, c(, k)] v[c], kept as (N, 1[, K])."""
    return np.einsum("nc...,c->n...", a, v)[:, None]


# The global-max shift costs exp(x - m) a relative error of about ulp(gap) where a row's own max lies
# `gap` below m: accept gaps up to ~20 in float32 (under 2e-6 relative), use the row max beyond.
_SAFE_SUM = {np.float32: 2e-9, np.float64: 1e-200}


def softmax_parts(xs):
    """The pieces of log-softmax: e = exp(xs - m), s = sum_c e, m and log(s) (lse = m + log s).

    The shift m is the global max (one fast pass, no overflow) unless some row lies so far below it
    that its sum loses precision; then it is the row-wise max, as in every stable softmax.
    """
    if xs.size == 0:
        s = np.zeros((xs.shape[0], 1) + xs.shape[2:], xs.dtype)
        with np.errstate(divide="ignore"):
            return xs.copy(), s, s, np.log(s)
    m = xs.max()
    e = np.subtract(xs, m)
    np.exp(e, out=e)
    s = _class_sum(e)
    if not s.min() >= _SAFE_SUM.get(xs.dtype.type, 1e-20):  # also true for nan
        m = xs.max(axis=1, keepdims=True)
        np.subtract(xs, m, out=e)
        np.exp(e, out=e)
        s = _class_sum(e)
    return e, s, m, np.log(s)


def _pick(a, y, flat):
    """a[n, y[n](, k)] as (N, 1[, K]); ``flat`` = n * C + y for 2-D ``a``."""
    if flat is not None:
        return a.reshape(-1)[flat][:, None]
    return np.take_along_axis(a, y[:, None], axis=1)


def _subtract_at(g, y, flat, v):
    """g[n, y[n](, k)] -= v in place (v: a scalar or (N, 1[, K])); ``flat`` as in ``_pick``."""
    if flat is not None:
        g.reshape(-1)[flat] -= v if np.ndim(v) == 0 else v.reshape(-1)  # each row once: no repeats
    else:
        yi = y[:, None]
        np.put_along_axis(g, yi, np.take_along_axis(g, yi, axis=1) - v, axis=1)


def _as_input(g, shape):
    # a reshaped view would make the engine copy the gradient before storing it: skip no-op reshapes
    return g if g.shape == shape else g.reshape(shape)


def check_classes(y, c, ignore_index, fn):
    """Raise if a class index lies outside [0, C) (ignore_index aside); return the ignore mask or None."""
    if y.size == 0:
        return None
    lo, hi = y.min(), y.max()
    if 0 <= lo and hi < c:
        return (y == ignore_index) if 0 <= ignore_index < c else None
    mask = y == ignore_index
    bad = (~mask) & ((y < 0) | (y >= c))
    if bad.any():
        value = int(y[bad].flat[0])
        raise IndexError(
            f"{fn}: target class {value} is out of range for input with C={c} classes "
            f"(expected 0 <= target < {c}, or ignore_index={ignore_index})"
        )
    return mask


class _ClassIndexLoss(Op):
    """Shared bookkeeping for losses on class-index targets: row weights, ignore mask, denominator."""

    def _rows(ctx, x, y, weight, ignore_index, fn):
        """Targets (N[, K]) with ignored ones set to 0, their flat indices (2-D), keep (0 on ignored rows),
        row weights and the 'mean' denominator."""
        n, c = x.shape[0], x.shape[1]
        y = y.reshape(n, -1) if x.ndim > 2 else y.reshape(n)
        mask = check_classes(y, c, ignore_index, fn)
        if mask is not None and not mask.any():
            mask = None
        keep = w = None  # None: all ones
        if mask is not None:
            y = np.where(mask, 0, y)
            keep = (~mask[:, None]).astype(x.dtype)
        if weight is not None:
            w = weight[y][:, None]
        if keep is not None:
            w = keep if w is None else w * keep
        denom = y.size if w is None else w.sum()
        flat = np.arange(0, n * c, c) + y if x.ndim == 2 else None
        return y, flat, keep, w, denom

    def _scale(ctx, grad):
        """Upstream gradient per row, shaped like the (N, 1[, K]) row arrays (ignored rows -> 0)."""
        r = ctx.reduction
        if r == "none":
            up = grad.reshape(ctx.row_shape)
        elif r == "sum":
            up = grad
        else:
            up = grad / ctx.denom if ctx.denom else grad * 0
        return up if ctx.keep is None else up * ctx.keep

    def _finish(ctx, rows, reduction, out_shape):
        ctx.reduction, ctx.row_shape = reduction, rows.shape
        if reduction == "none":
            return rows.reshape(out_shape)
        total = rows.sum()
        if reduction == "sum":
            return total
        return np.asarray(total / ctx.denom if ctx.denom else np.nan, dtype=rows.dtype)  # 0/0: nan, as torch


_FAST_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _warm(k):
    for dt in _FAST_DTYPES:
        x, y = np.zeros((1, 2), dt), np.zeros(1, np.int64)
        k.cross_entropy_mean(x, y, x.copy(), x[:, 0].copy())
        k.cross_entropy_mean_backward(x, x[:, 0].copy(), y, dt.type(1), x.copy())


# the compiled cross-entropy kernels (a module), or None when numba is missing or CHAINRULE_JIT=0
_kernels = LazyKernels("chainrule.ops._loss_numba", _warm, "cross-entropy kernels")


class CrossEntropy(_ClassIndexLoss):
    """Cross-entropy of logits against class indices, fused: log-softmax, pick, weight, smooth, reduce.

    Per row i with target y: loss_i = (1 - eps) w_y (lse_i - x_iy) + (eps / C) sum_c w_c (lse_i - x_ic),
    lse_i = log(sum_c e^(x_ic)); ignored rows count 0 and 'mean' divides by sum_i w_(y_i).
    The gradient is the classic softmax - onehot, scaled:
        d loss_i / d x_ik = u_i [p_ik ((1 - eps) w_y + eps W / C) - (1 - eps) w_y [k = y] - (eps / C) w_k]
    with W = sum_c w_c. Forward keeps e^(x - shift) and backward turns it into the gradient in place.
    """

    def forward(ctx, x, y, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        ctx.fast = None
        if (weight is None and not label_smoothing and reduction == "mean" and x.ndim == 2 and y.ndim == 1
                and x.shape[0] == y.shape[0] > 0 and x.shape[1] > 0 and not 0 <= ignore_index < x.shape[1]
                and x.dtype in _FAST_DTYPES and x.flags.c_contiguous and y.dtype.kind in "iu"):
            k = _kernels()
            if k is not None:  # the common case in one compiled pass (_loss_numba.py)
                p, s = np.empty_like(x), np.empty(x.shape[0], x.dtype)
                loss = k.cross_entropy_mean(x, y, p, s)
                if loss == loss:  # NaN: a target out of range (or NaN logits): the NumPy form decides
                    ctx.fast, ctx.x_shape = (p, s, y), x.shape
                    return np.asarray(loss, dtype=x.dtype)
        return ctx.forward_reference(x, y, weight, ignore_index, reduction, label_smoothing)

    def forward_reference(ctx, x, y, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        """The readable NumPy form of ``forward`` (every case; the compiled one is checked against it)."""
        n, c = (1, x.shape[0]) if x.ndim == 1 else x.shape[:2]
        xs = class_rows(x, n, c)
        y, flat, keep, w, denom = ctx._rows(xs, y, weight, ignore_index, "cross_entropy")
        e, s, m, log_s = softmax_parts(xs)
        lse = m + log_s
        rows = m - _pick(xs, y, flat)  # -log p_y = (m - x_y) + log s, shape (N, 1[, K])
        rows += log_s
        if w is not None:
            rows *= w
        eps = label_smoothing
        if eps:
            rows *= 1 - eps
            # sum_c w_c (lse - x_c) = W lse - x . w
            if weight is None:
                smooth = c * lse - _class_sum(xs)
            else:
                smooth = weight.sum() * lse - _class_dot(xs, weight)
            rows += (eps / c) * smooth if keep is None else (eps / c) * smooth * keep
        ctx.x_shape, ctx.xs, ctx.e, ctx.s, ctx.lse, ctx.y, ctx.flat = x.shape, xs, e, s, lse, y, flat
        ctx.keep, ctx.weight, ctx.denom, ctx.eps, ctx.c = keep, weight, denom, eps, c
        return ctx._finish(rows, reduction, x.shape[:1] + x.shape[2:] if x.ndim > 1 else ())

    def backward(ctx, grad):
        if ctx.fast is not None:
            p, s, y = ctx.fast
            g = np.empty_like(p)
            _kernels().cross_entropy_mean_backward(p, s, y, p.dtype.type(grad / len(y)), g)
            return g, None
        return ctx.backward_reference(grad)

    def backward_reference(ctx, grad):
        up = ctx._scale(grad)  # u_i, zero on ignored rows
        eps, c, weight, y = ctx.eps, ctx.c, ctx.weight, ctx.y
        hit = up * (1 - eps) if weight is None else up * ((1 - eps) * weight[y][:, None])  # [k = y] term
        a = hit if not eps else hit + up * (eps * (c if weight is None else weight.sum()) / c)
        if ctx.e is not None:
            g, ctx.e = ctx.e, None  # take e^(x - shift): it becomes the gradient, in place
            g *= a / ctx.s  # p_ik * a_i
        else:  # a second backward (retain_graph=True): recompute the softmax
            g = np.exp(ctx.xs - ctx.lse)
            g *= a
        _subtract_at(g, y, ctx.flat, hit)
        if eps:
            w = 1 if weight is None else weight.reshape((1, c) + (1,) * (g.ndim - 2))
            g -= up * (eps / c) * w
        return _as_input(g, ctx.x_shape), None


class CrossEntropyProbs(Op):
    """Cross-entropy of logits against class probabilities (float targets of the input's shape).

    loss_i = -sum_c w_c t'_ic log_softmax(x)_ic with t' = (1 - eps) t + eps / C; 'mean' divides by the
    number of rows (N * d1 * ...), not by the weights, as torch.
    """

    def forward(ctx, x, t, weight=None, reduction="mean", label_smoothing=0.0):
        n, c = (1, x.shape[0]) if x.ndim == 1 else x.shape[:2]
        xs, ts = class_rows(x, n, c), class_rows(t, n, c)
        e, s, m, log_s = softmax_parts(xs)
        logp = xs - m
        logp -= log_s
        eps = label_smoothing
        tw = ts * (1 - eps) + eps / c if eps else ts
        w = None if weight is None else weight.reshape((1, c) + (1,) * (xs.ndim - 2))
        if w is not None:
            tw = tw * w
        rows = -_class_sum(tw * logp)
        ctx.x_shape, ctx.e, ctx.s, ctx.logp, ctx.tw, ctx.w, ctx.eps = x.shape, e, s, logp, tw, w, eps
        ctx.reduction, ctx.row_shape, ctx.count = reduction, rows.shape, rows.size
        if reduction == "none":
            return rows.reshape(x.shape[:1] + x.shape[2:] if x.ndim > 1 else ())
        total = rows.sum()
        if reduction == "sum":
            return total
        return np.asarray(total / rows.size if rows.size else np.nan, dtype=rows.dtype)

    def backward(ctx, grad):
        r = ctx.reduction
        up = grad.reshape(ctx.row_shape) if r == "none" else _upstream(grad, r, ctx.count)
        need_x, need_t = ctx.needs_input_grad
        gx = gt = None
        if need_x:  # d/dx_k = p_k sum_c t'_c w_c - t'_k w_k
            gx = ctx.e * (_class_sum(ctx.tw) / ctx.s)
            gx -= ctx.tw
            gx *= up
            gx = _as_input(gx, ctx.x_shape)
        if need_t:
            gt = ctx.logp * (-(1 - ctx.eps) * up)
            if ctx.w is not None:
                gt *= ctx.w
            gt = _as_input(gt, ctx.x_shape)
        return gx, gt


class NLL(_ClassIndexLoss):
    """Negative log-likelihood of log-probabilities: -w_y x_iy per row, ignored rows excluded."""

    def forward(ctx, x, y, weight=None, ignore_index=-100, reduction="mean"):
        n, c = (1, x.shape[0]) if x.ndim == 1 else x.shape[:2]
        xs = class_rows(x, n, c)
        y, flat, keep, w, denom = ctx._rows(xs, y, weight, ignore_index, "nll_loss")
        rows = -_pick(xs, y, flat)
        if w is not None:
            rows *= w
        ctx.x_shape, ctx.xs_shape, ctx.dtype, ctx.y, ctx.flat = x.shape, xs.shape, x.dtype, y, flat
        ctx.keep, ctx.w, ctx.denom = keep, w, denom
        return ctx._finish(rows, reduction, x.shape[:1] + x.shape[2:] if x.ndim > 1 else ())

    def backward(ctx, grad):
        up = ctx._scale(grad)
        if ctx.w is not None:
            up = up * ctx.w
        g = np.zeros(ctx.xs_shape, dtype=ctx.dtype)
        _subtract_at(g, ctx.y, ctx.flat, up)
        return _as_input(g, ctx.x_shape), None


class KLDiv(Op):
    """Pointwise KL divergence t (log t - x) of log-probabilities x (target t, or log t with log_target).

    ``reduction`` also takes 'batchmean' (sum / batch size).
    """

    def forward(ctx, x, t, reduction="mean", log_target=False):
        if log_target:
            et = np.exp(t)
            loss = et * (t - x)
            ctx.et = et
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                tlogt = np.where(t == 0, 0, t * np.log(t))  # xlogy(t, t): 0 log 0 := 0
            loss = tlogt - t * x
        ctx.x, ctx.t, ctx.log_target, ctx.reduction = x, t, log_target, reduction
        ctx.shape, ctx.size = loss.shape, loss.size
        ctx.batch = x.shape[0] if x.ndim else 1
        if reduction == "batchmean":
            return loss.sum() / ctx.batch
        return _reduce(loss, reduction)

    def backward(ctx, grad):
        x, t = ctx.x, ctx.t
        r = ctx.reduction
        up = grad / ctx.batch if r == "batchmean" else _upstream(grad, r, ctx.size)
        up = np.broadcast_to(up, ctx.shape)  # x and t may broadcast: give each the loss's shape
        need_x, need_t = ctx.needs_input_grad
        gx = gt = None
        if ctx.log_target:
            gx = -up * ctx.et if need_x else None
            gt = up * ctx.et * (t - x + 1) if need_t else None
        else:
            gx = -up * t if need_x else None
            if need_t:
                with np.errstate(divide="ignore"):
                    gt = up * (np.log(t) + 1 - x)
        return gx, gt


# -- regularisation penalties ------------------------------------------------------------------------
class AbsSum(Op):
    """scale * sum over every input of sum(|p|): an L1 penalty of several parameters in one node."""

    def forward(ctx, *params, scale=1.0):
        ctx.params, ctx.scale = params, scale
        total = sum(np.abs(p).sum() for p in params)
        return np.asarray(total * scale, dtype=np.result_type(*params))

    def backward(ctx, grad):
        g = grad * ctx.scale
        return tuple(np.sign(p) * g if need else None for p, need in zip(ctx.params, ctx.needs_input_grad))


class SquareSum(Op):
    """scale * sum over every input of sum(p^2): an L2 penalty of several parameters in one node."""

    def forward(ctx, *params, scale=1.0):
        ctx.params, ctx.scale = params, scale
        total = sum(np.vdot(p.reshape(-1), p.reshape(-1)) for p in params)  # sum of squares, no temporary
        return np.asarray(total * scale, dtype=np.result_type(*params))

    def backward(ctx, grad):
        g = grad * (2 * ctx.scale)
        return tuple(p * g if need else None for p, need in zip(ctx.params, ctx.needs_input_grad))
