"""Checks for ex13: least squares and conditioning.

Every matrix is built with an exact, chosen condition number, so each bound below is a
known multiple of κ·eps (QR, SVD) or κ²·eps (normal equations). A failure says what was
expected and what came back; a likely cause is added only where the returned value shows it
(κ², 1/κ or the Frobenius value for the condition number, a solution as large as 1/σ for a
dropped singular value, the answer of an absolute cutoff, and so on).
"""

import math

import numpy as np

from grader.checking import advice, expect, inputs, points

EPS = np.finfo(np.float64).eps


def problem(rng, m, n, kappa, residual=0.0):
    """(A, b, x_true): A (m, n) with condition number exactly kappa and a random scale;
    b = A x_true plus, if asked, a residual orthogonal to A's columns (so x_true is still
    the least-squares solution) of relative size ``residual``."""
    A = inputs.with_condition_number(rng, m, n, kappa) * 10 ** rng.uniform(-2, 2)
    x_true = rng.standard_normal(n) + rng.uniform(-1, 1)
    b = A @ x_true
    if residual:
        Q, _ = np.linalg.qr(A)
        r = rng.standard_normal(m)
        r -= Q @ (Q.T @ r)
        b = b + residual * np.linalg.norm(b) * r / np.linalg.norm(r)
    return A, b, x_true


def rel_error(x, x_true):
    return float(np.linalg.norm(np.asarray(x, dtype=np.float64) - x_true) / np.linalg.norm(x_true))


def digits(err):
    return -math.log10(max(err, 1e-17))


def is_vector(x, n):
    return isinstance(x, np.ndarray) and x.shape == (n,) and x.dtype.kind == "f" and bool(np.isfinite(x).all())


def is_number(x):
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def close(x, y, rtol):
    """x ≈ y for a learner's value that may be anything: False rather than an error."""
    return is_number(x) and math.isfinite(float(x)) and abs(float(x) - y) <= rtol * abs(y)


def near(x, want, rtol=1e-8):
    """A learner's x is the vector ``want`` (to rtol): the evidence that it computed that."""
    return (isinstance(x, np.ndarray) and x.shape == want.shape
            and bool(np.linalg.norm(np.asarray(x, dtype=np.float64) - want) <= rtol * np.linalg.norm(want)))


def solves_normal_equations(A, b, x, eps):
    """Whether x solves AᵀA x = Aᵀb to the backward error of a solve in precision ``eps``: the evidence
    that AᵀA was formed (a wrong x of another kind does not solve them; a right one is not judged by it)."""
    if not (isinstance(x, np.ndarray) and x.shape == (A.shape[1],) and np.isfinite(x).all()):
        return False
    A, b, x = (np.asarray(v, dtype=np.float64) for v in (A, b, x))
    nA = np.linalg.norm(A, 2)
    r = A.T @ (A @ x) - A.T @ b
    return bool(np.linalg.norm(r) <= 1e3 * eps * (nA * nA * np.linalg.norm(x) + nA * np.linalg.norm(b)))


def kappa_advice(A):
    """What a wrong condition number of A would be, for each known way of getting it wrong."""
    s = np.linalg.svd(A, compute_uv=False)
    kappa = s[0] / s[-1]
    frobenius = math.sqrt(np.sum(s**2)) * math.sqrt(np.sum(1.0 / s**2))
    return [
        advice(f"Your value is κ² = {kappa ** 2:.6g}, the condition number of AᵀA (whose eigenvalues are σᵢ²), "
               "not of A: use the singular values of A itself.",
               when=lambda got: close(got, kappa**2, 1e-6) and kappa > 1 + 1e-6),
        advice(f"Your value is 1/κ = {1 / kappa:.6g}, σ_min/σ_max: the ratio is the other way round, the largest "
               "singular value over the smallest, and is never below 1.",
               when=lambda got: close(got, 1 / kappa, 1e-6) and kappa > 1 + 1e-6),
        advice(f"Your value is ‖A‖_F·‖A⁺‖_F = {frobenius:.6g}, the condition number in the Frobenius norm; "
               "κ₂ uses the 2-norm, σ_max/σ_min.",
               when=lambda got: close(got, frobenius, 1e-6) and abs(frobenius - kappa) > 1e-6 * kappa),
    ]


# --- the condition number ---------------------------------------------------------

