"""Indexing: ``t[...]`` with slices, integers, integer arrays and boolean masks."""

from __future__ import annotations

import numpy as np

from chainrule.autograd.op import Op


def is_basic_index(index) -> bool:
    """True when ``index`` selects a view (no integer arrays or masks): every element at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


class GetItem(Op):
    def forward(ctx, a, index):
        ctx.shape, ctx.dtype, ctx.index = a.shape, a.dtype, index
        try:
            return a[index]
        except IndexError as e:  # NumPy says "axis"; say it in PyTorch's words, with the shape
            raise IndexError(f"{str(e).replace('axis', 'dimension')} (indexing a tensor of shape {tuple(a.shape)})") from None

    def backward(ctx, grad):
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        index = ctx.index
        if is_basic_index(index) or _is_mask(index):
            out[index] = grad  # each element is picked at most once
        else:
            np.add.at(out, index, grad)  # an index may repeat: its gradients add up
        return out


def _is_mask(index) -> bool:
    return isinstance(index, np.ndarray) and index.dtype == np.bool_


def one_hot(indices: np.ndarray, num_classes: int = -1) -> np.ndarray:
    """One-hot encode an integer array into a new trailing axis of length ``num_classes``."""
    if indices.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot is only applicable to index tensors (integers), got dtype {indices.dtype}")
    if num_classes == -1:
        num_classes = int(indices.max()) + 1 if indices.size else 0
    if indices.size and (indices.min() < 0 or indices.max() >= num_classes):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise RuntimeError(f"one_hot: class value {int(bad)} is outside [0, {num_classes})")
    out = np.zeros(indices.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, indices[..., None].astype(np.intp), 1, axis=-1)
    return out
