"""Reference solution for ex06: truncated and randomized SVD."""

from __future__ import annotations

import numpy as np


def truncated_svd(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-k singular triplets of X (m, n): U (m, k), S (k,) descending, Vt (k, n)."""
    U, S, Vt = np.linalg.svd(X, full_matrices=False)
    return U[:, :k], S[:k], Vt[:k]


def low_rank_approx(X: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """X_k = U_k diag(S_k) Vt_k (m, n), and energy = Σ_{i≤k} σᵢ² / Σ σᵢ² (a float)."""
    U, S, Vt = np.linalg.svd(X, full_matrices=False)
    X_k = (U[:, :k] * S[:k]) @ Vt[:k]
    squares = S.astype(np.float64) ** 2
    energy = float(squares[:k].sum() / squares.sum())
    return X_k, energy


def randomized_svd(
    X: np.ndarray, k: int, oversample: int = 10, n_iter: int = 4, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Approximate top-k triplets by a randomized range finder with power iterations.

    Halko, Martinsson & Tropp (2011), algorithms 4.4 and 5.1: sketch the range of X with a
    Gaussian test matrix, sharpen it with power iterations (re-orthonormalising each time),
    then take the exact SVD of the small matrix Qᵀ X.
    """
    m, n = X.shape
    sketch = min(k + oversample, m, n)
    rng = np.random.default_rng(seed)
    omega = rng.standard_normal((n, sketch)).astype(X.dtype, copy=False)
    Q, _ = np.linalg.qr(X @ omega)
    for _ in range(n_iter):
        W, _ = np.linalg.qr(X.T @ Q)
        Q, _ = np.linalg.qr(X @ W)
    B = Q.T @ X  # (sketch, n): small
    Ub, S, Vt = np.linalg.svd(B, full_matrices=False)
    return (Q @ Ub[:, :k]), S[:k], Vt[:k]
