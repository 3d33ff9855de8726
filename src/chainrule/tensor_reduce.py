"""Tensor methods that reduce: ``sum``, ``mean``, ``max``, ``var``, ``softmax``, scans (``cumsum``),
norms and statistics (``median``, ``kthvalue``, ``bincount`` ...).

``Tensor`` (chainrule/tensor.py) inherits them from ``ReductionMethods``; they live in this file only to keep
each file short enough to read. Every method is still documented as ``help(chainrule.Tensor.<name>)``.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from chainrule import arguments, dtypes
from chainrule.ops.math import Cumsum, Prod
from chainrule.ops.reduce import Amax, LogSoftmax, LogSumExp, MaxAll, MaxDim, Mean, Softmax, Std, Sum, Var
from chainrule.tensor_helpers import ValuesIndices, _arg_reduce, _floating, _raw, where

Tensor = None  # the Tensor class, handed over by chainrule.tensor once it exists (as to the ops; see its end)


class ReductionMethods:
    """Reduction, scan and statistics methods of ``Tensor``."""

    __slots__ = ()  # Tensor's instances keep no __dict__

    # -- reductions --------------------------------------------------------------------------------
    def _axes(self, dim, axis=None):
        """Normalise ``dim`` (int, tuple, negative, or None) to a tuple of axes or None."""
        return arguments.dims(dim, self._data.ndim, axis)

    def sum(self, dim=None, keepdim=False, *, axis=None, dtype=None, keepdims=False):
        """Sum over all elements, or over ``dim`` (an int or a tuple), keeping the dims with ``keepdim``."""
        keepdim = keepdim or keepdims  # NumPy's spelling, which PyTorch accepts
        src = self.to(dtype) if dtype is not None else self
        if src._data.dtype.kind in "bu" or src._data.dtype in (dtypes.int8, dtypes.int16, dtypes.int32):
            src = src.long()  # integer sums accumulate in int64, as torch
        return Sum.apply(src, axes=self._axes(dim, axis), keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, *, axis=None, dtype=None, keepdims=False):
        """Mean over all elements, or over ``dim`` (an int or a tuple), keeping the dims with ``keepdim``."""
        keepdim = keepdim or keepdims
        src = self.to(dtype) if dtype is not None else self
        if src._data.dtype.kind not in "fc":
            raise RuntimeError(f"mean(): could not infer output dtype; input dtype is {src.dtype}, use .float() first")
        return Mean.apply(src, axes=self._axes(dim, axis), keepdim=keepdim)

    def _max_min(self, dim, keepdim, axis, largest):
        if isinstance(dim, Tensor):
            return self.maximum(dim) if largest else self.minimum(dim)
        if dim is None and axis is None:
            return MaxAll.apply(self, largest=largest)
        (ax,) = self._axes(dim, axis) or (0,)
        if self._data.ndim == 0:
            return ValuesIndices(self, Tensor._wrap(np.asarray(0)))
        values = MaxDim.apply(self, axis=ax, keepdim=keepdim, largest=largest)
        return ValuesIndices(values, Tensor._wrap(values._ctx.indices if values._ctx else _arg_reduce(
            np.argmax if largest else np.argmin, self, ax, keepdim)._data))

    def max(self, dim=None, keepdim=False, *, axis=None):
        """max() of all elements, or (values, indices) along ``dim``, or the elementwise max with a tensor."""
        return self._max_min(dim, keepdim, axis, True)

    def min(self, dim=None, keepdim=False, *, axis=None):
        """min() of all elements, or (values, indices) along ``dim``, or the elementwise min with a tensor."""
        return self._max_min(dim, keepdim, axis, False)

    def amax(self, dim=None, keepdim=False):
        """Largest values over ``dim`` (int, tuple or None for all); ties share the gradient, as torch."""
        return Amax.apply(self, axes=self._axes(dim) if dim != () else None, keepdim=keepdim, largest=True)

    def amin(self, dim=None, keepdim=False):
        """Smallest values over ``dim`` (int, tuple or None for all); ties share the gradient, as torch."""
        return Amax.apply(self, axes=self._axes(dim) if dim != () else None, keepdim=keepdim, largest=False)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
        """Variance; unbiased (divides by N - 1) by default, as torch."""
        if isinstance(dim, builtins.bool):  # var(False): torch's overload var(unbiased)
            dim, unbiased = None, dim
        if correction is None:
            correction = 0 if unbiased is False else 1
        return Var.apply(_floating(self), axes=self._axes(dim, axis), correction=correction, keepdim=keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
        """Standard deviation; unbiased by default, as torch (see ``var``)."""
        if isinstance(dim, builtins.bool):  # std(False): torch's overload std(unbiased)
            dim, unbiased = None, dim
        if correction is None:
            correction = 0 if unbiased is False else 1
        return Std.apply(_floating(self), axes=self._axes(dim, axis), correction=correction, keepdim=keepdim)

    def logsumexp(self, dim=None, keepdim=False, *, axis=None):
        """``log(sum(exp(x)))`` over ``dim``, computed without overflow."""
        axes = self._axes(dim, axis)
        return LogSumExp.apply(_floating(self), axes=axes, keepdim=keepdim)

    def softmax(self, dim=None, *, axis=None):
        """``exp(x) / sum(exp(x))`` along ``dim``: each slice becomes probabilities."""
        return Softmax.apply(_floating(self), axis=self._one_axis(dim, axis, "softmax"))

    def log_softmax(self, dim=None, *, axis=None):
        """``log(softmax(x))`` along ``dim``, computed stably (pair it with ``nll_loss``)."""
        return LogSoftmax.apply(_floating(self), axis=self._one_axis(dim, axis, "log_softmax"))

    def _one_axis(self, dim, axis, name):
        return arguments.one_dim(dim, self._data.ndim, axis, name)

    # -- scans, norms and statistics ---------------------------------------------------------------
    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """The p-norm over ``dim`` (all elements by default), as ``torch.norm``: ``p`` is a number,
        ``inf``, ``-inf``, ``'fro'`` (the 2-norm of the elements) or ``'nuc'`` (nuclear norm of a matrix)."""
        from chainrule import linalg

        if p == "nuc":
            return linalg.matrix_norm(self, "nuc", dim if dim is not None else (-2, -1), keepdim, dtype=dtype)
        return linalg.vector_norm(self, 2 if p == "fro" or p is None else p, dim, keepdim, dtype=dtype)

    def cumsum(self, dim, *, dtype=None):
        """Running sums along ``dim``."""
        src = self.to(dtype) if dtype is not None else self
        if src._data.dtype.kind in "bu" or src._data.dtype in (dtypes.int8, dtypes.int16, dtypes.int32):
            src = src.long()  # integer sums accumulate in int64, as torch
        (axis,) = self._axes(dim) or (0,)
        return Cumsum.apply(src, axis=axis) if self._data.ndim else src.clone()

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        """The product of all elements, or along ``dim``."""
        src = self.to(dtype) if dtype is not None else self
        if src._data.dtype.kind in "bu" or src._data.dtype in (dtypes.int8, dtypes.int16, dtypes.int32):
            src = src.long()
        axis = None if dim is None or not self._data.ndim else self._axes(dim)[0]
        return Prod.apply(src, axis=axis, keepdim=keepdim and axis is not None)

    def trace(self):
        """The sum of the main diagonal."""
        return self.diagonal().sum()

    def count_nonzero(self, dim=None):
        """The number of non-zero elements (over ``dim`` when given)."""
        return Tensor._wrap(np.asarray(np.count_nonzero(self._data, axis=self._axes(dim)), np.int64))

    def median(self, dim=None, keepdim=False):
        """The lower median (as PyTorch: no averaging for an even count); (values, indices) along ``dim``."""
        if dim is None:
            flat = self.reshape(-1)
            return flat.sort().values[(flat.numel() - 1) // 2]
        axis = self._axes(dim)[0]
        values, indices = self.sort(axis)
        k = (self._data.shape[axis] - 1) // 2
        values, indices = values.narrow(axis, k, 1), indices.narrow(axis, k, 1)
        return ValuesIndices(values if keepdim else values.squeeze(axis), indices if keepdim else indices.squeeze(axis))

    def nansum(self, dim=None, keepdim=False):
        """The sum of the elements, NaN counted as 0."""
        return where(self.isnan(), 0.0, self).sum(dim, keepdim)

    def nanmean(self, dim=None, keepdim=False):
        """The mean of the non-NaN elements."""
        present = (~self.isnan()).sum(dim, keepdim)
        return self.nansum(dim, keepdim) / present

    def bincount(self, weights=None, minlength=0):
        """How often each non-negative int occurs (summing ``weights`` instead when given)."""
        w = None if weights is None else _raw(weights)
        out = np.bincount(self._data, weights=w, minlength=minlength)
        return Tensor._wrap(out.astype(np.int64) if w is None else out.astype(w.dtype if w.dtype.kind == "f" else np.float64))

    def histc(self, bins=100, min=0, max=0):
        """A histogram of ``bins`` equal bins between ``min`` and ``max`` (the data's range when equal)."""
        lo, hi = (builtins.float(self._data.min()), builtins.float(self._data.max())) if min == max else (min, max)
        counts, _ = np.histogram(self._data, bins=bins, range=(lo, hi))
        return Tensor._wrap(counts.astype(self._data.dtype))

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The ``k``-th smallest value along ``dim`` (1-based) and its index."""
        axis = self._axes(dim)[0]
        values, indices = self.sort(axis)
        values, indices = values.narrow(axis, k - 1, 1), indices.narrow(axis, k - 1, 1)
        return ValuesIndices(values if keepdim else values.squeeze(axis), indices if keepdim else indices.squeeze(axis))

    def aminmax(self, *, dim=None, keepdim=False):
        """(min, max) over ``dim`` (all elements by default)."""
        return namedtuple("aminmax", ["min", "max"])(self.amin(dim, keepdim), self.amax(dim, keepdim))

    def dist(self, other, p=2):
        """The p-norm of ``self - other``."""
        return (self - other).norm(p)

