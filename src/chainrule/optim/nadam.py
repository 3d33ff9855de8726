"""NAdam: Adam with Nesterov momentum and a warming-up momentum schedule."""

from __future__ import annotations

import numpy as np

from chainrule.optim.optimizer import Optimizer, check_lr


class NAdam(Optimizer):
    """NAdam (Dozat, 2016), as ``torch.optim.NAdam``; also available as ``Nadam`` (Keras's spelling).

    Algorithm, per parameter p with gradient g at step t (m, v start at zero, P at one):

        g <- -g if maximize;  g <- g + weight_decay * p  (or p <- p * (1 - lr * weight_decay) if decoupled)
        mu_t <- beta1 * (1 - 0.5 * 0.96^(t * momentum_decay));   P <- P * mu_t
        m <- beta1 * m + (1 - beta1) * g;   v <- beta2 * v + (1 - beta2) * g^2
        d <- sqrt(v / (1 - beta2^t)) + eps
        p <- p - lr * (1 - mu_t) / (1 - P) * g / d - lr * mu_{t+1} / (1 - P * mu_{t+1}) * m / d

    Args:
        params: iterable of Tensors or of dicts (param groups).
        lr (float): learning rate. Default: 2e-3.
        betas (tuple[float, float]): decay rates of the two running averages. Default: (0.9, 0.999).
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): weight-decay coefficient. Default: 0.
        momentum_decay (float): speed of the momentum warm-up (psi). Default: 4e-3.
        decoupled_weight_decay (bool): shrink the weights directly, as AdamW. Default: False.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.

    >>> opt = NAdam(model.parameters(), lr=2e-3)
    >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    _scalar_state = ("step", "mu_product")

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False):
        check_lr(lr, "NAdam")
        self._check_non_negative(eps=eps)
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        self._check_non_negative(weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for p, state, group in self._params_with_grad(_init):
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, decoupled = group["weight_decay"], group["decoupled_weight_decay"]
            state["step"] += 1
            step, exp_avg, exp_avg_sq = state["step"], state["exp_avg"], state["exp_avg_sq"]
            if weight_decay != 0 and decoupled:  # shrink the weights themselves
                p._data *= 1 - lr * weight_decay
            # -g to maximize, + weight_decay * p (L2) unless decoupled
            g = self._grad(p, group["maximize"], 0 if decoupled else weight_decay)
            # momentum schedule: this step's mu, the next one's, and their running product
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
            mu_product = state["mu_product"] = state["mu_product"] * mu
            tmp, denom = self._scratch(p), self._scratch(p, 1)
            # first and second moments
            exp_avg += np.multiply(np.subtract(g, exp_avg, out=tmp), 1 - beta1, out=tmp)
            exp_avg_sq *= beta2
            exp_avg_sq += np.multiply(np.multiply(g, g, out=tmp), 1 - beta2, out=tmp)
            # bias-corrected denominator
            np.sqrt(np.divide(exp_avg_sq, 1 - beta2**step, out=denom), out=denom)
            denom += eps
            # Nesterov update: a gradient part and a momentum part
            grad_coef = lr * (1.0 - mu) / (1.0 - mu_product)
            momentum_coef = lr * mu_next / (1.0 - mu_product * mu_next)
            p._data -= np.multiply(np.divide(g, denom, out=tmp), grad_coef, out=tmp)
            p._data -= np.multiply(np.divide(exp_avg, denom, out=tmp), momentum_coef, out=tmp)
        return loss


def _init(p, group) -> dict:
    return {"step": 0, "mu_product": 1.0, "exp_avg": np.zeros_like(p._data), "exp_avg_sq": np.zeros_like(p._data)}


Nadam = NAdam
