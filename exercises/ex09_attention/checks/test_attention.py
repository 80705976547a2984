"""Checks for ex09: softmax, scaled dot-product attention and multi-head attention.

Each check judges one part: the multi-head checks judge the heads (the split, the order, W_o, the
scale 1/√d_head, causal passed on), so they accept either the reference's output or the one the
learner's own scaled_dot_product_attention gives on the same heads: a mistake inside attention
costs the attention checks, not every multi-head check as well.
"""

import math

import numpy as np
import torch

from grader.checking import CheckFailure, advice, as_numpy, close, expect, fail, inputs, points, stage


def t(a, dtype=np.float64):
    return torch.from_numpy(np.ascontiguousarray(np.asarray(a, dtype=dtype)))


def is_tensor(x):
    return isinstance(x, torch.Tensor)


def qkv(rng, lead, n, m, d_k, d_v, dtype=np.float64):
    """Queries, keys, values whose scaled scores have a spread of about 1: softmax far from one-hot and uniform."""
    Q = rng.standard_normal((*lead, n, d_k)) + 0.3 * rng.standard_normal(d_k)
    K = rng.standard_normal((*lead, m, d_k))
    V = rng.standard_normal((*lead, m, d_v)) + rng.uniform(-1, 1, size=d_v)
    return t(Q, dtype), t(K, dtype), t(V, dtype)


def random_mask(rng, n, m):
    """A boolean (n, m) mask with at least one True and one False in every row."""
    mask = rng.random((n, m)) < 0.5
    for i in range(n):
        yes, no = rng.choice(m, size=2, replace=False)
        mask[i, yes], mask[i, no] = True, False
    return torch.from_numpy(mask)


def weights_for(rng, d_model, dtype=np.float64):
    """Four (d_model, d_model) projections, scaled so activations stay of order 1."""
    return [t(rng.standard_normal((d_model, d_model)) / math.sqrt(d_model), dtype) for _ in range(4)]


