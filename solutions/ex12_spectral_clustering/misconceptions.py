"""Known-wrong variants of ex12, each with the feedback it earns."""

import numpy as np

from grader.checking.misconceptions import Misconception, sibling_reference

ref = sibling_reference(__file__)


def _squared_distances(X):
    diff = X[:, None, :] - X[None, :, :]
    return np.einsum("ijk,ijk->ij", diff, diff)


self_loops = Misconception(
    "self-loops left in W",
    "the diagonal of W is exp(0) = 1: every point counted as its own neighbour. Self-loops add 1 to each "
    "degree and pull the Laplacian towards 0; a similarity graph has W[i, i] = 0 (np.fill_diagonal(W, 0)).",
)


@self_loops
def similarity_graph(X, sigma):
    X = np.asarray(X)
    return np.exp(-_squared_distances(X) / (2 * sigma**2)).astype(X.dtype, copy=False)


distance_not_squared = Misconception(
    "kernel of the distance, not its square",
    "you used exp(−‖xᵢ − xⱼ‖ / σ²). The Gaussian kernel uses the squared distance and 2σ²: "
    "exp(−‖xᵢ − xⱼ‖² / (2σ²)).",
)


@distance_not_squared
def similarity_graph(X, sigma):  # noqa: F811
    X = np.asarray(X)
    W = np.exp(-np.sqrt(_squared_distances(X)) / sigma**2).astype(X.dtype, copy=False)
    np.fill_diagonal(W, 0)
    return W


missing_two = Misconception(
    "kernel without the factor 2",
    "you used exp(−‖xᵢ − xⱼ‖² / σ²). The Gaussian kernel with width σ divides by 2σ²: "
    "exp(−‖xᵢ − xⱼ‖² / (2 * sigma**2)), so that σ is the standard deviation of the Gaussian.",
)


@missing_two
def similarity_graph(X, sigma):  # noqa: F811
    X = np.asarray(X)
    W = np.exp(-_squared_distances(X) / sigma**2).astype(X.dtype, copy=False)
    np.fill_diagonal(W, 0)
    return W


unnormalised = Misconception(
    "unnormalised Laplacian D − W",
    "you returned D − W, the unnormalised Laplacian: its eigenvalues grow with the degrees, and it "
    "favours cutting off small groups of low-degree points. Normalise both sides: "
    "L = I − D^{-1/2} W D^{-1/2}, whose eigenvalues lie in [0, 2].",
)


@unnormalised
def normalized_laplacian(W):
    W = np.asarray(W)
    return np.diag(W.sum(axis=1)) - W


random_walk = Misconception(
    "random-walk Laplacian I − D⁻¹W",
    "you returned I − D⁻¹W, the random-walk Laplacian. It has the same eigenvalues but it is not "
    "symmetric, so np.linalg.eigh does not apply and its eigenvectors are not orthonormal. The "
    "symmetric normalised Laplacian divides W[i, j] by √(dᵢ dⱼ): I − D^{-1/2} W D^{-1/2}.",
)


@random_walk
def normalized_laplacian(W):  # noqa: F811
    W = np.asarray(W)
    return np.eye(len(W), dtype=W.dtype) - W / W.sum(axis=1, keepdims=True)


isolated_one = Misconception(
    "isolated node given L[i, i] = 1",
    "a node with no neighbours kept a 1 on the diagonal. With degree 0 there is nothing to normalise: "
    "its whole row and column of L are 0, so it counts as a connected piece of its own (one more "
    "zero eigenvalue). Put 1 on the diagonal only where the degree is positive.",
)


@isolated_one
def normalized_laplacian(W):  # noqa: F811
    W = np.asarray(W)
    degree = W.sum(axis=1)
    scale = np.where(degree > 0, 1 / np.sqrt(np.where(degree > 0, degree, 1)), 0).astype(W.dtype)
    return np.eye(len(W), dtype=W.dtype) - scale[:, None] * W * scale[None, :]


largest = Misconception(
    "eigenvectors of the largest eigenvalues",
    "you took the eigenvectors of the k largest eigenvalues. np.linalg.eigh returns eigenvalues in "
    "ascending order, so the k smallest, the ones that encode the clusters, are the first k columns: "
    "vectors[:, :k].",
)


@largest
def spectral_embedding(L, k):
    return np.linalg.eigh(L)[1][:, ::-1][:, :k]


