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


u_not_divided = Misconception(
    "U = X V without dividing by σ",
    "U was computed as X V from the eigenvectors V of XᵀX, but X vᵢ = σᵢ uᵢ: the columns of X V have length σᵢ, "
    "not 1. Divide each by its singular value, U = (X @ V) / S, to get the unit left singular vectors.",
)


@u_not_divided
def truncated_svd(X, k):  # noqa: F811
    w, V = np.linalg.eigh(X.T @ X)
    V = V[:, ::-1][:, :k]
    S = np.sqrt(np.maximum(w[::-1][:k], 0))
    return X @ V, S, V.T


eigenvalues_as_sigma = Misconception(
    "eigenvalues of XᵀX taken as the singular values",
    "S holds the eigenvalues of XᵀX, which are the SQUARES of the singular values: σᵢ = √λᵢ. Take the square "
    "root (np.sqrt(w)), and then uᵢ = X vᵢ / σᵢ.",
)


@eigenvalues_as_sigma
def truncated_svd(X, k):  # noqa: F811
    w, V = np.linalg.eigh(X.T @ X)
    V = V[:, ::-1][:, :k]
    S = w[::-1][:k]
    return (X @ V) / S, S, V.T


v_not_vt = Misconception(
    "V returned instead of Vt",
    "the third factor came back as V, with the right singular vectors as COLUMNS (n, k). The contract is "
    "numpy's: Vt = Vᵀ, one right singular vector per ROW, shape (k, n): return Vt[:k] from np.linalg.svd "
    "(or V[:, :k].T).",
)


@v_not_vt
def truncated_svd(X, k):  # noqa: F811
    U, S, Vt = np.linalg.svd(X, full_matrices=False)
    return U[:, :k], S[:k], Vt[:k].T.copy()


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


energy_of_kept_only = Misconception(
    "energy over the kept singular values only",
    "the energy came back as 1: both sums ran over the k singular values kept. The share kept is "
    "Σ_(i≤k) σᵢ² / Σ_(all i) σᵢ², and the denominator Σ σᵢ² = ‖X‖_F² needs every singular value.",
)


@energy_of_kept_only
def low_rank_approx(X, k):  # noqa: F811
    U, S, Vt = np.linalg.svd(X, full_matrices=False)
    U, S, Vt = U[:, :k], S[:k], Vt[:k]
    return (U * S) @ Vt, float((S**2).sum() / (S**2).sum())


energy_of_norms = Misconception(
    "energy as a ratio of norms",
    "the energy was ‖X_k‖_F / ‖X‖_F. The share of ‖X‖_F² kept is a ratio of SQUARED norms, "
    "‖X_k‖_F² / ‖X‖_F² = Σ_(i≤k) σᵢ² / Σ σᵢ²: square both norms (or the singular values) first.",
)


@energy_of_norms
def low_rank_approx(X, k):  # noqa: F811
    X_k, _ = ref.low_rank_approx(X, k)
    return X_k, float(np.linalg.norm(X_k) / np.linalg.norm(X))


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


u_of_b = Misconception(
    "U of the small matrix returned as U",
    "U came back with k + oversample rows: it is Ũ, the left singular vectors of the small matrix B = Qᵀ X, "
    "written in the basis Q. Map them back to the m rows of X: U = Q @ Ũ.",
)


@u_of_b
def randomized_svd(X, k, oversample=10, n_iter=4, seed=0):  # noqa: F811
    m, n = X.shape
    rng = np.random.default_rng(seed)
    omega = rng.standard_normal((n, min(k + oversample, m, n))).astype(X.dtype, copy=False)
    Q, _ = np.linalg.qr(X @ omega)
    for _ in range(n_iter):
        W, _ = np.linalg.qr(X.T @ Q)
        Q, _ = np.linalg.qr(X @ W)
    Ub, S, Vt = np.linalg.svd(Q.T @ X, full_matrices=False)
    return Ub[:, :k].copy(), S[:k], Vt[:k]


whole_sketch = Misconception(
    "all k + oversample triplets returned",
    "randomized_svd returned every triplet of the sketch, k + oversample of them. The extra columns only make "
    "the sketch more accurate; keep the first k of each: U[:, :k], S[:k], Vt[:k].",
)


@whole_sketch
def randomized_svd(X, k, oversample=10, n_iter=4, seed=0):  # noqa: F811
    m, n = X.shape
    rng = np.random.default_rng(seed)
    omega = rng.standard_normal((n, min(k + oversample, m, n))).astype(X.dtype, copy=False)
    Q, _ = np.linalg.qr(X @ omega)
    for _ in range(n_iter):
        W, _ = np.linalg.qr(X.T @ Q)
        Q, _ = np.linalg.qr(X @ W)
    Ub, S, Vt = np.linalg.svd(Q.T @ X, full_matrices=False)
    return Q @ Ub, S, Vt
