"""Checks for ex03: matrix multiplication and shapes."""

import numpy as np

from grader.checking import LearnerRaised, advice, describe, expect, expect_error, fail, points, stage
from grader.checking.speed import race

SPEED_LIMIT = 20  # a vectorised matmul is within a few times the reference; Python loops are hundreds of times slower


def mats(rng, shape, dtype=np.float64):
    """Entries with an offset and a spread of scales, so wrong index orders give clearly wrong values."""
    return ((rng.standard_normal(shape) + rng.uniform(-1, 1)) * rng.uniform(0.5, 2.0)).astype(dtype)


def sizes(rng, count, low=2, high=7):
    """``count`` different sizes, so that swapped dimensions show in the shapes."""
    return [int(v) for v in rng.choice(np.arange(low, high + 1), size=count, replace=False)]


def written(shape):
    return "x".join(str(s) for s in shape)


def names_both(message, a, b):
    """Whether an error message names both shapes, as 2x3x4 or as (2, 3, 4)."""
    def forms(s):
        return {written(s), str(tuple(s)), str(list(s))}

    return any(f in message for f in forms(a)) and any(f in message for f in forms(b))


def expect_float32(got, what):
    """float32 inputs must give a float32 result (README: float32 in, float32 out)."""
    if isinstance(got, np.ndarray) and got.dtype != np.float32:
        fail(f"{what}: returned a {got.dtype} array for float32 inputs; expected float32 (float32 in, float32 out)", got)


def expect_shape(got, expected, what):
    ok = isinstance(got, (tuple, list)) and all(isinstance(v, (int, np.integer)) for v in got)
    expect(got, what).to_satisfy(ok, f"return the shape as a tuple of ints, like {tuple(expected)}")
    expect(tuple(int(v) for v in got), what).to_equal(tuple(expected))


def expect_shape_error(call, a, b, why):
    err = expect_error(call, "ValueError", why=why)
    if not names_both(err.message, a, b):
        fail(
            f"raised ValueError: {err.message}\nthe message should name both shapes, the way PyTorch does: "
            f"'mat1 and mat2 shapes cannot be multiplied ({written(a)} and {written(b)})'. Someone debugging a "
            "model needs both shapes to see which dimension is wrong"
        )


# --- matmul_shape --------------------------------------------------------------------

@points(1)
def test_shape_of_a_plain_matrix_product(submission, rng):
    n, k, m = sizes(rng, 3)
    expect_shape(submission.matmul_shape((n, k), (k, m)), (n, m), f"matmul_shape(({n}, {k}), ({k}, {m}))")


@points(2)
def test_batch_dims_of_size_one_broadcast_in_the_shape(submission, rng):
    n, k, m, p, q = sizes(rng, 5, 2, 9)
    got = submission.matmul_shape((p, 1, n, k), (q, k, m))
    expect_shape(got, (p, q, n, m), f"matmul_shape(({p}, 1, {n}, {k}), ({q}, {k}, {m}))")


@points(1)
def test_shape_takes_the_batch_of_the_only_batched_operand(submission, rng):
    n, k, m, p = sizes(rng, 4)
    expect_shape(submission.matmul_shape((p, n, k), (k, m)), (p, n, m), f"matmul_shape(({p}, {n}, {k}), ({k}, {m}))")
    expect_shape(submission.matmul_shape((n, k), (p, k, m)), (p, n, m), f"matmul_shape(({n}, {k}), ({p}, {k}, {m}))")


@points(2)
def test_mismatched_inner_sizes_raise_value_error_naming_both_shapes(submission, rng):
    n, k, k2, m = sizes(rng, 4)
    a, b = (n, k), (k2, m)
    expect_shape_error(
        lambda: submission.matmul_shape(a, b), a, b,
        f"A's last size ({k}) must equal B's second-to-last size ({k2}); raise ValueError otherwise",
    )


@points(1)
def test_batch_dims_that_do_not_broadcast_raise_value_error(submission, rng):
    n, k, m, p, q = sizes(rng, 5, 2, 9)
    a, b = (p, n, k), (q, k, m)
    expect_shape_error(
        lambda: submission.matmul_shape(a, b), a, b,
        f"batch sizes {p} and {q} differ and neither is 1, so they cannot broadcast",
    )


# --- matmul --------------------------------------------------------------------------

@points(2)
def test_matmul_of_two_matrices_matches_the_definition(submission, rng):
    n, k, m = sizes(rng, 3)
    A, B = mats(rng, (n, k)), mats(rng, (k, m))
    expect(submission.matmul(A, B), "matmul(A, B)").to_match(A @ B)


