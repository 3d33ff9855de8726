"""``chainrule.exp(x)``, ``chainrule.cat([...])`` ...: the functions PyTorch has at top level.

Each is a thin call into a ``Tensor`` method or an op, so there is one implementation of each thing.
"""

from __future__ import annotations

from chainrule.dtypes import promote_types
from chainrule.ops.activation import Elu, Gelu, LeakyRelu, Silu, Softplus
from chainrule.ops.index import one_hot as _one_hot
from chainrule.ops.shape import Cat, Stack
from chainrule.tensor import Tensor, where  # noqa: F401 - re-exported

__all__ = [
    "abs", "allclose", "amax", "amin", "argmax", "argmin", "cat", "chunk", "clamp", "clip", "cos", "elu",
    "equal", "exp", "flatten", "gelu", "is_tensor", "leaky_relu", "log", "log1p", "log_softmax", "logsumexp",
    "matmul", "max", "maximum", "mean", "min", "minimum", "numel", "one_hot", "permute", "relu",
    "reshape", "sigmoid", "silu", "sin", "softmax", "softplus", "split", "sqrt", "squeeze", "stack",
    "std", "sum", "tanh", "transpose", "unsqueeze", "var", "where",
]


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input) -> int:
    return input.numel()


def _same_dtype(tensors, name):
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{name}() expected a non-empty list of tensors")
    if not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"{name}() expected a list of tensors, got {[type(t).__name__ for t in tensors]}")
    dtype = tensors[0]._data.dtype
    for t in tensors[1:]:  # torch's promotion (int64 with float32 is float32), not NumPy's (float64)
        dtype = promote_types(dtype, t._data.dtype)
    return [t.to(dtype) for t in tensors]


def cat(tensors, dim=0, *, axis=None) -> Tensor:
    """Join tensors along an existing dimension."""
    tensors = _same_dtype(tensors, "cat")
    dim = dim if axis is None else axis
    ref = tensors[0]._data
    for t in tensors[1:]:
        d = t._data
        if d.ndim != ref.ndim or any(a != b for i, (a, b) in enumerate(zip(d.shape, ref.shape)) if i != dim % ref.ndim):
            raise RuntimeError(f"cat: sizes must match except in dim {dim}; got {tuple(ref.shape)} and {tuple(d.shape)}")
    return Cat.apply(*tensors, axis=dim % (ref.ndim or 1))  # NOTE: `max` is chainrule.max in this module


concat = concatenate = cat


def stack(tensors, dim=0, *, axis=None) -> Tensor:
    """Join same-shape tensors along a new dimension."""
    tensors = _same_dtype(tensors, "stack")
    dim = dim if axis is None else axis
    shapes = {t._data.shape for t in tensors}
    if len(shapes) != 1:
        raise RuntimeError(f"stack expects each tensor to be equal size, got shapes {sorted(shapes)}")
    return Stack.apply(*tensors, axis=dim % (tensors[0]._data.ndim + 1))


# Activations, also ``chainrule.nn.functional``'s (which re-exports these). ``inplace=`` is accepted
# for PyTorch compatibility; results are always new tensors.
def relu(input, inplace=False) -> Tensor:
    """max(0, x), elementwise."""
    return input.relu()


def leaky_relu(input, negative_slope=0.01, inplace=False) -> Tensor:
    """x for x > 0, ``negative_slope * x`` otherwise."""
    return LeakyRelu.apply(input, negative_slope=negative_slope)


def elu(input, alpha=1.0, inplace=False) -> Tensor:
    """x for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""
    return Elu.apply(input, alpha=alpha)


def gelu(input, approximate="none") -> Tensor:
    """x * Phi(x) (``approximate='tanh'``: PyTorch's tanh formula)."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Gelu.apply(input, approximate=approximate)


def silu(input, inplace=False) -> Tensor:
    """x * sigmoid(x)."""
    return Silu.apply(input)


def softplus(input, beta=1.0, threshold=20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, and x where beta * x > threshold."""
    return Softplus.apply(input, beta=beta, threshold=threshold)


def one_hot(tensor, num_classes=-1) -> Tensor:
    """Encode class indices as rows of 0s and a 1 (int64), as ``torch.nn.functional.one_hot``."""
    return Tensor._wrap(_one_hot(tensor._data, num_classes))


def _method(name):
    def fn(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = name
    fn.__doc__ = f"``chainrule.{name}(t, ...)`` is ``t.{name}(...)``."
    return fn


abs = _method("abs")  # noqa: A001
exp = _method("exp")
log = _method("log")
log1p = _method("log1p")
sqrt = _method("sqrt")
sin = _method("sin")
cos = _method("cos")
sigmoid = _method("sigmoid")
tanh = _method("tanh")
clamp = clip = _method("clamp")
maximum = _method("maximum")
minimum = _method("minimum")
sum = _method("sum")  # noqa: A001
mean = _method("mean")
max = _method("max")  # noqa: A001
min = _method("min")  # noqa: A001
amax = _method("amax")
amin = _method("amin")
var = _method("var")
std = _method("std")
logsumexp = _method("logsumexp")
softmax = _method("softmax")
log_softmax = _method("log_softmax")
argmax = _method("argmax")
argmin = _method("argmin")
matmul = _method("matmul")
reshape = _method("reshape")
flatten = _method("flatten")
transpose = _method("transpose")
permute = _method("permute")
squeeze = _method("squeeze")
unsqueeze = _method("unsqueeze")
split = _method("split")
chunk = _method("chunk")
equal = _method("equal")
allclose = _method("allclose")
