"""Reference solution for ex03: matrix multiplication and shapes."""

from __future__ import annotations

import numpy as np


def _written(shape: tuple[int, ...]) -> str:
    return "x".join(str(int(s)) for s in shape)


def matmul_shape(shape_a: tuple[int, ...], shape_b: tuple[int, ...]) -> tuple[int, ...]:
    """Shape of A @ B for A: (*batch_a, n, k), B: (*batch_b, k, m) -> (*broadcast(batch_a, batch_b), n, m)."""
    shape_a, shape_b = tuple(int(s) for s in shape_a), tuple(int(s) for s in shape_b)
    if len(shape_a) < 2 or len(shape_b) < 2:
        raise ValueError(f"both operands need at least 2 dimensions, got shapes {_written(shape_a)} and {_written(shape_b)}")
    (n, k), (k2, m) = shape_a[-2:], shape_b[-2:]
    if k != k2:
        raise ValueError(f"mat1 and mat2 shapes cannot be multiplied ({_written(shape_a)} and {_written(shape_b)})")
    batch_a, batch_b = shape_a[:-2], shape_b[:-2]
    width = max(len(batch_a), len(batch_b))
    batch_a = (1,) * (width - len(batch_a)) + batch_a
    batch_b = (1,) * (width - len(batch_b)) + batch_b
    batch = []
    for x, y in zip(batch_a, batch_b):
        if x != y and x != 1 and y != 1:
            raise ValueError(
                f"batch dimensions cannot be broadcast: {x} against {y} "
                f"(shapes {_written(shape_a)} and {_written(shape_b)})"
            )
        batch.append(max(x, y) if min(x, y) != 0 else 0)
    return (*batch, n, m)


def matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """C[..., i, j] = Σₖ A[..., i, k] B[..., k, j]. A: (..., n, k), B: (..., k, m) -> (..., n, m); batch dims broadcast."""
    matmul_shape(A.shape, B.shape)  # raises the shape errors
    return np.einsum("...ik,...kj->...ij", A, B)


def gemm_flops(M: int, N: int, K: int) -> int:
    """Floating-point operations of C = A B with A: (M, K), B: (K, N): one multiply and one add per term, 2MNK."""
    return 2 * int(M) * int(N) * int(K)


def arithmetic_intensity(M: int, N: int, K: int, bytes_per_element: int) -> float:
    """gemm_flops(M, N, K) / bytes moved, reading A and B once and writing C once: (MK + KN + MN)·bytes_per_element."""
    moved = (int(M) * int(K) + int(K) * int(N) + int(M) * int(N)) * int(bytes_per_element)
    return gemm_flops(M, N, K) / moved


def collapse_linear_layers(weights: list[np.ndarray], biases: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """One layer (W, b) equal to the stack x -> x W₁ᵀ + b₁ -> ... -> x W_Lᵀ + b_L. Wᵢ: (dᵢ, dᵢ₋₁), bᵢ: (dᵢ,)."""
    W, b = weights[0], biases[0]
    for Wi, bi in zip(weights[1:], biases[1:]):
        # (x Wᵀ + b) Wᵢᵀ + bᵢ = x (Wᵢ W)ᵀ + (Wᵢ b + bᵢ)
        W = matmul(Wi, W)
        b = matmul(Wi, b[:, None])[:, 0] + bi
    return W, b
