"""Checks for ex01: cosine similarity.

Each check isolates one part of the contract, so one wrong line costs the points of its part: the
cosine's values, the zero rule, the dtype, the order of top_k and its tie-break are judged apart
(a raw dot product, say, still earns the zero rule and the ordering).
"""

import numpy as np

# `expect, points` on a line of their own: tests/test_instructor_publish.py adds `visibility` to it.
from grader.checking import expect, points
from grader.checking.expect import advice, as_numpy, describe, stage


def vectors(rng, n, d, dtype=np.float64):
    """Rows with an offset (so cosines are far from 0) and very different lengths."""
    X = rng.standard_normal((n, d)) + rng.uniform(-1, 1, size=d)
    X *= rng.uniform(0.1, 10.0, size=(n, 1))
    return X.astype(dtype)


def with_cosines(rng, query, cosines, lengths):
    """Rows whose cosine with ``query`` is ``cosines[i]`` (to rounding) and whose length is ``lengths[i]``."""
    q = query / np.sqrt(np.sum(query * query))
    R = rng.standard_normal((len(cosines), query.size))
    R -= np.outer(R @ q, q)  # the part of each row orthogonal to the query
    R /= np.sqrt(np.sum(R * R, axis=1, keepdims=True))
    c = np.asarray(cosines, dtype=np.float64)[:, None]
    return np.asarray(lengths, dtype=np.float64)[:, None] * (c * q + np.sqrt(1.0 - c * c) * R)


def expect_numbers(value, what):
    """An array of numbers (not objects or strings), so that the check can measure it."""
    expect(value, what).to_satisfy(as_numpy(value).dtype.kind in "biuf", "expected an array of numbers")


def _is_float(v):
    return isinstance(v, (float, np.floating)) and not isinstance(v, bool)


def _close(x, y, rtol=1e-6):
    """x ≈ y for numbers that may be anything (a learner's value): False rather than an error."""
    try:
        return bool(np.isclose(float(x), float(y), rtol=rtol, atol=0.0))
    except (TypeError, ValueError):
        return False


# --- cosine_similarity -----------------------------------------------------------------

@points(2)
def test_cosine_of_two_vectors_matches_the_definition(submission, reference, rng):
    a, b = vectors(rng, 2, 7)
    expect(submission.cosine_similarity(a, b)).to_match(reference.cosine_similarity(a, b))


@points(2)
def test_cosine_ignores_the_lengths_of_the_vectors(submission, rng):
    a, b = vectors(rng, 2, 5)
    s, t = rng.uniform(5, 50), rng.uniform(0.01, 0.1)
    base = submission.cosine_similarity(a, b)
    scaled = submission.cosine_similarity(s * a, t * b)
    ratio = float(scaled) / float(base) if _is_float(scaled) and _is_float(base) and base != 0 else np.nan
    expect(scaled, advice=[
        advice(f"the result changed by the factor {s * t:.3g} = {s:.3g}·{t:.3g}, as a·b does: divide a·b by both "
               "lengths, ‖a‖‖b‖", when=lambda _: _close(ratio, s * t)),
        advice(f"the result changed by the factor {t:.3g}, the one b was scaled by: b's length is not divided out",
               when=lambda _: _close(ratio, t)),
        advice(f"the result changed by the factor {s:.3g}, the one a was scaled by: a's length is not divided out",
               when=lambda _: _close(ratio, s)),
        advice(f"the result changed by the factor 1/({s:.3g}·{t:.3g}): it was divided by the squared lengths "
               "(Σaᵢ² is ‖a‖², the length is its square root)", when=lambda _: _close(ratio, 1 / (s * t))),
    ]).to_satisfy(
        _is_float(scaled) and np.isclose(scaled, base, rtol=1e-9, atol=1e-12),
        f"scaling a by {s:.3g} and b by {t:.3g} changed the result from {base!r}: a cosine depends only on the "
        "directions of a and b, not on their lengths",
    )
    expect(base, "the cosine").to_satisfy(-1 - 1e-12 <= base <= 1 + 1e-12, "a cosine lies in [-1, 1]")
    # Directions still matter: a constant answer must not pass for "ignoring lengths".
    flipped = submission.cosine_similarity(s * a, -t * b)
    expect(flipped).to_satisfy(
        np.isclose(flipped, -base, rtol=1e-9, atol=1e-12),
        f"reversing b should turn {base!r} into {-base!r}: the cosine of the angle between a and -b",
    )
    itself = submission.cosine_similarity(a, s * a)
    expect(itself).to_match(1.0, rtol=1e-12, atol=1e-12)


