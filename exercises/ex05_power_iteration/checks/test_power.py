"""Checks for ex05: power iteration, Rayleigh quotients, spectral radius, deflation."""

import numpy as np

from grader.checking import expect, inputs, points

RESIDUAL_HINT = (
    "Stop on the residual: after w = A @ v and λ = v @ w (v of unit length), stop when "
    "‖w − λv‖ ≤ tol · np.linalg.norm(A); otherwise v = w / ‖w‖ and go on."
)


def spectrum(rng, n, top, ratio, rest=0.6):
    """Eigenvalues: `top`, then `ratio * top` (sign random), then n - 2 values of modulus below `rest * |top|`."""
    second = ratio * abs(top) * rng.choice([-1.0, 1.0])
    others = rng.uniform(-rest, rest, size=n - 2) * abs(top)
    return np.concatenate([[top, second], others])


def symmetric(rng, n, top=None, ratio=0.7, rest=0.6):
    # |λ₁| in [1.5, 3] unless asked: large enough to matter, small enough that an unscaled v
    # survives the few hundred products of these checks (the overflow checks use 1e±100).
    top = float(rng.uniform(1.5, 3)) if top is None else top
    lam = spectrum(rng, n, top, ratio, rest)
    return inputs.symmetric_with_eigenvalues(rng, lam)


def nonsymmetric(rng, n, top):
    """S · blockdiag(top, a complex pair, smaller reals) · S⁻¹ with cond(S) = 3: real dominant eigenvalue `top`."""
    r = abs(top)
    blocks = np.zeros((n, n))
    blocks[0, 0] = top
    angle, modulus = rng.uniform(0.5, 2.5), 0.7 * r
    a, b = modulus * np.cos(angle), modulus * np.sin(angle)
    blocks[1:3, 1:3] = [[a, -b], [b, a]]
    blocks[np.arange(3, n), np.arange(3, n)] = rng.uniform(-0.6, 0.6, size=n - 3) * r
    S = inputs.with_singular_values(rng, n, n, np.geomspace(3.0, 1.0, n))
    return S @ blocks @ np.linalg.inv(S)


def triple(value):
    expect(value, "the result").to_satisfy(
        isinstance(value, tuple) and len(value) == 3,
        "power_iteration returns a tuple (eigenvalue, eigenvector, iterations)",
    )
    return value


def pair(value):
    expect(value, "the result").to_satisfy(
        isinstance(value, tuple) and len(value) == 2,
        "second_eigenpair returns a tuple (eigenvalue, eigenvector)",
    )
    return value


def dominant(A):
    w, V = np.linalg.eigh(A)
    i = int(np.argmax(np.abs(w)))
    return w[i], V[:, i]


def same_up_to_sign(v, want, what):
    """v equals `want` or `-want` (an eigenvector's sign is free), to 1e-7 per element."""
    expect(v, what).to_have_shape(want.shape)
    expect(v, what).to_be_finite()
    v64 = np.asarray(v, dtype=np.float64)
    sign = 1.0 if float(v64 @ want) >= 0 else -1.0
    err = np.abs(sign * v64 - want)
    i = int(np.argmax(err))
    expect(v, what).to_satisfy(
        err[i] <= 1e-7,
        f"it differs from the unit eigenvector numpy.linalg.eigh finds, even after flipping its sign: at index {i} "
        f"yours is {sign * v64[i]:.8g}, expected {want[i]:.8g}. Is it normalised (‖v‖ = 1), for the right eigenvalue, and converged: "
        "did the loop stop on the residual ‖Av − λv‖ (not on the change in λ)?",
    )


def relative_residual(A, lam, v):
    A64, v64 = np.asarray(A, dtype=np.float64), np.asarray(v, dtype=np.float64)
    return float(np.linalg.norm(A64 @ v64 - float(lam) * v64) / np.linalg.norm(A64))


# --- rayleigh_quotient ------------------------------------------------------------

