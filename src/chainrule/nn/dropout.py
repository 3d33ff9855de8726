"""``Dropout``: randomly zero activations during training (inverted dropout, a no-op in eval mode)."""

from __future__ import annotations

from chainrule.nn import functional as F
from chainrule.nn.module import Module


class Dropout(Module):
    """Zero each element with probability ``p`` in training and scale the rest by ``1 / (1 - p)``.

    In evaluation mode (``model.eval()``) the input passes through unchanged, so no rescaling is
    needed at test time. Random draws come from chainrule's global generator (``manual_seed``).

    Args:
        p (float): probability of an element being zeroed. Default 0.5.
        inplace (bool): accepted for compatibility; the result is always a new tensor. Default False.

    Shape: any; the output has the input's shape.

    >>> drop = nn.Dropout(p=0.2)
    >>> drop.eval()(chainrule.ones(3))
    tensor([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        F._check_p(p, where=type(self).__name__)
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        if not self.training or self.p == 0.0:
            return input
        return F.dropout(input, self.p, True)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
