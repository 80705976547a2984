"""Checks for ex15: a matrix-multiplication kernel in Triton.

The grader sends plain contiguous CPU tensors, so every check reaches the learner's
``matmul`` through ``run_matmul``, the harness at the bottom of gemm.py. It lays A and B
out as asked (contiguous, transposed, padded) inside buffers full of NaN, makes the
buffers that ``matmul`` allocates start as NaN and end in a NaN tail, runs on the GPU
when there is one, and reports whether a Triton kernel wrote C and whether anything
outside the matrices was touched. That report comes from the learner's process: it
catches mistakes and shortcuts such as ``a @ b``, not a learner who rewrites the harness.

Without a CUDA GPU the kernels run in Triton's interpreter (one program at a time, with
numpy), so sizes stay small; the speed checks need a GPU and are skipped without one.
"""

from __future__ import annotations

import os
import time

import pytest
import torch

from grader.checking import CheckFailure, expect, fail, points
from grader.sandbox.failures import NotImplementedYet

GPU = torch.cuda.is_available()
if not GPU:
    # The reference and the misconceptions run Triton kernels in this process too:
    # the interpreter must be chosen before they import triton.
    os.environ.setdefault("TRITON_INTERPRET", "1")

needs_gpu = pytest.mark.skipif(not GPU, reason="speed is graded on a CUDA GPU only, and this machine has none")


# --- inputs ------------------------------------------------------------------------------

def size(rng, lo, hi):
    """A size in [lo, hi] that is not a multiple of 16, so that any power-of-two block needs masks."""
    return int(rng.choice([n for n in range(lo, hi + 1) if n % 16]))


def matrix(rng, rows, cols, dtype, offset=True):
    """Entries of both signs, with a random scale (and offset), rounded to dtype."""
    x = torch.from_numpy(rng.standard_normal((rows, cols))) * rng.uniform(0.5, 2.0)
    if offset:
        x += rng.uniform(-0.5, 0.5)
    return x.to(dtype)


def pair(rng, m, k, n, dtype=torch.float32, offset=True):
    return matrix(rng, m, k, dtype, offset), matrix(rng, k, n, dtype, offset)


# --- calling the learner's matmul through the harness -----------------------------------

