"""Known-wrong variants of ex05, each with the feedback it earns."""

import numpy as np

from grader.checking.misconceptions import Misconception, sibling_reference

ref = sibling_reference(__file__)


def _start(A, seed):
    v = np.random.default_rng(seed).standard_normal(A.shape[0]).astype(A.dtype)
    return v / np.linalg.norm(v)


unnormalised = Misconception(
    "v never rescaled",
    "v was multiplied by A again and again without being rescaled, so its length grows (or shrinks) "
    "like |λ₁|ᵏ until it overflows to inf or underflows to 0, and then NaN appears. Divide by the "
    "norm after every product: v = w / np.linalg.norm(w).",
)


@unnormalised
def power_iteration(A, tol=1e-10, max_iter=10_000, seed=0):
    A = np.asarray(A)
    v = _start(A, seed)
    threshold = tol * np.linalg.norm(A)
    lam, iterations = 0.0, 0
    with np.errstate(all="ignore"):
        while iterations < max_iter:
            iterations += 1
            w = A @ v
            lam = float(v @ w / (v @ v))
            if np.linalg.norm(w - lam * v) <= threshold * np.linalg.norm(v):
                break
            v = w
        return lam, v / np.linalg.norm(v), iterations


lambda_change = Misconception(
    "stopped when λ stopped changing",
    "the loop stopped when the eigenvalue estimate stopped changing. The Rayleigh quotient converges "
    "twice as fast as the vector (its error is the square of v's), so at that point v is still far "
    "from the eigenvector. Stop on the residual ‖Av − λv‖ ≤ tol · ‖A‖_F instead.",
)


@lambda_change
def power_iteration(A, tol=1e-10, max_iter=10_000, seed=0):  # noqa: F811
    A = np.asarray(A)
    v = _start(A, seed)
    threshold = tol * np.linalg.norm(A)
    lam, old, iterations = 0.0, np.inf, 0
    while iterations < max_iter:
        iterations += 1
        w = A @ v
        lam = float(v @ w)
        if abs(lam - old) <= threshold:
            break
        old = lam
        v = w / np.linalg.norm(w)
    return lam, v, iterations


vector_change = Misconception(
    "stopped when v stopped changing",
    "the loop stopped when v stopped changing. For a negative dominant eigenvalue, A v points the "
    "other way, so v flips sign at every step and never stops changing: the loop ran to max_iter. "
    "Stop on the residual ‖Av − λv‖, which does not depend on the sign of v.",
)


@vector_change
def power_iteration(A, tol=1e-10, max_iter=10_000, seed=0):  # noqa: F811
    A = np.asarray(A)
    v = _start(A, seed)
    lam, iterations = 0.0, 0
    while iterations < max_iter:
        iterations += 1
        w = A @ v
        lam = float(v @ w)
        new = w / np.linalg.norm(w)
        done = np.linalg.norm(new - v) <= tol
        v = new
        if done:
            break
    return lam, v, iterations


norm_estimate = Misconception(
    "eigenvalue estimated by ‖Av‖",
    "the eigenvalue came back positive although the dominant eigenvalue is negative: ‖Av‖ (or abs(λ)) "
    "is |λ|, not λ. Use the Rayleigh quotient λ = vᵀ(Av) for a unit v, which keeps the sign.",
)


@norm_estimate
def power_iteration(A, tol=1e-10, max_iter=10_000, seed=0):  # noqa: F811
    lam, v, iterations = ref.power_iteration(A, tol, max_iter, seed)
    return abs(lam), v, iterations


no_division = Misconception(
    "Rayleigh quotient without dividing by vᵀv",
    "you returned vᵀAv. That is the eigenvalue estimate only for a unit vector; for any other v it is "
    "scaled by ‖v‖². Divide by v @ v.",
)


@no_division
def rayleigh_quotient(A, v):
    return float(v @ A @ v)


plus_deflation = Misconception(
    "deflated with a plus sign",
    "you added λ₁ v₁ v₁ᵀ instead of subtracting it, so v₁ became an eigenvector of eigenvalue 2λ₁ and "
    "power iteration found v₁ again. Deflation removes the pair: B = A − λ₁ v₁ v₁ᵀ.",
)


@plus_deflation
def second_eigenpair(A, tol=1e-10, max_iter=10_000, seed=0):
    lam1, v1, _ = ref.power_iteration(A, tol, max_iter, seed)
    lam2, v2, _ = ref.power_iteration(A + lam1 * np.outer(v1, v1), tol, max_iter, seed)
    return lam2, v2


in_place = Misconception(
    "deflated the caller's matrix in place",
    "A -= λ₁ v₁ v₁ᵀ changed the matrix the caller passed in, so their A is not the one they had. "
    "Build the deflated matrix as a new array: B = A - lam1 * np.outer(v1, v1).",
)


@in_place
def second_eigenpair(A, tol=1e-10, max_iter=10_000, seed=0):  # noqa: F811
    lam1, v1, _ = ref.power_iteration(A, tol, max_iter, seed)
    A -= lam1 * np.outer(v1, v1)
    lam2, v2, _ = ref.power_iteration(A, tol, max_iter, seed)
    return lam2, v2


shifted = Misconception(
    "shifted by λ₁·I instead of deflating",
    "you used A − λ₁ I. A shift moves every eigenvalue by λ₁, so power iteration then finds the "
    "eigenvalue farthest from λ₁, which need not be λ₂. Deflation is a rank-one change that only "
    "touches v₁: B = A − λ₁ np.outer(v₁, v₁).",
)


