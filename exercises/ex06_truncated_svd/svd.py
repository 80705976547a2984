"""Truncated SVD, the best low-rank approximation, and a randomized SVD for large matrices."""

from __future__ import annotations

import numpy as np


def truncated_svd(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X ≈ U diag(S) Vt with the top-k singular triplets. X: (m, n), 1 <= k <= min(m, n).

    Returns U (m, k) with orthonormal columns, S (k,) largest first, Vt (k, n) with orthonormal rows,
    all in X's dtype (float32 in, float32 out).
    """
    raise NotImplementedError


def low_rank_approx(X: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """X_k = U_k diag(S_k) Vt_k (m, n), the best rank-k approximation; energy = Σ_{i≤k} σᵢ² / Σ σᵢ².

    X: (m, n) -> (X_k of shape (m, n) in X's dtype, energy as a Python float in [0, 1]).
    """
    raise NotImplementedError


def randomized_svd(
    X: np.ndarray, k: int, oversample: int = 10, n_iter: int = 4, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-k triplets via Q = orth((X Xᵀ)^n_iter X Ω), Ω (n, k + oversample) Gaussian, then svd(Qᵀ X).

    X: (m, n) -> U (m, k), S (k,), Vt (k, n), as truncated_svd, in X's dtype. Never decompose X itself;
    the same seed gives the same answer.
    """
    raise NotImplementedError
