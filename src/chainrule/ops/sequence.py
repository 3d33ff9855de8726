"""The gather behind packing and padding batches of sequences (``nn.utils.rnn``)."""

from __future__ import annotations

import numpy as np

from chainrule.autograd.op import Op


class PadGather(Op):
    """Rows of ``a`` picked by an integer ``index`` of any shape; -1 gives a row of ``padding_value``.

    The op behind packing and padding sequences: every row is picked at most once, so backward puts
    the gradient back by assignment (no ``np.add.at``); padding rows pass no gradient.
    """

    def forward(ctx, a, index, padding_value=0.0):
        ctx.shape, ctx.index = a.shape, index
        ctx.pad = pad = index < 0
        out = a[np.where(pad, 0, index)] if a.shape[0] else np.zeros(index.shape + a.shape[1:], a.dtype)
        if pad.any():
            out[pad] = padding_value
        return out

    def backward(ctx, grad):
        out = np.zeros(ctx.shape, grad.dtype)
        keep = ~ctx.pad
        out[ctx.index[keep]] = grad[keep]
        return out