@points(3)
def test_condition_number_is_largest_over_smallest_singular_value(submission, rng):
    kappa = 10 ** rng.uniform(1, 8)
    A, _, _ = problem(rng, 30, 6, kappa)
    got = submission.condition_number(A)
    expect(got, "κ(A)", advice=kappa_advice(A)).to_satisfy(
        isinstance(got, (float, np.floating)) and math.isfinite(got) and abs(got - kappa) <= 1e-6 * kappa,
        f"A was built with singular values from σ_max to σ_min = σ_max/{kappa:.6g}, so κ₂(A) = σ_max/σ_min = "
        f"{kappa:.6g} (a Python float).",
    )


@points(1)
def test_orthonormal_columns_have_condition_number_one_and_stretching_one_by_c_gives_c(submission, rng):
    Q = inputs.orthonormal(rng, 25, 5) * 10 ** rng.uniform(-2, 2)
    got = submission.condition_number(Q)
    expect(got, "κ(Q)", advice=kappa_advice(Q)).to_satisfy(
        isinstance(got, (float, np.floating)) and abs(got - 1.0) < 1e-9,
        "the columns of this matrix are orthogonal and all of the same length, so every singular value is the same "
        "and κ₂ = σ_max/σ_min = 1 (the best possible).",
    )
    c = 10 ** rng.uniform(0.5, 3)
    stretch = np.ones(5)
    stretch[rng.integers(5)] = c
    got = submission.condition_number(Q * stretch)
    expect(got, "κ of Q with one column stretched", advice=[
        *kappa_advice(Q * stretch),
        advice("Your value is 1 again, as for Q itself: it did not change with the matrix.", when=lambda g: close(g, 1.0, 1e-9)),
    ]).to_satisfy(
        isinstance(got, (float, np.floating)) and abs(got - c) <= 1e-9 * c,
        f"κ(Q) = 1 was right, but after multiplying one of Q's columns by c = {c:.6g} the singular values are c·s once "
        f"and s four times (s: the common length of Q's columns), so κ₂ = σ_max/σ_min = {c:.6g}.",
    )


@points(1)
def test_condition_number_of_square_and_single_column_matrices(submission, rng):
    kappa = 10 ** rng.uniform(1, 4)
    S = inputs.with_condition_number(rng, 7, 7, kappa)
    got = submission.condition_number(S)
    expect(got, "κ of a square matrix", advice=kappa_advice(S)).to_satisfy(
        isinstance(got, (float, np.floating)) and abs(got - kappa) <= 1e-8 * kappa,
        f"expected κ₂ = {kappa:.6g} for a 7×7 matrix with that ratio of singular values",
    )
    a = rng.standard_normal((12, 1)) * 10 ** rng.uniform(-2, 2)
    got = submission.condition_number(a)
    expect(got, "κ of one column").to_satisfy(
        isinstance(got, (float, np.floating)) and abs(got - 1.0) < 1e-12,
        "a single column has one singular value (its length), so σ_max/σ_min = 1",
    )


# --- the three solvers on well-conditioned problems --------------------------------

@points(3)
def test_normal_equations_solve_a_well_conditioned_problem(submission, rng):
    A, b, x_true = problem(rng, 40, 5, 20.0, residual=0.3)
    expect(submission.lstsq_normal(A, b), "x").to_match(x_true, rtol=1e-8, atol=1e-10 * np.linalg.norm(x_true))


@points(2)
def test_qr_solution_matches_on_a_tall_problem(submission, rng):
    A, b, x_true = problem(rng, 50, 6, 1e3, residual=0.5)
    expect(submission.lstsq_qr(A, b), "x").to_match(x_true, rtol=1e-8, atol=1e-10 * np.linalg.norm(x_true))


@points(3)
def test_qr_residual_is_orthogonal_to_the_columns_of_A(submission, rng):
    A, b, _ = problem(rng, 40, 6, 10 ** rng.uniform(4, 5), residual=1.0)
    x = submission.lstsq_qr(A, b)
    expect(x, "x").to_satisfy(is_vector(x, 6), "expected a finite float array of shape (n,) = (6,)")
    nA = np.linalg.norm(A, 2)
    r = b - A @ x
    ratio = np.linalg.norm(A.T @ r) / (nA * (nA * np.linalg.norm(x) + np.linalg.norm(b)))
    expect(x, "x").to_satisfy(
        ratio <= 100 * EPS,
        f"at the least-squares solution the residual r = b − Ax is orthogonal to every column of A (Aᵀr = 0). "
        f"Yours has ‖Aᵀr‖ / (‖A‖(‖A‖‖x‖ + ‖b‖)) = {ratio:.3g}, expected below {100 * EPS:.2g}.",
    )


