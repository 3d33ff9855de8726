"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""

from __future__ import annotations

import numpy as np

from chainrule.optim.optimizer import Optimizer, check_lr


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad``.

    Algorithm, per parameter p with gradient g at step t (sum starts at initial_accumulator_value):

        g <- -g if maximize;  g <- g + weight_decay * p
        lr_t <- lr / (1 + (t - 1) * lr_decay)
        sum <- sum + g^2
        p <- p - lr_t * g / (sqrt(sum) + eps)

    Args:
        params: iterable of Tensors or of dicts (param groups).
        lr (float): learning rate. Default: 1e-2.
        lr_decay (float): learning-rate decay. Default: 0.
        weight_decay (float): L2 penalty added to the gradient. Default: 0.
        initial_accumulator_value (float): starting value of the sum of squares. Default: 0.
        eps (float): added to the denominator for numerical stability. Default: 1e-10.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.

    >>> opt = Adagrad(model.parameters(), lr=0.1)
    >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *, maximize: bool = False):
        check_lr(lr, "Adagrad")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["sum"] = np.full_like(p._data, group["initial_accumulator_value"])
                state["step"] += 1
                g = self._grad(p, maximize, weight_decay)  # -g to maximize, + weight_decay * p (L2)
                clr = lr / (1 + (state["step"] - 1) * lr_decay)  # decayed learning rate
                tmp = self._scratch(p)
                state["sum"] += np.multiply(g, g, out=tmp)  # sum of squared gradients
                std = np.sqrt(state["sum"], out=tmp)
                std += eps
                p._data -= np.multiply(np.divide(g, std, out=tmp), clr, out=tmp)
        return loss
