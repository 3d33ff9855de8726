"""Activation functions as ops, each with its derivative in one or two lines."""

from __future__ import annotations

import math

import numpy as np

from chainrule.autograd.op import Op
from chainrule.ops.elementwise import erf


def sigmoid(x):
    # 1/(1+e^-x), as torch: tiny results keep their relative precision (sigmoid(-20) = 2e-9, which
    # 0.5*tanh(x/2)+0.5 rounds to 0), and where e^-x overflows to inf the result is exactly 0
    out = np.negative(x, out=np.empty_like(x))  # out= keeps 0-d inputs as arrays
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def normal_cdf(x):
    """Phi(x), the standard normal CDF, elementwise.

    float64 (and others): exact, through math.erf. float32: a vectorised erfc (a Chebyshev fit, from
    Numerical Recipes' erfcc) evaluated in float64, relative error below 1.1e-7, about one float32
    ulp, and 20 to 50 times faster than calling math.erf per element. Phi(x) = erfc(|x|/sqrt 2)/2
    for x < 0 and 1 - that for x >= 0, so the left tail keeps its relative accuracy.
    """
    if x.dtype != np.float32:
        return 0.5 * (1 + erf(x / math.sqrt(2)))
    z = np.abs(x, dtype=np.float64) * (1 / math.sqrt(2))
    t = 1 / (1 + 0.5 * z)
    poly = (-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
    half_erfc = 0.5 * t * np.exp(poly)
    return np.where(x < 0, half_erfc, 1 - half_erfc).astype(np.float32)


class Relu(Op):
    def forward(ctx, a):
        out = np.maximum(a, 0)
        ctx.out = out
        return out

    def backward(ctx, grad):
        return grad * (ctx.out > 0)  # NOTE: relu'(0) := 0, as torch


class LeakyRelu(Op):
    def forward(ctx, a, negative_slope=0.01):
        ctx.a, ctx.slope = a, negative_slope
        return np.where(a > 0, a, a * negative_slope)

    def backward(ctx, grad):
        return np.where(ctx.a > 0, grad, grad * ctx.slope)


class Elu(Op):
    def forward(ctx, a, alpha=1.0):
        ctx.a, ctx.alpha = a, alpha
        return np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0)))

    def backward(ctx, grad):
        a = ctx.a
        return np.where(a > 0, grad, grad * ctx.alpha * np.exp(np.minimum(a, 0)))


class Gelu(Op):
    """GELU(x) = x * Phi(x); ``approximate='tanh'`` uses PyTorch's tanh formula."""

    def forward(ctx, a, approximate="none"):
        ctx.a, ctx.approximate = a, approximate
        if approximate == "tanh":
            ctx.t = np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a**3))
            return 0.5 * a * (1 + ctx.t)
        ctx.cdf = normal_cdf(a)
        return a * ctx.cdf

    def backward(ctx, grad):
        a = ctx.a
        if ctx.approximate == "tanh":
            t = ctx.t
            dinner = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * a * a)
            return grad * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * dinner)
        pdf = np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
        return grad * (ctx.cdf + a * pdf)


class Silu(Op):
    def forward(ctx, a):
        s = sigmoid(a)
        ctx.a, ctx.s = a, s
        return a * s

    def backward(ctx, grad):
        s = ctx.s
        return grad * (s * (1 + ctx.a * (1 - s)))


class Sigmoid(Op):
    def forward(ctx, a):
        ctx.out = sigmoid(a)
        return ctx.out

    def backward(ctx, grad):
        out = ctx.out
        return grad * out * (1 - out)


class Tanh(Op):
    def forward(ctx, a):
        ctx.out = np.tanh(a)
        return ctx.out

    def backward(ctx, grad):
        out = ctx.out
        return grad * (1 - out * out)


class Softplus(Op):
    """log(1 + e^(beta x)) / beta, and x itself where beta*x > threshold (as torch)."""

    def forward(ctx, a, beta=1.0, threshold=20.0):
        z = a * beta
        ctx.z, ctx.threshold = z, threshold
        return np.where(z > threshold, a, np.logaddexp(0, z) / beta).astype(a.dtype, copy=False)

    def backward(ctx, grad):
        z = ctx.z
        return np.where(z > ctx.threshold, grad, grad * sigmoid(z))


class Hardsigmoid(Op):
    """relu6(x + 3) / 6. Slope 1/6 strictly inside (-3, 3), 0 at and beyond the kinks, as PyTorch."""

    def forward(ctx, a):
        ctx.a = a
        return np.clip(a + 3, 0, 6) / 6

    def backward(ctx, grad):
        return np.where((ctx.a > -3) & (ctx.a < 3), grad / 6, 0).astype(grad.dtype, copy=False)


class Hardswish(Op):
    """x * relu6(x + 3) / 6. Slope 0 up to x = -3, x / 3 + 1/2 on (-3, 3), 1 from x = 3 on, as PyTorch."""

    def forward(ctx, a):
        ctx.a = a
        return a * (np.clip(a + 3, 0, 6) / 6)

    def backward(ctx, grad):
        a = ctx.a
        slope = np.where(a <= -3, 0, np.where(a < 3, a / 3 + 0.5, 1)).astype(grad.dtype, copy=False)
        return grad * slope
