"""Reference solution for ex11: PageRank by power iteration."""

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

    src, dst: (m,) integer page ids in [0, n) -> (ranks (n,) float64 summing to 1, updates made).
    """
    src = np.asarray(src, dtype=np.intp)
    dst = np.asarray(dst, dtype=np.intp)
    out_degree = np.bincount(src, minlength=n)
    dangling = out_degree == 0
    # Each edge carries 1/outdeg(src) of its source's rank; duplicates carry it twice.
    share = 1.0 / out_degree[src]
    ranks = np.full(n, 1.0 / n)
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        flow = np.bincount(dst, weights=ranks[src] * share, minlength=n)
        new = damping * (flow + ranks[dangling].sum() / n) + (1.0 - damping) / n
        change = np.abs(new - ranks).sum()
        ranks = new
        if change < tol:
            break
    return ranks, iterations
