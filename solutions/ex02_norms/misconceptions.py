"""Known-wrong variants of ex02, each with the feedback it earns."""

import math

import numpy as np

from grader.checking.misconceptions import Misconception, sibling_reference

ref = sibling_reference(__file__)

in_place = Misconception(
    "normalised the input in place",
    "X /= lengths (or out = X; out /= ...) overwrote the caller's array: whoever called normalize_rows lost "
    "their data. Build a new array with X / lengths.",
)


@in_place
def normalize_rows(X, eps=1e-12):
    X /= np.maximum(ref._l2_last_axis(X)[:, None], eps)
    return X


l1_without_abs = Misconception(
    "L1 norm without absolute values",
    "you added up the entries themselves, so negative entries cancel positive ones (and the 'length' can even "
    "be negative). ‖x‖₁ = Σ|xᵢ|: take np.abs(x) before summing.",
)


@l1_without_abs
def vector_norm(x, p):
    if p == 1:
        return float(np.sum(x))
    return ref.vector_norm(x, p)


max_without_abs = Misconception(
    "max norm without absolute values",
    "you returned the largest entry, but ‖x‖∞ is the largest MAGNITUDE: a vector whose biggest entry is -9 "
    "has max norm 9. Use np.max(np.abs(x)).",
)


@max_without_abs
def vector_norm(x, p):
    if p == math.inf:
        return float(np.max(x))
    return ref.vector_norm(x, p)


naive_l2 = Misconception(
    "L2 norm that overflows",
    "sqrt(sum(x**2)) squares the entries first, and squares leave the float range long before the entries do: "
    "1e200² is 1e400, beyond float64's 1.8e308, so it becomes inf (in float32 this happens from about 2e19, "
    "and 1e-200² underflows to 0). Divide by the largest |xᵢ| first, take the norm of the scaled vector, and "
    "multiply by that scale again; handle the zero vector separately.",
)


@naive_l2
def vector_norm(x, p):
    if p == 2:
        with np.errstate(all="ignore"):
            return float(np.sqrt(np.sum(x * x)))
    return ref.vector_norm(x, p)


@naive_l2
def frobenius_norm(A):
    with np.errstate(all="ignore"):
        return float(np.sqrt(np.sum(A * A)))


@naive_l2
def normalize_rows(X, eps=1e-12):
    with np.errstate(all="ignore"):
        return X / np.maximum(np.sqrt(np.sum(X * X, axis=1, keepdims=True)), eps)


zero_scale = Misconception(
    "scaled by the largest entry, but not for the zero vector",
    "scaling by the largest |xᵢ| is right, but for the zero vector that scale is 0 and x / 0 is NaN. When the "
    "largest |xᵢ| is 0, the norm is 0: return it before dividing (or divide by np.where(scale == 0, 1, scale)).",
)


@zero_scale
def vector_norm(x, p):
    if p == 2:
        m = np.max(np.abs(x))
        with np.errstate(all="ignore"):
            return float(m * np.sqrt(np.sum((x / m) ** 2)))
    return ref.vector_norm(x, p)


frobenius_squared = Misconception(
    "Frobenius norm without the square root",
    "you returned Σ Aᵢⱼ², the SQUARED Frobenius norm (what weight decay adds to a loss). The norm itself is "
    "its square root, so that ‖2A‖_F = 2‖A‖_F.",
)


@frobenius_squared
def frobenius_norm(A):
    return float(np.sum(A * A))


by_columns = Misconception(
    "normalised the columns",
    "you divided by the norms of the COLUMNS (a sum over axis=0), so the rows do not come out with length 1. "
    "Sum over axis=1, the features of each row, and keep the result as a column (keepdims=True) so it "
    "broadcasts across each row.",
)


@by_columns
def normalize_rows(X, eps=1e-12):
    return X / np.maximum(np.sqrt(np.sum(X * X, axis=0, keepdims=True)), eps)


eps_ignored = Misconception(
    "zero lengths patched, eps ignored",
    "you guarded against zero lengths but did not use eps: a row shorter than eps must be divided by eps, not "
    "by its own tiny length (that would blow rounding noise up to a unit vector). Divide by "
    "np.maximum(lengths, eps), as torch.nn.functional.normalize does.",
)


@eps_ignored
def normalize_rows(X, eps=1e-12):
    norms = ref._l2_last_axis(X)[:, None]
    return X / np.where(norms == 0, 1, norms)


nan_on_zero_rows = Misconception(
    "division by a zero row length",
    "a zero row has length 0, and 0/0 is NaN. Divide by np.maximum(lengths, eps) instead of the lengths "
    "themselves: zero rows then stay zero.",
)


@nan_on_zero_rows
def normalize_rows(X, eps=1e-12):
    with np.errstate(all="ignore"):
        return X / ref._l2_last_axis(X)[:, None]


squared_distances = Misconception(
    "ratio of squared distances",
    "you compared squared distances ‖Xᵢ − Xⱼ‖², so the ratio came out squared. Take the square root of the "
    "sums of squares before dividing the largest by the smallest.",
)


def _squared_ratio(X):
    i, j = np.triu_indices(X.shape[0], k=1)
    d2 = np.sum((X[i] - X[j]) ** 2, axis=1)
    return float(d2.max() / d2.min())


@squared_distances
def concentration_ratio(X):
    return _squared_ratio(X)


self_pairs = Misconception(
    "included each point's distance to itself",
    "the smallest distance you found is 0: the distance from a point to itself, on the diagonal i = j. Only "
    "pairs of different points count; mask the diagonal or use np.triu_indices(n, k=1).",
)


@self_pairs
def concentration_ratio(X):
    D = np.sqrt(np.sum((X[:, None, :] - X[None, :, :]) ** 2, axis=-1))
    with np.errstate(all="ignore"):
        return float(D.max() / D.min())


origin_distances = Misconception(
    "distances from the origin instead of between points",
    "you compared the lengths ‖Xᵢ‖ of the points, which are distances from the origin; they change when the "
    "cloud is shifted. The ratio is about pairs: ‖Xᵢ − Xⱼ‖ for every i ≠ j.",
)


@origin_distances
def concentration_ratio(X):
    n = np.sqrt(np.sum(X * X, axis=1))
    return float(n.max() / n.min())
