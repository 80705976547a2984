"""Attention from scratch: a stable softmax, scaled dot-product attention, multi-head attention.

Not allowed here (the point is to write them yourself): torch.softmax, Tensor.softmax,
torch.nn.functional.softmax / log_softmax, torch.nn.functional.scaled_dot_product_attention,
torch.nn.MultiheadAttention and friends. Matrix products, exp, max, sum, where are all fine.
"""

from __future__ import annotations

import math

import torch


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """softmax(x)_j = exp(x_j) / Σ_k exp(x_k) along ``dim``, stable for |x| up to 1e4; x (...) -> same shape and dtype.

    Do not modify x.
    """
    raise NotImplementedError


def scaled_dot_product_attention(
    Q: torch.Tensor,
    K: torch.Tensor,
    V: torch.Tensor,
    mask: torch.Tensor | None = None,
    causal: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """weights = softmax(Q Kᵀ / √d_k) over the keys, out = weights V; Q (..., n, d_k), K (..., m, d_k), V (..., m, d_v) -> (out (..., n, d_v), weights (..., n, m)).

    mask: optional bool (..., n, m), True = query i may attend to key j. causal=True also hides
    key j from query i when j > i. A query that may see no key gets zero weights and a zero output.
    Leading (batch, head) dimensions broadcast; the dtype of Q comes back.
    """
    raise NotImplementedError


def multi_head_attention(
    X: torch.Tensor,
    W_q: torch.Tensor,
    W_k: torch.Tensor,
    W_v: torch.Tensor,
    W_o: torch.Tensor,
    n_heads: int,
    causal: bool = False,
) -> torch.Tensor:
    """concat_h attention(X W_q[:, blk_h], X W_k[:, blk_h], X W_v[:, blk_h]) @ W_o; X (..., n, d_model), W_* (d_model, d_model) -> (..., n, d_model).

    blk_h = columns h*d_head:(h+1)*d_head with d_head = d_model // n_heads; heads are
    concatenated in order (head 0 first) before W_o; causal as in scaled_dot_product_attention.
    """
    raise NotImplementedError