@points(2)
def test_rayleigh_quotient_divides_by_v_dot_v(submission, rng):
    n = int(rng.integers(5, 12))
    A = symmetric(rng, n)
    v = rng.standard_normal(n) * rng.uniform(2, 6)
    got = submission.rayleigh_quotient(A, v)
    want = float(v @ A @ v / (v @ v))
    expect(got, "ρ(v)").to_satisfy(
        isinstance(got, (float, np.floating)) and np.isclose(got, want, rtol=1e-10, atol=1e-12),
        f"expected vᵀAv / vᵀv = {want:.10g} for this v of length {np.linalg.norm(v):.3g}. "
        "v is not a unit vector here: divide by v @ v, so that scaling v does not change ρ(v).",
    )


@points(1)
def test_rayleigh_quotient_of_an_eigenvector_is_its_eigenvalue(submission, rng):
    n = int(rng.integers(4, 9))
    lam = rng.uniform(-5, 5, size=n)
    Q = inputs.orthonormal(rng, n)
    A = (Q * lam) @ Q.T
    i = int(rng.integers(n))
    v = Q[:, i] * rng.uniform(2, 5) * rng.choice([-1, 1])
    expect(submission.rayleigh_quotient(A, v), "ρ(eigenvector)").to_match(float(lam[i]), rtol=1e-9, atol=1e-10)


# --- power_iteration -------------------------------------------------------------

@points(4)
def test_power_iteration_returns_a_unit_vector_with_a_small_residual(submission, rng):
    n = int(rng.integers(15, 30))
    A = symmetric(rng, n, ratio=0.7)
    lam, v, iterations = triple(submission.power_iteration(A, tol=1e-10))
    expect(v, "the eigenvector").to_have_shape((n,))
    expect(v, "the eigenvector").to_be_finite()
    length = float(np.linalg.norm(v))
    expect(v, "the eigenvector").to_satisfy(abs(length - 1) <= 1e-8, f"its length is {length:.10g}: return v / ‖v‖, a unit vector")
    res = relative_residual(A, lam, v)
    expect(v, "the eigenvector").to_satisfy(
        res <= 2e-10,
        f"the residual ‖Av − λv‖ / ‖A‖_F of the pair you returned is {res:.3g}, above tol = 1e-10. {RESIDUAL_HINT} "
        "λ converges twice as fast as v, so a small change in λ does not mean v is done.",
    )


@points(3)
def test_power_iteration_agrees_with_eigh_up_to_sign(submission, rng):
    n = int(rng.integers(10, 25))
    A = symmetric(rng, n, ratio=0.6)
    lam, v, _ = triple(submission.power_iteration(A))
    want_lam, want_v = dominant(A)
    expect(lam, "the eigenvalue").to_match(float(want_lam), rtol=1e-9, atol=1e-12)
    same_up_to_sign(v, want_v, "the eigenvector")


@points(3)
def test_a_negative_dominant_eigenvalue_keeps_its_sign(submission, reference, rng):
    n = int(rng.integers(10, 25))
    top = -float(rng.uniform(1.5, 3))
    A = symmetric(rng, n, top=top, ratio=0.7)
    lam, v, iterations = triple(submission.power_iteration(A))
    want_lam, _ = dominant(A)
    expect(lam, "the eigenvalue").to_satisfy(
        isinstance(lam, (float, np.floating)) and np.isclose(lam, want_lam, rtol=1e-9, atol=1e-12),
        f"the dominant eigenvalue of this matrix is {want_lam:.10g}, negative. For a negative λ₁, v flips "
        "sign at every step; the Rayleigh quotient vᵀAv keeps the sign, while ‖Av‖ (or abs()) loses it.",
    )
    expect(v, "the eigenvector").to_be_finite()
    res = relative_residual(A, lam, v)
    expect(v, "the eigenvector").to_satisfy(res <= 2e-10, f"the residual ‖Av − λv‖ / ‖A‖_F is {res:.3g}, above tol = 1e-10. {RESIDUAL_HINT}")
    want_it = reference.power_iteration(A)[2]
    expect(iterations, "iterations").to_satisfy(
        isinstance(iterations, (int, np.integer)) and int(iterations) <= 2 * want_it + 5,
        f"about {want_it} products are enough here (|λ₂/λ₁| = 0.7), you reported {iterations!r}. For a negative "
        "λ₁ the vector flips sign every step, so a test on the change in v never passes: stop on the residual "
        "‖Av − λv‖ instead, which does not care about the sign.",
    )


