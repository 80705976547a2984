"""Reference solution for ex01: cosine similarity."""

from __future__ import annotations

import numpy as np


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """cos θ = a·b / (‖a‖ ‖b‖) for 1-D arrays of equal length; 0.0 if either norm is 0."""
    na = float(np.linalg.norm(a))
    nb = float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return 0.0
    return float(np.dot(a, b) / (na * nb))


def _unit_rows(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    safe = np.where(norms == 0, 1, norms)
    return X / safe


def pairwise_cosine(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """S[i, j] = cos(A[i], B[j]); zero rows give 0. A: (n, d), B: (m, d) -> S: (n, m)."""
    return _unit_rows(A) @ _unit_rows(B).T


def top_k_similar(query: np.ndarray, E: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k rows of E most similar to query, most similar first, ties to the lower index."""
    scores = pairwise_cosine(query[None, :], E)[0]
    return np.argsort(-scores, kind="stable")[:k]
