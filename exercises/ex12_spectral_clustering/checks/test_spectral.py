"""Checks for ex12: similarity graph, normalised Laplacian, spectral embedding, spectral clustering.

A failure says what was expected and what came back; a cause is named only where the returned values
show it (they match what that cause computes), never as a guess.
"""

import numpy as np

from grader.checking import CheckFailure, advice, close, expect, points, stage

# --- inputs ----------------------------------------------------------------------

def points_cloud(rng, n, d=2, dtype=np.float64):
    """Scattered points with an offset, so that formulas that forget to subtract are caught."""
    return (rng.standard_normal((n, d)) + rng.uniform(-3, 3, size=d)).astype(dtype)


def blobs(rng, k, per=(12, 20), spread=0.5, distance=6.0):
    """k Gaussian blobs whose centres are `distance` apart: a graph with k nearly separate pieces."""
    angles = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(k) / k
    centres = distance / (2 * np.sin(np.pi / k)) * np.c_[np.cos(angles), np.sin(angles)] if k > 1 else np.zeros((1, 2))
    sizes = rng.integers(per[0], per[1], size=k)
    X = np.concatenate([c + spread * rng.standard_normal((m, 2)) for c, m in zip(centres, sizes)])
    return X[rng.permutation(len(X))]


def gaussian_w(X, sigma):
    diff = X[:, None, :] - X[None, :, :]
    W = np.exp(-(diff**2).sum(-1) / (2 * sigma**2))
    np.fill_diagonal(W, 0)
    return W


def rings(rng, radii=(1.0, 2.5, 4.0), per_unit=18, noise=0.05):
    """Concentric rings, points evenly spread round each (with jitter): k-means on X cannot separate them."""
    X, y = [], []
    for j, r in enumerate(radii):
        m = int(per_unit * r)
        t = (np.arange(m) + rng.uniform(-0.3, 0.3, m)) * 2 * np.pi / m + rng.uniform(0, 2 * np.pi)
        rr = r + noise * rng.standard_normal(m)
        X.append(np.c_[rr * np.cos(t), rr * np.sin(t)])
        y.append(np.full(m, j))
    X, y = np.concatenate(X) + rng.uniform(-3, 3, size=2), np.concatenate(y)
    order = rng.permutation(len(y))
    return X[order], y[order]


def moons(rng, m=50, noise=0.05):
    """Two interleaved half-moons: not linearly separable, but each one connected."""
    t1 = (np.arange(m) + rng.uniform(-0.3, 0.3, m)) * np.pi / (m - 1)
    t2 = (np.arange(m) + rng.uniform(-0.3, 0.3, m)) * np.pi / (m - 1)
    X = np.concatenate([np.c_[np.cos(t1), np.sin(t1)], np.c_[1 - np.cos(t2), 0.35 - np.sin(t2)]])
    X = X + noise * rng.standard_normal((2 * m, 2)) + rng.uniform(-3, 3, size=2)
    y = np.repeat([0, 1], m)
    order = rng.permutation(2 * m)
    return X[order], y[order]


def adjusted_rand_index(a, b):
    a, b = np.unique(a, return_inverse=True)[1], np.unique(b, return_inverse=True)[1]
    table = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(table, (a, b), 1)

    def pairs(x):
        return (x * (x - 1) / 2).sum()

    index, rows, cols, total = pairs(table), pairs(table.sum(1)), pairs(table.sum(0)), len(a) * (len(a) - 1) / 2
    expected = rows * cols / total
    top = (rows + cols) / 2
    return float((index - expected) / (top - expected)) if top != expected else 1.0


def expect_values(actual, expected, what, note, evidence=(), **tolerance):
    """``expect(actual).to_match(expected)``, with ``note`` saying that the values (not a property) were wrong."""
    try:
        expect(actual, what, advice=list(evidence)).to_match(expected, **tolerance)
    except CheckFailure as exc:
        raise CheckFailure(f"{exc}\n{note}") from None


