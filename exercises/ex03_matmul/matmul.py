"""Matrix multiplication and shapes: batched matmul from broadcasting, its cost, and why linear layers collapse."""

from __future__ import annotations

import numpy as np


def matmul_shape(shape_a: tuple[int, ...], shape_b: tuple[int, ...]) -> tuple[int, ...]:
    """Shape of A @ B. A: (*batch_a, n, k), B: (*batch_b, k, m) -> (*broadcast(batch_a, batch_b), n, m).

    Mismatched inner sizes raise ValueError("mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    batch dimensions that do not broadcast raise ValueError; both messages name the two full shapes.
    """
    raise NotImplementedError


def matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """C[..., i, j] = Σₖ A[..., i, k] B[..., k, j]. A: (..., n, k), B: (..., k, m) -> (..., n, m).

    Batch dimensions broadcast like numpy's; shape errors as in matmul_shape; float32 stays float32;
    A and B are left unchanged. No Python loops, and no np.matmul / np.dot / np.tensordot / @.
    """
    raise NotImplementedError


def gemm_flops(M: int, N: int, K: int) -> int:
    """Floating-point operations of C = A B with A: (M, K), B: (K, N), one multiply and one add per term -> int."""
    raise NotImplementedError


def arithmetic_intensity(M: int, N: int, K: int, bytes_per_element: int) -> float:
    """gemm_flops(M, N, K) / ((M·K + K·N + M·N) · bytes_per_element): FLOPs per byte moved -> float."""
    raise NotImplementedError


def collapse_linear_layers(weights: list[np.ndarray], biases: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(W, b) with x Wᵀ + b equal to the stack x -> x W₁ᵀ + b₁ -> ... -> x W_Lᵀ + b_L.

    weights[i]: (d_{i+1}, d_i), biases[i]: (d_{i+1},) -> W: (d_L, d_0), b: (d_L,).
    """
    raise NotImplementedError