STUB = (
    "matmul still raises NotImplementedError: write matmul_kernel and matmul in gemm.py "
    "(run_matmul, the grader's harness at the bottom of the file, calls your matmul)."
)
NOT_A_PAIR = (
    "run_matmul should return (C, report). It is the grader's harness at the bottom of gemm.py: "
    "put it back as it was in the stub, and write your code in matmul_kernel and matmul."
)
NO_KERNEL = (
    "matmul returned without launching any Triton kernel. The point of this exercise is the kernel: "
    "launch it with matmul_kernel[grid](a, b, c, M, N, K, ...strides...) and return the c it wrote."
)
NOT_FROM_KERNEL = (
    "a Triton kernel was launched, but the C that matmul returned is not a tensor any kernel was given: "
    "return the output buffer you passed to matmul_kernel (allocated with torch.empty), not a product "
    "computed another way."
)
WROTE_PAST_C = (
    "your kernel wrote past the end of C: the grader gives every buffer that matmul allocates a tail "
    "of NaN, and some of it was overwritten. The last tiles stick out of C when M or N is not a multiple "
    "of the block: store with mask=(offs_m[:, None] < M) & (offs_n[None, :] < N)."
)
TOUCHED_INPUTS = (
    "A or B, or the memory around them, changed during matmul: a kernel should only read them. "
    "Check which pointer each tl.store writes to."
)
MASKS = (
    "None of these sizes is a multiple of a block, so the last tiles stick out of the matrices in every "
    "direction: mask the loads of A with (offs_m < M) and (offs_k < K - k0), those of B with (offs_k < K - k0) "
    "and (offs_n < N), with other=0.0 so the missing terms add nothing, and mask the store with "
    "(offs_m < M) & (offs_n < N)."
)
STRIDES = (
    "Here A is stored transposed (column-major, strides (1, M + 128)) and B as a block inside a larger "
    "matrix (strides (N + 256, 1), an offset). Address element (m, k) of A as a_ptr + m*stride_am + "
    "k*stride_ak with the strides from a.stride() passed to the kernel, never with K or N."
)
COPIED = (
    "matmul handed the kernel a copy of A or B (made by .contiguous(), .clone(), .float(), .to(...)) "
    "instead of the tensors themselves. A GEMM kernel reads its inputs where they are, in whatever layout, "
    "through their strides: a copy costs a full extra pass over memory. Pass a and b to the kernel with "
    "a.stride(0), a.stride(1), b.stride(0), b.stride(1)."
)
DTYPE = (
    "C must have the dtype of the inputs: allocate it with dtype=a.dtype and store "
    "acc.to(c_ptr.dtype.element_ty) (keep the accumulator itself in float32)."
)
ACCUMULATE = (
    "A float16 result has about 3 significant digits, and only the final rounding may cost them: keep "
    "the running sum in a float32 tile (acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32); "
    "acc = tl.dot(a, b, acc)) and round to float16 once, when storing. A float16 accumulator rounds after "
    "every BLOCK_K step and the errors add up over K."
)
EDGES = (
    "With M = 1, N = 1 or K = 1 a single tile is almost all padding: every load and the store need "
    "their masks, the grid needs at least one program per dimension (triton.cdiv, not //), and the K "
    "loop must run once (range(0, K, BLOCK_K) or tl.cdiv(K, BLOCK_K) steps)."
)
TILES = (
    "Tall and wide matrices have different numbers of tiles along M and N, so a mix-up between them "
    "shows: launch cdiv(M, BLOCK_M) * cdiv(N, BLOCK_N) programs and give each one its own (pid_m, pid_n), "
    "e.g. pid_m = pid // num_pid_n, pid_n = pid % num_pid_n (or the grouped order), with num_pid_m from M "
    "and num_pid_n from N."
)


def run(submission, a, b, a_layout="contiguous", b_layout="contiguous"):
    """(C, the harness's report) for matmul(A, B); fails unless a Triton kernel wrote C and nothing else."""
    try:
        out = submission.run_matmul(a, b, a_layout, b_layout)
    except NotImplementedYet:
        fail(STUB)
    if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict)):
        fail(NOT_A_PAIR, out)
    c, report = out
    if not report.get("kernel_launched"):
        fail(NO_KERNEL, c)
    if not report.get("c_from_kernel"):
        fail(NOT_FROM_KERNEL, c)
    if not report.get("nothing_written_past_c", True):
        fail(WROTE_PAST_C, c)
    if not report.get("inputs_unchanged", True):
        fail(TOUCHED_INPUTS, c)
    return c, report


def spans(indices):
    """[0, 1, 2, 5, 7, 8] -> '0–2, 5, 7–8'."""
    out, start, prev = [], None, None
    for i in sorted(set(int(i) for i in indices)):
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            out.append(f"{start}–{prev}" if prev > start else str(start))
            start = prev = i
    if start is not None:
        out.append(f"{start}–{prev}" if prev > start else str(start))
    text = ", ".join(out)
    return text if len(text) < 60 else text[:57] + "..."


def where(bad):
    rows, cols = bad.nonzero(as_tuple=True)
    return f"rows {spans(rows.tolist())}, columns {spans(cols.tolist())}"