@points(3)
def test_iterations_grow_like_log_tol_over_log_of_the_eigenvalue_ratio(submission, reference, rng):
    n = 20
    counts = []
    for ratio in (0.5, 0.9):
        A = symmetric(rng, n, ratio=ratio, rest=0.45)
        lam, v, iterations = triple(submission.power_iteration(A, tol=1e-9))
        want = reference.power_iteration(A, tol=1e-9)[2]
        predicted = np.log(1e-9) / np.log(ratio)
        expect(iterations, "iterations").to_satisfy(
            isinstance(iterations, (int, np.integer)) and 0.7 * want - 3 <= int(iterations) <= 2 * want + 5,
            f"with |λ₂/λ₁| = {ratio} and tol = 1e-9 the error shrinks by {ratio} per product, so about "
            f"log(tol)/log({ratio}) ≈ {predicted:.0f} products are needed (the reference made {want}); you "
            f"reported {iterations!r}. Count one iteration per product A @ v and stop as soon as "
            "‖Av − λv‖ ≤ tol · ‖A‖_F. Far fewer products usually means the loop stopped when λ settled, "
            "which happens about twice as early as v settles.",
        )
        counts.append(int(iterations))
    expect(counts[1], "iterations").to_satisfy(
        counts[1] > 2 * counts[0], f"a smaller eigen-gap must take more iterations: {counts[0]} at ratio 0.5, {counts[1]} at 0.9"
    )


@points(2)
def test_huge_entries_do_not_overflow(submission, rng):
    n = 20
    A = symmetric(rng, n, top=float(rng.uniform(3, 9)) * 1e100, ratio=0.9)
    lam, v, _ = triple(submission.power_iteration(A))
    want_lam, _ = dominant(A)
    expect(v, "the eigenvector").to_be_finite()
    expect(lam, "the eigenvalue").to_satisfy(
        np.isfinite(lam) and np.isclose(lam, want_lam, rtol=1e-9, atol=0),
        f"expected λ₁ = {want_lam:.10g}. Without rescaling, ‖Aᵏv‖ grows like |λ₁|ᵏ and passes float64's "
        "largest value (about 1e308) within a few products here: divide v by its norm after every product.",
    )


@points(1)
def test_tiny_entries_do_not_underflow(submission, rng):
    n = 20
    A = symmetric(rng, n, top=float(rng.uniform(3, 9)) * 1e-100, ratio=0.9)
    lam, v, _ = triple(submission.power_iteration(A))
    want_lam, _ = dominant(A)
    expect(v, "the eigenvector").to_be_finite()
    length = float(np.linalg.norm(v))
    expect(v, "the eigenvector").to_satisfy(
        abs(length - 1) <= 1e-8 and np.isclose(lam, want_lam, rtol=1e-9, atol=0),
        f"expected λ₁ = {want_lam:.6g} and a unit eigenvector (length {length:.4g}). Without rescaling, ‖Aᵏv‖ "
        "shrinks like |λ₁|ᵏ and reaches 0 within a few products here: divide v by its norm after every product.",
    )


