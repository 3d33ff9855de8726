"""Piecewise-linear activations of the mobile networks (MobileNetV3, EfficientNet-lite): hard sigmoid and swish.

    hardsigmoid(x) = relu6(x + 3) / 6          slope 1/6 on (-3, 3), else 0
    hardswish(x)   = x * relu6(x + 3) / 6      slope x/3 + 1/2 on (-3, 3), 0 below, 1 above
"""

from __future__ import annotations

import numpy as np

from chainrule.autograd.op import Op


class Hardsigmoid(Op):
    def forward(ctx, x):
        ctx.x = x
        return np.clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)

    def backward(ctx, grad):
        x = ctx.x
        return np.where((x > -3) & (x < 3), grad / 6, 0).astype(grad.dtype, copy=False)


class Hardswish(Op):
    def forward(ctx, x):
        ctx.x = x
        return (x * np.clip(x / 6 + 0.5, 0, 1)).astype(x.dtype, copy=False)

    def backward(ctx, grad):
        x = ctx.x
        # NOTE: at the kinks PyTorch 2.x takes the outer pieces: slope 0 at x == -3 and 1 at x == 3
        slope = np.where(x <= -3, 0, np.where(x < 3, x / 3 + 0.5, 1))
        return (grad * slope).astype(grad.dtype, copy=False)
