"""Known-wrong variants of ex06, each with the feedback it earns."""

import numpy as np

from grader.checking.misconceptions import Misconception, sibling_reference

ref = sibling_reference(__file__)


# --- truncated_svd ----------------------------------------------------------------------

eigh_ascending = Misconception(
    "eigenvalues taken smallest first",
    "np.linalg.eigh returns eigenvalues in ASCENDING order, so the last k eigenpairs of XᵀX came back "
    "smallest first. Reverse them (w[::-1], V[:, ::-1]) so that S is largest first, or use np.linalg.svd, "
    "which already sorts the singular values in descending order.",
)


@eigh_ascending
def truncated_svd(X, k):
    w, V = np.linalg.eigh(X.T @ X)
    V = V[:, -k:]
    S = np.sqrt(np.maximum(w[-k:], 0))
    return (X @ V) / S, S, V.T


independent_eigs = Misconception(
    "U and V from two separate eigen-decompositions",
    "U came from the eigenvectors of X Xᵀ and V from those of XᵀX, computed separately. Each eigenvector "
    "is only defined up to sign, so some pairs (uᵢ, vᵢ) disagree and X vᵢ = −σᵢ uᵢ: the reconstruction "
    "U diag(S) Vt is wrong even though every vector is right up to sign. Compute one side from the other "
    "(uᵢ = X vᵢ / σᵢ), or take U, S and Vt from a single np.linalg.svd.",
)


@independent_eigs
def truncated_svd(X, k):
    wl, L = np.linalg.eigh(X @ X.T)
    wr, R = np.linalg.eigh(X.T @ X)
    U = L[:, ::-1][:, :k]
    V = R[:, ::-1][:, :k]
    S = np.sqrt(np.maximum(wr[::-1][:k], 0))
    return U, S, V.T


upcast = Misconception(
    "float32 turned into float64",
    "float32 input came back as float64. Converting X with .astype(np.float64), or mixing in a float64 array "
    "(rng.standard_normal makes float64, so X @ Ω is float64), promotes every result. Keep working in "
    "X.dtype: build Ω with .astype(X.dtype), or cast the results back with .astype(X.dtype).",
)


@upcast
def truncated_svd(X, k):
    return ref.truncated_svd(X.astype(np.float64), k)


@upcast
def low_rank_approx(X, k):
    return ref.low_rank_approx(X.astype(np.float64), k)


@upcast
def randomized_svd(X, k, oversample=10, n_iter=4, seed=0):
    return ref.randomized_svd(X.astype(np.float64), k, oversample=oversample, n_iter=n_iter, seed=seed)


# --- low_rank_approx ------------------------------------------------------------------------

energy_of_sigma = Misconception(
    "energy from σ instead of σ²",
    "the energy was computed from the singular values themselves. The squared Frobenius norm ‖X‖_F² equals "
    "Σ σᵢ², so the share kept by the top k is Σ_(i≤k) σᵢ² / Σ σᵢ²: square before summing.",
)


@energy_of_sigma
def low_rank_approx(X, k):
    X_k, _ = ref.low_rank_approx(X, k)
    S = np.linalg.svd(X, compute_uv=False)
    return X_k, float(S[:k].sum() / S.sum())


forgot_sigma = Misconception(
    "singular values left out of X_k",
    "X_k was built as U_k @ Vt_k, without the singular values. Each rank-one piece uᵢ vᵢᵀ has to be "
    "weighted by σᵢ: X_k = (U_k * S_k) @ Vt_k (or U_k @ np.diag(S_k) @ Vt_k).",
)


@forgot_sigma
def low_rank_approx(X, k):
    U, S, Vt = np.linalg.svd(X, full_matrices=False)
    return U[:, :k] @ Vt[:k], float((S[:k] ** 2).sum() / (S**2).sum())


# --- randomized_svd ---------------------------------------------------------------------------

full_svd = Misconception(
    "a full SVD inside randomized_svd",
    "randomized_svd decomposed the whole matrix (np.linalg.svd(X) and then kept k). That is exact but "
    "costs O(m n min(m, n)), which is what the randomized method exists to avoid. Touch X only through "
    "X @ Ω and Xᵀ @ Q with thin matrices, and take the SVD of the small matrix B = Qᵀ X.",
)


@full_svd
def randomized_svd(X, k, oversample=10, n_iter=4, seed=0):
    return ref.truncated_svd(X, k)


no_power_iterations = Misconception(
    "no power iterations",
    "the sketch Q came from X Ω alone and n_iter was ignored. When the singular values decay slowly, the "
    "tail drowns the top directions in a single sketch; each power iteration (Q ← qr(X qr(Xᵀ Q))) raises "
    "the singular values to a higher power and separates the top k from the rest.",
)


@no_power_iterations
def randomized_svd(X, k, oversample=10, n_iter=4, seed=0):
    return ref.randomized_svd(X, k, oversample=oversample, n_iter=0, seed=seed)


no_reorthonormalisation = Misconception(
    "power iterations without re-orthonormalising",
    "the power iterations multiplied by X Xᵀ again and again and orthonormalised only at the end. "
    "After a few products every column points along the top singular vector, and in floating point the "
    "smaller directions are lost (σ₁⁹ swamps σ₈⁹). Orthonormalise with np.linalg.qr after every product "
    "with X and with Xᵀ.",
)


@no_reorthonormalisation
def randomized_svd(X, k, oversample=10, n_iter=4, seed=0):
    m, n = X.shape
    rng = np.random.default_rng(seed)
    omega = rng.standard_normal((n, min(k + oversample, m, n))).astype(X.dtype, copy=False)
    Y = X @ omega
    for _ in range(n_iter):
        Y = X @ (X.T @ Y)
    Q, _ = np.linalg.qr(Y)
    Ub, S, Vt = np.linalg.svd(Q.T @ X, full_matrices=False)
    return Q @ Ub[:, :k], S[:k], Vt[:k]
