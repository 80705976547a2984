"""Checks for ex08: LoRA, low-rank adaptation of a linear layer.

Convention (the LoRA paper's and peft's): W (d_out, d_in), A (r, d_in), B (d_out, r),
ΔW = (alpha/r)·B A, y = x Wᵀ + (alpha/r)·x Aᵀ Bᵀ. B is never zero here: a freshly
initialised LoRA (B = 0) would let a wrong update pass.
"""

import contextlib
import math

import numpy as np
import torch

from grader.checking import LearnerRaised, advice, expect, fail, inputs, points, stage

F32 = {"rtol": 1e-4, "atol": 1e-4}
PROMOTED = (
    "{what} came back float64 from float32 inputs: a float64 tensor (or a Python float turned into a float64 "
    "tensor, or .double()) mixed in promotes the result. Stay in the inputs' dtype."
)


def t(a, dtype=torch.float64):
    return torch.from_numpy(np.ascontiguousarray(a)).to(dtype)


def lora_layer(rng, d_out, d_in, r, dtype=torch.float64):
    """W, A, B as after some training: the update is as large as the frozen weight's output."""
    W = rng.standard_normal((d_out, d_in)) / math.sqrt(d_in)
    A = rng.standard_normal((r, d_in)) / math.sqrt(d_in)
    B = 0.3 * rng.standard_normal((d_out, r)) + rng.uniform(-0.2, 0.2)
    return t(W, dtype), t(A, dtype), t(B, dtype)


def alpha_for(rng):
    """alpha as people set it (8, 16 or 32): alpha/r is never 1, and never alpha."""
    return float(rng.choice([8.0, 16.0, 32.0]))


def batch(rng, shape, dtype=torch.float64):
    return t(rng.standard_normal(shape) + rng.uniform(-0.5, 0.5), dtype)


def expected_forward(x, W, A, B, alpha, r):
    x64, W64, A64, B64 = (v.detach().double() for v in (x, W, A, B))
    y = x64 @ W64.T + (alpha / r) * (x64 @ A64.T) @ B64.T
    return y.to(x.dtype)


def fro(m):
    return float(torch.linalg.norm(m.detach().double()))


def close(got, want):
    """Whether a learner's tensor equals ``want`` (a float64 tensor, or a thunk making one), to its dtype's
    precision; False on any mismatch."""
    try:
        want = want() if callable(want) else want
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != tuple(want.shape):
            return False
        rtol, atol = (1e-6, 1e-8) if got.dtype == torch.float64 else (1e-4, 1e-5)
        return bool(torch.allclose(got.detach().double(), want, rtol=rtol, atol=atol))
    except (RuntimeError, TypeError, ValueError):
        return False


def forward_advice(y, x, W, A, B, alpha, r):
    """Evidence on a wrong y: what each known slip in y = x Wᵀ + (alpha/r)·(x Aᵀ) Bᵀ would give."""
    x, W, A, B = (v.detach().double() for v in (x, W, A, B))
    path = (x @ A.T) @ B.T
    return [
        advice("Your y is x Wᵀ + alpha·(x Aᵀ) Bᵀ: the low-rank path is scaled by alpha/r, not by alpha.",
               when=close(y, lambda: x @ W.T + alpha * path)),
        advice("Your y is x Wᵀ + (r/alpha)·(x Aᵀ) Bᵀ: the scale is alpha/r, alpha divided by r.",
               when=close(y, lambda: x @ W.T + (r / alpha) * path)),
        advice("Your y is x Wᵀ alone: the low-rank path (alpha/r)·(x Aᵀ) Bᵀ is missing.", when=close(y, lambda: x @ W.T)),
        advice("Your y is x W + (alpha/r)·(x Aᵀ) Bᵀ: W is (d_out, d_in) as in nn.Linear, so the frozen layer is "
               "x Wᵀ (x @ W.T).", when=close(y, lambda: x @ W + (alpha / r) * path)),
        advice("Your y is x Wᵀ + (alpha/r)·x (B A): the update enters transposed, like W: x ΔWᵀ = (alpha/r)·(x Aᵀ) Bᵀ.",
               when=close(y, lambda: x @ W.T + (alpha / r) * x @ (B @ A))),
    ]


