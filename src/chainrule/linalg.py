"""``chainrule.linalg``: norms, inverses, determinants and solves, as ``torch.linalg``.

>>> import chainrule as torch
>>> torch.linalg.norm(torch.tensor([3.0, 4.0]))
tensor(5.)
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from chainrule.ops.linalg import Det, Inv, Solve, SvdNorm, VectorNorm
from chainrule.tensor import Tensor

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "det", "solve", "LinAlgError"]


class LinAlgError(RuntimeError):
    """A matrix is singular (or otherwise unfit), as ``torch.linalg.LinAlgError``."""


def _float_input(x, name, dtype):
    if not isinstance(x, Tensor):
        raise TypeError(f"linalg.{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind != "f":
        raise RuntimeError(f"linalg.{name}: Expected a floating point tensor as input. Got {x.dtype}")
    return x


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """The vector ``ord``-norm of ``x`` over ``dim`` (all elements when None), as ``torch.linalg.vector_norm``.

    Args:
        x (Tensor): float input.
        ord (float): 2 (Euclidean), 1, ``inf`` (largest |x|), ``-inf``, 0 (count of non-zeros) or any p.
            Default: 2.
        dim (int or tuple of int, optional): dimensions to reduce. Default: None (all).
        keepdim (bool): keep the reduced dimensions with size 1. Default: False.

    >>> vector_norm(torch.tensor([[3.0, 4.0], [6.0, 8.0]]), dim=1)
    tensor([ 5., 10.])
    """
    x = _float_input(x, "vector_norm", dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    axes = x._axes(dim)
    if axes == () and x.ndim:
        axes = None
    return VectorNorm.apply(x, ord=float(ord), axes=axes, keepdim=keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None) -> Tensor:
    """A matrix norm over the two dimensions ``dim``: ``'fro'``, ``'nuc'``, ``inf``, ``-inf``, 1, -1, 2, -2.

    >>> matrix_norm(torch.eye(3))
    tensor(1.7321)
    """
    A = _float_input(A, "matrix_norm", dtype)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions, got {A.ndim}")
    d0, d1 = A._axes(tuple(dim))
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        moved = A.permute(*[i for i in range(A.ndim) if i not in (d0, d1)], d0, d1)
        out = SvdNorm.apply(moved, ord=ord)
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    if ord in (1, -1, math.inf, -math.inf):
        # 1: largest column sum of |A|; inf: largest row sum
        summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(summed, keepdim=True)
        out = sums.amax(other, keepdim=True) if ord > 0 else sums.amin(other, keepdim=True)
        return out if keepdim else out.squeeze((d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """``torch.linalg.norm``: a vector norm, or a matrix norm when ``dim`` has two entries (or ``A`` is 2-D
    and ``ord`` is given). With ``ord=None`` and ``dim=None`` the 2-norm of all elements.

    >>> norm(torch.tensor([[1.0, 2.0], [2.0, 4.0]]))
    tensor(5.)
    """
    if isinstance(dim, (builtins.int,)) or (dim is not None and len(tuple(dim)) == 1):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is not None:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D.")


def _square(A, name):
    A = _float_input(A, name, None)
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{' by '.join(str(n) for n in A.shape[-2:])} matrices")
    return A


def inv(A) -> Tensor:
    """The inverse of each square matrix in ``A`` (shape ``(*, n, n)``), with gradients.

    >>> inv(torch.tensor([[2.0, 0.0], [0.0, 4.0]]))
    tensor([[0.5000, 0.0000],
            [0.0000, 0.2500]])
    """
    A = _square(A, "inv")
    try:
        return Inv.apply(A)
    except np.linalg.LinAlgError:
        raise LinAlgError("linalg.inv: The diagonal element 1 is zero, the inversion could not be completed "
                           "because the input matrix is singular.") from None


def det(A) -> Tensor:
    """The determinant of each square matrix in ``A``.

    >>> det(torch.tensor([[2.0, 1.0], [1.0, 3.0]]))
    tensor(5.)
    """
    return Det.apply(_square(A, "det"))


def solve(A, B, *, left=True) -> Tensor:
    """X with ``A @ X = B`` (``B`` a matrix ``(*, n, k)`` or a vector ``(*, n)``), with gradients for both.

    >>> solve(torch.tensor([[2.0, 0.0], [0.0, 4.0]]), torch.tensor([2.0, 2.0]))
    tensor([1.0000, 0.5000])
    """
    if not left:
        raise NotImplementedError("linalg.solve(left=False) is not supported; solve A^T X^T = B^T instead")
    A = _square(A, "solve")
    A, B = A._operands(B, broadcast=False)
    try:
        return Solve.apply(A, B)
    except np.linalg.LinAlgError:
        raise LinAlgError("linalg.solve: The solver failed because the input matrix is singular.") from None