@points(2)
def test_cosine_with_a_zero_vector_is_zero(submission, rng):
    b, c = vectors(rng, 2, 6)
    z = np.zeros(6)
    # Every call first, so that a card can tell apart which of them went wrong.
    ordinary = submission.cosine_similarity(b, c)
    got = {
        "the cosine of the zero vector with b": submission.cosine_similarity(z, b),
        "the cosine of b with the zero vector": submission.cosine_similarity(b, z),
        "the cosine of the zero vector with itself": submission.cosine_similarity(z, z),
    }
    nan_advice = advice(
        "0/0 is NaN: when either length is 0, return 0.0 before dividing (README: 'return 0.0 when EITHER norm is 0')",
        when=lambda v: _is_float(v) and np.isnan(v),
    )
    for what, value in got.items():
        expect(value, what, advice=nan_advice).to_match(0.0)
    # A constant 0.0 must not pass for "handles the zero vector": two ordinary vectors, with an offset
    # in common, have a cosine far from 0. (Its value is judged by the other checks.)
    expect(ordinary, "the cosine of two non-zero vectors").to_satisfy(
        _is_float(ordinary) and np.isfinite(ordinary) and ordinary != 0.0,
        "expected a non-zero float: these two vectors are not orthogonal, so only the zero vector gives 0",
    )


@points(1)
def test_parallel_vectors_give_one_and_opposite_give_minus_one(submission, rng):
    a = vectors(rng, 1, 4)[0]
    expect(submission.cosine_similarity(a, 3.5 * a)).to_match(1.0, rtol=1e-12, atol=1e-12)
    expect(submission.cosine_similarity(a, -0.2 * a)).to_match(-1.0, rtol=1e-12, atol=1e-12)


# --- pairwise_cosine -------------------------------------------------------------------

@points(4)
def test_pairwise_matches_every_pair_of_rows(submission, reference, rng):
    A, B = vectors(rng, 6, 8), vectors(rng, 5, 8)
    expect(submission.pairwise_cosine(A, B)).to_match(reference.pairwise_cosine(A, B))


@points(2)
def test_pairwise_keeps_float32_as_float32(submission, reference, rng):
    # The dtype is under test here. The values are only checked to be your own float64 answer for the
    # same numbers, to float32 precision: the other pairwise checks judge the values themselves.
    A, B = vectors(rng, 4, 16, np.float32), vectors(rng, 7, 16, np.float32)
    got = submission.pairwise_cosine(A, B)
    wide = submission.pairwise_cosine(A.astype(np.float64), B.astype(np.float64))
    want = reference.pairwise_cosine(A, B)
    what = "pairwise_cosine of float32 A and B"
    with stage("its values, against your float64 answer for the same numbers"):
        expect(got, what).to_have_shape(want.shape)
        expect(wide, "pairwise_cosine of the same A and B in float64").to_have_shape(want.shape)
        expect_numbers(got, what)
        expect_numbers(wide, "pairwise_cosine of the same A and B in float64")
        expect(got, what).to_be_finite()
        g, w = as_numpy(got).astype(np.float64), as_numpy(wide).astype(np.float64)
        expect(got, what).to_satisfy(
            bool(np.ptp(g) > 0), f"every entry is {g.flat[0]!r}, but these rows all differ, and so do their cosines"
        )
        worst = float(np.max(np.abs(g - w)))
        expect(got, what).to_satisfy(
            worst <= 1e-4 * max(1.0, float(np.max(np.abs(w)))),
            f"it differs from your float64 answer for the same numbers by up to {worst:.3g}: "
            "float32 should change only the last digits",
        )
    expect(got, what).to_satisfy(
        str(getattr(got, "dtype", "")) == str(want.dtype),
        f"expected dtype {want.dtype}, got {getattr(got, 'dtype', None)}: float32 in, float32 out (README)",
    )


