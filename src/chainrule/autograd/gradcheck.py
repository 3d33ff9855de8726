"""``gradcheck``: compare a function's analytic gradients with central differences, in float64.

When they disagree it says where: which input, which element, which output element, both values
and their difference, so a hand-written ``backward`` can be debugged.
"""

from __future__ import annotations

import numpy as np

from chainrule.autograd import engine, op
from chainrule.autograd.grad_mode import enable_grad, no_grad


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when analytic and numerical gradients disagree."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _jacobians_analytic(fn, inputs):
    """J[k][i] has shape (input_i.size, output_k.size): one backward per output element."""
    with enable_grad():
        outs = _outputs(fn, inputs)
    jac = [[np.zeros((t.numel(), o.numel())) for t in inputs] for o in outs]
    for k, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for j in range(o.numel()):
            seed = np.zeros(o.shape, dtype=o.dtype)
            seed.reshape(-1)[j] = 1
            grads = engine.run_backward([o], [seed], retain_graph=True, capture=inputs)
            for i, g in enumerate(grads):
                if g is not None:
                    jac[k][i][:, j] = np.asarray(g, dtype=np.float64).reshape(-1)
    return outs, jac


def _jacobians_numeric(fn, inputs, eps):
    with no_grad():
        sizes = [o.numel() for o in _outputs(fn, inputs)]
        jac = [[np.zeros((t.numel(), n)) for t in inputs] for n in sizes]
        for i, t in enumerate(inputs):
            if not t.requires_grad:  # targets, indices, constants: never nudged (an int would be truncated)
                continue
            flat = t._data.reshape(-1)
            for e in range(flat.size):
                old = flat[e]
                flat[e] = old + eps
                # np.array copies: an output may be a view of the input being perturbed (reshape, t[1:])
                plus = [np.array(o._data, dtype=np.float64).reshape(-1) for o in _outputs(fn, inputs)]
                flat[e] = old - eps
                minus = [np.array(o._data, dtype=np.float64).reshape(-1) for o in _outputs(fn, inputs)]
                flat[e] = old
                for k, (p, m) in enumerate(zip(plus, minus)):
                    jac[k][i][e, :] = (p - m) / (2 * eps)
    return jac


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, max_report=10) -> bool:
    """Check ``fn``'s gradients with respect to every input that requires grad.

    Args:
        fn: a function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or tuple of tensors; floating ones are checked in float64 copies.
        eps (float): the finite-difference step. Default 1e-6.
        atol, rtol (float): tolerances for ``|analytic - numeric| <= atol + rtol * |numeric|``.
        raise_exception (bool): raise ``GradcheckError`` with a report (default) or return False.

    >>> x = chainrule.randn(3, dtype=chainrule.float64, requires_grad=True)
    >>> gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    inputs = (inputs,) if isinstance(inputs, op.Tensor) else tuple(inputs)
    checked = []
    for t in inputs:
        if isinstance(t, op.Tensor) and t.is_floating_point():
            c = op.Tensor._wrap(t._data.astype(np.float64, copy=True))
            c.requires_grad = t.requires_grad
            checked.append(c)
        else:
            checked.append(t)
    tensors = [t for t in checked if isinstance(t, op.Tensor)]
    wanted = [t.requires_grad for t in tensors]
    if not any(wanted):
        raise ValueError("gradcheck: no input requires grad; pass tensors created with requires_grad=True")

    def call(*ts):
        it = iter(ts)
        return fn(*[next(it) if isinstance(a, op.Tensor) else a for a in checked])

    outs, analytic = _jacobians_analytic(call, tensors)
    numeric = _jacobians_numeric(call, tensors, eps)
    problems = []
    for k, o in enumerate(outs):
        for i, t in enumerate(tensors):
            if not wanted[i]:
                continue
            a, n = analytic[k][i], numeric[k][i]
            bad = ~np.isclose(a, n, rtol=rtol, atol=atol, equal_nan=True)
            for e, j in zip(*np.nonzero(bad)):
                problems.append((i, np.unravel_index(e, t.shape), k, np.unravel_index(j, o.shape), a[e, j], n[e, j]))
    if not problems:
        return True
    if not raise_exception:
        return False
    lines = [f"gradcheck failed: {len(problems)} Jacobian entries differ (atol={atol}, rtol={rtol}, eps={eps})",
             f"{'input':>5} {'element':>14} {'output':>6} {'out elem':>12} {'analytic':>14} {'numerical':>14} {'difference':>12}"]
    for i, e, k, j, a, n in problems[:max_report]:
        lines.append(f"{i:>5} {str(tuple(int(v) for v in e)):>14} {k:>6} {str(tuple(int(v) for v in j)):>12} "
                     f"{a:>14.6g} {n:>14.6g} {a - n:>12.3g}")
    if len(problems) > max_report:
        lines.append(f"... and {len(problems) - max_report} more")
    raise GradcheckError("\n".join(lines))
