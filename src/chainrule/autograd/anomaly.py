"""``detect_anomaly``: name the first operation whose forward or backward produced NaN or Inf.

Off by default (one attribute check per op). Inside ``with chainrule.autograd.detect_anomaly():``
every op's output and every gradient an op's backward returns are checked; the first non-finite one
raises ``AnomalyError`` naming the op, its input shapes and value ranges, and a likely cause.
"""

from __future__ import annotations

import numpy as np

from chainrule.autograd.grad_mode import GradMode


class AnomalyError(RuntimeError):
    """Raised inside ``detect_anomaly()`` when an op produces NaN or Inf."""


# Likely causes, by op: what usually makes that op produce NaN or Inf.
_CAUSES = {
    "Log": "log of zero or of a negative number: clamp the input (x.clamp(min=1e-12)) or use a fused loss "
           "(cross_entropy / binary_cross_entropy_with_logits) instead of log(softmax(x))",
    "Div": "division by zero (or 0/0): add a small epsilon to the denominator",
    "Sqrt": "sqrt of a negative number, or its gradient at 0, which is infinite: add an epsilon inside the sqrt",
    "Pow": "a negative base with a fractional exponent, or 0 to a negative power",
    "Exp": "exp overflow (inputs above about 88 in float32): subtract the max first, or use logsumexp / softmax",
    "Std": "the gradient of std is infinite where all values are equal",
    "Var": "a variance over fewer elements than the correction (e.g. var of one element)",
}
_OVERFLOW_CAUSE = ("float32 overflow: the inputs are finite but so large (float32 ends near 3.4e38) that the result "
                   "is not, which usually means the weights grew step after step because training diverged: lower the "
                   "learning rate or clip gradients (nn.utils.clip_grad_norm_)")
_DEFAULT_CAUSE = ("an input was already NaN or Inf, usually because training diverged: lower the learning rate, "
                  "clip gradients (nn.utils.clip_grad_norm_), or check the data for NaNs")


class detect_anomaly:
    """Context manager and decorator that checks every op for NaN and Inf, forward and backward.

    Args:
        check_nan (bool): check for NaN / Inf. Default: True.

    >>> with chainrule.autograd.detect_anomaly():
    ...     loss = model(x).log().sum()
    ...     loss.backward()        # raises AnomalyError naming the first op that produced NaN
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = GradMode.anomaly
        GradMode.anomaly = self.check_nan
        return self

    def __exit__(self, *exc):
        GradMode.anomaly = self._prev
        return False

    def __call__(self, func):
        import functools

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return func(*args, **kwargs)

        return wrapper


def is_anomaly_enabled() -> bool:
    return GradMode.anomaly


def _describe(arrays) -> str:
    parts = []
    for a in arrays:
        if isinstance(a, np.ndarray):
            if a.size and a.dtype.kind == "f":
                parts.append(f"shape {tuple(a.shape)} in [{np.nanmin(a):.4g}, {np.nanmax(a):.4g}]"
                             + (" with NaN" if np.isnan(a).any() else ""))
            else:
                parts.append(f"shape {tuple(a.shape)}")
        elif a is not None:
            parts.append(repr(a))
    return "; ".join(parts)


def _bad(array) -> bool:
    return isinstance(array, np.ndarray) and array.dtype.kind in "fc" and not np.isfinite(array).all()


def _overflow(out) -> bool:
    return bool(np.isinf(out).any() and not np.isnan(out).any())


def check_forward(node, arrays, out):
    """Called by ``Op.apply`` in anomaly mode after ``forward``."""
    if _bad(out) and not any(_bad(a) for a in arrays):
        op = type(node).__name__
        cause = _CAUSES.get(op, _OVERFLOW_CAUSE if _overflow(out) else _DEFAULT_CAUSE)
        raise AnomalyError(
            f"{op} produced {'NaN' if np.isnan(out).any() else 'Inf'} in its forward pass from finite inputs "
            f"({_describe(arrays)}). Likely cause: {cause}."
        )


def check_backward(node, grad, grads):
    """Called by the engine in anomaly mode after ``node.backward``."""
    for i, g in enumerate(grads):
        if g is not None and _bad(np.asarray(g)) and not _bad(grad):
            op = type(node).__name__
            raise AnomalyError(
                f"{node.name()} returned {'NaN' if np.isnan(g).any() else 'Inf'} in the gradient of its input {i} "
                f"from a finite incoming gradient (incoming {_describe([grad])}). Likely cause: "
                f"{_CAUSES.get(op, _DEFAULT_CAUSE)}."
            )
