"""Exact k-nearest-neighbour search over a table of vectors, a block at a time.

``nearest(query, table, k)`` scores every query against every row of the table, but never all at once:
queries go in batches of ``_QUERY_BATCH`` and the table in chunks of rows sized so that one
(batch x chunk) block of scores holds at most ``block`` numbers (2**21 by default). The first block of
a query batch gives the k best per query (``np.argpartition``, linear time); every later block is
compared once with the current k-th best and only the few scores that beat it are merged in. So the
working memory is about ``block * (itemsize + 9)`` bytes (the scores, argpartition's int64 positions and
a boolean mask) plus a converted table chunk and the k-best lists, whatever the table's size: about
30 MiB for float32 with the default block, for a 1,000,000-row table as for a 1,000-row one.

Ties: equal scores are ranked by table index, the lower index first, everywhere (inside a block, at
the k-th place, and across blocks), so the result is a function of the scores alone.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

METRICS = ("cosine", "dot", "euclidean")
_QUERY_BATCH = 256
_EPS = 1e-8  # a vector shorter than this counts as having this length (as cosine_similarity's eps)


class Neighbors(NamedTuple):
    """The result of ``nearest``: ``values`` (similarities for cosine/dot, distances for euclidean) and
    ``indices`` (table rows), both (Q, k), best first; (k,) for a single 1-D query."""

    values: object
    indices: object


def _array(x, name):
    from chainrule.tensor import Tensor

    a = x.detach()._data if isinstance(x, Tensor) else np.asarray(x)
    if a.dtype.kind not in "fiub":
        raise TypeError(f"nearest: {name} must hold numbers, got dtype {a.dtype}")
    return a


def _best(key, k, idx=None):
    """Per row the positions of the k smallest ``key``, sorted, ties by smaller ``idx`` (default: position)."""
    c = key.shape[1]
    if k < c:
        part = np.argpartition(key, k - 1, axis=1)[:, :k]
        thr = np.take_along_axis(key, part, 1).max(1)
        # a row with more than k entries <= its k-th value has a tie at the k-th place: argpartition chose
        # among the tied ones arbitrarily, so choose again by index (rare in real data, exact always)
        for r in np.flatnonzero(np.count_nonzero(key <= thr[:, None], axis=1) > k):
            cand = np.flatnonzero(key[r] <= thr[r])
            tie = cand if idx is None else idx[r, cand]
            part[r] = cand[np.lexsort((tie, key[r, cand]))[:k]]
    else:
        part = np.broadcast_to(np.arange(c), key.shape)
    tie = part if idx is None else np.take_along_axis(idx, part, 1)
    order = np.lexsort((tie, np.take_along_axis(key, part, 1)), axis=1)
    return np.take_along_axis(part, order, 1)


def _merge(best_key, best_idx, key, c0):
    """Merge a block of keys for rows c0.. into the sorted k-best lists.

    Only keys strictly below a query's current k-th key can enter (an equal one comes from a later row,
    so it loses the tie), and after the first block there are few of them: one comparison pass over the
    block finds them, and a sort of the candidates alone merges them in.
    """
    nq, k = best_key.shape
    r, c = np.nonzero(key < best_key[:, -1:])
    if r.size == 0:
        return best_key, best_idx
    keys = np.concatenate([best_key.ravel(), key[r, c]])
    idxs = np.concatenate([best_idx.ravel(), c + c0])
    rows = np.concatenate([np.repeat(np.arange(nq), k), r])
    order = np.lexsort((idxs, keys, rows))
    counts = np.bincount(rows, minlength=nq)
    sel = order[((np.cumsum(counts) - counts)[:, None] + np.arange(k)).ravel()]
    return keys[sel].reshape(nq, k), idxs[sel].reshape(nq, k)


def nearest(query, table, k: int = 10, metric: str = "cosine", block: int = 1 << 21) -> Neighbors:
    """The ``k`` rows of ``table`` nearest to each query, exactly (every row is scored).

    Args:
        query: (d,) or (Q, d) vectors (a Tensor or anything NumPy reads).
        table: (N, d) vectors to search.
        k (int): how many neighbours, 1 <= k <= N.
        metric (str): 'cosine' (cosine similarity, larger is nearer; a zero vector scores 0),
            'dot' (dot product, larger is nearer) or 'euclidean' (distance, smaller is nearer, computed
            as ``sqrt(max(|q|^2 - 2 q.t + |t|^2, 0))`` and ranked by its square).
        block (int): at most this many scores exist at once (sets the memory bound, see the module).

    Returns:
        ``Neighbors(values, indices)`` of chainrule Tensors, (Q, k) each ((k,) for a 1-D query), best first;
        equal scores come in table order. Computed in float32 when both inputs are float32, else float64.

    >>> table = chainrule.tensor([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]])
    >>> nearest(chainrule.tensor([1.0, 0.1]), table, k=2).indices
    tensor([0, 2])
    """
    from chainrule.tensor import Tensor

    if metric not in METRICS:
        raise ValueError(f"nearest: metric must be one of {METRICS}, got {metric!r}")
    q, t = _array(query, "query"), _array(table, "table")
    if t.ndim != 2:
        raise ValueError(f"nearest: table must be 2-D (rows, dim), got shape {t.shape}")
    if t.shape[0] == 0:
        raise ValueError(f"nearest: the table is empty (shape {t.shape}); there is nothing to search")
    single = q.ndim == 1
    if single:
        q = q[None]
    if q.ndim != 2:
        raise ValueError(f"nearest: query must be 1-D (dim,) or 2-D (queries, dim), got shape {q.shape}")
    if q.shape[1] != t.shape[1]:
        raise ValueError(f"nearest: query has dimension {q.shape[1]} but the table's rows have {t.shape[1]}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= t.shape[0]:
        raise ValueError(f"nearest: k must be an integer from 1 to the table's {t.shape[0]} rows, got {k!r}")
    k = int(k)
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or block < 1:
        raise ValueError(f"nearest: block must be a positive integer (scores held at once), got {block!r}")
    dtype = np.float32 if q.dtype == np.float32 and t.dtype == np.float32 else np.float64
    q = q.astype(dtype, copy=False)  # the table is converted a chunk at a time (no copy of it all)
    if not np.isfinite(q).all():
        bad = int(np.flatnonzero(~np.isfinite(q).all(1))[0])
        raise ValueError(f"nearest: query {bad} contains NaN or inf")
    nq, n = q.shape[0], t.shape[0]
    values = np.empty((nq, k), dtype)
    indices = np.empty((nq, k), np.int64)
    qb = max(1, min(nq, _QUERY_BATCH))
    chunk = max(k, block // qb)
    for q0 in range(0, nq, qb):
        qs = q[q0:q0 + qb]
        # every score becomes a key, smaller is nearer; the sign and the 2 are folded into the query
        # (scaling by -1 or -2 is exact, so the keys are bit for bit the scores' negatives/doubles)
        qk = qs * (-2 if metric == "euclidean" else -1)
        if metric == "cosine":
            qnorm = np.maximum(np.sqrt(np.einsum("ij,ij->i", qs, qs)), _EPS)[:, None]
        best_key = best_idx = None
        for c0 in range(0, n, chunk):
            ts = t[c0:c0 + chunk].astype(dtype, copy=False)
            with np.errstate(invalid="ignore", over="ignore"):  # a NaN/inf row is reported just below
                key = qk @ ts.T
                if metric != "dot":
                    sq = np.einsum("ij,ij->i", ts, ts)
                    if metric == "cosine":  # -(q . t) / |q| / |t|: exact dot products stay exact up to two divisions
                        key /= qnorm
                        key /= np.maximum(np.sqrt(sq), _EPS)
                    else:  # |t|^2 - 2 q.t: the squared distance less |q|^2, which is the same for every row
                        key += sq
            if not np.isfinite(key).all():
                rows = np.flatnonzero(~np.isfinite(ts).all(1))
                what = (f"table row {c0 + int(rows[0])} contains NaN or inf" if rows.size else
                        f"a score against table rows {c0}..{c0 + len(ts) - 1} overflowed "
                        f"(values too large for {np.dtype(dtype).name})")
                raise ValueError(f"nearest: {what}")
            if best_key is None:
                pos = _best(key, min(k, key.shape[1]))
                best_key, best_idx = np.take_along_axis(key, pos, 1), pos + c0
            else:
                best_key, best_idx = _merge(best_key, best_idx, key, c0)
        if metric == "euclidean":
            qq = np.einsum("ij,ij->i", qs, qs)[:, None]  # for the distance: |q|^2 + |t|^2 - 2 q.t
            values[q0:q0 + qb] = np.sqrt(np.maximum(best_key + qq, 0))
        else:
            values[q0:q0 + qb] = -best_key
        indices[q0:q0 + qb] = best_idx
    if single:
        values, indices = values[0], indices[0]
    return Neighbors(Tensor._wrap(values), Tensor._wrap(indices))
