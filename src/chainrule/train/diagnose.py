"""Read a training history the way the lecture reads a loss curve: "which of these plots is happiest?"

``diagnose(history)`` names the shape of the curves and says what to do about it, in one line:

=================  ==========================================================================
kind               meaning and advice
=================  ==========================================================================
too_short          fewer than 3 epochs: nothing to judge yet
diverged           the training loss became NaN/inf or rose: lower the learning rate
stalled            the loss barely moved from the first epoch: learning rate far too low, or a bug
overfitting        val_loss bottomed out at epoch k and rose while the training loss kept falling:
                   use early stopping, more data/augmentation, or regularisation
still_improving    the loss was still falling at the end: train longer or raise the learning rate
converged          the loss has flattened out: the happy curve
=================  ==========================================================================

The rules are applied in that order, on per-epoch losses (``loss`` and, when present, ``val_loss``).
The thresholds are module constants so that they are visible, documented and testable:

* diverged: a non-finite loss, or the last training loss is above the first one by more than
  ``DIVERGE_ABOVE_START`` (relative), or it is at least ``DIVERGE_RISE_FACTOR`` times its minimum
  *and* that rise is at least ``DIVERGE_MIN_SHARE`` of the drop from the first epoch to the minimum
  (so that a rise from 0.002 to 0.005 after a drop from 2.3 is noise, not divergence).
* stalled: the best loss is less than ``STALL_TOL`` (relative) below the first one.
* overfitting: val_loss is lowest at an epoch k at least ``OVERFIT_MIN_EPOCHS_AFTER`` epochs before
  the end, its last value is more than ``OVERFIT_RISE`` (relative) above that minimum, and the
  training loss at the end is below its value at k.
* still improving vs converged: a least-squares line through the last ``max(3, n // 3)`` values of the
  monitored loss (val_loss if recorded, else loss); if its fall across that window is more than
  ``IMPROVE_SHARE`` of the total fall so far *and* the best value lies in that window, the curve is
  still improving, else it has converged. A straight line over several epochs is robust to the
  epoch-to-epoch noise of a validation loss, and a best value older than the window means the
  recent dip is noise (as early stopping would judge it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Diagnosis", "diagnose"]

MIN_EPOCHS = 3
DIVERGE_ABOVE_START = 0.01
DIVERGE_RISE_FACTOR = 2.0
DIVERGE_MIN_SHARE = 0.10
STALL_TOL = 0.01
OVERFIT_RISE = 0.05
OVERFIT_MIN_EPOCHS_AFTER = 2
IMPROVE_SHARE = 0.10

KINDS = ("still_improving", "converged", "diverged", "overfitting", "stalled", "too_short")


@dataclass(frozen=True)
class Diagnosis:
    """What a training history looks like, and what to do about it.

    Args:
        kind (str): one of ``"still_improving"``, ``"converged"``, ``"diverged"``, ``"overfitting"``,
            ``"stalled"``, ``"too_short"``.
        message (str): one line for a person: what the curve shows and the advice.
        epoch (int, optional): for ``"overfitting"``, the 1-based epoch where val_loss was lowest (the
            onset of overfitting, and the weights early stopping would keep); for ``"diverged"``, the
            epoch where the loss became non-finite, if it did. Default: None.
    """

    kind: str
    message: str
    epoch: int | None = None

    def __str__(self) -> str:
        return self.message


def diagnose(history) -> Diagnosis:
    """Classify the training curves of a finished run, like the lecture's "which curve is happiest?".

    Args:
        history: a ``chainrule.train.History`` (anything with a ``.history`` dict) or a dict of
            per-epoch lists with at least ``"loss"``; ``"val_loss"`` is used when present.

    Returns:
        Diagnosis: ``kind``, a one-line ``message`` and, for overfitting, the onset ``epoch``.

    >>> diagnose({"loss": [2.3, 1.2, 0.8, 0.6, 0.5]}).kind
    'still_improving'
    >>> diagnose({"loss": [1.0, 0.6, 0.5, 0.4, 0.3, 0.2], "val_loss": [1.0, 0.7, 0.6, 0.65, 0.7, 0.8]}).epoch
    3
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or "loss" not in logs:
        got = sorted(logs) if isinstance(logs, dict) else type(history).__name__
        raise ValueError(f"diagnose(history): expected a History or a dict with a 'loss' list, got {got}")
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

    first, last, low = loss[0], loss[-1], min(loss)
    rise, drop = last - low, first - low
    if last > first + DIVERGE_ABOVE_START * abs(first) or (
            last >= DIVERGE_RISE_FACTOR * low and rise > 0 and rise >= DIVERGE_MIN_SHARE * drop):
        return Diagnosis("diverged", f"diverged: the training loss rose to {last:.4g} "
                         f"(lowest {low:.4g} at epoch {loss.index(low) + 1}); lower the learning rate")
    if drop <= STALL_TOL * abs(first):
        return Diagnosis("stalled", f"stalled: the loss barely moved ({first:.4g} -> {low:.4g}); the learning "
                         "rate may be far too low, or there is a bug (check the gradients, labels and loss)")

    if val:
        k = min(range(n), key=val.__getitem__)
        if (n - 1 - k >= OVERFIT_MIN_EPOCHS_AFTER and val[-1] > val[k] * (1 + OVERFIT_RISE)
                and loss[-1] < loss[k]):
            return Diagnosis("overfitting", f"overfitting since epoch {k + 1}: val_loss was lowest there "
                             f"({val[k]:.4g}) and rose to {val[-1]:.4g} while the training loss kept falling; "
                             "use early stopping, more data/augmentation, or regularisation", k + 1)

    name, series = ("val_loss", val) if val else ("loss", loss)
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


def _slope(ys: list[float]) -> float:
    # least-squares slope of ys against 0..len-1: robust to the epoch-to-epoch noise of a val curve
    m = len(ys)
    x_mean, y_mean = (m - 1) / 2, sum(ys) / m
    num = sum((i - x_mean) * (y - y_mean) for i, y in enumerate(ys))
    den = sum((i - x_mean) ** 2 for i in range(m))
    return num / den
