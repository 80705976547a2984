"""Checks for ex08: LoRA, low-rank adaptation of a linear layer.

Convention (the LoRA paper's and peft's): W (d_out, d_in), A (r, d_in), B (d_out, r),
ΔW = (alpha/r)·B A, y = x Wᵀ + (alpha/r)·x Aᵀ Bᵀ. B is never zero here: a freshly
initialised LoRA (B = 0) would let a wrong update pass.
"""

import math

import numpy as np
import torch

from grader.checking import LearnerRaised, expect, fail, inputs, points

F32 = {"rtol": 1e-4, "atol": 1e-4}


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


# --- the forward pass -----------------------------------------------------------------

@points(3)
def test_forward_adds_the_scaled_low_rank_path_to_the_frozen_layer(submission, rng):
    d, r = 10, int(rng.integers(2, 5))
    W, A, B = lora_layer(rng, d, d, r)
    alpha = alpha_for(rng)
    x = batch(rng, (5, d))
    expect(submission.lora_forward(x, W, A, B, alpha, r), "y").to_match(expected_forward(x, W, A, B, alpha, r))


@points(2)
def test_forward_keeps_batch_and_sequence_dimensions(submission, rng):
    d_out, d_in, r = 6, 11, 3
    W, A, B = lora_layer(rng, d_out, d_in, r)
    alpha = alpha_for(rng)
    x = batch(rng, (2, 4, d_in))
    expect(submission.lora_forward(x, W, A, B, alpha, r), "y for x of shape (2, 4, d_in)").to_match(
        expected_forward(x, W, A, B, alpha, r)
    )


@points(2)
def test_forward_keeps_float32_as_float32(submission, rng):
    d_out, d_in, r = 12, 7, 2
    W, A, B = lora_layer(rng, d_out, d_in, r, torch.float32)
    alpha = alpha_for(rng)
    x = batch(rng, (6, d_in), torch.float32)
    expect(submission.lora_forward(x, W, A, B, alpha, r), "y in float32").to_match(
        expected_forward(x, W, A, B, alpha, r), **F32
    )


@points(1)
def test_forward_with_rank_one(submission, rng):
    d_out, d_in = 5, 8
    W, A, B = lora_layer(rng, d_out, d_in, 1)
    alpha = alpha_for(rng)
    x = batch(rng, (3, d_in))
    expect(submission.lora_forward(x, W, A, B, alpha, 1), "y with r = 1").to_match(expected_forward(x, W, A, B, alpha, 1))


@points(1)
def test_gradients_reach_A_and_B_through_the_forward_pass(submission, rng):
    d_out, d_in, r = 4, 6, 2
    W, A, B = lora_layer(rng, d_out, d_in, r)
    alpha = alpha_for(rng)
    x = batch(rng, (3, d_in))
    upstream = batch(rng, (3, d_out))  # dL/dy, as a loss would send it back
    # The grader asks for the gradients that reach A and B and compares them with the reference's:
    # an output cut from A and B (a flag set by hand included) has none to give.
    try:
        y, (grad_A, grad_B) = submission.gradients("lora_forward", x, W, A, B, alpha, r, wrt=(2, 3), upstream=upstream)
    except LearnerRaised as exc:
        fail(
            f"lora_forward(x, W, A, B, alpha, r) ran, but no gradient could flow back to A and B ({exc.message}). "
            "A and B are the trainable parameters: compute y with torch operations on the tensors themselves, "
            "no torch.no_grad(), .detach(), .numpy() or .item() on the way."
        )
    expect(y, "y").to_match(expected_forward(x, W, A, B, alpha, r))
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
    expect(submission.merge_lora(W, A, B, alpha, r), "W_merged").to_match(W + (alpha / r) * B @ A)


@points(2)
def test_merge_leaves_the_frozen_W_unchanged(submission, rng):
    d_out, d_in, r = 7, 4, 2
    W, A, B = lora_layer(rng, d_out, d_in, r)
    alpha = alpha_for(rng)
    want = (W.double() + (alpha / r) * B.double() @ A.double()).to(W.dtype)
    merged, args_after, _ = submission.inputs_after("merge_lora", W, A, B, alpha, r)
    # The values first: whether W was left alone is only worth asking of a merge that is right.
    expect(merged, "W_merged").to_match(want)
    W_after = args_after[0]
    same = isinstance(W_after, torch.Tensor) and W_after.shape == W.shape and torch.equal(W_after.detach(), W)
    change = float((W_after.detach().double() - W).abs().max()) if isinstance(W_after, torch.Tensor) and W_after.shape == W.shape else float("nan")
    expect(merged, "W_merged").to_satisfy(
        same,
        f"after the call, the W you were given had changed (entries moved by up to {change:.3g}): merge_lora wrote "
        "into it in place (W += ... or W.add_(...)). The frozen weight is shared: unmerging, a second adapter, or "
        "the next call all need it intact. Return W + (alpha / r) * (B @ A), a new tensor.",
    )


