"""``LBFGS``: limited-memory BFGS with an optional strong-Wolfe line search, as ``torch.optim.LBFGS``."""

from __future__ import annotations

import numbers

import numpy as np

import chainrule as cr
from chainrule.optim.optimizer import Optimizer, check_lr


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clipped to
    ``bounds`` (default: the interval between x1 and x2); its midpoint when the cubic has none."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1 * d1 - g1 * g2
    if disc < 0:
        return (lo + hi) / 2.0
    d2 = disc ** 0.5
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x, lo), hi)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Find a step ``t`` along ``d`` meeting the strong Wolfe conditions (Nocedal & Wright, alg. 3.5/3.6).

    ``evaluate(t)`` returns (loss, flat gradient) at x + t d. Phase 1 grows the step until an interval
    is bracketed (or the conditions hold); phase 2 shrinks the bracket by cubic interpolation, kept at
    least a tenth of the bracket away from its ends. Returns (loss, gradient, t, evaluations).
    """
    d_norm = float(np.abs(d).max())
    f_new, g_new = evaluate(t)
    evals, it = 1, 0
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    bracket = bracket_f = bracket_g = bracket_gtd = None
    while it < max_ls:  # phase 1: bracketing
        if f_new > f + c1 * t * gtd or (it > 1 and f_new >= f_prev):  # sufficient decrease fails
            bracket, bracket_f, bracket_g = [t_prev, t], [f_prev, f_new], [g_prev, g_new]
            bracket_gtd = [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:  # curvature condition holds: done
            bracket, bracket_f, bracket_g, done = [t], [f_new], [g_new], True
            break
        if gtd_new >= 0:  # the slope turned: the minimum lies behind
            bracket, bracket_f, bracket_g = [t_prev, t], [f_prev, f_new], [g_prev, g_new]
            bracket_gtd = [gtd_prev, gtd_new]
            break
        t_next = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new @ d)
        it += 1
    if it == max_ls:
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    insufficient = False
    while not done and it < max_ls:  # phase 2: zoom
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        top, bottom = max(bracket), min(bracket)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:  # too close to an end of the bracket
            if insufficient or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new @ d)
        it += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:  # the new point becomes the high end
            bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high] = t, f_new, g_new, gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:  # the old low end becomes the high end
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low], bracket_g[low], bracket_gtd[low] = t, f_new, g_new, gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


class LBFGS(Optimizer):
    """L-BFGS: quasi-Newton steps from the last ``history_size`` gradient differences.

    One ``step(closure)`` runs up to ``max_iter`` iterations, calling ``closure`` (which zeroes the
    gradients, computes the loss, calls ``backward`` and returns the loss) as often as it needs::

        d = -H g                      (two-loop recursion over the stored (s, y) pairs, H0 = s.y / y.y)
        t = lr (min(1, 1/|g|_1) lr on the very first iteration), or a strong-Wolfe line search
        x <- x + t d;  s = t d, y = g_new - g; keep (s, y) when y.s > 1e-10
        stop on max_iter, max_eval, |g|_inf <= tolerance_grad, or changes below tolerance_change

    Args:
        params: the parameters (one group only; per-parameter options are not supported).
        lr (float): step length. Default 1.
        max_iter (int): iterations per ``step``. Default 20.
        max_eval (int, optional): closure calls per ``step``. Default ``max_iter * 5 // 4``.
        tolerance_grad (float): stop when the largest gradient element is at most this. Default 1e-7.
        tolerance_change (float): stop when the step or the loss change is below this. Default 1e-9.
        history_size (int): stored (s, y) pairs. Default 100.
        line_search_fn (str, optional): None (fixed steps) or 'strong_wolfe'.

    >>> opt = optim.LBFGS(model.parameters(), lr=0.8)
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = loss_fn(model(x), y)
    ...     loss.backward()
    ...     return loss
    >>> opt.step(closure)   # doctest: +SKIP
    """

    _scalar_state = ("func_evals", "n_iter", "t", "H_diag", "prev_loss")

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        check_lr(lr, "LBFGS")
        for name, value in (("max_iter", max_iter), ("history_size", history_size)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"LBFGS: {name} must be a positive int, got {value!r}")
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # -- the parameters as one flat vector ------------------------------------------------------
    def _flat_grad(self):
        return np.concatenate([p.grad._data.reshape(-1) if p.grad is not None else np.zeros(p._data.size, p._data.dtype)
                               for p in self._params])

    def _add_step(self, t, d):
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += t * d[offset:offset + n].reshape(p._data.shape)
            offset += n

    def _evaluate(self, closure):
        with cr.enable_grad():
            loss = closure()
        return loss, float(loss), self._flat_grad()

    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss of the first closure call."""
        if closure is None:
            raise RuntimeError("LBFGS.step needs a closure that re-evaluates the model and returns the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = float(group["lr"]), group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        # all the state is global; it is kept with the first parameter, as in PyTorch
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss, loss, g = self._evaluate(closure)
        evals = 1
        state["func_evals"] += 1
        if np.abs(g).max() <= tolerance_grad:
            return orig_loss
        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag, prev_g, prev_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:  # steepest descent to start
                d = -g
                old_dirs, old_stps, ro, h_diag = [], [], [], 1.0
            else:
                y, s = g - prev_g, d * t
                ys = float(y @ s)
                if ys > 1e-10:  # keep the pair only when the curvature is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y @ y)  # scale of the initial inverse Hessian
                # two-loop recursion: d = -H g
                q = -g
                al = [0.0] * len(old_dirs)
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = float(old_stps[i] @ q) * ro[i]
                    q -= al[i] * old_dirs[i]
                d = q * h_diag
                for i in range(len(old_dirs)):
                    be_i = float(old_dirs[i] @ d) * ro[i]
                    d += (al[i] - be_i) * old_stps[i]
            prev_g = g.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / float(np.abs(g).sum())) * lr if state["n_iter"] == 1 else lr
            gtd = float(g @ d)  # directional derivative
            if gtd > -tolerance_change:
                break
            step_evals = 0
            if group["line_search_fn"] == "strong_wolfe":
                start = [p._data.copy() for p in self._params]

                def evaluate(step, start=start, d=d):
                    self._add_step(step, d)
                    _, value, grad = self._evaluate(closure)
                    for p, x in zip(self._params, start):
                        p._data[...] = x
                    return value, grad

                loss, g, t, step_evals = _strong_wolfe(evaluate, t, d, loss, g, gtd, max_ls=max_eval - evals)
                self._add_step(t, d)
            else:
                self._add_step(t, d)
                if n_iter != max_iter:  # the last iteration's loss would go unused
                    _, loss, g = self._evaluate(closure)
                    step_evals = 1
            evals += step_evals
            state["func_evals"] += step_evals
            if n_iter == max_iter or evals >= max_eval or np.abs(g).max() <= tolerance_grad:
                break
            if np.abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break  # no progress
        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_g, prev_loss=prev_loss)
        return orig_loss

    def _import(self, name, value, p, index):
        # LBFGS's state is global (flat vectors, lists of them, and numbers), not shaped like p
        def array(v):
            return np.array(v._data if isinstance(v, cr.Tensor) else v, dtype=p._data.dtype, copy=True)

        if name in ("func_evals", "n_iter"):
            return int(value._data if isinstance(value, cr.Tensor) else value)
        if name in self._scalar_state:
            return float(value._data if isinstance(value, cr.Tensor) else value)
        if isinstance(value, list):
            return [array(v) if isinstance(v, (cr.Tensor, np.ndarray)) else float(v) for v in value]
        return array(value)