@points(1)
def test_float32_matrix_gives_a_float32_dominant_eigenpair(submission, rng):
    n = int(rng.integers(8, 16))
    # A negative λ₁ of modulus ~1e3: an unscaled v overflows float32 (3.4e38) within a few products.
    A = symmetric(rng, n, top=-float(rng.uniform(1e3, 3e3)), ratio=0.6).astype(np.float32)
    lam, v, _ = triple(submission.power_iteration(A, tol=1e-5))
    expect(v, "the eigenvector").to_have_shape((n,))
    expect(v, "the eigenvector").to_satisfy(
        isinstance(v, np.ndarray) and v.dtype == np.float32,
        f"A is float32, so v should be float32 too (got {getattr(v, 'dtype', type(v).__name__)}): build the start "
        "vector with .astype(A.dtype)",
    )
    # The values too, at float32's precision: a zero vector has a zero residual but is no eigenvector.
    length = float(np.linalg.norm(np.asarray(v, dtype=np.float64)))
    expect(v, "the eigenvector (float32, as it should be)").to_satisfy(
        abs(length - 1) <= 1e-5, f"its length is {length:.7g}: return v / ‖v‖, a unit vector"
    )
    res = relative_residual(A, lam, v)
    expect(v, "the eigenvector").to_satisfy(res <= 2e-5, f"the residual ‖Av − λv‖ / ‖A‖_F is {res:.3g}, above tol = 1e-5")
    want_lam, _ = dominant(A.astype(np.float64))
    expect(lam, "the eigenvalue").to_satisfy(
        isinstance(lam, (float, np.floating)) and np.isclose(float(lam), want_lam, rtol=1e-5, atol=0),
        f"expected the dominant eigenvalue {want_lam:.7g} (to float32's precision, rtol 1e-5): λ = vᵀ(Av) for the "
        "unit v you return",
    )


@points(1)
def test_a_1x1_matrix_is_its_own_eigenvalue(submission, rng):
    a = float(-rng.uniform(0.5, 5))
    lam, v, iterations = triple(submission.power_iteration(np.array([[a]])))
    expect(lam, "the eigenvalue").to_match(a, rtol=1e-12, atol=1e-12)
    expect(v, "the eigenvector").to_satisfy(
        isinstance(v, np.ndarray) and v.shape == (1,) and np.isclose(abs(float(v[0])), 1.0),
        "the eigenvector of a 1 × 1 matrix is [1] or [-1]",
    )


# --- spectral_radius --------------------------------------------------------------

@points(3)
def test_spectral_radius_of_a_nonsymmetric_matrix(submission, rng):
    n = int(rng.integers(8, 16))
    A = nonsymmetric(rng, n, top=float(rng.uniform(2, 6)))
    want = float(np.max(np.abs(np.linalg.eigvals(A))))
    got = submission.spectral_radius(A)
    expect(got, "ρ(A)").to_satisfy(
        isinstance(got, (float, np.floating)) and np.isclose(got, want, rtol=1e-8, atol=0),
        f"expected max |λᵢ| = {want:.10g}; the largest singular value ‖A‖₂ = {np.linalg.norm(A, 2):.6g} is "
        "bigger for a matrix that is not symmetric. Run power iteration and take |λ|.",
    )


@points(2)
def test_spectral_radius_is_positive_when_the_dominant_eigenvalue_is_negative(submission, rng):
    n = int(rng.integers(8, 16))
    A = nonsymmetric(rng, n, top=-float(rng.uniform(2, 6)))
    want = float(np.max(np.abs(np.linalg.eigvals(A))))
    got = submission.spectral_radius(A)
    expect(got, "ρ(A)").to_satisfy(
        isinstance(got, (float, np.floating)) and np.isclose(got, want, rtol=1e-8, atol=0),
        f"expected max |λᵢ| = {want:.10g}, a modulus (never negative): the dominant eigenvalue here is "
        f"{-want:.6g}. Take abs() of the eigenvalue power iteration finds.",
    )


# --- second_eigenpair --------------------------------------------------------------