@points(1)
def test_merge_keeps_float32_as_float32(submission, rng):
    d_out, d_in, r = 8, 8, 4
    W, A, B = lora_layer(rng, d_out, d_in, r, torch.float32)
    alpha = alpha_for(rng)
    want = (W.double() + (alpha / r) * B.double() @ A.double()).float()
    expect(submission.merge_lora(W, A, B, alpha, r), "W_merged in float32").to_match(want, **F32)


# --- what LoRA saves -----------------------------------------------------------------------

@points(2)
def test_parameter_count_is_the_entries_of_A_and_B_against_W(submission, rng):
    d_out, d_in = (int(v) for v in rng.choice([512, 768, 1024, 2048, 4096], 2))
    r = int(rng.choice([4, 8, 16]))
    got = submission.lora_parameter_count(d_out, d_in, r)
    want = (r * (d_in + d_out), d_out * d_in)
    ints = isinstance(got, (tuple, list)) and len(got) == 2 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in got
    )
    expect(got, "(trainable, frozen)").to_satisfy(
        ints and tuple(int(v) for v in got) == want,
        f"expected the two ints {want}: only A ({r}×{d_in} = {r * d_in} entries) and B ({d_out}×{r} = {d_out * r}) "
        f"are trained, while W ({d_out}×{d_in} = {d_out * d_in}) is frozen, so LoRA trains "
        f"{100 * want[0] / want[1]:.2g}% as many numbers as full fine-tuning of this layer"
        + ("" if ints or not isinstance(got, (tuple, list)) else " (return Python ints: int(...), not floats)"),
    )


# --- compressing a full update into LoRA factors --------------------------------------------

def eckart_young_check(submission, delta, s, r, tol, what):
    got = submission.best_rank_r_update(delta, r)
    d_out, d_in = delta.shape
    ok_shape = (
        isinstance(got, tuple) and len(got) == 2 and all(isinstance(g, torch.Tensor) for g in got)
        and tuple(got[0].shape) == (d_out, r) and tuple(got[1].shape) == (r, d_in)
    )
    expect(got, what).to_satisfy(
        ok_shape, f"expected a tuple (B, A) of tensors with B of shape ({d_out}, {r}) and A of shape ({r}, {d_in})"
    )
    B, A = got
    expect(got, what).to_satisfy(
        B.dtype == delta.dtype and A.dtype == delta.dtype,
        f"delta_W is {delta.dtype}, so B and A must be too (got {B.dtype} and {A.dtype})",
    )
    err = fro(delta.double() - B.double() @ A.double())
    s = np.asarray(s, dtype=np.float64)
    best = math.sqrt(float(np.sum(s[r:] ** 2)))
    smallest = math.sqrt(float(np.sum(s[:-r] ** 2)))
    diagnosis = ""
    if abs(err - smallest) <= 1e-3 * float(np.linalg.norm(s)):
        diagnosis = (
            "Your B A is exactly what the r SMALLEST singular directions give: torch.linalg.eigh sorts eigenvalues "
            "in ascending order (torch.linalg.svd sorts singular values largest first). "
        )
    expect(got, what).to_satisfy(
        abs(err - best) <= tol * float(np.linalg.norm(s)),
        f"‖ΔW − BA‖_F = {err:.6g}, but the best any rank-{r} matrix can do is √(σ_{r + 1}² + σ_{r + 2}² + ...) = "
        f"{best:.6g} (Eckart–Young; ΔW's singular values are {', '.join(f'{v:.3g}' for v in s)}). " + diagnosis
        + "Keep the r largest singular triplets: U, S, Vh = torch.linalg.svd(delta_W, full_matrices=False); "
        "B = U[:, :r] * S[:r] and A = Vh[:r] (any split of S between B and A is fine).",
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
    eckart_young_check(submission, delta, s, 2, 1e-5, "(B, A) in float32")
