"""Checks for ex14: embeddings as matrices.

Each check is about one function and one part of its contract (lookup, batch shape, dtype, the id range;
ranking by cosine, leaving the word out, ties, E unchanged; the analogy's target and its exclusions).
A failure says what was expected and what came back; a likely cause is added only where the returned
value shows it (the dot product's order, an ascending order, the word heading its own list, a normalised E).
"""

import numpy as np

from grader.checking import LearnerRaised, advice, as_numpy, describe, expect, fail, points, stage, visibility


def embeddings(rng, V, d, dtype=np.float64):
    """A vocabulary of V rows with a shared offset (like real, anisotropic embeddings) and
    lengths spread over two orders of magnitude, so that cosine and dot product disagree."""
    E = rng.standard_normal((V, d)) + 0.5 * rng.standard_normal(d)
    E *= 10 ** rng.uniform(-1, 1, size=(V, 1))
    return E.astype(dtype)


def token_ids(rng, shape, V):
    """Random ids with repeats and both ends of the vocabulary present."""
    ids = rng.integers(0, V, size=shape)
    flat = ids.reshape(-1)
    flat[rng.choice(flat.size, 2, replace=False)] = [0, V - 1]
    return ids.astype(np.int64)


def unit_rows(E):
    return E / np.linalg.norm(E, axis=1, keepdims=True)


def ranked(S, k):
    """The first k columns of each row of S, highest first, ties to the lower index (the contract's order)."""
    return np.argsort(-S, axis=1, kind="stable")[:, :k]


def cosines(E, ids):
    """Every cosine of the words ``ids`` with all rows, their own set to -inf (they are left out)."""
    U = unit_rows(E)
    S = U[ids] @ U.T
    S[np.arange(len(ids)), ids] = -np.inf
    return S


def same(got, want):
    """A learner's neighbours are exactly ``want`` (False for anything else, never an error)."""
    got = as_numpy(got) if isinstance(got, np.ndarray) else np.asarray([])
    return got.shape == want.shape and bool(np.array_equal(got, want))


def ranking_advice(E, ids, k):
    """The causes a wrong neighbour list can show: the order of the dot product, the least similar first, or
    each word heading its own list."""
    ids = np.asarray(ids)
    dots = E[ids] @ E.T
    dots[np.arange(len(ids)), ids] = -np.inf
    S = cosines(E, ids)
    # The word first, then its true top k - 1: it was ranked with the others (cosine 1 with itself) and not left out.
    with_self = np.column_stack([ids, ranked(S, k - 1)])
    return [
        advice("Each word heads its own list, followed by its true nearest neighbours: every word has cosine 1 with "
               "itself, so it must be left out (its own score set to -inf) before sorting.",
               when=lambda got: same(got, with_self)),
        advice("Your lists are the words of highest raw dot product E[i]·E[j], which favours long rows: rank by "
               "cosine, the dot product of rows scaled to unit length.",
               when=lambda got: same(got, ranked(dots, k)) and not same(got, ranked(S, k))),
        advice("Your lists run from the least similar word up: most similar first is argsort of the negated "
               "scores.",
               when=lambda got: k > 1 and same(got, np.argsort(S, axis=1, kind="stable")[:, :k])),
    ]


def equal_length_embeddings(rng, V, d):
    """Rows all of one random length (not 1): cosine and dot product rank them alike, so a check that uses
    these tests only what it names, and normalising E in place still changes it."""
    return unit_rows(embeddings(rng, V, d)) * 10 ** rng.uniform(0.3, 1)


def balanced_embeddings(rng, V, d):
    """Rows of one random length (not 1) and columns of one length too (rows and columns scaled in turn until
    both agree): cosines, dot products and any per-column scaling rank the words alike, so a check that uses
    these judges only what it names."""
    E = embeddings(rng, V, d)
    for _ in range(300):
        E = unit_rows(E)
        E = E / np.linalg.norm(E, axis=0, keepdims=True)
    return unit_rows(E) * 10 ** rng.uniform(0.3, 1)


# --- lookup -----------------------------------------------------------------------

@points(2)
def test_one_hot_has_a_single_one_per_row_at_the_id(submission, rng):
    V = int(rng.integers(9, 14))
    ids = token_ids(rng, 6, V)
    expect(submission.one_hot(ids, V), "one_hot(ids, V)").to_match(np.eye(V)[ids])


