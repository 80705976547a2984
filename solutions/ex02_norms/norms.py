"""Reference solution for ex02: norms and the curse of dimensionality."""

from __future__ import annotations

import math

import numpy as np


def _l2_last_axis(X: np.ndarray) -> np.ndarray:
    """sqrt(Σ x²) along the last axis, scaled by the largest |x| so that squares neither overflow nor underflow."""
    scale = np.max(np.abs(X), axis=-1, keepdims=True)
    safe = np.where(scale == 0, 1, scale)
    return (safe * np.sqrt(np.sum((X / safe) ** 2, axis=-1, keepdims=True)))[..., 0]


def vector_norm(x: np.ndarray, p: float) -> float:
    """‖x‖_p: Σ|xᵢ| for p = 1, sqrt(Σ xᵢ²) for p = 2, max|xᵢ| for p = inf. x: (d,) -> float."""
    if p == 1:
        return float(np.sum(np.abs(x)))
    if p == 2:
        return float(_l2_last_axis(x))
    if p == math.inf:
        return float(np.max(np.abs(x)))
    raise ValueError(f"p must be 1, 2 or inf, got {p!r}")


def frobenius_norm(A: np.ndarray) -> float:
    """‖A‖_F = sqrt(Σᵢⱼ Aᵢⱼ²). A: (m, n) -> float."""
    return float(_l2_last_axis(A.reshape(-1)))


def normalize_rows(X: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Row i divided by max(‖Xᵢ‖₂, eps). X: (n, d) -> (n, d), same dtype; X is left unchanged."""
    norms = _l2_last_axis(X)[:, None]
    return X / np.maximum(norms, eps)


def _pairwise_distances(X: np.ndarray) -> np.ndarray:
    """The n(n-1)/2 distances ‖Xᵢ - Xⱼ‖₂ for i < j."""
    i, j = np.triu_indices(X.shape[0], k=1)
    diff = X[i] - X[j]
    return np.sqrt(np.sum(diff * diff, axis=1))


def concentration_ratio(X: np.ndarray) -> float:
    """max over pairs i ≠ j of ‖Xᵢ - Xⱼ‖₂ divided by the min over pairs. X: (n, d), n ≥ 2, distinct rows -> float."""
    d = _pairwise_distances(X)
    return float(d.max() / d.min())


def concentration_curve(dims: list[int], n_points: int, seed: int) -> np.ndarray:
    """concentration_ratio of n_points standard-normal points in R^d for each d in dims -> float64 (len(dims),)."""
    rng = np.random.default_rng(seed)
    return np.array([concentration_ratio(rng.standard_normal((n_points, d))) for d in dims], dtype=np.float64)