def check_product(c, a, b, hint):
    """C is A @ B in the inputs' dtype, to the accuracy of a float32 accumulator."""
    m, k = a.shape
    n = b.shape[1]
    exact = a.double() @ b.double()
    expected = exact.to(a.dtype)
    if not isinstance(c, torch.Tensor):
        fail(f"matmul returned {type(c).__name__}; expected a torch tensor of shape ({m}, {n})", c)
    expect(c, "C").to_have_shape((m, n))
    if c.dtype != a.dtype:
        fail(f"C came back as {str(c.dtype).removeprefix('torch.')} for {str(a.dtype).removeprefix('torch.')} inputs. " + DTYPE, c)
    nan = ~torch.isfinite(c.double())
    if nan.all():
        fail(
            "every entry of C is NaN or inf. The grader surrounds A and B with NaN and starts the C you allocate "
            "as NaN, so either the loads read outside A or B, most often because the loads in the K loop are not "
            f"masked on k < K (K = {k} is not a multiple of your BLOCK_K) and the last step reads past the end of "
            "a row of A or a column of B (mask them, with other=0.0), or no program stored into C at all "
            "(check the tl.store and the grid).",
            c,
        )
    if nan.any():
        fail(
            f"C holds NaN or inf at {int(nan.sum())} of {m * n} places ({where(nan)}). The grader surrounds A and B "
            "with NaN and starts the C you allocate as NaN: those tiles either loaded from outside A or B "
            "(mask every load, other=0.0) or were never stored (the grid must cover every (pid_m, pid_n) tile once).",
            c,
        )
    eps = torch.finfo(torch.float32).eps
    scale = float((a.double().abs() @ b.double().abs()).max())
    # float32: any order of summation stays within K·eps·Σ|a||b|; float16: one final rounding (rtol) and a
    # float32 sum underneath. TF32 (tl.dot's default for float32 on NVIDIA GPUs) is about 1000 times coarser.
    rtol, atol = (2e-6, k * eps * scale) if a.dtype == torch.float32 else (1e-3, 1e-5 + 4 * eps * scale)
    try:
        expect(c, "C").to_match(expected, rtol=rtol, atol=atol)
    except CheckFailure as exc:
        err = (c.double() - exact).abs()
        off = err > atol + rtol * exact.abs()
        raise CheckFailure(f"{exc}\nthe wrong entries are in {where(off)}.\n{hint}") from None


# --- correctness (any machine) ------------------------------------------------------------

@points(5)
def test_float32_product_is_right_for_sizes_that_are_no_multiple_of_a_block(submission, rng):
    m, k, n = size(rng, 33, 63), size(rng, 33, 63), size(rng, 33, 63)
    a, b = pair(rng, m, k, n)
    check_product(run(submission, a, b)[0], a, b, MASKS)


@points(5)
def test_transposed_and_padded_inputs_are_read_through_their_strides(submission, rng):
    m, k, n = size(rng, 33, 63), size(rng, 33, 63), size(rng, 33, 63)
    a, b = pair(rng, m, k, n)
    c, report = run(submission, a, b, "transposed", "padded")
    check_product(c, a, b, STRIDES)
    expect(c, "C").to_satisfy(report.get("inputs_read_in_place", False), COPIED)


@points(3)
def test_float16_inputs_give_a_float16_product(submission, rng):
    m, k, n = size(rng, 17, 40), size(rng, 17, 31), size(rng, 17, 40)
    a, b = pair(rng, m, k, n, torch.float16)
    check_product(run(submission, a, b)[0], a, b, DTYPE)


@points(4)
def test_float16_products_over_a_long_k_are_summed_in_float32(submission, rng):
    m, k, n = size(rng, 17, 31), size(rng, 160, 250), size(rng, 17, 31)
    a, b = pair(rng, m, k, n, torch.float16, offset=False)
    check_product(run(submission, a, b)[0], a, b, ACCUMULATE)


@points(3)
def test_a_single_row_a_single_column_and_k_of_one_work(submission, rng):
    m, k, n = size(rng, 17, 40), size(rng, 17, 40), size(rng, 17, 40)
    for shape in ((1, k, n), (m, k, 1), (m, 1, n)):
        a, b = pair(rng, *shape)
        check_product(run(submission, a, b)[0], a, b, EDGES)


@points(3)
def test_tall_and_wide_products_cover_every_tile(submission, rng):
    long, k, short = size(rng, 70, 120), size(rng, 17, 40), size(rng, 3, 9)
    for shape in ((long, k, short), (short, k, long)):
        a, b = pair(rng, *shape)
        check_product(run(submission, a, b)[0], a, b, TILES)