@points(3)
def test_second_eigenpair_agrees_with_eigh_up_to_sign(submission, rng):
    n = int(rng.integers(10, 20))
    top = float(rng.uniform(5, 10))
    # λ₂ = 0.7 λ₁ > 0, and some eigenvalue near -0.55 λ₁, so the eigenvalue farthest from λ₁ is not λ₂.
    lam = np.concatenate([[top, 0.7 * top, -0.55 * top], rng.uniform(-0.5, 0.5, size=n - 3) * top])
    A = inputs.symmetric_with_eigenvalues(rng, lam)
    got_lam, v2 = pair(submission.second_eigenpair(A))
    w, V = np.linalg.eigh(A)
    order = np.argsort(-np.abs(w))
    want_lam, want_v = float(w[order[1]]), V[:, order[1]]
    expect(got_lam, "λ₂").to_satisfy(
        isinstance(got_lam, (float, np.floating)) and np.isclose(got_lam, want_lam, rtol=1e-8, atol=1e-10),
        f"expected λ₂ = {want_lam:.10g} (λ₁ = {w[order[0]]:.6g}). Deflate with B = A − λ₁ v₁ v₁ᵀ: a minus sign, "
        "and the rank-one matrix np.outer(v1, v1) (not λ₁·I, not a scalar), then run power iteration on B.",
    )
    same_up_to_sign(v2, want_v, "v₂")


@points(2)
def test_second_eigenvector_is_orthogonal_to_the_first_with_a_small_residual(submission, rng):
    n = int(rng.integers(10, 20))
    top = -float(rng.uniform(5, 10))
    lam = np.concatenate([[top, -0.7 * top], rng.uniform(-0.5, 0.5, size=n - 2) * abs(top)])
    A = inputs.symmetric_with_eigenvalues(rng, lam)
    got_lam, v2 = pair(submission.second_eigenpair(A))
    expect(v2, "v₂").to_have_shape((n,))
    expect(v2, "v₂").to_be_finite()
    _, v1 = dominant(A)
    overlap = abs(float(np.dot(v1, v2)))
    expect(v2, "v₂").to_satisfy(
        overlap <= 1e-7,
        f"|v₁ · v₂| = {overlap:.3g}: for a symmetric matrix the second eigenvector is orthogonal to the first. "
        "If v₂ came back close to v₁, the deflation did not remove λ₁: subtract λ₁ v₁ v₁ᵀ (minus, not plus).",
    )
    res = relative_residual(A, got_lam, v2)
    expect(v2, "v₂").to_satisfy(
        res <= 1e-8 and abs(np.linalg.norm(v2) - 1) <= 1e-8,
        f"(λ₂, v₂) must be an eigenpair of A itself with ‖v₂‖ = 1: ‖Av₂ − λ₂v₂‖ / ‖A‖_F = {res:.3g}",
    )


@points(1)
def test_second_eigenpair_leaves_A_unchanged(submission, rng):
    n = int(rng.integers(6, 12))
    top = float(rng.uniform(1.5, 3))
    lam = np.concatenate([[top, 0.7 * top, -0.55 * top], rng.uniform(-0.5, 0.5, size=n - 3) * top])
    A = inputs.symmetric_with_eigenvalues(rng, lam)
    original = A.copy()
    value, (after, *_), _ = submission.inputs_after("second_eigenpair", A)
    got_lam, v2 = pair(value)
    # The eigenpair first: leaving A alone earns nothing if what comes back is not (λ₂, v₂).
    w, V = np.linalg.eigh(original)
    order = np.argsort(-np.abs(w))
    want_lam, want_v = float(w[order[1]]), V[:, order[1]]
    expect(got_lam, "λ₂ (the result; A itself is checked after)").to_satisfy(
        isinstance(got_lam, (float, np.floating)) and np.isclose(got_lam, want_lam, rtol=1e-8, atol=1e-10),
        f"expected λ₂ = {want_lam:.10g} (λ₁ = {w[order[0]]:.6g}). Deflate with B = A − λ₁ v₁ v₁ᵀ, then run power "
        "iteration on B.",
    )
    same_up_to_sign(v2, want_v, "v₂ (the result; A itself is checked after)")
    expect(value, "the result").to_satisfy(
        isinstance(after, np.ndarray) and np.array_equal(after, original),
        "the eigenpair is right, but second_eigenpair changed the caller's A: an in-place A -= λ₁ v₁ v₁ᵀ deflates "
        "the caller's matrix too. Build the deflated matrix as a new array: B = A - lam1 * np.outer(v1, v1).",
    )