def merge_advice(got, W, A, B, alpha, r):
    """Evidence on a wrong W_merged: what each known slip in W + (alpha/r)·B A would give."""
    W, A, B = (v.detach().double() for v in (W, A, B))
    update = B @ A
    return [
        advice("Your W_merged is W − (alpha/r)·B A: merging adds the update (subtracting it is unmerging).",
               when=close(got, lambda: W - (alpha / r) * update)),
        advice("Your W_merged is W + alpha·B A: the update is scaled by alpha/r, not by alpha.",
               when=close(got, lambda: W + alpha * update)),
        advice("Your W_merged is W + (r/alpha)·B A: the scale is alpha/r, alpha divided by r.",
               when=close(got, lambda: W + (r / alpha) * update)),
        advice("Your W_merged is W + (alpha/r)·(B A)ᵀ: ΔW = B A already has W's shape (d_out, d_in), with "
               "B (d_out, r) and A (r, d_in); it is not transposed.", when=close(got, lambda: W + (alpha / r) * update.T)),
    ]


def values_then_dtype(got, want, what, causes, **tolerance):
    """A float32 check: the values first (in a stage), then the dtype."""
    with stage("its values"):
        expect(got, what, advice=causes).to_match(want, check_dtype=False, **tolerance)
    dtype = getattr(got, "dtype", None)
    expect(got, what, advice=advice(PROMOTED.format(what=what), when=dtype == torch.float64)).to_satisfy(
        dtype == want.dtype, f"expected dtype {want.dtype} (the inputs' dtype), got {dtype}")


# --- the forward pass -----------------------------------------------------------------

@points(3)
def test_forward_adds_the_scaled_low_rank_path_to_the_frozen_layer(submission, rng):
    d, r = 10, int(rng.integers(2, 5))
    W, A, B = lora_layer(rng, d, d, r)
    alpha = alpha_for(rng)
    x = batch(rng, (5, d))
    y = submission.lora_forward(x, W, A, B, alpha, r)
    expect(y, "y", advice=forward_advice(y, x, W, A, B, alpha, r)).to_match(expected_forward(x, W, A, B, alpha, r))


@points(2)
def test_forward_keeps_batch_and_sequence_dimensions(submission, rng):
    d_out, d_in, r = 6, 11, 3
    W, A, B = lora_layer(rng, d_out, d_in, r)
    alpha = alpha_for(rng)
    x = batch(rng, (2, 4, d_in))
    y = submission.lora_forward(x, W, A, B, alpha, r)
    expect(y, "y for x of shape (2, 4, d_in)", advice=forward_advice(y, x, W, A, B, alpha, r)).to_match(
        expected_forward(x, W, A, B, alpha, r)
    )


@points(2)
def test_forward_keeps_float32_as_float32(submission, rng):
    d_out, d_in, r = 12, 7, 2
    W, A, B = lora_layer(rng, d_out, d_in, r, torch.float32)
    alpha = alpha_for(rng)
    x = batch(rng, (6, d_in), torch.float32)
    y = submission.lora_forward(x, W, A, B, alpha, r)
    values_then_dtype(y, expected_forward(x, W, A, B, alpha, r), "y in float32",
                      forward_advice(y, x, W, A, B, alpha, r), **F32)


@points(1)
def test_forward_with_rank_one(submission, rng):
    d_out, d_in = 5, 8
    W, A, B = lora_layer(rng, d_out, d_in, 1)
    alpha = alpha_for(rng)
    x = batch(rng, (3, d_in))
    y = submission.lora_forward(x, W, A, B, alpha, 1)
    expect(y, "y with r = 1", advice=forward_advice(y, x, W, A, B, alpha, 1)).to_match(
        expected_forward(x, W, A, B, alpha, 1))


