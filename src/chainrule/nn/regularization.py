"""L1 / L2 weight penalties to add to a loss, as functions and as Keras-style regularizer objects.

PyTorch has no regularizer objects (it offers ``weight_decay`` in the optimizers); Keras has
``keras.regularizers.L1(l1=0.01)``, ``L2(l2=0.01)`` and ``L1L2(l1=0.0, l2=0.0)``, with the same
formulas as here (no factor 1/2)::

    l1_penalty(params, weight) = weight * sum_p sum(|p|)
    l2_penalty(params, weight) = weight * sum_p sum(p ** 2)

Each is one fused graph node however many parameters it covers. Pick the parameters to penalise;
the usual choice is the weights and not the biases:

>>> from chainrule import nn
>>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
>>> weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
>>> loss = loss_fn(model(x), y) + nn.regularization.L2(1e-4)(weights)   # doctest: +SKIP

Relation to ``weight_decay``: for plain SGD, ``l2_penalty(params, lam)`` in the loss takes the same
steps as ``optim.SGD(params, lr, weight_decay=2 * lam)`` without it (the gradient of lam * p^2 is
2 lam p). With Adam they differ: the penalty's gradient is rescaled by Adam, ``weight_decay`` of
``AdamW`` is not.
"""

from __future__ import annotations

import numpy as np

from chainrule import dtypes
from chainrule.ops.loss import AbsSum, SquareSum
from chainrule.tensor import Tensor

__all__ = ["L1", "L1L2", "L2", "Regularizer", "l1", "l1_l2", "l1_penalty", "l2", "l2_penalty"]


def _params(params):
    """A tensor or an iterable of tensors (``model.parameters()`` works) as a tuple."""
    if isinstance(params, Tensor):
        return (params,)
    params = tuple(params)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"regularization: expected a tensor or an iterable of tensors, got an element of "
                            f"type {type(p).__name__}")
    return params


def _zeros():
    return np.zeros((), dtype=dtypes.get_default_dtype())


def l1_penalty(params, weight=1.0) -> Tensor:
    """``weight * sum(|p|)`` over the given parameters: add it to the loss for L1 (sparsity) regularisation.

    Args:
        params: a tensor or an iterable of tensors, e.g. ``model.parameters()`` or a list of weights.
        weight (float): the penalty's coefficient (Keras's ``l1``). Default 1.0.

    Returns a scalar tensor; its gradient with respect to each p is ``weight * sign(p)``.

    >>> l1_penalty([chainrule.tensor([1.0, -2.0]), chainrule.tensor([3.0])], weight=0.1)
    tensor(0.6)
    """
    params = _params(params)
    if not params:
        return Tensor._wrap(_zeros())
    return AbsSum.apply(*params, scale=weight)


def l2_penalty(params, weight=1.0) -> Tensor:
    """``weight * sum(p ** 2)`` over the given parameters: add it to the loss for L2 regularisation.

    Args:
        params: a tensor or an iterable of tensors, e.g. ``model.parameters()`` or a list of weights.
        weight (float): the penalty's coefficient (Keras's ``l2``; no factor 1/2). Default 1.0.

    Returns a scalar tensor; its gradient with respect to each p is ``2 * weight * p``.

    >>> l2_penalty([chainrule.tensor([1.0, -2.0]), chainrule.tensor([3.0])], weight=0.1)
    tensor(1.4)
    """
    params = _params(params)
    if not params:
        return Tensor._wrap(_zeros())
    return SquareSum.apply(*params, scale=weight)


class Regularizer:
    """Base of the Keras-style regularizers: ``reg(params)`` returns the penalty to add to the loss."""

    def __call__(self, params) -> Tensor:
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class L1(Regularizer):
    """L1 penalty ``l1 * sum(|p|)``, as ``keras.regularizers.L1``.

    Args:
        l1 (float): the coefficient. Default 0.01.

    >>> L1(0.1)(chainrule.tensor([1.0, -2.0]))
    tensor(0.3)
    """

    def __init__(self, l1=0.01):
        self.l1 = _coefficient("L1", "l1", l1)

    def __call__(self, params) -> Tensor:
        return l1_penalty(params, self.l1)


class L2(Regularizer):
    """L2 penalty ``l2 * sum(p ** 2)``, as ``keras.regularizers.L2``.

    Args:
        l2 (float): the coefficient. Default 0.01.

    >>> L2(0.1)(chainrule.tensor([1.0, -2.0]))
    tensor(0.5)
    """

    def __init__(self, l2=0.01):
        self.l2 = _coefficient("L2", "l2", l2)

    def __call__(self, params) -> Tensor:
        return l2_penalty(params, self.l2)


class L1L2(Regularizer):
    """Both penalties: ``l1 * sum(|p|) + l2 * sum(p ** 2)``, as ``keras.regularizers.L1L2``.

    Args:
        l1 (float): the L1 coefficient. Default 0.0.
        l2 (float): the L2 coefficient. Default 0.0.

    >>> L1L2(l1=0.1, l2=0.1)(chainrule.tensor([1.0, -2.0]))
    tensor(0.8)
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _coefficient("L1L2", "l1", l1)
        self.l2 = _coefficient("L1L2", "l2", l2)

    def __call__(self, params) -> Tensor:
        params = _params(params)
        if not self.l1:
            return l2_penalty(params, self.l2)
        if not self.l2:
            return l1_penalty(params, self.l1)
        return l1_penalty(params, self.l1) + l2_penalty(params, self.l2)


def _coefficient(cls, name, value):
    value = float(value)
    if not value >= 0:  # also rejects nan
        raise ValueError(f"{cls}: {name} must be a non-negative number, got {name}={value}")
    return value


l1, l2, l1_l2 = L1, L2, L1L2  # Keras's lower-case aliases
