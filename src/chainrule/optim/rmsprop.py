"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

import numpy as np

from chainrule.optim.optimizer import Optimizer, check_lr


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), as ``torch.optim.RMSprop``.

    Algorithm, per parameter p with gradient g (v, m and b start at zero):

        g <- -g if maximize;  g <- g + weight_decay * p
        v <- alpha * v + (1 - alpha) * g^2
        centered: m <- alpha * m + (1 - alpha) * g;  s <- sqrt(v - m^2) + eps;  else s <- sqrt(v) + eps
        momentum > 0: b <- momentum * b + g / s;  p <- p - lr * b
        otherwise:    p <- p - lr * g / s

    Args:
        params: iterable of Tensors or of dicts (param groups).
        lr (float): learning rate. Default: 1e-2.
        alpha (float): smoothing constant of the running averages. Default: 0.99.
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): L2 penalty added to the gradient. Default: 0.
        momentum (float): momentum factor. Default: 0.
        centered (bool): normalize by an estimate of the gradient's variance. Default: False.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.

    >>> opt = RMSprop(model.parameters(), lr=1e-3, momentum=0.9)
    >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False):
        check_lr(lr, "RMSprop")
        self._check_non_negative(eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for p, state, group in self._params_with_grad(_init):
            alpha, momentum = group["alpha"], group["momentum"]
            state["step"] += 1
            g = self._grad(p, group["maximize"], group["weight_decay"])  # -g to maximize, + weight_decay * p (L2)
            tmp = self._scratch(p)
            # running average of squared gradients
            square_avg = state["square_avg"]
            square_avg *= alpha
            square_avg += np.multiply(np.multiply(g, g, out=tmp), 1 - alpha, out=tmp)
            if group["centered"]:  # subtract the squared running mean of the gradients
                grad_avg = state["grad_avg"]
                grad_avg += np.multiply(np.subtract(g, grad_avg, out=tmp), 1 - alpha, out=tmp)
                variance = np.subtract(square_avg, np.multiply(grad_avg, grad_avg, out=tmp), out=tmp)
                avg = np.sqrt(variance, out=tmp)
            else:
                avg = np.sqrt(square_avg, out=tmp)
            avg += group["eps"]
            if momentum > 0:
                buf = state["momentum_buffer"]
                buf *= momentum
                buf += np.divide(g, avg, out=tmp)
                p._data -= np.multiply(buf, group["lr"], out=tmp)
            else:
                p._data -= np.multiply(np.divide(g, avg, out=tmp), group["lr"], out=tmp)
        return loss


def _init(p, group) -> dict:
    state = {"step": 0, "square_avg": np.zeros_like(p._data)}
    if group["momentum"] > 0:
        state["momentum_buffer"] = np.zeros_like(p._data)
    if group["centered"]:
        state["grad_avg"] = np.zeros_like(p._data)
    return state
