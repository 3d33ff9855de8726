"""Top-level arithmetic and products as PyTorch's functions: ``add``/``sub``/``mul``/``div`` (with
``alpha=``, ``rounding_mode=`` and ``out=``), ``matmul``, ``mm``, ``bmm``, ``mv``, ``dot``, ``outer``,
``addmm``, ``einsum``, ``log2``/``log10``/``expm1`` and ``norm``.

Each is a call into the ``Tensor`` method, so there is one implementation of each thing. ``out=``
writes the result into an existing tensor, as PyTorch: that cannot be differentiated, so it raises
when an input requires grad (and gradients are on).
"""

from __future__ import annotations

import numpy as np

from chainrule.autograd.grad_mode import GradMode
from chainrule.ops.linalg import Einsum, parse_einsum
from chainrule.tensor import Tensor, _as_array

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "matmul", "mm", "bmm", "mv",
    "dot", "inner", "outer", "ger", "addmm", "einsum", "log2", "log10", "expm1", "norm",
]


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(_as_array(x))


def _write(result, out, name, inputs):
    """Return ``result``, or copy it into ``out`` (resized if its shape differs) and return ``out``."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if GradMode.enabled and any(getattr(t, "_requires_grad", False) for t in inputs):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    r = result._data
    if not np.can_cast(r.dtype, out._data.dtype, casting="same_kind"):
        raise RuntimeError(f"result type {r.dtype} can't be cast to the desired output type {out._data.dtype}")
    if out._data.shape != r.shape:
        out._data = np.empty(r.shape, out._data.dtype)  # resized, as PyTorch does (with a warning)
    out._data[...] = r
    return out


def add(input, other, *, alpha=1, out=None) -> Tensor:
    """``input + alpha * other``.

    >>> add(torch.ones(2), torch.ones(2), alpha=2)
    tensor([3., 3.])
    """
    x = _tensor(input)
    return _write(x + (other if alpha == 1 else other * alpha), out, "add", (input, other))


def sub(input, other, *, alpha=1, out=None) -> Tensor:
    """``input - alpha * other``."""
    x = _tensor(input)
    return _write(x - (other if alpha == 1 else other * alpha), out, "sub", (input, other))


subtract = sub


def mul(input, other, *, out=None) -> Tensor:
    """``input * other`` (broadcasting)."""
    return _write(_tensor(input) * other, out, "mul", (input, other))


multiply = mul


def div(input, other, *, rounding_mode=None, out=None) -> Tensor:
    """``input / other``; ``rounding_mode='trunc'`` or ``'floor'`` rounds the quotient (no gradient then).

    >>> div(torch.tensor([5, -5]), 2, rounding_mode="floor")
    tensor([ 2, -3])
    """
    x = _tensor(input)
    if rounding_mode is None:
        result = x / other
    elif rounding_mode in ("trunc", "floor"):
        a, b = x._operands(other)
        q = np.asarray(np.true_divide(a._data, b._data if isinstance(b, Tensor) else b))
        q = np.trunc(q) if rounding_mode == "trunc" else np.floor(q)
        result = Tensor._wrap(q.astype(a._data.dtype))  # operands are already promoted: int // int stays int
    else:
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found {rounding_mode!r}")
    return _write(result, out, "div", (input, other))


divide = div


def true_divide(dividend, divisor, *, out=None) -> Tensor:
    return div(dividend, divisor, out=out)


def matmul(input, other, *, out=None) -> Tensor:
    """Matrix product in every PyTorch form (1-D, 2-D, batched with broadcasting)."""
    return _write(_tensor(input).matmul(other), out, "matmul", (input, other))


def mm(input, mat2, *, out=None) -> Tensor:
    """``(n, m) @ (m, p)``: 2-D only."""
    return _write(input.mm(mat2), out, "mm", (input, mat2))


def bmm(input, mat2, *, out=None) -> Tensor:
    """``(b, n, m) @ (b, m, p)``: 3-D only, no broadcasting."""
    return _write(input.bmm(mat2), out, "bmm", (input, mat2))


def mv(input, vec, *, out=None) -> Tensor:
    """``(n, m) @ (m,)``."""
    return _write(input.mv(vec), out, "mv", (input, vec))


def dot(input, tensor, *, out=None) -> Tensor:
    """Inner product of two 1-D tensors."""
    return _write(input.dot(tensor), out, "dot", (input, tensor))


inner = dot


def outer(input, vec2, *, out=None) -> Tensor:
    """``input[:, None] * vec2[None, :]`` for 1-D tensors."""
    return _write(input.outer(vec2), out, "outer", (input, vec2))


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``.

    >>> addmm(torch.zeros(2), torch.eye(2), torch.ones(2, 2))
    tensor([[1., 1.],
            [1., 1.]])
    """
    return _write(_tensor(input).addmm(mat1, mat2, beta=beta, alpha=alpha), out, "addmm", (input, mat1, mat2))


def einsum(equation, *operands) -> Tensor:
    """Einstein summation, as ``torch.einsum``: ``einsum("ij,jk->ik", a, b)``; operands may also be one list.

    Supports ``...`` and implicit outputs; gradients flow to every operand.

    >>> einsum("i,i->", torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0]))
    tensor(11.)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): the first argument must be the equation string, got {type(equation).__name__}")
    tensors = [_tensor(t) for t in operands]
    if not tensors:
        raise RuntimeError("einsum(): must provide at least one operand")
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        if t.dtype != dtype:
            dtype = np.promote_types(dtype, t.dtype)
    tensors = [t.to(dtype) for t in tensors]
    terms, out = parse_einsum(equation, [t.shape for t in tensors])
    return Einsum.apply(*tensors, terms=terms, out=out)


def log2(input, *, out=None) -> Tensor:
    return _write(input.log2(), out, "log2", (input,))


def log10(input, *, out=None) -> Tensor:
    return _write(input.log10(), out, "log10", (input,))


def expm1(input, *, out=None) -> Tensor:
    return _write(input.expm1(), out, "expm1", (input,))


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None) -> Tensor:
    """``torch.norm``: see ``Tensor.norm`` (and ``chainrule.linalg`` for the modern forms)."""
    return _write(input.norm(p, dim, keepdim, dtype=dtype), out, "norm", (input,))
