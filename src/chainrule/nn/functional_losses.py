"""Loss functions of ``chainrule.nn.functional``, with PyTorch's names, arguments and numerics.

Each checks its arguments (shapes, dtypes, ``reduction``) and calls one fused op from
``chainrule/ops/loss.py``; the loss modules in ``nn/loss.py`` are thin wrappers around these.
``reduction`` is ``'mean'`` (default), ``'sum'`` or ``'none'`` everywhere (``kl_div`` adds
``'batchmean'``); the legacy ``size_average`` / ``reduce`` flags are accepted as in PyTorch.

>>> import chainrule.nn.functional as F
>>> logits = chainrule.tensor([[2.0, 0.5, -1.0]], requires_grad=True)
>>> F.cross_entropy(logits, chainrule.tensor([0]))
tensor(0.2413, grad_fn=<CrossEntropyBackward>)
"""

from __future__ import annotations

import warnings

import numpy as np

from chainrule import dtypes
from chainrule.errors import ShapeError
from chainrule.ops import loss as _ops
from chainrule.tensor import Tensor

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "huber_loss", "kl_div",
    "l1_loss", "mean_squared_logarithmic_error", "mse_loss", "msle", "nll_loss", "smooth_l1_loss",
]

_REDUCTIONS = ("none", "mean", "sum")


def _reduction(reduction, size_average=None, reduce=None, allowed=_REDUCTIONS):
    """Validate ``reduction`` (or translate the legacy flags), as ``torch.nn._reduction``."""
    if size_average is not None or reduce is not None:
        reduction = "mean" if (size_average is not False and reduce is not False) else (
            "sum" if reduce is not False else "none")
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
                      "instead.", UserWarning, stacklevel=3)
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      UserWarning, stacklevel=3)
        return "mean"
    if reduction not in allowed:
        raise ValueError(f"{reduction} is not a valid value for reduction: expected one of "
                         f"{', '.join(repr(r) for r in allowed)}")
    return reduction


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _float_pair(input, target):
    """Bring input and target to one floating dtype with torch's promotion (float32 stays float32)."""
    # broadcast=False: the callers check the shapes themselves, with the loss's name in the message
    input, target = _tensor(input)._operands(_tensor(target), broadcast=False)
    if input._data.dtype.kind not in "fc":
        input, target = input.to(dtypes.get_default_dtype()), target.to(dtypes.get_default_dtype())
    return input, target


def _check_broadcast(fn, input, target):
    if input.shape != target.shape:
        try:
            np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise ShapeError(f"{fn}: input of shape {tuple(input.shape)} and target of shape "
                             f"{tuple(target.shape)} do not match (nor broadcast)") from None
        warnings.warn(f"{fn}: using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", UserWarning, stacklevel=3)


def _array(x, dtype):
    """A weight argument (Tensor, array, list or None) as an array of the loss's dtype."""
    if x is None:
        return None
    arr = x._data if isinstance(x, Tensor) else np.asarray(x)
    return arr.astype(dtype, copy=False)


def _elementwise_weight(fn, loss, input, weight, reduction, mean_by_weight):
    """torch 2.13's ``weight=`` of mse / l1 / huber: an input-sized weight on the unreduced loss."""
    weight = _tensor(weight)
    if weight.shape != input.shape:
        raise ValueError(f"{fn}: weight of shape {tuple(weight.shape)} and input of shape "
                         f"{tuple(input.shape)} must have the same size")
    weighted = loss * weight
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    return weighted.sum() / weight.sum() if mean_by_weight else weighted.mean()


def _pointwise_loss(fn, op, input, target, reduction, weight, mean_by_weight=True, **options):
    """mse / l1 / huber / smooth_l1: float operands, the broadcast check, then ``op`` reduced (or weighted)."""
    input, target = _float_pair(input, target)
    _check_broadcast(fn, input, target)
    if weight is not None:
        return _elementwise_weight(fn, op.apply(input, target, reduction="none", **options), input, weight,
                                   reduction, mean_by_weight)
    return op.apply(input, target, reduction=reduction, **options)


