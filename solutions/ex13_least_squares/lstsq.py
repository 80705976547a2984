"""Reference solution for ex13: least squares and conditioning."""

from __future__ import annotations

import math

import numpy as np


def condition_number(A: np.ndarray) -> float:
    """κ₂(A) = σ_max / σ_min, the ratio of A's largest to smallest singular value. A: (m, n), m >= n."""
    s = np.linalg.svd(A, compute_uv=False)
    return float(s[0] / s[-1])


def lstsq_normal(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x solving the normal equations AᵀA x = Aᵀb. A: (m, n), m >= n, b: (m,) -> x: (n,)."""
    return np.linalg.solve(A.T @ A, A.T @ b)


def lstsq_qr(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x = R⁻¹ Qᵀ b with A = QR (reduced QR, R upper triangular (n, n)). A: (m, n), m >= n, b: (m,) -> x: (n,)."""
    Q, R = np.linalg.qr(A)
    return np.linalg.solve(R, Q.T @ b)


def lstsq_svd(A: np.ndarray, b: np.ndarray, rcond: float = 1e-12) -> np.ndarray:
    """x = V Σ⁺ Uᵀ b, dropping σᵢ <= rcond·σ_max: the minimum-norm least-squares solution. A: (m, n), b: (m,) -> x: (n,)."""
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    keep = s > rcond * s[0]
    return Vt[keep].T @ ((U[:, keep].T @ b) / s[keep])


def digits_lost(kappa: float, method: str) -> float:
    """Decimal digits of accuracy a method loses on a problem of condition number κ: log10 κ for "qr" and "svd", 2·log10 κ for "normal"."""
    if method in ("qr", "svd"):
        return math.log10(kappa)
    if method == "normal":
        return 2.0 * math.log10(kappa)
    raise ValueError(f"unknown method {method!r}: use 'normal', 'qr' or 'svd'")
