"""Norms and the curse of dimensionality: how long vectors are, and why far and near blur in high dimension."""

from __future__ import annotations

import math

import numpy as np


def vector_norm(x: np.ndarray, p: float) -> float:
    """‖x‖_p: Σ|xᵢ| for p = 1, sqrt(Σ xᵢ²) for p = 2, max|xᵢ| for p = math.inf. x: (d,) -> float.

    p = 2 must not overflow or underflow: entries as large as 1e200 or as small as 1e-200
    still give the right, finite answer. A zero vector has norm 0.0.
    """
    raise NotImplementedError


def frobenius_norm(A: np.ndarray) -> float:
    """‖A‖_F = sqrt(Σᵢⱼ Aᵢⱼ²). A: (m, n) -> float; as overflow-safe as vector_norm(x, 2)."""
    raise NotImplementedError


def normalize_rows(X: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Row i divided by max(‖Xᵢ‖₂, eps). X: (n, d) -> (n, d).

    Zero rows stay zero (never NaN). The result has X's dtype (float32 stays float32),
    rows with huge entries still come out with length 1, and X itself is left unchanged.
    """
    raise NotImplementedError


def concentration_ratio(X: np.ndarray) -> float:
    """max_{i≠j} ‖Xᵢ − Xⱼ‖₂ / min_{i≠j} ‖Xᵢ − Xⱼ‖₂: farthest pair over nearest pair.

    X: (n, d) with n ≥ 2 distinct rows -> float ≥ 1.
    """
    raise NotImplementedError


def concentration_curve(dims: list[int], n_points: int, seed: int) -> np.ndarray:
    """For each d in dims, concentration_ratio of n_points standard-normal points in R^d -> float64 (len(dims),).

    Draw the points from np.random.default_rng(seed): the same seed gives the same curve.
    """
    raise NotImplementedError
