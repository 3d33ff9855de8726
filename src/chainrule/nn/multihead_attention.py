"""Attention: ``F.scaled_dot_product_attention`` and ``nn.MultiheadAttention``, as PyTorch's.

softmax(Q K^T / sqrt(d) + mask) V, composed from differentiable ops (``matmul``, ``softmax``,
``where``), so gradients come with it. ``MultiheadAttention`` keeps PyTorch's parameter names
(``in_proj_weight``, ``in_proj_bias``, ``out_proj``), so its state_dict loads PyTorch's.
"""

from __future__ import annotations

import math

import numpy as np

from chainrule.nn import init
from chainrule.nn.functional import dropout, linear
from chainrule.nn.linear import Linear
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter
from chainrule.tensor import Tensor, where

__all__ = ["scaled_dot_product_attention", "MultiheadAttention"]


def _mask_scores(scores, mask, allowed_is_true):
    """Add a float mask, or put -inf where a bool mask forbids (True = allowed for SDPA, masked for MHA)."""
    if mask is None:
        return scores
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype == np.bool_:
        forbidden = ~m if allowed_is_true else m
        return where(Tensor._wrap(np.broadcast_to(forbidden, scores.shape)), float("-inf"), scores)
    return scores + (mask if isinstance(mask, Tensor) else Tensor._wrap(m))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False) -> Tensor:
    """softmax(Q K^T * scale + mask) V over the last two dimensions.

    Args:
        query (Tensor): ``(..., L, E)``. key: ``(..., S, E)``. value: ``(..., S, Ev)``.
        attn_mask (Tensor, optional): bool (True = may attend) or float (added to the scores),
            broadcastable to ``(..., L, S)``. Default: None.
        dropout_p (float): dropout on the attention weights. Default: 0.
        is_causal (bool): each position attends only to itself and earlier ones. Default: False.
        scale (float, optional): default ``1 / sqrt(E)``.

    Shape: output ``(..., L, Ev)``.
    """
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    L, S = query.shape[-2], key.shape[-2]
    scores = (query @ key.transpose(-2, -1)) * (1.0 / math.sqrt(query.shape[-1]) if scale is None else scale)
    if is_causal:
        attn_mask = Tensor._wrap(np.tril(np.ones((L, S), dtype=bool)))
    weights = _mask_scores(scores, attn_mask, allowed_is_true=True).softmax(dim=-1)
    if dropout_p > 0:
        weights = dropout(weights, dropout_p)
    return weights @ value


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al., 2017), with PyTorch's parameters and call.

    Args:
        embed_dim (int): model width E; split over ``num_heads`` heads.
        num_heads (int): number of heads (must divide ``embed_dim``).
        dropout (float): dropout on the attention weights while training. Default: 0.
        bias (bool): biases on the input and output projections. Default: True.
        batch_first (bool): inputs are ``(N, L, E)`` instead of ``(L, N, E)``. Default: False.

    Shape:
        - query ``(L, N, E)``, key and value ``(S, N, E)`` (batch first: ``(N, L, E)``), or unbatched ``(L, E)``.
        - output ``(L, N, E)`` and the attention weights ``(N, L, S)`` (averaged over heads) or None.

    >>> mha = nn.MultiheadAttention(16, 4, batch_first=True)
    >>> out, w = mha(x, x, x)  # doctest: +SKIP
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if add_bias_kv or add_zero_attn or (kdim not in (None, embed_dim)) or (vdim not in (None, embed_dim)):
            raise NotImplementedError("MultiheadAttention: add_bias_kv, add_zero_attn and kdim/vdim other than "
                                      "embed_dim are not supported")
        self.embed_dim, self.num_heads, self.dropout, self.batch_first = embed_dim, num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        from chainrule.creation import empty

        self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim, dtype=dtype))
        self.in_proj_bias = Parameter(empty(3 * embed_dim, dtype=dtype)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self):
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        L, N, E = query.shape
        S = key.shape[0]
        if E != self.embed_dim:
            raise AssertionError(f"was expecting embedding dimension of {self.embed_dim}, but got {E}")
        w, b = self.in_proj_weight, self.in_proj_bias
        q = linear(query, w[:E], None if b is None else b[:E])
        k = linear(key, w[E:2 * E], None if b is None else b[E:2 * E])
        v = linear(value, w[2 * E:], None if b is None else b[2 * E:])
        H, D = self.num_heads, self.head_dim

        def heads(t, n):  # (n, N, E) -> (N, H, n, D)
            return t.reshape(n, N, H, D).permute(1, 2, 0, 3)

        q, k, v = heads(q, L), heads(k, S), heads(v, S)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(D)
        if is_causal and attn_mask is None:
            attn_mask = Tensor._wrap(~np.tril(np.ones((L, S), dtype=bool)))
        if attn_mask is not None:
            if attn_mask.ndim == 3:  # (N * H, L, S)
                attn_mask = attn_mask.reshape(N, H, L, S)
            scores = _mask_scores(scores, attn_mask, allowed_is_true=False)
        if key_padding_mask is not None:
            scores = _mask_scores(scores, key_padding_mask.reshape(N, 1, 1, S), allowed_is_true=False)
        weights = scores.softmax(dim=-1)
        if self.training and self.dropout > 0:
            weights = dropout(weights, self.dropout)
        out = (weights @ v).permute(2, 0, 1, 3).reshape(L, N, E)
        out = self.out_proj(out)
        if self.batch_first and not unbatched:
            out = out.transpose(0, 1)
        if unbatched:
            out = out.squeeze(1)
        if not need_weights:
            return out, None
        w_out = weights.mean(1) if average_attn_weights else weights
        return out, (w_out.squeeze(0) if unbatched else w_out)

    def extra_repr(self) -> str:
        return ""
