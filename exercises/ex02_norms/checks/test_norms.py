"""Checks for ex02: norms and the curse of dimensionality."""

import math

import numpy as np

from grader.checking import advice, expect, fail, points, stage


def mixed_signs(rng, d, scale=1.0):
    """A vector with both signs, an offset and one clearly negative entry (so abs matters)."""
    x = (rng.standard_normal(d) + rng.uniform(-0.5, 0.5)) * scale
    x[rng.integers(d)] = -abs(x).max() * rng.uniform(0.2, 0.8) - 0.1 * scale
    return x


def rows(rng, n, d, dtype=np.float64):
    """Rows with different lengths and an offset, so rows and columns have different norms."""
    X = rng.standard_normal((n, d)) + rng.uniform(-1, 1, size=d)
    X *= rng.uniform(0.1, 10.0, size=(n, 1))
    return X.astype(dtype)


def cloud(rng, n, d):
    """n points in R^d with uneven spread per axis and an offset: distinct, never degenerate."""
    return rng.standard_normal((n, d)) * rng.uniform(0.5, 2.0, size=d) + rng.uniform(-3, 3, size=d)


def expect_float32(got, what):
    """float32 inputs must give a float32 result (README: float32 in, float32 out)."""
    if isinstance(got, np.ndarray) and got.dtype != np.float32:
        fail(f"{what}: returned a {got.dtype} array for a float32 X; expected float32 (float32 in, float32 out)", got)


def _huge_or_inf(v):
    return _is_number(v) and not np.isfinite(v)


OVERFLOW = (
    "the squares overflowed: entries near {x}, squared, are beyond the largest {dtype}, so Σ xᵢ² became inf. "
    "Divide by the largest |xᵢ| first, take the norm of what is left, and multiply back"
)
ZERO_NAN = (
    "the zero vector gave NaN: its largest |xᵢ| (and its length) is 0, and 0/0 is NaN; return 0.0 for it "
    "before dividing"
)
UNDERFLOW = (
    "the squares underflowed: (1e-200)² is below the smallest float, so Σ xᵢ² became 0. Divide by the largest "
    "|xᵢ| first, take the norm of what is left, and multiply back"
)


