"""Checks for ex07: PCA (fit, transform, inverse transform, explained variance, choosing k).

Principal axes are only defined up to sign, so components are compared with
``to_match_up_to_sign`` or through sign-free quantities (variances of the scores,
reconstructions). The data sit far from the origin with distinct variances along random
axes, so forgetting to centre, or mixing up rows and columns, cannot pass by luck. Each
check looks only at the parts of fit_pca's result it is about, so that a wrong part costs
the points of that part.
"""


import numpy as np

from grader.checking import advice, expect, inputs, points, stage
from grader.checking import close as near

PARTS = ("mean", "components", "explained_variance")
NOT_CENTRED_AXES = (
    "These are the right singular vectors of X itself, not of X − mean: without centring, the first 'axis' "
    "points from the origin to the middle of the data. Subtract X.mean(axis=0) before the SVD."
)
NOT_CENTRED_VARIANCES = (
    "These are the mean squares of X along your components about the ORIGIN (Σ (x·c)² / (n − 1)), not "
    "variances about the mean: subtract X.mean(axis=0) before the SVD."
)
PROMOTED = (
    "{name} came back float64 from float32 data: X.astype(np.float64), or a float64 array mixed in, promotes "
    "everything after it. Stay in X.dtype, or cast back with .astype(X.dtype)."
)
INDEX_NOT_COUNT = (
    "{got} is the index of that entry counted from 0: np.argmax(cumulative >= threshold) is an index, and the "
    "number of components is that index + 1."
)

# --- inputs --------------------------------------------------------------------------


def data(rng, n, d, dtype=np.float64, high=6.0, low=0.4, far=40.0):
    """n samples in d dimensions: distinct standard deviations along random axes, about ``far`` from the origin."""
    sd = inputs.distinct_singular_values(rng, d, low, high, gap=0.15)
    axes = inputs.orthonormal(rng, d)
    offset = far * rng.uniform(0.5, 1.5, size=d) * rng.choice([-1, 1], size=d)
    X = (rng.standard_normal((n, d)) * sd) @ axes.T + offset
    return X.astype(dtype)


def wide_data(rng, n, d):
    """Fewer samples than features (n < d): the centred data has rank n − 1."""
    return data(rng, n, d, high=8.0, low=0.5)


def iris(exercise_dir, rng, rows=120):
    """A random subset of Fisher's iris measurements (150 flowers x 4 lengths in cm)."""
    X = np.loadtxt(exercise_dir / "data" / "iris.csv", delimiter=",", skiprows=1, usecols=(0, 1, 2, 3))
    return X[np.sort(rng.choice(len(X), size=rows, replace=False))]


def describe_rows(A):
    return f"first row {np.array2string(A[0], precision=5)}"


def close(got, want, rtol=1e-7, atol=1e-9):
    """Evidence for advice: grader.checking.close at this exercise's tolerances."""
    return near(got, want, rtol, atol)


def close_up_to_sign(got, want, rtol=1e-6, atol=1e-8):
    """Whether the rows of ``got`` equal those of ``want`` up to the sign of each."""
    try:
        a = np.asarray(got, dtype=np.float64)
        if a.shape != np.shape(want):
            return False
        signs = np.sign(np.sum(a * want, axis=1, keepdims=True))
        signs[signs == 0] = 1
        return bool(np.allclose(a * signs, want, rtol=rtol, atol=atol))
    except (TypeError, ValueError):
        return False


def uncentred_axes(X, k):
    return np.linalg.svd(np.asarray(X, np.float64), full_matrices=False)[2][:k]