@points(3)
def test_embed_returns_the_rows_of_E_for_the_ids(submission, rng):
    V, d = 20, 6
    E = embeddings(rng, V, d)
    ids = token_ids(rng, 9, V)
    expect(submission.embed(ids, E), "embed(ids, E)").to_match(E[ids])


@points(2)
def test_embed_keeps_the_batch_shape_of_the_ids(submission, rng):
    V, d = 17, 5
    E = embeddings(rng, V, d)
    ids = token_ids(rng, (3, 4), V)
    expect(submission.embed(ids, E), "embed of a (batch, sequence) of ids").to_match(E[ids])


@points(2)
def test_embed_keeps_float32_as_float32(submission, rng):
    V, d = 15, 8
    E = embeddings(rng, V, d, np.float32)
    ids = token_ids(rng, 7, V)
    expect(submission.embed(ids, E), "embed with a float32 E").to_match(E[ids])


@points(1)
def test_embed_rejects_ids_outside_the_vocabulary(submission, rng):
    V, d = 12, 4
    E = embeddings(rng, V, d)
    ids = token_ids(rng, 5, V)
    ids[2] = -1
    rejects(submission, ids, E, f"id -1 is not a token of a vocabulary of {V}")
    ids[2] = V
    rejects(submission, ids, E, f"id {V} is past the last row of E")


def rejects(submission, ids, E, why):
    """embed(ids, E) must raise ValueError (IndexError accepted); E[ids] coming back is numpy's wrap-around."""
    try:
        got = submission.embed(ids, E)
    except LearnerRaised as exc:
        if not (exc.is_a("ValueError") or exc.is_a("IndexError")):
            fail(f"raised {exc.type_name}: {exc.message}\nexpected ValueError (or IndexError): {why}")
        return
    fail(f"returned {describe(got)}\nexpected it to raise ValueError (or IndexError): {why}", got, advice=advice(
        "It returned E[ids] as numpy reads them: E[-1] is the last row, so the bad id silently became another word. "
        "Check 0 <= ids < V before indexing.",
        when=lambda x: isinstance(x, np.ndarray) and x.shape == E[ids].shape and np.array_equal(x, E[ids]),
    ))


# --- weight-tied output layer ---------------------------------------------------------

@points(3)
def test_tied_logits_score_h_against_every_row_of_E(submission, rng):
    V, d = 15, 6
    E = embeddings(rng, V, d)
    h = rng.standard_normal((4, d)) + 0.3
    expect(submission.tied_logits(h, E), "tied_logits(h, E)").to_match(h @ E.T)


@points(2)
def test_tied_logits_keep_batch_dimensions_and_float32(submission, rng):
    V, d = 11, 5
    E = embeddings(rng, V, d, np.float32)
    h = (rng.standard_normal((2, 3, d)) + 0.3).astype(np.float32)
    expect(submission.tied_logits(h, E), "tied_logits of a (batch, sequence, d) h").to_match(h @ E.T)


# --- neighbours in embedding space ------------------------------------------------------

@points(3)
def test_nearest_neighbours_rank_rows_by_cosine(submission, reference, rng):
    E = embeddings(rng, 40, 8)
    ids = rng.choice(40, 5, replace=False)
    expect(submission.nearest_neighbours(E, ids, 4), "neighbours", advice=ranking_advice(E, ids, 4)).to_equal(
        reference.nearest_neighbours(E, ids, 4))


@points(2)
def test_nearest_neighbours_never_include_the_word_itself(submission, reference, rng):
    E = embeddings(rng, 25, 6)
    ids = rng.choice(25, 6, replace=False)
    got = submission.nearest_neighbours(E, ids, 3)
    expect(got, "neighbours").to_have_shape((6, 3))
    own = [int(i) for i, row in zip(ids, np.asarray(got)) if i in row]
    expect(got, "neighbours", advice=ranking_advice(E, ids, 3)).to_satisfy(
        not own,
        f"word {own[0] if own else ''} is listed among its own neighbours; each list leaves out the word itself.",
    )
    expect(got, "neighbours", advice=ranking_advice(E, ids, 3)).to_equal(reference.nearest_neighbours(E, ids, 3))


