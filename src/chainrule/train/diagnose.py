"""Read a training history the way the lecture reads a loss curve: "which of these plots is happiest?"

``diagnose(history)`` names the shape of the curves and says what to do about it, in one line:

=================  ==========================================================================
kind               meaning and advice
=================  ==========================================================================
too_short          fewer than 3 epochs: nothing to judge yet
diverged           the loss became NaN/inf, exploded, or rose: lower the learning rate
not_learning       the loss stayed near chance (a constant guess): raise the learning rate,
                   check the data and labels
stalled            the loss barely moved from the first epoch: learning rate far too low, or a bug
overfitting        val_loss bottomed out at epoch k and rose, by more than its noise, while the
                   training loss kept falling: early stopping, more data, regularisation
                   (whichever is not in place already)
still_improving    the loss was still falling at the end: train longer or raise the learning rate
converged          the loss has flattened out: the happy curve
=================  ==========================================================================

The rules are applied in that order, on per-epoch losses (``loss`` and, when present, ``val_loss``).
The thresholds are module constants so that they are visible, documented and testable:

* diverged: a non-finite loss; or the loss *exploded*: some epoch's training or validation loss is
  more than ``EXPLODE_FACTOR`` times the reference (the chance level when known, else the first
  epoch's training loss), whatever the last epochs did (a run at lr 1e6 can wander back down and
  look "still improving"); or the last training loss is above the first one by more than
  ``DIVERGE_ABOVE_START`` (relative), or it is at least ``DIVERGE_RISE_FACTOR`` times its minimum
  *and* that rise is at least ``DIVERGE_MIN_SHARE`` of the drop from the first epoch to the minimum
  (so that a rise from 0.002 to 0.005 after a drop from 2.3 is noise, not divergence).
* not_learning (needs ``chance``): the best monitored loss (val_loss if recorded, else loss) is not
  even ``NEAR_CHANCE`` (relative) below chance, or the monitored and the training loss both average no
  lower than that over the last third of the epochs (a noisy dip is not learning). Chance: ln C for C
  balanced classes (the entropy of the class frequencies in general), the target variance for a
  regression with MSE.
* stalled: the best loss is less than ``STALL_TOL`` (relative) below the first one.
* overfitting: val_loss is lowest at an epoch k at least ``OVERFIT_MIN_EPOCHS_AFTER`` epochs before
  the end, its level at the end is more than ``OVERFIT_RISE`` (relative) above its level at k *and*
  more than ``OVERFIT_SIGMAS`` times the noise of the validation estimate above it, and the training
  loss at the end is below its value at k. A level is the mean of ``OVERFIT_WINDOW`` epochs (around
  k; the last ones), so that one lucky epoch at the minimum does not make an "overfitting since".
  The noise is the larger of the sampling error of a mean over ``val_samples`` per-sample losses
  (their spread is about ``SAMPLE_SPREAD`` times their mean: sqrt 2 for squared Gaussian errors, more
  for cross-entropy) and the epoch-to-epoch jitter of the curve (from its second differences, which a
  steady trend does not inflate). A rise from 0.00249 to
  0.00276 on 50 validation samples is noise.
* still improving vs converged: a least-squares line through the last ``max(3, n // 3)`` values of the
  monitored loss; if its fall across that window is more than ``IMPROVE_SHARE`` of the total fall so
  far *and* the best value lies in that window, the curve is still improving, else it has converged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import fmean

__all__ = ["Diagnosis", "diagnose"]

MIN_EPOCHS = 3
EXPLODE_FACTOR = 10.0
DIVERGE_ABOVE_START = 0.01
DIVERGE_RISE_FACTOR = 2.0
DIVERGE_MIN_SHARE = 0.10
NEAR_CHANCE = 0.05
STALL_TOL = 0.01
OVERFIT_RISE = 0.05
OVERFIT_SIGMAS = 2.0
SAMPLE_SPREAD = 2.0
OVERFIT_MIN_EPOCHS_AFTER = 2
OVERFIT_WINDOW = 3  # epochs averaged around val_loss's minimum and at the end before they are compared
IMPROVE_SHARE = 0.10

KINDS = ("still_improving", "converged", "diverged", "not_learning", "overfitting", "stalled", "too_short")


@dataclass(frozen=True)
class Diagnosis:
    """What a training history looks like, and what to do about it.

    Args:
        kind (str): one of ``"still_improving"``, ``"converged"``, ``"diverged"``, ``"not_learning"``,
            ``"overfitting"``, ``"stalled"``, ``"too_short"``.
        message (str): one line for a person: what the curve shows and the advice.
        epoch (int, optional): the 1-based epoch the verdict points at: for ``"overfitting"`` where
            val_loss was lowest (the weights early stopping keeps); for ``"diverged"`` where the loss
            became non-finite or peaked. Default: None.
    """

    kind: str
    message: str
    epoch: int | None = None

    def __str__(self) -> str:
        return self.message


def diagnose(history, *, chance: float | None = None, val_samples: int | None = None,
             early_stopping: bool = False, dropout: float = 0.0, weight_decay: float = 0.0,
             augment: bool = False) -> Diagnosis:
    """Classify the training curves of a finished run, like the lecture's "which curve is happiest?".

    Args:
        history: a ``chainrule.train.History`` (anything with a ``.history`` dict) or a dict of
            per-epoch lists with at least ``"loss"``; ``"val_loss"`` is used when present.
        chance (float, optional): the loss of a constant prediction (``math.log(C)`` for C balanced
            classes with cross-entropy, ``var(y)`` for MSE regression); enables ``"not_learning"`` and
            makes ``"diverged"`` compare with it. Default: None.
        val_samples (int, optional): how many samples val_loss is a mean over; sets its noise.
        early_stopping, dropout, weight_decay, augment: what the run used, so that the advice for
            overfitting does not suggest what is already in place. Default: none of them.

    Returns:
        Diagnosis: ``kind``, a one-line ``message`` and, where it applies, an ``epoch``.

    >>> diagnose({"loss": [2.3, 1.2, 0.8, 0.6, 0.5]}).kind
    'still_improving'
    >>> diagnose({"loss": [0.70, 0.69, 0.69, 0.69]}, chance=math.log(2)).kind
    'not_learning'
    >>> diagnose({"loss": [1.0, 0.6, 0.5, 0.4, 0.3, 0.2], "val_loss": [1.0, 0.7, 0.6, 0.65, 0.7, 0.8]}).epoch
    3
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or "loss" not in logs:
        got = sorted(logs) if isinstance(logs, dict) else type(history).__name__
        raise ValueError(f"diagnose(history): expected a History or a dict with a 'loss' list, got {got}")
    if chance is not None and not (math.isfinite(chance) and chance > 0):
        chance = None  # a one-class set or a constant target: no chance level to compare with
    loss = [float(v) for v in logs["loss"]]
    val = [float(v) for v in logs.get("val_loss") or []]
    val = val if len(val) == len(loss) else []  # a partial val history cannot be compared epoch by epoch

    for name, series in (("loss", loss), ("val_loss", val)):
        bad = next((i for i, v in enumerate(series) if not math.isfinite(v)), None)
        if bad is not None:
            return Diagnosis("diverged", f"diverged: {name} became {series[bad]} at epoch {bad + 1}; "
                             "lower the learning rate (or check the data and the loss for a bug)", bad + 1)
    n = len(loss)
    if n < MIN_EPOCHS:
        return Diagnosis("too_short", f"too short to judge: {n} epoch{'s' * (n != 1)}; "
                         f"train for at least {MIN_EPOCHS} to see the shape of the curve")

    exploded = _exploded(loss, val, chance)
    if exploded is not None:
        return exploded
    first, last, low = loss[0], loss[-1], min(loss)
    rise, drop = last - low, first - low
    if last > first + DIVERGE_ABOVE_START * abs(first) or (
            last >= DIVERGE_RISE_FACTOR * low and rise > 0 and rise >= DIVERGE_MIN_SHARE * drop):
        return Diagnosis("diverged", f"diverged: the training loss rose to {last:.4g} "
                         f"(lowest {low:.4g} at epoch {loss.index(low) + 1}); lower the learning rate")

    name, series = ("val_loss", val) if val else ("loss", loss)
    if chance is not None and (min(series) >= (1 - NEAR_CHANCE) * chance or _ends_at_chance(series, loss, chance)):
        return Diagnosis("not_learning", f"not learning: {name} stayed near chance level (best {min(series):.4g}; "
                         f"a constant guess scores {chance:.4g}); train longer (a toy set can sit at chance for tens "
                         "of epochs), raise the learning rate, check the data and labels", None)
    if drop <= STALL_TOL * abs(first):
        return Diagnosis("stalled", f"stalled: the loss barely moved ({first:.4g} -> {low:.4g}); the learning "
                         "rate may be far too low, or there is a bug (check the gradients, labels and loss)")

    if val:
        found = _overfitting(loss, val, val_samples, early_stopping, dropout, weight_decay, augment)
        if found is not None:
            return found

    size = max(MIN_EPOCHS, n // 3)
    window = series[-size:]
    fall = -_slope(window) * (len(window) - 1)
    total = series[0] - min(series)
    best_is_recent = min(window) <= min(series)
    if total > 0 and best_is_recent and fall > IMPROVE_SHARE * total:
        return Diagnosis("still_improving", f"still improving: {name} fell {fall:.3g} over the last "
                         f"{len(window)} epochs; train longer or raise the learning rate")
    return Diagnosis("converged", f"converged: {name} has levelled off at {min(series):.4g} "
                     f"(best at epoch {series.index(min(series)) + 1}); more epochs will not help much")


def _ends_at_chance(series, loss, chance) -> bool:
    """Both the monitored and the training loss average near chance over the last third of the run: a noisy
    dip below the threshold (a toy set's val_loss at 0.649 once, around 0.68 otherwise) is no learning."""
    size = max(MIN_EPOCHS, len(series) // 3)
    near = (1 - NEAR_CHANCE) * chance
    return sum(series[-size:]) / size >= near and sum(loss[-size:]) / len(loss[-size:]) >= near


def _exploded(loss, val, chance):
    reference = chance if chance is not None else loss[0]
    candidates = [("loss", i, v) for i, v in enumerate(loss)] + [("val_loss", i, v) for i, v in enumerate(val)]
    peak_name, peak_at, peak = max(candidates, key=lambda t: t[2])
    if not peak > EXPLODE_FACTOR * abs(reference):
        return None
    against = f"chance level {chance:.4g}" if chance is not None else f"{reference:.4g} in epoch 1"
    return Diagnosis("diverged", f"diverged: {peak_name} exploded to {peak:.4g} at epoch {peak_at + 1} "
                     f"(against {against}); lower the learning rate", peak_at + 1)


def _overfitting(loss, val, val_samples, early_stopping, dropout, weight_decay, augment):
    n = len(loss)
    k = min(range(n), key=val.__getitem__)
    if n - 1 - k < OVERFIT_MIN_EPOCHS_AFTER or not loss[-1] < loss[k]:
        return None
    # the levels around the minimum and at the end, each a mean of OVERFIT_WINDOW epochs: the minimum of
    # a noisy curve is one lucky epoch (a spiral run's val_loss sat at 0.15-0.24 with one 0.084, and
    # the last value against that dip read as "overfitting since" the dip)
    h = OVERFIT_WINDOW // 2
    low = fmean(val[max(0, k - h):k + h + 1])
    rise, noise = fmean(val[-OVERFIT_WINDOW:]) - low, validation_noise(val, val_samples)
    if not (rise > OVERFIT_RISE * low and rise > OVERFIT_SIGMAS * noise):
        return None
    advice = [] if early_stopping else ["use early stopping"]
    advice.append("more training data" if augment else "more data or augmentation")
    advice.append("more regularisation (dropout, weight decay)" if dropout or weight_decay
                  else "regularisation (dropout, weight decay)")
    kept = f"; early stopping kept the weights of epoch {k + 1}" if early_stopping else ""
    return Diagnosis("overfitting", f"overfitting since epoch {k + 1}: val_loss was lowest there ({val[k]:.4g}) "
                     f"and rose to {val[-1]:.4g} (noise ~{noise:.2g}) while the training loss kept falling{kept}; "
                     f"for a better model: {', '.join(advice)}", k + 1)


def validation_noise(val: list[float], val_samples: int | None = None) -> float:
    """The standard error of a val_loss value: sampling error over ``val_samples``, or the curve's jitter."""
    low = min(val)
    sampling = SAMPLE_SPREAD * low / math.sqrt(val_samples) if val_samples else 0.0
    # second differences cancel a linear trend; for white noise of sd s they have sd s*sqrt(6);
    # the median of their size is robust to the fast fall of the first epochs
    tail = val[MIN_EPOCHS:] if len(val) > MIN_EPOCHS + 3 else val
    second = sorted(abs(tail[i + 1] - 2 * tail[i] + tail[i - 1]) for i in range(1, len(tail) - 1))
    jitter = second[len(second) // 2] / (0.6745 * math.sqrt(6)) if second else 0.0
    return max(sampling, jitter)


def _slope(ys: list[float]) -> float:
    # least-squares slope of ys against 0..len-1: robust to the epoch-to-epoch noise of a val curve
    m = len(ys)
    x_mean, y_mean = (m - 1) / 2, sum(ys) / m
    num = sum((i - x_mean) * (y - y_mean) for i, y in enumerate(ys))
    den = sum((i - x_mean) ** 2 for i in range(m))
    return num / den
