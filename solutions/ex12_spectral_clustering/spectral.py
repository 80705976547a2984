"""Reference solution for ex12: spectral clustering with the normalised Laplacian."""

from __future__ import annotations

import numpy as np


def similarity_graph(X: np.ndarray, sigma: float) -> np.ndarray:
    """W[i, j] = exp(−‖xᵢ − xⱼ‖² / (2σ²)) for i ≠ j, W[i, i] = 0; X: (n, d) -> W: (n, n), X's dtype."""
    X = np.asarray(X)
    diff = X[:, None, :] - X[None, :, :]
    sq_dist = np.einsum("ijk,ijk->ij", diff, diff)
    W = np.exp(-sq_dist / (2 * sigma**2)).astype(X.dtype, copy=False)
    np.fill_diagonal(W, 0)
    return W


def normalized_laplacian(W: np.ndarray) -> np.ndarray:
    """L = I − D^{-1/2} W D^{-1/2}, D = diag(W 1); an isolated node (degree 0) gets a zero row and column."""
    W = np.asarray(W)
    degree = W.sum(axis=1)
    connected = degree > 0
    scale = np.zeros_like(degree)
    scale[connected] = 1 / np.sqrt(degree[connected])
    L = -(scale[:, None] * W * scale[None, :])
    L[np.diag_indices_from(L)] += connected.astype(L.dtype)
    return L


def spectral_embedding(L: np.ndarray, k: int) -> np.ndarray:
    """Orthonormal eigenvectors of symmetric L for its k smallest eigenvalues; L: (n, n) -> U: (n, k)."""
    _, vectors = np.linalg.eigh(L)  # eigenvalues in ascending order
    return vectors[:, :k]


def _kmeans(Y: np.ndarray, k: int, rng: np.random.Generator, restarts: int = 4, steps: int = 100) -> np.ndarray:
    """Lloyd's k-means with k-means++ starts; the labelling of least within-cluster sum of squares."""
    n = len(Y)
    best, best_cost = np.zeros(n, dtype=np.int64), np.inf
    for _ in range(restarts):
        centres = [Y[rng.integers(n)]]
        for _ in range(1, k):
            d2 = np.min(((Y[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1)
            centres.append(Y[rng.choice(n, p=d2 / d2.sum())] if d2.sum() > 0 else Y[rng.integers(n)])
        C = np.array(centres)
        labels = np.full(n, -1)
        for _ in range(steps):
            d2 = ((Y[:, None, :] - C[None]) ** 2).sum(-1)
            new = np.argmin(d2, axis=1)
            if np.array_equal(new, labels):
                break
            labels = new
            for j in range(k):
                if np.any(labels == j):
                    C[j] = Y[labels == j].mean(axis=0)
        cost = float(((Y - C[labels]) ** 2).sum())
        if cost < best_cost:
            best, best_cost = labels, cost
    return best


def spectral_clustering(X: np.ndarray, k: int, sigma: float, seed: int = 0) -> np.ndarray:
    """Labels in 0..k−1 from k-means on the row-normalised spectral embedding; X: (n, d) -> (n,) int."""
    X = np.asarray(X, dtype=np.float64)
    U = spectral_embedding(normalized_laplacian(similarity_graph(X, sigma)), k)
    norms = np.linalg.norm(U, axis=1, keepdims=True)
    Y = U / np.where(norms > 0, norms, 1)  # rows on the unit sphere (Ng, Jordan & Weiss)
    labels = _kmeans(Y, k, np.random.default_rng(seed))
    # Number clusters in order of first appearance, so the answer does not depend on the start.
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    return np.argsort(np.argsort(first))[inverse].astype(np.int64)
