"""Rotary position embeddings (RoPE): positions enter attention as rotations of queries and keys.

Pairing convention: ADJACENT pairs (x[0], x[1]), (x[2], x[3]), ... as in the RoFormer paper,
pair i turned counter-clockwise by the angle position·θ_i. torch.softmax is allowed here.
"""

from __future__ import annotations

import math

import torch


def rope_frequencies(d: int, base: float = 10000.0) -> torch.Tensor:
    """θ_i = base^(-2i/d) for i = 0, 1, ..., d/2 - 1; d even -> float64 tensor (d/2,)."""
    raise NotImplementedError


def apply_rope(x: torch.Tensor, positions: torch.Tensor | None = None, base: float = 10000.0) -> torch.Tensor:
    """y[2i] = x[2i] cos(p θ_i) - x[2i+1] sin(p θ_i), y[2i+1] = x[2i] sin(p θ_i) + x[2i+1] cos(p θ_i) with p = positions[t]; x (..., n, d) -> (..., n, d).

    positions: integer tensor (n,), or None for 0, 1, ..., n-1. Compute the angles in float64, then
    cast cos and sin to x.dtype: the result has x's dtype. Do not modify x.
    """
    raise NotImplementedError


def rope_scores(
    q: torch.Tensor,
    k: torch.Tensor,
    q_pos: torch.Tensor | None = None,
    k_pos: torch.Tensor | None = None,
    base: float = 10000.0,
) -> torch.Tensor:
    """S = apply_rope(q, q_pos) apply_rope(k, k_pos)ᵀ / √d; q (..., n, d), k (..., m, d) -> (..., n, m).

    Leading dimensions broadcast as in torch.matmul; positions as in apply_rope.
    """
    raise NotImplementedError


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
    """concat_h softmax(rope_scores(q_h, k_h, positions, positions) [+ causal]) v_h, then @ W_o; X (..., n, d_model) -> (..., n, d_model).

    q_h, k_h, v_h: columns h*d_head:(h+1)*d_head of X @ W_q, X @ W_k, X @ W_v (d_head = d_model // n_heads,
    even). RoPE acts on each head's queries and keys with d_head frequencies; values are not rotated.
    causal=True hides key j from query i when j > i.
    """
    raise NotImplementedError
