"""Checks for ex10: rotary position embeddings (RoPE) and multi-head attention with RoPE.

Each check judges one part. The scores checks accept the reference's scores or those the learner's own
apply_rope gives (RoPE(q) RoPE(k)ᵀ / √d), and the attention checks accept the reference's output or the
one the learner's own rope_scores gives on the same heads: a mistake inside apply_rope costs the
apply_rope checks (and the properties the scores must have), not every later check as well.
"""

import math

import numpy as np
import torch

from grader.checking import CheckFailure, advice, as_numpy, close, expect, fail, points, stage

F32 = {"rtol": 1e-5, "atol": 1e-5}  # float32: the angles are exact only to float32 rounding


def t(a, dtype=np.float64):
    return torch.from_numpy(np.ascontiguousarray(np.asarray(a, dtype=dtype)))


def positions(rng, n, high=500):
    """Distinct integer positions in [0, high), in random order (not 0..n-1: the checks use explicit positions)."""
    return torch.from_numpy(rng.choice(high, size=n, replace=False).astype(np.int64))


def vectors(rng, shape, dtype=np.float64):
    return t(rng.standard_normal(shape) + rng.uniform(-0.5, 0.5, size=shape[-1]), dtype)


def projections(rng, d_model, dtype=np.float64):
    return [t(rng.standard_normal((d_model, d_model)) / math.sqrt(d_model), dtype) for _ in range(4)]


def require_tensor(value, shape, what):
    expect(value, what).to_have_shape(shape)
    expect(value, what).to_be_finite()
    return as_numpy(value).astype(np.float64)


ROUNDING = (
    " That is rounding, not a wrong formula: angles p·θ computed in float32 (torch.arange's default dtype, or "
    "positions.float()) keep only about 7 digits. Build θ and the angles in float64 (torch.arange(d // 2, "
    "dtype=torch.float64), positions.to(torch.float64)) and cast only cos and sin to x.dtype."
)


def rounding_only(err):
    """A difference small enough to come from float32 angles rather than from a wrong formula."""
    return 0 < err < 1e-4


def wrap(angle):
    """Angles to (-π, π]."""
    return np.pi - np.mod(np.pi - angle, 2 * np.pi)


