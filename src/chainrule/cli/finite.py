"""A trained model whose weights or outputs are NaN or infinite answers nonsense confidently: say so, exit 1."""

from __future__ import annotations

import numpy as np

__all__ = ["nonfinite_parameters", "describe_nonfinite"]


def nonfinite_parameters(model) -> list[tuple[str, int, int]]:
    """``(name, non-finite count, size)`` of every parameter or buffer with a NaN or infinity."""
    bad = []
    for name, tensor in model.state_dict().items():
        data = np.asarray(getattr(tensor, "_data", tensor))
        if data.dtype.kind in "fc":
            finite = np.count_nonzero(np.isfinite(data))
            if finite != data.size:
                bad.append((name, data.size - finite, data.size))
    return bad


def describe_nonfinite(path, bad) -> str:
    shown = ", ".join(f"{name!r} ({count} of {size})" for name, count, size in bad[:3])
    more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
    return (f"{path}: the weights hold NaN or infinite values: {shown}{more}; the model's answers would be "
            "meaningless (the training diverged: train again with a smaller --lr)")
