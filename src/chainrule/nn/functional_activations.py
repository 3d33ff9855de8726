"""The less common activations and similarity functions of ``torch.nn.functional``, composed from
existing differentiable ops (``clamp``, ``where``, ``exp``, ``tanh``, ``softplus`` ...), so each is one
readable line and its gradient comes with it. Re-exported by ``nn.functional``.
"""

from __future__ import annotations

from chainrule.functions import elu, softplus
from chainrule.tensor import Tensor, where

__all__ = [
    "hardtanh", "hardtanh_", "selu", "celu", "softsign", "logsigmoid", "mish", "hardswish", "hardsigmoid",
    "softshrink", "hardshrink", "tanhshrink", "threshold", "glu", "prelu", "rrelu", "cosine_similarity",
    "pairwise_distance", "pdist", "gumbel_softmax", "relu_", "elu_", "leaky_relu_", "selu_", "celu_", "threshold_",
    "rrelu_",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False) -> Tensor:
    """x clipped to [min_val, max_val]."""
    return input.clamp(min_val, max_val)


def selu(input, inplace=False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al. (2017)."""
    return elu(input, _SELU_ALPHA) * _SELU_SCALE


def celu(input, alpha=1.0, inplace=False) -> Tensor:
    """x for x > 0, ``alpha * (exp(x / alpha) - 1)`` otherwise."""
    return elu(input / alpha, 1.0) * alpha if alpha != 1.0 else elu(input, 1.0)


def softsign(input) -> Tensor:
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


def logsigmoid(input) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return -softplus(-input)


def mish(input, inplace=False) -> Tensor:
    """x * tanh(softplus(x))."""
    return input * softplus(input).tanh()


def hardsigmoid(input, inplace=False) -> Tensor:
    """relu6(x + 3) / 6: a piecewise-linear sigmoid."""
    return (input + 3).clamp(0.0, 6.0) / 6


def hardswish(input, inplace=False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    return input * hardsigmoid(input)


def softshrink(input, lambd=0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    return where(input > lambd, input - lambd, where(input < -lambd, input + lambd, 0.0))


def hardshrink(input, lambd=0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    return where(input.abs() > lambd, input, 0.0)


def tanhshrink(input) -> Tensor:
    """x - tanh(x)."""
    return input - input.tanh()


def threshold(input, threshold, value, inplace=False) -> Tensor:
    """x where x > threshold, else ``value``."""
    return where(input > threshold, input, value)


def glu(input, dim=-1) -> Tensor:
    """Gated linear unit: the first half of ``dim`` times the sigmoid of the second half."""
    if input.shape[dim] % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {dim} is size {input.shape[dim]}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def prelu(input, weight) -> Tensor:
    """x for x >= 0, ``weight * x`` otherwise; ``weight`` has 1 or C (channel dim 1) entries."""
    if weight.numel() > 1 and input.ndim > 1:
        weight = weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    return where(input >= 0, input, input * weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False) -> Tensor:
    """Randomised leaky ReLU; in evaluation (``training=False``) the slope is (lower + upper) / 2."""
    if training:
        from chainrule.random import rng_of

        slope = Tensor._wrap(rng_of(None).uniform(lower, upper, input.shape).astype(input.dtype))
        return where(input >= 0, input, input * slope)
    return where(input >= 0, input, input * ((lower + upper) / 2))


def cosine_similarity(x1, x2, dim=1, eps=1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim``, as ``torch.nn.functional.cosine_similarity``.

    The inputs broadcast first. Each is divided by its 2-norm clamped to at least ``eps`` (so a zero
    vector gives 0); as in PyTorch the clamp changes the value only, the gradient still flows through
    the norm.
    """
    import numpy as np

    shape = tuple(np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape)))
    if tuple(x1.shape) != shape:
        x1 = x1.expand(*shape)
    if tuple(x2.shape) != shape:
        x2 = x2.expand(*shape)

    def unit(x):
        n = x.norm(2, dim=dim, keepdim=True)
        return x / (n + (n.clamp(min=eps) - n).detach())

    return (unit(x1) * unit(x2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False) -> Tensor:
    """The p-norm of ``x1 - x2 + eps`` along the last dimension."""
    return (x1 - x2 + eps).norm(p, dim=-1, keepdim=keepdim)


def pdist(input, p=2.0) -> Tensor:
    """Distances between every pair of rows i < j of an ``(N, M)`` input, as one ``N (N - 1) / 2`` vector."""
    import numpy as np

    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    return (input[i] - input[j]).norm(p, dim=-1)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1, generator=None) -> Tensor:
    """A differentiable sample from the categorical distribution ``softmax(logits)``: softmax of
    ``(logits + Gumbel noise) / tau``; with ``hard`` a one-hot vector whose gradient is the soft one's
    (straight-through)."""
    import numpy as np

    from chainrule.random import rng_of

    gumbels = Tensor._wrap(rng_of(generator).gumbel(size=tuple(logits.shape)).astype(logits.dtype))
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft._data.argmax(axis=dim)
    y_hard = np.zeros_like(y_soft._data)
    np.put_along_axis(y_hard, np.expand_dims(index, dim), 1.0, axis=dim)
    return Tensor._wrap(y_hard) - y_soft.detach() + y_soft


# PyTorch's in-place spellings: chainrule returns new tensors (autograd needs them anyway)
def relu_(input):
    return input.relu()


def elu_(input, alpha=1.0):
    return elu(input, alpha)


def leaky_relu_(input, negative_slope=0.01):
    from chainrule.functions import leaky_relu

    return leaky_relu(input, negative_slope)


def selu_(input):
    return selu(input)


def celu_(input, alpha=1.0):
    return celu(input, alpha)


def threshold_(input, threshold_value, value):
    return threshold(input, threshold_value, value)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training)


hardtanh_ = hardtanh
