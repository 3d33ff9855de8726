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
        self._check_non_negative(lr_decay=lr_decay, weight_decay=weight_decay,
                                 initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for p, state, group in self._params_with_grad(_init):
            state["step"] += 1
            g = self._grad(p, group["maximize"], group["weight_decay"])  # -g to maximize, + weight_decay * p (L2)
            clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])  # decayed learning rate
            tmp = self._scratch(p)
            state["sum"] += np.multiply(g, g, out=tmp)  # sum of squared gradients
            std = np.sqrt(state["sum"], out=tmp)
            std += group["eps"]
            p._data -= np.multiply(np.divide(g, std, out=tmp), clr, out=tmp)
        return loss


def _init(p, group) -> dict:
    return {"step": 0, "sum": np.full_like(p._data, group["initial_accumulator_value"])}