raw_kmeans = Misconception(
    "k-means on the raw points",
    "you ran k-means on X itself. k-means can only draw straight boundaries between round clusters, so "
    "it cuts rings and moons in half. Run it on the rows of the spectral embedding U (normalised to "
    "unit length), where each connected cluster collapses to one point.",
)


@raw_kmeans
def spectral_clustering(X, k, sigma, seed=0):
    labels = ref._kmeans(np.asarray(X, dtype=np.float64), k, np.random.default_rng(seed))
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    return np.argsort(np.argsort(first))[inverse].astype(np.int64)


sigma_not_squared = Misconception(
    "kernel divided by 2σ, not 2σ²",
    "you used exp(−‖xᵢ − xⱼ‖² / (2σ)): σ is the kernel's width, a length, so it enters squared, like the "
    "distance: exp(−‖xᵢ − xⱼ‖² / (2 * sigma**2)).",
)


@sigma_not_squared
def similarity_graph(X, sigma):  # noqa: F811
    X = np.asarray(X)
    W = np.exp(-_squared_distances(X) / (2 * sigma)).astype(X.dtype, copy=False)
    np.fill_diagonal(W, 0)
    return W


float64_kernel = Misconception(
    "W computed in float64 for float32 points",
    "X was converted to float64 (np.asarray(X, dtype=float) or X.astype(np.float64)), so a float32 X gave a float64 "
    "W. The README asks for X's dtype: compute on X as it is, or cast the result back with .astype(X.dtype).",
)


@float64_kernel
def similarity_graph(X, sigma):  # noqa: F811
    X = np.asarray(X, dtype=np.float64)
    W = np.exp(-_squared_distances(X) / (2 * sigma**2))
    np.fill_diagonal(W, 0)
    return W


normalised_adjacency = Misconception(
    "D^{-1/2} W D^{-1/2} without the I −",
    "you returned the normalised adjacency D^{-1/2} W D^{-1/2}, not the Laplacian I − D^{-1/2} W D^{-1/2}. The "
    "two share their eigenvectors in reverse order, so the Laplacian's smallest are the adjacency's largest; "
    "the README asks for the Laplacian, whose eigenvalues lie in [0, 2] with D^{1/2}1 in its kernel.",
)


@normalised_adjacency
def normalized_laplacian(W):  # noqa: F811
    W = np.asarray(W)
    degree = W.sum(axis=1)
    scale = np.where(degree > 0, 1 / np.sqrt(np.where(degree > 0, degree, 1)), 0).astype(W.dtype)
    return scale[:, None] * W * scale[None, :]


isolated_nan = Misconception(
    "an isolated node divides by a zero degree",
    "1 / np.sqrt(degree) is inf for a node with no neighbours, and inf · 0 is NaN, so its row and column of L came "
    "back as NaN. Compute 1/√d only where d > 0 and use 0 elsewhere (np.where, or a boolean mask), and put 1 on "
    "the diagonal only where d > 0.",
)


@isolated_nan
def normalized_laplacian(W):  # noqa: F811
    W = np.asarray(W)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 1 / np.sqrt(W.sum(axis=1))
        return np.eye(len(W), dtype=W.dtype) - scale[:, None] * W * scale[None, :]


w_scaled_in_place = Misconception(
    "W scaled in place",
    "normalized_laplacian scaled the caller's W in place (W *= ..., W /= ...): L is right, but W came back "
    "changed. Compute L from a new array: -(s[:, None] * W * s[None, :]) makes one.",
)


@w_scaled_in_place
def normalized_laplacian(W):  # noqa: F811
    L = ref.normalized_laplacian(W)
    degree = W.sum(axis=1)
    scale = np.where(degree > 0, 1 / np.sqrt(np.where(degree > 0, degree, 1)), 0).astype(W.dtype)
    W *= scale[:, None]
    W *= scale[None, :]
    return L


first_dropped = Misconception(
    "first eigenvector dropped",
    "you took the eigenvectors of eigenvalues 2 to k + 1, dropping the first (as Laplacian eigenmaps do, whose "
    "first eigenvector is constant). Spectral clustering keeps it: with k clusters the k smallest eigenvalues "
    "are all near 0, and the first eigenvector carries part of the cluster information. Take vectors[:, :k].",
)


@first_dropped
def spectral_embedding(L, k):  # noqa: F811
    return np.linalg.eigh(L)[1][:, 1 : k + 1]
