"""Known-wrong variants of ex07, each with the feedback it earns."""

import numpy as np

from grader.checking.misconceptions import Misconception, sibling_reference

ref = sibling_reference(__file__)


def _ratio_uncentred(X):
    S = np.linalg.svd(X, compute_uv=False)
    return S**2 / (S**2).sum()


def _choose(ratio, threshold):
    cumulative = np.cumsum(ratio)
    return int(np.argmax(cumulative >= threshold - 1e-12)) + 1


not_centred = Misconception(
    "data not centred",
    "fit_pca took the SVD of X itself, not of X − mean. Without centring, the first 'principal axis' points "
    "from the origin to the middle of the data, and the variances include the mean's size. Subtract "
    "X.mean(axis=0) from every row before the SVD.",
)


@not_centred
def fit_pca(X, k):
    _, S, Vt = np.linalg.svd(X, full_matrices=False)
    return X.mean(axis=0), Vt[:k], S[:k] ** 2 / (X.shape[0] - 1)


ratio_not_centred = Misconception(
    "ratios of data not centred",
    "explained_variance_ratio (and choose_k, which uses it) took the singular values of X itself, not of "
    "X − mean. Far from the origin, the first of them measures the mean, not any spread, and carries almost "
    "all of the 'variance'. Subtract X.mean(axis=0) before the SVD.",
)


@ratio_not_centred
def explained_variance_ratio(X):
    return _ratio_uncentred(X)


@ratio_not_centred
def choose_k(X, threshold=0.95):
    return _choose(_ratio_uncentred(X), threshold)


divided_by_n = Misconception(
    "variance divided by n",
    "the explained variances were σ²/n. The sample variance divides by n − 1 (one degree of freedom goes "
    "into estimating the mean), as np.var(x, ddof=1), np.cov and sklearn's PCA do: use S**2 / (n - 1).",
)


@divided_by_n
def fit_pca(X, k):
    mean, comps, var = ref.fit_pca(X, k)
    n = X.shape[0]
    return mean, comps, var * (n - 1) / n


not_divided = Misconception(
    "variance not divided by n − 1",
    "the explained variances were σ², the squared singular values themselves. The variance along axis i is "
    "σᵢ² / (n − 1): the sum of squares of the centred scores, divided by n − 1.",
)


@not_divided
def fit_pca(X, k):
    mean, comps, var = ref.fit_pca(X, k)
    return mean, comps, var * (X.shape[0] - 1)


components_as_columns = Misconception(
    "components as columns",
    "the principal axes came back as the COLUMNS of a (d, k) array. This exercise (like sklearn) stores one "
    "axis per ROW: components has shape (k, d), Vt[:k] from the SVD, or the transpose of eigh's eigenvector "
    "columns. Then transform is (X − mean) @ components.T.",
)


@components_as_columns
def fit_pca(X, k):
    mean, comps, var = ref.fit_pca(X, k)
    return mean, comps.T.copy(), var


@components_as_columns
def transform(X, mean, components):
    return (X - mean) @ components


@components_as_columns
def inverse_transform(Z, mean, components):
    return Z @ components.T + mean


eigh_ascending = Misconception(
    "eigenvalues taken smallest first",
    "np.linalg.eigh returns the eigenvalues of the covariance in ASCENDING order, so the variances and ratios "
    "came back smallest first (and the axes in the same reversed order). Reverse them (w[::-1], V[:, ::-1]) "
    "before taking the first k, or use the SVD of the centred data, whose singular values are sorted "
    "largest first.",
)


@eigh_ascending
def fit_pca(X, k):
    mean = X.mean(axis=0)
    Xc = X - mean
    w, V = np.linalg.eigh(Xc.T @ Xc / (X.shape[0] - 1))
    return mean, V[:, -k:].T.copy(), w[-k:]


@eigh_ascending
def explained_variance_ratio(X):
    Xc = X - X.mean(axis=0)
    w = np.linalg.eigh(Xc.T @ Xc)[0][-min(X.shape):]
    return w / w.sum()


gram_eigenvectors = Misconception(
    "eigenvectors of X Xᵀ used as the axes",
    "the components were eigenvectors of the n x n matrix Xc Xcᵀ (one entry per SAMPLE). Its eigenvectors "
    "are the left singular vectors U, not the axes. The axes live in feature space (length d): the rows of "
    "Vt, or the eigenvectors of the d x d matrix Xcᵀ Xc. From U you can recover them as vᵢ = Xcᵀ uᵢ / σᵢ.",
)


