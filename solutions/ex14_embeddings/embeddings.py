"""Reference solution for ex14: embeddings as matrices."""

from __future__ import annotations

import numpy as np


def one_hot(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    """X[i, j] = 1.0 if ids[i] == j else 0.0. ids: (n,) ints in [0, V) -> X: (n, V) float64."""
    ids = np.asarray(ids)
    X = np.zeros((ids.shape[0], vocab_size), dtype=np.float64)
    X[np.arange(ids.shape[0]), ids] = 1.0
    return X


def embed(ids: np.ndarray, E: np.ndarray) -> np.ndarray:
    """one_hot(ids) @ E = E[ids]: the rows of E for the ids. ids: any shape S of ints, E: (V, d) -> S + (d,)."""
    ids = np.asarray(ids)
    V = E.shape[0]
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(f"ids must lie in [0, {V}); got values from {ids.min()} to {ids.max()}")
    return E[ids]


def tied_logits(h: np.ndarray, E: np.ndarray) -> np.ndarray:
    """logits = h Eᵀ, the output layer that reuses the embedding matrix. h: (..., d), E: (V, d) -> (..., V)."""
    return h @ E.T


def _unit_rows(E: np.ndarray) -> np.ndarray:
    return E / np.linalg.norm(E, axis=-1, keepdims=True)


def nearest_neighbours(E: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """For each ids[i], the k other rows of E of highest cosine with E[ids[i]], best first, ties to the lower index.

    E: (V, d) without zero rows, ids: (q,) ints, 1 <= k <= V - 1 -> (q, k) ints.
    """
    ids = np.asarray(ids)
    U = _unit_rows(E)
    S = U[ids] @ U.T
    S[np.arange(len(ids)), ids] = -np.inf
    return np.argsort(-S, axis=1, kind="stable")[:, :k]


def analogy(E: np.ndarray, a: int, b: int, c: int) -> int:
    """a : b :: c : ?, the row d ∉ {a, b, c} of highest cosine with Ê[b] − Ê[a] + Ê[c] (Ê: E's rows at unit length)."""
    U = _unit_rows(E)
    scores = U @ (U[b] - U[a] + U[c])
    scores[[a, b, c]] = -np.inf
    return int(np.argmax(scores))
