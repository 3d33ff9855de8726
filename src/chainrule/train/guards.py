"""The non-finite guard of ``fit``: no NaN or infinity gets into the parameters or onto the disk.

``fit(check_finite=True)`` (the default) checks every step's loss before ``backward()``, the gradients
after it (before clipping and ``optimizer.step()``), and the parameters after the step: an update can
overflow by itself (Adam with an enormous lr, float16 parameters) while the loss and the gradients are
finite. Each check is one dot product per tensor, added up and tested once; names are found only on
failure. When the step made a parameter non-finite, the model and the optimizer are rolled back to the
last finite values the guard kept (a copy made when the last checkpoint was written, or at the start of
the epoch without checkpoints), so that neither the objects nor any checkpoint hold a NaN, and the error
says exactly which values they have now.
"""

from __future__ import annotations

import math
import os

import numpy as np


class NonFiniteError(FloatingPointError):
    """``fit`` met a NaN or infinite loss, gradient or updated parameter and stopped.

    A bad loss or gradient stops before the optimizer step; an update that overflowed is rolled back to
    the last finite values first. The message says which values the model holds now.

    Attributes:
        epoch, step (int): where (from 0; the message counts from 1).
        parameter (str or None): the name (as in ``named_parameters()``) of the first parameter with a
            non-finite gradient or value; None when the loss itself was not finite.
    """

    def __init__(self, message: str, epoch: int, step: int, parameter: str | None = None):
        super().__init__(message)
        self.epoch, self.step, self.parameter = epoch, step, parameter