def fitted(out, d, k, parts=PARTS):
    """Unpack (mean, components, explained_variance) and check the shapes of the ``parts`` this check is about."""
    expect(out, "the result of fit_pca").to_satisfy(
        isinstance(out, tuple) and len(out) == 3, "expected a tuple (mean, components, explained_variance)"
    )
    mean, comps, var = out
    if "mean" in parts:
        expect(mean, "mean").to_have_shape((d,))
        expect(mean, "mean").to_be_finite()
    if "components" in parts:
        shape = getattr(comps, "shape", None)
        hint = ""
        if shape == (d, k) and d != k:
            hint = f". A ({d}, {k}) array came back: the components must be ROWS, one principal axis per row (transpose it)"
        elif shape is not None and len(shape) == 2 and shape[0] == k and shape[1] != d:
            hint = (f". Each row has length {shape[1]}, not the number of features {d}: the axes live in feature "
                    "space, one entry per feature. Each row here has one entry per sample, like the eigenvectors "
                    "of the n x n matrix X Xᵀ (the left singular vectors U)")
        expect(comps, "components").to_satisfy(shape == (k, d), f"expected components of shape ({k}, {d}){hint}")
        expect(comps, "components").to_be_finite()
    if "explained_variance" in parts:
        expect(var, "explained_variance").to_have_shape((k,))
        expect(var, "explained_variance").to_be_finite()
    return mean, comps, var


def same_axes(comps, expected, X, what="components", rtol=1e-6, atol=1e-8):
    """Components equal to the expected axes up to the sign of each row; says so when they are X's uncentred axes."""
    X = np.asarray(X, np.float64)
    c = np.asarray(comps, np.float64)
    k = len(expected)
    raw = uncentred_axes(X, k)
    uncentred = close_up_to_sign(c, raw, 1e-5, 1e-7) and not close_up_to_sign(expected, raw, 1e-3, 1e-3)
    along = 0.0
    if c.ndim == 2 and c.shape[1] == X.shape[1] and np.all(np.isfinite(c)) and np.linalg.norm(c[0]) > 0:
        mean = X.mean(axis=0)
        along = abs(float(c[0] @ mean)) / float(np.linalg.norm(c[0]) * np.linalg.norm(mean))
    expect(comps, what, advice=[
        advice(NOT_CENTRED_AXES, when=uncentred),
        advice(f"The first component points almost exactly at the mean of the data (|cos| = {along:.3f}); the "
               "principal axes are directions of spread about the mean.", when=not uncentred and along >= 0.9),
    ]).to_match_up_to_sign(expected, axis=0, rtol=rtol, atol=atol)


def variance_advice(var, expected, X, n):
    """Evidence on explained variances: a divisor n, none at all, or X's uncentred mean squares."""
    uncentred = np.linalg.svd(np.asarray(X, np.float64), compute_uv=False)[: len(expected)] ** 2 / (n - 1)
    return [
        advice(f"Every value is (n − 1)/n = {(n - 1) / n:.4f} times the expected one: divide σ² by n − 1 (the unbiased "
               "sample variance, as np.var(..., ddof=1) and np.cov do), not by n.", when=close(var, expected * (n - 1) / n)),
        advice(f"Every value is n − 1 = {n - 1} times the expected one: these are σ², not yet divided by n − 1.",
               when=close(var, expected * (n - 1))),
        advice(NOT_CENTRED_VARIANCES, when=close(var, uncentred)),
    ]


# --- fit_pca ---------------------------------------------------------------------------


@points(1)
def test_mean_is_the_mean_of_each_column(submission, reference, rng):
    X = data(rng, 50, 5)
    mean, _, _ = fitted(submission.fit_pca(X, 2), 5, 2, ("mean",))
    expected = reference.fit_pca(X, 2)[0]
    expect(mean, "mean", advice=advice(
        "Your mean is (almost) zero: the mean of data already centred. Take mean = X.mean(axis=0) first, then "
        "Xc = X - mean.", when=close(mean, np.zeros_like(expected), 0, 1e-8),
    )).to_match(expected)


@points(2)
def test_components_are_orthonormal_rows(submission, rng):
    n, d, k = 60, 7, 3
    X = data(rng, n, d)
    _, comps, _ = fitted(submission.fit_pca(X, k), d, k, ("components",))
    expect(comps, "components").to_have_orthonormal_rows()


@points(3)
def test_components_are_the_principal_axes_up_to_sign(submission, reference, rng):
    n, d, k = 80, 6, 3
    X = data(rng, n, d)
    _, comps, _ = fitted(submission.fit_pca(X, k), d, k, ("components",))
    same_axes(comps, reference.fit_pca(X, k)[1], X)