# -- regression ----------------------------------------------------------------------------------------
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None) -> Tensor:
    """Mean squared error: ``(input - target)^2``, reduced.

    Args:
        input, target (Tensor): same shape (a different shape broadcasts, with a warning, as torch).
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.
        weight (Tensor, optional): per-element weights of the input's shape; ``'mean'`` then divides
            by ``weight.sum()``. Default None.

    Shape: input (*), target (*) -> scalar, or (*) with ``reduction='none'``.

    >>> F.mse_loss(chainrule.tensor([1.0, 2.0]), chainrule.tensor([1.0, 4.0]))
    tensor(2.)
    """
    reduction = _reduction(reduction, size_average, reduce)
    return _pointwise_loss("mse_loss", _ops.MSE, input, target, reduction, weight)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None) -> Tensor:
    """Mean absolute error (MAE): ``|input - target|``, reduced.

    Args:
        input, target (Tensor): same shape.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.
        weight (Tensor, optional): per-element weights of the input's shape (``'mean'`` divides by
            their sum). Default None.

    >>> F.l1_loss(chainrule.tensor([1.0, 2.0]), chainrule.tensor([1.0, 4.0]))
    tensor(1.)
    """
    reduction = _reduction(reduction, size_average, reduce)
    return _pointwise_loss("l1_loss", _ops.L1, input, target, reduction, weight)


_KERAS_EPSILON = 1e-7  # keras.backend.epsilon()


def mean_squared_logarithmic_error(input, target, reduction="mean") -> Tensor:
    """Mean squared logarithmic error, Keras's definition (PyTorch has none).

    ``(log(max(input, eps) + 1) - log(max(target, eps) + 1))^2`` with eps = 1e-7: values below eps
    are clipped to it first (and get no gradient there), so negative predictions do not give nan.
    With ``reduction='none'`` the loss is elementwise, like every other loss here (Keras averages
    the last axis first; the 'mean' is the same either way). Symmetric in its two arguments.

    Args:
        input, target (Tensor): same shape; meant for non-negative quantities (prices, counts).
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.

    >>> F.msle(chainrule.tensor([0.0, 1.0]), chainrule.tensor([1.0, 1.0]))
    tensor(0.2402)
    """
    reduction = _reduction(reduction)
    input, target = _float_pair(input, target)
    _check_broadcast("mean_squared_logarithmic_error", input, target)
    return _ops.MSLE.apply(input, target, eps=_KERAS_EPSILON, reduction=reduction)


msle = mean_squared_logarithmic_error


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None) -> Tensor:
    """Huber loss: ``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``, d = input - target.

    Args:
        input, target (Tensor): same shape.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.
        delta (float): where the quadratic turns linear; must be positive. Default 1.0.
        weight (Tensor, optional): per-element weights of the input's shape. Default None.

    >>> F.huber_loss(chainrule.tensor([0.0, 3.0]), chainrule.tensor([0.5, 0.0]))
    tensor(1.3125)
    """
    reduction = _reduction(reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got delta={delta}")
    return _pointwise_loss("huber_loss", _ops.Huber, input, target, reduction, weight, mean_by_weight=False,
                           delta=delta)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0) -> Tensor:
    """Smooth L1: ``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (huber_loss / beta).

    Args:
        input, target (Tensor): same shape.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.
        beta (float): where the quadratic turns linear; 0 gives the L1 loss. Default 1.0.

    >>> F.smooth_l1_loss(chainrule.tensor([0.0, 3.0]), chainrule.tensor([0.5, 0.0]))
    tensor(1.3125)
    """
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got beta={beta}")
    if beta == 0:
        return _pointwise_loss("smooth_l1_loss", _ops.L1, input, target, reduction, None)
    return _pointwise_loss("smooth_l1_loss", _ops.Huber, input, target, reduction, None, delta=beta, scale=1.0 / beta)


