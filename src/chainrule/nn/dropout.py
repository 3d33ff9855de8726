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


class Dropout2d(Dropout):
    """Zero whole channels of (N, C, H, W) inputs with probability ``p`` in training (scale the rest by 1 / (1 - p)).

    Neighbouring pixels are strongly correlated, so dropping single activations barely regularises a
    conv net; dropping entire feature maps does (Tompson et al., 2015).

    Shape: (N, C, H, W) or (C, H, W) -> same shape.

    >>> nn.Dropout2d(0.2).eval()(chainrule.ones(1, 2, 3, 3)).shape
    Size([1, 2, 3, 3])
    """

    def forward(self, input):
        from chainrule.nn.functional_cnn import dropout2d

        return dropout2d(input, self.p, self.training)
