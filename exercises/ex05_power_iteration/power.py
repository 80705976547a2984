"""Power iteration: the dominant eigenpair of a matrix by repeated multiplication."""

from __future__ import annotations

import numpy as np


def rayleigh_quotient(A: np.ndarray, v: np.ndarray) -> float:
    """ρ(v) = vᵀAv / vᵀv for A: (n, n) and any nonzero v: (n,). Returns a Python float."""
    raise NotImplementedError


def power_iteration(
    A: np.ndarray, tol: float = 1e-10, max_iter: int = 10_000, seed: int = 0
) -> tuple[float, np.ndarray, int]:
    """Dominant eigenpair (λ, v), ‖v‖ = 1, stopped when ‖Av − λv‖ ≤ tol·‖A‖_F; A: (n, n) -> (float, (n,), int).

    Start from np.random.default_rng(seed).standard_normal(n); v has A's dtype; the int counts products A @ v.
    """
    raise NotImplementedError


def spectral_radius(A: np.ndarray) -> float:
    """max |λᵢ(A)| for A: (n, n) whose eigenvalue of largest modulus is real and unique -> float ≥ 0."""
    raise NotImplementedError


def second_eigenpair(
    A: np.ndarray, tol: float = 1e-10, max_iter: int = 10_000, seed: int = 0
) -> tuple[float, np.ndarray]:
    """(λ₂, v₂) of symmetric A by deflation: the dominant pair of A − λ₁v₁v₁ᵀ; A: (n, n) -> (float, (n,)).

    λ₂ is the eigenvalue second largest in absolute value; ‖v₂‖ = 1; A is left unchanged.
    """
    raise NotImplementedError
