"""Checks for ex15: a matrix-multiplication kernel in Triton.

Everything is built and judged here, in the grader's process; the learner's gemm.py holds
only its kernel and ``matmul(a, b)``. Each input is a view that the check lays out itself
(contiguous, transposed, a slice of a wider matrix, an offset into a larger storage) inside
a storage full of NaN, and the codec carries it to the learner's process as that same view,
padding included: a load outside a matrix shows up as NaN in C instead of passing by luck.
The check then judges C (shape, dtype, values against a float64 product) and the inputs as
the call left them, every byte of their storages, so a kernel that writes into A or B (or
hands back C inside one of them) shows too. What the learner's process reports about its
inputs can be forged, but only to hide its own mistake.

That C was computed by the learner's kernel, and not by numpy or torch, is the static scan's
verdict (exercise.yaml: kernel_rules): a matmul that does anything else than allocate, read
sizes and strides, and launch its kernels earns nothing here.

Without a CUDA GPU the kernels run in Triton's interpreter (one program at a time, with
numpy), so sizes stay small; the speed checks need a GPU and are skipped without one.
"""

from __future__ import annotations

import os

import pytest
import torch

from grader.checking import CheckFailure, expect, expect_error, fail, points
from grader.checking.speed import race
from grader.sandbox.failures import NotImplementedYet

GPU = torch.cuda.is_available()
DEVICE = "cuda" if GPU else "cpu"
if not GPU:
    # The reference and the misconceptions run Triton kernels in this process too:
    # the interpreter must be chosen before they import triton.
    os.environ.setdefault("TRITON_INTERPRET", "1")

needs_gpu = pytest.mark.skipif(not GPU, reason="speed is graded on a CUDA GPU only, and this machine has none")

# NaN elements beyond every edge of a matrix: more than any BLOCK_K up to 64 reads past the K
# tail, so an unmasked load meets poison, not another matrix's numbers.
PAD = 64


# --- inputs, laid out by the grader ----------------------------------------------------------

def size(rng, lo, hi):
    """A size in [lo, hi] that is not a multiple of 16, so that any power-of-two block needs masks."""
    return int(rng.choice([n for n in range(lo, hi + 1) if n % 16]))


def matrix(rng, rows, cols, dtype, offset=True):
    """Entries of both signs, with a random scale (and offset), rounded to dtype."""
    x = torch.from_numpy(rng.standard_normal((rows, cols))) * rng.uniform(0.5, 2.0)
    if offset:
        x += rng.uniform(-0.5, 0.5)
    return x.to(dtype)


def lay_out(x, layout):
    """``x`` (rows, cols) copied into a storage full of NaN, returned as a view with the layout asked for."""
    rows, cols = x.shape
    nan = dict(fill_value=float("nan"), dtype=x.dtype, device=DEVICE)
    if layout == "contiguous":  # row-major, strides (cols, 1), NaN after the last element
        storage = torch.full((rows * cols + PAD * (cols + PAD),), **nan)
        view = storage[: rows * cols].view(rows, cols)
    elif layout == "transposed":  # column-major, strides (1, rows + PAD): the .t() of a stored matrix
        storage = torch.full((cols + PAD, rows + PAD), **nan)
        view = storage[:cols, :rows].t()
    elif layout == "sliced":  # a block of a wider, taller matrix: strides (cols + 2 PAD, 1), an offset
        storage = torch.full((rows + 2 * PAD, cols + 2 * PAD), **nan)
        view = storage[PAD : PAD + rows, PAD : PAD + cols]
    elif layout == "offset":  # row-major, starting PAD rows and 7 elements into a flat storage
        start = PAD * cols + 7
        storage = torch.full((start + rows * cols + PAD * (cols + PAD),), **nan)
        view = storage[start : start + rows * cols].view(rows, cols)
    else:
        raise ValueError(f"unknown layout {layout!r}")
    view.copy_(x.to(DEVICE))
    return view