@gram_eigenvectors
def fit_pca(X, k):
    mean = X.mean(axis=0)
    Xc = X - mean
    w, U = np.linalg.eigh(Xc @ Xc.T)
    order = np.argsort(w)[::-1][:k]
    return mean, U[:, order].T.copy(), w[order] / (X.shape[0] - 1)


off_by_one = Misconception(
    "choose_k off by one",
    "choose_k returned an index, not a count: np.argmax(cumulative >= threshold) is 0 when the FIRST "
    "component already reaches the threshold, and then one component is needed. Return that index + 1.",
)


@off_by_one
def choose_k(X, threshold=0.95):
    return _choose(ref.explained_variance_ratio(X), threshold) - 1


centred_in_place = Misconception(
    "X centred in place",
    "fit_pca changed the caller's data: X -= mean (or X[...] = ...) writes into the array you were given, "
    "so after fitting, the caller's X is centred and its mean is lost. Use Xc = X - mean, a new array.",
)


@centred_in_place
def fit_pca(X, k):
    mean = X.mean(axis=0)
    X -= mean
    _, S, Vt = np.linalg.svd(X, full_matrices=False)
    return mean, Vt[:k], S[:k] ** 2 / (X.shape[0] - 1)


transform_uncentred = Misconception(
    "mean not subtracted in transform",
    "transform projected X itself. The principal axes pass through the MEAN of the data, not through the "
    "origin: subtract it before projecting, Z = (X - mean) @ components.T.",
)


@transform_uncentred
def transform(X, mean, components):
    return X @ components.T


inverse_without_mean = Misconception(
    "mean not added back in inverse_transform",
    "inverse_transform mapped the scores back with Z @ components only, which gives points around the origin. "
    "The axes pass through the mean of the data: add it back, X̂ = Z @ components + mean.",
)


@inverse_without_mean
def inverse_transform(Z, mean, components):
    return Z @ components


ratio_of_sigma = Misconception(
    "ratio of singular values instead of their squares",
    "the ratios were σᵢ / Σ σⱼ. Variance is the SQUARE of a spread: the variance along axis i is σᵢ² / (n − 1), "
    "so the share of the total is σᵢ² / Σ σⱼ². Square the singular values before dividing.",
)


def _ratio_of_sigma(X):
    S = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    return S / S.sum()


@ratio_of_sigma
def explained_variance_ratio(X):
    return _ratio_of_sigma(X)


@ratio_of_sigma
def choose_k(X, threshold=0.95):
    return _choose(_ratio_of_sigma(X), threshold)


covariance_ratios = Misconception(
    "d ratios from the covariance's eigenvalues",
    "the ratios came from the d eigenvalues of the d x d covariance. With fewer samples than features (n < d) "
    "only min(n, d) of them can be nonzero, and the contract asks for those min(n, d) ratios: take the "
    "singular values of the centred data (np.linalg.svd(Xc, compute_uv=False)), or keep the first min(n, d) "
    "eigenvalues.",
)


@covariance_ratios
def explained_variance_ratio(X):
    Xc = X - X.mean(axis=0)
    w = np.linalg.eigvalsh(Xc.T @ Xc)[::-1]
    return w / w.sum()


upcast = Misconception(
    "float32 turned into float64",
    "float32 data gave float64 results: X.astype(np.float64) (or a float64 array mixed in) promotes everything "
    "after it. Stay in X.dtype, or cast the results back with .astype(X.dtype).",
)


@upcast
def fit_pca(X, k):
    return ref.fit_pca(X.astype(np.float64), k)


row_means = Misconception(
    "means of the rows instead of the columns",
    "the mean was taken along axis=1: one number per SAMPLE, and each row centred on its own average. PCA "
    "centres each FEATURE: mean = X.mean(axis=0), of shape (d,), subtracted from every row.",
)


@row_means
def fit_pca(X, k):
    mean = X.mean(axis=1, keepdims=True)
    _, S, Vt = np.linalg.svd(X - mean, full_matrices=False)
    return mean, Vt[:k], S[:k] ** 2 / (X.shape[0] - 1)
