"""Known-wrong variants of ex01, each with the feedback it earns."""

import numpy as np

from grader.checking.misconceptions import Misconception, sibling_reference

ref = sibling_reference(__file__)

raw_dot = Misconception(
    "raw dot product",
    "you returned the dot product a·b without dividing by the lengths ‖a‖‖b‖. "
    "The dot product grows with the vectors' lengths; the cosine only measures their directions.",
)


@raw_dot
def cosine_similarity(a, b):
    return float(np.dot(a, b))


@raw_dot
def pairwise_cosine(A, B):
    return A @ B.T


@raw_dot
def top_k_similar(query, E, k):
    return np.argsort(-(E @ query), kind="stable")[:k]


one_side = Misconception(
    "normalised one side only",
    "only the rows of A were divided by their lengths; the rows of B must be normalised too, "
    "or longer rows of B look more similar.",
)


@one_side
def pairwise_cosine(A, B):  # noqa: F811
    return ref._unit_rows(A) @ B.T


nan_on_zero = Misconception(
    "division by a zero norm",
    "a zero vector has norm 0, and 0/0 is NaN. Check for a zero norm and return 0 for that vector instead of dividing.",
)


@nan_on_zero
def cosine_similarity(a, b):  # noqa: F811
    with np.errstate(all="ignore"):
        return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


@nan_on_zero
def pairwise_cosine(A, B):  # noqa: F811
    with np.errstate(all="ignore"):
        return (A / np.linalg.norm(A, axis=1, keepdims=True)) @ (B / np.linalg.norm(B, axis=1, keepdims=True)).T


upcast = Misconception(
    "float32 turned into float64",
    "float32 inputs came back as float64. Mixing in a float64 array (np.ones, np.zeros, or a Python list) "
    "promotes the result; build helpers with dtype=A.dtype, or cast back with .astype(A.dtype).",
)


@upcast
def pairwise_cosine(A, B):  # noqa: F811
    return ref.pairwise_cosine(A.astype(np.float64), B.astype(np.float64))


least_first = Misconception(
    "least similar first",
    "np.argsort sorts ascending, so the first indices are the least similar rows. "
    "Sort by the negated scores (np.argsort(-scores, kind='stable')) to put the most similar first.",
)


@least_first
def top_k_similar(query, E, k):
    return np.argsort(ref.pairwise_cosine(query[None, :], E)[0], kind="stable")[:k]


unstable_ties = Misconception(
    "ties in arbitrary order",
    "rows with equal similarity came back in the wrong order. Use a stable sort "
    "(np.argsort(-scores, kind='stable')) so ties keep the lower index first.",
)


@unstable_ties
def top_k_similar(query, E, k):  # noqa: F811
    scores = ref.pairwise_cosine(query[None, :], E)[0]
    order = np.lexsort((-np.arange(len(scores)), -np.round(scores, 12)))
    return order[:k]
