"""Top-level array functions that compose Tensor methods and ops: stacking (``hstack``, ``block_diag``),
broadcasting, grids (``meshgrid``), statistics (``cov``, ``std_mean``, ``cdist``), searching
(``searchsorted``, ``isin``) and index helpers (``tril_indices``).

``chainrule.tensor_functions`` re-exports them; ``import chainrule`` puts them at top level.
"""

from __future__ import annotations

import math

import numpy as np

from chainrule.functions import cat, stack
from chainrule.tensor import Tensor, _as_array

__all__ = [
    "atleast_1d", "atleast_2d", "hstack", "vstack", "dstack", "column_stack", "meshgrid", "broadcast_shapes",
    "broadcast_to", "broadcast_tensors", "logspace", "diff", "cumprod", "std_mean", "var_mean", "cdist", "isin",
    "searchsorted", "bucketize", "tensordot", "randint_like", "scalar_tensor", "tril_indices", "triu_indices", "cov",
    "corrcoef", "atleast_3d", "row_stack", "cartesian_prod", "block_diag", "cosine_similarity", "pairwise_distance",
    "pdist",
]


def _tensors(tensors):
    return [t if isinstance(t, Tensor) else Tensor(_as_array(t)) for t in tensors]


def atleast_1d(*tensors):
    out = [t.reshape(1) if t.ndim == 0 else t for t in _tensors(tensors)]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_2d(*tensors):
    out = [t.reshape(1, -1) if t.ndim < 2 else t for t in _tensors(tensors)]
    return out[0] if len(out) == 1 else tuple(out)


def hstack(tensors) -> Tensor:
    """Join along dimension 1 (dimension 0 for 1-D tensors)."""
    tensors = [atleast_1d(t) for t in _tensors(tensors)]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    return cat([atleast_2d(t) for t in _tensors(tensors)], 0)


def dstack(tensors) -> Tensor:
    ts = [t.reshape(1, -1, 1) if t.ndim == 1 else t.unsqueeze(-1) if t.ndim == 2 else t for t in _tensors(tensors)]
    return cat(ts, 2)


def column_stack(tensors) -> Tensor:
    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in _tensors(tensors)], 1)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids; ``indexing='ij'`` (matrix, PyTorch's default) or ``'xy'`` (Cartesian)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    ts = _tensors(tensors)
    n = len(ts)
    shape = [t.numel() for t in ts]
    if indexing == "xy" and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, t in enumerate(ts):
        axis = i if indexing == "ij" or n < 2 or i > 1 else 1 - i
        view = [1] * n
        view[axis] = t.numel()
        out.append(t.reshape(view).expand(shape))
    return tuple(out)


def broadcast_shapes(*shapes):
    from chainrule.tensor import Size

    try:
        return Size(np.broadcast_shapes(*[tuple(s) if not isinstance(s, int) else (s,) for s in shapes]))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: {list(shapes)}") from None


def broadcast_to(input, size) -> Tensor:
    return input.expand(size)


def broadcast_tensors(*tensors):
    ts = _tensors(tensors)
    shape = broadcast_shapes(*[t.shape for t in ts])
    return tuple(t.expand(shape) for t in ts)


def logspace(start, end, steps, base=10.0, dtype=None, requires_grad=False, device=None) -> Tensor:
    from chainrule.creation import linspace

    return linspace(start, end, steps, dtype=dtype or np.float64, device=device).mul(math.log(base)).exp() \
        .to(dtype or __import__("chainrule").get_default_dtype()).requires_grad_(requires_grad)


def diff(input, n=1, dim=-1) -> Tensor:
    """Differences of neighbours along ``dim``, ``n`` times."""
    out = input
    for _ in range(n):
        size = out.shape[dim]
        out = out.narrow(dim, 1, size - 1) - out.narrow(dim, 0, size - 1)
    return out


def cumprod(input, dim, *, dtype=None) -> Tensor:
    """Running products along ``dim`` (a product per step: exact with zeros, gradients included)."""
    x = input.to(dtype) if dtype is not None else input
    parts = x.unbind(dim)
    acc, out = parts[0], [parts[0]]
    for p in parts[1:]:
        acc = acc * p
        out.append(acc)
    return stack(out, dim)


def std_mean(input, dim=None, *, correction=1, keepdim=False):
    """(std, mean) over ``dim``, as ``torch.std_mean``."""
    return input.std(dim, keepdim=keepdim, correction=correction), input.mean(dim, keepdim=keepdim)


def var_mean(input, dim=None, *, correction=1, keepdim=False):
    """(var, mean) over ``dim``, as ``torch.var_mean``."""
    return input.var(dim, keepdim=keepdim, correction=correction), input.mean(dim, keepdim=keepdim)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """Pairwise p-norm distances between the rows of ``x1`` (*, P, M) and ``x2`` (*, R, M): (*, P, R).

    Batch dimensions broadcast. ``p`` >= 0, including ``inf``; for p = 2 with more than 25 rows on either
    side (or ``compute_mode="use_mm_for_euclid_dist"``) the distances come from one matrix product,
    ``|a|^2 - 2 a.b + |b|^2``, as in PyTorch. Gradients follow PyTorch's: 0 at a zero distance, and for
    p = inf the full gradient to every coordinate that attains the maximum. Memory stays bounded: the
    differences are formed a block of rows at a time.
    """
    from chainrule.ops.distance import CDist

    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got p={p}")
    modes = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")
    if compute_mode not in modes:
        raise ValueError(f"cdist: compute_mode must be one of {modes}, got {compute_mode!r}")
    batch = tuple(np.broadcast_shapes(tuple(x1.shape[:-2]), tuple(x2.shape[:-2])))
    (n, m), r = x1.shape[-2:], x2.shape[-2]
    a = x1.expand(*batch, n, m).reshape(-1, n, m)
    b = x2.expand(*batch, r, m).reshape(-1, r, m)
    if a.dtype != b.dtype:
        common = np.result_type(a._data, b._data)
        a, b = a.to(common), b.to(common)
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist"
                         or (compute_mode == "use_mm_for_euclid_dist_if_necessary" and (n > 25 or r > 25)))
    return CDist.apply(a, b, p=float(p), use_mm=use_mm).reshape(*batch, n, r)


