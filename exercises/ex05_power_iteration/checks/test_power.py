"""Checks for ex05: power iteration, Rayleigh quotients, spectral radius, deflation."""

import numpy as np

from grader.checking import LearnerRaised, advice, expect, inputs, points, stage

MAX_ITER = 10_000  # power_iteration's default max_iter, which these checks use
STOPPED_EARLY = (
    "Your loop stopped after {got} products, where the reference needed {want} to bring the residual "
    "below tol: stop only when ‖Av − λv‖ ≤ tol · np.linalg.norm(A). λ settles about twice as early as v "
    "(its error is the square of v's), so a test on the change in λ stops too soon."
)
HALF_AS_MANY = (
    "That is about half the reference's count, which is when the eigenvalue estimate stops changing while v "
    "is still converging: stop on the residual ‖Av − λv‖ ≤ tol · ‖A‖_F, not on the change in λ."
)
RAN_TO_MAX_ITER = (
    "The loop ran to max_iter = {max_iter}: its stopping rule never held. For a negative λ₁, v flips sign at "
    "every step, so a test on the change in v never passes; the residual ‖Av − λv‖ does not depend on v's sign."
)
LOST_THE_SIGN = (
    "You returned {got:.10g}, the modulus of λ₁ with the sign dropped: ‖Av‖ (or abs()) is |λ|. The Rayleigh "
    "quotient λ = vᵀ(Av) of the unit v keeps the sign."
)
OVERFLOWED = (
    "Values overflowed to inf or NaN: with entries around 1e100, ‖Aᵏv‖ passes float64's largest value (about "
    "1e308) within a few products unless v is divided by its norm after every product."
)
UNDERFLOWED = (
    "v came back with length {length:.4g}: with entries around 1e-100, ‖Aᵏv‖ falls below float64's smallest "
    "value within a few products unless v is divided by its norm after every product."
)
STOPPED_AT_ONCE = (
    "Your loop stopped after {got} product(s), and after {again} when called again with tol = 1e-10 · ‖A‖_F: your "
    "stopping rule compares the residual with tol itself. The tolerance is relative: with entries around 1e-100 "
    "every residual is below a fixed tol at once. Stop when ‖Av − λv‖ ≤ tol · np.linalg.norm(A)."
)
PROMOTED = (
    "A is float32 and v came back float64: a float64 array mixed in promotes the product (np.random's "
    "standard_normal gives float64): build the start vector with .astype(A.dtype)."
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


def near(got, target, rtol=1e-6, atol=0.0):
    """Whether a learner's number is close to ``target`` (False for anything that is not a finite number)."""
    try:
        return bool(np.isfinite(float(got)) and np.isclose(float(got), float(target), rtol=rtol, atol=atol))
    except (TypeError, ValueError):
        return False


def count_of(iterations):
    """The learner's iteration count as an int, or None when it is not one."""
    return int(iterations) if isinstance(iterations, (int, np.integer)) and not isinstance(iterations, bool) else None


def early(iterations, want):
    """Evidence that the loop stopped before the reference's stopping rule would: fewer products than needed."""
    got = count_of(iterations)
    return got is not None and got < 0.7 * want - 3


def same_up_to_sign(v, want, what, advice_given=()):
    """v equals `want` or `-want` (an eigenvector's sign is free), to 1e-7 per element."""
    expect(v, what).to_have_shape(want.shape)
    expect(v, what).to_be_finite()
    v64 = np.asarray(v, dtype=np.float64)
    sign = 1.0 if float(v64 @ want) >= 0 else -1.0
    err = np.abs(sign * v64 - want)
    i = int(np.argmax(err))
    length = float(np.linalg.norm(v64))
    cos = abs(float(v64 @ want)) / (length or 1.0)
    expect(v, what, advice=[
        advice(f"Its length is {length:.8g}, not 1: return v / ‖v‖.", when=abs(length - 1) > 1e-6),
        advice(f"It is nearly orthogonal to that eigenvector (|cos| = {cos:.3g}): it belongs to another eigenvalue.",
               when=cos < 0.5),
        *advice_given,
    ]).to_satisfy(
        err[i] <= 1e-7,
        f"it differs from the unit eigenvector numpy.linalg.eigh finds, even after flipping its sign: at index {i} "
        f"yours is {sign * v64[i]:.8g}, expected {want[i]:.8g}.",
    )


def relative_residual(A, lam, v):
    A64, v64 = np.asarray(A, dtype=np.float64), np.asarray(v, dtype=np.float64)
    return float(np.linalg.norm(A64 @ v64 - float(lam) * v64) / np.linalg.norm(A64))


def second_largest(A):
    """(λ₂, v₂, λ₁) of a symmetric A by eigh: the eigenvalues second and first largest in modulus."""
    w, V = np.linalg.eigh(A)
    order = np.argsort(-np.abs(w))
    return float(w[order[1]]), V[:, order[1]], float(w[order[0]])


def deflation_advice(A, got_lam):
    """What a wrong λ₂ is, where it is something a known deflation gives (the evidence for its cause)."""
    w = np.linalg.eigvalsh(A)
    lam1 = float(w[np.argmax(np.abs(w))])
    farthest = float(w[np.argmax(np.abs(w - lam1))])
    every_entry = np.linalg.eigvalsh(A - lam1)  # λ₁ subtracted from every entry
    every_entry_top = float(every_entry[np.argmax(np.abs(every_entry))])
    return [
        advice(f"{got_lam!r} is λ₁ itself: the matrix you ran power iteration on still has λ₁'s pair on top, so "
               "deflation did not remove it.", when=near(got_lam, lam1, 1e-6)),
        advice(f"{got_lam!r} is 2λ₁: adding λ₁ v₁ v₁ᵀ doubles v₁'s eigenvalue instead of removing it. Deflation "
               "subtracts: B = A − λ₁ v₁ v₁ᵀ.", when=near(got_lam, 2 * lam1, 1e-6)),
        advice(f"{got_lam!r} is λ₁ − 1: subtracting np.outer(v1, v1) alone lowers v₁'s eigenvalue by 1, not by λ₁. "
               "Scale the rank-one matrix by λ₁: B = A − λ₁ v₁ v₁ᵀ.", when=near(got_lam, lam1 - 1, 1e-6)),
        advice(f"{got_lam!r} is the eigenvalue of A farthest from λ₁: that is what a shift A − λ₁ I finds. Deflation "
               "changes only v₁'s eigenvalue, with the rank-one matrix λ₁ np.outer(v1, v1).",
               when=near(got_lam, farthest, 1e-6) and not near(farthest, second_largest(A)[0], 1e-6)),
        advice(f"{got_lam!r} is the dominant eigenvalue of A − λ₁, λ₁ subtracted from every entry: for a 1-D v1, "
               "v1 @ v1.T is the number 1, not the matrix v₁ v₁ᵀ. Use np.outer(v1, v1).",
               when=near(got_lam, every_entry_top, 1e-6)),
    ]


# --- rayleigh_quotient ------------------------------------------------------------

def rayleigh_advice(got, want, v):
    """Evidence on ρ(v) for a v that is not a unit vector: a division by nothing, or by ‖v‖ instead of ‖v‖²."""
    sq = float(v @ v)
    return [
        advice(f"Your value is vᵀAv itself, ‖v‖² = {sq:.4g} times ρ(v): divide by v @ v.",
               when=near(got, want * sq, 1e-8)),
        advice(f"Your value is vᵀAv / ‖v‖, {np.sqrt(sq):.4g} times ρ(v): divide by v @ v = ‖v‖², not by ‖v‖.",
               when=near(got, want * np.sqrt(sq), 1e-8)),
    ]


@points(2)
def test_rayleigh_quotient_divides_by_v_dot_v(submission, rng):
    n = int(rng.integers(5, 12))
    A = symmetric(rng, n)
    v = rng.standard_normal(n) * rng.uniform(2, 6)
    got = submission.rayleigh_quotient(A, v)
    want = float(v @ A @ v / (v @ v))
    expect(got, "ρ(v)", advice=rayleigh_advice(got, want, v)).to_satisfy(
        isinstance(got, (float, np.floating)) and np.isclose(got, want, rtol=1e-10, atol=1e-12),
        f"expected vᵀAv / vᵀv = {want:.10g} for this v of length {np.linalg.norm(v):.3g} (a float). v is not a "
        "unit vector here, and scaling v must not change ρ(v).",
    )


@points(1)
def test_rayleigh_quotient_of_an_eigenvector_is_its_eigenvalue(submission, rng):
    n = int(rng.integers(4, 9))
    lam = rng.uniform(-5, 5, size=n)
    Q = inputs.orthonormal(rng, n)
    A = (Q * lam) @ Q.T
    i = int(rng.integers(n))
    v = Q[:, i] * rng.uniform(2, 5) * rng.choice([-1, 1])
    got = submission.rayleigh_quotient(A, v)
    expect(got, "ρ(eigenvector)", advice=rayleigh_advice(got, float(lam[i]), v)).to_match(
        float(lam[i]), rtol=1e-9, atol=1e-10)


# --- power_iteration -------------------------------------------------------------

@points(4)
def test_power_iteration_returns_a_unit_vector_with_a_small_residual(submission, reference, rng):
    n = int(rng.integers(15, 30))
    A = symmetric(rng, n, ratio=0.7)
    lam, v, iterations = triple(submission.power_iteration(A, tol=1e-10))
    expect(v, "the eigenvector").to_have_shape((n,))
    expect(v, "the eigenvector").to_be_finite()
    length = float(np.linalg.norm(v))
    expect(v, "the eigenvector").to_satisfy(abs(length - 1) <= 1e-8, f"its length is {length:.10g}: return v / ‖v‖, a unit vector")
    res = relative_residual(A, lam, v)
    want_it = reference.power_iteration(A, tol=1e-10)[2]
    expect(v, "the eigenvector", advice=advice(STOPPED_EARLY.format(got=iterations, want=want_it),
                                               when=early(iterations, want_it))).to_satisfy(
        res <= 2e-10,
        f"the residual ‖Av − λv‖ / ‖A‖_F of the pair you returned is {res:.3g}, above tol = 1e-10 "
        f"(you reported {iterations!r} products).",
    )


@points(3)
def test_power_iteration_agrees_with_eigh_up_to_sign(submission, reference, rng):
    n = int(rng.integers(10, 25))
    A = symmetric(rng, n, ratio=0.6)
    lam, v, iterations = triple(submission.power_iteration(A))
    want_lam, want_v = dominant(A)
    want_it = reference.power_iteration(A)[2]
    stopped = advice(STOPPED_EARLY.format(got=iterations, want=want_it), when=early(iterations, want_it))
    expect(lam, "the eigenvalue", advice=stopped).to_match(float(want_lam), rtol=1e-9, atol=1e-12)
    same_up_to_sign(v, want_v, "the eigenvector", [stopped])


@points(3)
def test_a_negative_dominant_eigenvalue_keeps_its_sign(submission, reference, rng):
    n = int(rng.integers(10, 25))
    top = -float(rng.uniform(1.5, 3))
    A = symmetric(rng, n, top=top, ratio=0.7)
    lam, v, iterations = triple(submission.power_iteration(A))
    want_lam, _ = dominant(A)
    expect(lam, "the eigenvalue", advice=advice(LOST_THE_SIGN.format(got=float(abs(want_lam))),
                                                when=near(lam, -want_lam, 1e-8))).to_satisfy(
        isinstance(lam, (float, np.floating)) and np.isclose(lam, want_lam, rtol=1e-9, atol=1e-12),
        f"the dominant eigenvalue of this matrix is {want_lam:.10g}, negative (a float is expected).",
    )
    expect(v, "the eigenvector").to_be_finite()
    res = relative_residual(A, lam, v)
    want_it = reference.power_iteration(A)[2]
    expect(v, "the eigenvector", advice=advice(STOPPED_EARLY.format(got=iterations, want=want_it),
                                               when=early(iterations, want_it))).to_satisfy(
        res <= 2e-10, f"the residual ‖Av − λv‖ / ‖A‖_F is {res:.3g}, above tol = 1e-10")
    expect(iterations, "iterations", advice=advice(RAN_TO_MAX_ITER.format(max_iter=MAX_ITER),
                                                   when=count_of(iterations) == MAX_ITER)).to_satisfy(
        count_of(iterations) is not None and int(iterations) <= 2 * want_it + 5,
        f"about {want_it} products are enough here (|λ₂/λ₁| = 0.7; the reference made {want_it}), you reported "
        f"{iterations!r}: stop as soon as ‖Av − λv‖ ≤ tol · ‖A‖_F.",
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
        got = count_of(iterations)
        expect(iterations, "iterations", advice=[
            advice(HALF_AS_MANY, when=got is not None and 0.35 * want <= got < 0.7 * want - 3),
            advice(RAN_TO_MAX_ITER.format(max_iter=MAX_ITER).split(" For a negative")[0], when=got == MAX_ITER),
        ]).to_satisfy(
            got is not None and 0.7 * want - 3 <= got <= 2 * want + 5,
            f"with |λ₂/λ₁| = {ratio} and tol = 1e-9 the error shrinks by {ratio} per product, so about "
            f"log(tol)/log({ratio}) ≈ {predicted:.0f} products are needed (the reference made {want}); you "
            f"reported {iterations!r}. Count one iteration per product A @ v and stop as soon as "
            "‖Av − λv‖ ≤ tol · ‖A‖_F.",
        )
        counts.append(int(iterations))
    expect(counts[1], "iterations").to_satisfy(
        counts[1] > 2 * counts[0], f"a smaller eigen-gap must take more iterations: {counts[0]} at ratio 0.5, {counts[1]} at 0.9"
    )


def not_finite(value):
    try:
        return not bool(np.all(np.isfinite(np.asarray(value, dtype=np.float64))))
    except (TypeError, ValueError):
        return False


@points(2)
def test_huge_entries_do_not_overflow(submission, rng):
    n = 20
    A = symmetric(rng, n, top=float(rng.uniform(3, 9)) * 1e100, ratio=0.9)
    lam, v, _ = triple(submission.power_iteration(A))
    want_lam, _ = dominant(A)
    overflowed = advice(OVERFLOWED, when=not_finite(v) or not_finite(lam))
    expect(v, "the eigenvector", advice=overflowed).to_be_finite()
    expect(lam, "the eigenvalue", advice=overflowed).to_satisfy(
        near(lam, want_lam, 1e-9), f"expected λ₁ = {want_lam:.10g}, a finite float")


@points(1)
def test_tiny_entries_do_not_underflow(submission, reference, rng):
    n = 20
    A = symmetric(rng, n, top=float(rng.uniform(3, 9)) * 1e-100, ratio=0.9)
    lam, v, iterations = triple(submission.power_iteration(A))
    want_lam, _ = dominant(A)
    want_it = reference.power_iteration(A)[2]
    try:
        length = float(np.linalg.norm(np.asarray(v, dtype=np.float64)))
    except (TypeError, ValueError):
        length = float("nan")
    again = None
    if count_of(iterations) is not None and count_of(iterations) <= 2 < want_it and abs(length - 1) <= 1e-8:
        # Stopped at once: called with a tol scaled by ‖A‖_F by hand, a rule that forgets the scale converges.
        try:
            again = count_of(triple(submission.power_iteration(A, tol=1e-10 * float(np.linalg.norm(A))))[2])
        except LearnerRaised:
            again = None
    expect(v, "the eigenvector", advice=[
        advice(UNDERFLOWED.format(length=length), when=not np.isfinite(length) or length < 1e-3),
        advice(STOPPED_AT_ONCE.format(got=iterations, again=again),
               when=again is not None and 0.7 * want_it - 3 <= again <= 2 * want_it + 5),
    ]).to_satisfy(
        abs(length - 1) <= 1e-8 and near(lam, want_lam, 1e-9),
        f"expected λ₁ = {want_lam:.6g} and a unit eigenvector; you returned λ = {lam!r} and v of length "
        f"{length:.4g} after {iterations!r} products (the reference made {want_it}).",
    )


@points(1)
def test_float32_matrix_gives_a_float32_dominant_eigenpair(submission, rng):
    n = int(rng.integers(8, 16))
    # A negative λ₁ of modulus ~1e3: an unscaled v overflows float32 (3.4e38) within a few products.
    A = symmetric(rng, n, top=-float(rng.uniform(1e3, 3e3)), ratio=0.6).astype(np.float32)
    lam, v, _ = triple(submission.power_iteration(A, tol=1e-5))
    # The values first, at float32's precision: a float32 vector earns nothing if it is no eigenvector.
    with stage("its values"):
        expect(v, "the eigenvector").to_have_shape((n,))
        expect(v, "the eigenvector").to_be_finite()
        length = float(np.linalg.norm(np.asarray(v, dtype=np.float64)))
        expect(v, "the eigenvector").to_satisfy(abs(length - 1) <= 1e-5, f"its length is {length:.7g}: return v / ‖v‖, a unit vector")
        res = relative_residual(A, lam, v)
        want_lam, _ = dominant(A.astype(np.float64))
        expect(v, "the eigenvector", advice=advice(LOST_THE_SIGN.format(got=float(abs(want_lam))),
                                                   when=near(lam, -want_lam, 1e-5))).to_satisfy(
            res <= 2e-5, f"the residual ‖Av − λv‖ / ‖A‖_F is {res:.3g}, above tol = 1e-5 (λ = {lam!r})")
        expect(lam, "the eigenvalue").to_satisfy(
            isinstance(lam, (float, np.floating)) and np.isclose(float(lam), want_lam, rtol=1e-5, atol=0),
            f"expected the dominant eigenvalue {want_lam:.7g} (to float32's precision, rtol 1e-5): λ = vᵀ(Av) for the "
            "unit v you return",
        )
    dtype = getattr(v, "dtype", None)
    expect(v, "the eigenvector", advice=advice(PROMOTED, when=dtype == np.float64)).to_satisfy(
        isinstance(v, np.ndarray) and dtype == np.float32,
        f"A is float32, so v should be float32 too (got {dtype if dtype is not None else type(v).__name__})",
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

def two_norm_advice(A, got):
    two_norm = float(np.linalg.norm(A, 2))
    return advice(
        f"That is the largest singular value ‖A‖₂ = {two_norm:.10g}, which equals max |λᵢ| only for a symmetric "
        "matrix (this one is not). Run power iteration and take |λ|.", when=near(got, two_norm, 1e-8),
    )


@points(3)
def test_spectral_radius_of_a_nonsymmetric_matrix(submission, rng):
    n = int(rng.integers(8, 16))
    A = nonsymmetric(rng, n, top=float(rng.uniform(2, 6)))
    want = float(np.max(np.abs(np.linalg.eigvals(A))))
    got = submission.spectral_radius(A)
    expect(got, "ρ(A)", advice=two_norm_advice(A, got)).to_satisfy(
        isinstance(got, (float, np.floating)) and np.isclose(got, want, rtol=1e-8, atol=0),
        f"expected max |λᵢ| = {want:.10g} (a float)",
    )


@points(2)
def test_spectral_radius_is_positive_when_the_dominant_eigenvalue_is_negative(submission, rng):
    n = int(rng.integers(8, 16))
    A = nonsymmetric(rng, n, top=-float(rng.uniform(2, 6)))
    want = float(np.max(np.abs(np.linalg.eigvals(A))))
    got = submission.spectral_radius(A)
    expect(got, "ρ(A)", advice=[two_norm_advice(A, got), advice(
        f"That is the dominant eigenvalue itself, {-want:.6g}: the spectral radius is its modulus, abs(λ).",
        when=near(got, -want, 1e-8),
    )]).to_satisfy(
        isinstance(got, (float, np.floating)) and np.isclose(got, want, rtol=1e-8, atol=0),
        f"expected max |λᵢ| = {want:.10g}, a modulus (never negative); the dominant eigenvalue here is {-want:.6g}.",
    )


# --- second_eigenpair --------------------------------------------------------------

def deflation_input(rng, n, top):
    # λ₂ = 0.7 λ₁ > 0, and some eigenvalue near -0.55 λ₁, so the eigenvalue farthest from λ₁ is not λ₂;
    # |λ₁| ≥ 5, so that λ₁ − 1 (a deflation without λ₁) still dominates λ₂.
    lam = np.concatenate([[top, 0.7 * top, -0.55 * top], rng.uniform(-0.5, 0.5, size=n - 3) * top])
    return inputs.symmetric_with_eigenvalues(rng, lam)


@points(3)
def test_second_eigenpair_agrees_with_eigh_up_to_sign(submission, rng):
    n = int(rng.integers(10, 20))
    A = deflation_input(rng, n, float(rng.uniform(5, 10)))
    got_lam, v2 = pair(submission.second_eigenpair(A))
    want_lam, want_v, lam1 = second_largest(A)
    expect(got_lam, "λ₂", advice=deflation_advice(A, got_lam)).to_satisfy(
        isinstance(got_lam, (float, np.floating)) and np.isclose(got_lam, want_lam, rtol=1e-8, atol=1e-10),
        f"expected λ₂ = {want_lam:.10g} (λ₁ = {lam1:.6g}), a float: the dominant eigenvalue of the deflated "
        "matrix B = A − λ₁ v₁ v₁ᵀ.",
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
    expect(v2, "v₂", advice=advice(
        "v₂ is (up to sign) v₁ itself: the matrix you ran power iteration on still had λ₁'s pair on top. "
        "Deflation removes it: B = A − λ₁ v₁ v₁ᵀ.", when=overlap > 1 - 1e-6,
    )).to_satisfy(
        overlap <= 1e-7,
        f"|v₁ · v₂| = {overlap:.3g}: for a symmetric matrix the second eigenvector is orthogonal to the first.",
    )
    res = relative_residual(A, got_lam, v2)
    expect(v2, "v₂").to_satisfy(
        res <= 1e-8 and abs(np.linalg.norm(v2) - 1) <= 1e-8,
        f"(λ₂, v₂) must be an eigenpair of A itself with ‖v₂‖ = 1: ‖Av₂ − λ₂v₂‖ / ‖A‖_F = {res:.3g}, "
        f"‖v₂‖ = {np.linalg.norm(v2):.10g}",
    )


@points(1)
def test_second_eigenpair_leaves_A_unchanged(submission, rng):
    n = int(rng.integers(6, 12))
    A = deflation_input(rng, n, float(rng.uniform(5, 10)))
    original = A.copy()
    value, (after, *_), _ = submission.inputs_after("second_eigenpair", A)
    got_lam, v2 = pair(value)
    # The eigenpair first: leaving A alone earns nothing if what comes back is not (λ₂, v₂).
    want_lam, want_v, lam1 = second_largest(original)
    with stage("its eigenpair"):
        expect(got_lam, "λ₂", advice=deflation_advice(original, got_lam)).to_satisfy(
            isinstance(got_lam, (float, np.floating)) and np.isclose(got_lam, want_lam, rtol=1e-8, atol=1e-10),
            f"expected λ₂ = {want_lam:.10g} (λ₁ = {lam1:.6g}), a float",
        )
        same_up_to_sign(v2, want_v, "v₂")
    _, v1 = dominant(original)
    deflated = original - lam1 * np.outer(v1, v1)
    expect(value, "the result", advice=advice(
        "The caller's A now holds A − λ₁ v₁ v₁ᵀ: the deflation was done in place (A -= ...). Build the deflated "
        "matrix as a new array: B = A - lam1 * np.outer(v1, v1).",
        when=isinstance(after, np.ndarray) and after.shape == A.shape and np.allclose(after, deflated, rtol=1e-6, atol=1e-8),
    )).to_satisfy(
        isinstance(after, np.ndarray) and np.array_equal(after, original),
        "the eigenpair is right, but second_eigenpair changed the caller's A: it must be left unchanged.",
    )
