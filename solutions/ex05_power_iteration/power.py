"""Reference solution for ex05: power iteration, Rayleigh quotients and deflation."""

from __future__ import annotations

import numpy as np


def rayleigh_quotient(A: np.ndarray, v: np.ndarray) -> float:
    """ρ(v) = vᵀAv / vᵀv for A: (n, n) and any nonzero v: (n,)."""
    v = np.asarray(v)
    return float(v @ (A @ v) / (v @ v))


def power_iteration(
    A: np.ndarray, tol: float = 1e-10, max_iter: int = 10_000, seed: int = 0
) -> tuple[float, np.ndarray, int]:
    """Dominant eigenpair (λ, v), ‖v‖ = 1, stopped when ‖Av − λv‖ ≤ tol·‖A‖_F; A: (n, n) -> (float, (n,), int)."""
    A = np.asarray(A)
    n = A.shape[0]
    v = np.random.default_rng(seed).standard_normal(n).astype(A.dtype)
    v /= np.linalg.norm(v)
    threshold = tol * np.linalg.norm(A)  # Frobenius norm: cheap, and ‖A‖₂ ≤ ‖A‖_F
    lam = 0.0
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        w = A @ v
        lam = float(v @ w)  # the Rayleigh quotient: v has unit length
        if np.linalg.norm(w - lam * v) <= threshold:
            break
        v = w / np.linalg.norm(w)
    return lam, v, iterations


def spectral_radius(A: np.ndarray) -> float:
    """max |λᵢ(A)| for A: (n, n) whose eigenvalue of largest modulus is real and unique -> float ≥ 0."""
    return abs(power_iteration(A)[0])


def second_eigenpair(
    A: np.ndarray, tol: float = 1e-10, max_iter: int = 10_000, seed: int = 0
) -> tuple[float, np.ndarray]:
    """(λ₂, v₂) of symmetric A by deflation: the dominant pair of A − λ₁v₁v₁ᵀ; A: (n, n) -> (float, (n,))."""
    lam1, v1, _ = power_iteration(A, tol, max_iter, seed)
    deflated = A - lam1 * np.outer(v1, v1)
    lam2, v2, _ = power_iteration(deflated, tol, max_iter, seed)
    return lam2, v2
