"""Checks for ex01: cosine similarity."""

import numpy as np

from grader.checking import expect, points


def vectors(rng, n, d, dtype=np.float64):
    """Rows with an offset (so cosines are far from 0) and very different lengths."""
    X = rng.standard_normal((n, d)) + rng.uniform(-1, 1, size=d)
    X *= rng.uniform(0.1, 10.0, size=(n, 1))
    return X.astype(dtype)


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
    expect(scaled).to_satisfy(
        isinstance(scaled, (float, np.floating)) and np.isclose(scaled, base, rtol=1e-9, atol=1e-12),
        f"scaling a by {s:.3g} and b by {t:.3g} changed the result from {base!r}: "
        "a cosine depends only on the directions, so divide by both norms",
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
    # A constant 0.0 must not pass for "handles the zero vector": the same function must
    # still give the right cosine for two ordinary vectors. Computed here, not by the reference,
    # so that the check ships with the learner bundle.
    expect(submission.cosine_similarity(b, c), "the cosine of two non-zero vectors (checked before the zero vector)").to_match(
        float(np.dot(b, c) / (np.linalg.norm(b) * np.linalg.norm(c)))
    )
    a = np.zeros(6)
    expect(submission.cosine_similarity(a, b), "the cosine of the zero vector with b").to_match(0.0)
    expect(submission.cosine_similarity(b, a), "the cosine of b with the zero vector").to_match(0.0)


@points(1)
def test_parallel_vectors_give_one_and_opposite_give_minus_one(submission, rng):
    a = vectors(rng, 1, 4)[0]
    expect(submission.cosine_similarity(a, 3.5 * a)).to_match(1.0, rtol=1e-12, atol=1e-12)
    expect(submission.cosine_similarity(a, -0.2 * a)).to_match(-1.0, rtol=1e-12, atol=1e-12)


@points(4)
def test_pairwise_matches_every_pair_of_rows(submission, reference, rng):
    A, B = vectors(rng, 6, 8), vectors(rng, 5, 8)
    expect(submission.pairwise_cosine(A, B)).to_match(reference.pairwise_cosine(A, B))


@points(2)
def test_pairwise_keeps_float32_as_float32(submission, reference, rng):
    A, B = vectors(rng, 4, 16, np.float32), vectors(rng, 7, 16, np.float32)
    expect(submission.pairwise_cosine(A, B)).to_match(reference.pairwise_cosine(A, B))


@points(2)
def test_pairwise_gives_zero_for_zero_rows(submission, reference, rng):
    A, B = vectors(rng, 4, 3), vectors(rng, 3, 3)
    A[1] = 0.0
    B[2] = 0.0
    expect(submission.pairwise_cosine(A, B)).to_match(reference.pairwise_cosine(A, B))


@points(1)
def test_pairwise_works_for_single_rows(submission, reference, rng):
    A, B = vectors(rng, 1, 5), vectors(rng, 1, 5)
    expect(submission.pairwise_cosine(A, B)).to_match(reference.pairwise_cosine(A, B))


@points(2)
def test_top_k_returns_the_most_similar_rows_first(submission, reference, rng):
    E = vectors(rng, 30, 6)
    query = vectors(rng, 1, 6)[0]
    expect(submission.top_k_similar(query, E, 5)).to_equal(reference.top_k_similar(query, E, 5))


@points(1)
def test_top_k_breaks_ties_towards_the_lower_index(submission, reference, rng):
    base = vectors(rng, 6, 4)
    # Rows 1, 3 and 5 point the same way (different lengths), so they tie.
    E = base.copy()
    E[3] = 2.0 * base[1]
    E[5] = 0.5 * base[1]
    query = base[1] + 0.05 * rng.standard_normal(4)
    expect(submission.top_k_similar(query, E, 4)).to_equal(reference.top_k_similar(query, E, 4))


@points(1)
def test_top_k_ranks_by_cosine_not_by_dot_product(submission, reference, rng):
    query = vectors(rng, 1, 5)[0]
    E = vectors(rng, 12, 5)
    # A long row pointing somewhat away wins a dot product but not a cosine.
    E[0] = 100.0 * (rng.standard_normal(5) + 0.3 * query / np.linalg.norm(query))
    E[7] = 0.01 * (query + 0.1 * rng.standard_normal(5))
    expect(submission.top_k_similar(query, E, 3)).to_equal(reference.top_k_similar(query, E, 3))
