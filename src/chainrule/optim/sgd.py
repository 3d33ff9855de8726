"""Stochastic gradient descent, with optional (Nesterov) momentum and weight decay."""

from __future__ import annotations

import numpy as np

from chainrule.optim.optimizer import Optimizer, check_lr


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    Algorithm, per parameter p with gradient g at step t:

        g <- -g if maximize;  g <- g + weight_decay * p
        b <- g at t = 1, else b <- momentum * b + (1 - dampening) * g     (only if momentum != 0)
        g <- g + momentum * b if nesterov, else g <- b
        p <- p - lr * g

    Args:
        params: iterable of Tensors or of dicts (param groups).
        lr (float): learning rate. Default: 1e-3.
        momentum (float): momentum factor. Default: 0.
        dampening (float): dampening of the momentum. Default: 0.
        weight_decay (float): L2 penalty added to the gradient. Default: 0.
        nesterov (bool): use Nesterov momentum. Default: False.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.

    >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False):
        check_lr(lr, "SGD")
        self._check_non_negative(momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        loss = self._closure_loss(closure)
        for p, _, group in self._params_with_grad():
            momentum, dampening = group["momentum"], group["dampening"]
            g = self._grad(p, group["maximize"], group["weight_decay"])  # -g to maximize, + weight_decay * p (L2)
            tmp = self._scratch(p)
            if momentum != 0:
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:  # the first step starts the buffer at g
                    buf = state["momentum_buffer"] = g.copy()
                else:  # momentum buffer
                    buf *= momentum
                    buf += np.multiply(g, 1 - dampening, out=tmp)
                g = np.add(g, np.multiply(buf, momentum, out=tmp), out=tmp) if group["nesterov"] else buf
            p._data -= np.multiply(g, group["lr"], out=tmp)
        return loss
