"""Known-wrong variants of ex13, each with the feedback it earns."""

import math

import numpy as np

from grader.checking.misconceptions import Misconception, sibling_reference

ref = sibling_reference(__file__)

upcast = Misconception(
    "float32 turned into float64",
    "float32 inputs came back as float64. Arrays you create yourself (np.zeros, np.eye, np.array of a "
    "list) are float64 by default and promote everything they touch; build them with dtype=A.dtype, or "
    "cast the result back with .astype(A.dtype).",
)


@upcast
def lstsq_normal(A, b):
    return ref.lstsq_normal(A.astype(np.float64), b.astype(np.float64))


@upcast
def lstsq_qr(A, b):
    return ref.lstsq_qr(A.astype(np.float64), b.astype(np.float64))


@upcast
def lstsq_svd(A, b, rcond=1e-12):
    return ref.lstsq_svd(A.astype(np.float64), b.astype(np.float64), rcond)


kappa_of_gram = Misconception(
    "condition number of AᵀA instead of A",
    "your condition number is the square of A's: it looks like the ratio of the eigenvalues of AᵀA "
    "(which are σᵢ²). κ₂(A) = σ_max/σ_min uses the singular values of A itself; squaring it is exactly "
    "what the normal equations do to the problem, which is the point of this exercise.",
)


@kappa_of_gram
def condition_number(A):
    w = np.linalg.eigvalsh(A.T @ A)
    return float(w[-1] / w[0])


frobenius = Misconception(
    "Frobenius-norm condition number",
    "you multiplied Frobenius norms, ‖A‖_F·‖A⁺‖_F = √(Σσᵢ²)·√(Σ1/σᵢ²). That overstates the 2-norm "
    "condition number (it is n even for orthonormal columns). The digits-lost rule uses κ₂ = σ_max/σ_min.",
)


@frobenius
def condition_number(A):
    s = np.linalg.svd(A, compute_uv=False)
    return float(np.sqrt(np.sum(s**2)) * np.sqrt(np.sum(1.0 / s**2)))


normal_in_qr = Misconception(
    "normal equations inside lstsq_qr",
    "your QR solver is exactly as inaccurate as the normal equations: it formed AᵀA somewhere (for example "
    "solving RᵀR x = Aᵀb, or factoring AᵀA). The gain of QR comes from never squaring A: with A = QR, "
    "the least-squares solution solves the triangular system R x = Qᵀb.",
)


@normal_in_qr
def lstsq_qr(A, b):
    return np.linalg.solve(A.T @ A, A.T @ b)


rcond_ignored = Misconception(
    "rcond ignored",
    "you divided by every singular value, even those below rcond·σ_max. A singular value of 1e-13 on a "
    "matrix of size 1 is rounding noise, and dividing by it multiplies the noise by 1e13. Keep only the "
    "σᵢ > rcond·σ_max (the others' terms are dropped), which gives the minimum-norm solution.",
)


@rcond_ignored
def lstsq_svd(A, b, rcond=1e-12):
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return Vt.T @ ((U.T @ b) / s)


rcond_absolute = Misconception(
    "absolute rcond cutoff",
    "you compared the singular values with rcond itself (s > rcond) rather than with rcond·σ_max. rcond "
    "is relative: multiplying A by 1000 multiplies every σᵢ by 1000 and must not change which ones count "
    "as zero. Use keep = s > rcond * s[0].",
)


@rcond_absolute
def lstsq_svd(A, b, rcond=1e-12):
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    keep = s > rcond
    return Vt[keep].T @ ((U[:, keep].T @ b) / s[keep])


vt_for_v = Misconception(
    "Vᵀ used where V belongs",
    "np.linalg.svd returns Vᵀ (often named Vh or Vt), not V. The pseudo-inverse is A⁺ = V Σ⁺ Uᵀ, so the "
    "last step is Vt.T @ y (or y @ Vt), not Vt @ y.",
)


