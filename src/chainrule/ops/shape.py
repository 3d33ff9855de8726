"""Shape ops: they move or copy elements, so their gradients move them back."""

from __future__ import annotations

import numpy as np

from chainrule.autograd.op import Op


class Reshape(Op):
    """reshape / view / flatten / squeeze / unsqueeze all land here."""

    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Permute(Op):
    """permute / transpose / .T: the gradient is permuted back by the inverse permutation."""

    def forward(ctx, a, dims):
        ctx.inverse = tuple(np.argsort(dims))
        return a.transpose(dims)

    def backward(ctx, grad):
        return grad.transpose(ctx.inverse)


class Expand(Op):
    """A broadcast view; the engine's un-broadcasting sums the gradient back to the input shape."""

    def forward(ctx, a, shape):
        return np.broadcast_to(a, shape)

    def backward(ctx, grad):
        return grad


class Cat(Op):
    def forward(ctx, *arrays, axis=0):
        ctx.axis = axis
        ctx.bounds = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=axis)

    def backward(ctx, grad):
        return tuple(np.split(grad, ctx.bounds, axis=ctx.axis))


class Stack(Op):
    def forward(ctx, *arrays, axis=0):
        ctx.axis = axis
        return np.stack(arrays, axis=axis)

    def backward(ctx, grad):
        return tuple(np.moveaxis(grad, ctx.axis, 0))