def np_softmax(S):
    e = np.exp(S - S.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def nan_rows(x):
    """Indices (along the query axis) of the rows of x that hold NaN or inf."""
    arr = as_numpy(x).astype(np.float64)
    bad = ~np.isfinite(arr)
    return sorted({int(i) for i in np.argwhere(bad)[:, -2]}) if arr.ndim >= 2 else ([0] if bad.any() else [])


CAUSAL_NAN = (
    "rows {rows} hold NaN. With causal=True no query is left without keys (query i sees keys 0..i), so NaN means "
    "a row's scores were all -inf before the softmax{extra}."
)
ROW0 = (": row 0 is NaN, so query 0's own key (j = 0) was hidden as well; hide only j > i, the part strictly above "
        "the diagonal (torch.ones(n, m, dtype=torch.bool).triu(1)), or keep .tril()")


def pair(result):
    """The (out, weights) pair that scaled_dot_product_attention returns, or a clear failure."""
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        fail(
            "scaled_dot_product_attention must return a pair (out, weights): the output (..., n, d_v) "
            "and the attention weights (..., n, m), in that order.",
            result,
        )
    return result


def own_heads(submission, X, W, n_heads, causal=False):
    """Multi-head attention put together from the learner's own scaled_dot_product_attention (the README's
    split, head order and W_o): what their multi_head_attention gives when its heads are right, whatever
    their attention does. None when their attention gives nothing usable."""
    d_head = X.shape[-1] // n_heads

    def split(T):
        return T.unflatten(-1, (n_heads, d_head)).transpose(-3, -2)

    try:
        result = submission.scaled_dot_product_attention(split(X @ W[0]), split(X @ W[1]), split(X @ W[2]), causal=causal)
        return result[0].transpose(-3, -2).flatten(-2) @ W[3]
    except Exception:  # noqa: BLE001  (their attention failing is judged by the attention checks)
        return None


def expect_heads(submission, got, expected, X, W, n_heads, what, *, causal=False, advice=None, **compare):
    """multi_head_attention's output matches the reference's, or the one the learner's own attention gives on
    the same heads (then the heads are right, and their attention is judged by its own checks)."""
    try:
        expect(got, what, advice=advice).to_match(expected, **compare)
    except CheckFailure:
        own = own_heads(submission, X, W, n_heads, causal)
        if own is not None:
            try:
                expect(got, what).to_match(own, **compare)
                return
            except CheckFailure:
                pass
        raise


def expect_float32(got, what):
    expect(got, what).to_satisfy(
        is_tensor(got) and got.dtype == torch.float32,
        f"the inputs are float32, so the result should be float32 too (got {getattr(got, 'dtype', type(got).__name__)})",
    )


# --- softmax ------------------------------------------------------------------------------


@points(2)
def test_softmax_matches_exp_over_sum_along_the_last_dim(submission, reference, rng):
    x = t(inputs.logits(rng, (3, 7)))
    expect(submission.softmax(x)).to_match(reference.softmax(x))


@points(1)
def test_softmax_normalises_along_the_dim_it_is_given(submission, reference, rng):
    x = t(inputs.logits(rng, (4, 5, 6)))
    got = submission.softmax(x, dim=1)
    expect(got, "softmax(x, dim=1)", advice=advice(
        "These values are the softmax over the last dim (-1), not over dim 1: use the dim argument in both the max "
        "and the sum (keepdim=True).",
        when=lambda got: close(got, reference.softmax(x, dim=-1)),
    )).to_match(reference.softmax(x, dim=1))


@points(2)
def test_softmax_stays_finite_for_logits_of_1e4(submission, reference, rng):
    # Every row sits near +1e4 or -1e4; the differences inside a row are small, so the answer is not one-hot.
    x = t(rng.choice([-1e4, 1e4], size=(4, 1)) + 2.0 * rng.standard_normal((4, 6)))
    got = submission.softmax(x)
    expect(got, "softmax of logits near ±1e4").to_have_shape(tuple(x.shape))
    expect(got, "softmax of logits near ±1e4").to_satisfy(
        bool(torch.isfinite(got).all()),
        "it holds NaN or inf. exp(1e4) overflows to inf and exp(-1e4) underflows to 0, so exp(x) / Σ exp(x) becomes "
        "inf/inf or 0/0 = NaN. softmax(x) = softmax(x - c) for any c: with c = the row's maximum the largest "
        "exponent becomes exp(0) = 1.",
    )
    expect(got, "softmax of logits near ±1e4").to_match(reference.softmax(x))


@points(1)
def test_softmax_keeps_float32_as_float32(submission, reference, rng):
    x = t(inputs.logits(rng, (5, 8)), np.float32)
    got = submission.softmax(x)
    want = reference.softmax(x)
    with stage("its values"):
        expect(got).to_match(want, check_dtype=False)
    expect_float32(got, "softmax")


@points(1)
def test_softmax_leaves_its_input_unchanged(submission, reference, rng):
    x = t(inputs.logits(rng, (3, 6)))
    value, args_after, _ = submission.inputs_after("softmax", x, dim=0)
    with stage("its values"):
        expect(value).to_match(reference.softmax(x, dim=0))
    if not torch.equal(args_after[0], x):
        fail(
            "softmax changed the tensor x it was given: after the call x no longer holds the caller's logits. "
            "Only an in-place operation (x -= ..., x.sub_(...), x.exp_()) writes into the caller's tensor; the "
            "out-of-place form, x - x.amax(dim, keepdim=True), makes a new one.",
            value,
        )


# --- scaled dot-product attention ---------------------------------------------------------


@points(2)
def test_attention_matches_the_reference(submission, reference, rng):
    Q, K, V = qkv(rng, (), 5, 7, 8, 6)
    out, w = pair(submission.scaled_dot_product_attention(Q, K, V))
    ref_out, ref_w = reference.scaled_dot_product_attention(Q, K, V)
    expect(w, "the attention weights").to_match(ref_w)
    expect(out, "the output").to_match(ref_out)


@points(2)
def test_attention_weights_are_a_distribution_over_the_keys(submission, rng):
    Q, K, V = qkv(rng, (2,), 6, 9, 4, 3)
    out, w = pair(submission.scaled_dot_product_attention(Q, K, V))
    expect(w, "the attention weights").to_have_shape((2, 6, 9))
    expect(out, "the output").to_have_shape((2, 6, 3))
    W = as_numpy(w).astype(np.float64)
    expect(w, "the attention weights").to_satisfy(
        bool(np.isfinite(W).all() and (W >= 0).all()), "weights are probabilities: each must be finite and >= 0"
    )
    sums = W.sum(axis=-1)
    expect(w, "the attention weights", advice=advice(
        "Each column sums to 1 instead: the softmax ran over the queries (dim=-2). It runs along dim=-1 of the (n, m) "
        "scores, one distribution over the keys per query.",
        when=lambda got: bool(np.allclose(as_numpy(got).astype(np.float64).sum(axis=-2), 1.0, atol=1e-9)),
    )).to_satisfy(
        np.allclose(sums, 1.0, atol=1e-9),
        f"each query's weights must sum to 1 over the keys (the last axis), but the row sums range from "
        f"{sums.min():.4g} to {sums.max():.4g}.",
    )
    expected = W @ as_numpy(V)
    expect(out, "the output").to_satisfy(
        np.allclose(as_numpy(out), expected, rtol=1e-9, atol=1e-9),
        "the output should be the weighted average of the values with your own weights: out = weights @ V",
    )


@points(2)
def test_log_weights_follow_the_scores_divided_by_sqrt_dk(submission, rng):
    d_k = 16
    Q, K, V = qkv(rng, (), 5, 8, d_k, 3)
    _, w = pair(submission.scaled_dot_product_attention(Q, K, V))
    expect(w, "the attention weights").to_have_shape((5, 8))
    W = as_numpy(w).astype(np.float64)
    expect(w, "the attention weights").to_satisfy(
        bool(np.isfinite(W).all() and (W > 0).all()), "with no mask every weight must be finite and strictly positive"
    )
    raw = as_numpy(Q) @ as_numpy(K).T  # q_i · k_j
    L = np.log(W)
    dl = (L - L[:, :1]).ravel()
    ds = (raw - raw[:, :1]).ravel()
    expected = ds / math.sqrt(d_k)
    if not np.allclose(dl, expected, rtol=1e-8, atol=1e-8):
        c = float(dl @ ds / (ds @ ds))  # least-squares fit of log-weight gaps to raw score gaps
        follows = bool(np.allclose(dl, c * ds, rtol=1e-6, atol=1e-6))  # the weights do follow some multiple
        seen = f"the raw scores q·k divided by {1 / c:.4g}" if c > 0 and follows else "no multiple of the raw scores"
        fail(
            f"log(weights[i, j]) - log(weights[i, 0]) should equal (q_i·k_j - q_i·k_0) / √d_k with √d_k = {math.sqrt(d_k):g}; "
            f"your weights follow {seen}.",
            w,
            advice=[
                advice("That is the scores without the 1/√d_k factor: divide Q Kᵀ by math.sqrt(d_k), d_k = Q.shape[-1].",
                       when=follows and abs(c - 1) < 1e-6),
                advice(f"That is d_k = {d_k}, not √d_k = {math.sqrt(d_k):g}: divide by math.sqrt(d_k).",
                       when=follows and abs(c * d_k - 1) < 1e-6),
            ],
        )


@points(2)
def test_causal_attention_gives_no_weight_to_later_keys(submission, reference, rng):
    Q, K, V = qkv(rng, (), 6, 6, 8, 5)
    out, w = pair(submission.scaled_dot_product_attention(Q, K, V, causal=True))
    expect(w, "the attention weights").to_have_shape((6, 6))
    W = as_numpy(w).astype(np.float64)
    rows = nan_rows(w)
    expect(w, "the causal weights").to_satisfy(not rows, CAUSAL_NAN.format(rows=rows, extra=ROW0 if 0 in rows else ""))
    upper = np.triu(np.ones((6, 6), dtype=bool), 1)
    leak = np.abs(W)[upper].max()
    lower = np.tril(np.ones((6, 6), dtype=bool), -1)
    expect(w, "the causal weights", advice=advice(
        "Your weights are zero below the diagonal instead, on the earlier keys: the mask is transposed. Query i may "
        "see keys 0..i, the lower triangle: torch.ones(n, m, dtype=torch.bool).tril().",
        when=bool(np.all(W[lower] == 0)),
    )).to_satisfy(
        leak <= 1e-12,
        f"with causal=True query i must give weight 0 to every key j > i (those come later), but a weight above "
        f"the diagonal is {leak:.3g}.",
    )
    diag = np.diag(W)
    expect(w, "the causal weights").to_satisfy(
        bool((diag > 0).all()),
        f"query i must still see key j = i (its own position): the diagonal weights came back as {np.round(diag, 4)}. "
        "Only j > i is hidden, the part strictly above the diagonal (triu with diagonal=1).",
    )
    ref_out, ref_w = reference.scaled_dot_product_attention(Q, K, V, causal=True)
    expect(w, "the causal weights").to_match(ref_w)
    expect(out, "the output").to_match(ref_out)


@points(1)
def test_causal_outputs_are_right_and_do_not_depend_on_later_tokens(submission, reference, rng):
    n = 7
    Q, K, V = qkv(rng, (), n, n, 4, 3)
    cut = int(rng.integers(1, n - 1))
    Q2, K2, V2 = Q.clone(), K.clone(), V.clone()
    Q2[cut + 1:], K2[cut + 1:], V2[cut + 1:] = (t(rng.standard_normal(a[cut + 1:].shape)) for a in (Q, K, V))
    out1, _ = pair(submission.scaled_dot_product_attention(Q, K, V, causal=True))
    out2, _ = pair(submission.scaled_dot_product_attention(Q2, K2, V2, causal=True))
    expect(out1, "the output").to_have_shape((n, 3))
    expect(out2, "the output").to_have_shape((n, 3))
    for out in (out1, out2):
        rows = nan_rows(out)
        expect(out, "the causal output").to_satisfy(not rows, CAUSAL_NAN.format(rows=rows, extra=ROW0 if 0 in rows else ""))
    a, b = as_numpy(out1)[: cut + 1], as_numpy(out2)[: cut + 1]
    expect(out2, "the causal output").to_satisfy(
        np.allclose(a, b, rtol=1e-10, atol=1e-12),
        f"changing only the tokens after position {cut} changed the outputs at positions 0..{cut}: "
        "with causal=True a query may only look at keys at its own position or before.",
    )
    # A constant output never depends on anything: the values must be right as well.
    expect(out1, "the causal output (its values; the later tokens did not leak into it)").to_match(
        reference.scaled_dot_product_attention(Q, K, V, causal=True)[0]
    )


@points(2)
def test_mask_true_means_the_key_is_attended(submission, reference, rng):
    Q, K, V = qkv(rng, (), 5, 7, 8, 4)
    mask = random_mask(rng, 5, 7)
    out, w = pair(submission.scaled_dot_product_attention(Q, K, V, mask=mask))
    expect(w, "the attention weights").to_have_shape((5, 7))
    W = np.nan_to_num(as_numpy(w).astype(np.float64), nan=1.0)
    visible = as_numpy(mask)
    leak = np.abs(W[~visible]).max()
    expect(w, "the masked weights", advice=advice(
        "Your weights are zero where mask is True instead: the mask's meaning is inverted. True means 'may attend': "
        "keep the scores where mask is True, set the others to -inf.",
        when=bool(np.all(W[visible] == 0)),
    )).to_satisfy(
        leak <= 1e-12,
        f"keys where mask is False must get weight 0 (True means 'may attend'), but one got {leak:.3g}.",
    )
    ref_out, ref_w = reference.scaled_dot_product_attention(Q, K, V, mask=mask)
    expect(w, "the masked weights", advice=advice(
        "These are the unmasked weights with the hidden ones set to 0 afterwards: the rows no longer sum to 1. "
        "Hide the keys before the softmax (scores set to -inf), so the visible keys share all the weight.",
        when=lambda got: close(got, torch.where(mask, reference.scaled_dot_product_attention(Q, K, V)[1], 0.0)),
    )).to_match(ref_w)
    expect(out, "the output").to_match(ref_out)


@points(1)
def test_mask_and_causal_combine(submission, reference, rng):
    n = 6
    Q, K, V = qkv(rng, (), n, n, 4, 3)
    mask = random_mask(rng, n, n).numpy()
    for i in range(n):
        mask[i, rng.integers(0, i + 1)] = True  # every query keeps at least one visible earlier key
    mask = torch.from_numpy(mask)
    result = pair(submission.scaled_dot_product_attention(Q, K, V, mask=mask, causal=True))
    expect(result, "(out, weights) with a mask and causal=True").to_match(
        reference.scaled_dot_product_attention(Q, K, V, mask=mask, causal=True)
    )


@points(1)
def test_mask_broadcasts_over_batch_and_heads(submission, reference, rng):
    Q, K, V = qkv(rng, (2, 3), 4, 6, 8, 5)
    mask = random_mask(rng, 4, 6)
    result = pair(submission.scaled_dot_product_attention(Q, K, V, mask=mask))
    expect(result, "(out, weights) for a (4, 6) mask shared by every batch and head").to_match(
        reference.scaled_dot_product_attention(Q, K, V, mask=mask)
    )


@points(1)
def test_keys_and_values_shared_by_all_heads_broadcast(submission, reference, rng):
    Q, _, _ = qkv(rng, (2, 3), 4, 6, 8, 5)
    _, K, V = qkv(rng, (2, 1), 4, 6, 8, 5)
    result = pair(submission.scaled_dot_product_attention(Q, K, V))
    expect(result, "(out, weights) with Q (2, 3, 4, 8) and K, V shared across heads (2, 1, 6, ·)").to_match(
        reference.scaled_dot_product_attention(Q, K, V)
    )


@points(1)
def test_a_query_with_no_visible_key_gets_zero_output(submission, reference, rng):
    Q, K, V = qkv(rng, (), 5, 6, 4, 3)
    mask = random_mask(rng, 5, 6)
    blind = int(rng.integers(0, 5))
    mask[blind] = False
    out, w = pair(submission.scaled_dot_product_attention(Q, K, V, mask=mask))
    expect(out, "the output").to_have_shape((5, 3))
    row = as_numpy(out)[blind]
    uniform = as_numpy(V).mean(axis=0)
    expect(out, "the output", advice=[
        advice("NaN: a softmax over a row of -inf is 0/0.", when=not np.isfinite(row).all()),
        advice(
            "That is the plain average of the values: a finite filler such as -1e9 leaves the hidden scores all "
            "equal, so the softmax spreads the weight evenly over keys the query may not see.",
            when=bool(np.allclose(row, uniform, rtol=1e-6, atol=1e-9)),
        ),
    ]).to_satisfy(
        bool(np.isfinite(as_numpy(out)).all()) and bool(np.all(row == 0)),
        f"query {blind} may see no key at all (its mask row is all False), and its output row came back as "
        f"{np.round(row, 4)}. The README asks for zero weights and a zero output for such a query: the rows with "
        "no visible key are those where mask.any(dim=-1) is False.",
    )
    ref_out, ref_w = reference.scaled_dot_product_attention(Q, K, V, mask=mask)
    expect(w, "the attention weights").to_match(ref_w)
    expect(out, "the output").to_match(ref_out)


@points(1)
def test_attention_with_a_single_query_or_a_single_key(submission, reference, rng):
    Q, K, V = qkv(rng, (), 1, 5, 8, 3)
    expect(pair(submission.scaled_dot_product_attention(Q, K, V)), "(out, weights) for one query").to_match(
        reference.scaled_dot_product_attention(Q, K, V)
    )
    Q, K, V = qkv(rng, (), 4, 1, 8, 3)
    expect(pair(submission.scaled_dot_product_attention(Q, K, V)), "(out, weights) for one key").to_match(
        reference.scaled_dot_product_attention(Q, K, V)
    )


@points(1)
def test_attention_keeps_float32_as_float32(submission, reference, rng):
    Q, K, V = qkv(rng, (3,), 5, 6, 8, 4, np.float32)
    mask = random_mask(rng, 5, 6)
    got = pair(submission.scaled_dot_product_attention(Q, K, V, mask=mask))
    want = reference.scaled_dot_product_attention(Q, K, V, mask=mask)
    with stage("its values"):
        expect(got).to_match(want, check_dtype=False)
    for part, what in zip(got, ("the output", "the attention weights")):
        expect_float32(part, what)


@points(1)
def test_attention_leaves_its_inputs_unchanged(submission, reference, rng):
    Q, K, V = qkv(rng, (2,), 5, 5, 8, 3)
    mask = random_mask(rng, 5, 5)
    mask[:, 0] = True  # with causal=True every query keeps key 0
    value, args_after, kwargs_after = submission.inputs_after(
        "scaled_dot_product_attention", Q, K, V, mask=mask, causal=True
    )
    with stage("its values"):
        expect(pair(value)).to_match(reference.scaled_dot_product_attention(Q, K, V, mask=mask, causal=True))
    changed = [name for name, before, after in zip("QKV", (Q, K, V), args_after) if not torch.equal(before, after)]
    if not torch.equal(kwargs_after.get("mask"), mask):
        changed.append("mask")
    if changed:
        fail(
            f"scaled_dot_product_attention changed its input {', '.join(changed)}: the caller's tensors must come back "
            "as they were. Only an in-place operation (Q /= ..., Q.div_(...), mask.logical_not_()) writes into the "
            "caller's tensor; an expression such as Q @ K.transpose(-2, -1) / math.sqrt(d_k) makes a new one.",
            value,
        )


@points(1)
def test_attention_stays_finite_for_large_scores(submission, reference, rng):
    # Every query's scores sit near +3000 or -3000 (a shared first coordinate), while the differences between
    # keys stay of order 1: exp overflows unless the softmax subtracts each row's maximum, yet the answer is
    # far from one-hot.
    Q, K, V = qkv(rng, (), 4, 6, 4, 3)
    Q[:, 0] = torch.from_numpy(rng.choice([-60.0, 60.0], size=4))
    K[:, 0] = 100.0
    out, w = pair(submission.scaled_dot_product_attention(Q, K, V))
    expect(w, "the attention weights").to_have_shape((4, 6))
    expect(w, "the attention weights").to_satisfy(
        bool(torch.isfinite(w).all()),
        "it holds NaN or inf. The scores here are near ±3000, where exp overflows to inf (or underflows to 0); "
        "softmax(s) = softmax(s - max(s)) keeps every exponent at most exp(0) = 1.",
    )
    expect((out, w), "(out, weights) for scores near ±3000").to_match(reference.scaled_dot_product_attention(Q, K, V))


# --- multi-head attention -----------------------------------------------------------------


@points(3)
def test_multi_head_attention_matches_the_reference(submission, reference, rng):
    X = t(rng.standard_normal((2, 5, 12)))
    W = weights_for(rng, 12)
    got = submission.multi_head_attention(X, *W, 3)
    expect_heads(submission, got, reference.multi_head_attention(X, *W, 3), X, W, 3, "multi-head attention")


@points(1)
def test_one_head_is_attention_on_the_projections_then_w_o(submission, rng):
    X = t(rng.standard_normal((5, 8)))
    W = weights_for(rng, 8)
    got = submission.multi_head_attention(X, *W, 1)
    x, wq, wk, wv, wo = (as_numpy(a) for a in (X, *W))
    q, k, v = x @ wq, x @ wk, x @ wv
    expected = np_softmax(q @ k.T / math.sqrt(8)) @ v @ wo
    expect_heads(submission, got, t(expected), X, W, 1, "one-head attention")


@points(1)
def test_output_is_right_and_unchanged_when_the_heads_are_reordered(submission, reference, rng):
    d_model, h = 12, 3
    d_head = d_model // h
    X = t(rng.standard_normal((2, 5, d_model)))
    W = weights_for(rng, d_model)
    order = rng.permutation(h)
    while (order == np.arange(h)).all():
        order = rng.permutation(h)
    cols = np.concatenate([np.arange(g * d_head, (g + 1) * d_head) for g in order])
    idx = torch.from_numpy(cols)
    W2 = [W[0][:, idx], W[1][:, idx], W[2][:, idx], W[3][idx, :]]
    out1 = submission.multi_head_attention(X, *W, h)
    out2 = submission.multi_head_attention(X, *W2, h)
    expect(out1).to_have_shape((2, 5, d_model))
    expect(out2).to_have_shape((2, 5, d_model))
    expect(out2, "the output with the heads in another order").to_satisfy(
        np.allclose(as_numpy(out2), as_numpy(out1), rtol=1e-9, atol=1e-10),
        f"moving head blocks {order.tolist()} to positions 0..{h - 1} (columns of W_q, W_k, W_v and the matching rows of "
        "W_o) should give the same output, because the heads are independent and W_o sums their contributions. "
        "In the README's convention head h owns exactly the columns h*d_head:(h+1)*d_head.",
    )
    # A constant output is the same for any head order too: the values must be right as well.
    expect_heads(submission, out1, reference.multi_head_attention(X, *W, h), X, W, h,
                 "the output for the heads in their original order (its values; reordering changed nothing)")


@points(1)
def test_causal_multi_head_attention_without_a_batch_dimension(submission, reference, rng):
    X = t(rng.standard_normal((6, 8)))
    W = weights_for(rng, 8)
    got = submission.multi_head_attention(X, *W, 2, causal=True)
    expect_heads(submission, got, reference.multi_head_attention(X, *W, 2, causal=True), X, W, 2,
                 "causal multi-head attention", causal=True, advice=advice(
                     "These are the outputs without the causal mask: pass causal on to the attention of every head.",
                     when=lambda got: close(got, reference.multi_head_attention(X, *W, 2)),
                 ))


@points(1)
def test_causal_multi_head_outputs_are_right_and_do_not_depend_on_later_tokens(submission, reference, rng):
    n, d_model = 7, 8
    X = t(rng.standard_normal((2, n, d_model)))
    W = weights_for(rng, d_model)
    cut = int(rng.integers(1, n - 1))
    X2 = X.clone()
    X2[:, cut + 1:] = t(rng.standard_normal((2, n - cut - 1, d_model)))
    out1 = submission.multi_head_attention(X, *W, 2, causal=True)
    out2 = submission.multi_head_attention(X2, *W, 2, causal=True)
    expect(out1).to_have_shape((2, n, d_model))
    expect(out2).to_have_shape((2, n, d_model))
    for out in (out1, out2):
        rows = nan_rows(out)
        expect(out, "the causal output").to_satisfy(not rows, CAUSAL_NAN.format(rows=rows, extra=ROW0 if 0 in rows else ""))
    expect(out2, "the causal output", advice=advice(
        "Your outputs are those of attention without the causal mask: pass causal on to the attention of every head.",
        when=lambda got: close(out1, reference.multi_head_attention(X, *W, 2)),
    )).to_satisfy(
        np.allclose(as_numpy(out1)[:, : cut + 1], as_numpy(out2)[:, : cut + 1], rtol=1e-10, atol=1e-12),
        f"changing only the tokens after position {cut} changed the outputs at positions 0..{cut}: with causal=True "
        "no head may look at later keys.",
    )
    # A constant output never depends on anything: the values must be right as well.
    expect_heads(submission, out1, reference.multi_head_attention(X, *W, 2, causal=True), X, W, 2,
                 "the causal output (its values; the later tokens did not leak into it)", causal=True)


@points(1)
def test_multi_head_attention_with_two_batch_dimensions(submission, reference, rng):
    X = t(rng.standard_normal((2, 3, 4, 8)))
    W = weights_for(rng, 8)
    got = submission.multi_head_attention(X, *W, 4)
    expect_heads(submission, got, reference.multi_head_attention(X, *W, 4), X, W, 4, "multi-head attention")


@points(1)
def test_multi_head_attention_keeps_float32_as_float32(submission, reference, rng):
    X = t(rng.standard_normal((2, 5, 8)), np.float32)
    W = weights_for(rng, 8, np.float32)
    got = submission.multi_head_attention(X, *W, 2)
    want = reference.multi_head_attention(X, *W, 2)
    with stage("its values"):
        expect_heads(submission, got, want, X, W, 2, "multi-head attention", check_dtype=False, rtol=1e-5, atol=1e-5)
    expect_float32(got, "multi-head attention")
