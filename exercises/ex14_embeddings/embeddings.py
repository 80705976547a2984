"""Embeddings as matrices: lookup, weight-tied output logits, and neighbours in embedding space."""

from __future__ import annotations

import numpy as np


def one_hot(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    """X[i, j] = 1.0 if ids[i] == j else 0.0. ids: (n,) ints in [0, V), vocab_size V -> X: (n, V) float64."""
    raise NotImplementedError


def embed(ids: np.ndarray, E: np.ndarray) -> np.ndarray:
    """one_hot(ids) @ E = E[ids]: the rows of E for the ids. ids: any shape S of ints, E: (V, d) -> S + (d,).

    The result has the dtype of E. An id outside [0, V), negative ones included, raises ValueError
    (IndexError is accepted too).
    """
    raise NotImplementedError


def tied_logits(h: np.ndarray, E: np.ndarray) -> np.ndarray:
    """logits = h Eᵀ, the output layer that reuses the embedding matrix. h: (..., d), E: (V, d) -> (..., V).

    The result has the dtype of the inputs.
    """
    raise NotImplementedError


def nearest_neighbours(E: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """For each ids[i], the k other rows of E of highest cosine with E[ids[i]], best first, ties to the lower index.

    E: (V, d) without zero rows, ids: (q,) ints, 1 <= k <= V - 1 -> integer array (q, k).
    Row ids[i] itself is left out of its own list. E must be left unchanged.
    """
    raise NotImplementedError


def analogy(E: np.ndarray, a: int, b: int, c: int) -> int:
    """a : b :: c : ?, the row d ∉ {a, b, c} of highest cosine with Ê[b] − Ê[a] + Ê[c] (Ê: E's rows at unit length).

    Returns a Python int; ties go to the lower index.
    """
    raise NotImplementedError
