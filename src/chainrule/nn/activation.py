"""Activation layers: each one a thin ``Module`` around a function in ``nn.functional``.

``inplace=`` is accepted where PyTorch has it (and shown in ``repr`` like PyTorch's); results are
always new tensors, which autograd needs anyway.
"""

from __future__ import annotations

from chainrule.nn import functional as F
from chainrule.nn.module import Module
from chainrule.ops.activation import Elu, Gelu, LeakyRelu, Relu, Sigmoid as _SigmoidOp, Silu, Softplus as _SoftplusOp
from chainrule.ops.activation import Tanh as _TanhOp


def _inplace(inplace):
    return "inplace=True" if inplace else ""


class ReLU(Module):
    """max(0, x), elementwise.

    >>> nn.ReLU()(chainrule.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return Relu.apply(input)

    def extra_repr(self) -> str:
        return _inplace(self.inplace)


class LeakyReLU(Module):
    """x for x > 0, ``negative_slope * x`` otherwise.

    Args:
        negative_slope (float): the slope for negative inputs. Default 0.01.
        inplace (bool): accepted for compatibility. Default False.
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return LeakyRelu.apply(input, negative_slope=self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """x for x > 0, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        alpha (float): the value approached for large negative inputs is -alpha. Default 1.0.
        inplace (bool): accepted for compatibility. Default False.
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return Elu.apply(input, alpha=self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """x * Phi(x), Phi the standard normal CDF; ``approximate='tanh'`` uses the tanh formula.

    Args:
        approximate (str): ``'none'`` (exact, default) or ``'tanh'``.
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return Gelu.apply(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x) (also called swish)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return Silu.apply(input)

    def extra_repr(self) -> str:
        return _inplace(self.inplace)


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise: squashes to (0, 1)."""

    def forward(self, input):
        return _SigmoidOp.apply(input)


class Tanh(Module):
    """Hyperbolic tangent, elementwise: squashes to (-1, 1)."""

    def forward(self, input):
        return _TanhOp.apply(input)


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta, a smooth ReLU; linear where beta * x > threshold.

    Args:
        beta (float): sharpness. Default 1.0.
        threshold (float): above this value of beta * x the layer returns x. Default 20.0.
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return _SoftplusOp.apply(input, beta=self.beta, threshold=self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``dim``: turns scores into probabilities.

    Args:
        dim (int): the dimension that sums to 1, e.g. 1 for (batch, classes). Default None (PyTorch's
            legacy guess, with a warning).

    >>> nn.Softmax(dim=1)(chainrule.zeros(1, 4))
    tensor([[0.2500, 0.2500, 0.2500, 0.2500]])
    """

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim``, computed stably (pair it with ``nn.NLLLoss``).

    Args:
        dim (int): the dimension to normalise over. Default None (PyTorch's legacy guess, with a warning).
    """

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmin(Module):
    """softmax(-x) along ``dim``."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
