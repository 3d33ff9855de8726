"""Tensor methods that compare, test and sort: ``==``/``<`` ..., ``isnan``, ``logical_and``,
``argmax``, ``sort``, ``topk``, ``unique`` ... (no gradient flows through them).

``Tensor`` (chainrule/tensor.py) inherits them from ``ComparisonMethods``; they live in this file only to keep
each file short enough to read. Every method is still documented as ``help(chainrule.Tensor.<name>)``.
"""

from __future__ import annotations

import builtins

import numpy as np

from chainrule.tensor_helpers import ValuesIndices, _arg_reduce, _raw

Tensor = None  # the Tensor class, handed over by chainrule.tensor once it exists (as to the ops; see its end)


class ComparisonMethods:
    """Comparison, logic and sorting methods of ``Tensor``."""

    __slots__ = ()  # Tensor's instances keep no __dict__

    # -- comparisons (no gradient) -----------------------------------------------------------------
    def __eq__(self, other):
        """Elementwise ``self == other`` as a bool tensor (``eq``)."""
        return Tensor._wrap(np.equal(self._data, _raw(other)))

    def __ne__(self, other):
        """Elementwise ``self != other`` as a bool tensor (``ne``)."""
        return Tensor._wrap(np.not_equal(self._data, _raw(other)))

    def __lt__(self, other):
        """Elementwise ``self < other`` as a bool tensor (``lt``)."""
        return Tensor._wrap(np.less(self._data, _raw(other)))

    def __le__(self, other):
        """Elementwise ``self <= other`` as a bool tensor (``le``)."""
        return Tensor._wrap(np.less_equal(self._data, _raw(other)))

    def __gt__(self, other):
        """Elementwise ``self > other`` as a bool tensor (``gt``)."""
        return Tensor._wrap(np.greater(self._data, _raw(other)))

    def __ge__(self, other):
        """Elementwise ``self >= other`` as a bool tensor (``ge``)."""
        return Tensor._wrap(np.greater_equal(self._data, _raw(other)))

    def __invert__(self):
        return Tensor._wrap(~self._data)

    def __and__(self, other):
        return Tensor._wrap(self._data & _raw(other))

    def __or__(self, other):
        return Tensor._wrap(self._data | _raw(other))

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def equal(self, other) -> bool:
        """True if ``other`` has the same shape and the same values."""
        return self.shape == other.shape and builtins.bool(np.array_equal(self._data, other._data))

    def allclose(self, other, rtol=1e-5, atol=1e-8) -> bool:
        """True if all values are close to ``other``'s: ``|self - other| <= atol + rtol * |other|``."""
        return builtins.bool(np.allclose(self._data, _raw(other), rtol=rtol, atol=atol))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """Elementwise ``|self - other| <= atol + rtol * |other|``."""
        return Tensor._wrap(np.isclose(self._data, _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def __xor__(self, other):
        return Tensor._wrap(self._data ^ _raw(other))

    greater, greater_equal, less, less_equal, not_equal = __gt__, __ge__, __lt__, __le__, __ne__

    # -- logic and tests of values -----------------------------------------------------------------
    def all(self, dim=None, keepdim=False) -> Tensor:
        """Whether all elements (along ``dim``) are true / non-zero."""
        return Tensor._wrap(np.asarray(np.all(self._data, axis=self._axes(dim), keepdims=keepdim)))

    def any(self, dim=None, keepdim=False) -> Tensor:
        """Whether any element (along ``dim``) is true / non-zero."""
        return Tensor._wrap(np.asarray(np.any(self._data, axis=self._axes(dim), keepdims=keepdim)))

    def isnan(self) -> Tensor:
        """Elementwise test for NaN, as a bool tensor."""
        return Tensor._wrap(np.isnan(self._data))

    def isfinite(self) -> Tensor:
        """Elementwise test for finite values (not NaN, not infinite), as a bool tensor."""
        return Tensor._wrap(np.isfinite(self._data))

    def isinf(self):
        """Where the elements are +inf or -inf."""
        return Tensor._wrap(np.isinf(self._data))

    def isposinf(self):
        """Where the elements are +inf."""
        return Tensor._wrap(np.isposinf(self._data))

    def isneginf(self):
        """Where the elements are -inf."""
        return Tensor._wrap(np.isneginf(self._data))

    def logical_and(self, other):
        """Elementwise logical and (non-zero is true)."""
        return Tensor._wrap(np.logical_and(self._data, _raw(other)))

    def logical_or(self, other):
        """Elementwise logical or (non-zero is true)."""
        return Tensor._wrap(np.logical_or(self._data, _raw(other)))

    def logical_xor(self, other):
        """Elementwise logical exclusive or (non-zero is true)."""
        return Tensor._wrap(np.logical_xor(self._data, _raw(other)))

    def logical_not(self):
        """Elementwise logical not (non-zero is true)."""
        return Tensor._wrap(np.logical_not(self._data))

    def signbit(self):
        """Where the sign bit is set (negative numbers and -0.0)."""
        return Tensor._wrap(np.signbit(self._data))

    # -- arg-reductions, sorting and searching -----------------------------------------------------
    def argmax(self, dim=None, keepdim=False, *, axis=None) -> Tensor:
        """Index of the largest value, over all elements or along ``dim`` (int64, no gradient)."""
        return _arg_reduce(np.argmax, self, dim if dim is not None else axis, keepdim)

    def argmin(self, dim=None, keepdim=False, *, axis=None) -> Tensor:
        """Index of the smallest value, over all elements or along ``dim`` (int64, no gradient)."""
        return _arg_reduce(np.argmin, self, dim if dim is not None else axis, keepdim)

    def sort(self, dim=-1, descending=False, stable=False):
        """(values, indices) sorted along ``dim``; values keep their gradient."""
        axis = self._axes(dim)[0] if self._data.ndim else None
        if axis is None:
            return ValuesIndices(self.clone(), Tensor._wrap(np.zeros((), np.int64)))
        if descending:  # sort the reversed axis ascending and read it backwards: stable, NaN first, no negation
            flipped = np.flip(self._data, axis)
            idx = self._data.shape[axis] - 1 - np.flip(np.argsort(flipped, axis=axis, kind="stable"), axis)
            idx = idx.astype(np.int64)
        else:
            idx = np.argsort(self._data, axis=axis, kind="stable").astype(np.int64)
        return ValuesIndices(self.gather(axis, Tensor._wrap(idx)), Tensor._wrap(idx))

    def argsort(self, dim=-1, descending=False, stable=False):
        """The indices that sort the tensor along ``dim``."""
        return self.sort(dim, descending, stable).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The ``k`` largest (or smallest) values along ``dim`` and their indices."""
        axis = self._axes(dim)[0] if self._data.ndim else 0
        n = self._data.shape[axis] if self._data.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError(f"selected index k out of range (k={k}, size {n})")
        values, idx = self.sort(dim, descending=largest)
        idx = idx.narrow(axis, 0, k) if self._data.ndim else idx
        return ValuesIndices(self.gather(axis, idx) if self._data.ndim else values, idx)

    def nonzero(self, *, as_tuple=False):
        """The indices of the non-zero elements: one row each, or a tuple per dimension (``as_tuple``)."""
        found = np.nonzero(self._data)
        if as_tuple:
            return tuple(Tensor._wrap(i.astype(np.int64)) for i in found)
        return Tensor._wrap(np.stack(found, axis=1).astype(np.int64))

    def argwhere(self):
        """The indices of the non-zero elements, one row each (as ``nonzero()``)."""
        return self.nonzero()

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (sorted), optionally with the inverse indices and counts; no gradient."""
        out = np.unique(self._data, return_inverse=True, return_counts=True, axis=dim)
        result = [Tensor._wrap(out[0])]
        if return_inverse:
            result.append(Tensor._wrap(out[1].reshape(self._data.shape if dim is None else -1).astype(np.int64)))
        if return_counts:
            result.append(Tensor._wrap(out[2].astype(np.int64)))
        return result[0] if len(result) == 1 else tuple(result)