@points(2)
def test_explained_variance_is_the_sample_variance_largest_first(submission, reference, rng):
    n, d, k = 40, 5, 4
    X = data(rng, n, d)
    _, _, var = fitted(submission.fit_pca(X, k), d, k, ("explained_variance",))
    expected = reference.fit_pca(X, k)[2]
    expect(var, "explained_variance").to_be_sorted(descending=True)
    expect(var, "explained_variance", advice=variance_advice(var, expected, X, n)).to_satisfy(
        np.allclose(var, expected, rtol=1e-7, atol=1e-10),
        f"expected σᵢ² / (n − 1) for the top {k} singular values σᵢ of the centred data: "
        f"{np.array2string(expected, precision=6)}.",
    )


@points(2)
def test_explained_variance_is_the_variance_of_the_scores_along_each_axis(submission, rng):
    n, d, k = 70, 6, 3
    X = data(rng, n, d)
    _, comps, var = fitted(submission.fit_pca(X, k), d, k, ("components", "explained_variance"))
    # The variance along an axis needs a unit direction: zero rows would make every variance 0.
    lengths = np.linalg.norm(np.asarray(comps, np.float64), axis=1)
    bad = int(np.argmax(np.abs(lengths - 1.0)))
    expect(comps, "components").to_satisfy(
        abs(lengths[bad] - 1.0) <= 1e-9,
        f"row {bad} has length {lengths[bad]:.6g}, but every principal axis must be a unit vector (length 1) "
        "before the variance along it means anything.",
    )
    C = np.asarray(comps, np.float64)
    scores = (X - X.mean(axis=0)) @ C.T
    along = scores.var(axis=0, ddof=1)
    origin = np.sum((X @ C.T) ** 2, axis=0) / (n - 1)
    expect(var, "explained_variance", advice=[
        advice(NOT_CENTRED_VARIANCES, when=close(var, origin)),
        advice(f"Every value is (n − 1)/n = {(n - 1) / n:.4f} times the variance along your axis: divide σ² by "
               "n − 1, not by n.", when=close(var, along * (n - 1) / n)),
        advice(f"Every value is n − 1 = {n - 1} times the variance along your axis: these are σ², not yet divided "
               "by n − 1.", when=close(var, along * (n - 1))),
    ]).to_satisfy(
        np.allclose(var, along, rtol=1e-7, atol=1e-10),
        "the variance of the data projected on each of your components (sample variance, n − 1) is "
        f"{np.array2string(along, precision=6)}; explained_variance[i] must be exactly that: the data's "
        "variance along the i-th axis.",
    )


@points(1)
def test_k_of_one_and_k_equal_to_d_work(submission, reference, rng):
    n, d = 30, 4
    X = data(rng, n, d)
    _, comps1, _ = fitted(submission.fit_pca(X, 1), d, 1, ("components",))
    same_axes(comps1, reference.fit_pca(X, 1)[1], X, "components with k = 1")
    _, comps, _ = fitted(submission.fit_pca(X, d), d, d, ("components",))
    expect(comps, f"components with k = d = {d}").to_have_orthonormal_rows()
    same_axes(comps, reference.fit_pca(X, d)[1], X, f"components with k = d = {d}")


@points(1)
def test_wide_data_gives_the_principal_axes(submission, reference, rng):
    n, d, k = 12, 30, 5
    X = wide_data(rng, n, d)
    _, comps, _ = fitted(submission.fit_pca(X, k), d, k, ("components",))
    expect(comps, "components").to_have_orthonormal_rows()
    same_axes(comps, reference.fit_pca(X, k)[1], X)


@points(1)
def test_wide_data_gives_the_sample_variances(submission, reference, rng):
    n, d, k = 12, 30, 5
    X = wide_data(rng, n, d)
    _, _, var = fitted(submission.fit_pca(X, k), d, k, ("explained_variance",))
    rvar = reference.fit_pca(X, k)[2]
    expect(var, "explained_variance", advice=variance_advice(var, rvar, X, n)).to_match(rvar, rtol=1e-7, atol=1e-10)


