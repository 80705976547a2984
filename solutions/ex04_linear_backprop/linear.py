"""Reference solution for ex04: the Jacobian and backprop of a linear layer."""

from __future__ import annotations

import torch


def linear_forward(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """y = x Wᵀ + b. x: (N, d_in), W: (d_out, d_in), b: (d_out,) -> y: (N, d_out)."""
    return x @ W.T + b


def linear_backward(
    x: torch.Tensor, W: torch.Tensor, b: torch.Tensor, grad_y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Given grad_y = ∂L/∂y (N, d_out): dx = grad_y W (N, d_in), dW = grad_yᵀ x (d_out, d_in), db = Σₙ grad_y (d_out,)."""
    dx = grad_y @ W
    dW = grad_y.T @ x
    db = grad_y.sum(dim=0)
    return dx, dW, db


def weight_jacobian(x: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """J[n, o, p, j] = ∂y[n, o] / ∂W[p, j] = δₒₚ x[n, j]. x: (N, d_in), W: (d_out, d_in) -> (N, d_out, d_out, d_in)."""
    d_out = W.shape[0]
    eye = torch.eye(d_out, dtype=x.dtype, device=x.device)
    return eye[None, :, :, None] * x[:, None, None, :]