@points(2)
def test_matmul_applies_shared_weights_to_a_batch(submission, rng):
    n, k, m, p = sizes(rng, 4)
    A, B = mats(rng, (p, n, k)), mats(rng, (k, m))
    expect(submission.matmul(A, B), "matmul of a batch with one matrix").to_match(A @ B)


@points(2)
def test_matmul_broadcasts_batch_dims_of_size_one(submission, rng):
    n, k, m, p, q = sizes(rng, 5)
    A, B = mats(rng, (p, 1, n, k)), mats(rng, (q, k, m))
    expect(submission.matmul(A, B), "matmul with broadcast batch dims").to_match(A @ B)


@points(1)
def test_matmul_keeps_several_batch_dims(submission, rng):
    n, k, m, p, q = sizes(rng, 5)
    A, B = mats(rng, (p, q, n, k)), mats(rng, (p, q, k, m))
    expect(submission.matmul(A, B), "matmul with batch shape (p, q)").to_match(A @ B)


@points(1)
def test_matmul_handles_rows_columns_and_outer_products(submission, rng):
    n, k, m = sizes(rng, 3)
    row, col = mats(rng, (1, k)), mats(rng, (k, 1))
    expect(submission.matmul(row, col), "a (1, k) row times a (k, 1) column").to_match(row @ col)
    left, right = mats(rng, (n, 1)), mats(rng, (1, m))
    expect(submission.matmul(left, right), "an outer product, (n, 1) times (1, m)").to_match(left @ right)


@points(1)
def test_matmul_keeps_float32_as_float32(submission, rng):
    n, k, m, p = sizes(rng, 4)
    A, B = mats(rng, (p, n, k), np.float32), mats(rng, (p, k, m), np.float32)
    got = submission.matmul(A, B)
    with stage("its values"):
        expect(got, "matmul of float32 arrays").to_match(A @ B, check_dtype=False)
    expect_float32(got, "matmul of float32 arrays")


@points(1)
def test_matmul_raises_value_error_for_mismatched_inner_sizes(submission, rng):
    n, k, k2, m, p = sizes(rng, 5)
    A, B = mats(rng, (p, n, k)), mats(rng, (p, k2, m))
    expect_shape_error(
        lambda: submission.matmul(A, B), A.shape, B.shape,
        f"A's last size ({k}) must equal B's second-to-last size ({k2})",
    )


@points(1)
def test_inner_size_one_against_another_size_is_an_error(submission, rng):
    n, k, m = sizes(rng, 3)
    A, B = mats(rng, (n, 1)), mats(rng, (k, m))
    why = f"A is ({n}, 1) and B is ({k}, {m}): the inner sizes 1 and {k} differ"
    try:
        value = submission.matmul(A, B)
    except LearnerRaised as exc:
        if not exc.is_a("ValueError"):
            fail(f"raised {exc.type_name}: {exc.message}\nexpected ValueError: {why}")
        return
    stretched = A * B.sum(axis=0)  # A's one column broadcast against all k rows of B, then summed
    fail(
        f"returned {describe(value)}\nexpected it to raise ValueError: {why}",
        value,
        advice=advice(
            f"that is what broadcasting gives when it stretches A's inner size 1 to B's {k}: it never complains, so "
            "compare A.shape[-1] with B.shape[-2] yourself before computing",
            when=lambda v: isinstance(v, np.ndarray) and v.shape == stretched.shape and bool(np.allclose(v, stretched)),
        ),
    )


@points(1)
def test_matmul_leaves_its_inputs_unchanged(submission, reference, rng):
    n, k, m, p, q = sizes(rng, 5)
    A, B = mats(rng, (p, q, n, k)), mats(rng, (k, m))
    value, (A_after, B_after), _ = submission.inputs_after("matmul", A, B)
    # The product first: leaving A and B alone earns nothing if what comes back is not A @ B.
    with stage("the product, before A and B themselves"):
        expect(value, f"matmul of a {written(A.shape)} A by a {written(B.shape)} B").to_match(reference.matmul(A, B))
    for name, before, after in (("A", A, A_after), ("B", B, B_after)):
        reshaped = np.shape(after) != before.shape
        if reshaped or not np.array_equal(after, before):
            fail(
                f"matmul returned the right product, but changed the caller's {name}: it had shape {before.shape} "
                f"and came back with shape {np.shape(after)}{'' if reshaped else ' and different values'}",
                value,
                advice=[
                    advice(f"assigning {name}.shape = ... reshapes the caller's array itself; {name}.reshape(...) "
                           "gives a new view and leaves the caller's alone", when=reshaped),
                    advice(f"the entries of {name} were written into (an in-place operation such as {name} *= ..., "
                           f"or out={name}); compute into a new array", when=not reshaped),
                ],
            )


