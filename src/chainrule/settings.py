"""Global switches and dtype queries of PyTorch's top level: ``use_deterministic_algorithms``,
``set_printoptions``, ``set_float32_matmul_precision``, anomaly and warning switches, ``promote_types``,
``result_type``, ``can_cast`` ... Most switches are accepted and remembered, as chainrule's CPU code needs none.

``chainrule.tensor_functions`` re-exports them; ``import chainrule`` puts them at top level.
"""

from __future__ import annotations

import numpy as np

from chainrule.tensor import Tensor

__all__ = [
    "use_deterministic_algorithms", "are_deterministic_algorithms_enabled", "set_printoptions", "promote_types",
    "result_type", "can_cast", "typename", "set_num_interop_threads", "get_num_interop_threads",
    "set_float32_matmul_precision", "get_float32_matmul_precision", "set_default_tensor_type", "is_anomaly_enabled",
    "set_anomaly_enabled", "set_warn_always", "is_warn_always_enabled",
]

_deterministic = False


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Accepted: chainrule's CPU algorithms are deterministic already (same inputs, same bits)."""
    global _deterministic
    _deterministic = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Printing options, as ``torch.set_printoptions`` (NumPy's printer underneath)."""
    options = {k: v for k, v in dict(precision=precision, threshold=threshold, edgeitems=edgeitems,
                                     linewidth=linewidth).items() if v is not None}
    if sci_mode is not None:
        options["suppress"] = not sci_mode
    np.set_printoptions(**options)


_matmul_precision = "highest"
_warn_always = False


def promote_types(type1, type2):
    """The dtype both convert to, by PyTorch's rules (int64 with float32 is float32)."""
    from chainrule import dtypes

    return dtypes.promote_types(np.dtype(type1), np.dtype(type2))


def result_type(tensor1, tensor2):
    """The dtype of an operation between the two (tensors or numbers), by PyTorch's rules."""
    from chainrule import dtypes

    if not isinstance(tensor1, Tensor):
        tensor1, tensor2 = tensor2, tensor1
    if not isinstance(tensor2, Tensor):  # a Python number never widens a tensor of its own category
        return dtypes.scalar_result_type(tensor1.dtype, tensor2) or tensor1.dtype
    return dtypes.result_type(tensor1._data, tensor2._data)


def can_cast(from_, to) -> bool:
    """Whether a cast is allowed by PyTorch's same-kind rule (no float to int, no int to bool)."""
    f, t = np.dtype(from_), np.dtype(to)
    order = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
    return order[f.kind] <= order[t.kind]


def typename(obj) -> str:
    """``'torch.FloatTensor'`` for a float32 tensor, else the object's type name."""
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__


def set_num_interop_threads(n: int) -> None:
    """Accepted: chainrule has no inter-op thread pool (see ``set_num_threads`` for BLAS)."""


def get_num_interop_threads() -> int:
    return 1


def set_float32_matmul_precision(precision: str) -> None:
    """Accepted: NumPy's float32 products always use full precision."""
    global _matmul_precision
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision {precision!r}: expected 'highest', 'high' or 'medium'")
    _matmul_precision = precision


def get_float32_matmul_precision() -> str:
    return _matmul_precision


def set_default_tensor_type(t) -> None:
    """The legacy switch: ``FloatTensor`` / ``DoubleTensor`` (or their names) set the default float dtype."""
    from chainrule import dtypes

    name = t if isinstance(t, str) else t.__name__
    dtypes.set_default_dtype({"FloatTensor": np.float32, "DoubleTensor": np.float64}[name.rsplit(".", 1)[-1]])


def is_anomaly_enabled() -> bool:
    from chainrule.autograd import is_anomaly_enabled as enabled

    return enabled()


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    from chainrule.autograd.grad_mode import GradMode

    GradMode.anomaly = bool(enabled)


def set_warn_always(b: bool) -> None:
    global _warn_always
    _warn_always = bool(b)


def is_warn_always_enabled() -> bool:
    return _warn_always
