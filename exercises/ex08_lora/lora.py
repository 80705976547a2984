"""LoRA: fine-tune a frozen linear layer through a low-rank update B A."""

from __future__ import annotations

import torch


def lora_forward(x: torch.Tensor, W: torch.Tensor, A: torch.Tensor, B: torch.Tensor, alpha: float, r: int) -> torch.Tensor:
    """y = x Wᵀ + (alpha/r)·(x Aᵀ) Bᵀ. x: (..., d_in), W: (d_out, d_in), A: (r, d_in), B: (d_out, r) -> y: (..., d_out).

    The result has the dtype of x and stays differentiable with respect to A and B.
    """
    raise NotImplementedError


def merge_lora(W: torch.Tensor, A: torch.Tensor, B: torch.Tensor, alpha: float, r: int) -> torch.Tensor:
    """W_merged = W + (alpha/r)·B A as a new tensor (d_out, d_in); W itself is left unchanged."""
    raise NotImplementedError


def lora_parameter_count(d_out: int, d_in: int, r: int) -> tuple[int, int]:
    """(trainable, frozen): the number of entries of A and B, and of W, for a LoRA layer of rank r. Two ints."""
    raise NotImplementedError


def best_rank_r_update(delta_W: torch.Tensor, r: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, A) with B A the best rank-r approximation of delta_W in Frobenius norm.

    delta_W: (d_out, d_in), 1 <= r <= min(d_out, d_in) -> B: (d_out, r), A: (r, d_in), both of delta_W's dtype.
    """
    raise NotImplementedError