@points(2)
def test_pairwise_gives_zero_for_zero_rows(submission, reference, rng):
    A, B = vectors(rng, 4, 3), vectors(rng, 5, 3)
    i, j = int(rng.integers(5)), int(rng.integers(6))
    A0, B0 = np.insert(A, i, 0.0, axis=0), np.insert(B, j, 0.0, axis=0)  # a zero row at i in A, at j in B
    got = submission.pairwise_cosine(A0, B0)
    plain = submission.pairwise_cosine(A, B)
    want = reference.pairwise_cosine(A0, B0)
    what = f"pairwise_cosine with a zero row {i} in A and {j} in B"
    # A function that gives 0 everywhere must earn nothing here: without the zero rows, the answer is
    # finite and not all 0 (its values are judged by the other checks).
    with stage("your answer for the same A and B without their zero rows"):
        without = "pairwise_cosine of the same A and B without their zero rows"
        expect(plain, without).to_have_shape((A.shape[0], B.shape[0]))
        expect_numbers(plain, without)
        expect(plain, without).to_be_finite()
        expect(plain, without).to_satisfy(
            bool(np.any(as_numpy(plain) != 0)), "expected values other than 0: none of these rows is zero"
        )
    expect(got, what).to_have_shape(want.shape)
    expect_numbers(got, what)
    g = as_numpy(got).astype(np.float64)
    row, col = g[i], g[:, j]
    expect(got, what, advice=advice(
        "0/0 is NaN: a zero row has length 0, so treat zero lengths apart (np.where(norms == 0, 1, norms))",
        when=bool(np.isnan(row).any() or np.isnan(col).any()),
    )).to_satisfy(
        np.array_equal(row, want[i]) and np.array_equal(col, want[:, j]),
        f"row {i} (A's zero row) should be all 0, it is {describe(row)}\n"
        f"column {j} (B's zero row) should be all 0, it is {describe(col)}\n"
        "a zero row has no direction, so its cosine with every row is 0 (README)",
    )
    rest = np.delete(np.delete(g, i, axis=0), j, axis=1)
    expect(got, what).to_satisfy(
        np.allclose(rest, as_numpy(plain).astype(np.float64), rtol=1e-12, atol=1e-12),
        "adding the zero rows changed the other entries: each entry depends only on its own pair of rows",
    )


@points(1)
def test_pairwise_works_for_single_rows(submission, reference, rng):
    A, B = vectors(rng, 1, 5), vectors(rng, 1, 5)
    expect(submission.pairwise_cosine(A, B)).to_match(reference.pairwise_cosine(A, B))


# --- top_k_similar ---------------------------------------------------------------------

@points(2)
def test_top_k_returns_the_most_similar_rows_first(submission, reference, rng):
    # All rows have the same length, so the order is under test here, not the normalisation; one row
    # points exactly away from the query (cosine -1: the least similar, however large |cos| is).
    query = vectors(rng, 1, 6)[0]
    cosines = rng.permutation(np.append(np.linspace(-0.9, 0.95, 29), -1.0))
    E = with_cosines(rng, query, cosines, np.full(30, rng.uniform(0.5, 5.0)))
    expect(submission.top_k_similar(query, E, 5)).to_equal(reference.top_k_similar(query, E, 5))


@points(1)
def test_top_k_breaks_ties_towards_the_lower_index(submission, reference, rng):
    # Rows 1, 3 and 5 are the same row, the closest to the query: an exact three-way tie.
    # The other rows point somewhat towards the query, so that only the tie-break decides the order.
    query = vectors(rng, 1, 4)[0]
    cosines = [rng.uniform(0.1, 0.8), 0.97, rng.uniform(0.1, 0.8), 0.0, rng.uniform(0.1, 0.8), 0.0]
    E = with_cosines(rng, query, cosines, np.full(6, rng.uniform(0.5, 5.0)))
    E[3] = E[1]
    E[5] = E[1]
    expect(submission.top_k_similar(query, E, 4)).to_equal(reference.top_k_similar(query, E, 4))


@points(1)
def test_top_k_ranks_by_cosine_not_by_dot_product(submission, reference, rng):
    query = vectors(rng, 1, 5)[0]
    cosines = rng.uniform(0.05, 0.85, size=12)
    lengths = rng.uniform(0.5, 10.0, size=12)
    # A long row pointing somewhat away wins a dot product but not a cosine; a short row pointing
    # almost the same way wins a cosine but not a dot product.
    cosines[0], lengths[0] = 0.6, 1000.0
    cosines[7], lengths[7] = 0.99, 0.01
    E = with_cosines(rng, query, cosines, lengths)
    expect(submission.top_k_similar(query, E, 3)).to_equal(reference.top_k_similar(query, E, 3))
