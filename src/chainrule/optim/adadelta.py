"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

import numpy as np

from chainrule.optim.optimizer import Optimizer, check_lr


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), as ``torch.optim.Adadelta``.

    Algorithm, per parameter p with gradient g (v and u start at zero):

        g <- -g if maximize;  g <- g + weight_decay * p
        v <- rho * v + (1 - rho) * g^2
        d <- sqrt(u + eps) / sqrt(v + eps) * g
        u <- rho * u + (1 - rho) * d^2
        p <- p - lr * d

    Args:
        params: iterable of Tensors or of dicts (param groups).
        lr (float): scale of the update. Default: 1.0.
        rho (float): decay of the running averages. Default: 0.9.
        eps (float): added inside the square roots for numerical stability. Default: 1e-6.
        weight_decay (float): L2 penalty added to the gradient. Default: 0.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.

    >>> opt = Adadelta(model.parameters())
    >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, *, maximize: bool = False):
        check_lr(lr, "Adadelta")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        self._check_non_negative(eps=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for p, state, group in self._params_with_grad(_init):
            lr, rho, eps = group["lr"], group["rho"], group["eps"]
            state["step"] += 1
            square_avg, acc_delta = state["square_avg"], state["acc_delta"]
            g = self._grad(p, group["maximize"], group["weight_decay"])  # -g to maximize, + weight_decay * p (L2)
            tmp, delta = self._scratch(p), self._scratch(p, 1)
            # running average of squared gradients
            square_avg *= rho
            square_avg += np.multiply(np.multiply(g, g, out=tmp), 1 - rho, out=tmp)
            # update d = sqrt(u + eps) / sqrt(v + eps) * g
            std = np.sqrt(np.add(square_avg, eps, out=tmp), out=tmp)
            np.sqrt(np.add(acc_delta, eps, out=delta), out=delta)
            delta /= std
            delta *= g
            # running average of squared updates
            acc_delta *= rho
            acc_delta += np.multiply(np.multiply(delta, delta, out=tmp), 1 - rho, out=tmp)
            p._data -= np.multiply(delta, lr, out=tmp)
        return loss


def _init(p, group) -> dict:
    return {"step": 0, "square_avg": np.zeros_like(p._data), "acc_delta": np.zeros_like(p._data)}