@points(2)
def test_svd_solution_matches_on_a_tall_problem(submission, rng):
    A, b, x_true = problem(rng, 45, 6, 1e3, residual=0.5)
    expect(submission.lstsq_svd(A, b), "x").to_match(x_true, rtol=1e-8, atol=1e-10 * np.linalg.norm(x_true))


@points(2)
def test_one_column_problems_reduce_to_a_projection(submission, rng):
    a = rng.standard_normal((15, 1)) + rng.uniform(-1, 1)
    b = rng.standard_normal(15)
    x = np.array([a[:, 0] @ b / (a[:, 0] @ a[:, 0])])
    for name in ("lstsq_normal", "lstsq_qr", "lstsq_svd"):
        expect(getattr(submission, name)(a, b), f"{name} with one column").to_match(x, rtol=1e-10, atol=1e-12)


@points(2)
def test_float32_problems_give_float32_solutions(submission, rng):
    # float32 keeps about 7 digits. κ = 10 for the normal equations (κ² = 100 costs 2 of them);
    # κ = 1e4 for QR and SVD, which keep about 3 digits there, while AᵀA (κ² = 1e8) would be hopeless.
    for name, kappa, tol in (("lstsq_normal", 10.0, 1e-3), ("lstsq_qr", 1e4, 3e-3), ("lstsq_svd", 1e4, 3e-3)):
        A, b, x_true = problem(rng, 30, 4, kappa)
        A32, b32 = A.astype(np.float32), b.astype(np.float32)
        x = getattr(submission, name)(A32, b32)
        expect(x, f"{name} on float32", advice=advice(
            "float64 came back: arrays you create yourself (np.zeros, np.eye, np.array of a list) are float64 by "
            "default and promote everything they touch; build them with dtype=A.dtype, or cast the result back.",
            when=lambda got: isinstance(got, np.ndarray) and got.dtype == np.float64,
        )).to_satisfy(
            isinstance(x, np.ndarray) and x.dtype == np.float32 and x.shape == (4,),
            "float32 A and b must give a float32 x of shape (n,) = (4,)",
        )
        err = rel_error(x, x_true)
        expect(x, f"{name} on float32", advice=advice(
            "An error this large is what forming AᵀA gives in float32 at κ(A) = 1e4: κ² = 1e8 is past float32's "
            "7 digits. QR or the SVD of A itself keep about 7 − log10 κ ≈ 3 digits here.",
            when=name != "lstsq_normal" and err >= 1e-2 and solves_normal_equations(A32, b32, x, np.finfo(np.float32).eps),
        )).to_satisfy(
            err <= tol,
            f"in float32 (about 7 digits) this problem with κ(A) = {kappa:g} should be solved to a relative error "
            f"below {tol:g}; yours is {err:.3g}",
        )


# --- what ill-conditioning does to each method --------------------------------------

@points(3)
def test_qr_keeps_about_sixteen_minus_log10_kappa_digits(submission, rng):
    kappa = 10 ** rng.uniform(7, 7.5)
    A, b, x_true = problem(rng, 60, 8, kappa)
    x = submission.lstsq_qr(A, b)
    expect(x, "x").to_satisfy(is_vector(x, 8), "expected a finite float array of shape (n,) = (8,)")
    err = rel_error(x, x_true)
    expect(x, "x", advice=advice(
        "Yours lost about 2·log10 κ digits and solves AᵀA x = Aᵀb to rounding: AᵀA was formed somewhere (the "
        "normal equations, a Cholesky factor of AᵀA), which squares κ. The QR of A itself never does: solve R x = Qᵀb.",
        when=lambda got: err >= 1e-2 * kappa**2 * EPS and solves_normal_equations(A, b, got, EPS),
    )).to_satisfy(
        err <= 1e3 * kappa * EPS,
        f"on this consistent problem with κ(A) = {kappa:.3g} a backward-stable QR solve keeps about "
        f"16 − log10 κ ≈ {16 - math.log10(kappa):.1f} correct digits (relative error near κ·eps = {kappa * EPS:.1g}); "
        f"yours has relative error {err:.2g} ({digits(err):.1f} digits).",
    )