@points(2)
def test_float32_data_gives_float32_results(submission, reference, rng):
    n, d, k = 50, 5, 3
    X = data(rng, n, d, dtype=np.float32, high=4.0, low=0.5, far=4.0)
    out = submission.fit_pca(X, k)
    rmean, rcomps, rvar = reference.fit_pca(X, k)
    # The values first, at float32's precision: float32 arrays of wrong numbers earn nothing.
    with stage("its values"):
        mean, comps, var = fitted(out, d, k)
        expect(mean, "mean").to_match(rmean, rtol=1e-5, atol=1e-4, check_dtype=False)
        same_axes(comps, rcomps, X.astype(np.float64), rtol=1e-3, atol=1e-3)
        expect(var, "explained_variance").to_match(rvar, rtol=1e-3, atol=1e-4, check_dtype=False)
    for name, a in (("mean", mean), ("components", comps), ("explained_variance", var)):
        dtype = getattr(a, "dtype", None)
        expect(a, name, advice=advice(PROMOTED.format(name=name), when=dtype == np.float64)).to_satisfy(
            dtype == np.float32, f"{name} came back as {dtype}; float32 data must give float32 results")


@points(1)
def test_fit_leaves_x_unmodified(submission, reference, rng):
    X = data(rng, 25, 4)
    out, (X_after, _), _ = submission.inputs_after("fit_pca", X, 2)
    # The answer first: only a right answer earns the point for leaving X alone.
    with stage("its answer"):
        mean, comps, var = fitted(out, 4, 2)
        rmean, rcomps, rvar = reference.fit_pca(X, 2)
        expect(mean, "mean").to_match(rmean)
        same_axes(comps, rcomps, X)
        expect(var, "explained_variance").to_match(rvar, rtol=1e-7, atol=1e-10)
    expect(X_after, "X after fit_pca", advice=advice(
        "The caller's X now holds X − mean: X -= mean centred it in place. Write Xc = X - mean, which makes a new array.",
        when=close(X_after, X - X.mean(axis=0), 1e-9, 1e-9),
    )).to_satisfy(np.array_equal(X_after, X), "fit_pca changed the caller's X: it must be left as it was.")


# --- transform and inverse_transform ----------------------------------------------------------


@points(2)
def test_transform_projects_the_centred_data_on_the_components(submission, reference, rng):
    n, d, k = 40, 6, 3
    X = data(rng, n, d)
    mean, comps, _ = reference.fit_pca(X, k)
    X_new = X[rng.choice(n, size=15, replace=False)] + 0.3 * rng.standard_normal((15, d))  # new points
    Z = submission.transform(X_new, mean, comps)
    expected = reference.transform(X_new, mean, comps)
    expect(Z, "Z").to_have_shape((15, k))
    expect(Z, "Z", advice=advice(
        "Every row is off by exactly mean Cᵀ: subtract the mean before projecting, Z = (X − mean) Cᵀ.",
        when=close(Z, X_new @ comps.T),
    )).to_satisfy(np.allclose(Z, expected, rtol=1e-7, atol=1e-9), f"expected Z = (X − mean) Cᵀ: {describe_rows(expected)}")


@points(2)
def test_inverse_transform_maps_scores_back_to_feature_space(submission, reference, rng):
    n, d, k = 40, 6, 3
    X = data(rng, n, d)
    mean, comps, _ = reference.fit_pca(X, k)
    Z = reference.transform(X, mean, comps)
    X_hat = submission.inverse_transform(Z, mean, comps)
    expected = reference.inverse_transform(Z, mean, comps)
    expect(X_hat, "X̂").to_have_shape((n, d))
    expect(X_hat, "X̂", advice=advice(
        "Every row is short of exactly the mean: add the mean back, X̂ = Z C + mean.", when=close(X_hat, Z @ comps),
    )).to_satisfy(np.allclose(X_hat, expected, rtol=1e-7, atol=1e-9), f"expected X̂ = Z C + mean: {describe_rows(expected)}")