@shifted
def second_eigenpair(A, tol=1e-10, max_iter=10_000, seed=0):  # noqa: F811
    lam1, _, _ = ref.power_iteration(A, tol, max_iter, seed)
    lam, v, _ = ref.power_iteration(A - lam1 * np.eye(len(A)), tol, max_iter, seed)
    return lam + lam1, v


two_norm = Misconception(
    "spectral radius taken as the 2-norm",
    "you returned the largest singular value ‖A‖₂. For a symmetric matrix it equals max |λᵢ|, but for "
    "a general matrix it can be much larger. The spectral radius is |λ| of the dominant eigenpair "
    "that power iteration finds.",
)


@two_norm
def spectral_radius(A):
    return float(np.linalg.norm(A, 2))


signed_radius = Misconception(
    "spectral radius with a sign",
    "you returned the dominant eigenvalue itself, which is negative here. The spectral radius is a "
    "modulus, max |λᵢ|: return abs(λ).",
)


@signed_radius
def spectral_radius(A):
    return ref.power_iteration(A)[0]


upcast = Misconception(
    "float32 turned into float64",
    "A was float32 but v came back float64: the start vector from np.random's standard_normal is float64, and "
    "A @ v with a float64 v promotes every product. Cast the start vector with .astype(A.dtype).",
)


@upcast
def power_iteration(A, tol=1e-10, max_iter=10_000, seed=0):  # noqa: F811
    A = np.asarray(A)
    v = np.random.default_rng(seed).standard_normal(A.shape[0])
    v /= np.linalg.norm(v)
    threshold = tol * np.linalg.norm(A)
    lam, iterations = 0.0, 0
    while iterations < max_iter:
        iterations += 1
        w = A @ v
        lam = float(v @ w)
        if np.linalg.norm(w - lam * v) <= threshold:
            break
        v = w / np.linalg.norm(w)
    return lam, v, iterations


absolute_tol = Misconception(
    "tolerance not scaled by ‖A‖",
    "the loop stopped when ‖Av − λv‖ ≤ tol, a fixed number. The residual scales with A: for a matrix with "
    "entries around 1e-100 it is below any fixed tol after the first product, before v has moved (and for "
    "entries around 1e100 it never gets there). Stop when ‖Av − λv‖ ≤ tol · np.linalg.norm(A).",
)


@absolute_tol
def power_iteration(A, tol=1e-10, max_iter=10_000, seed=0):  # noqa: F811
    A = np.asarray(A)
    v = _start(A, seed)
    lam, iterations = 0.0, 0
    while iterations < max_iter:
        iterations += 1
        w = A @ v
        lam = float(v @ w)
        if np.linalg.norm(w - lam * v) <= tol:
            break
        v = w / np.linalg.norm(w)
    return lam, v, iterations


max_norm = Misconception(
    "v scaled by its largest entry",
    "v was rescaled by its largest entry (w / max|wᵢ|), the textbook variant of the power method. That keeps "
    "v from overflowing, but the vector you return is not a unit vector: its largest entry is 1, its length "
    "is more. The contract asks for ‖v‖ = 1: divide by np.linalg.norm(w) (and then λ = vᵀ(Av)).",
)


@max_norm
def power_iteration(A, tol=1e-10, max_iter=10_000, seed=0):  # noqa: F811
    A = np.asarray(A)
    v = np.random.default_rng(seed).standard_normal(A.shape[0]).astype(A.dtype)
    v = v / np.abs(v).max()
    threshold = tol * np.linalg.norm(A)
    lam, iterations = 0.0, 0
    while iterations < max_iter:
        iterations += 1
        w = A @ v
        lam = float(v @ w / (v @ v))
        if np.linalg.norm(w - lam * v) <= threshold * np.linalg.norm(v):
            break
        v = w / np.abs(w).max()
    return lam, v, iterations


divided_by_norm = Misconception(
    "Rayleigh quotient divided by ‖v‖",
    "you returned vᵀAv / ‖v‖. Scaling v by c scales vᵀAv by c², so the division must be by ‖v‖² = v @ v for "
    "the result not to depend on v's length.",
)


@divided_by_norm
def rayleigh_quotient(A, v):  # noqa: F811
    return float(v @ A @ v / np.linalg.norm(v))


no_lambda_deflation = Misconception(
    "deflated without λ₁",
    "you subtracted np.outer(v1, v1) without the factor λ₁. That lowers v₁'s eigenvalue by 1, not to 0, so for "
    "|λ₁| > 1 power iteration can still find v₁ first. Deflation removes the whole pair: B = A − λ₁ v₁ v₁ᵀ.",
)


@no_lambda_deflation
def second_eigenpair(A, tol=1e-10, max_iter=10_000, seed=0):  # noqa: F811
    lam1, v1, _ = ref.power_iteration(A, tol, max_iter, seed)
    lam2, v2, _ = ref.power_iteration(A - np.outer(v1, v1), tol, max_iter, seed)
    return lam2, v2


scalar_deflation = Misconception(
    "v₁ v₁ᵀ written as v1 @ v1.T",
    "for a 1-D array, v1.T is v1 itself, so v1 @ v1.T is the number vᵀv = 1, not the matrix v₁ v₁ᵀ: A − λ₁ · 1 "
    "subtracts λ₁ from every entry of A. The rank-one matrix is np.outer(v1, v1): B = A − λ₁ np.outer(v1, v1).",
)


@scalar_deflation
def second_eigenpair(A, tol=1e-10, max_iter=10_000, seed=0):  # noqa: F811
    lam1, v1, _ = ref.power_iteration(A, tol, max_iter, seed)
    lam2, v2, _ = ref.power_iteration(A - lam1 * v1 @ v1.T, tol, max_iter, seed)
    return lam2, v2
