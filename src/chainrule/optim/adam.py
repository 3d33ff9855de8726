"""Adam: bias-corrected running averages of the gradient and of its square."""

from __future__ import annotations

import numpy as np

from chainrule.optim._fused import adam_kernel
from chainrule.optim.optimizer import Optimizer, check_lr


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014), as ``torch.optim.Adam``.

    Algorithm, per parameter p with gradient g at step t (m and v start at zero):

        g <- -g if maximize;  g <- g + weight_decay * p  (or p <- p * (1 - lr * weight_decay) if decoupled)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g^2;   amsgrad: v_max <- max(v_max, v) and use v_max below
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Args:
        params: iterable of Tensors or of dicts (param groups).
        lr (float): learning rate. Default: 1e-3.
        betas (tuple[float, float]): decay rates of the two running averages. Default: (0.9, 0.999).
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): L2 penalty added to the gradient (see ``decoupled_weight_decay``). Default: 0.
        amsgrad (bool): use the running maximum of v (AMSGrad). Default: False.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
        decoupled_weight_decay (bool): shrink the weights directly, as AdamW. Default: False.
        fused (bool or None): update each parameter in one compiled pass (numba, the ``fast``
            extra). None uses it when available, False never, True requires it. Same results as the
            NumPy form to rounding. Default: None.

    >>> opt = Adam(model.parameters(), lr=1e-3)
    >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False, fused: bool | None = None):
        if fused and adam_kernel() is None:
            raise RuntimeError("Adam(fused=True) needs numba: pip install chainrule[fast] (and CHAINRULE_JIT unset)")
        self.fused = fused
        check_lr(lr, type(self).__name__)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        fused = adam_kernel() if self.fused is not False else None
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            coefficients = {}  # (dtype, step) -> the fused kernel's scalars, computed once per group
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = np.zeros_like(p._data)
                    state["exp_avg_sq"] = np.zeros_like(p._data)
                    if amsgrad:
                        state["max_exp_avg_sq"] = np.zeros_like(p._data)
                state["step"] += 1
                step, exp_avg, exp_avg_sq = state["step"], state["exp_avg"], state["exp_avg_sq"]
                if fused is not None and not amsgrad and _flat_ok(p._data, p.grad._data):
                    # the same update in one pass over memory (see _fused.py); the NumPy form below is the reference
                    key = (p._data.dtype, step)
                    if key not in coefficients:  # rounded to the parameter's dtype, as the NumPy form's are
                        dt = p._data.dtype.type
                        coefficients[key] = (dt(1 - beta1), dt(beta2), dt(1 - beta2), dt(lr / (1 - beta1**step)),
                                             dt((1 - beta2**step) ** 0.5), dt(eps), dt(weight_decay),
                                             dt(1 - lr * weight_decay))
                    fused(p._data.reshape(-1), p.grad._data.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1),
                          *coefficients[key], maximize, decoupled)
                    continue
                if weight_decay != 0 and decoupled:  # AdamW: shrink the weights themselves
                    p._data *= 1 - lr * weight_decay
                # -g to maximize, + weight_decay * p (L2) unless decoupled
                g = self._grad(p, maximize, 0 if decoupled else weight_decay)
                tmp = self._scratch(p)
                # first moment: m <- m + (1 - beta1) * (g - m)
                exp_avg += np.multiply(np.subtract(g, exp_avg, out=tmp), 1 - beta1, out=tmp)
                # second moment
                exp_avg_sq *= beta2
                exp_avg_sq += np.multiply(np.multiply(g, g, out=tmp), 1 - beta2, out=tmp)
                if amsgrad:  # keep the largest second moment seen so far
                    second = np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
                else:
                    second = exp_avg_sq
                # bias correction
                step_size = lr / (1 - beta1**step)
                bias_correction2_sqrt = (1 - beta2**step) ** 0.5
                denom = np.divide(np.sqrt(second, out=tmp), bias_correction2_sqrt, out=tmp)
                denom += eps
                p._data -= np.multiply(np.divide(exp_avg, denom, out=tmp), step_size, out=tmp)
        return loss


def _flat_ok(param, grad):
    """The fused kernel needs contiguous float32/float64 arrays of one dtype (numba has no float16; anything else
    takes the NumPy form)."""
    return (param.dtype == grad.dtype and param.dtype.kind == "f" and param.dtype.itemsize >= 4
            and param.flags.c_contiguous
            and grad.flags.c_contiguous and grad.shape == param.shape)