def pair(rng, m, k, n, dtype=torch.float32, layouts=("contiguous", "contiguous"), offset=True):
    a = lay_out(matrix(rng, m, k, dtype, offset), layouts[0])
    b = lay_out(matrix(rng, k, n, dtype, offset), layouts[1])
    return a, b


def whole_storage(t):
    """Every element of t's storage, padding included, as raw bits (NaN compares equal to itself)."""
    n = t.untyped_storage().nbytes() // t.element_size()
    flat = t.as_strided((n,), (1,), 0)
    return flat.view({2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()])


# --- calling the learner's matmul --------------------------------------------------------

STUB = "matmul still raises NotImplementedError: write matmul_kernel and matmul in gemm.py."
TOUCHED_INPUTS = (
    "A or B, or the NaN padding around them in memory, changed during matmul: a GEMM only reads its "
    "inputs. Check which pointer each tl.store writes to, and that C is a tensor of its own "
    "(torch.empty((M, N), ...)), not a view of A or B."
)
MASKS = (
    "None of these sizes is a multiple of a block, so the last tiles stick out of the matrices in every "
    "direction: mask the loads of A with (offs_m < M) and (offs_k < K - k0), those of B with (offs_k < K - k0) "
    "and (offs_n < N), with other=0.0 so the missing terms add nothing, and mask the store with "
    "(offs_m < M) & (offs_n < N)."
)
STRIDES = (
    "Here A and B are {what}, so element (m, k) of A is not at m*K + k. Address it as "
    "a_ptr + m*stride_am + k*stride_ak with the strides from a.stride() passed to the kernel (and B, C alike), "
    "and step along K by BLOCK_K*stride_ak and BLOCK_K*stride_bk."
)
OFFSET = (
    "Here A and B start part-way into a larger storage (a storage offset), with NaN before and after them. "
    "Pass the tensors themselves to the kernel (Triton takes their data pointer, offset included) and "
    "address them through their strides."
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


def run(submission, a, b):
    """C = the learner's matmul(a, b); fails if A or B (padding included) came back changed."""
    try:
        c, after, _ = submission.inputs_after("matmul", a, b)
    except NotImplementedYet:
        fail(STUB)
    if len(after) != 2:
        fail("A and B: " + TOUCHED_INPUTS, c)
    for name, sent, back in zip("AB", (a, b), after):
        same = (
            isinstance(back, torch.Tensor)
            and back.dtype == sent.dtype
            and back.shape == sent.shape
            and back.stride() == sent.stride()
            and back.untyped_storage().nbytes() == sent.untyped_storage().nbytes()
            and torch.equal(whole_storage(back).cpu(), whole_storage(sent).cpu())
        )
        if not same:
            fail(f"{name}: " + TOUCHED_INPUTS, c)
    return c


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
    c = c.to(exact.device)
    nan = ~torch.isfinite(c.double())
    if nan.all():
        fail(
            "every entry of C is NaN or inf. A and B sit in storages full of NaN, so either the loads read "
            "outside them, most often because the loads in the K loop are not masked on k < K "
            f"(K = {k} is not a multiple of your BLOCK_K) and the last step reads past the end of a row of A "
            "or a column of B (mask them, with other=0.0), or no program stored into C at all (check the "
            "tl.store and the grid).",
            c,
        )
    if nan.any():
        fail(
            f"C holds NaN or inf at {int(nan.sum())} of {m * n} places ({where(nan)}). A and B sit in storages "
            "full of NaN: those tiles either loaded from outside A or B (mask every load, other=0.0) or were "
            "never stored (the grid must cover every (pid_m, pid_n) tile once).",
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


def product_check(submission, rng, layouts, hint, dtype=torch.float32, sizes=(33, 63)):
    m, k, n = (size(rng, *sizes) for _ in range(3))
    a, b = pair(rng, m, k, n, dtype, layouts)
    check_product(run(submission, a, b), a, b, hint)


# --- correctness (any machine) ------------------------------------------------------------

@points(4)
def test_float32_products_of_any_size_are_right(submission, rng):
    product_check(submission, rng, ("contiguous", "contiguous"), MASKS)


@points(3)
def test_transposed_inputs_are_read_through_their_strides(submission, rng):
    product_check(submission, rng, ("transposed", "transposed"), STRIDES.format(what="transposed (column-major)"))


@points(3)
def test_slices_of_larger_matrices_are_read_through_their_strides(submission, rng):
    what = f"slices of larger matrices (each row {2 * PAD} elements longer than the matrix is wide)"
    product_check(submission, rng, ("sliced", "sliced"), STRIDES.format(what=what))


@points(2)
def test_inputs_at_an_offset_into_their_storage_are_read_in_place(submission, rng):
    product_check(submission, rng, ("offset", "offset"), OFFSET)


@points(3)
def test_float16_inputs_give_a_float16_product(submission, rng):
    product_check(submission, rng, ("contiguous", "sliced"), DTYPE, dtype=torch.float16, sizes=(17, 31))


@points(3)
def test_float16_products_over_a_long_k_are_summed_in_float32(submission, rng):
    m, k, n = size(rng, 17, 31), size(rng, 160, 250), size(rng, 17, 31)
    a, b = pair(rng, m, k, n, torch.float16, offset=False)
    check_product(run(submission, a, b), a, b, ACCUMULATE)


@points(3)
def test_a_single_row_a_single_column_and_k_of_one_work_and_mismatched_sizes_raise(submission, rng):
    m, k, n = size(rng, 33, 63), size(rng, 33, 63), size(rng, 33, 63)
    for shape in ((1, k, n), (m, k, 1), (m, 1, n)):
        a, b = pair(rng, *shape)
        check_product(run(submission, a, b), a, b, EDGES)
    # Only after right products: a no-op that validates its arguments earns nothing here.
    a = lay_out(matrix(rng, m, k, torch.float32), "contiguous")
    b = lay_out(matrix(rng, k + 1, n, torch.float32), "contiguous")
    why = f"A is ({m}, {k}) and B is ({k + 1}, {n}): there is no A @ B (check a.shape[1] == b.shape[0])"
    expect_error(lambda: submission.matmul(a, b), "ValueError", why=why)


@points(3)
def test_tall_and_wide_products_cover_every_tile(submission, rng):
    long, k, short = size(rng, 70, 120), size(rng, 33, 63), size(rng, 3, 9)
    for shape in ((long, k, short), (short, k, long)):
        a, b = pair(rng, *shape)
        check_product(run(submission, a, b), a, b, TILES)


# --- speed (CUDA GPU only) ----------------------------------------------------------------
# The grader times each call itself, around a whole matmul in the learner's process, against the
# reference's kernel in a process of its own: interleaved rounds, fresh inputs every round, the
# other side frozen while one runs, every output verified (grader.checking.speed.race). A call also
# carries its inputs and C through the codec, so the inputs here are large GEMMs stored small: rows
# that overlap in memory, X[i, j] = x[i + j] (strides (1, 1)), a few hundred kilobytes for 2 * M * N * K
# = 0.55 TFLOP of kernel work. C (2 MB of float16) still crosses each call; that transfer is the same
# on both sides, and it makes the ratio measured here a little closer to 1 than the kernels' own.

SPEED_M = SPEED_N = 1024
SPEED_K = 1 << 18
SPEED_ROUNDS = 3
SPEED_SAMPLES = 16  # rows and columns of C checked each round, chosen after the call
_measured: dict[int, tuple[object, float]] = {}


def overlapping(rng, rows, cols, device=DEVICE):
    """A float16 (rows, cols) matrix with X[i, j] = x[i + j]: dense work, rows + cols - 1 stored elements."""
    x = torch.from_numpy(rng.uniform(-1.0, 1.0, rows + cols - 1)).to(torch.float16).to(device)
    return x.as_strided((rows, cols), (1, 1))


def speed_inputs(rng, m=SPEED_M, n=SPEED_N, k=SPEED_K, device=DEVICE):
    return overlapping(rng, m, k, device), overlapping(rng, k, n, device)


def judge_sampled(rng, samples=SPEED_SAMPLES):
    """A race's judge: C right on rows and columns drawn after the call (so no part can be skipped)."""

    def judge(out, reference_out, args):
        a, b = args
        m, k = a.shape
        n = b.shape[1]
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != (m, n) or out.dtype != a.dtype:
            fail(f"matmul returned {out!r:.80} for float16 ({m}, {k}) @ ({k}, {n}); expected a float16 ({m}, {n}) tensor")
        rows = torch.from_numpy(rng.choice(m, size=min(samples, m), replace=False)).to(a.device)
        cols = torch.from_numpy(rng.choice(n, size=min(samples, n), replace=False)).to(a.device)
        exact = a.index_select(0, rows).double() @ b.index_select(1, cols).double()
        got = out.to(a.device).index_select(0, rows).index_select(1, cols).double()
        tol = 2e-3 * exact.abs() + 1e-3 * k**0.5  # a float16 rounding of a float32 sum
        bad = ~((got - exact).abs() <= tol)
        if bool(bad.any()):
            fail(
                f"on the timed float16 ({m}, {k}) @ ({k}, {n}) products, C is wrong at {int(bad.sum())} of the "
                f"{bad.numel()} entries the grader checked (largest error {float((got - exact).abs().max()):.3g}): "
                "only a right C counts for speed.",
                out,
            )

    return judge


def speed_ratio(submission, reference_process, rng, *, m=SPEED_M, n=SPEED_N, k=SPEED_K, limit=1.25, device=DEVICE):
    """The best (learner time / reference time) over up to SPEED_ROUNDS rounds; once per grading."""
    hit = _measured.get(id(submission))
    if hit is not None and hit[0] is submission:
        return hit[1]
    judge = judge_sampled(rng)
    for side in (submission, reference_process):  # compile and autotune, untimed, on the same layout
        warm = speed_inputs(rng, m, n, k, device)
        judge(side.matmul(*warm), None, warm)
    result = race(
        submission, reference_process, "matmul", lambda: speed_inputs(rng, m, n, k, device),
        limit=limit, rounds=SPEED_ROUNDS, judge=judge,
    )
    ratio = result.best.ratio
    _measured.clear()
    _measured[id(submission)] = (submission, ratio)
    return ratio


def check_speed(submission, reference_process, rng, limit):
    try:
        ratio = speed_ratio(submission, reference_process, rng)
    except NotImplementedYet:
        fail(STUB)
    expect(ratio, "time / reference time").to_satisfy(
        ratio <= limit,
        f"your matmul took {ratio:.2f} times as long as the reference's kernel on float16 ({SPEED_M}, {SPEED_K}) @ "
        f"({SPEED_K}, {SPEED_N}) products (best of up to {SPEED_ROUNDS} rounds, timed by the grader); this check "
        f"asks for at most {limit:g} times. Try tiles of 64×64 to 128×128 with BLOCK_K 32–64, num_warps 4–8 and "
        "num_stages 3–4 in a triton.autotune over a few configs.",
    )


@needs_gpu
@points(2)
def test_float16_speed_is_within_twice_the_reference_kernel(submission, reference_process, rng):
    check_speed(submission, reference_process, rng, 2.0)


@needs_gpu
@points(2)
def test_float16_speed_is_within_1_5_times_the_reference_kernel(submission, reference_process, rng):
    check_speed(submission, reference_process, rng, 1.5)


@needs_gpu
@points(2)
def test_float16_speed_is_within_1_25_times_the_reference_kernel(submission, reference_process, rng):
    check_speed(submission, reference_process, rng, 1.25)
