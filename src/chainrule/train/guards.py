"""The non-finite guard of ``fit``: stop before an update from a NaN or infinite loss or gradient.

``fit(check_finite=True)`` (the default) checks every step's loss before ``backward()`` and the
gradients after it, before clipping and ``optimizer.step()``, so the parameters keep their last finite
values and the last checkpoint stays as it was.
"""

from __future__ import annotations

import math

import numpy as np


class NonFiniteError(FloatingPointError):
    """``fit`` met a NaN or infinite loss or gradient and stopped before the optimizer step.

    Attributes:
        epoch, step (int): where (from 0; the message counts from 1).
        parameter (str or None): the name (as in ``named_parameters()``) of the first parameter with a
            non-finite gradient; None when the loss itself was not finite.
    """

    def __init__(self, message: str, epoch: int, step: int, parameter: str | None = None):
        super().__init__(message)
        self.epoch, self.step, self.parameter = epoch, step, parameter


class FiniteCheck:
    """The cheap per-step check: one dot product per gradient, added up and tested once; names only on failure.

    ``vdot(g, g)`` (the sum of squares, a SIMD BLAS call) is NaN or inf if any element of ``g`` is, and
    is 2.5x faster than ``g.sum()``; it can overflow for finite gradients above ~1e19, and then the
    slow path below finds every gradient finite and lets the step go on.
    """

    def __init__(self, model, optimizer, backup=None):
        names = {id(p): name for name, p in model.named_parameters()}
        self.optimizer, self.backup = optimizer, backup
        self.params = [p for group in optimizer.param_groups for p in group["params"]]
        self.names = [names.get(id(p), f"param_groups[{i}]['params'][{j}]")
                      for i, group in enumerate(optimizer.param_groups) for j, p in enumerate(group["params"])]

    def loss(self, value: float, epoch: int, step: int) -> None:
        if not math.isfinite(value):
            raise NonFiniteError(f"fit: the loss is {value} at epoch {epoch + 1}, step {step + 1}; " + self._advice(),
                                 epoch, step)

    def gradients(self, loss: float, epoch: int, step: int) -> None:
        total = 0.0
        for p in self.params:
            g = p.grad
            if g is not None:
                total += np.vdot(g._data, g._data)  # a NaN or inf anywhere makes it NaN or inf
        if math.isfinite(total):
            return
        for name, p in zip(self.names, self.params):
            g = p.grad
            if g is not None and not np.isfinite(g._data).all():
                bad = g._data[~np.isfinite(g._data)]
                kinds = ", ".join(sorted({"nan" if np.isnan(v) else "inf" for v in bad[:1000].tolist()}))
                raise NonFiniteError(
                    f"fit: the gradient of parameter {name!r} (shape {tuple(g.shape)}) has {bad.size} non-finite "
                    f"values ({kinds}) at epoch {epoch + 1}, step {step + 1}, with a finite loss ({loss:.6g}); "
                    + self._advice() + " chainrule.autograd.detect_anomaly() shows the op that made it.",
                    epoch, step, name)
        # else: finite gradients whose float32 sum of squares overflowed; nothing is wrong

    def _advice(self) -> str:
        lr = self.optimizer.param_groups[0].get("lr")
        rate = f" (lr={float(lr):.3g})" if isinstance(lr, (int, float)) else ""
        kept = f" and the last checkpoint, {self.backup.filepath}, is as it was" if self.backup is not None else ""
        return (f"training stopped before this step's update: the parameters keep their last finite values{kept}. "
                f"Try a lower learning rate{rate}, e.g. 10x smaller, or gradient "
                "clipping (fit(..., clip_grad_norm=1.0)); check the inputs for NaN/inf and the loss for log(0). "
                "fit(..., check_finite=False) turns this check off.")
