"""Cosine similarity: how alike two directions are, whatever their lengths."""

from __future__ import annotations

import numpy as np


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """cos θ = a·b / (‖a‖ ‖b‖) for 1-D arrays of equal length; 0.0 if either norm is 0.

    a: (d,), b: (d,). Returns a Python float in [-1, 1].
    """
    raise NotImplementedError


def pairwise_cosine(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """S[i, j] = cos(A[i], B[j]); zero rows give 0. A: (n, d), B: (m, d) -> S: (n, m).

    The result has the dtype of the inputs: float64 in, float64 out; float32 in, float32 out.
    """
    raise NotImplementedError


def top_k_similar(query: np.ndarray, E: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k rows of E most similar to query, most similar first, ties to the lower index.

    query: (d,), E: (n, d), 1 <= k <= n -> integer array (k,).
    """
    raise NotImplementedError