def cosine_similarity(x1, x2, dim=1, eps=1e-8) -> Tensor:
    """``torch.cosine_similarity``: see ``nn.functional.cosine_similarity``."""
    from chainrule.nn.functional import cosine_similarity as f

    return f(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False) -> Tensor:
    """``torch.pairwise_distance``: see ``nn.functional.pairwise_distance``."""
    from chainrule.nn.functional import pairwise_distance as f

    return f(x1, x2, p, eps, keepdim)


def pdist(input, p=2.0) -> Tensor:
    """``torch.pdist``: see ``nn.functional.pdist``."""
    from chainrule.nn.functional import pdist as f

    return f(input, p)


def isin(elements, test_elements, *, assume_unique=False, invert=False) -> Tensor:
    e = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    t = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return Tensor._wrap(np.isin(e, t, invert=invert))


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None) -> Tensor:
    """Indices where ``values`` would be inserted to keep each row of ``sorted_sequence`` sorted."""
    side = side or ("right" if right else "left")
    seq = sorted_sequence._data
    vals = values._data if isinstance(values, Tensor) else np.asarray(values)
    if seq.ndim == 1:
        out = np.searchsorted(seq, vals, side=side)
    else:
        out = np.stack([np.searchsorted(s, v, side=side) for s, v in zip(seq.reshape(-1, seq.shape[-1]),
                                                                        vals.reshape(-1, vals.shape[-1]))])
        out = out.reshape(vals.shape)
    return Tensor._wrap(out.astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False) -> Tensor:
    """The bucket of each value: ``boundaries[i-1] < x <= boundaries[i]`` (``right=True``: ``<=`` on the left)."""
    x = input._data if isinstance(input, Tensor) else np.asarray(input)
    out = np.searchsorted(boundaries._data, x, side="right" if right else "left")
    return Tensor._wrap(np.asarray(out, np.int32 if out_int32 else np.int64))


def tensordot(a, b, dims=2) -> Tensor:
    """Contract the last ``dims`` dimensions of ``a`` with the first ``dims`` of ``b`` (or given lists)."""
    import string

    from chainrule.arith import einsum

    if isinstance(dims, int):
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = [list(d) if isinstance(d, (list, tuple)) else [d] for d in dims]
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(da, db):
        sb[j] = sa[i]
    out = [c for i, c in enumerate(sa) if i not in [d % a.ndim for d in da]] + \
          [c for j, c in enumerate(sb) if j not in [d % b.ndim for d in db]]
    return einsum(f"{''.join(sa)},{''.join(sb)}->{''.join(out)}", a, b)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    """Random integers of ``input``'s shape (and dtype unless given)."""
    from chainrule.creation import randint

    return randint(low, high, tuple(input.shape), generator=generator, device=device).to(dtype or input.dtype)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A 0-d tensor holding ``s`` (the default float dtype unless given)."""
    from chainrule.creation import tensor

    return tensor(float(s), dtype=dtype, device=device, requires_grad=requires_grad)


def tril_indices(row, col, offset=0, *, dtype=None, device=None) -> Tensor:
    """The (row, column) indices of the lower triangle, as a 2 x N tensor."""
    return Tensor._wrap(np.stack(np.tril_indices(row, offset, col)).astype(dtype or np.int64))


def triu_indices(row, col, offset=0, *, dtype=None, device=None) -> Tensor:
    """The (row, column) indices of the upper triangle, as a 2 x N tensor."""
    return Tensor._wrap(np.stack(np.triu_indices(row, offset, col)).astype(dtype or np.int64))


def cov(input, *, correction=1, fweights=None, aweights=None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (observations in columns)."""
    if fweights is not None or aweights is not None:
        raise NotImplementedError("cov: fweights and aweights are not supported")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    centred = x - x.mean(1, keepdim=True)
    out = centred @ centred.t() / (x.shape[1] - correction)
    return out if input.ndim == 2 else out.reshape(())


def corrcoef(input) -> Tensor:
    """Pearson correlation coefficients of the variables in the rows of ``input``."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal().sqrt()
    return c / (d.unsqueeze(1) * d.unsqueeze(0))


def atleast_3d(*tensors):
    out = []
    for t in _tensors(tensors):
        out.append(t.reshape(1, 1, 1) if t.ndim == 0 else t.reshape(1, -1, 1) if t.ndim == 1 else
                   t.unsqueeze(-1) if t.ndim == 2 else t)
    return out[0] if len(out) == 1 else tuple(out)


row_stack = vstack


def cartesian_prod(*tensors) -> Tensor:
    """Every combination of one element from each 1-D tensor, one per row."""
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1) if len(grids) > 1 else grids[0]


def block_diag(*tensors) -> Tensor:
    """The tensors (matrices, vectors or numbers) along the diagonal of one block matrix."""
    ts = [t.reshape(1, -1) if t.ndim < 2 else t for t in _tensors(tensors)]
    cols = sum(t.shape[1] for t in ts)
    rows, start = [], 0
    for t in ts:
        left = Tensor._wrap(np.zeros((t.shape[0], start), t.dtype))
        right = Tensor._wrap(np.zeros((t.shape[0], cols - start - t.shape[1]), t.dtype))
        rows.append(cat([left, t, right], 1))
        start += t.shape[1]
    return cat(rows, 0)
