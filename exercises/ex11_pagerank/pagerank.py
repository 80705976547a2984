"""PageRank: the stationary distribution of a random surfer, by power iteration."""

from __future__ import annotations

import numpy as np


def pagerank(
    src: np.ndarray,
    dst: np.ndarray,
    n: int,
    damping: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> tuple[np.ndarray, int]:
    """r ← d·(Pᵀr + (dangling mass)/n) + (1−d)/n from r = 1/n until ‖Δr‖₁ < tol.

    src, dst: (m,) integer page ids in [0, n), edge e links src[e] -> dst[e], duplicates count.
    Returns (ranks: float64 (n,), summing to 1; iterations: int, the updates made, the last included).
    """
    raise NotImplementedError
