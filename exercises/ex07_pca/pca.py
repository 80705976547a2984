"""Principal component analysis: the directions along which data varies most."""

from __future__ import annotations

import numpy as np


def fit_pca(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top-k principal axes of X (n, d): mean (d,), components (k, d) orthonormal rows, variances σ²/(n−1) (k,).

    The explained variances come largest first; every result keeps X's dtype. X must not be modified.
    """
    raise NotImplementedError


def transform(X: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Z = (X − mean) Cᵀ. X: (n, d), mean: (d,), components C: (k, d) -> Z: (n, k)."""
    raise NotImplementedError


def inverse_transform(Z: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    """X̂ = Z C + mean. Z: (n, k), mean: (d,), components C: (k, d) -> X̂: (n, d)."""
    raise NotImplementedError


def explained_variance_ratio(X: np.ndarray) -> np.ndarray:
    """rᵢ = σᵢ² / Σ σⱼ² over the singular values of the centred X (n, d) -> (min(n, d),), largest first."""
    raise NotImplementedError


def choose_k(X: np.ndarray, threshold: float = 0.95) -> int:
    """The smallest k with r₁ + … + r_k >= threshold, for X (n, d); a Python int in 1..min(n, d)."""
    raise NotImplementedError