def split_heads(T, n_heads):
    return T.unflatten(-1, (n_heads, T.shape[-1] // n_heads)).transpose(-3, -2)


def expect_either(got, expected, own, what, *, advice=None, **compare):
    """``got`` matches the reference's ``expected``, or ``own()``: the same computation made of the learner's own
    earlier functions (None when those give nothing usable), whose mistakes their own checks judge."""
    try:
        expect(got, what, advice=advice).to_match(expected, **compare)
    except CheckFailure:
        try:
            mine = own()
        except Exception:  # noqa: BLE001  (the learner's earlier function failing is judged by its own checks)
            mine = None
        if mine is not None:
            try:
                expect(got, what).to_match(mine, **compare)
                return
            except CheckFailure:
                pass
        raise


def own_scores(submission, q, k, q_pos=None, k_pos=None):
    """Scores made of the learner's own apply_rope: RoPE(q) RoPE(k)ᵀ / √d."""
    return lambda: submission.apply_rope(q, q_pos) @ submission.apply_rope(k, k_pos).transpose(-2, -1) / math.sqrt(q.shape[-1])


def own_attention(submission, X, W, n_heads, positions=None, causal=False):
    """RoPE attention made of the learner's own rope_scores on the README's heads."""

    def build():
        q, k, v = (split_heads(X @ w, n_heads) for w in W[:3])
        scores = submission.rope_scores(q, k, positions, positions)
        if causal:
            n = X.shape[-2]
            scores = scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
        return (torch.softmax(scores, dim=-1) @ v).transpose(-3, -2).flatten(-2) @ W[3]

    return build


def expect_float32(got, what):
    expect(got, what).to_satisfy(
        isinstance(got, torch.Tensor) and got.dtype == torch.float32,
        f"the inputs are float32, so the result should be float32 too (got {getattr(got, 'dtype', type(got).__name__)})",
    )


# --- frequencies ------------------------------------------------------------------------------


def check_frequencies_dtype(theta):
    if isinstance(theta, torch.Tensor) and theta.dtype != torch.float64:
        fail(
            f"rope_frequencies returned {str(theta.dtype).removeprefix('torch.')}; the README asks for float64. "
            "Angles p·θ reach hundreds of radians, and float32 keeps only about 7 digits of them, so cos and sin "
            "would be off by 1e-5. Build the exponent with torch.arange(d // 2, dtype=torch.float64).",
            theta,
        )


@points(2)
def test_frequencies_are_base_to_the_minus_2i_over_d(submission, reference):
    theta = submission.rope_frequencies(16)
    with stage("its dtype"):
        check_frequencies_dtype(theta)
    expect(theta, "θ for d = 16").to_match(reference.rope_frequencies(16))


@points(1)
def test_frequencies_with_another_base_and_size(submission, reference, rng):
    d = int(rng.choice([6, 10, 12]))
    base = float(np.round(rng.uniform(100, 1000), 1))
    theta = submission.rope_frequencies(d, base)
    with stage("its dtype"):
        check_frequencies_dtype(theta)
    expect(theta, f"θ for d = {d}, base = {base}").to_match(reference.rope_frequencies(d, base))


@points(1)
def test_frequencies_start_at_one_and_fall_geometrically(submission, rng):
    d = int(rng.choice([8, 12, 16]))
    base = float(np.round(rng.uniform(50, 500), 1))
    theta = submission.rope_frequencies(d, base)
    th = require_tensor(theta, (d // 2,), f"θ for d = {d}")
    expect(theta, "θ_0").to_satisfy(abs(th[0] - 1.0) < 1e-12, f"θ_0 = base^0 must be 1, got {th[0]:.6g}")
    ratios = th[1:] / th[:-1]
    want = base ** (-2.0 / d)
    expect(theta, f"θ for d = {d}, base = {base}", advice=[
        advice(f"Your ratio is base^(-{step}/d): the exponent must step by 2/d per pair, θ_i = base ** (-2 * i / d) "
               "with i = 0 .. d/2 - 1 counting pairs.", when=bool(np.allclose(ratios, base ** (-step / d), rtol=1e-5)))
        for step in (1, 4)
    ]).to_satisfy(
        np.allclose(ratios, want, rtol=1e-5),
        f"consecutive frequencies should shrink by the same factor base^(-2/d) = {want:.6g}, but the ratios "
        f"θ_(i+1)/θ_i range from {ratios.min():.6g} to {ratios.max():.6g}.",
    )


# --- apply_rope -----------------------------------------------------------------------------


@points(3)
def test_rope_matches_the_reference(submission, reference, rng):
    x = vectors(rng, (2, 5, 8))
    pos = positions(rng, 5)
    expect(submission.apply_rope(x, pos)).to_match(reference.apply_rope(x, pos))


def check_pair_zero_turned(y, Y, X, pos, what):
    """Every token at a non-zero position must have its first pair (θ_0 = 1) turned: x itself is not rotated."""
    P = as_numpy(pos)
    moved = np.linalg.norm(Y[..., :2] - X[..., :2], axis=-1) / np.linalg.norm(X[..., :2], axis=-1)  # (..., n)
    moved = moved.reshape(-1, len(P)).min(axis=0)
    still = [r for r in range(len(P)) if P[r] != 0 and not moved[r] > 1e-6]
    if still:
        r = still[0]
        p = int(P[r])
        fail(
            f"{what}: token {r} is at position {p}, yet its first pair (y[0], y[1]) came back as it went in "
            f"(it turned by {moved[r]:.2g} of its length). Keeping lengths is not enough: pair 0 has θ_0 = 1, so it "
            f"must turn by p·θ_0 = {p} rad; the vectors must actually be rotated, not returned as they are.",
            y,
        )


@points(2)
def test_rope_rotates_and_keeps_the_length_of_every_adjacent_pair(submission, rng):
    x = vectors(rng, (3, 6, 8))
    pos = positions(rng, 6)
    y = submission.apply_rope(x, pos)
    Y = require_tensor(y, (3, 6, 8), "the rotated vectors")
    X = as_numpy(x)
    before = np.hypot(X[..., 0::2], X[..., 1::2])
    after = np.hypot(Y[..., 0::2], Y[..., 1::2])
    expect(y, "the rotated vectors").to_satisfy(
        np.allclose(np.linalg.norm(Y, axis=-1), np.linalg.norm(X, axis=-1), rtol=1e-6),
        "a rotation keeps lengths, but the norm of some vectors changed: each output pair must be "
        "(x cos - y sin, x sin + y cos) of the same input pair",
    )
    worst = np.unravel_index(int(np.argmax(np.abs(after - before))), before.shape)
    i = int(worst[-1])
    half = X.shape[-1] // 2
    halves_kept = bool(np.allclose(np.hypot(Y[..., :half], Y[..., half:]), np.hypot(X[..., :half], X[..., half:]),
                                   rtol=1e-6, atol=1e-9))
    expect(y, "the rotated vectors", advice=advice(
        "The pairs (x[i], x[i + d/2]) kept their lengths instead: you rotated the halves (the 'rotate_half' layout). "
        "This exercise rotates ADJACENT pairs, x[..., 0::2] with x[..., 1::2].",
        when=halves_kept,
    )).to_satisfy(
        np.allclose(after, before, rtol=1e-6, atol=1e-9),
        f"the pair (y[{2 * i}], y[{2 * i + 1}]) has length {after[worst]:.6g} but (x[{2 * i}], x[{2 * i + 1}]) had "
        f"{before[worst]:.6g}: RoPE turns each ADJACENT pair (x[0], x[1]), (x[2], x[3]), ... in its own plane.",
    )
    check_pair_zero_turned(y, Y, X, pos, "the rotated vectors")


@points(2)
def test_rope_turns_pair_i_at_position_p_by_p_theta_i(submission, rng):
    d = 8
    x = vectors(rng, (5, d))
    pos = positions(rng, 5, high=60)
    y = submission.apply_rope(x, pos)
    Y = require_tensor(y, (5, d), "the rotated vectors")
    X = as_numpy(x)
    turned = wrap(np.arctan2(Y[:, 1::2], Y[:, 0::2]) - np.arctan2(X[:, 1::2], X[:, 0::2]))
    theta = 10000.0 ** (-2.0 * np.arange(d // 2) / d)
    want = wrap(as_numpy(pos)[:, None] * theta)
    err = np.abs(wrap(turned - want))
    if not (err < 1e-8).all():
        r, i = np.unravel_index(int(np.argmax(err)), err.shape)
        p = int(as_numpy(pos)[r])
        if rounding_only(err[r, i]):
            note = f" The angles are off by up to {err[r, i]:.2g} rad." + ROUNDING
        elif abs(wrap(turned[r, i] + want[r, i])) < 1e-6:
            note = " That is the opposite angle: the rotation is counter-clockwise, with +sin in y[2i+1]."
        else:
            note = " Pair i = (x[2i], x[2i+1]) turns by positions[t]·θ_i with θ_i = 10000^(-2i/d)."
        fail(
            f"token {r} (position {p}), pair {i}: the pair turned by {turned[r, i]:.9g} rad, expected p·θ_{i} = "
            f"{p}·{theta[i]:.6g} = {want[r, i]:.9g} rad (mod 2π).{note}",
            y,
        )


@points(1)
def test_default_positions_count_from_zero(submission, reference, rng):
    x = vectors(rng, (4, 6))
    y = submission.apply_rope(x)
    Y = require_tensor(y, (4, 6), "apply_rope(x) with positions=None")
    expect(y, "apply_rope(x) with positions=None").to_satisfy(
        np.allclose(Y[0], as_numpy(x)[0], rtol=1e-12, atol=1e-12),
        "with positions=None the first token is at position 0 and must come back unchanged (angle 0): "
        "the default positions are torch.arange(n), that is 0, 1, ..., n-1",
    )
    expect(y, "apply_rope(x) with positions=None").to_match(reference.apply_rope(x))


@points(1)
def test_position_zero_leaves_vectors_unchanged_and_other_positions_turn_them(submission, rng):
    x = vectors(rng, (3, 8))
    y = submission.apply_rope(x, torch.zeros(3, dtype=torch.int64))
    expect(y, "apply_rope at position 0").to_match(x)
    # Returning x unchanged would pass the line above: at another position the same vectors must turn.
    p = int(rng.integers(1, 300))
    pos = torch.full((3,), p, dtype=torch.int64)
    y_p = submission.apply_rope(x, pos)
    Y = require_tensor(y_p, (3, 8), f"apply_rope at position {p}")
    check_pair_zero_turned(y_p, Y, as_numpy(x), pos, f"apply_rope at position {p}")


@points(1)
def test_a_single_pair_turns_counter_clockwise(submission, rng):
    p = int(rng.integers(1, 4))
    x = t([[1.0, 0.0]])
    y = submission.apply_rope(x, torch.tensor([p]))
    expect(y, f"(1, 0) at position {p} with d = 2").to_match(t([[math.cos(p), math.sin(p)]]))


@points(1)
def test_rope_works_with_batch_and_head_dimensions(submission, reference, rng):
    x = vectors(rng, (2, 3, 4, 6))
    pos = positions(rng, 4)
    expect(submission.apply_rope(x, pos)).to_match(reference.apply_rope(x, pos))


@points(1)
def test_rope_keeps_float32_as_float32(submission, reference, rng):
    x = vectors(rng, (2, 5, 8), np.float32)
    pos = positions(rng, 5, high=50)
    got = submission.apply_rope(x, pos)
    with stage("its values"):
        expect(got).to_match(reference.apply_rope(x, pos), check_dtype=False, **F32)
    expect_float32(got, "the rotated vectors")


@points(1)
def test_rope_leaves_x_unchanged(submission, reference, rng):
    x = vectors(rng, (3, 8))
    pos = positions(rng, 3)
    value, args_after, _ = submission.inputs_after("apply_rope", x, pos)
    with stage("its values"):
        expect(value).to_match(reference.apply_rope(x, pos), rtol=1e-4, atol=1e-4)
    if not torch.equal(args_after[0], x):
        fail(
            "apply_rope changed the tensor x it was given: the caller's vectors came back rotated. Only writing into "
            "x (x[..., 0::2] = ..., x.mul_, x.copy_) changes the caller's tensor; build the result in a new one, "
            "for example torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1).flatten(-2).",
            value,
        )


# --- rope_scores ----------------------------------------------------------------------------


@points(2)
def test_scores_match_the_reference(submission, reference, rng):
    q, k = vectors(rng, (4, 8)), vectors(rng, (6, 8))
    qp, kp = positions(rng, 4), positions(rng, 6)
    expect_either(submission.rope_scores(q, k, qp, kp), reference.rope_scores(q, k, qp, kp),
                  own_scores(submission, q, k, qp, kp), "the scores")


@points(2)
def test_scores_depend_on_relative_position_and_only_on_it(submission, reference, rng):
    q, k = vectors(rng, (5, 8)), vectors(rng, (7, 8))
    qp, kp = positions(rng, 5, high=100), positions(rng, 7, high=100)
    shift = int(rng.integers(50, 500))
    s1 = submission.rope_scores(q, k, qp, kp)
    s2 = submission.rope_scores(q, k, qp + shift, kp + shift)
    a = require_tensor(s1, (5, 7), "the scores")
    b = require_tensor(s2, (5, 7), "the scores after the shift")
    worst = float(np.max(np.abs(a - b)))
    q_only = reference.apply_rope(q, qp) @ k.transpose(-2, -1) / math.sqrt(8)
    expect(s2, "the scores after the shift", advice=[
        advice(ROUNDING.strip(), when=rounding_only(worst)),
        advice("Your scores are those of rotated queries and UNROTATED keys: rotate k by k_pos as well; "
               "R(a)q · R(b)k = q · R(b - a)k depends only on b - a when both are rotated.",
               when=close(s1, q_only) or close(s1, q_only * math.sqrt(8))),
    ]).to_satisfy(
        np.allclose(a, b, rtol=1e-9, atol=1e-9),
        f"adding {shift} to every query and key position changed the scores (by up to {worst:.3g}): with RoPE they "
        "depend only on the relative positions.",
    )
    # Scores that ignore the positions altogether would pass the shift: moving the keys must change them.
    kp2 = positions(rng, 7, high=100)
    s3 = submission.rope_scores(q, k, qp, kp2)
    c = require_tensor(s3, (5, 7), "the scores with the keys at other positions")
    expect(s3, "the scores with the keys at other positions").to_satisfy(
        float(np.max(np.abs(c - a))) > 1e-6,
        f"moving the keys from positions {as_numpy(kp).tolist()} to {as_numpy(kp2).tolist()} (the queries staying "
        "where they were) left the scores as they were: they must depend on the relative positions, "
        "RoPE(q, q_pos) RoPE(k, k_pos)ᵀ / √d.",
    )


@points(1)
def test_scores_at_one_shared_position_are_plain_scaled_dot_products(submission, reference, rng):
    d = 8
    q, k = vectors(rng, (4, d)), vectors(rng, (5, d))
    p = int(rng.integers(1, 300))
    s = submission.rope_scores(q, k, torch.full((4,), p), torch.full((5,), p))
    expected = as_numpy(q) @ as_numpy(k).T / math.sqrt(d)
    S = require_tensor(s, (4, 5), "the scores")
    if not np.allclose(S, expected, rtol=1e-9, atol=1e-9):
        worst = float(np.max(np.abs(S - expected)))
        q_only = as_numpy(reference.apply_rope(q, torch.full((4,), p))) @ as_numpy(k).T
        fail(
            f"every query and key is at position {p}, so the rotations cancel and the scores must equal q·k/√d; "
            f"they differ (worst by {worst:.3g}).",
            s,
            advice=[
                advice(ROUNDING.strip(), when=rounding_only(worst)),
                advice(f"They are the plain products q·k without the division by √d = {math.sqrt(d):g}.",
                       when=close(S, expected * math.sqrt(d))),
                advice(f"They are q·k divided by d = {d}, not by √d.", when=close(S, expected / math.sqrt(d))),
                advice("They are the products of rotated queries with UNROTATED keys: rotate k as well.",
                       when=close(S, q_only / math.sqrt(d)) or close(S, q_only)),
            ],
        )


@points(1)
def test_scores_with_batch_and_head_dimensions(submission, reference, rng):
    q, k = vectors(rng, (2, 3, 4, 8)), vectors(rng, (2, 1, 6, 8))
    qp, kp = positions(rng, 4), positions(rng, 6)
    expect_either(submission.rope_scores(q, k, qp, kp), reference.rope_scores(q, k, qp, kp),
                  own_scores(submission, q, k, qp, kp), "the scores")


@points(1)
def test_scores_keep_float32_as_float32(submission, reference, rng):
    q, k = vectors(rng, (3, 4, 8), np.float32), vectors(rng, (3, 5, 8), np.float32)
    qp, kp = positions(rng, 4, high=50), positions(rng, 5, high=50)
    got = submission.rope_scores(q, k, qp, kp)
    with stage("its values"):
        expect_either(got, reference.rope_scores(q, k, qp, kp), own_scores(submission, q, k, qp, kp), "the scores",
                      check_dtype=False, **F32)
    expect_float32(got, "the scores")


# --- multi-head attention with RoPE ---------------------------------------------------------


@points(3)
def test_rope_attention_matches_the_reference(submission, reference, rng):
    X = vectors(rng, (2, 6, 16))
    W = projections(rng, 16)
    pos = positions(rng, 6)
    expect_either(submission.rope_multi_head_attention(X, *W, 2, positions=pos),
                  reference.rope_multi_head_attention(X, *W, 2, positions=pos),
                  own_attention(submission, X, W, 2, pos), "RoPE attention")


def values_rotated(reference, X, W, n_heads, positions):
    """RoPE attention with the values rotated as well: evidence for that mistake."""
    q, k, v = (split_heads(X @ w, n_heads) for w in W[:3])
    weights = torch.softmax(reference.rope_scores(q, k, positions, positions), dim=-1)
    return (weights @ reference.apply_rope(v, positions)).transpose(-3, -2).flatten(-2) @ W[3]


@points(2)
def test_rope_attention_depends_on_positions_but_not_on_a_shift_of_all_of_them(submission, reference, rng):
    X = vectors(rng, (2, 5, 8))
    W = projections(rng, 8)
    pos = positions(rng, 5, high=100)
    shift = int(rng.integers(50, 500))
    out1 = submission.rope_multi_head_attention(X, *W, 2, positions=pos)
    out2 = submission.rope_multi_head_attention(X, *W, 2, positions=pos + shift)
    a = require_tensor(out1, (2, 5, 8), "the output")
    b = require_tensor(out2, (2, 5, 8), "the output after the shift")
    worst = float(np.max(np.abs(a - b)))
    expect(out2, "the output after the shift", advice=[
        advice(ROUNDING.strip(), when=rounding_only(worst)),
        advice("Your output is that of attention whose VALUES were rotated too: RoPE rotates the queries and keys "
               "only, the values stay as they are.", when=close(out1, values_rotated(reference, X, W, 2, pos))),
    ]).to_satisfy(
        np.allclose(a, b, rtol=1e-9, atol=1e-9),
        f"adding {shift} to every position changed the output (by up to {worst:.3g}): attention with RoPE sees only "
        "relative positions.",
    )
    # An output that ignores the positions altogether would pass the shift: other positions must change it.
    pos2 = positions(rng, 5, high=100)
    out3 = submission.rope_multi_head_attention(X, *W, 2, positions=pos2)
    c = require_tensor(out3, (2, 5, 8), "the output at other positions")
    expect(out3, "the output at other positions").to_satisfy(
        float(np.max(np.abs(c - a))) > 1e-6,
        f"moving the tokens from positions {as_numpy(pos).tolist()} to {as_numpy(pos2).tolist()} (which changes "
        "their relative positions) left the output as it was: attention with RoPE must depend on the positions, "
        "through each head's rotated queries and keys.",
    )


@points(1)
def test_moving_tokens_with_their_positions_moves_the_outputs_and_without_them_changes_them(submission, reference, rng):
    n = 6
    X = vectors(rng, (n, 8))
    W = projections(rng, 8)
    pos = positions(rng, n, high=80)
    perm = torch.from_numpy(rng.permutation(n))
    while bool((perm == torch.arange(n)).all()):
        perm = torch.from_numpy(rng.permutation(n))
    out1 = submission.rope_multi_head_attention(X, *W, 2, positions=pos)
    out2 = submission.rope_multi_head_attention(X[perm], *W, 2, positions=pos[perm])
    a = require_tensor(out1, (n, 8), "the output")
    b = require_tensor(out2, (n, 8), "the output for the reordered tokens")
    expect(out2, "the output for the reordered tokens", advice=advice(
        "Your output is the one for positions 0..n-1: use the positions argument when it is given.",
        when=close(out1, reference.rope_multi_head_attention(X, *W, 2)),
    )).to_satisfy(
        np.allclose(b, a[as_numpy(perm)], rtol=1e-9, atol=1e-9),
        "reordering the rows of X together with their positions should reorder the output rows in the same way: "
        "a token's position is the one passed in `positions`, not its row index.",
    )
    # Without positions attention only reorders its rows too: tokens moved WITHOUT their positions must change.
    out3 = submission.rope_multi_head_attention(X[perm], *W, 2, positions=pos)
    c = require_tensor(out3, (n, 8), "the output for the reordered tokens at the old positions")
    expect(out3, "the output for the reordered tokens at the old positions").to_satisfy(
        float(np.max(np.abs(c - a[as_numpy(perm)]))) > 1e-6,
        "reordering the rows of X but keeping the positions where they were gives the tokens new relative "
        "positions, so the output must change; it came back as the old output reordered, as if positions did not "
        "matter.",
    )


@points(1)
def test_causal_rope_attention_without_a_batch_dimension(submission, reference, rng):
    X = vectors(rng, (6, 8))
    W = projections(rng, 8)
    expect_either(submission.rope_multi_head_attention(X, *W, 2, causal=True),
                  reference.rope_multi_head_attention(X, *W, 2, causal=True),
                  own_attention(submission, X, W, 2, causal=True), "causal RoPE attention")


@points(1)
def test_rope_attention_keeps_float32_as_float32(submission, reference, rng):
    X = vectors(rng, (2, 5, 8), np.float32)
    W = projections(rng, 8, np.float32)
    pos = positions(rng, 5, high=50)
    got = submission.rope_multi_head_attention(X, *W, 2, positions=pos)
    with stage("its values"):
        expect_either(got, reference.rope_multi_head_attention(X, *W, 2, positions=pos),
                      own_attention(submission, X, W, 2, pos), "RoPE attention", check_dtype=False, **F32)
    expect_float32(got, "RoPE attention")
