"""Spectral clustering: clusters from the smallest eigenvectors of a graph Laplacian."""

from __future__ import annotations

import numpy as np


def similarity_graph(X: np.ndarray, sigma: float) -> np.ndarray:
    """W[i, j] = exp(−‖xᵢ − xⱼ‖² / (2σ²)) for i ≠ j, W[i, i] = 0; X: (n, d) -> W: (n, n), X's dtype."""
    raise NotImplementedError


def normalized_laplacian(W: np.ndarray) -> np.ndarray:
    """L = I − D^{-1/2} W D^{-1/2}, D = diag(W 1); an isolated node (degree 0) gets a zero row and column.

    W: (n, n) symmetric, nonnegative -> L: (n, n), W's dtype; W is left unchanged.
    """
    raise NotImplementedError


def spectral_embedding(L: np.ndarray, k: int) -> np.ndarray:
    """Orthonormal eigenvectors of symmetric L for its k smallest eigenvalues; L: (n, n) -> U: (n, k), L's dtype."""
    raise NotImplementedError


def spectral_clustering(X: np.ndarray, k: int, sigma: float, seed: int = 0) -> np.ndarray:
    """Cluster labels in 0..k−1 from k-means on the spectral embedding of X's similarity graph; X: (n, d) -> (n,) int."""
    raise NotImplementedError
