"""Reference solution for ex10: rotary position embeddings (RoPE) in multi-head attention."""

from __future__ import annotations

import math

import torch


def rope_frequencies(d: int, base: float = 10000.0) -> torch.Tensor:
    """θ_i = base^(-2i/d) for i = 0 .. d/2 - 1, as float64; d even -> (d/2,)."""
    i = torch.arange(d // 2, dtype=torch.float64)
    return base ** (-2.0 * i / d)


def apply_rope(x: torch.Tensor, positions: torch.Tensor | None = None, base: float = 10000.0) -> torch.Tensor:
    """Rotate each pair (x[2i], x[2i+1]) of token t by the angle positions[t]·θ_i; x (..., n, d) -> same shape and dtype."""
    n, d = x.shape[-2], x.shape[-1]
    pos = torch.arange(n) if positions is None else torch.as_tensor(positions)
    angles = pos.to(torch.float64)[:, None] * rope_frequencies(d, base)  # (n, d/2), in float64
    cos, sin = torch.cos(angles).to(x.dtype), torch.sin(angles).to(x.dtype)
    even, odd = x[..., 0::2], x[..., 1::2]
    rotated = torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1)  # (..., n, d/2, 2)
    return rotated.flatten(-2)  # pairs back in place: (x[0], x[1]), (x[2], x[3]), ...


def rope_scores(
    q: torch.Tensor,
    k: torch.Tensor,
    q_pos: torch.Tensor | None = None,
    k_pos: torch.Tensor | None = None,
    base: float = 10000.0,
) -> torch.Tensor:
    """S = RoPE(q, q_pos) RoPE(k, k_pos)ᵀ / √d; q (..., n, d), k (..., m, d) -> (..., n, m)."""
    d = q.shape[-1]
    return apply_rope(q, q_pos, base) @ apply_rope(k, k_pos, base).transpose(-2, -1) / math.sqrt(d)


def rope_multi_head_attention(
    X: torch.Tensor,
    W_q: torch.Tensor,
    W_k: torch.Tensor,
    W_v: torch.Tensor,
    W_o: torch.Tensor,
    n_heads: int,
    positions: torch.Tensor | None = None,
    causal: bool = False,
    base: float = 10000.0,
) -> torch.Tensor:
    """Multi-head attention with RoPE on each head's queries and keys; X (..., n, d_model) -> (..., n, d_model)."""
    n, d_model = X.shape[-2], X.shape[-1]
    d_head = d_model // n_heads

    def split(T: torch.Tensor) -> torch.Tensor:  # (..., n, d_model) -> (..., n_heads, n, d_head)
        return T.unflatten(-1, (n_heads, d_head)).transpose(-3, -2)

    q, k, v = split(X @ W_q), split(X @ W_k), split(X @ W_v)
    scores = rope_scores(q, k, positions, positions, base)  # values are not rotated
    if causal:
        later = torch.ones(n, n, dtype=torch.bool, device=X.device).triu(1)
        scores = scores.masked_fill(later, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return (weights @ v).transpose(-3, -2).flatten(-2) @ W_o
