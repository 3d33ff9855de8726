"""``EmbeddingBag``: look up bags of ids and reduce each bag to one vector (sum, mean or max).

A bag of words, the items a user rated, the tags of a photo: ``EmbeddingBag`` turns a variable number of
ids into one vector without building the (bags, ids, dim) tensor that ``Embedding`` followed by a
reduction would need.
"""

from __future__ import annotations

import numpy as np

from chainrule.nn.embedding import _init_table, _reset_table
from chainrule.nn.module import Module
from chainrule.tensor import Tensor

_MODES = ("sum", "mean", "max")


def _raw(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None) -> Tensor:
    """Sums, means or maxima of bags of rows of ``weight``, as ``torch.nn.functional.embedding_bag``.

    Args:
        input (Tensor): integer ids; 2-D (B, N) means B bags of N ids each (``offsets`` must be None);
            1-D means one flat list cut into bags by ``offsets``.
        weight (Tensor): the table, (num_embeddings, embedding_dim).
        offsets (Tensor, optional): 1-D start of each bag in a 1-D ``input`` (the first must be 0).
        max_norm (float, optional): looked-up rows with a larger ``norm_type``-norm are rescaled in place.
        scale_grad_by_freq (bool): divide each id's gradient by how often it occurs in ``input``.
        mode (str): 'sum', 'mean' or 'max'. Default 'mean'.
        per_sample_weights (Tensor, optional): one weight per id, multiplied in before the sum ('sum' only).
        include_last_offset (bool): ``offsets`` has B + 1 entries, the last one the end of the last bag.
        padding_idx (int, optional): this id is skipped (not counted in a mean); its row gets no gradient.

    An empty bag gives a row of zeros. Shape: (B, embedding_dim).
    """
    if mode not in _MODES:
        raise ValueError(f"embedding_bag: mode must be one of {_MODES}, got {mode!r}")
    if scale_grad_by_freq and mode == "max":
        raise NotImplementedError("embedding_bag: scale_grad_by_freq=True is not supported with mode='max' "
                                  "(PyTorch does not support it either)")
    idx = _raw(input)
    num = weight.shape[0]
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding_bag: expected integer ids (torch.long), got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = int(idx.min()) if idx.min() < 0 else int(idx.max())
        raise IndexError(f"embedding_bag: id {bad} is out of range for a table of num_embeddings={num} "
                         f"(valid ids are 0 to {num - 1})")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: if input is 2-D (bags, ids), offsets has to be None; "
                             f"got offsets of shape {tuple(_raw(offsets).shape)}")
        b, n = idx.shape
        starts = np.arange(b, dtype=np.int64) * n
        ends = starts + n
        psw = None if per_sample_weights is None else per_sample_weights.reshape(-1)
        idx = idx.reshape(-1)
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("embedding_bag: offsets has to be a 1-D tensor when input is 1-D, got None")
        off = _raw(offsets)
        if off.size and off.dtype.kind not in "iu":  # 0.5 would silently become 0
            raise TypeError(f"embedding_bag: expected integer offsets (torch.long), got dtype {off.dtype}")
        off = off.astype(np.int64)
        if off.ndim != 1:
            raise ValueError(f"embedding_bag: offsets has to be a 1-D tensor, got {off.ndim}-D")
        if off.size and off[0] != 0:
            raise ValueError(f"embedding_bag: offsets[0] has to be 0 (the first bag starts at the first id), "
                             f"got {int(off[0])}")
        if off.size and (np.any(np.diff(off) < 0) or off[-1] > idx.size):
            raise ValueError(f"embedding_bag: offsets must be non-decreasing and at most len(input)={idx.size}, "
                             f"got {off.tolist()}")
        if include_last_offset:
            if off.size == 0:
                raise ValueError("embedding_bag: include_last_offset=True needs at least one offset")
            starts, ends = off[:-1], off[1:]
        else:
            starts, ends = off, np.append(off[1:], idx.size).astype(np.int64)
        psw = per_sample_weights
    else:
        raise ValueError(f"embedding_bag: input has to be 1-D or 2-D, got {idx.ndim}-D")
    if psw is not None:
        if mode != "sum":
            raise NotImplementedError("embedding_bag: per_sample_weights is only supported for mode='sum', "
                                      f"got mode={mode!r}")
        if tuple(psw.shape) != (idx.size,):
            raise ValueError(f"embedding_bag: per_sample_weights must have the shape of input ({idx.size} ids), "
                             f"got {tuple(psw.shape)}")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding_bag: padding_idx must be within num_embeddings={num}, got {padding_idx}")
        padding_idx %= num
    if max_norm is not None:
        from chainrule.nn.functional import _embedding_renorm

        _embedding_renorm(weight._data, idx, max_norm, norm_type)
    from chainrule.ops.distance import EmbeddingBag as Op

    return Op.apply(weight, psw, indices=idx, starts=np.asarray(starts, np.int64), ends=np.asarray(ends, np.int64),
                    mode=mode, padding_idx=padding_idx, scale_grad_by_freq=bool(scale_grad_by_freq))


class EmbeddingBag(Module):
    """A table of vectors looked up by bags of ids, each bag reduced to one vector (sum, mean or max).

    Args:
        num_embeddings (int): size of the table.
        embedding_dim (int): size of each vector.
        max_norm, norm_type, sparse: as in ``Embedding``.
        scale_grad_by_freq (bool): divide each id's gradient by its count in the input ('sum', 'mean').
        mode (str): 'sum', 'mean' or 'max'. Default 'mean'.
        include_last_offset (bool): ``offsets`` ends with the end of the last bag. Default False.
        padding_idx (int, optional): this id is skipped in every bag; its row starts at 0 and never learns.

    Shape: input (B, N) or 1-D with ``offsets`` (B,) -> (B, embedding_dim).

    >>> bag = nn.EmbeddingBag(10, 3, mode="sum")
    >>> bag(chainrule.tensor([1, 2, 4, 5, 4]), chainrule.tensor([0, 2])).shape
    Size([2, 3])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False, _weight=None,
                 include_last_offset: bool = False, padding_idx: int | None = None, device=None, dtype=None,
                 _freeze: bool = False):
        super().__init__()
        if mode not in _MODES:
            raise ValueError(f"EmbeddingBag: mode must be one of {_MODES}, got {mode!r}")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"EmbeddingBag: padding_idx must be within num_embeddings={num_embeddings}, "
                                 f"got {padding_idx}")
            padding_idx %= num_embeddings
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.mode, self.sparse = mode, sparse
        self.include_last_offset, self.padding_idx = include_last_offset, padding_idx
        _init_table(self, num_embeddings, embedding_dim, _weight, _freeze, dtype)

    def reset_parameters(self) -> None:
        _reset_table(self)

    def forward(self, input, offsets=None, per_sample_weights=None):
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                             self.mode, self.sparse, per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}, mode={self.mode!r}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.include_last_offset:
            s += ", include_last_offset=True"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                        mode="mean", sparse=False, include_last_offset=False, padding_idx=None):
        """An EmbeddingBag whose table is ``embeddings`` (2-D), frozen unless ``freeze=False``."""
        if embeddings.ndim != 2:
            raise ValueError(f"Embeddings parameter is expected to be 2-dimensional, got {embeddings.ndim}-D")
        rows, cols = embeddings.shape
        return cls(rows, cols, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings,
                   include_last_offset, padding_idx, _freeze=freeze)
