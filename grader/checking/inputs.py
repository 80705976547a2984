"""Input generators shared by the checks: non-degenerate, with controlled properties.

Changes when checks need a new kind of input.

Every generator takes the check's ``rng`` so that a seed replays the same inputs. They
exist so that checks never pass wrong code by accident: no saturated softmax, no
symmetric toy graph, no matrix whose singular values are all alike unless asked for.
"""

from __future__ import annotations

import numpy as np


def orthonormal(rng: np.random.Generator, n: int, k: int | None = None) -> np.ndarray:
    """An (n, k) matrix with orthonormal columns, Haar-distributed (sign-fixed QR)."""
    k = n if k is None else k
    q, r = np.linalg.qr(rng.standard_normal((n, k)))
    return q * np.sign(np.diag(r))


def with_singular_values(rng: np.random.Generator, m: int, n: int, s: np.ndarray) -> np.ndarray:
    """An (m, n) matrix whose singular values are exactly ``s`` (len(s) <= min(m, n))."""
    s = np.asarray(s, dtype=np.float64)
    k = len(s)
    return (orthonormal(rng, m, k) * s) @ orthonormal(rng, n, k).T


def distinct_singular_values(rng: np.random.Generator, k: int, low: float = 0.5, high: float = 10.0, gap: float = 0.05) -> np.ndarray:
    """k singular values in [low, high], descending, each at least ``gap`` (relative) from its neighbours."""
    s = np.geomspace(high, low, k) * rng.uniform(1 - gap / 3, 1 + gap / 3, size=k)
    return np.sort(s)[::-1]


def with_condition_number(rng: np.random.Generator, m: int, n: int, cond: float) -> np.ndarray:
    """An (m, n) matrix, m >= n, whose 2-norm condition number is exactly ``cond``."""
    s = np.geomspace(1.0, 1.0 / cond, n)
    return with_singular_values(rng, m, n, s)


def symmetric_with_eigenvalues(rng: np.random.Generator, eigenvalues: np.ndarray) -> np.ndarray:
    """A symmetric matrix with the given eigenvalues (and random eigenvectors)."""
    lam = np.asarray(eigenvalues, dtype=np.float64)
    q = orthonormal(rng, len(lam))
    a = (q * lam) @ q.T
    return (a + a.T) / 2



def logits(rng: np.random.Generator, shape: tuple[int, ...], scale: float = 2.0) -> np.ndarray:
    """Logits that give a softmax far from one-hot and far from uniform."""
    return rng.standard_normal(shape) * scale + rng.uniform(-3, 3)


def directed_graph(rng: np.random.Generator, n: int, edges_per_node: float = 3.0, dangling: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A random, asymmetric directed graph as (src, dst), with ``dangling`` pages that have no out-links."""
    m = int(n * edges_per_node)
    src = rng.integers(0, n, size=m)
    dst = rng.integers(0, n, size=m)
    if dangling:
        dead = rng.choice(n, size=min(dangling, n - 1), replace=False)
        keep = ~np.isin(src, dead)
        src, dst = src[keep], dst[keep]
    return src.astype(np.int64), dst.astype(np.int64)