@points(2)
def test_matmul_is_vectorised_not_looped(submission, reference_process, rng):
    # Many outputs from short dot products: a loop over entries pays its Python overhead 147 456 times.
    shape_a, shape_b = (16, 96, 8), (16, 8, 96)

    def judge(out, ref_out, args) -> None:
        A, B = args
        expect(out, "matmul of a (16, 96, 8) batch by a (16, 8, 96) batch").to_match(A @ B)

    # Fresh inputs every round; three rounds, so that one slow moment on a shared machine is forgiven.
    timing = race(
        submission, reference_process, "matmul", lambda: (mats(rng, shape_a), mats(rng, shape_b)),
        limit=SPEED_LIMIT, rounds=3, judge=judge,
    )
    if timing.passed:
        return
    best, reference_seconds = timing.best.seconds, timing.best.reference_seconds
    fail(
        f"matmul of (16, 96, 8) by (16, 8, 96) took {best * 1e3:.1f} ms, the reference {reference_seconds * 1e3:.2f} ms "
        f"in the same run: {best / reference_seconds:.0f} times slower (up to {SPEED_LIMIT} times is fine). "
        "Your values are right. The README asks for no Python loops over entries: numpy computes every entry at "
        "once with (A[..., :, :, None] * B[..., None, :, :]).sum(axis=-2), or np.einsum('...ik,...kj->...ij', A, B)",
    )


# --- cost ----------------------------------------------------------------------------

@points(2)
def test_gemm_flops_count_a_multiply_and_an_add_per_term(submission, rng):
    M, N, K = (int(v) for v in rng.choice(np.arange(10, 2000), size=3, replace=False))
    expect(submission.gemm_flops(M, N, K), f"gemm_flops({M}, {N}, {K})").to_equal(2 * M * N * K)


@points(1)
def test_flops_of_a_matrix_vector_product(submission, rng):
    M, K = (int(v) for v in rng.integers(100, 5000, size=2))
    expect(submission.gemm_flops(M, 1, K), f"gemm_flops({M}, 1, {K}), a matrix times a vector").to_equal(2 * M * K)


@points(1)
def test_flops_of_a_large_gemm_are_an_exact_int(submission):
    expect(submission.gemm_flops(8192, 8192, 8192), "gemm_flops(8192, 8192, 8192)").to_equal(2 * 8192**3)


@points(2)
def test_intensity_is_flops_per_byte_moved(submission, rng):
    M, N, K = (int(v) for v in rng.choice(np.arange(16, 3000), size=3, replace=False))
    bpe = int(rng.choice([2, 4, 8]))
    expected = 2 * M * N * K / ((M * K + K * N + M * N) * bpe)
    expect(submission.arithmetic_intensity(M, N, K, bpe), f"arithmetic_intensity({M}, {N}, {K}, {bpe})").to_match(expected)


@points(1)
def test_square_gemm_intensity_grows_linearly_with_size(submission, rng):
    n = int(rng.integers(64, 1024))
    bpe = int(rng.choice([2, 4]))
    small = submission.arithmetic_intensity(n, n, n, bpe)
    large = submission.arithmetic_intensity(2 * n, 2 * n, 2 * n, bpe)
    expected = 2 * n / (3 * bpe)
    with stage(f"the intensity for n = {n}, before doubling n"):
        expect(small, f"arithmetic_intensity({n}, {n}, {n}, {bpe})").to_match(expected)
    expect(large, f"arithmetic_intensity({2 * n}, {2 * n}, {2 * n}, {bpe})").to_satisfy(
        np.isclose(float(large), 2 * float(small), rtol=1e-9),
        f"a square GEMM does 2n³ FLOPs on 3n² elements, so its intensity 2n/(3·bytes) doubles when n doubles; "
        f"you returned {small!r} for n = {n} and {large!r} for n = {2 * n}",
    )


@points(1)
def test_matrix_vector_products_are_memory_bound(submission, rng):
    M, K = (int(v) for v in rng.integers(1000, 8000, size=2))
    got = submission.arithmetic_intensity(M, 1, K, 2)
    expected = 2 * M * K / ((M * K + K + M) * 2)
    expect(got, f"arithmetic_intensity({M}, 1, {K}, 2), a half-precision matrix-vector product").to_match(expected)


# --- collapsing linear layers --------------------------------------------------------

def layers(rng, widths, dtype=np.float64):
    weights = [(rng.standard_normal((d_out, d_in)) / np.sqrt(d_in)).astype(dtype) for d_in, d_out in zip(widths, widths[1:])]
    biases = [(rng.standard_normal(d_out) + rng.uniform(-1, 1)).astype(dtype) for d_out in widths[1:]]
    return weights, biases


