"""Loss modules, as ``torch.nn``: thin classes that hold the options and call ``nn.functional``.

>>> loss_fn = chainrule.nn.MSELoss()
>>> loss_fn(chainrule.tensor([1.0, 2.0]), chainrule.tensor([1.0, 4.0]))
tensor(2.)

Every loss takes ``reduction='mean' | 'sum' | 'none'`` (``KLDivLoss`` also ``'batchmean'``) and is
called as ``loss_fn(input, target)``: prediction first, as in PyTorch.
"""

from __future__ import annotations

from chainrule.nn import functional_losses as F
from chainrule.nn.module import Module
from chainrule.tensor import Tensor

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "KLDivLoss", "L1Loss", "MSELoss",
    "MSLELoss", "MeanSquaredLogarithmicError", "NLLLoss", "SmoothL1Loss",
]


class _Loss(Module):
    """Base of the losses: resolves ``reduction`` (or the legacy ``size_average`` / ``reduce``)."""

    _reductions = F._REDUCTIONS

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        # validated here too, so a typo fails when the loss is made rather than mid-training
        self.reduction = F._reduction(reduction, size_average, reduce, allowed=self._reductions)


class _WeightedLoss(_Loss):
    """A loss with an optional per-class (or per-element) ``weight``, kept as a buffer as in torch."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_tensor(weight))


def _as_tensor(x):
    return x if x is None or isinstance(x, Tensor) else Tensor(x)


class MSELoss(_Loss):
    """Mean squared error between each element of the input and the target: ``(x - y)^2``, reduced.

    Args:
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.

    Shape: input (*), target (*) the same shape -> scalar, or (*) with ``reduction='none'``.

    >>> loss_fn = nn.MSELoss()
    >>> y_pred, y = chainrule.tensor([1.0, 2.0]), chainrule.tensor([1.0, 4.0])
    >>> loss_fn(y_pred, y)
    tensor(2.)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error (MAE): ``|x - y|``, reduced.

    Args:
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.

    Shape: input (*), target (*) the same shape -> scalar, or (*) with ``reduction='none'``.

    >>> nn.L1Loss()(chainrule.tensor([1.0, 2.0]), chainrule.tensor([1.0, 4.0]))
    tensor(1.)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class MSLELoss(_Loss):
    """Mean squared logarithmic error, Keras's ``MeanSquaredLogarithmicError`` (PyTorch has none).

    ``(log(max(x, 1e-7) + 1) - log(max(y, 1e-7) + 1))^2``, reduced: errors on a log scale, for
    non-negative targets spanning orders of magnitude (prices, counts). The formula is symmetric in
    x and y, so Keras's argument order ``(y_true, y_pred)`` gives the same value.

    Args:
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'`` (elementwise). Default ``'mean'``.

    Shape: input (*), target (*) the same shape -> scalar, or (*) with ``reduction='none'``.

    >>> nn.MSLELoss()(chainrule.tensor([0.0, 1.0]), chainrule.tensor([1.0, 1.0]))
    tensor(0.2402)
    """

    def __init__(self, reduction="mean"):
        super().__init__(reduction=reduction)

    def forward(self, input, target):
        return F.mean_squared_logarithmic_error(input, target, reduction=self.reduction)


MeanSquaredLogarithmicError = MSLELoss  # Keras's name