@points(1)
def test_round_trip_with_all_components_recovers_x(submission, rng):
    n, d = 30, 5
    X = data(rng, n, d)
    mean, comps, _ = fitted(submission.fit_pca(X, d), d, d, ())
    Z = submission.transform(X, mean, comps)
    X_back = submission.inverse_transform(Z, mean, comps)
    expect(X_back, "inverse_transform(transform(X)) with k = d").to_match(X, rtol=1e-9, atol=1e-9)


@points(2)
def test_reconstruction_error_is_the_variance_left_out(submission, reference, rng):
    n, d, k = 60, 6, 2
    X = data(rng, n, d)
    mean, comps, _ = fitted(submission.fit_pca(X, k), d, k, ())
    X_hat = submission.inverse_transform(submission.transform(X, mean, comps), mean, comps)
    all_var = reference.fit_pca(X, d)[2]
    expected = float((n - 1) * all_var[k:].sum())
    expect(X_hat, "X̂").to_have_shape((n, d))
    got = float(np.sum((X - np.asarray(X_hat, np.float64)) ** 2))
    expect(X_hat, "X̂").to_satisfy(
        abs(got - expected) <= 1e-8 * (n - 1) * all_var.sum(),
        f"‖X − X̂‖_F² = {got:.8g}, but keeping the top {k} axes should lose exactly (n − 1) × (the variances "
        f"of the dropped axes) = {expected:.8g}: fit_pca's mean and axes, then transform and inverse_transform "
        "with them, give the best rank-k reconstruction.",
    )


# --- explained_variance_ratio ---------------------------------------------------------------


def ratio_advice(ratio, X):
    """Evidence on a wrong ratio: singular values not squared, or X not centred."""
    S = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    raw = np.linalg.svd(X, compute_uv=False) ** 2
    return [
        advice("That is σᵢ / Σ σⱼ, a share of the singular values themselves: the variance along axis i is "
               "σᵢ² / (n − 1), so square them before dividing.", when=close(ratio, S / S.sum())),
        advice("These are the ratios of X itself, not of X − mean: the first one is the share of the mean, not of "
               "any spread. Subtract X.mean(axis=0) before the SVD.", when=close(ratio, raw / raw.sum())),
    ]


@points(2)
def test_ratio_is_largest_first_and_sums_to_one(submission, reference, rng):
    n, d = 50, 6
    X = data(rng, n, d)
    ratio = submission.explained_variance_ratio(X)
    expect(ratio, "ratio").to_have_shape((d,))
    expect(ratio, "ratio").to_be_sorted(descending=True)
    expect(float(np.sum(ratio)), "the sum of the ratios").to_be_close_to(1.0, rtol=1e-9, atol=1e-9)
    expect(ratio, "ratio", advice=ratio_advice(ratio, X)).to_match(
        reference.explained_variance_ratio(X), rtol=1e-7, atol=1e-10)


@points(1)
def test_ratio_for_wide_data_has_one_entry_per_sample(submission, reference, rng):
    n, d = 10, 25
    X = wide_data(rng, n, d)
    ratio = submission.explained_variance_ratio(X)
    expect(ratio, "ratio", advice=advice(
        f"It has d = {d} entries, one per eigenvalue of the d x d covariance; only min(n, d) of those can be "
        "nonzero: use the singular values of the centred data.", when=getattr(ratio, "shape", None) == (d,),
    )).to_satisfy(
        getattr(ratio, "shape", None) == (n,),
        f"with n = {n} samples and d = {d} features there are min(n, d) = {n} singular values, so the ratio has "
        f"{n} entries (the last is 0: centring uses up one degree of freedom).",
    )
    expect(ratio, "ratio", advice=ratio_advice(ratio, X)).to_match(
        reference.explained_variance_ratio(X), rtol=1e-7, atol=1e-10)


# --- choose_k ----------------------------------------------------------------------------------


def is_int(k):
    return isinstance(k, (int, np.integer)) and not isinstance(k, bool)


