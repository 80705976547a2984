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
def top_k_similar(query, E, k):  # noqa: F811
    return np.argsort(ref.pairwise_cosine(query[None, :], E)[0], kind="stable")[:k]


unstable_ties = Misconception(
    "ties in arbitrary order",
    "rows with equal similarity came back with the higher index first, the way np.argsort(scores)[::-1] "
    "leaves them (reversing an ascending sort reverses the ties too). Sort the negated scores with a stable "
    "sort, np.argsort(-scores, kind='stable'), so ties keep the lower index first.",
)


@unstable_ties
def top_k_similar(query, E, k):  # noqa: F811
    scores = ref.pairwise_cosine(query[None, :], E)[0]
    return np.argsort(scores, kind="stable")[::-1][:k]


no_square_root = Misconception(
    "divided by the squared lengths",
    "you divided a·b by Σa²·Σb², the SQUARED lengths: the length is the square root, ‖a‖ = sqrt(Σaᵢ²). "
    "Without the root the result still depends on the lengths (scale a by 10 and it shrinks tenfold), and "
    "parallel vectors do not give 1.",
)


@no_square_root
def cosine_similarity(a, b):  # noqa: F811
    na, nb = float(np.sum(a * a)), float(np.sum(b * b))
    if na == 0.0 or nb == 0.0:
        return 0.0
    return float(np.dot(a, b) / (na * nb))


@no_square_root
def pairwise_cosine(A, B):  # noqa: F811
    def unit(X):
        sq = np.sum(X * X, axis=1, keepdims=True)
        return X / np.where(sq == 0, 1, sq)

    return unit(A) @ unit(B).T


column_norms = Misconception(
    "normalised the columns",
    "you divided by the lengths of the COLUMNS (np.linalg.norm(X, axis=0)): each column of A and B has length 1, "
    "but the rows, the vectors being compared, do not. Take each row's length over axis=1, kept as a column "
    "(keepdims=True) so that it divides its own row.",
)


@column_norms
def pairwise_cosine(A, B):  # noqa: F811
    def unit(X):
        norms = np.linalg.norm(X, axis=0, keepdims=True)
        return X / np.where(norms == 0, 1, norms)

    return unit(A) @ unit(B).T


whole_matrix_norm = Misconception(
    "divided by the norm of the whole matrix",
    "np.linalg.norm(A) without axis= is ONE number, the length of all of A's entries together (the Frobenius "
    "norm), so every row was divided by the same number and longer rows still score higher. Each row needs its "
    "own length: np.linalg.norm(A, axis=1, keepdims=True).",
)


@whole_matrix_norm
def pairwise_cosine(A, B):  # noqa: F811
    return (A / np.linalg.norm(A)) @ (B / np.linalg.norm(B)).T


norms_without_keepdims = Misconception(
    "row lengths without keepdims",
    "np.linalg.norm(X, axis=1) has shape (n,), and dividing an (n, d) array by it lines the n lengths up with "
    "the d COLUMNS: an error when n ≠ d, silently wrong numbers when n = d. Keep the lengths as a column: "
    "np.linalg.norm(X, axis=1, keepdims=True), or norms[:, None].",
)


@norms_without_keepdims
def pairwise_cosine(A, B):  # noqa: F811
    def unit(X):
        norms = np.linalg.norm(X, axis=1)
        return X / np.where(norms == 0, 1, norms)

    return unit(A) @ unit(B).T


zero_only_if_both = Misconception(
    "returned 0 only when both vectors are zero",
    "the README asks for 0.0 when EITHER norm is 0, but your test was `and`: with one zero vector and one "
    "ordinary one you divided 0 by 0 and returned NaN. Test `if na == 0 or nb == 0`.",
)


@zero_only_if_both
def cosine_similarity(a, b):  # noqa: F811
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 and nb == 0:
        return 0.0
    with np.errstate(all="ignore"):
        return float(np.dot(a, b) / (na * nb))


skipped_the_best = Misconception(
    "left out the most similar row",
    "you returned order[1:k+1], leaving out the best match, as nearest-neighbour code does when the query is "
    "itself a row of E. Here the query is not one of the rows: return order[:k].",
)


@skipped_the_best
def top_k_similar(query, E, k):  # noqa: F811
    scores = ref.pairwise_cosine(query[None, :], E)[0]
    return np.argsort(-scores, kind="stable")[1 : k + 1]


ranked_by_size = Misconception(
    "ranked by the size of the cosine",
    "you ranked the rows by |cos|, so a row pointing the OPPOSITE way (cosine -1) came first. The most "
    "similar rows have the largest cosine itself: a cosine of -1 is the least similar there is. Sort by "
    "-scores, not by -np.abs(scores).",
)


@ranked_by_size
def top_k_similar(query, E, k):  # noqa: F811
    scores = ref.pairwise_cosine(query[None, :], E)[0]
    return np.argsort(-np.abs(scores), kind="stable")[:k]


scores_not_indices = Misconception(
    "returned the scores, not the indices",
    "top_k_similar returns WHICH rows are most similar, their indices into E (integers), most similar first; "
    "you returned their cosines. np.argsort gives the indices that sort the scores.",
)


@scores_not_indices
def top_k_similar(query, E, k):  # noqa: F811
    scores = ref.pairwise_cosine(query[None, :], E)[0]
    return np.sort(scores)[::-1][:k]