# --- speed (CUDA GPU only) ----------------------------------------------------------------

SPEED_SIZE = 4096  # float16 (4096, 4096) @ (4096, 4096): 137 GFLOP a product
SPEED_REPS = 200
SPEED_ROUNDS = 3
_measured: dict[int, tuple[object, tuple[float, float]]] = {}


def speed_pairs(seed, size, device="cuda"):
    """The inputs of benchmark_matmul (the harness in gemm.py draws them the same way)."""
    gen = torch.Generator(device=device).manual_seed(seed)
    return [
        tuple(torch.randn(size, size, device=device, dtype=torch.float16, generator=gen) for _ in range(2))
        for _ in range(2)
    ]


def torch_loop(seed, size, reps, device="cuda"):
    """benchmark_matmul's loop with torch.matmul (cuBLAS), run here; returns its seconds."""
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    pairs = speed_pairs(seed, size, device)
    for i in range(reps):
        a, b = pairs[i % 2]
        torch.matmul(a, b)
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def check_samples(samples, seed, size, device="cuda"):
    expected = torch.stack([(a.float() @ b.float())[::64, ::64].half() for a, b in speed_pairs(seed, size, device)])
    expect(samples, "every 64th row and column of C").to_match(expected.cpu(), rtol=2e-3, atol=0.05)


def fp16_tflops(submission, seed, size=SPEED_SIZE, reps=SPEED_REPS, device="cuda"):
    """(learner, torch.matmul) TFLOP/s on float16 size × size products, measured in this run.

    Both loops draw two pairs of random matrices on the GPU and multiply them reps times,
    alternating, then synchronise. The learner's loop is the harness's benchmark_matmul in
    its worker, timed here around the call (a few milliseconds of transfer count against
    it); torch.matmul's runs here. Best of SPEED_ROUNDS each; every timed run's output is
    checked. Measured once per grading and shared by the speed checks.
    """
    hit = _measured.get(id(submission))
    if hit is not None and hit[0] is submission:
        return hit[1]
    check_samples(submission.benchmark_matmul(seed, size, 2), seed, size, device)  # compiles and autotunes
    learner, cublas = [], []
    for r in range(SPEED_ROUNDS):
        samples, seconds = submission.timed("benchmark_matmul", seed + 1 + r, size, reps)
        check_samples(samples, seed + 1 + r, size, device)
        learner.append(seconds)
        cublas.append(torch_loop(seed + 1 + r, size, reps, device))
    flop = 2.0 * size**3 * reps
    result = (flop / min(learner) / 1e12, flop / min(cublas) / 1e12)
    _measured.clear()
    _measured[id(submission)] = (submission, result)
    return result


def check_speed(submission, seed, fraction):
    mine, cublas = fp16_tflops(submission, seed)
    expect(mine, "TFLOP/s").to_satisfy(
        mine >= fraction * cublas,
        f"your matmul ran at {mine:.0f} TFLOP/s on float16 {SPEED_SIZE}×{SPEED_SIZE} matrices, "
        f"{mine / cublas:.0%} of torch.matmul (cuBLAS, {cublas:.0f} TFLOP/s) in the same run; this check asks "
        f"for {fraction:.0%}. Try tiles of 128×128 to 128×256 with BLOCK_K 32–64, num_warps 4–8 and num_stages "
        "3–4 in a triton.autotune over a few configs, and the grouped (L2-friendly) program order.",
    )


@needs_gpu
@points(2)
def test_float16_speed_reaches_half_of_torch_matmul(submission, seed):
    check_speed(submission, seed, 0.5)


@needs_gpu
@points(2)
def test_float16_speed_reaches_70_percent_of_torch_matmul(submission, seed):
    check_speed(submission, seed, 0.7)


@needs_gpu
@points(2)
def test_float16_speed_reaches_80_percent_of_torch_matmul(submission, seed):
    check_speed(submission, seed, 0.8)
