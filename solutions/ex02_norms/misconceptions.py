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


eps_added = Misconception(
    "added eps to the length",
    "you divided by ‖Xᵢ‖ + eps. For ordinary rows that is almost right, but a row shorter than eps must be divided "
    "by eps itself (the rule of torch.nn.functional.normalize): a row of length 1e-14 divided by 1e-14 + 1e-12 "
    "comes out 1% short. Divide by np.maximum(lengths, eps).",
)


@eps_added
def normalize_rows(X, eps=1e-12):
    return X / (ref._l2_last_axis(X)[:, None] + eps)


spectral_norm = Misconception(
    "largest singular value instead of the Frobenius norm",
    "you returned σ₁, the largest singular value: that is the spectral norm ‖A‖₂, how much A can stretch one "
    "vector. The Frobenius norm counts every entry, sqrt(Σᵢⱼ Aᵢⱼ²), which is also sqrt(Σ σᵢ²) over ALL the "
    "singular values.",
)


@spectral_norm
def frobenius_norm(A):
    return float(np.linalg.svd(A, compute_uv=False)[0])


upcast = Misconception(
    "float32 turned into float64",
    "float32 rows came back as float64: the rows were converted with X.astype(np.float64) (a way around the "
    "overflow of 1e30² in float32), and never converted back. Keep the dtype: scale by the largest entry in "
    "float32 instead, or return the result .astype(X.dtype).",
)


@upcast
def normalize_rows(X, eps=1e-12):
    return ref.normalize_rows(X.astype(np.float64), eps)


one_formula_for_every_p = Misconception(
    "one formula (Σ|xᵢ|^p)^(1/p) for every p",
    "(Σ|xᵢ|^p)^(1/p) is right for p = 1 and p = 2 but not for p = inf: |xᵢ|^inf is inf (or 0) and the power "
    "1/inf is 0, so the answer comes out 1.0 (or NaN). ‖x‖∞ is the LIMIT as p grows, max |xᵢ|: treat it apart. "
    "(For p = 2 the squares also overflow for entries near 1e200: scale by the largest |xᵢ| first.)",
)


@one_formula_for_every_p
def vector_norm(x, p):
    with np.errstate(all="ignore"):
        return float(np.sum(np.abs(x) ** p) ** (1 / p))


ratio_upside_down = Misconception(
    "nearest over farthest",
    "you divided the smallest distance by the largest, so the ratio came out below 1. The concentration ratio is "
    "the FARTHEST pair over the NEAREST: d.max() / d.min(), at least 1, and it falls towards 1 as d grows.",
)


@ratio_upside_down
def concentration_ratio(X):
    d = ref._pairwise_distances(X)
    return float(d.min() / d.max())


list_not_array = Misconception(
    "returned a list, not an array",
    "concentration_curve returned a Python list of ratios; the README asks for a float64 numpy array of shape "
    "(len(dims),): wrap the list with np.array(ratios, dtype=np.float64).",
)


@list_not_array
def concentration_curve(dims, n_points, seed):
    rng = np.random.default_rng(seed)
    return [ref.concentration_ratio(rng.standard_normal((n_points, d))) for d in dims]