@points(2)
def test_normal_equations_solve_an_easy_problem_but_lose_about_twice_the_digits_on_a_hard_one(submission, rng):
    A, b, x_true = problem(rng, 30, 8, 10.0, residual=0.3)
    x = submission.lstsq_normal(A, b)
    expect(x, "x").to_satisfy(is_vector(x, 8), "expected a finite float array of shape (n,) = (8,)")
    err = rel_error(x, x_true)
    expect(x, "x on a well-conditioned problem").to_satisfy(
        err <= 1e-10,
        f"on this problem with κ(A) = 10 the normal equations AᵀA x = Aᵀb give the least-squares solution to "
        f"about 14 digits, but yours has relative error {err:.2g}. Once this is right, the check goes on to an "
        "ill-conditioned problem, where the normal equations should lose about twice the digits QR loses.",
    )
    kappa = 10 ** rng.uniform(7, 7.5)
    A, b, x_true = problem(rng, 60, 8, kappa)
    x = submission.lstsq_normal(A, b)
    expect(x, "x").to_satisfy(is_vector(x, 8), "expected a finite float array of shape (n,) = (8,)")
    err = rel_error(x, x_true)
    expect(x, "x").to_satisfy(
        err >= 100 * kappa * EPS,
        f"κ(AᵀA) = κ(A)² = {kappa ** 2:.3g}, so solving AᵀA x = Aᵀb in float64 keeps only about "
        f"16 − 2·log10 κ ≈ {16 - 2 * math.log10(kappa):.1f} digits. Yours kept {digits(err):.1f} digits "
        f"(relative error {err:.2g}), as many as a QR or SVD solve would: lstsq_normal must form AᵀA and Aᵀb "
        "and solve that n×n system (np.linalg.solve(A.T @ A, A.T @ b)), so that you can see what it costs.",
    )


@points(3)
def test_svd_drops_singular_values_below_rcond(submission, rng):
    m, n = 30, 5
    s = np.array([1.0, 0.5, 0.2, 0.1, 1e-13])
    U, V = inputs.orthonormal(rng, m, n), inputs.orthonormal(rng, n)
    A = (U * s) @ V.T
    b = rng.standard_normal(m) + rng.uniform(-1, 1)
    want = V[:, :4] @ ((U[:, :4].T @ b) / s[:4])
    got = submission.lstsq_svd(A, b, rcond=1e-9)
    shaped = isinstance(got, np.ndarray) and got.shape == (n,)
    expect(got, "x", advice=advice(
        "Yours is about 1e13 times too long: that is the term of σ = 1e-13, divided by although it is below the "
        "cutoff. Keep only the σᵢ > rcond·σ_max; the others' terms are dropped.",
        when=lambda x: shaped and np.linalg.norm(x) > 1e6 * np.linalg.norm(want),
    )).to_satisfy(
        is_vector(got, n) and np.linalg.norm(got - want) <= 1e-8 * np.linalg.norm(want),
        f"A's smallest singular value is 1e-13, below rcond·σ_max = 1e-9, so it counts as zero: the expected "
        f"x = Σ over kept i of (uᵢᵀb / σᵢ) vᵢ has norm {np.linalg.norm(want):.4g}"
        + (f", yours has norm {np.linalg.norm(got):.4g}" if shaped else ""),
    )