def _copy(value):
    """A deep copy of a state_dict-like tree, arrays and Tensors copied."""
    from chainrule.tensor import Tensor

    if isinstance(value, Tensor):
        return Tensor._wrap(value._data.copy())
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return type(value)((k, _copy(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


def _all_finite(arrays) -> bool:
    """True if every array is finite: ``vdot(a, a)`` per array (a SIMD BLAS call) added up, exact check on doubt."""
    total = 0.0
    for a in arrays:
        if a.dtype.kind != "f" or a.dtype.itemsize < 4:  # float16 squares overflow at 256: test it exactly
            if a.dtype.kind in "fc" and not np.isfinite(a).all():
                return False
            continue
        total += np.vdot(a, a)  # a NaN or inf anywhere makes it NaN or inf
    if math.isfinite(total):
        return True
    # finite values whose sum of squares overflowed (above ~1e19 in float32) look the same: check exactly
    return all(np.isfinite(a).all() for a in arrays if a.dtype.kind in "fc")


class FiniteCheck:
    """The cheap per-step checks of the loss, the gradients and the parameters; rollback to the last finite values.

    ``vdot(g, g)`` (the sum of squares) is NaN or inf if any element of ``g`` is, and is 2.5x faster than
    ``g.sum()``; when it overflows for finite values, the exact check finds every value finite and the
    step goes on.
    """

    def __init__(self, model, optimizer, backup=None, scheduler=None):
        names = {id(p): name for name, p in model.named_parameters()}
        self.model, self.optimizer, self.backup, self.scheduler = model, optimizer, backup, scheduler
        self.params = [p for group in optimizer.param_groups for p in group["params"]]
        self.names = [names.get(id(p), f"param_groups[{i}]['params'][{j}]")
                      for i, group in enumerate(optimizer.param_groups) for j, p in enumerate(group["params"])]
        self._kept = None  # (where, model state, optimizer state, scheduler state): the last finite values
        self._nonfinite_at = None  # when the parameters were found non-finite before any update of this fit

    def keep(self, where: str) -> None:
        """Remember the current (finite) parameters and optimizer state as the rollback point, ``where`` saying when."""
        if not _all_finite([p._data for p in self.params]):
            self._kept, self._nonfinite_at = None, where  # never make a non-finite state the rollback point
            return
        self._nonfinite_at = None
        self._kept = (where, _copy(self.model.state_dict()), _copy(self.optimizer.state_dict()),
                      _copy(self.scheduler.state_dict()) if self.scheduler is not None else None)

    def loss(self, value: float, epoch: int, step: int) -> None:
        if math.isfinite(value):
            return
        bad = self._first_bad([p._data for p in self.params])
        if bad is not None:  # the parameters were not finite before this step (given so, or loaded so)
            name, data = bad
            raise NonFiniteError(
                f"fit: the loss is {value} at epoch {epoch + 1}, step {step + 1} because parameter {name!r} already "
                f"holds {self._count(data)} before this step (the model was given or loaded that way; fit never "
                "makes a non-finite update); load finite weights, or re-initialize the model", epoch, step, name)
        raise NonFiniteError(f"fit: the loss is {value} at epoch {epoch + 1}, step {step + 1}; " + self._advice(),
                             epoch, step)

    def gradients(self, loss: float, epoch: int, step: int) -> None:
        grads = [p.grad._data for p in self.params if p.grad is not None]
        if _all_finite(grads):
            return
        for name, p in zip(self.names, self.params):
            g = p.grad
            if g is not None and not np.isfinite(g._data).all():
                raise NonFiniteError(
                    f"fit: the gradient of parameter {name!r} (shape {tuple(g.shape)}) has {self._count(g._data)} "
                    f"at epoch {epoch + 1}, step {step + 1}, with a finite loss ({loss:.6g}); "
                    + self._advice() + " chainrule.autograd.detect_anomaly() shows the op that made it.",
                    epoch, step, name)

    def parameters(self, epoch: int, step: int) -> None:
        """After ``optimizer.step()``: if the update made a parameter non-finite, roll back and raise."""
        if _all_finite([p._data for p in self.params]):
            return
        bad = self._first_bad([p._data for p in self.params])
        if bad is None:
            return
        name, data = bad
        if self._nonfinite_at is not None:  # not this update's doing: they were so already
            raise NonFiniteError(
                f"fit: parameter {name!r} holds {self._count(data)} at epoch {epoch + 1}, step {step + 1}, and the "
                f"parameters held non-finite values already {self._nonfinite_at.replace('from', 'at', 1)} (the model "
                "was given or loaded that way; fit never makes a non-finite update); load finite weights, or "
                "re-initialize the model", epoch, step, name)
        lr = self.optimizer.param_groups[0].get("lr")
        rate = f" (lr={float(lr):.3g})" if isinstance(lr, (int, float)) else ""
        half = (" In float16 (largest value 65504; an eps below 6e-8, like Adam's 1e-8, becomes 0) such updates are "
                "common." if data.dtype == np.float16 else "")
        raise NonFiniteError(
            f"fit: the update of epoch {epoch + 1}, step {step + 1} made parameter {name!r} (shape {data.shape}) "
            f"hold {self._count(data)} although the loss and the gradients were finite: the step itself "
            f"overflowed{rate}.{half} {self._rollback()} "
            + ("Train in float32 (model.float())." if half else "Try a lower learning rate, e.g. 10x smaller."),
            epoch, step, name)

    def _rollback(self) -> str:
        kept = self._kept
        checkpoint = ""
        if self.backup is not None:
            checkpoint = (f" The last checkpoint, {self.backup.filepath}, is as it was (written before this step)."
                          if os.path.exists(self.backup.filepath) else " No checkpoint had been written yet.")
        if kept is None:
            return ("The parameters now hold these values: no finite copy was kept to roll back to; do not use "
                    f"the model.{checkpoint}")
        where, model_state, optimizer_state, scheduler_state = kept
        self.model.load_state_dict(_copy(model_state))
        self.optimizer.load_state_dict(_copy(optimizer_state))
        if scheduler_state is not None:
            self.scheduler.load_state_dict(_copy(scheduler_state))
        return (f"The model and the optimizer were rolled back to their last finite values, {where}; they hold no "
                f"NaN or infinity.{checkpoint}")

    def _first_bad(self, arrays):
        for name, a in zip(self.names, arrays):
            if a.dtype.kind in "fc" and not np.isfinite(a).all():
                return name, a
        return None

    @staticmethod
    def _count(a) -> str:
        bad = a[~np.isfinite(a)]
        kinds = ", ".join(sorted({"nan" if np.isnan(v) else "inf" for v in bad[:1000].tolist()}))
        return f"{bad.size} non-finite values ({kinds})"

    def _advice(self) -> str:
        lr = self.optimizer.param_groups[0].get("lr")
        rate = f" (lr={float(lr):.3g})" if isinstance(lr, (int, float)) else ""
        kept = (f" and the last checkpoint, {self.backup.filepath}, is as it was"
                if self.backup is not None and os.path.exists(self.backup.filepath) else "")
        return (f"training stopped before this step's update: the parameters keep their last finite values{kept}. "
                f"Try a lower learning rate{rate}, e.g. 10x smaller, or gradient "
                "clipping (fit(..., clip_grad_norm=1.0)); check the inputs for NaN/inf and the loss for log(0). "
                "fit(..., check_finite=False) turns this check off.")
