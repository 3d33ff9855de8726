"""More of ``torch.nn.functional``'s losses: ranking, margin, embedding and likelihood losses.

Each is composed from differentiable tensor ops (so its gradient comes with it) and reduced by
``_reduce``; re-exported by ``nn.functional``.
"""

from __future__ import annotations

import math

import numpy as np

from chainrule.nn.functional_losses import _reduction, _tensor
from chainrule.tensor import Tensor, where

__all__ = [
    "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss", "cosine_embedding_loss",
    "poisson_nll_loss", "gaussian_nll_loss", "triplet_margin_loss", "multilabel_soft_margin_loss",
    "multi_margin_loss", "triplet_margin_with_distance_loss",
]


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -y (x1 - x2) + margin): ``target`` = 1 means x1 should rank higher, -1 lower."""
    reduction = _reduction(reduction, size_average, reduce)
    return _reduce((-_tensor(target) * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """x where y = 1, max(0, margin - x) where y = -1 (``input`` is usually a distance)."""
    reduction = _reduction(reduction, size_average, reduce)
    target = _tensor(target)
    loss = where(target == 1, input, 0.0) + where(target == -1, (margin - input).clamp(min=0), 0.0)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x)), for labels y in {-1, 1}."""
    from chainrule.functions import softplus

    reduction = _reduction(reduction, size_average, reduce)
    return _reduce(softplus(-_tensor(target) * input), reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """1 - cos(x1, x2) where y = 1; max(0, cos(x1, x2) - margin) where y = -1 (rows of x1, x2)."""
    reduction = _reduction(reduction, size_average, reduce)
    eps = 1e-12  # as PyTorch: on the squared norms
    dot = (input1 * input2).sum(-1)
    cos = dot / (((input1 * input1).sum(-1) + eps) * ((input2 * input2).sum(-1) + eps)).sqrt()
    target = _tensor(target)
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Negative log-likelihood of ``target`` under Poisson(rate): ``exp(x) - y x`` with ``log_input``,
    else ``x - y log(x + eps)``; ``full`` adds Stirling's term for y > 1."""
    reduction = _reduction(reduction, size_average, reduce)
    target = _tensor(target)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        y = target.detach()
        stirling = y * y.clamp(min=1).log() - y + 0.5 * (2 * math.pi * y.clamp(min=1)).log()
        loss = loss + where(y > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of ``target`` under N(input, var): 0.5 (log var + (x - y)^2 / var)."""
    reduction = _reduction(reduction)
    var = _tensor(var)
    if var.ndim == input.ndim - 1 or (var.ndim == input.ndim and var.shape[-1] == 1 and input.shape[-1] != 1):
        var = var.reshape(tuple(input.shape[:-1]) + (1,))
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = var.clamp(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, d(a, p) - d(a, n) + margin) with the p-norm distance (``swap``: also d(p, n))."""
    from chainrule.nn.functional_activations import pairwise_distance

    reduction = _reduction(reduction, size_average, reduce)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((d_pos - d_neg + margin).clamp(min=0), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Per-label binary cross-entropy on logits, averaged over the labels of each sample."""
    from chainrule.nn.functional_activations import logsigmoid

    reduction = _reduction(reduction, size_average, reduce)
    target = _tensor(target)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * _tensor(weight)
    return _reduce(loss.mean(-1), reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Multi-class hinge: sum over wrong classes of max(0, margin - x[y] + x[i])^p, divided by C."""
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    reduction = _reduction(reduction, size_average, reduce)
    x = input if input.ndim == 2 else input.reshape(1, -1)
    y = _tensor(target).reshape(-1, 1)
    correct = x.gather(1, y)
    hinge = (margin - correct + x).clamp(min=0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * _tensor(weight)[y._data]
    mask = Tensor._wrap(1.0 - (y._data == np.arange(x.shape[1])).astype(x.dtype))
    loss = (hinge * mask).sum(1) / x.shape[1]
    return _reduce(loss if input.ndim == 2 else loss.reshape(()), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """``triplet_margin_loss`` with any distance (default: the pairwise 2-norm distance)."""
    from chainrule.nn.functional_activations import pairwise_distance

    reduction = _reduction(reduction)
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(dist(positive, negative))
    return _reduce((d_pos - d_neg + margin).clamp(min=0), reduction)