def kernel_evidence(X, sigma):
    """Advice for the usual wrong kernels, each shown only when W equals what it computes."""
    diff = X[:, None, :] - X[None, :, :]
    sq = (diff.astype(np.float64) ** 2).sum(-1)
    off = ~np.eye(len(X), dtype=bool)

    def kernel(values):
        W = np.exp(-values)
        np.fill_diagonal(W, 0)
        return W

    def off_diagonal_is(values):
        return lambda W: close(np.asarray(W, dtype=np.float64)[off], kernel(values)[off], rtol=1e-5)

    return [
        advice("Your W is exp(−‖xᵢ − xⱼ‖² / σ²): the factor 2 is missing from 2σ².", when=off_diagonal_is(sq / sigma**2)),
        advice("Your W is exp(−‖xᵢ − xⱼ‖ / σ²): the distance is not squared.", when=off_diagonal_is(np.sqrt(sq) / sigma**2)),
        advice("Your W is exp(−‖xᵢ − xⱼ‖² / (2σ)): σ is not squared.", when=off_diagonal_is(sq / (2 * sigma))),
    ]


def laplacian_evidence(W):
    """Advice for the usual wrong Laplacians, each shown only when L equals what it computes."""
    W = np.asarray(W, dtype=np.float64)
    d = W.sum(axis=1)
    s = np.where(d > 0, 1 / np.sqrt(np.where(d > 0, d, 1)), 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        random_walk = np.eye(len(W)) - W / d[:, None]
    return [
        advice("Your L is I − D⁻¹W, the random-walk Laplacian; the symmetric one divides W[i, j] by √(dᵢ dⱼ).",
               when=lambda L: close(L, random_walk)),
        advice("Your L is D − W, the unnormalised Laplacian; divide W[i, j] by √(dᵢ dⱼ): I − D^{-1/2} W D^{-1/2}.",
               when=lambda L: close(L, np.diag(d) - W)),
        advice("Your L is D^{-1/2} W D^{-1/2}, the normalised adjacency: the Laplacian is I minus it.",
               when=lambda L: close(L, s[:, None] * W * s[None, :])),
    ]


def check_partition(labels, truth, k, what, contract, evidence):
    expect(labels, "labels").to_have_shape(truth.shape)
    expect(labels, "labels").to_satisfy(
        isinstance(labels, np.ndarray) and labels.dtype.kind in "iu",
        f"labels must be an integer array (got dtype {getattr(labels, 'dtype', type(labels).__name__)}); "
        "return np.argmin(...) results or .astype(np.int64)",
    )
    found = sorted(set(np.asarray(labels).tolist()))
    expect(labels, "labels").to_satisfy(
        found == list(range(k)), f"expected the labels 0..{k - 1}, each used at least once; got the values {found[:10]}"
    )
    ari = adjusted_rand_index(truth, labels)
    wrong = []
    for j in range(k):
        got = np.unique(np.asarray(labels)[truth == j])
        if len(got) > 1:
            wrong.append(f"{what[j]} was split between labels {got.tolist()}")
    expect(labels, "labels", advice=evidence).to_satisfy(
        ari == 1.0,
        f"the clusters differ from the true ones (adjusted Rand index {ari:.3f}; 1 means the same partition, "
        f"labels may be renamed): {'; '.join(wrong) or 'some clusters were merged'}. {contract}",
    )


# --- similarity_graph ------------------------------------------------------------

@points(3)
def test_similarity_is_the_gaussian_kernel_of_squared_distances(submission, reference, rng):
    X = points_cloud(rng, int(rng.integers(8, 14)), d=3)
    sigma = float(rng.uniform(0.8, 1.6))
    W = submission.similarity_graph(X, sigma)
    expect(W, "W").to_have_shape((len(X), len(X)))
    expect(W, "W", advice=kernel_evidence(X, sigma)).to_match(reference.similarity_graph(X, sigma))


@points(2)
def test_similarity_is_symmetric_with_zero_diagonal_values_in_0_1_and_the_gaussian_kernel(submission, reference, rng):
    X = points_cloud(rng, int(rng.integers(10, 20)))
    sigma = float(rng.uniform(0.7, 1.5))
    W = submission.similarity_graph(X, sigma)
    expect(W, "W").to_have_shape((len(X), len(X)))
    expect(W, "W").to_be_finite()
    diag = np.diag(np.asarray(W, dtype=np.float64))
    expect(W, "W", advice=advice(
        "Those are exp(0) = 1, each point's similarity to itself: a self-loop that pulls every node towards itself. "
        "Set the diagonal to 0 with np.fill_diagonal(W, 0).",
        when=bool(np.allclose(diag, 1.0)),
    )).to_satisfy(
        bool(np.all(diag == 0)),
        f"the diagonal holds {np.array2string(diag[:4], precision=3)}...; a similarity graph has W[i, i] = 0 "
        "(no self-loops).",
    )
    expect(W, "W").to_satisfy(bool(np.allclose(W, np.asarray(W).T, rtol=0, atol=1e-15)), "W must be symmetric: the distance from i to j is the distance from j to i")
    expect(W, "W").to_satisfy(bool(np.all((W >= 0) & (W <= 1))), "Gaussian similarities lie between 0 and 1")
    expect_values(
        W, reference.similarity_graph(X, sigma), "W",
        "W is symmetric with a zero diagonal and entries in [0, 1], but its values are wrong: off the diagonal, "
        "W[i, j] = exp(−‖xᵢ − xⱼ‖² / (2σ²)).",
        kernel_evidence(X, sigma),
    )


@points(1)
def test_similarity_of_one_point_is_zero_and_of_two_points_is_their_kernel(submission, reference, rng):
    X = points_cloud(rng, 1, d=3)
    expect(submission.similarity_graph(X, 1.0), "W of one point").to_match(np.zeros((1, 1)))
    sigma = float(rng.uniform(0.8, 1.5))
    direction = rng.standard_normal(3)
    X2 = np.concatenate([X, X + sigma * rng.uniform(0.5, 1.2) * direction / np.linalg.norm(direction)])
    expect_values(
        submission.similarity_graph(X2, sigma), reference.similarity_graph(X2, sigma), "W of two points",
        "one point gave the right W = [[0]], but two points did not: W = [[0, w], [w, 0]] with "
        "w = exp(−‖x₁ − x₂‖² / (2σ²)).",
        kernel_evidence(X2, sigma),
    )


@points(1)
def test_similarity_keeps_float32(submission, reference, rng):
    X = points_cloud(rng, int(rng.integers(6, 12)), d=3, dtype=np.float32)
    sigma = float(rng.uniform(0.8, 1.5))
    W = submission.similarity_graph(X, sigma)
    # Computing through ‖x‖² + ‖y‖² − 2x·y is allowed: its float32 rounding needs a looser tolerance.
    with stage("its values"):
        expect(W, "W", advice=kernel_evidence(X, sigma)).to_match(
            reference.similarity_graph(X, sigma), rtol=3e-5, atol=1e-6, check_dtype=False
        )
    expect(W, "W").to_satisfy(
        isinstance(W, np.ndarray) and W.dtype == np.float32,
        f"X is float32, so W should be float32 too (got {getattr(W, 'dtype', type(W).__name__)})",
    )


# --- normalized_laplacian --------------------------------------------------------

@points(3)
def test_laplacian_is_identity_minus_d_half_w_d_half(submission, reference, rng):
    W = gaussian_w(points_cloud(rng, int(rng.integers(8, 14))), float(rng.uniform(0.8, 1.5)))
    expect(submission.normalized_laplacian(W), "L", advice=laplacian_evidence(W)).to_match(reference.normalized_laplacian(W))


@points(3)
def test_laplacian_is_symmetric_psd_with_eigenvalues_in_0_2_d_half_1_in_its_kernel_and_right_values(submission, reference, rng):
    n = int(rng.integers(15, 25))
    W = gaussian_w(points_cloud(rng, n), float(rng.uniform(1.2, 2.0)))  # every degree well above 2
    L = submission.normalized_laplacian(W)
    expect(L, "L").to_have_shape((n, n))
    expect(L, "L").to_be_finite()
    L64 = np.asarray(L, dtype=np.float64)
    asym = float(np.abs(L64 - L64.T).max())
    evidence = laplacian_evidence(W)
    expect(L, "L", advice=evidence).to_satisfy(
        asym <= 1e-12,
        f"L is not symmetric (largest |L − Lᵀ| = {asym:.3g}); I − D^{{-1/2}} W D^{{-1/2}} is: its entry (i, j) is "
        "W[i, j] divided by √(dᵢ dⱼ), the same both ways.",
    )
    eig = np.linalg.eigvalsh((L64 + L64.T) / 2)
    expect(L, "L", advice=evidence).to_satisfy(
        eig[0] >= -1e-10 and eig[-1] <= 2 + 1e-10,
        f"its eigenvalues run from {eig[0]:.4g} to {eig[-1]:.4g}; a normalised Laplacian's lie in [0, 2].",
    )
    root = np.sqrt(W.sum(axis=1))
    null = float(np.linalg.norm(L64 @ root) / np.linalg.norm(root))
    expect(L, "L", advice=evidence).to_satisfy(
        null <= 1e-10,
        f"‖L D^{{1/2}}1‖ / ‖D^{{1/2}}1‖ = {null:.3g}, but D^{{1/2}}1 (the square roots of the degrees) must be an "
        "eigenvector of eigenvalue 0",
    )
    expect_values(
        L, reference.normalized_laplacian(W), "L",
        "L is symmetric, its eigenvalues lie in [0, 2] and D^{1/2}1 is in its kernel, but its values are wrong: "
        "L[i, j] = δᵢⱼ − W[i, j] / √(dᵢ dⱼ) with dᵢ = Σⱼ W[i, j].",
        evidence,
    )


@points(1)
def test_an_isolated_node_gets_a_zero_row_and_column(submission, reference, rng):
    n = int(rng.integers(6, 10))
    W = gaussian_w(points_cloud(rng, n), 1.0)
    lonely = int(rng.integers(n))
    W[lonely, :] = 0
    W[:, lonely] = 0
    L = submission.normalized_laplacian(W)
    expect(L, "L").to_have_shape((n, n))
    row = np.asarray(L, dtype=np.float64)[lonely]
    others = np.delete(row, lonely)
    expect(L, "L", advice=[
        advice("NaN there comes from dividing by its degree, 0: compute 1/√d only where d > 0, and use 0 elsewhere.",
               when=bool(np.isnan(row).any())),
        advice("Only the diagonal entry is 1: put 1 on the diagonal only for nodes with d > 0, so that an isolated "
               "node is a connected piece of its own, with its own zero eigenvalue.",
               when=bool(row[lonely] == 1 and np.all(others == 0))),
    ]).to_satisfy(
        bool(np.all(row == 0)),
        f"node {lonely} has no neighbours (degree 0); its row of L should be all zeros, diagonal included "
        f"(the README's convention), but holds {np.array2string(row, precision=3)}.",
    )
    expect(L, "L").to_match(reference.normalized_laplacian(W))


@points(1)
def test_laplacian_keeps_float32_and_leaves_w_unchanged(submission, reference, rng):
    n = int(rng.integers(6, 12))
    W = gaussian_w(points_cloud(rng, n), 1.0).astype(np.float32)
    lonely = int(rng.integers(n))  # an isolated node as well, so that W has every kind of row
    W[lonely, :] = 0
    W[:, lonely] = 0
    original = W.copy()
    L, (after,), _ = submission.inputs_after("normalized_laplacian", W)
    with stage("its values"):
        expect(L, "L").to_match(reference.normalized_laplacian(original), check_dtype=False)
    expect(L, "L").to_match(reference.normalized_laplacian(original))
    expect(L, "L").to_satisfy(
        isinstance(after, np.ndarray) and np.array_equal(after, original),
        "normalized_laplacian changed the caller's W: only an in-place operation (W *= ..., W /= ..., W[...] = ...) "
        "does that; W * s[:, None] * s[None, :] makes a new array.",
    )


# --- spectral_embedding ----------------------------------------------------------


def eigenvalue_evidence(got, values):
    """Advice for columns taken at the wrong end of the spectrum, shown only when their eigenvalues say so."""
    k = len(got)
    return [
        advice("Those are the k LARGEST eigenvalues: np.linalg.eigh sorts them in ascending order, so the k smallest "
               "are the first k columns of its eigenvectors.", when=bool(np.allclose(got, values[-k:], atol=1e-8))),
        advice("Those are eigenvalues 2 to k + 1: the first eigenvector was dropped. Spectral clustering keeps it: "
               "take the first k columns.", when=bool(np.allclose(got, values[1 : k + 1], atol=1e-8))),
    ]


@points(3)
def test_embedding_spans_the_eigenvectors_of_the_k_smallest_eigenvalues(submission, reference, rng):
    k = int(rng.integers(2, 5))
    W = gaussian_w(blobs(rng, k), 1.0)
    L = reference.normalized_laplacian(W)
    U = submission.spectral_embedding(L, k)
    expect(U, "U").to_have_shape((len(L), k))
    expect(U, "U").to_have_orthonormal_columns()
    values = np.linalg.eigvalsh(L)
    try:
        expect(U, "U").to_span_same_subspace(reference.spectral_embedding(L, k))
    except AssertionError as exc:
        got = np.sort(np.linalg.eigvalsh(np.asarray(U, dtype=np.float64).T @ L @ np.asarray(U, dtype=np.float64)))
        expect(U, "U", advice=eigenvalue_evidence(got, values)).to_satisfy(
            False,
            str(exc).rsplit("\n", 1)[-1] + f"\nThe k = {k} smallest eigenvalues of L are {np.array2string(values[:k], precision=4)}; "
            f"the columns you returned belong to {np.array2string(got, precision=4)}.",
        )


@points(2)
def test_embedding_is_an_orthonormal_invariant_subspace_of_least_eigenvalues(submission, rng):
    n = int(rng.integers(15, 30))
    k = int(rng.integers(2, 6))
    W = gaussian_w(points_cloud(rng, n), float(rng.uniform(0.6, 1.2)))
    d = 1 / np.sqrt(W.sum(axis=1))
    L = np.eye(n) - d[:, None] * W * d[None, :]
    U = submission.spectral_embedding(L, k)
    expect(U, "U").to_have_shape((n, k))
    expect(U, "U").to_have_orthonormal_columns()
    U64 = np.asarray(U, dtype=np.float64)
    R = U64.T @ L @ U64
    res = float(np.linalg.norm(L @ U64 - U64 @ R))
    expect(U, "U").to_satisfy(res <= 1e-9, f"‖LU − U(UᵀLU)‖ = {res:.3g}: the columns do not span eigenvectors of L")
    values = np.linalg.eigvalsh(L)
    least = float(values[:k].sum())
    expect(U, "U", advice=eigenvalue_evidence(np.sort(np.linalg.eigvalsh((R + R.T) / 2)), values)).to_satisfy(
        abs(np.trace(R) - least) <= 1e-9,
        f"the columns' eigenvalues add up to {np.trace(R):.6g}, but the k = {k} smallest add up to {least:.6g}.",
    )


@points(1)
def test_embedding_takes_the_smallest_eigenvalues_of_any_symmetric_matrix(submission, rng):
    # Symmetric matrices whose large eigenvalues sit first on the diagonal: an eigensolver that
    # does not sort (np.linalg.eig) tends to return them first.
    for _ in range(4):
        n, k = int(rng.integers(10, 18)), int(rng.integers(1, 4))
        noise = 0.05 * rng.standard_normal((n, n))
        L = np.diag(np.sort(rng.uniform(0, 2, n))[::-1]) + (noise + noise.T) / 2
        U = submission.spectral_embedding(L, k)
        expect(U, "U").to_have_shape((n, k))
        U64 = np.asarray(U, dtype=np.float64)
        values = np.linalg.eigvalsh(L)
        got = np.sort(np.linalg.eigvalsh(U64.T @ L @ U64))
        expect(U, "U", advice=eigenvalue_evidence(got, values)).to_satisfy(
            bool(np.allclose(got, values[:k], rtol=0, atol=1e-9)),
            f"the columns belong to the eigenvalues {np.array2string(got, precision=4)}, not to the {k} smallest "
            f"{np.array2string(values[:k], precision=4)}.",
        )


@points(1)
def test_embedding_with_k_1_is_the_normalised_square_root_of_the_degrees(submission, rng):
    n = int(rng.integers(8, 16))
    W = gaussian_w(points_cloud(rng, n), 1.2)
    deg = W.sum(axis=1)
    L = np.eye(n) - W / np.sqrt(np.outer(deg, deg))
    U = submission.spectral_embedding(L, 1)
    want = (np.sqrt(deg) / np.linalg.norm(np.sqrt(deg)))[:, None]
    expect(U, "U").to_match_up_to_sign(want, axis=1, rtol=1e-6, atol=1e-8)


@points(1)
def test_embedding_keeps_float32(submission, rng):
    k = 2
    W = gaussian_w(blobs(rng, k), 1.0)
    deg = W.sum(axis=1)
    L = (np.eye(len(W)) - W / np.sqrt(np.outer(deg, deg))).astype(np.float32)
    U = submission.spectral_embedding(L, k)
    with stage("its values"):
        expect(U, "U").to_have_shape((len(L), k))
        expect(U, "U").to_have_orthonormal_columns()
        expect(U, "U").to_span_same_subspace(np.linalg.eigh(L.astype(np.float64))[1][:, :k], tol=1e-4)
    expect(U, "U").to_satisfy(
        isinstance(U, np.ndarray) and U.dtype == np.float32,
        f"L is float32, so U should be float32 too (got {getattr(U, 'dtype', type(U).__name__)})",
    )


# --- spectral_clustering ---------------------------------------------------------

CLUSTERING = (
    "W, L and U have checks of their own above; the README's clusters are those of k-means on the rows of U "
    "normalised to unit length, with k-means++ or farthest-point starts and a few restarts."
)


def raw_kmeans_evidence(reference, X, k):
    """Advice shown only when the labels are those k-means gives on the points themselves."""
    raw = reference._kmeans(np.asarray(X, dtype=np.float64), k, np.random.default_rng(0))
    return advice(
        "Your clusters are those of k-means on X itself: k-means draws straight boundaries between round "
        "clusters, which cut these shapes in half. Run it on the rows of the normalised spectral embedding.",
        when=lambda labels: adjusted_rand_index(raw, np.asarray(labels)) == 1.0,
    )


@points(4)
def test_clustering_separates_concentric_rings(submission, reference, rng):
    X, truth = rings(rng)
    labels = submission.spectral_clustering(X, 3, 0.25)
    check_partition(
        labels, truth, 3, ["the inner ring", "the middle ring", "the outer ring"], CLUSTERING,
        raw_kmeans_evidence(reference, X, 3),
    )


@points(3)
def test_clustering_separates_two_moons(submission, reference, rng):
    X, truth = moons(rng)
    labels = submission.spectral_clustering(X, 2, 0.1)
    check_partition(
        labels, truth, 2, ["the upper moon", "the lower moon"], CLUSTERING, raw_kmeans_evidence(reference, X, 2),
    )
