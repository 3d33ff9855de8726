"""``chainrule.nn.functional`` (import it as ``F``): the math behind every layer, as plain functions.

Modules in ``chainrule.nn`` are thin wrappers that hold parameters and call these. Loss functions
live in ``functional_losses.py`` and are re-exported here (``F.cross_entropy``).

>>> import chainrule.nn.functional as F
>>> F.relu(chainrule.tensor([-1.0, 2.0]))
tensor([0., 2.])
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from chainrule.functions import (  # noqa: F401 - one definition each, re-exported as F.*
    elu, gelu, leaky_relu, one_hot, relu, sigmoid, silu, softplus, tanh,
)
from chainrule.ops import nn as _ops
from chainrule.ops.matmul import Linear
from chainrule.random import rng_of
from chainrule.tensor import Tensor


# -- linear ---------------------------------------------------------------------------------------
def linear(input, weight, bias=None) -> Tensor:
    """``input @ weight.T + bias`` in one fused op.

    Shape: input (*, in_features), weight (out_features, in_features), bias (out_features,) -> (*, out_features).

    >>> F.linear(chainrule.ones(2, 3), chainrule.ones(4, 3)).shape
    Size([2, 4])
    """
    return Linear.apply(input, weight, bias)


# -- activations (``inplace=`` is accepted for PyTorch compatibility; results are new tensors) -----------
def relu6(input, inplace=False) -> Tensor:
    """min(max(x, 0), 6), elementwise."""
    return input.clamp(0.0, 6.0)


def _softmax_dim(name, ndim):
    # PyTorch's legacy rule for a missing dim: 0 for 0-, 1- and 3-D inputs, else 1
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (each slice sums to 1).

    Args:
        input (Tensor): the scores (logits).
        dim (int): the dimension that sums to 1, e.g. 1 for (batch, classes). Default None (a legacy
            guess, with a warning, as in PyTorch).
        dtype: cast the input to this dtype first. Default None.

    >>> F.softmax(chainrule.tensor([[1.0, 1.0]]), dim=1)
    tensor([[0.5000, 0.5000]])
    """
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return input.softmax(dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim``, computed stably (pair it with ``F.nll_loss``)."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return input.log_softmax(dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None) -> Tensor:
    """softmax(-x) along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim)
    return softmax(-input, dim, dtype=dtype)


# -- dropout --------------------------------------------------------------------------------------
def _check_p(p, name="dropout", where="dropout"):
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} probability has to be between 0 and 1, but got {where}(p={p!r}); "
                         "p is the fraction of elements zeroed, e.g. p=0.2")


def dropout(input, p=0.5, training=True, inplace=False, generator=None) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` (training only).

    Args:
        input (Tensor): any shape.
        p (float): probability of an element being zeroed. Default 0.5.
        training (bool): apply dropout; when False the input is returned unchanged. Default True.
        inplace (bool): accepted for PyTorch compatibility; the result is always a new tensor.
        generator (Generator, optional): the random stream. Default: the global one (``manual_seed``).

    >>> F.dropout(chainrule.ones(4), p=0.5).tolist()   # doctest: +SKIP
    [2.0, 0.0, 2.0, 2.0]
    """
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _ops.Dropout.apply(input, _dropout_mask(input._data, p, generator))


def _dropout_mask(data, p, generator=None):
    """Dropout's mask for an array like ``data``: 0 (dropped, probability ``p``) or ``1 / (1 - p)``."""
    if p == 1.0:
        return np.zeros(data.shape, dtype=data.dtype)
    dtype = data.dtype if data.dtype in (np.float32, np.float64) else np.float64
    keep = rng_of(generator).random(data.shape, dtype=dtype) >= p
    return keep.astype(data.dtype) * data.dtype.type(1.0 / (1.0 - p))


# -- embedding ------------------------------------------------------------------------------------
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False) -> Tensor:
    """Look up rows of ``weight`` by integer index: ``weight[input]``.

    Args:
        input (Tensor): integer indices, any shape.
        weight (Tensor): the table, shape (num_embeddings, embedding_dim).
        padding_idx (int, optional): this row gets no gradient. Default None.
        max_norm (float, optional): rows that are looked up and have a larger ``norm_type``-norm are
            rescaled in place to this norm first. Default None.
        scale_grad_by_freq (bool): divide gradients by the index's count in the batch. Default False.

    Shape: input (*) -> (*, embedding_dim).
    """
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    num = weight._data.shape[0]
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding(): expected integer indices (torch.long), got dtype {idx.dtype}; "
                        "convert them with .long()")
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise IndexError(f"embedding(): index {bad} is out of range for an embedding table of "
                         f"num_embeddings={num} (valid indices are 0 to {num - 1})")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    if max_norm is not None:
        _embedding_renorm(weight._data, idx, max_norm, norm_type)
    return _ops.Embedding.apply(idx, weight, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def _embedding_renorm(table, idx, max_norm, norm_type):
    rows = np.unique(idx)
    norms = np.linalg.norm(table[rows], ord=norm_type, axis=1)
    scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(table.dtype)
    table[rows] *= scale[:, None]


# -- normalisation --------------------------------------------------------------------------------
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5) -> Tensor:
    """Normalise each channel over the batch (and length) dimensions, as ``torch.nn.functional.batch_norm``.

    In training the batch statistics are used (biased variance) and, when given, ``running_mean`` /
    ``running_var`` are updated in place with ``momentum`` (unbiased variance). Otherwise the running
    statistics are used.

    Shape: input (N, C, *) such as (N, C) or (N, C, L); running stats, weight, bias (C,).
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C, *), got shape {tuple(input.shape)}")
    if training:
        if input._data.size // max(input._data.shape[1], 1) <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
    elif running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be given when training=False")
    rm = running_mean._data if running_mean is not None else None
    rv = running_var._data if running_var is not None else None
    return _ops.BatchNorm.apply(input, weight, bias, running_mean=rm, running_var=rv, training=training,
                                momentum=momentum, eps=eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5) -> Tensor:
    """Normalise each sample over its last ``len(normalized_shape)`` dimensions, then scale and shift.

    Shape: input (*, *normalized_shape); weight and bias normalized_shape.
    """
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
    n = len(normalized_shape)
    if tuple(input._data.shape[input.ndim - n:]) != normalized_shape or input.ndim < n:
        raise RuntimeError(f"layer_norm: expected input with shape [*, {', '.join(map(str, normalized_shape))}], "
                           f"but got input of size {list(input.shape)}")
    return _ops.LayerNorm.apply(input, weight, bias, ndims=n, eps=eps)


# -- shape helpers --------------------------------------------------------------------------------
def normalize(input, p=2.0, dim=1, eps=1e-12) -> Tensor:
    """Divide by the ``p``-norm along ``dim`` (at least ``eps``): unit-length rows by default.

    Any p of ``Tensor.norm`` (``inf`` included); a vector whose norm is below ``eps`` is divided by ``eps``.
    """
    return input / input.norm(p, dim=dim, keepdim=True).clamp(min=eps)


from chainrule.nn.functional_losses import *  # noqa: E402, F403
from chainrule.nn.functional_cnn import *  # noqa: E402, F403
from chainrule.nn.functional_conv import *  # noqa: E402, F403
from chainrule.nn.functional_pool import *  # noqa: E402, F403
from chainrule.nn.functional_resample import *  # noqa: E402, F403
from chainrule.nn.functional_activations import *  # noqa: E402, F403
from chainrule.nn.functional_losses_more import *  # noqa: E402, F403
from chainrule.nn.multihead_attention import scaled_dot_product_attention  # noqa: E402, F401
from chainrule.nn.rmsnorm import rms_norm  # noqa: E402, F401
from chainrule.nn.shuffle import bilinear, channel_shuffle, pixel_shuffle, pixel_unshuffle  # noqa: E402, F401
from chainrule.nn.embedding_bag import embedding_bag  # noqa: E402, F401
