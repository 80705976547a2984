"""Reference solution for ex09: scaled dot-product and multi-head attention."""

from __future__ import annotations

import itertools
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
    # Scale Q (n·d values) rather than the scores (n·m); every later step works in place on
    # the scores, a tensor of our own, so the (..., n, m) block is allocated once.
    scores = (Q * (1.0 / math.sqrt(d_k))) @ K.transpose(-2, -1)
    n, m = scores.shape[-2:]
    hidden = None if mask is None else ~mask.to(torch.bool)
    if causal:
        later = torch.ones(n, m, dtype=torch.bool, device=scores.device).triu_(1)  # key j > query i
        hidden = later if hidden is None else hidden | later
    if hidden is None:
        weights = scores.sub_(scores.amax(dim=-1, keepdim=True)).exp_()
        return weights.div_(weights.sum(dim=-1, keepdim=True)) @ V, weights
    if hidden.dim() > scores.dim() or any(h not in (1, s) for h, s in zip(hidden.shape[::-1], scores.shape[::-1])):
        # the mask adds batch dimensions the scores lack (torch.broadcast_shapes would import sympy)
        scores = (scores + torch.zeros(hidden.shape, dtype=scores.dtype)).contiguous()
    scores.masked_fill_(hidden, float("-inf"))
    # A query that may see no key at all gets zero weights (and so a zero output), not NaN.
    no_key = hidden.all(dim=-1, keepdim=True) if mask is not None else None
    if no_key is not None:
        scores.masked_fill_(no_key, 0.0)
    weights = scores.sub_(scores.amax(dim=-1, keepdim=True)).exp_()
    weights.div_(weights.sum(dim=-1, keepdim=True))
    if no_key is not None:
        weights.masked_fill_(no_key, 0.0)
    return weights @ V, weights


# Scores held at once by _attention_output: 4 MiB stays in this machine's caches (2 MiB of L2
# per core, 32 MiB of L3), so each softmax pass over a tile reads cache, not memory.
_TILE_BYTES = 4 << 20


def _attention_output(Q: torch.Tensor, K: torch.Tensor, V: torch.Tensor, causal: bool = False) -> torch.Tensor:
    """softmax(Q Kᵀ / √d_k) V computed a block of query rows at a time, never holding the (..., n, m) weights.

    What multi-head attention needs: its caller drops the weights, so there is no reason to
    allocate them (a fresh 32 MiB block costs ~10 ms in page faults alone here). Each block
    is softmaxed in place while it is in cache, and divided after the product with V, on
    (rows, d_v) values rather than (rows, m). With causal=True a block of rows i0..i1 only
    needs keys 0..i1, so about half the products are skipped.
    """
    n, d_k = Q.shape[-2:]
    m = K.shape[-2]
    if n == 0 or m == 0:
        return scaled_dot_product_attention(Q, K, V, causal=causal)[0]  # nothing to tile
    scale = 1.0 / math.sqrt(d_k)
    Kt = K.transpose(-2, -1)
    batch = 1  # the number of (n, m) score matrices once the leading dimensions broadcast
    for sizes in itertools.zip_longest(*(T.shape[-3::-1] for T in (Q, K, V)), fillvalue=1):
        batch *= max(sizes)
    rows = max(1, min(n, _TILE_BYTES // (batch * m * Q.element_size())))
    blocks = []
    for i0 in range(0, n, rows):
        i1 = min(n, i0 + rows)
        keys = min(m, i1) if causal else m
        scores = Q[..., i0:i1, :] @ Kt[..., :keys]
        if causal and keys > i0 + 1:
            scores.masked_fill_(torch.ones(i1 - i0, keys, dtype=torch.bool, device=Q.device).triu_(i0 + 1), float("-inf"))
        # Subtracting the row maximum first keeps exp from overflowing; scaling after is the same number.
        unnormalised = scores.sub_(scores.amax(dim=-1, keepdim=True)).mul_(scale).exp_()
        blocks.append((unnormalised @ V[..., :keys, :]).div_(unnormalised.sum(dim=-1, keepdim=True)))
    return torch.cat(blocks, dim=-2)


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

    heads = _attention_output(split(X @ W_q), split(X @ W_k), split(X @ W_v), causal=causal)
    concat = heads.transpose(-3, -2).flatten(-2)  # (..., n, n_heads * d_head), head 0 first
    return concat @ W_o
