"""Classification metrics: accuracy, its Wilson confidence interval, the confusion matrix.

Everything here works on NumPy arrays (a chainrule Tensor is read through its ``_data`` without a
copy), so the training loop can count correct predictions every batch without building a graph.

Predictions are logits (or probabilities) in PyTorch's layout: ``(N, C)`` (or ``(N, C, d1, ...)``)
means C classes along dim 1, and a single output ``(N,)`` or ``(N, 1)`` is a binary classifier whose
logit is thresholded at 0. Targets are class indices, or one-hot / soft labels of the predictions'
shape (compared by argmax), or 0/1 labels for a single output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np


def _array(x) -> np.ndarray:
    data = getattr(x, "_data", None)
    return data if isinstance(data, np.ndarray) else np.asarray(x)


def _is_binary(y_pred: np.ndarray) -> bool:
    return y_pred.ndim == 1 or (y_pred.ndim == 2 and y_pred.shape[1] == 1)


def predicted_classes(y_pred) -> np.ndarray:
    """The predicted class of each sample: argmax over dim 1, or ``logit > 0`` for a single output.

    >>> predicted_classes(np.array([[0.1, 2.0], [3.0, -1.0]])).tolist()
    [1, 0]
    """
    y_pred = _array(y_pred)
    if _is_binary(y_pred):
        return (y_pred.reshape(-1) > 0).astype(np.int64)
    return y_pred.argmax(axis=1)


def target_classes(y_true, y_pred) -> np.ndarray:
    """The true class of each sample, in the layout of ``predicted_classes(y_pred)``.

    Float targets of the predictions' shape (one-hot or soft labels) are argmaxed over dim 1; targets
    of a single-output classifier are thresholded at 0.5; class indices are returned as they are.
    """
    y_true, y_pred = _array(y_true), _array(y_pred)
    if _is_binary(y_pred):
        y_true = y_true.reshape(-1)
        return (y_true > 0.5).astype(np.int64) if y_true.dtype.kind in "fb" else y_true
    if y_true.dtype.kind == "f" and y_true.shape == y_pred.shape:
        return y_true.argmax(axis=1)
    return y_true


def accuracy_applies(y_pred, y_true) -> bool:
    """Whether accuracy means something for these outputs and targets (not a regression problem).

    True for class-index targets, for float targets of the predictions' shape (one-hot, soft labels)
    and for 0/1 float targets of a single-output classifier; False otherwise (e.g. MSE regression).
    """
    y_pred, y_true = _array(y_pred), _array(y_true)
    if y_true.dtype.kind in "iub":
        return True
    if y_true.dtype.kind != "f":
        return False
    if _is_binary(y_pred):
        return y_true.size == y_pred.size and bool(np.all((y_true == 0) | (y_true == 1)))
    return y_true.shape == y_pred.shape


def correct_and_total(y_pred, y_true) -> tuple[int, int]:
    """``(number of correct predictions, number of predictions)`` (see the module docstring for the conventions)."""
    pred = predicted_classes(y_pred)
    true = target_classes(y_true, y_pred)
    if pred.shape != true.shape:
        raise ValueError(
            f"accuracy: predictions of shape {tuple(_array(y_pred).shape)} give classes of shape {pred.shape}, "
            f"but the targets give classes of shape {true.shape}; expected class indices of shape "
            f"{pred.shape} or one-hot targets of shape {tuple(_array(y_pred).shape)}"
        )
    return int(np.count_nonzero(pred == true)), pred.size


def accuracy(y_pred, y_true) -> float:
    """The fraction of correct predictions.

    Args:
        y_pred (Tensor or array): logits or probabilities.
        y_true (Tensor or array): class indices, one-hot targets, or 0/1 labels for a single output.

    Shape:
        - y_pred: ``(N, C)``, ``(N, C, d1, ...)``, or ``(N,)`` / ``(N, 1)`` for a single logit.
        - y_true: ``(N,)`` / ``(N, d1, ...)`` indices, or the shape of ``y_pred``.

    >>> accuracy(np.array([[2.0, 0.1], [0.3, 0.9], [1.0, 0.0]]), np.array([0, 1, 1]))
    0.6666666666666666
    """
    correct, total = correct_and_total(y_pred, y_true)
    return correct / total if total else math.nan


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion such as accuracy (``successes`` correct out of ``n``).

    Unlike the textbook ``p ± z·sqrt(p(1-p)/n)``, it never leaves [0, 1] and stays honest for small
    ``n`` and for ``p`` near 0 or 1. With z the normal quantile at ``1 - (1 - confidence) / 2``::

        center = (p + z²/2n) / (1 + z²/n)
        half   = z / (1 + z²/n) · sqrt(p(1-p)/n + z²/4n²)

    Two correct answers out of two look like "100% accurate", but they are weak evidence: the
    interval still reaches down to about 34%.

    Args:
        successes (int): number of successes (correct predictions).
        n (int): number of trials. ``n = 0`` gives the uninformative ``(0.0, 1.0)``.
        confidence (float): coverage of the interval, in (0, 1). Default: 0.95.

    >>> lo, hi = wilson_interval(2, 2)
    >>> round(lo, 4), hi
    (0.3424, 1.0)
    >>> [round(v, 4) for v in wilson_interval(50, 100)]
    [0.4038, 0.5962]
    """
    if not 0 < confidence < 1:
        raise ValueError(f"wilson_interval: confidence must be in (0, 1), got {confidence}")
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"wilson_interval: expected 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = successes / n
    z2n = z * z / n
    center = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(p * (1 - p) / n + z2n / (4 * n))
    # the bounds are exactly 0 (no successes) and 1 (all successes); rounding would miss them slightly
    low = 0.0 if successes == 0 else max(0.0, center - half)
    high = 1.0 if successes == n else min(1.0, center + half)
    return low, high


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Count how often each true class (row) was predicted as each class (column).

    Args:
        y_true (array or Tensor): true class indices.
        y_pred (array or Tensor): predicted class indices, of the same shape.
        num_classes (int, optional): size of the matrix. Default: one more than the largest index seen.

    Shape:
        - output: ``(num_classes, num_classes)``, int64; ``cm[i, j]`` = samples of class i predicted as j.

    >>> confusion_matrix([0, 1, 1, 2], [0, 1, 0, 2]).tolist()
    [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    """
    t = _array(y_true).reshape(-1)
    p = _array(y_pred).reshape(-1)
    if t.shape != p.shape:
        raise ValueError(f"confusion_matrix: y_true has {t.size} elements but y_pred has {p.size}")
    if t.size and (t.dtype.kind not in "iub" or p.dtype.kind not in "iub"):
        raise TypeError(
            f"confusion_matrix: expected integer class indices, got dtypes {t.dtype} and {p.dtype}; "
            "turn logits into classes first (predicted_classes / argmax)"
        )
    t, p = t.astype(np.int64, copy=False), p.astype(np.int64, copy=False)
    largest = int(max(t.max(), p.max())) if t.size else -1
    if num_classes is None:
        num_classes = largest + 1
    if (t.size and min(t.min(), p.min()) < 0) or largest >= num_classes:
        raise ValueError(
            f"confusion_matrix: class indices must lie in [0, {num_classes}), got values from "
            f"{int(min(t.min(), p.min()))} to {largest}"
        )
    return np.bincount(t * num_classes + p, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """The accuracy within each true class (the recall): ``diag(cm) / row sums``; NaN for absent classes.

    >>> per_class_accuracy(np.array([[3, 1], [0, 0]])).tolist()
    [0.75, nan]
    """
    cm = np.asarray(cm)
    support = cm.sum(axis=1)
    out = np.full(len(cm), np.nan)
    np.divide(np.diag(cm), support, out=out, where=support > 0)
    return out


@dataclass(eq=False)  # fields hold arrays: == would be ambiguous
class Evaluation:
    """What ``evaluate`` measured: loss, accuracy with its 95% Wilson interval, per-class results.

    Attributes:
        loss (float or None): mean loss over the samples (None without a ``loss_fn``).
        accuracy (float): ``correct / n``.
        accuracy_ci (tuple): 95% Wilson interval ``(low, high)`` of the accuracy.
        n (int): number of samples.
        correct (int): number of correct predictions.
        per_class_accuracy (np.ndarray): accuracy within each true class (NaN where a class is absent).
        confusion_matrix (np.ndarray): int64 counts, rows = true class, columns = predicted class.
    """

    loss: float | None
    accuracy: float
    accuracy_ci: tuple[float, float]
    n: int
    correct: int
    per_class_accuracy: np.ndarray
    confusion_matrix: np.ndarray

    def summary(self, class_names=None) -> str:
        """A readable report: accuracy with its interval, the loss, and one line per class.

        Args:
            class_names (sequence of str, optional): names of the classes, in index order.
        """
        lo, hi = self.accuracy_ci
        lines = [f"accuracy {self.accuracy:.4f} ({self.correct}/{self.n}), 95% CI [{lo:.4f}, {hi:.4f}]"]
        if self.loss is not None:
            lines.append(f"loss     {self.loss:.4f}")
        cm = self.confusion_matrix
        names = [str(c) for c in (class_names if class_names is not None else range(len(cm)))]
        if len(names) != len(cm):
            raise ValueError(f"Evaluation.summary: got {len(names)} class_names for {len(cm)} classes")
        width = max(len(s) for s in names) if names else 0
        lines.append("per-class accuracy:")
        for i, (name, acc) in enumerate(zip(names, self.per_class_accuracy)):
            hits, support = int(cm[i, i]), int(cm[i].sum())
            shown = "   n/a" if math.isnan(acc) else f"{acc:.4f}"
            lines.append(f"  {name:<{width}}  {shown}  ({hits}/{support})")
        return "\n".join(lines)

    def to_html(self, class_names=None) -> str:
        """The numbers of ``summary`` as two small HTML tables (what a notebook shows for ``evaluate(...)``).

        Args:
            class_names (sequence of str, optional): names of the classes, in index order.
        """
        from chainrule.utils.html import evaluation_html

        return evaluation_html(self, class_names)

    def _repr_html_(self) -> str:
        return self.to_html()
