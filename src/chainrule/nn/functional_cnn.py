"""Functions convolutional networks need besides conv and pooling: ``dropout2d``, ``group_norm``,
``hardswish``, ``hardsigmoid`` (part of ``chainrule.nn.functional``)."""

from __future__ import annotations

import numpy as np

from chainrule.ops import nn as _ops
from chainrule.ops.activation_hard import Hardsigmoid, Hardswish
from chainrule.random import rng_of
from chainrule.tensor import Tensor

__all__ = ["dropout2d", "group_norm", "hardsigmoid", "hardswish"]


def hardsigmoid(input, inplace=False) -> Tensor:
    """relu6(x + 3) / 6, elementwise (``inplace`` is accepted; the result is a new tensor).

    >>> F.hardsigmoid(chainrule.tensor([-4.0, 0.0, 4.0]))
    tensor([0.0000, 0.5000, 1.0000])
    """
    return Hardsigmoid.apply(input)


def hardswish(input, inplace=False) -> Tensor:
    """x * relu6(x + 3) / 6, elementwise (Howard et al., 2019, MobileNetV3).

    >>> F.hardswish(chainrule.tensor([-4.0, 0.0, 4.0]))
    tensor([-0., 0., 4.])
    """
    return Hardswish.apply(input)


def dropout2d(input, p=0.5, training=True, inplace=False, generator=None) -> Tensor:
    """Zero whole channels with probability ``p`` (scaling the rest by 1 / (1 - p)); training only.

    Args:
        input (Tensor): (N, C, H, W), or unbatched (C, H, W).
        p (float): probability of a channel being zeroed. Default 0.5.
        training (bool): apply dropout; when False the input is returned unchanged. Default True.

    >>> F.dropout2d(chainrule.ones(2, 3, 4, 4), training=False).shape
    Size([2, 3, 4, 4])
    """
    from chainrule.nn.functional import _check_p

    _check_p(p, where="dropout2d")
    if input.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected a 4D input (N, C, H, W) or 3D unbatched (C, H, W), got "
                         f"{input.ndim}D input of shape {tuple(input.shape)}")
    if not training or p == 0.0:
        return input
    data = input._data
    mask_shape = data.shape[:-2] + (1, 1)
    if p == 1.0:
        mask = np.zeros(mask_shape, dtype=data.dtype)
    else:
        keep = rng_of(generator).random(mask_shape) >= p
        mask = keep.astype(data.dtype) * data.dtype.type(1.0 / (1.0 - p))
    return _ops.Dropout.apply(input, mask)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5) -> Tensor:
    """Normalise each sample over groups of channels (and all spatial positions), then scale and shift per channel.

    Args:
        input (Tensor): (N, C, *).
        num_groups (int): number of groups; must divide C.
        weight, bias (Tensor, optional): per-channel scale and shift, shape (C,).
        eps (float): added to the variance. Default 1e-5.

    >>> F.group_norm(chainrule.randn(2, 6, 4, 4), 3).shape
    Size([2, 6, 4, 4])
    """
    if input.ndim < 2:
        raise ValueError(f"group_norm: expected an input of shape (N, C, *), got shape {tuple(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise ValueError(f"group_norm: num_groups={num_groups} must divide the {c} channels of input shape "
                         f"{tuple(input.shape)}")
    # a layer norm over each (sample, group) row, then the per-channel affine map
    xhat = _ops.LayerNorm.apply(input.reshape(n, num_groups, -1), None, None, ndims=1, eps=eps).reshape(input.shape)
    extra = (1,) * (input.ndim - 2)
    if weight is not None:
        xhat = xhat * weight.reshape(c, *extra)
    if bias is not None:
        xhat = xhat + bias.reshape(c, *extra)
    return xhat
