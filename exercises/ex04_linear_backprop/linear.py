"""Backprop through a linear layer by hand: the forward pass, its gradients, and the Jacobian behind them."""

from __future__ import annotations

import torch


def linear_forward(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """y = x Wᵀ + b. x: (N, d_in), W: (d_out, d_in), b: (d_out,) -> y: (N, d_out), dtype of x."""
    raise NotImplementedError


def linear_backward(
    x: torch.Tensor, W: torch.Tensor, b: torch.Tensor, grad_y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(∂L/∂x, ∂L/∂W, ∂L/∂b) for y = x Wᵀ + b, given grad_y = ∂L/∂y.

    x: (N, d_in), W: (d_out, d_in), b: (d_out,), grad_y: (N, d_out)
    -> dx: (N, d_in), dW: (d_out, d_in), db: (d_out,), each with the dtype of x. Inputs are left unchanged.
    """
    raise NotImplementedError


def weight_jacobian(x: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """J[n, o, p, j] = ∂y[n, o] / ∂W[p, j]. x: (N, d_in), W: (d_out, d_in) -> J: (N, d_out, d_out, d_in), dtype of x."""
    raise NotImplementedError