def _is_number(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


# --- vector_norm ---------------------------------------------------------------------

@points(2)
def test_l1_norm_sums_absolute_values(submission, rng):
    x = mixed_signs(rng, 9)
    expect(submission.vector_norm(x, 1), "‖x‖₁").to_match(float(np.sum(np.abs(x))))


@points(2)
def test_l2_norm_is_the_euclidean_length(submission, rng):
    x = mixed_signs(rng, 11, scale=rng.uniform(0.5, 5))
    expect(submission.vector_norm(x, 2), "‖x‖₂").to_match(float(np.sqrt(np.sum(x * x))))


@points(2)
def test_max_norm_is_the_largest_absolute_value(submission, rng):
    x = mixed_signs(rng, 8)
    k = int(np.argmax(x))
    x[rng.integers(8)] = -(x[k] + rng.uniform(1, 3))  # the largest magnitude is a negative entry
    expect(submission.vector_norm(x, math.inf), "‖x‖∞").to_match(float(np.max(np.abs(x))))


@points(1)
def test_norms_scale_with_the_absolute_value_of_a_factor(submission, reference, rng):
    x = mixed_signs(rng, 7)
    c = -rng.uniform(1.5, 4.0)
    for p, name in ((1, "‖x‖₁"), (2, "‖x‖₂"), (math.inf, "‖x‖∞")):
        base = submission.vector_norm(x, p)
        # The values first: a constant (0 for every vector) scales trivially but is no norm.
        with stage(f"the value of {name} for x itself, before scaling x"):
            expect(base, f"{name} of x itself").to_match(reference.vector_norm(x, p))
        scaled = submission.vector_norm(c * x, p)
        expect(scaled, f"{name} of {c:.3g}·x", advice=advice(
            "the factor's sign came through: the entries were added (or compared) with their signs; take "
            "absolute values first", when=lambda v, base=base: _is_number(v) and np.isclose(v, c * base, rtol=1e-9),
        )).to_satisfy(
            _is_number(base) and _is_number(scaled) and np.isclose(scaled, abs(c) * base, rtol=1e-9),
            f"‖c·x‖ must equal |c|·‖x‖ = {abs(c):.4g} × {base!r}: a norm is never negative, and "
            "flipping the sign of a vector does not change its length",
        )


@points(1)
def test_norms_are_ordered_max_then_l2_then_l1(submission, reference, rng):
    d = 12
    # Mostly negative entries and one small positive one: signs must not be ignored.
    x = -(np.abs(rng.standard_normal(d)) + 0.2)
    x[rng.integers(d)] = 0.1 * np.mean(np.abs(x))
    l1, l2, linf = (submission.vector_norm(x, p) for p in (1, 2, math.inf))
    ok = all(_is_number(v) for v in (l1, l2, linf)) and linf <= l2 * (1 + 1e-12) and l2 <= l1 * (1 + 1e-12)
    ok = ok and l1 <= d * linf * (1 + 1e-12)
    signed = {"‖x‖₁": (l1, float(np.sum(x))), "‖x‖∞": (linf, float(np.max(x)))}
    counted_with_sign = [n for n, (got, plain) in signed.items() if _is_number(got) and np.isclose(got, plain, rtol=1e-9)]
    expect(l1, "‖x‖₁", advice=advice(
        f"{' and '.join(counted_with_sign)} came out as the entries taken with their signs (np.sum(x), np.max(x)): "
        "a negative entry counts by its size, |xᵢ|", when=bool(counted_with_sign),
    )).to_satisfy(
        ok,
        f"for any vector ‖x‖∞ ≤ ‖x‖₂ ≤ ‖x‖₁ ≤ d·‖x‖∞, but you returned ‖x‖∞ = {linf!r}, ‖x‖₂ = {l2!r}, "
        f"‖x‖₁ = {l1!r} (d = {d}); this x has mostly negative entries",
    )
    # The order holds, but so it does for equal constants: the values must be right too.
    for got, p, name in ((linf, math.inf, "‖x‖∞"), (l2, 2, "‖x‖₂"), (l1, 1, "‖x‖₁")):
        expect(got, f"{name} (its value; the order ‖x‖∞ ≤ ‖x‖₂ ≤ ‖x‖₁ held)").to_match(reference.vector_norm(x, p))


@points(2)
def test_l2_norm_does_not_overflow_on_huge_entries(submission, rng):
    x = mixed_signs(rng, 6) * 1e200
    expected = 1e200 * float(np.sqrt(np.sum((x / 1e200) ** 2)))
    expect(submission.vector_norm(x, 2), "‖x‖₂ of entries near 1e200",
           advice=advice(OVERFLOW.format(x="1e200", dtype="float64 (1.8e308)"), when=_huge_or_inf)).to_match(expected, rtol=1e-7, atol=0.0)


@points(1)
def test_l2_norm_does_not_underflow_on_tiny_entries(submission, rng):
    x = mixed_signs(rng, 6) * 1e-200
    expected = 1e-200 * float(np.sqrt(np.sum((x / 1e-200) ** 2)))
    expect(submission.vector_norm(x, 2), "‖x‖₂ of entries near 1e-200",
           advice=advice(UNDERFLOW, when=lambda v: _is_number(v) and v == 0)).to_match(expected, rtol=1e-7, atol=0.0)


@points(1)
def test_zero_vector_has_norm_zero(submission, rng):
    x = np.zeros(5)
    y = mixed_signs(rng, 5)
    for p in (1, 2, math.inf):
        expect(submission.vector_norm(x, p), f"the {p}-norm of a zero vector",
               advice=advice(ZERO_NAN, when=lambda v: _is_number(v) and bool(np.isnan(v)))).to_match(0.0)
        # Returning 0 for every vector must not pass: only the zero vector has norm 0. (The values of
        # the norms are judged by the other checks.)
        got = submission.vector_norm(y, p)
        expect(got, f"the {p}-norm of a non-zero vector (the zero vector gave 0)").to_satisfy(
            _is_number(got) and bool(np.isfinite(got)) and got != 0, "expected a non-zero number: only the zero vector has norm 0"
        )


@points(1)
def test_a_single_entry_vector_has_norm_its_absolute_value(submission, rng):
    x = np.array([-rng.uniform(1, 5)])
    for p in (1, 2, math.inf):
        expect(submission.vector_norm(x, p), f"the {p}-norm of [{x[0]:.4g}]").to_match(abs(float(x[0])))


# --- frobenius_norm ------------------------------------------------------------------

@points(2)
def test_frobenius_is_the_root_sum_of_squared_entries(submission, rng):
    A = rows(rng, 4, 7)
    expect(submission.frobenius_norm(A), "‖A‖_F").to_match(float(np.sqrt(np.sum(A * A))))


@points(1)
def test_frobenius_equals_the_root_sum_of_squared_singular_values(submission, rng):
    A = rows(rng, 9, 3)
    s = np.linalg.svd(A, compute_uv=False)
    got = submission.frobenius_norm(A)
    expect(got, "‖A‖_F", advice=[
        advice("that is Σ σᵢ² itself, the SQUARED norm: take its square root",
               when=lambda v: _is_number(v) and np.isclose(v, np.sum(s**2), rtol=1e-9)),
        advice(f"that is the largest singular value σ₁ = {float(s[0])!r}, the spectral norm ‖A‖₂: the Frobenius norm "
               "takes every entry (or every σᵢ) into account", when=lambda v: _is_number(v) and np.isclose(v, s[0], rtol=1e-9)),
    ]).to_satisfy(
        _is_number(got) and np.isclose(got, np.sqrt(np.sum(s**2)), rtol=1e-9),
        f"‖A‖_F² is the sum of squared singular values, so ‖A‖_F should be {float(np.sqrt(np.sum(s ** 2)))!r}",
    )


@points(1)
def test_frobenius_does_not_overflow_on_huge_entries(submission, rng):
    A = rows(rng, 3, 4) * 1e200
    expected = 1e200 * float(np.sqrt(np.sum((A / 1e200) ** 2)))
    expect(submission.frobenius_norm(A), "‖A‖_F of entries near 1e200",
           advice=advice(OVERFLOW.format(x="1e200", dtype="float64 (1.8e308)"), when=_huge_or_inf)).to_match(expected, rtol=1e-7, atol=0.0)


# --- normalize_rows ------------------------------------------------------------------

@points(2)
def test_rows_come_out_with_unit_length_in_the_same_direction(submission, rng):
    X = rows(rng, 6, 4)
    out = submission.normalize_rows(X)
    expect(out, "normalize_rows(X)").to_have_shape(X.shape)
    expect(out, "normalize_rows(X)").to_be_finite()
    lengths = np.sqrt(np.sum(np.asarray(out, dtype=np.float64) ** 2, axis=1))
    i = int(np.argmax(np.abs(lengths - 1)))
    columns = np.sqrt(np.sum(np.asarray(out, dtype=np.float64) ** 2, axis=0))
    expect(out, "normalize_rows(X)", advice=advice(
        "the COLUMNS have length 1: the lengths were taken over axis=0; a row's length sums over axis=1, "
        "kept as a column (keepdims=True) to divide its own row", when=bool(np.allclose(columns, 1.0, atol=1e-9)),
    )).to_satisfy(
        np.allclose(lengths, 1.0, rtol=0, atol=1e-9),
        f"every row should have length 1, but row {i} has length {lengths[i]:.6g}",
    )
    cos = np.sum(out * X, axis=1) / np.sqrt(np.sum(X * X, axis=1))
    expect(out, "normalize_rows(X)").to_satisfy(
        np.allclose(cos, 1.0, atol=1e-9),
        "each row should point the same way as the input row (a positive multiple of it)",
    )


@points(2)
def test_normalize_rows_divides_each_row_by_its_length(submission, reference, rng):
    X = rows(rng, 5, 3)
    expect(submission.normalize_rows(X), "normalize_rows(X)").to_match(reference.normalize_rows(X))


@points(2)
def test_zero_rows_stay_zero_without_nan(submission, reference, rng):
    X = rows(rng, 5, 4)
    zero = int(rng.integers(5))
    X[zero] = 0.0
    nan_row = advice(
        f"row {zero}, the zero row, came out NaN: its length is 0 and 0/0 is NaN; divide by np.maximum(lengths, eps)",
        when=lambda v: bool(np.isnan(np.asarray(v, dtype=np.float64)[zero]).any()),
    )
    expect(submission.normalize_rows(X), "normalize_rows(X) with a zero row", advice=nan_row).to_match(
        reference.normalize_rows(X)
    )


@points(1)
def test_rows_shorter_than_eps_are_divided_by_eps(submission, reference, rng):
    X = rows(rng, 4, 3)
    X[1] *= 1e-14 / np.sqrt(np.sum(X[1] ** 2))  # length 1e-14, below eps = 1e-12
    eps = 1e-12

    def row_1_is(v, want):
        return bool(np.allclose(np.asarray(v, dtype=np.float64)[1], want, rtol=1e-6, atol=0))

    expect(submission.normalize_rows(X, eps), "normalize_rows(X, eps=1e-12)", advice=[
        advice("row 1 (length 1e-14) came back with length 1: it was divided by its own length, not by eps = 1e-12, "
               "though its length is below eps (README: divide by max(‖Xᵢ‖, eps))", when=lambda v: row_1_is(v, X[1] / 1e-14)),
        advice("row 1 (length 1e-14) was divided by its length + eps: below eps the README divides by eps alone, "
               "max(‖Xᵢ‖, eps)", when=lambda v: row_1_is(v, X[1] / (1e-14 + eps))),
    ]).to_match(reference.normalize_rows(X, eps), atol=1e-12)


@points(1)
def test_normalize_rows_keeps_float32_as_float32(submission, reference, rng):
    X = rows(rng, 5, 8, np.float32)
    got = submission.normalize_rows(X)
    with stage("its values"):
        expect(got, "normalize_rows(X) for float32 X").to_match(reference.normalize_rows(X), check_dtype=False)
    expect_float32(got, "normalize_rows(X) for float32 X")


@points(1)
def test_float32_rows_with_huge_entries_still_get_unit_length(submission, reference, rng):
    X = rows(rng, 3, 5).astype(np.float32)
    X[0] *= np.float32(1e30) / np.abs(X[0]).max()  # squares of 1e30 overflow float32 (max 3.4e38)
    got = submission.normalize_rows(X)
    # In float64 the squares of 1e30 fit: the dtype must stay float32 for the row's values to mean anything here.
    with stage("its dtype (in float64, 1e30² does not overflow)"):
        expect_float32(got, "normalize_rows(X), float32 row near 1e30")
    # The evidence of overflow: the huge row alone came out as zeros (divided by an infinite length).
    overflowed = advice(
        OVERFLOW.format(x="1e30", dtype="float32 (3.4e38)"),
        when=lambda v: bool(np.all(np.asarray(v)[0] == 0) and np.any(np.asarray(v)[1:] != 0)),
    )
    expect(got, "normalize_rows(X), float32 row near 1e30", advice=overflowed).to_match(reference.normalize_rows(X))


@points(1)
def test_normalize_rows_leaves_its_input_unchanged(submission, reference, rng):
    X = rows(rng, 4, 3)
    original = X.copy()
    value, (after, *_), _ = submission.inputs_after("normalize_rows", X)
    # The output first: leaving X alone earns nothing if the rows that come back are wrong.
    with stage("its output, before X itself"):
        expect(value, "normalize_rows(X)").to_match(reference.normalize_rows(original))
    if not np.array_equal(after, original):
        fail(
            "normalize_rows returned the right rows, but changed the caller's X: the rows of the input were "
            "overwritten",
            value,
            advice=advice(
                "X now holds the normalised rows: they were divided in place (X /= ...); X / ... builds a new array",
                when=bool(np.shape(after) == np.shape(value) and np.allclose(after, value)),
            ),
        )


@points(1)
def test_normalize_rows_handles_one_row_and_one_column(submission, reference, rng):
    one_row = rows(rng, 1, 6)
    one_col = rows(rng, 5, 1)
    expect(submission.normalize_rows(one_row), "normalize_rows of a (1, 6) X").to_match(reference.normalize_rows(one_row))
    expect(submission.normalize_rows(one_col), "normalize_rows of a (5, 1) X").to_match(reference.normalize_rows(one_col))


# --- concentration -------------------------------------------------------------------

SELF_PAIR = (
    "a ratio that huge (or infinite) means the smallest 'distance' divided by is (almost) 0, and these points are "
    "all distinct: that is the distance from a point to itself, on the diagonal i = j. Leave the diagonal out by "
    "its index (np.triu_indices(n, k=1) picks each pair i < j once) rather than by testing distance > 0: the Gram "
    "formula ‖a‖² + ‖b‖² − 2a·b leaves rounding noise like 1e-15 where the exact answer is 0"
)


def ratio_advice(expected):
    """The causes a concentration ratio shows by its value: huge (a self-pair), squared, or upside down."""
    return [
        advice(SELF_PAIR, when=lambda v: _is_number(v) and (not np.isfinite(v) or v > 1e6 * expected)),
        advice(f"that is the square of the expected ratio ({expected!r}² = {expected ** 2!r}): the ratio of SQUARED "
               "distances; take the square roots first", when=lambda v: _is_number(v) and np.isclose(v, expected**2, rtol=1e-7)),
        advice(f"that is 1/{expected!r}: the nearest pair over the farthest, upside down",
               when=lambda v: _is_number(v) and np.isclose(v, 1 / expected, rtol=1e-7)),
    ]


def expect_ratio(got, expected, what):
    """Compare a concentration ratio, with the cause its value shows where it shows one."""
    expect(got, what, advice=ratio_advice(expected)).to_match(expected)


@points(3)
def test_ratio_is_farthest_pair_over_nearest_pair(submission, reference, rng):
    X = cloud(rng, 12, 5)
    expect_ratio(submission.concentration_ratio(X), reference.concentration_ratio(X), "concentration_ratio(X)")


@points(1)
def test_two_points_give_ratio_one_and_three_points_their_own_ratio(submission, reference, rng):
    X = cloud(rng, 2, 4)
    got = submission.concentration_ratio(X)
    huge = advice(SELF_PAIR, when=lambda v: _is_number(v) and (not np.isfinite(v) or v > 1e6))
    expect(got, "the ratio for 2 points (one pair)", advice=huge).to_match(1.0, rtol=1e-12, atol=1e-12)
    # A constant 1 must not pass: with a third point there are three pairs, of different lengths.
    Y = cloud(rng, 3, 4)
    expect_ratio(
        submission.concentration_ratio(Y), reference.concentration_ratio(Y), "the ratio for 3 points (three pairs)"
    )


@points(1)
def test_ratio_ignores_shifting_rotating_and_scaling_the_points(submission, reference, rng):
    X = cloud(rng, 10, 4)
    q, r = np.linalg.qr(rng.standard_normal((4, 4)))
    moved = rng.uniform(0.2, 5.0) * (X @ (q * np.sign(np.diag(r)))) + rng.uniform(-10, 10, size=4)
    base = submission.concentration_ratio(X)
    after = submission.concentration_ratio(moved)
    expected = reference.concentration_ratio(X)
    with stage("the ratio for the original points, before moving them"):
        expect_ratio(base, expected, "the ratio for the original points")

    def from_origin(P):
        lengths = np.sqrt(np.sum(P * P, axis=1))
        return lengths.max() / lengths.min()

    expect(after, "the ratio for moved points", advice=advice(
        "it is the ratio of the points' distances from the origin, ‖Xᵢ‖, which moving the cloud changes: "
        "measure distances between pairs of points, ‖Xᵢ − Xⱼ‖",
        when=lambda v: _is_number(v) and np.isclose(v, from_origin(moved), rtol=1e-7),
    )).to_satisfy(
        _is_number(after) and np.isclose(base, after, rtol=1e-7),
        f"shifting, rotating and scaling a point cloud keeps the ratio of its pairwise distances "
        f"(expected {expected!r}), but you returned {base!r} before and {after!r} after",
    )


@points(1)
def test_ratio_works_for_one_dimensional_and_wide_data(submission, reference, rng):
    line = cloud(rng, 6, 1)
    wide = cloud(rng, 4, 40)
    expect_ratio(submission.concentration_ratio(line), reference.concentration_ratio(line), "ratio for points on a line (d = 1)")
    expect_ratio(submission.concentration_ratio(wide), reference.concentration_ratio(wide), "ratio for 4 points in d = 40")


DIMS = [2, 16, 128, 1024]
# For 30 standard-normal points the ratio falls from tens in the plane to about 1.14 at d = 1024.
# The bands are wide on purpose (they hold the reference over thousands of seeds with a wide margin):
# they catch a curve that does not concentrate, not the fine detail that concentration_ratio's checks test.
BANDS = {2: (5.0, math.inf), 16: (1.5, 100.0), 128: (1.1, 5.0), 1024: (1.02, 1.8)}


@points(1)
def test_curve_has_one_distinct_ratio_above_one_per_dimension(submission, rng):
    seed = int(rng.integers(1, 2**31 - 1))
    curve = submission.concentration_curve(DIMS, 30, seed)
    expect(curve, "concentration_curve").to_have_shape((len(DIMS),))
    expect(curve, "concentration_curve").to_satisfy(
        np.asarray(curve).dtype == np.float64, "return a float64 array, one ratio per dimension"
    )
    expect(curve, "concentration_curve").to_be_finite()
    values = np.asarray(curve, dtype=np.float64)
    expect(curve, "concentration_curve", advice=advice(
        "every ratio is below 1: that is the smallest distance over the largest, upside down",
        when=bool(np.all(values < 1.0)),
    )).to_satisfy(
        bool(np.all(values > 1.0)),
        "a farthest-over-nearest ratio is more than 1 (30 random points never have all their pairs equally far "
        "apart): the largest pairwise distance divided by the smallest",
    )
    expect(curve, "concentration_curve").to_satisfy(
        len(np.unique(values)) == len(DIMS),
        f"the {len(DIMS)} dimensions {DIMS} gave only {len(np.unique(values))} different ratios: points in R^2 and "
        "in R^1024 have different spreads of distances, so each d needs its own points and its own ratio",
    )


@points(3)
def test_curve_falls_towards_one_as_dimension_grows(submission, rng):
    seed = int(rng.integers(1, 2**31 - 1))
    curve = submission.concentration_curve(DIMS, 30, seed)
    expect(curve, "concentration_curve").to_have_shape((len(DIMS),))
    values = np.asarray(curve, dtype=np.float64)
    expect(curve, "concentration_curve").to_satisfy(
        bool(np.all(np.diff(values) < 0)),
        f"for dims {DIMS} the ratio should shrink at every step (distances concentrate), but it went "
        f"{', '.join(f'{v:.3g}' for v in values)}",
    )
    squared = all(BANDS[d][0] <= np.sqrt(v) <= BANDS[d][1] for d, v in zip(DIMS, values) if v >= 0)
    for d, v in zip(DIMS, values):
        low, high = BANDS[d]
        expect(curve, "concentration_curve", advice=advice(
            "the square roots of your ratios all fall in these ranges: the ratios were taken of SQUARED "
            "distances; use the plain distances ‖Xᵢ − Xⱼ‖", when=bool(squared and bool(np.all(values >= 0))),
        )).to_satisfy(
            low <= v <= high,
            f"for 30 standard-normal points in d = {d} the ratio is almost always between {low} and {high}, "
            f"but you returned {v:.4g}",
        )


@points(1)
def test_curve_is_reproducible_from_its_seed(submission, rng):
    seed = int(rng.integers(1, 2**31 - 1))
    first = submission.concentration_curve([3, 50], 20, seed)
    again = submission.concentration_curve([3, 50], 20, seed)
    other = submission.concentration_curve([3, 50], 20, seed + 1)
    same = np.array_equal(np.asarray(first), np.asarray(again))
    expect(again, "concentration_curve with the same seed").to_satisfy(
        same, "the same seed must give the same curve (README: every point drawn from np.random.default_rng(seed))"
    )
    expect(other, "concentration_curve with another seed").to_satisfy(
        not np.array_equal(np.asarray(first), np.asarray(other)),
        "a different seed gave exactly the same curve: the points must come from the seed argument (README)",
    )