@points(2)
def test_svd_cutoff_is_relative_to_the_largest_singular_value(submission, rng):
    m, n = 25, 5
    c = 10 ** rng.uniform(3.5, 4.5)
    # rcond·σ_max ≈ 1e-2 drops the last two; an absolute cutoff of 1e-6 would keep c·1e-7 ≈ 1e-3.
    s = np.array([c, 0.6 * c, 0.3 * c, 1e-7 * c, 1e-8])
    U, V = inputs.orthonormal(rng, m, n), inputs.orthonormal(rng, n)
    A = (U * s) @ V.T
    b = rng.standard_normal(m) + rng.uniform(-1, 1)
    want = V[:, :3] @ ((U[:, :3].T @ b) / s[:3])
    absolute = V[:, :4] @ ((U[:, :4].T @ b) / s[:4])  # what comparing s with rcond alone keeps
    got = submission.lstsq_svd(A, b, rcond=1e-6)
    expect(got, "x", advice=advice(
        f"Yours is the solution that keeps σ₄ = {s[3]:.3g} too: the cutoff you used is rcond itself (1e-6), not "
        f"rcond·σ_max = {1e-6 * s[0]:.3g}. rcond is relative: multiplying A by 1000 must not change which σᵢ count.",
        when=lambda x: near(x, absolute),
    )).to_satisfy(
        is_vector(got, n) and np.linalg.norm(got - want) <= 1e-8 * np.linalg.norm(want),
        f"the singular values are {', '.join(f'{v:.3g}' for v in s)}; with rcond = 1e-6 the cutoff is "
        f"rcond·σ_max = {1e-6 * s[0]:.3g}, so the last two count as zero.",
    )


@points(2)
def test_svd_gives_the_minimum_norm_solution_of_a_wide_system(submission, rng):
    A = inputs.with_singular_values(rng, 4, 9, inputs.distinct_singular_values(rng, 4, 0.5, 5.0))
    b = rng.standard_normal(4)
    x = submission.lstsq_svd(A, b)
    want = np.linalg.pinv(A) @ b
    shaped = isinstance(x, np.ndarray) and x.shape == (9,) and bool(np.isfinite(x).all())
    facts = (f"; yours has ‖Ax − b‖ = {np.linalg.norm(A @ x - b):.3g} and ‖x‖ = {np.linalg.norm(x):.4g}"
             if shaped else "")
    expect(x, "x", advice=advice(
        "Your x solves the equations but is longer than the minimum: it has a part in the null space of A "
        "(directions A maps to zero). V Σ⁺ Uᵀ b with the reduced SVD has none: every term is a row of Vᵀ.",
        when=lambda _: shaped and np.linalg.norm(A @ x - b) <= 1e-8 * np.linalg.norm(b)
        and np.linalg.norm(x) > (1 + 1e-6) * np.linalg.norm(want),
    )).to_satisfy(
        is_vector(x, 9) and np.linalg.norm(A @ x - b) <= 1e-10 * np.linalg.norm(b)
        and np.linalg.norm(x - want) <= 1e-9 * np.linalg.norm(want),
        "with 4 equations and 9 unknowns there are infinitely many exact solutions; V Σ⁺ Uᵀ b picks the one of "
        f"smallest norm (‖x‖ = {np.linalg.norm(want):.4g}), which lies in the row space of A" + facts,
    )


# --- predicting the damage ------------------------------------------------------------

def digits_advice(kappa):
    lg = math.log10(kappa)
    return [
        advice(f"Your value is a natural logarithm (ln κ = {math.log(kappa):.4g} or twice it): decimal digits are "
               "counted with log10.",
               when=lambda got: close(got, math.log(kappa), 1e-9) or close(got, 2 * math.log(kappa), 1e-9)),
    ], lg


@points(1)
def test_digits_lost_is_log10_kappa_for_qr_and_svd(submission, rng):
    kappa = 10 ** rng.uniform(1, 12)
    said, lg = digits_advice(kappa)
    for method in ("qr", "svd"):
        expect(submission.digits_lost(kappa, method), f"digits lost by {method}", advice=[
            *said,
            advice(f"Your value is 2·log10 κ, the normal equations' loss: {method} works on A itself and loses log10 κ.",
                   when=lambda got: close(got, 2 * lg, 1e-9)),
        ]).to_be_close_to(lg, rtol=1e-9)


@points(2)
def test_digits_lost_doubles_for_the_normal_equations(submission, rng):
    kappa = 10 ** rng.uniform(2, 7)
    said, lg = digits_advice(kappa)
    got = submission.digits_lost(kappa, "normal")
    expect(got, "digits lost by the normal equations", advice=[
        *said,
        advice("Your value is log10 κ, what QR loses: the normal equations lose twice that.",
               when=lambda g: close(g, lg, 1e-9)),
    ]).to_satisfy(
        is_number(got) and abs(got - 2 * lg) < 1e-9,
        f"forming AᵀA squares the condition number: κ(AᵀA) = κ² = {kappa ** 2:.3g}, so the normal equations lose "
        f"log10(κ²) = 2·log10 κ = {2 * lg:.4g} digits",
    )
