"""Least squares three ways, and how many digits each one keeps on an ill-conditioned problem."""

from __future__ import annotations

import numpy as np


def condition_number(A: np.ndarray) -> float:
    """κ₂(A) = σ_max / σ_min, the ratio of A's largest to smallest singular value. A: (m, n), m >= n.

    Returns a Python float (>= 1).
    """
    raise NotImplementedError


def lstsq_normal(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x solving the normal equations AᵀA x = Aᵀb. A: (m, n), m >= n, full column rank, b: (m,) -> x: (n,).

    The result has the dtype of A (float64 in, float64 out; float32 in, float32 out).
    """
    raise NotImplementedError


def lstsq_qr(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x = R⁻¹ Qᵀ b with A = QR (reduced QR: Q (m, n), R (n, n) upper triangular). A: (m, n), m >= n, b: (m,) -> x: (n,).

    The result has the dtype of A.
    """
    raise NotImplementedError


def lstsq_svd(A: np.ndarray, b: np.ndarray, rcond: float = 1e-12) -> np.ndarray:
    """x = V Σ⁺ Uᵀ b, treating σᵢ <= rcond·σ_max as zero (minimum-norm solution). A: (m, n) any shape, b: (m,) -> x: (n,).

    The result has the dtype of A.
    """
    raise NotImplementedError


def digits_lost(kappa: float, method: str) -> float:
    """Decimal digits a method loses on a problem of condition number κ: log10 κ for "qr" and "svd", 2·log10 κ for "normal".

    Returns a Python float.
    """
    raise NotImplementedError