@points(2)
def test_nearest_neighbours_rank_by_cosine_not_by_dot_product(submission, reference, rng):
    E = embeddings(rng, 12, 5)
    q = 3
    u = E[q] / np.linalg.norm(E[q])
    # A long row pointing partly away wins a dot product; a short row pointing the same way wins the cosine.
    E[7] = 50.0 * (rng.standard_normal(5) + 0.5 * u)
    E[9] = 0.05 * (u + 0.05 * rng.standard_normal(5))
    ids = np.array([q])
    expect(submission.nearest_neighbours(E, ids, 3), "neighbours", advice=ranking_advice(E, ids, 3)).to_equal(
        reference.nearest_neighbours(E, ids, 3))


@points(1)
def test_nearest_neighbours_break_ties_towards_the_lower_index(submission, reference, rng):
    E = embeddings(rng, 10, 4)
    # Rows 2, 5 and 8 point the same way (scaled by powers of two, so exactly): their cosines tie.
    E[5] = 2.0 * E[2]
    E[8] = 0.5 * E[2]
    E[6] = E[2] + 0.05 * np.linalg.norm(E[2]) * rng.standard_normal(4)
    ids = np.array([6])
    S = cosines(E, ids)
    higher_first = np.argsort(S, axis=1, kind="stable")[:, ::-1][:, :4]
    expect(submission.nearest_neighbours(E, ids, 4), "neighbours", advice=[
        advice("Rows 2, 5 and 8 have exactly the same cosine with word 6, and yours lists them higher index first: "
               "reversing an ascending sort reverses ties too. A stable sort of the negated scores keeps the lower "
               "index first.",
               when=lambda x: same(x, higher_first) and not same(x, ranked(S, 4))),
        *ranking_advice(E, ids, 4),
    ]).to_equal(reference.nearest_neighbours(E, ids, 4))


@points(1)
def test_nearest_neighbours_with_k_of_all_other_words(submission, reference, rng):
    E = embeddings(rng, 6, 3)
    ids = np.arange(6)
    expect(submission.nearest_neighbours(E, ids, 5), "neighbours", advice=ranking_advice(E, ids, 5)).to_equal(
        reference.nearest_neighbours(E, ids, 5))


@points(1)
def test_nearest_neighbours_are_right_and_leave_E_unchanged(submission, reference, rng):
    E = balanced_embeddings(rng, 15, 4)
    ids = np.array([1, 8])
    got, args_after, _ = submission.inputs_after("nearest_neighbours", E, ids, 2)
    with stage("its neighbours (all rows of this E have one length, and all columns another)"):
        expect(got, "neighbours", advice=ranking_advice(E, ids, 2)).to_equal(reference.nearest_neighbours(E, ids, 2))
    after = np.asarray(args_after[0])
    expect(got, "neighbours", advice=advice(
        "Every row of E now has length 1: it was normalised in place (E /= norms, or E[:] = ...). Compute "
        "U = E / norms into a new array instead.",
        when=after.shape == E.shape and np.allclose(after, unit_rows(E), rtol=1e-12, atol=1e-15),
    )).to_satisfy(
        after.shape == E.shape and np.array_equal(after, E),
        "the neighbours were right, but nearest_neighbours changed E, the caller's embedding matrix (a model's "
        "weights!): it must be left as it was.",
    )