class HuberLoss(_Loss):
    """Huber loss: quadratic for errors below ``delta``, linear above (robust to outliers).

    ``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``, with d = x - y.

    Args:
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.
        delta (float): the error size where it turns linear; positive. Default 1.0.

    Shape: input (*), target (*) the same shape -> scalar, or (*) with ``reduction='none'``.

    >>> nn.HuberLoss(delta=1.0)(chainrule.tensor([0.0, 3.0]), chainrule.tensor([0.5, 0.0]))
    tensor(1.3125)
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """Smooth L1 loss: ``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (Huber / beta).

    Args:
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.
        beta (float): the error size where it turns linear; 0 gives ``L1Loss``. Default 1.0.

    Shape: input (*), target (*) the same shape -> scalar, or (*) with ``reduction='none'``.

    >>> nn.SmoothL1Loss()(chainrule.tensor([0.0, 3.0]), chainrule.tensor([0.5, 0.0]))
    tensor(1.3125)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (after a sigmoid): ``-w (y log x + (1 - y) log(1 - x))``.

    Logs are clamped at -100 as in torch. ``BCEWithLogitsLoss`` on raw scores is the stable choice.

    Args:
        weight (Tensor, optional): rescales each element's loss; broadcasts to the input. Default None.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.

    Shape: input (*) in [0, 1], target (*) the same shape in [0, 1] -> scalar, or (*) with 'none'.

    >>> nn.BCELoss()(chainrule.tensor([0.9, 0.2]), chainrule.tensor([1.0, 0.0]))
    tensor(0.1643)
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid and binary cross-entropy in one stable step, on raw scores (logits).

    Args:
        weight (Tensor, optional): rescales each element's loss; broadcasts to the input. Default None.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.
        pos_weight (Tensor, optional): weight of positive examples per class (broadcast along the last
            dimension); > 1 raises recall on a rare positive class. Default None.

    Shape: input (*), target (*) the same shape -> scalar, or (*) with ``reduction='none'``.

    >>> nn.BCEWithLogitsLoss()(chainrule.tensor([2.0, -1.0]), chainrule.tensor([1.0, 0.0]))
    tensor(0.2201)
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", _as_tensor(weight))
        self.register_buffer("pos_weight", _as_tensor(pos_weight))

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of raw scores (logits): log-softmax and negative log-likelihood, fused.

    Give it the last Linear layer's output directly; it applies log-softmax itself, so a Softmax
    layer in front of it is a mistake (it warns once when its input rows already sum to 1).

    Args:
        weight (Tensor, optional): a weight per class, shape (C,). Default None.
        ignore_index (int): a target value that contributes no loss and no count. Default -100.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.
        label_smoothing (float): in [0, 1]; the target becomes (1 - eps) target + eps / C. Default 0.0.

    Shape: input (N, C), (C,) or (N, C, d1, ...); target either class indices, (N,), () or
    (N, d1, ...) integers in [0, C), or class probabilities / one-hot rows of the input's shape
    (floats) -> scalar, or the target's batch shape with ``reduction='none'``.

    >>> loss_fn = nn.CrossEntropyLoss()
    >>> loss_fn(chainrule.tensor([[2.0, 0.5, -1.0]]), chainrule.tensor([0]))
    tensor(0.2413)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (the output of ``LogSoftmax``).

    ``NLLLoss()(log_softmax(x, dim=1), y)`` equals ``CrossEntropyLoss()(x, y)``.

    Args:
        weight (Tensor, optional): a weight per class, shape (C,). Default None.
        ignore_index (int): a target value that contributes no loss and no count. Default -100.
        reduction (str): ``'mean'`` | ``'sum'`` | ``'none'``. Default ``'mean'``.

    Shape: input (N, C), (C,) or (N, C, d1, ...); target (N,), () or (N, d1, ...) integers in [0, C).

    >>> nn.NLLLoss()(chainrule.tensor([[-0.1, -2.5]]), chainrule.tensor([1]))
    tensor(2.5)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence of log-probabilities ``input`` from ``target``: ``y (log y - x)``.

    Args:
        reduction (str): ``'mean'`` (over all elements; torch warns that it is not the true KL) |
            ``'batchmean'`` (sum / batch size, the KL divergence) | ``'sum'`` | ``'none'``. Default ``'mean'``.
        log_target (bool): the target is given as log-probabilities. Default False.

    Shape: input (*), target broadcastable to it -> scalar, or (*) with ``reduction='none'``.

    >>> nn.KLDivLoss(reduction="batchmean")(chainrule.tensor([[-0.5, -1.0]]), chainrule.tensor([[0.5, 0.5]]))
    tensor(0.0569)
    """

    _reductions = F._REDUCTIONS + ("batchmean",)

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
