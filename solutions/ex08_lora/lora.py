"""Reference solution for ex08: LoRA, low-rank adaptation of a linear layer."""

from __future__ import annotations

import torch


def lora_forward(x: torch.Tensor, W: torch.Tensor, A: torch.Tensor, B: torch.Tensor, alpha: float, r: int) -> torch.Tensor:
    """y = x Wᵀ + (alpha/r)·(x Aᵀ) Bᵀ. x: (..., d_in), W: (d_out, d_in), A: (r, d_in), B: (d_out, r) -> y: (..., d_out)."""
    return x @ W.T + (alpha / r) * ((x @ A.T) @ B.T)


def merge_lora(W: torch.Tensor, A: torch.Tensor, B: torch.Tensor, alpha: float, r: int) -> torch.Tensor:
    """W_merged = W + (alpha/r)·B A, a new tensor (W is left unchanged). -> (d_out, d_in)."""
    return W + (alpha / r) * (B @ A)


def lora_parameter_count(d_out: int, d_in: int, r: int) -> tuple[int, int]:
    """(trainable, frozen) = (r·(d_in + d_out), d_out·d_in): the entries of A and B, and of W."""
    return r * (d_in + d_out), d_out * d_in


def best_rank_r_update(delta_W: torch.Tensor, r: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, A) with B A the best rank-r approximation of delta_W in Frobenius norm (truncated SVD).

    delta_W: (d_out, d_in), 1 <= r <= min(d_out, d_in) -> B: (d_out, r), A: (r, d_in).
    """
    U, S, Vh = torch.linalg.svd(delta_W, full_matrices=False)
    return U[:, :r] * S[:r], Vh[:r]
