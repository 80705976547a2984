"""Reference solution for ex09: scaled dot-product and multi-head attention."""

from __future__ import annotations

import math

import torch


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """softmax(x)_j = exp(x_j - max x) / Σ_k exp(x_k - max x) along ``dim``; same shape and dtype as x."""
    shifted = x - x.amax(dim=dim, keepdim=True)  # a new tensor: x itself is left alone
    e = torch.exp(shifted)
    return e / e.sum(dim=dim, keepdim=True)


def scaled_dot_product_attention(
    Q: torch.Tensor,
    K: torch.Tensor,
    V: torch.Tensor,
    mask: torch.Tensor | None = None,
    causal: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """out = softmax(Q Kᵀ / √d_k + hidden) V; Q (..., n, d_k), K (..., m, d_k), V (..., m, d_v) -> (out (..., n, d_v), weights (..., n, m))."""
    d_k = Q.shape[-1]
    scores = Q @ K.transpose(-2, -1) / math.sqrt(d_k)
    allowed = None if mask is None else mask.to(torch.bool)
    if causal:
        n, m = scores.shape[-2:]
        below = torch.ones(n, m, dtype=torch.bool, device=scores.device).tril()  # key j <= query i
        allowed = below if allowed is None else allowed & below
    if allowed is None:
        weights = softmax(scores, dim=-1)
    else:
        scores = torch.where(allowed, scores, float("-inf"))
        has_key = allowed.any(dim=-1, keepdim=True)
        # A query that may see no key at all gets zero weights (and so a zero output), not NaN.
        scores = torch.where(has_key, scores, 0.0)
        weights = torch.where(has_key, softmax(scores, dim=-1), 0.0)
    return weights @ V, weights


def multi_head_attention(
    X: torch.Tensor,
    W_q: torch.Tensor,
    W_k: torch.Tensor,
    W_v: torch.Tensor,
    W_o: torch.Tensor,
    n_heads: int,
    causal: bool = False,
) -> torch.Tensor:
    """concat_h(attention(X W_q[:, h], X W_k[:, h], X W_v[:, h])) W_o; X (..., n, d_model) -> (..., n, d_model)."""
    d_model = X.shape[-1]
    d_head = d_model // n_heads

    def split(T: torch.Tensor) -> torch.Tensor:  # (..., n, d_model) -> (..., n_heads, n, d_head)
        return T.unflatten(-1, (n_heads, d_head)).transpose(-3, -2)

    heads, _ = scaled_dot_product_attention(split(X @ W_q), split(X @ W_k), split(X @ W_v), causal=causal)
    concat = heads.transpose(-3, -2).flatten(-2)  # (..., n, n_heads * d_head), head 0 first
    return concat @ W_o
