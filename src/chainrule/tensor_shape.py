"""Tensor methods that reshape and index: ``reshape``/``view``, ``permute``, ``squeeze``, ``split``,
``flip``, ``repeat``, ``tril``, ``gather``, ``masked_fill``, ``scatter`` ...

``Tensor`` (chainrule/tensor.py) inherits them from ``ShapeMethods``; they live in this file only to keep
each file short enough to read. Every method is still documented as ``help(chainrule.Tensor.<name>)``.
"""

from __future__ import annotations

import builtins

import numpy as np

from chainrule.arguments import shape as _shape_arg
from chainrule.ops.math import Flip, Gather, IndexAdd, Roll, Scatter
from chainrule.ops.shape import Expand, Permute, Reshape
from chainrule.tensor_helpers import _as_array, _raw, where

Tensor = None  # the Tensor class, handed over by chainrule.tensor once it exists (as to the ops; see its end)


class ShapeMethods:
    """Shape, reordering, gathering and scattering methods of ``Tensor``."""

    __slots__ = ()  # Tensor's instances keep no __dict__

    # -- shape -------------------------------------------------------------------------------------
    def reshape(self, *shape):
        """The same values in a new shape (``-1`` infers one size); ``view`` is the same."""
        shape = _shape_arg(shape)
        try:
            return Reshape.apply(self, shape=shape)
        except ValueError:
            raise RuntimeError(f"shape {list(shape)} is invalid for input of size {self._data.size} (shape {tuple(self.shape)})") from None

    view = reshape

    def view_as(self, other):
        """``reshape`` to ``other``'s shape (``reshape_as`` is the same)."""
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim=0, end_dim=-1):
        """Dimensions ``start_dim`` to ``end_dim`` merged into one (all of them by default)."""
        shape = self._data.shape
        if not shape:
            return self.reshape(1)
        s, e = start_dim % len(shape), end_dim % len(shape)
        return self.reshape(shape[:s] + (-1 if self._data.size else builtins.int(np.prod(shape[s:e + 1])),) + shape[e + 1:])

    def unflatten(self, dim, sizes):
        """Dimension ``dim`` split into ``sizes``."""
        shape = self._data.shape
        d = dim % len(shape)
        return self.reshape(shape[:d] + tuple(sizes) + shape[d + 1:])

    def permute(self, *dims):
        """The dimensions reordered: ``x.permute(2, 0, 1)``."""
        dims = _shape_arg(dims)
        nd = self._data.ndim
        if len(dims) != nd or sorted(d % builtins.max(nd, 1) for d in dims) != list(range(nd)):
            raise RuntimeError(f"permute(dims={list(dims)}): expected a permutation of {nd} dims for shape {tuple(self.shape)}")
        return Permute.apply(self, dims=tuple(d % nd for d in dims))

    def transpose(self, dim0, dim1):
        """Dimensions ``dim0`` and ``dim1`` swapped (``swapaxes`` is the same)."""
        nd = self._data.ndim
        (dim0, dim1) = self._axes((dim0, dim1)) or (0, 0)  # validates: IndexError naming the range
        if nd < 2:
            return self
        dims = list(range(nd))
        dims[dim0 % nd], dims[dim1 % nd] = dims[dim1 % nd], dims[dim0 % nd]
        return Permute.apply(self, dims=tuple(dims))

    swapaxes = transpose

    def t(self):
        """The transpose of a matrix (dims 0 and 1 swapped)."""
        return self.transpose(0, 1)

    def squeeze(self, dim=None):
        """Dimensions of size 1 removed (all of them, or only ``dim``)."""
        shape = self._data.shape
        if dim is None:
            new = tuple(n for n in shape if n != 1)
        else:
            axes = self._axes(dim)
            new = tuple(n for i, n in enumerate(shape) if not (i in axes and n == 1))
        return self if new == shape else self.reshape(new)

    def unsqueeze(self, dim):
        """A new dimension of size 1 inserted at ``dim``."""
        nd = self._data.ndim + 1
        if not -nd <= dim < nd:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
        shape = list(self._data.shape)
        shape.insert(dim % nd, 1)
        return self.reshape(tuple(shape))

    def expand(self, *sizes):
        """A broadcast view to ``sizes`` (``-1`` keeps a size); gradients sum back."""
        sizes = _shape_arg(sizes)
        shape = self._data.shape
        lead = len(sizes) - len(shape)
        target = tuple(shape[i - lead] if (n == -1 and i >= lead) else n for i, n in enumerate(sizes))
        try:
            np.broadcast_shapes(shape, target)
        except ValueError:
            raise RuntimeError(f"expand: cannot expand shape {tuple(shape)} to {tuple(sizes)}") from None
        return Expand.apply(self, shape=target)

    def expand_as(self, other):
        """``expand`` to ``other``'s shape."""
        return self.expand(other.shape)

    def split(self, split_size_or_sections, dim=0):
        """Pieces along ``dim``: of size ``split_size`` each (the last may be smaller), or of the given sizes."""
        n = self._data.shape[dim]
        if isinstance(split_size_or_sections, (builtins.int, np.integer)):
            step = builtins.int(split_size_or_sections)
            sizes = [builtins.min(step, n - i) for i in range(0, n, step)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise RuntimeError(f"split: sizes {sizes} must add up to {n}, the size of dim {dim}")
        return tuple(self.narrow(dim, start, size) for start, size in zip(np.cumsum([0] + sizes[:-1]), sizes))

    def chunk(self, chunks, dim=0):
        """``chunks`` pieces of (nearly) equal size along ``dim``."""
        n = self._data.shape[dim]
        return self.split(builtins.max(1, -(-n // chunks)), dim)

    def narrow(self, dim, start, length):
        """Elements ``start`` to ``start + length`` along ``dim``."""
        index = [slice(None)] * self._data.ndim
        index[dim] = slice(builtins.int(start), builtins.int(start) + builtins.int(length))
        return self[tuple(index)]

    def unbind(self, dim=0):
        """The slices along ``dim``, as a tuple of tensors with one dimension fewer."""
        axis = self._axes(dim)[0]
        return tuple(self[(slice(None),) * axis + (i,)] for i in range(self._data.shape[axis]))

    def movedim(self, source, destination):
        """Move dimension(s) ``source`` to position(s) ``destination``."""
        src, dst = self._axes(source), self._axes(destination)
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                               f"contain the same number of dims as destination ({list(dst)} dims)")
        order = [d for d in range(self._data.ndim) if d not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return self.permute(*order)

    moveaxis = movedim

    def ravel(self):
        """The elements as a 1-D tensor."""
        return self.reshape(-1)

    swapdims = swapaxes

    def tensor_split(self, indices_or_sections, dim=0):
        """Split into ``n`` nearly equal parts, or at the given indices, along ``dim``."""
        axis = self._axes(dim)[0]
        n = self._data.shape[axis]
        if isinstance(indices_or_sections, (builtins.int, np.integer)):
            k = builtins.int(indices_or_sections)
            sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        else:
            bounds = [0] + [builtins.min(builtins.max(builtins.int(i), 0), n) for i in indices_or_sections] + [n]
            sizes = [builtins.max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]
        starts = np.cumsum([0] + sizes[:-1])
        return tuple(self.narrow(axis, builtins.int(s), builtins.int(z)) for s, z in zip(starts, sizes))

    def split_with_sizes(self, split_sizes, dim=0):
        """Split along ``dim`` into pieces of the given sizes."""
        return self.split(list(split_sizes), dim)

    def vsplit(self, sections):
        """``tensor_split`` along dimension 0."""
        return self.tensor_split(sections, 0)

    def hsplit(self, sections):
        """``tensor_split`` along dimension 1 (0 for 1-D tensors)."""
        return self.tensor_split(sections, 1 if self._data.ndim > 1 else 0)

    # -- reordering and repeating ------------------------------------------------------------------
    def flip(self, *dims):
        """Reverse the order of elements along ``dims``."""
        return Flip.apply(self, axes=self._axes(_shape_arg(dims)))

    def fliplr(self):
        """Reverse the columns (dimension 1)."""
        return self.flip(1)

    def flipud(self):
        """Reverse the rows (dimension 0)."""
        return self.flip(0)

    def roll(self, shifts, dims=None):
        """Shift elements along ``dims`` by ``shifts``, wrapping around."""
        axes = None if dims is None else self._axes(dims)
        if isinstance(shifts, (list, tuple)):
            shifts = tuple(builtins.int(s) for s in shifts)
        return Roll.apply(self, shifts=shifts, axes=axes if axes is None or len(axes) > 1 else axes[0])

    def repeat(self, *sizes):
        """Tile the tensor ``sizes[i]`` times along each dimension (new leading dimensions allowed)."""
        sizes = _shape_arg(sizes)
        if len(sizes) < self._data.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions "
                               f"of tensor (repeat dims {list(sizes)}, tensor of {self._data.ndim} dims)")
        shape = (1,) * (len(sizes) - self._data.ndim) + self._data.shape
        x = self.reshape(tuple(n for s in shape for n in (1, s)))
        x = x.expand(tuple(n for r, s in zip(sizes, shape) for n in (r, s)))
        return x.reshape(tuple(r * s for r, s in zip(sizes, shape)))

    def tile(self, *dims):
        """Repeat the tensor ``dims`` times per dimension (missing leading dims count as 1)."""
        dims = _shape_arg(dims)
        return self.repeat((1,) * (self._data.ndim - len(dims)) + dims)

    def repeat_interleave(self, repeats, dim=None):
        """Repeat each element ``repeats`` times (along ``dim``, or over the flattened tensor)."""
        src = self.reshape(-1) if dim is None else self
        axis = 0 if dim is None else self._axes(dim)[0]
        counts = np.broadcast_to(np.asarray(_raw(repeats)), (src.shape[axis],))
        return src.index_select(axis, Tensor._wrap(np.repeat(np.arange(src.shape[axis]), counts)))

    def rot90(self, k=1, dims=(0, 1)):
        """Rotate by 90 degrees ``k`` times, from the first towards the second of ``dims``."""
        k %= 4
        d0, d1 = dims
        if k == 1:
            return self.flip(d1).transpose(d0, d1)
        if k == 2:
            return self.flip(d0, d1)
        if k == 3:
            return self.transpose(d0, d1).flip(d1)
        return self

    # -- triangles and diagonals -------------------------------------------------------------------
    def tril(self, diagonal=0):
        """The lower triangle (below and on diagonal ``diagonal``); the rest 0."""
        return self * Tensor._wrap(np.tril(np.ones(self._data.shape[-2:], self._data.dtype), diagonal))

    def triu(self, diagonal=0):
        """The upper triangle (above and on diagonal ``diagonal``); the rest 0."""
        return self * Tensor._wrap(np.triu(np.ones(self._data.shape[-2:], self._data.dtype), diagonal))

    def diag(self, diagonal=0):
        """A 1-D tensor's values on a diagonal of a new square matrix, or a matrix's diagonal."""
        if self._data.ndim == 1:
            from chainrule.functions import cat

            k = abs(diagonal)
            n = self._data.shape[0] + k
            padded = cat([self, Tensor._wrap(np.zeros(k, self._data.dtype))]) if k else self
            # row r holds x[r] on diagonal k >= 0 (column r + k); column c holds x[c] below it
            spread = padded.unsqueeze(1) if diagonal >= 0 else padded.unsqueeze(0)
            return spread * Tensor._wrap(np.eye(n, dtype=self._data.dtype, k=diagonal))
        if self._data.ndim == 2:
            return self.diagonal(diagonal)
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self._data.ndim}D")

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal (``offset`` above it when positive) of the ``dim1``/``dim2`` planes (a copy)."""
        rows, cols = self._data.shape[dim1], self._data.shape[dim2]
        i = np.arange(max(0, -offset), min(rows, cols - offset))
        index = [slice(None)] * self._data.ndim
        index[dim1], index[dim2] = i, i + offset
        out = self[tuple(index)]
        return out if dim1 == 0 and dim2 == 1 or out.ndim == 1 else out.movedim(0, -1)

    def fill_diagonal_(self, fill_value, wrap=False):
        """Set the main diagonal to ``fill_value``, in place."""
        self._check_inplace()
        np.fill_diagonal(self._data, fill_value, wrap=wrap)
        return self

    # -- gathering, selecting and masking ----------------------------------------------------------
    def masked_fill(self, mask, value):
        """A copy with ``value`` where ``mask`` is true."""
        return where(mask, value, self)

    def gather(self, dim, index):
        """Values along ``dim`` at ``index`` (int64, same number of dimensions), as ``torch.gather``."""
        idx = _raw(index)
        if idx.dtype.kind not in "iu":
            raise RuntimeError(f"gather(): Expected dtype int64 for index, got {idx.dtype}")
        if idx.ndim != self._data.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
        return Gather.apply(self, idx, axis=self._axes(dim)[0])

    def take_along_dim(self, indices, dim=None):
        """Values at ``indices`` along ``dim`` (over the flattened tensor when ``dim`` is None)."""
        if dim is None:
            return self.reshape(-1).gather(0, indices.reshape(-1))
        return self.gather(dim, indices)

    def index_select(self, dim, index):
        """The entries at ``index`` along ``dim`` (a copy)."""
        axis = self._axes(dim)[0]
        return self[(slice(None),) * axis + (_raw(index),)]

    def masked_select(self, mask):
        """The elements where ``mask`` is true, as a 1-D tensor."""
        m = _raw(mask)
        x = self.expand(np.broadcast_shapes(self._data.shape, m.shape)) if m.shape != self._data.shape else self
        return x[np.broadcast_to(m, x._data.shape)]

    def masked_fill_(self, mask, value):
        """Set the elements where ``mask`` is true to ``value``, in place."""
        self._check_inplace()
        self._data[np.broadcast_to(_raw(mask), self._data.shape)] = _raw(value)
        return self

    def select(self, dim, index):
        """The slice at ``index`` of dimension ``dim`` (one dimension fewer), a view."""
        axis = self._axes(dim)[0]
        return self[(slice(None),) * axis + (builtins.int(index),)]

    def take(self, index):
        """The elements at ``index`` of the flattened tensor (shaped like ``index``)."""
        return self.reshape(-1)[_raw(index)]

    # -- scattering --------------------------------------------------------------------------------
    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        """In place: ``self[i][index[i][j]] = src[i][j]`` along ``dim`` (``src`` a tensor or ``value``)."""
        self._check_inplace(src)
        axis, idx = self._axes(dim)[0], _raw(index)
        vals = src if src is not None else value
        vals = np.broadcast_to(_raw(vals), idx.shape) if np.ndim(_raw(vals)) == 0 else \
            _raw(vals)[tuple(slice(0, n) for n in idx.shape)]
        target = [np.arange(n).reshape([-1 if d == i else 1 for d in range(idx.ndim)]) for i, n in enumerate(idx.shape)]
        target[axis] = idx
        if reduce == "add":
            np.add.at(self._data, tuple(target), vals)
        elif reduce == "multiply":
            np.multiply.at(self._data, tuple(target), vals)
        else:
            self._data[tuple(target)] = vals
        return self

    def scatter_add_(self, dim, index, src):
        """Add ``src`` into the places ``index`` names along ``dim``, in place."""
        return self.scatter_(dim, index, src, reduce="add")

    def index_fill_(self, dim, index, value):
        """Fill the entries at ``index`` along ``dim`` with ``value``, in place."""
        self._check_inplace()
        self._data[(slice(None),) * self._axes(dim)[0] + (_raw(index),)] = _raw(value)
        return self

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        """A copy with ``src`` (or ``value``) written at ``index`` along ``dim``; differentiable in both."""
        if reduce is not None:
            return self.clone().scatter_(dim, index, src, value=value, reduce=reduce)
        if src is None or not isinstance(src, Tensor):
            v = value if src is None else src
            src = Tensor._wrap(np.full(_raw(index).shape, v, self._data.dtype))
        a, s = self._operands(src, broadcast=False)
        return Scatter.apply(a, s, _raw(index), axis=self._axes(dim)[0], add=False)

    def scatter_add(self, dim, index, src):
        """A copy with ``src`` added at ``index`` along ``dim`` (repeated indices add up); differentiable."""
        a, s = self._operands(src, broadcast=False)
        return Scatter.apply(a, s, _raw(index), axis=self._axes(dim)[0], add=True)

    def index_add(self, dim, index, source, *, alpha=1):
        """A copy with ``alpha * source`` added at the positions ``index`` of dimension ``dim``."""
        a, s = self._operands(source, broadcast=False)
        return IndexAdd.apply(a, s, _raw(index), axis=self._axes(dim)[0], alpha=alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        """In-place ``index_add``."""
        source = source.detach() if isinstance(source, Tensor) else Tensor(_as_array(source))
        return self._apply_inplace(self.detach().index_add(dim, index, source, alpha=alpha))

