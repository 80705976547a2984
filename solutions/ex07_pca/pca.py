"""Reference solution for ex07: principal component analysis through the SVD."""

from __future__ import annotations

import numpy as np


def fit_pca(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """mean (d,), components (k, d) orthonormal rows, explained_variance (k,) = σ²/(n−1), largest first."""
    n = X.shape[0]
    mean = X.mean(axis=0)
    _, S, Vt = np.linalg.svd(X - mean, full_matrices=False)
    return mean, Vt[:k], S[:k] ** 2 / (n - 1)


def transform(X: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Z = (X − mean) Cᵀ. X: (n, d), mean: (d,), components C: (k, d) -> Z: (n, k)."""
    return (X - mean) @ components.T


def inverse_transform(Z: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    """X̂ = Z C + mean. Z: (n, k), mean: (d,), components C: (k, d) -> X̂: (n, d)."""
    return Z @ components + mean


def explained_variance_ratio(X: np.ndarray) -> np.ndarray:
    """σᵢ² / Σ σⱼ² over the singular values of the centred X (n, d) -> (min(n, d),), largest first."""
    S = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    squares = S**2
    return squares / squares.sum()


def choose_k(X: np.ndarray, threshold: float = 0.95) -> int:
    """The smallest k whose cumulative explained variance ratio reaches ``threshold``."""
    cumulative = np.cumsum(explained_variance_ratio(X).astype(np.float64))
    reached = cumulative >= threshold - 1e-12  # forgive round-off when the ratios sum to 1
    return int(np.argmax(reached)) + 1 if reached.any() else len(cumulative)
