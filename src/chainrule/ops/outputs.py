"""More than one output from one node: ``Extra`` and ``apply_with_extras``.

An ``Op`` returns one array, and the engine gives each node one incoming gradient. An op with more
outputs (a recurrent layer: y, h_n, c_n) takes a ``box`` keyword (a list) and appends its ``ctx`` to
it, returns its main output and leaves the others in ``ctx.extras``, with ``ctx.extra_grads`` a list
of as many Nones; its backward reads (and resets) ``ctx.extra_grads``, None meaning zero.
``apply_with_extras`` wraps each extra output in an ``Extra`` node.
"""

from __future__ import annotations

import numpy as np

from chainrule.autograd import op
from chainrule.autograd.op import Op


class Extra(Op):
    """Output ``k`` of a multi-output node beyond its first.

    The engine sees one output per node, so each further output is a node of its own whose only input
    is the main output (which makes the main node run after it in backward). Its backward files its
    gradient with the main node (``extra_grads[k]``) and passes a zero gradient to the main output, so
    that the main node runs even when only this output was used.
    """

    def forward(ctx, primary, node, k):
        ctx.node, ctx.k, ctx.shape = node, k, primary.shape
        return node.extras[k]

    def backward(ctx, grad):
        if ctx.node.freed:  # an earlier backward through the main output freed the shared node
            raise RuntimeError(
                f"Trying to backward through the graph a second time (at {ctx.node.name()}): its saved "
                "values were freed after the first backward. Call backward(retain_graph=True) the "
                "first time if you need to go through it again."
            )
        grads = ctx.node.extra_grads
        grads[ctx.k] = grad if grads[ctx.k] is None else grads[ctx.k] + grad
        return np.broadcast_to(np.zeros((), grad.dtype), ctx.shape)


def apply_with_extras(cls, *args, keep=None, **kwargs):
    """``cls.apply(...)`` followed by its extra outputs (those numbered in ``keep``, default all)."""
    box = []
    out = cls.apply(*args, box=box, **kwargs)
    ctx = box[0]
    keep = range(len(ctx.extras)) if keep is None else keep
    if out._ctx is None:
        return (out,) + tuple(op.Tensor._wrap(ctx.extras[k]) for k in keep)  # (ops never import tensor.py)
    return (out,) + tuple(Extra.apply(out, ctx, k) for k in keep)