@vt_for_v
def lstsq_svd(A, b, rcond=1e-12):
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    keep = s > rcond * s[0]
    y = np.zeros_like(s)
    y[keep] = (U[:, keep].T @ b) / s[keep]
    return Vt @ y


digits_not_doubled = Misconception(
    "the normal equations lose log10 κ digits",
    "the normal equations solve a problem whose matrix is AᵀA, and κ(AᵀA) = κ(A)². So they lose "
    "log10(κ²) = 2·log10 κ digits, twice what QR or the SVD lose on the same A.",
)


@digits_not_doubled
def digits_lost(kappa, method):
    return math.log10(kappa)


inverted_ratio = Misconception(
    "σ_min/σ_max instead of σ_max/σ_min",
    "your condition number is the reciprocal of A's: σ_min/σ_max, a number at most 1. np.linalg.svd returns "
    "the singular values largest first, so κ₂(A) = s[0] / s[-1] (or s.max() / s.min()), which is at least 1.",
)


@inverted_ratio
def condition_number(A):
    s = np.linalg.svd(A, compute_uv=False)
    return float(s[-1] / s[0])


complete_qr = Misconception(
    "complete QR instead of the reduced one",
    "with mode='complete' np.linalg.qr returns Q of shape (m, m) and R of shape (m, n), which is not square, "
    "so R x = Qᵀb cannot be solved as it stands. Use the reduced factorisation (np.linalg.qr(A), the default "
    "mode): Q (m, n) and R (n, n), then np.linalg.solve(R, Q.T @ b).",
)


@complete_qr
def lstsq_qr(A, b):
    Q, R = np.linalg.qr(A, mode="complete")
    return np.linalg.solve(R, Q.T @ b)


full_svd = Misconception(
    "full SVD instead of the reduced one",
    "np.linalg.svd(A) returns the full factors by default: U of shape (m, m) and Vᵀ of shape (n, n), while s "
    "has only min(m, n) values, so a mask over s does not fit U's columns (or Vᵀ's rows). Ask for the "
    "reduced factors, np.linalg.svd(A, full_matrices=False): U (m, k), s (k,), Vᵀ (k, n) with k = min(m, n).",
)


@full_svd
def lstsq_svd(A, b, rcond=1e-12):
    U, s, Vt = np.linalg.svd(A)
    keep = s > rcond * s[0]
    return Vt[keep].T @ ((U[:, keep].T @ b) / s[keep])


sigma_not_inverted = Misconception(
    "Σ used where Σ⁺ belongs",
    "you multiplied by the singular values instead of dividing: V Σ Uᵀ b is Aᵀb, not the solution. The "
    "pseudo-inverse inverts each kept singular value, A⁺ = V Σ⁺ Uᵀ with Σ⁺ = diag(1/σᵢ): x = Vt.T @ ((U.T @ b) / s).",
)


@sigma_not_inverted
def lstsq_svd(A, b, rcond=1e-12):
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    keep = s > rcond * s[0]
    return Vt[keep].T @ ((U[:, keep].T @ b) * s[keep])


natural_log = Misconception(
    "natural logarithm instead of log10",
    "you counted the digits with the natural logarithm (math.log, np.log): ln κ is 2.3 times log10 κ. Decimal "
    "digits are powers of ten: use math.log10(κ) (and 2·math.log10(κ) for the normal equations).",
)


@natural_log
def digits_lost(kappa, method):
    return (2.0 if method == "normal" else 1.0) * math.log(kappa)


svd_doubled = Misconception(
    "the SVD counted like the normal equations",
    "you gave the SVD the normal equations' 2·log10 κ. The SVD of A (like its QR) never forms AᵀA: it works on A "
    "itself and is backward stable, so it loses log10 κ digits. Only the normal equations square κ.",
)


@svd_doubled
def digits_lost(kappa, method):
    return (1.0 if method == "qr" else 2.0) * math.log10(kappa)