def run_stack(x, weights, biases):
    for W, b in zip(weights, biases):
        x = x @ W.T + b
    return x


def _close(x, y):
    """Whether a learner's array (of any shape, or anything) equals y: False rather than an error."""
    try:
        return np.shape(x) == np.shape(y) and bool(np.allclose(np.asarray(x, dtype=np.float64), y, rtol=1e-9, atol=1e-9))
    except (TypeError, ValueError):
        return False


def collapsed(weights, biases):
    """The one layer (W, b) of a stack, worked out here (this check ships without the reference)."""
    W, b = weights[0], biases[0]
    for Wi, bi in zip(weights[1:], biases[1:]):
        W, b = Wi @ W, Wi @ b + bi
    return W, b


@points(3)
def test_collapsed_layer_computes_the_same_outputs_as_the_stack(submission, rng):
    widths = [5, 7, 4, 3]
    weights, biases = layers(rng, widths)
    got = submission.collapse_linear_layers(weights, biases)
    expect(got, "collapse_linear_layers").to_satisfy(
        isinstance(got, (tuple, list)) and len(got) == 2, "return a pair (W, b)"
    )
    W, b = got
    expect(W, "W").to_have_shape((widths[-1], widths[0]))
    expect(b, "b").to_have_shape((widths[-1],))
    x = rng.standard_normal((6, widths[0]))
    want = run_stack(x, weights, biases)
    have = x @ np.asarray(W).T + np.asarray(b)
    worst = float(np.max(np.abs(have - want)))
    right_W, right_b = collapsed(weights, biases)
    W_ok, b_ok = _close(W, right_W), _close(b, right_b)
    expect(got, "collapse_linear_layers", advice=[
        advice("W is right, b is not: the bias of each layer passes through the layers after it, so the stack's "
               "bias is W₃W₂b₁ + W₃b₂ + b₃", when=bool(W_ok and not b_ok)),
        advice("b is the plain sum of the biases: b₁ and b₂ go through the later layers' weights too "
               "((x W₁ᵀ + b₁) W₂ᵀ + b₂ has bias W₂ b₁ + b₂)", when=lambda _: _close(b, sum(biases[1:], biases[0]))),
        advice("b is right, W is not: the weights multiply as W₃ W₂ W₁, the last layer on the left",
               when=bool(b_ok and not W_ok)),
    ]).to_satisfy(
        np.allclose(have, want, rtol=1e-9, atol=1e-9),
        f"for a batch x, x Wᵀ + b differs from running the layers one after another by up to {worst:.4g}",
    )


@points(2)
def test_collapsed_square_layers_match_the_reference(submission, reference, rng):
    weights, biases = layers(rng, [4, 4, 4, 4])
    expect(submission.collapse_linear_layers(weights, biases), "(W, b) for three 4x4 layers").to_match(
        reference.collapse_linear_layers(weights, biases)
    )


@points(1)
def test_collapsing_one_layer_returns_that_layer(submission, rng):
    weights, biases = layers(rng, [5, 3])
    expect(submission.collapse_linear_layers(weights, biases), "(W, b) for a single layer").to_match(
        (weights[0], biases[0])
    )


@points(1)
def test_collapse_keeps_float32_as_float32(submission, reference, rng):
    weights, biases = layers(rng, [3, 6, 2], np.float32)
    got = submission.collapse_linear_layers(weights, biases)
    with stage("its values"):
        expect(got, "(W, b) for float32 layers").to_match(reference.collapse_linear_layers(weights, biases), check_dtype=False)
    for name, part in zip(("W", "b"), got):
        expect_float32(part, f"{name} for float32 layers")


@points(1)
def test_collapsed_weight_through_a_bottleneck_has_low_rank(submission, reference, rng):
    widths = [6, 2, 6]
    weights, biases = layers(rng, widths)
    got = submission.collapse_linear_layers(weights, biases)
    expect(got, "collapse_linear_layers").to_satisfy(
        isinstance(got, (tuple, list)) and len(got) == 2, "return a pair (W, b)"
    )
    # W alone is under test here (the biases have checks of their own): its values, then its rank.
    with stage("the values of W"):
        expect(got[0], "W through a width-2 bottleneck").to_match(reference.collapse_linear_layers(weights, biases)[0])
    rank = int(np.linalg.matrix_rank(np.asarray(got[0])))
    expect(got[0], "W").to_satisfy(
        rank <= 2,
        f"a stack whose narrowest layer has width 2 can only ever produce rank ≤ 2 maps, but W has rank {rank}",
    )