@points(1)
def test_gradients_reach_A_and_B_through_the_forward_pass(submission, rng):
    d_out, d_in, r = 4, 6, 2
    W, A, B = lora_layer(rng, d_out, d_in, r)
    alpha = alpha_for(rng)
    x = batch(rng, (3, d_in))
    upstream = batch(rng, (3, d_out))  # dL/dy, as a loss would send it back
    # The values first: gradients of a wrong y are not what this check is about.
    with stage("its values"):
        y = submission.lora_forward(x, W, A, B, alpha, r)
        expect(y, "y", advice=forward_advice(y, x, W, A, B, alpha, r)).to_match(expected_forward(x, W, A, B, alpha, r))
    # The grader asks for the gradients that reach A and B and compares them with the reference's:
    # an output cut from A and B (a flag set by hand included) has none to give.
    try:
        y, (grad_A, grad_B) = submission.gradients("lora_forward", x, W, A, B, alpha, r, wrt=(2, 3), upstream=upstream)
    except LearnerRaised as exc:
        fail(
            f"lora_forward(x, W, A, B, alpha, r) returned the right y, but no gradient could flow back to A and B "
            f"({exc.message}). A and B are the trainable parameters: y must be computed from the tensors themselves "
            "with torch operations; torch.no_grad(), .detach(), .numpy() or .item() on the way cut them off."
        )
    s = alpha / r  # y = x Wᵀ + s (x Aᵀ) Bᵀ, so dL/dA = s (G B)ᵀ x and dL/dB = s Gᵀ (x Aᵀ), with G = dL/dy
    want_A, want_B = s * (upstream @ B).T @ x, s * upstream.T @ (x @ A.T)
    for name, got, want in (("A", grad_A, want_A), ("B", grad_B, want_B)):
        expect(got, f"dL/d{name}").to_satisfy(
            got is not None,
            f"no gradient reached {name} through y: training could never update {name}. Keep {name} in the "
            "computation of y as a tensor (no .detach(), .numpy() or a copy).",
        )
        expect(got, f"dL/d{name} (the gradient that reached {name} from an upstream dL/dy)").to_match(want)


@points(2)
def test_forward_equals_the_merged_layer(submission, rng):
    d_out, d_in, r = 9, 6, 3
    W, A, B = lora_layer(rng, d_out, d_in, r)
    alpha = alpha_for(rng)
    x = batch(rng, (4, d_in))
    y = submission.lora_forward(x, W, A, B, alpha, r)
    W_merged = submission.merge_lora(W, A, B, alpha, r)
    ok = (
        isinstance(y, torch.Tensor) and isinstance(W_merged, torch.Tensor)
        and W_merged.shape == W.shape and y.shape == (4, d_out)
        and torch.allclose(y.detach().double(), x @ W_merged.detach().double().T, rtol=1e-9, atol=1e-9)
    )
    expect(y, "y").to_satisfy(
        ok,
        "after merging, the layer must compute the same function: lora_forward(x, W, A, B, alpha, r) should equal "
        "x @ merge_lora(W, A, B, alpha, r).T, but they differ. The same scale alpha/r and the same update B A "
        "belong in both.",
    )


# --- merging the update into W -----------------------------------------------------------

@points(3)
def test_merge_adds_the_scaled_update_to_W(submission, rng):
    d_out, d_in, r = 5, 9, 3
    W, A, B = lora_layer(rng, d_out, d_in, r)
    alpha = alpha_for(rng)
    got = submission.merge_lora(W, A, B, alpha, r)
    expect(got, "W_merged", advice=merge_advice(got, W, A, B, alpha, r)).to_match(W + (alpha / r) * B @ A)


@points(2)
def test_merge_leaves_the_frozen_W_unchanged(submission, rng):
    d_out, d_in, r = 7, 4, 2
    W, A, B = lora_layer(rng, d_out, d_in, r)
    alpha = alpha_for(rng)
    want = (W.double() + (alpha / r) * B.double() @ A.double()).to(W.dtype)
    merged, args_after, _ = submission.inputs_after("merge_lora", W, A, B, alpha, r)
    # The values first: whether W was left alone is only worth asking of a merge that is right.
    with stage("its values"):
        expect(merged, "W_merged", advice=merge_advice(merged, W, A, B, alpha, r)).to_match(want)
    W_after = args_after[0]
    same = isinstance(W_after, torch.Tensor) and W_after.shape == W.shape and torch.equal(W_after.detach(), W)
    change = float((W_after.detach().double() - W).abs().max()) if isinstance(W_after, torch.Tensor) and W_after.shape == W.shape else float("nan")
    expect(merged, "W_merged", advice=advice(
        "The W you were given now holds W_merged: the update was added in place (W += ... or W.add_(...)). Return "
        "W + (alpha / r) * (B @ A), a new tensor.", when=close(W_after, want.double()),
    )).to_satisfy(
        same,
        f"after the call, the W you were given had changed (entries moved by up to {change:.3g}). The frozen weight "
        "is shared: unmerging, a second adapter, or the next call all need it intact.",
    )