# -- binary classification ---------------------------------------------------------------------------
def _binary_pair(fn, input, target):
    input, target = _float_pair(input, target)
    if input.shape != target.shape:
        raise ValueError(f"{fn}: target of shape {tuple(target.shape)} must have the input's shape "
                         f"{tuple(input.shape)} (use target.view_as(input) or target.float().unsqueeze(1))")
    return input, target


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean") -> Tensor:
    """Binary cross-entropy of probabilities: ``-w (t log(x) + (1 - t) log(1 - x))``.

    Each log is clamped at -100, as torch, so x = 0 or 1 gives a finite loss. Prefer
    ``binary_cross_entropy_with_logits`` on raw scores: it is stable and skips the sigmoid.

    Args:
        input (Tensor): probabilities in [0, 1] (the output of a sigmoid).
        target (Tensor): the input's shape, values in [0, 1] (integer labels are accepted).
        weight (Tensor, optional): rescales each element; broadcasts to the input. Default None.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.

    >>> F.binary_cross_entropy(chainrule.tensor([0.9, 0.2]), chainrule.tensor([1.0, 0.0]))
    tensor(0.1643)
    """
    reduction = _reduction(reduction, size_average, reduce)
    input, target = _binary_pair("binary_cross_entropy", input, target)
    x, t = input._data, target._data
    if x.size and not (x.min() >= 0 and x.max() <= 1):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 and 1, got values "
                           f"in [{x.min():g}, {x.max():g}]; apply a sigmoid first, or use "
                           "binary_cross_entropy_with_logits (BCEWithLogitsLoss) on the raw scores")
    if t.size and not (t.min() >= 0 and t.max() <= 1):
        raise RuntimeError(f"binary_cross_entropy: all elements of target should be between 0 and 1, got values "
                           f"in [{t.min():g}, {t.max():g}]")
    return _ops.BinaryCrossEntropy.apply(input, target, weight=_array(weight, x.dtype), reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None) -> Tensor:
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the raw scores (logits).

    ``(1 - t) x + (1 + (pos_weight - 1) t) log(1 + e^-x)``, finite for any x (also +-1e4 in float32).

    Args:
        input (Tensor): raw scores (logits), any shape.
        target (Tensor): the input's shape, values in [0, 1] (integer labels are accepted).
        weight (Tensor, optional): rescales each element; broadcasts to the input. Default None.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.
        pos_weight (Tensor, optional): weight of the positive term per class (broadcasts along the
            last dimension), e.g. negatives / positives for an imbalanced label. Default None.

    >>> F.binary_cross_entropy_with_logits(chainrule.tensor([2.0, -1.0]), chainrule.tensor([1.0, 0.0]))
    tensor(0.2201)
    """
    reduction = _reduction(reduction, size_average, reduce)
    input, target = _binary_pair("binary_cross_entropy_with_logits", input, target)
    dtype = input._data.dtype
    return _ops.BinaryCrossEntropyWithLogits.apply(input, target, weight=_array(weight, dtype),
                                                   pos_weight=_array(pos_weight, dtype), reduction=reduction)


# -- multi-class classification ----------------------------------------------------------------------
def _looks_like_probabilities(x):
    """True when the first few rows are all in [0, 1] and sum to 1 along the class axis (cheap: a sample)."""
    sample = x[None] if x.ndim == 1 else x[:4]
    if sample.size == 0 or sample.shape[1] < 2 or sample.dtype.kind != "f":
        return False
    if not 0 <= sample[(0,) * sample.ndim] <= 1:  # most logits stop at the first value, without a reduction
        return False
    if sample.min() < 0 or sample.max() > 1:  # ordinary logits stop here
        return False
    return bool(np.abs(sample.sum(axis=1) - 1).max() <= 1e-3)


def _check_softmax_input(x):
    # Python's warnings filters decide how often it shows (by default once per calling line, as
    # PyTorch's warnings); `warnings.filterwarnings("ignore", "CrossEntropyLoss")` silences it
    if _looks_like_probabilities(x):
        warnings.warn(
            "CrossEntropyLoss (cross_entropy) got an input whose rows are already probabilities (in [0, 1], "
            "summing to 1): it applies log-softmax itself, so a Softmax layer in front of it squashes the "
            "scores and slows or stalls training. Remove the Softmax layer and pass the raw scores (logits); "
            "apply softmax only to read probabilities at prediction time.",
            UserWarning, stacklevel=4,
        )


def _class_weight(fn, weight, c, dtype):
    if weight is None:
        return None
    w = _array(weight, dtype)
    if w.shape != (c,):
        raise ValueError(f"{fn}: weight should hold one value for each of the C={c} classes (shape ({c},)), "
                         f"got a weight of shape {tuple(w.shape)}")
    return w


def _class_index_target(fn, x, target):
    """Validate class-index targets: integers of shape (N,), (N, d1, ...) or () for a (C,) input."""
    t = target._data
    if x.ndim == 0:
        raise ValueError(f"{fn}: input must have a class dimension, (C,), (N, C) or (N, C, d1, ...); "
                         "got a 0-d tensor")
    if t.dtype.kind not in "iu":
        if t.dtype.kind == "f":
            raise TypeError(
                f"{fn}: target of shape {tuple(t.shape)} has floating dtype {t.dtype} where class indices "
                f"are expected; pass integer class indices (target.long()) of shape "
                f"{tuple(x.shape[:1] + x.shape[2:]) if x.ndim > 1 else ()}, or class probabilities / one-hot "
                f"rows of the input's shape {tuple(x.shape)}")
        raise TypeError(f"{fn}: expected integer class indices (torch.long) as target, got dtype {t.dtype}")
    expected = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    if t.shape != expected:
        if x.ndim > 1 and t.ndim >= 1 and t.shape[0] != x.shape[0]:
            raise ValueError(f"{fn}: expected input batch size ({x.shape[0]}) to match target batch size "
                             f"({t.shape[0]}); input has shape {tuple(x.shape)}, target has shape {tuple(t.shape)}")
        raise ValueError(f"{fn}: expected a target of shape {expected} for an input of shape {tuple(x.shape)}, "
                         f"got a target of shape {tuple(t.shape)}")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0) -> Tensor:
    """Cross-entropy of raw scores (logits) against class indices or class probabilities.

    Applies log-softmax over the class dimension itself (in one fused op with the loss and its
    gradient, softmax - onehot): feed it logits, not the output of a Softmax layer.

    Args:
        input (Tensor): logits, shape (N, C), (C,) or (N, C, d1, ...).
        target (Tensor): either class indices (integers in [0, C), shape (N,), () or (N, d1, ...):
            Keras's "sparse categorical" case) or class probabilities / one-hot rows (floats of the
            input's shape: the "categorical" case).
        weight (Tensor, optional): a weight per class, shape (C,). With class indices, ``'mean'``
            divides by the summed weights of the targets. Default None.
        ignore_index (int): targets equal to this contribute no loss and no count (class indices
            only). Default -100.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.
        label_smoothing (float): in [0, 1]; mixes the target with the uniform distribution:
            (1 - eps) target + eps / C. Default 0.0.

    Shape: input (N, C) and target (N,) -> scalar, or (N,) with ``reduction='none'``.

    >>> F.cross_entropy(chainrule.tensor([[2.0, 0.5, -1.0]]), chainrule.tensor([0]))
    tensor(0.2413)
    """
    reduction = _reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    input, target = _tensor(input), _tensor(target)
    x, t = input._data, target._data
    if x.dtype.kind != "f":
        raise TypeError(f"cross_entropy: expected floating-point logits as input, got dtype {x.dtype}")
    if x.ndim == 0:
        raise ValueError("cross_entropy: input must have a class dimension, (C,), (N, C) or (N, C, d1, ...); "
                         "got a 0-d tensor")
    _check_softmax_input(x)
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    if t.shape == x.shape and t.dtype.kind == "f":  # class probabilities
        if ignore_index >= 0:
            raise ValueError(f"cross_entropy: ignore_index={ignore_index} is not supported for class-probability "
                             "targets (float targets of the input's shape)")
        input, target = input._operands(target)
        w = _class_weight("cross_entropy", weight, c, input._data.dtype)
        return _ops.CrossEntropyProbs.apply(input, target, weight=w, reduction=reduction,
                                            label_smoothing=label_smoothing)
    if t.shape == x.shape and t.dtype.kind in "iub" and x.ndim > 1:
        raise TypeError(f"cross_entropy: target has the input's shape {tuple(x.shape)} but integer dtype {t.dtype}: "
                        "class-probability (one-hot) targets must be floating point (target.float()); class "
                        f"indices have shape {tuple(x.shape[:1] + x.shape[2:])}")
    _class_index_target("cross_entropy", x, target)
    w = _class_weight("cross_entropy", weight, c, x.dtype)
    return _ops.CrossEntropy.apply(input, target, weight=w, ignore_index=ignore_index, reduction=reduction,
                                   label_smoothing=label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean") -> Tensor:
    """Negative log-likelihood of log-probabilities: ``-weight[y] * input[y]``, reduced.

    Pair it with ``log_softmax``: ``nll_loss(log_softmax(x, 1), y) == cross_entropy(x, y)``.

    Args:
        input (Tensor): log-probabilities, shape (N, C), (C,) or (N, C, d1, ...).
        target (Tensor): class indices in [0, C), shape (N,), () or (N, d1, ...).
        weight (Tensor, optional): a weight per class, shape (C,); ``'mean'`` divides by the summed
            weights of the targets. Default None.
        ignore_index (int): targets equal to this contribute nothing. Default -100.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.

    >>> F.nll_loss(chainrule.tensor([[-0.1, -2.5]]), chainrule.tensor([1]))
    tensor(2.5)
    """
    reduction = _reduction(reduction, size_average, reduce)
    input, target = _tensor(input), _tensor(target)
    x = input._data
    if x.dtype.kind != "f":
        raise TypeError(f"nll_loss: expected floating-point log-probabilities as input, got dtype {x.dtype}")
    _class_index_target("nll_loss", x, target)
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    w = _class_weight("nll_loss", weight, c, x.dtype)
    return _ops.NLL.apply(input, target, weight=w, ignore_index=ignore_index, reduction=reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False) -> Tensor:
    """Kullback-Leibler divergence ``target * (log(target) - input)`` of log-probabilities ``input``.

    Args:
        input (Tensor): log-probabilities (``log_softmax`` output).
        target (Tensor): probabilities (or log-probabilities with ``log_target=True``); broadcasts.
        reduction (str): ``'mean'`` (over all elements, with torch's warning) | ``'batchmean'``
            (sum / batch size: the mathematical KL divergence) | ``'sum'`` | ``'none'``. Default ``'mean'``.
        log_target (bool): the target is given as log-probabilities. Default False.

    >>> F.kl_div(chainrule.tensor([[-0.5, -1.0]]), chainrule.tensor([[0.5, 0.5]]), reduction="batchmean")
    tensor(0.0569)
    """
    if size_average is None and reduce is None and reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size. "
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition. "
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    reduction = _reduction(reduction, size_average, reduce, allowed=_REDUCTIONS + ("batchmean",))
    input, target = _float_pair(input, target)
    _check_broadcast("kl_div", input, target)
    return _ops.KLDiv.apply(input, target, reduction=reduction, log_target=log_target)
