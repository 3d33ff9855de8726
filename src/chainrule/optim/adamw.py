"""AdamW: Adam with weight decay decoupled from the gradient."""

from __future__ import annotations

from chainrule.optim.adam import Adam


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2017), as ``torch.optim.AdamW``.

    Algorithm, per parameter p with gradient g at step t (m and v start at zero):

        p <- p * (1 - lr * weight_decay)          (decay the weights, not the gradient)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g^2;   amsgrad: v_max <- max(v_max, v) and use v_max below
        p <- p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Args:
        params: iterable of Tensors or of dicts (param groups).
        lr (float): learning rate. Default: 1e-3.
        betas (tuple[float, float]): decay rates of the two running averages. Default: (0.9, 0.999).
        eps (float): added to the denominator for numerical stability. Default: 1e-8.
        weight_decay (float): decoupled weight-decay coefficient. Default: 1e-2.
        amsgrad (bool): use the running maximum of v (AMSGrad). Default: False.
        maximize (bool): maximize the objective instead of minimizing it. Default: False.
        fused (bool or None): see ``Adam``. Default: None.

    >>> opt = AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, fused: bool | None = None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True, fused=fused)
