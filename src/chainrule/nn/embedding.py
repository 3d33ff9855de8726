"""``Embedding``: a learnable lookup table from integer ids (words, items, classes) to vectors."""

from __future__ import annotations

import numpy as np

from chainrule import dtypes
from chainrule.nn import functional as F
from chainrule.nn import init
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter


class Embedding(Module):
    """Map each integer index to a learnable row of ``weight``.

    Args:
        num_embeddings (int): size of the table (valid indices are 0 .. num_embeddings - 1).
        embedding_dim (int): size of each vector.
        padding_idx (int, optional): this row is initialised to zeros and never updated. Default None.
        max_norm (float, optional): rows looked up with a larger norm are rescaled in place. Default None.
        norm_type (float): the p of the max_norm norm. Default 2.0.
        scale_grad_by_freq (bool): divide gradients by the index's frequency in the batch. Default False.
        sparse (bool): accepted for compatibility; gradients are always dense. Default False.
        _weight (Tensor, optional): use this table instead of a random one. Default None.
        dtype: parameter dtype. Default None (float32).

    Attributes:
        weight: shape (num_embeddings, embedding_dim), initialised N(0, 1).

    Shape: input (*) integer -> output (*, embedding_dim).

    >>> emb = nn.Embedding(10, 3, padding_idx=0)
    >>> emb(chainrule.tensor([[1, 2], [0, 9]])).shape
    Size([2, 2, 3])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight=None, _freeze: bool = False, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be within num_embeddings={num_embeddings}, "
                                 f"got {padding_idx}")
            padding_idx = padding_idx % num_embeddings
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        _init_table(self, num_embeddings, embedding_dim, _weight, _freeze, dtype)

    def reset_parameters(self) -> None:
        _reset_table(self)

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        if self.sparse:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding whose table is ``embeddings`` (2-D), frozen unless ``freeze=False``."""
        if embeddings.ndim != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)


def _init_table(module, num_embeddings, embedding_dim, _weight, _freeze, dtype) -> None:
    """``module.weight``: a fresh N(0, 1) table (padding row zeroed) or the given ``_weight`` (Embedding and
    EmbeddingBag, with PyTorch's ``_weight`` / ``_freeze`` arguments)."""
    if _weight is None:
        dtype = np.dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        module.weight = Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype), requires_grad=not _freeze)
        module.reset_parameters()
        return
    if tuple(_weight.shape) != (num_embeddings, embedding_dim):
        raise ValueError(f"{type(module).__name__}: _weight must have shape ({num_embeddings}, {embedding_dim}), "
                         f"got {tuple(_weight.shape)}")
    module.weight = Parameter(_weight, requires_grad=not _freeze)


def _reset_table(module) -> None:
    init.normal_(module.weight)
    if module.padding_idx is not None:
        module.weight._data[module.padding_idx] = 0