@points(2)
def test_choose_k_is_the_smallest_k_reaching_the_threshold(submission, reference, rng):
    n, d = 60, 8
    X = data(rng, n, d)
    cumulative = np.cumsum(reference.explained_variance_ratio(X))
    # The answer is j + 1 >= 3, with the threshold halfway between two cumulative values: an index j
    # (off by one) and a count from uncentred ratios (1: the mean carries almost everything) differ.
    j = int(rng.integers(2, d - 2))
    threshold = float((cumulative[j - 1] + cumulative[j]) / 2)
    k = submission.choose_k(X, threshold)
    expect(k, "k", advice=advice(INDEX_NOT_COUNT.format(got=k), when=is_int(k) and int(k) == j)).to_satisfy(
        is_int(k) and int(k) == j + 1,
        f"the cumulative ratios are {np.array2string(cumulative, precision=4)}; the first to reach "
        f"{threshold:.4f} is entry {j + 1} (counting from 1), so k = {j + 1} components are needed (a Python int).",
    )


@points(1)
def test_choose_k_returns_one_when_the_first_axis_is_enough_and_d_when_every_axis_is_needed(
    submission, reference, rng
):
    n, d = 40, 5
    X = data(rng, n, d, high=20.0, low=0.3)
    k = submission.choose_k(X, 0.5)
    expect(k, "k for threshold 0.5 (the first axis alone carries more than half the variance)",
           advice=advice(INDEX_NOT_COUNT.format(got=k), when=is_int(k) and int(k) == 0)).to_equal(1)
    # The other end: a threshold only the last axis reaches needs all d of them (data centred at the origin).
    Xc = X - X.mean(axis=0)
    cumulative = np.cumsum(reference.explained_variance_ratio(Xc))
    threshold = float((cumulative[-2] + cumulative[-1]) / 2)
    k_all = submission.choose_k(Xc, threshold)
    expect(k_all, f"k for threshold {threshold:.6f}",
           advice=advice(INDEX_NOT_COUNT.format(got=k_all), when=is_int(k_all) and int(k_all) == d - 1)).to_satisfy(
        is_int(k_all) and int(k_all) == d,
        f"the cumulative ratios are {np.array2string(cumulative, precision=6)}; only the last one (all {d} axes) "
        f"reaches {threshold:.6f}, so k = {d} components are needed.",
    )


@points(1)
def test_choose_k_uses_95_percent_by_default(submission, reference, rng):
    n, d = 50, 7
    X = data(rng, n, d)
    cumulative = np.cumsum(reference.explained_variance_ratio(X))
    # Move the data until no cumulative ratio sits right at 0.95.
    while np.min(np.abs(cumulative - 0.95)) < 0.005:
        X = data(rng, n, d)
        cumulative = np.cumsum(reference.explained_variance_ratio(X))
    want = reference.choose_k(X)
    k = submission.choose_k(X)
    expect(k, "choose_k(X)", advice=advice(INDEX_NOT_COUNT.format(got=k), when=is_int(k) and int(k) == want - 1)).to_equal(want)


# --- a real data set -----------------------------------------------------------------------


@points(2)
def test_two_components_carry_most_of_the_iris_measurements(submission, reference, exercise_dir, rng):
    X = iris(exercise_dir, rng)
    ratio = submission.explained_variance_ratio(X)
    expect(ratio, "ratio for the iris measurements", advice=ratio_advice(ratio, X)).to_match(
        reference.explained_variance_ratio(X), rtol=1e-7, atol=1e-10)
    expected_k = reference.choose_k(X, 0.95)
    k = submission.choose_k(X, 0.95)
    expect(k, "choose_k(iris, 0.95)", advice=advice(INDEX_NOT_COUNT.format(got=k),
                                                    when=is_int(k) and int(k) == expected_k - 1)).to_equal(expected_k)


@points(2)
def test_iris_principal_axes_match_up_to_sign(submission, reference, exercise_dir, rng):
    X = iris(exercise_dir, rng)
    _, comps, var = fitted(submission.fit_pca(X, 2), 4, 2, ("components", "explained_variance"))
    _, rcomps, rvar = reference.fit_pca(X, 2)
    same_axes(comps, rcomps, X, "iris components")
    expect(var, "iris explained_variance", advice=variance_advice(var, rvar, X, len(X))).to_match(
        rvar, rtol=1e-7, atol=1e-10)