@points(1)
def test_merge_keeps_float32_as_float32(submission, rng):
    d_out, d_in, r = 8, 8, 4
    W, A, B = lora_layer(rng, d_out, d_in, r, torch.float32)
    alpha = alpha_for(rng)
    want = (W.double() + (alpha / r) * B.double() @ A.double()).float()
    got = submission.merge_lora(W, A, B, alpha, r)
    values_then_dtype(got, want, "W_merged in float32", merge_advice(got, W, A, B, alpha, r), **F32)


# --- what LoRA saves -----------------------------------------------------------------------

@points(2)
def test_parameter_count_is_the_entries_of_A_and_B_against_W(submission, rng):
    # d_out ≠ d_in, so that r·(d_in + d_out) and a count for a square layer (2·r·d_in) differ.
    d_out, d_in = (int(v) for v in rng.choice([512, 768, 1024, 2048, 4096], 2, replace=False))
    r = int(rng.choice([4, 8, 16]))
    got = submission.lora_parameter_count(d_out, d_in, r)
    want = (r * (d_in + d_out), d_out * d_in)
    ints = isinstance(got, (tuple, list)) and len(got) == 2 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in got
    )
    pair = tuple(int(v) for v in got) if ints else None
    expect(got, "(trainable, frozen)", advice=[
        advice("That is (frozen, trainable), the other way round.", when=pair == want[::-1]),
        advice("Your trainable count includes W's entries: W is frozen, only A and B are trained.",
               when=pair is not None and pair[0] == want[0] + want[1]),
        advice(f"Your trainable count is 2·r·d for one side d of the layer: A has r·d_in entries and B has d_out·r, "
               f"and here d_in = {d_in} ≠ d_out = {d_out}.",
               when=pair is not None and pair[0] in (2 * r * d_in, 2 * r * d_out)),
    ]).to_satisfy(
        ints and pair == want,
        f"expected the two ints {want}: only A ({r}×{d_in} = {r * d_in} entries) and B ({d_out}×{r} = {d_out * r}) "
        f"are trained, while W ({d_out}×{d_in} = {d_out * d_in}) is frozen, so LoRA trains "
        f"{100 * want[0] / want[1]:.2g}% as many numbers as full fine-tuning of this layer"
        + ("" if ints or not isinstance(got, (tuple, list)) else " (return Python ints: int(...), not floats)"),
    )


# --- compressing a full update into LoRA factors --------------------------------------------

def eckart_young_advice(product, delta, r):
    """Evidence on a wrong B A (in delta's dtype): what each known slip in the truncated SVD would give."""
    d = delta.double()
    U, S, Vh = torch.linalg.svd(d, full_matrices=False)
    first = d.clone()
    first[:, r:] = 0
    return [
        advice("Your B A is U_r V_rᵀ, the top r singular vectors without their singular values: B = U[:, :r] * S[:r] "
               "(or split S between B and A).", when=close(product, lambda: U[:, :r] @ Vh[:r])),
        advice("Your B A is what the r SMALLEST singular directions give: torch.linalg.svd sorts singular values "
               "largest first (torch.linalg.eigh sorts eigenvalues in ascending order).",
               when=close(product, lambda: (U[:, -r:] * S[-r:]) @ Vh[-r:])),
        advice("Your B A is ΔW with every column after the first r set to zero: a rank-r matrix, but not the best "
               "one, which keeps the r largest singular directions.", when=close(product, first)),
        advice("Your B A uses the first r COLUMNS of Vh as the right singular vectors: torch.linalg.svd returns "
               "Vh = Vᵀ, whose ROWS are the right singular vectors, so A = Vh[:r].",
               when=close(product, lambda: (U[:, :r] * S[:r]) @ Vh[:, :r].T)),
    ]


