"""Adam: bias-corrected running averages of the gradient and of its square."""

from __future__ import annotations

import numpy as np

from chainrule.optim._fused import adam_kernel, fused_adam_all, fused_adam_step
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
        fused (bool or None): update each parameter in one compiled pass (numba, a dependency).
            None uses it when available, False never (the NumPy form below), True requires it. The
            same bits as the NumPy form. Default: None.

    >>> opt = Adam(model.parameters(), lr=1e-3)
    >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    flat = True  # the fused update: one call per step for all parameters (False: one per parameter; the same bits)

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False, fused: bool | None = None):
        if fused and adam_kernel() is None:
            raise RuntimeError("Adam(fused=True) needs numba (pip install numba) and CHAINRULE_JIT not set to 0")
        self.fused = fused
        check_lr(lr, type(self).__name__)
        self._check_non_negative(eps=eps)
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        self._check_non_negative(weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        fused = self.fused is not False and adam_kernel() is not None
        if fused and self.flat:  # one compiled call for all parameters where it applies (_fused.py)
            cache = self.__dict__.setdefault("_fused_cache", ({}, {}))
            items = list(self._params_with_grad(_init))
            if fused_adam_all(items, *cache):
                return loss
            for p, state, group in items:
                state["step"] += 1
                if not fused_adam_step(p, state, group):
                    self._update(p, state, group)
            return loss
        for p, state, group in self._params_with_grad(_init):
            state["step"] += 1
            # the compiled one-pass update where it applies (_fused.py); the same math as _update
            if not (fused and fused_adam_step(p, state, group)):
                self._update(p, state, group)
        return loss

    def _update(self, p, state, group):
        """The readable NumPy update of one parameter: the reference the fused kernel is tested against."""
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, decoupled, step = group["weight_decay"], group["decoupled_weight_decay"], state["step"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        if weight_decay != 0 and decoupled:  # AdamW: shrink the weights themselves
            p._data *= 1 - lr * weight_decay
        # -g to maximize, + weight_decay * p (L2) unless decoupled
        g = self._grad(p, group["maximize"], 0 if decoupled else weight_decay)
        tmp = self._scratch(p)  # in place with one reused temporary (fresh arrays page-fault each step)
        # first moment: m <- m + (1 - beta1) * (g - m)
        exp_avg += np.multiply(np.subtract(g, exp_avg, out=tmp), 1 - beta1, out=tmp)
        # second moment
        exp_avg_sq *= beta2
        exp_avg_sq += np.multiply(np.multiply(g, g, out=tmp), 1 - beta2, out=tmp)
        second = exp_avg_sq
        if group["amsgrad"]:  # keep the largest second moment seen so far
            second = np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
        # bias correction
        step_size = lr / (1 - beta1**step)
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        denom = np.divide(np.sqrt(second, out=tmp), bias_correction2_sqrt, out=tmp)
        denom += eps
        p._data -= np.multiply(np.divide(exp_avg, denom, out=tmp), step_size, out=tmp)


def _init(p, group):
    """Adam's state for a parameter met for the first time: step 0, both moments (and v_max) zero."""
    state = {"step": 0, "exp_avg": np.zeros_like(p._data), "exp_avg_sq": np.zeros_like(p._data)}
    if group["amsgrad"]:
        state["max_exp_avg_sq"] = np.zeros_like(p._data)
    return state