@points(3)
@visibility("hidden")  # it computes the analogy itself: the answer stays with the instructor
def test_analogy_finds_the_planted_fourth_word(submission, rng):
    V, d = 60, 12
    E = embeddings(rng, V, d)
    a, b, c, want, decoy, long = (int(i) for i in rng.choice(V, 6, replace=False))
    U = unit_rows(E)
    # The query words' lengths differ a lot, as frequent and rare words' do.
    E[a], E[b], E[c] = 10.0 * U[a], 1.0 * U[b], 0.5 * U[c]
    # Plant: the answer points along Ê[b] - Ê[a] + Ê[c] (plus a little noise), at its own length ...
    t = U[b] - U[a] + U[c]
    t /= np.linalg.norm(t)
    E[want] = (t + 0.05 * rng.standard_normal(d) / np.sqrt(d)) * 10 ** rng.uniform(-1, 1)
    # ... a decoy points along the raw sum E[b] - E[a] + E[c], which the long E[a] dominates ...
    raw = E[b] - E[a] + E[c]
    raw /= np.linalg.norm(raw)
    E[decoy] = 0.5 * raw
    # ... and a very long word points only partly that way: a dot product prefers it to both.
    side = rng.standard_normal(d)
    side -= (side @ raw) * raw + (side @ t) * t
    E[long] = 100.0 * (0.3 * raw + 0.95 * side / np.linalg.norm(side))
    got = submission.analogy(E, a, b, c)

    def answered(word):
        return lambda x: isinstance(x, (int, np.integer)) and int(x) == word

    expect(got, f"analogy(E, {a}, {b}, {c})", advice=[
        advice(f"Word {decoy} points along the raw sum E[b] − E[a] + E[c]: E[a] is 20 times longer than E[c] and "
               "dominates that sum. Normalise each row to unit length before adding.", when=answered(decoy)),
        advice(f"Word {long} is by far the longest row but points elsewhere: a dot product rewards length, "
               "a cosine does not.", when=answered(long)),
    ]).to_satisfy(
        isinstance(got, (int, np.integer)) and int(got) == want,
        f"word {want} was planted along Ê[b] − Ê[a] + Ê[c] (cosine about 0.99) at its own length, so it is the "
        "answer: the row, other than a, b and c, of highest cosine with that target.",
    )
    # The same words under other ids: the answer must move with them, so no fixed id can pass.
    ids = rng.permutation(V)
    while ids[want] == want:
        ids = rng.permutation(V)
    relabelled = np.empty_like(E)
    relabelled[ids] = E
    moved = submission.analogy(relabelled, int(ids[a]), int(ids[b]), int(ids[c]))
    expect(moved, f"analogy(E', {ids[a]}, {ids[b]}, {ids[c]}) with the same rows under new ids", advice=advice(
        f"It answered {want} again, the old id: the answer must come from the rows' directions, not from a fixed id.",
        when=lambda x: isinstance(x, (int, np.integer)) and int(x) == want,
    )).to_satisfy(
        isinstance(moved, (int, np.integer)) and int(moved) == int(ids[want]),
        f"with every row moved to a new id, word {want} became word {ids[want]}, so that is the answer now.",
    )


@points(2)
@visibility("hidden")  # it scores the analogy itself: the answer stays with the instructor
def test_analogy_never_answers_one_of_the_three_query_words_and_finds_the_best_other(submission, reference, rng):
    V, d = 30, 16

    def query_where_b_or_c_wins():
        """Rows of one length, so that only leaving out a, b and c matters; b or c outscores every other word,
        as in real analogies, and the best other word wins clearly."""
        while True:
            E = equal_length_embeddings(rng, V, d)
            a, b, c = (int(i) for i in rng.choice(V, 3, replace=False))
            U = unit_rows(E)
            scores = U @ (U[b] - U[a] + U[c])
            others = np.sort(np.delete(scores, [a, b, c]))
            if max(scores[b], scores[c]) > others[-1] + 0.05 and others[-1] > others[-2] + 1e-6:
                return E, a, b, c

    # Two queries with different answers: the answer must follow the words asked about.
    first = query_where_b_or_c_wins()
    while True:
        second = query_where_b_or_c_wins()
        if reference.analogy(*second) != reference.analogy(*first):
            break
    for E, a, b, c in (first, second):
        got = submission.analogy(E, a, b, c)
        expect(got, f"analogy(E, {a}, {b}, {c})").to_satisfy(
            isinstance(got, (int, np.integer)) and int(got) not in (a, b, c),
            "the answer is a word other than a, b and c, as a Python int. Here b or c scores higher than every "
            "other word (the target Ê[b] − Ê[a] + Ê[c] is close to both), so they must be left out before the argmax.",
        )
        want = reference.analogy(E, a, b, c)
        expect(got, f"analogy(E, {a}, {b}, {c})").to_satisfy(
            int(got) == want,
            f"the answer is not one of the query words, as it should be, but it is not the best of the others: "
            f"word {want} has the highest cosine with Ê[b] − Ê[a] + Ê[c] (all rows of this E have the same length).",
        )