def eckart_young_check(submission, delta, s, r, tol, what, subject="the error"):
    """(B, A) of the right shapes whose B A reaches the Eckart–Young error; then their dtype.

    ``subject``: what the check is named for; when that is the dtype, the error is judged first, in a stage."""
    got = submission.best_rank_r_update(delta, r)
    d_out, d_in = delta.shape
    shapes = tuple(tuple(g.shape) for g in got) if isinstance(got, tuple) and all(isinstance(g, torch.Tensor) for g in got) else None
    ok_shape = shapes == ((d_out, r), (r, d_in))
    with stage("its values") if subject == "the dtype" else contextlib.nullcontext():
        expect(got, what, advice=advice(
            "That is (A, B), the other way round: the factors come back as (B, A), B first.",
            when=shapes == ((r, d_in), (d_out, r)),
        )).to_satisfy(
            ok_shape, f"expected a tuple (B, A) of tensors with B of shape ({d_out}, {r}) and A of shape ({r}, {d_in})"
        )
        B, A = got
        product = B.detach().double() @ A.detach().double()
        err = fro(delta.double() - product)
        product = product.to(delta.dtype)  # judged at delta's precision
        s = np.asarray(s, dtype=np.float64)
        best = math.sqrt(float(np.sum(s[r:] ** 2)))
        expect(got, what, advice=eckart_young_advice(product, delta, r)).to_satisfy(
            abs(err - best) <= tol * float(np.linalg.norm(s)),
            f"‖ΔW − BA‖_F = {err:.6g}, but the best any rank-{r} matrix can do is √(σ_{r + 1}² + σ_{r + 2}² + ...) = "
            f"{best:.6g} (Eckart–Young; ΔW's singular values are {', '.join(f'{v:.3g}' for v in s)}): that of the "
            "truncated SVD, the r largest singular triplets.",
        )
    expect(got, what, advice=advice(PROMOTED.format(what="B or A"), when=torch.float64 in (B.dtype, A.dtype))).to_satisfy(
        B.dtype == delta.dtype and A.dtype == delta.dtype,
        f"delta_W is {delta.dtype}, so B and A must be too (got {B.dtype} and {A.dtype})",
    )
    return B, A


@points(3)
def test_best_rank_r_update_reaches_the_eckart_young_error(submission, rng):
    d_out, d_in, r = 12, 8, 3
    s = inputs.distinct_singular_values(rng, 8, 0.2, 5.0)
    delta = t(inputs.with_singular_values(rng, d_out, d_in, s))
    eckart_young_check(submission, delta, s, r, 1e-10, "(B, A)")


@points(2)
def test_best_rank_r_update_equals_the_truncated_svd_of_a_wide_update(submission, rng):
    d_out, d_in, r = 6, 15, 2
    s = inputs.distinct_singular_values(rng, 6, 0.3, 4.0)
    U, V = inputs.orthonormal(rng, d_out, 6), inputs.orthonormal(rng, d_in, 6)
    delta = t((U * s) @ V.T)
    B, A = eckart_young_check(submission, delta, s, r, 1e-10, "(B, A)")
    # With distinct singular values the best rank-r matrix is unique, even though B and A are not.
    best = t((U[:, :r] * s[:r]) @ V[:, :r].T)
    expect(B @ A, "the product B @ A").to_match(best, rtol=1e-8, atol=1e-9)


@points(1)
def test_best_rank_one_update(submission, rng):
    s = inputs.distinct_singular_values(rng, 5, 0.5, 3.0)
    delta = t(inputs.with_singular_values(rng, 7, 5, s))
    eckart_young_check(submission, delta, s, 1, 1e-10, "(B, A) with r = 1")


@points(2)
def test_best_rank_r_update_recovers_a_rank_r_update_exactly(submission, rng):
    d_out, d_in, r = 10, 9, 4
    s = np.concatenate([inputs.distinct_singular_values(rng, r, 0.5, 3.0), np.zeros(9 - r)])
    delta = t(inputs.with_singular_values(rng, d_out, d_in, s[:r]))
    eckart_young_check(submission, delta, s, r, 1e-10, "(B, A) for an update of rank exactly r")


@points(1)
def test_best_rank_r_update_keeps_float32_as_float32(submission, rng):
    s = inputs.distinct_singular_values(rng, 6, 0.3, 3.0)
    delta = t(inputs.with_singular_values(rng, 9, 6, s), torch.float32)
    eckart_young_check(submission, delta, s, 2, 1e-5, "(B, A) in float32", subject="the dtype")
