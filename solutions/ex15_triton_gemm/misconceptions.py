"""Known-wrong variants of ex15, each with the feedback it earns.

They are Triton kernels too, run in the grader's process (in the interpreter without a GPU) on
the inputs a failing check built, laid out as the check laid them out (the codec carries views),
so the NaN around A and B plays the same part as for the learner. One kernel with a switch per
mistake keeps them comparable: everything not switched on is the reference's method. Each
variant allocates C full of NaN (the learner's torch.empty holds whatever was there), so a tile
it never stores shows the same way on every run; the variant that stores without a mask gets C
inside a larger buffer of its own, so what it writes past C stays in memory it owns.
"""

from __future__ import annotations

import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")  # before triton is imported and _kernel decorated

import triton  # noqa: E402
import triton.language as tl  # noqa: E402

from grader.checking.misconceptions import Misconception, sibling_reference  # noqa: E402

ref = sibling_reference(__file__, "gemm.py")
BLOCK_M, BLOCK_K = 64, 32


@triton.jit
def _kernel(
    a_ptr, b_ptr, c_ptr, M, N, K,
    stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
    tile_m, tile_n,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
    MASK_K: tl.constexpr, ACC_FP16: tl.constexpr, MASK_STORE: tl.constexpr, SWAP_IDS: tl.constexpr,
    STEP_IN_ELEMENTS: tl.constexpr, MASK_K_WITHOUT_K0: tl.constexpr, OVERWRITE_ACC: tl.constexpr,
    WHOLE_STEPS_ONLY: tl.constexpr,
):
    # A 2-D grid (tiles along M, tiles along N), or one launch per tile at (tile_m, tile_n).
    if SWAP_IDS:
        pid_m = tl.program_id(1) + tile_m  # the mistake: axis 1 counts tiles along N
        pid_n = tl.program_id(0) + tile_n
    else:
        pid_m = tl.program_id(0) + tile_m
        pid_n = tl.program_id(1) + tile_n
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + offs_m[:, None] * stride_am + offs_k[None, :] * stride_ak
    b_ptrs = b_ptr + offs_k[:, None] * stride_bk + offs_n[None, :] * stride_bn
    if ACC_FP16:
        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float16)
    else:
        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    if WHOLE_STEPS_ONLY:
        k_end = (K // BLOCK_K) * BLOCK_K  # the mistake: K // BLOCK_K steps, the partial last one never runs
    else:
        k_end = K
    for k0 in range(0, k_end, BLOCK_K):
        if MASK_K_WITHOUT_K0:  # the mistake: offs_k < K, true on every step once K > BLOCK_K
            a = tl.load(a_ptrs, mask=(offs_m[:, None] < M) & (offs_k[None, :] < K), other=0.0)
            b = tl.load(b_ptrs, mask=(offs_k[:, None] < K) & (offs_n[None, :] < N), other=0.0)
        elif MASK_K:
            a = tl.load(a_ptrs, mask=(offs_m[:, None] < M) & (offs_k[None, :] < K - k0), other=0.0)
            b = tl.load(b_ptrs, mask=(offs_k[:, None] < K - k0) & (offs_n[None, :] < N), other=0.0)
        else:
            a = tl.load(a_ptrs, mask=offs_m[:, None] < M, other=0.0)
            b = tl.load(b_ptrs, mask=offs_n[None, :] < N, other=0.0)
        if ACC_FP16:
            acc += tl.dot(a, b).to(tl.float16)
        elif OVERWRITE_ACC:  # the mistake: each step replaces the sum instead of adding to it
            acc = tl.dot(a, b, input_precision="ieee")
        else:
            acc = tl.dot(a, b, acc, input_precision="ieee")
        if STEP_IN_ELEMENTS:  # the mistake: BLOCK_K elements along memory, not BLOCK_K steps along K
            a_ptrs += BLOCK_K
            b_ptrs += BLOCK_K
        else:
            a_ptrs += BLOCK_K * stride_ak
            b_ptrs += BLOCK_K * stride_bk
    c_ptrs = c_ptr + offs_m[:, None] * stride_cm + offs_n[None, :] * stride_cn
    if MASK_STORE:
        tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=(offs_m[:, None] < M) & (offs_n[None, :] < N))
    else:
        tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty))


def _launch(a, b, *, block_n=64, mask_k=True, acc_fp16=False, mask_store=True, swap_ids=False,
            assume_contiguous=False, out_dtype=None, floor_grid=False, step_in_elements=False,
            mask_k_without_k0=False, overwrite_acc=False, whole_steps_only=False, check_sizes=True):
    if check_sizes and (a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]):
        raise ValueError(f"matmul needs a (M, K) and b (K, N), got {tuple(a.shape)} and {tuple(b.shape)}")
    M, K = a.shape
    N = b.shape[1]
    dtype = out_dtype or a.dtype
    if mask_store:
        c = torch.full((M, N), float("nan"), device=a.device, dtype=dtype)
    else:  # tiles written whole: C is the start of a buffer with room for every tile's overhang
        room = (M + BLOCK_M) * N + block_n
        c = torch.full((room,), float("nan"), device=a.device, dtype=dtype)[: M * N].view(M, N)
    strides = (K, 1, N, 1) if assume_contiguous else (a.stride(0), a.stride(1), b.stride(0), b.stride(1))
    if floor_grid:
        grid_m, grid_n = M // BLOCK_M, N // block_n
    else:
        grid_m, grid_n = triton.cdiv(M, BLOCK_M), triton.cdiv(N, block_n)
    flags = dict(BLOCK_M=BLOCK_M, BLOCK_N=block_n, BLOCK_K=BLOCK_K, MASK_K=mask_k, ACC_FP16=acc_fp16,
                 MASK_STORE=mask_store, SWAP_IDS=swap_ids, STEP_IN_ELEMENTS=step_in_elements,
                 MASK_K_WITHOUT_K0=mask_k_without_k0, OVERWRITE_ACC=overwrite_acc, WHOLE_STEPS_ONLY=whole_steps_only)
    if grid_m == 0 or grid_n == 0:
        return c  # no program at all: C as allocated
    if not mask_store:  # tiles in a fixed order, so overlapping stores resolve the same way everywhere
        for i in range(grid_m):
            for j in range(grid_n):
                _kernel[(1, 1)](a, b, c, M, N, K, *strides, c.stride(0), c.stride(1), i, j, **flags)
    else:
        _kernel[(grid_m, grid_n)](a, b, c, M, N, K, *strides, c.stride(0), c.stride(1), 0, 0, **flags)
    return c


no_k_mask = Misconception(
    "no mask on the K loop",
    "the loads inside the K loop are masked on M and N but not on k < K. When K is not a multiple of "
    "BLOCK_K the last step reads past the end of each row of A and each column of B (here: NaN; on a GPU: "
    "whatever memory follows), and those products land in C. Mask A with (offs_k[None, :] < K - k0) and B "
    "with (offs_k[:, None] < K - k0) as well, with other=0.0.",
    tell_apart="M and N multiples of the block sizes with K not a multiple of BLOCK_K: without the K mask C is "
    "NaN there (every sum reads past K), while a grid sized with // is right; and K below BLOCK_K (K = 5, say), "
    "where a mask on offs_k < K alone is right too.",
)


@no_k_mask
def matmul(a, b):
    return _launch(a, b, mask_k=False)


fp16_accumulator = Misconception(
    "accumulating in float16",
    "the running sum over K is kept in float16, so it is rounded to about 3 significant digits after "
    "every BLOCK_K step and the rounding errors add up. Keep the accumulator in float32 "
    "(tl.zeros(..., dtype=tl.float32), acc = tl.dot(a, b, acc)) and convert to float16 once, in the store.",
)


@fp16_accumulator
def matmul(a, b):  # noqa: F811
    return _launch(a, b, acc_fp16=a.dtype == torch.float16)


assumes_contiguous = Misconception(
    "strides taken from the shapes",
    "the kernel addresses A[m, k] as a_ptr + m*K + k and B[k, n] as b_ptr + k*N + n, which is only true "
    "for contiguous row-major tensors. A transposed tensor or a slice of a bigger one has other strides: "
    "pass a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1) to the kernel and "
    "use them for every address.",
)


@assumes_contiguous
def matmul(a, b):  # noqa: F811
    return _launch(a, b, assume_contiguous=True)


unmasked_store = Misconception(
    "store without a mask",
    "tl.store writes the whole BLOCK_M × BLOCK_N tile, also the rows past M and the columns past N: those "
    "land in the next row of C (overwriting results) or past its end (on a GPU: someone else's memory). "
    "Store with mask=(offs_m[:, None] < M) & (offs_n[None, :] < N).",
)


@unmasked_store
def matmul(a, b):  # noqa: F811
    return _launch(a, b, block_n=32, mask_store=False)


float32_output = Misconception(
    "float32 output for float16 inputs",
    "C is allocated as float32 whatever the inputs, so float16 inputs give a float32 product (twice the "
    "memory, and not what the caller asked for). Allocate C with dtype=a.dtype; the kernel keeps its "
    "float32 accumulator and converts in the store (acc.to(c_ptr.dtype.element_ty)).",
)


@float32_output
def matmul(a, b):  # noqa: F811
    return _launch(a, b, out_dtype=torch.float32)


swapped_ids = Misconception(
    "program ids of M and N swapped",
    "the grid is (tiles along M, tiles along N) but the kernel reads pid_m from axis 1 and pid_n from "
    "axis 0. With as many tiles along M as along N this goes unnoticed; on a tall or wide matrix some "
    "tiles are computed twice or fall outside C and others are never written. Take pid_m = "
    "tl.program_id(0) and pid_n = tl.program_id(1) to match the grid (or one axis and pid // num_pid_n, "
    "pid % num_pid_n).",
)


@swapped_ids
def matmul(a, b):  # noqa: F811
    return _launch(a, b, swap_ids=True)


floor_grid = Misconception(
    "grid sized with // instead of cdiv",
    "the grid has M // BLOCK_M by N // BLOCK_N programs, which leaves out the last, partial tile in each "
    "direction (and every tile when M or N is smaller than a block): those parts of C are never written. "
    "Size it with triton.cdiv(M, BLOCK_M) and triton.cdiv(N, BLOCK_N), and let the masks handle the overhang.",
    tell_apart="K a multiple of BLOCK_K with M or N not a multiple of the blocks: a grid sized with // leaves the "
    "last tiles of C unwritten there, while a kernel without the K mask is right.",
)


@floor_grid
def matmul(a, b):  # noqa: F811
    return _launch(a, b, floor_grid=True)


k_step_without_stride = Misconception(
    "the K loop steps through memory, not along K",
    "after each step the pointers move by BLOCK_K elements of memory (a_ptrs += BLOCK_K), which is BLOCK_K "
    "steps along K only when that stride is 1. For B in row-major order (stride_bk = N), or a transposed A, "
    "the second step reads the wrong rows. Move by BLOCK_K * stride_ak and BLOCK_K * stride_bk.",
)


@k_step_without_stride
def matmul(a, b):  # noqa: F811
    return _launch(a, b, step_in_elements=True)


k_mask_without_k0 = Misconception(
    "the K mask forgets how far the loop has come",
    "the loads along K are masked with offs_k < K, which holds for every offs_k < BLOCK_K as soon as K > BLOCK_K: "
    "the last, partial step still reads past the end of A's rows and B's columns (here: NaN; on a GPU: whatever "
    "follows). offs_k counts from the start of the current step, so compare it with what is left: "
    "offs_k < K - k0 (or k0 + offs_k < K).",
    tell_apart="K below BLOCK_K (K = 5, say): a mask on offs_k < K is right there, no mask at all is not.",
)


@k_mask_without_k0
def matmul(a, b):  # noqa: F811
    return _launch(a, b, mask_k_without_k0=True)


overwritten_accumulator = Misconception(
    "the accumulator is replaced at each K step",
    "acc = tl.dot(a, b) in the loop replaces the running sum with the product of the current step, so C holds "
    "only the last BLOCK_K terms of each sum. Add to it: acc += tl.dot(a, b), or acc = tl.dot(a, b, acc).",
)


@overwritten_accumulator
def matmul(a, b):  # noqa: F811
    return _launch(a, b, overwrite_acc=True)


whole_steps_only = Misconception(
    "the K loop runs K // BLOCK_K steps",
    "the loop over K runs K // BLOCK_K times, which leaves out the last, partial step when K is not a multiple of "
    "BLOCK_K (and every step when K < BLOCK_K: C is then 0). Run tl.cdiv(K, BLOCK_K) steps (range(0, K, BLOCK_K)) "
    "and mask the loads on offs_k < K - k0, so the partial step adds exactly the terms that exist.",
)


@whole_steps_only
def matmul(a, b):  # noqa: F811
    return _launch(a, b, whole_steps_only=True)


no_size_check = Misconception(
    "inner sizes not checked",
    "matmul went ahead with A (M, K) and B (K', N) whose inner sizes differ, reading K of B's rows whatever B "
    "holds. There is no A @ B then: check a.shape[1] == b.shape[0] before the launch and raise ValueError.",
)


@no_size_check
def matmul(a, b):  # noqa: F811
    return _launch(a, b, check_sizes=False)


# --- probes: inputs that tell the lookalikes apart ----------------------------------------------------

PROBE_PAD = 64  # NaN beyond every edge, as the checks lay their inputs out: a read past an edge shows as NaN


def _padded(rng, rows, cols, device):
    """A float32 (rows, cols) matrix of random entries, row-major, followed in its storage by NaN."""
    storage = torch.full((rows * cols + PROBE_PAD * (cols + PROBE_PAD),), float("nan"), device=device)
    view = storage[: rows * cols].view(rows, cols)
    view.copy_(torch.from_numpy(rng.standard_normal((rows, cols))).to(torch.float32))
    return view


def probes(rng):
    """Calls that split the K-side mistakes from the M/N-side ones, and the K-mask ones from each other:
    M and N multiples of every block up to 128 with a K that is no multiple of 16 (a K mask matters, the grid
    and the store masks do not); M and N no multiples of 16 with K = 128 (the other way round); and K = 5,
    below any BLOCK_K (a mask on offs_k < K is right there, no mask and a floored loop are not)."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    shapes = [(128, 150, 128), (100, 128, 84), (128, 5, 128)]
    return [("matmul", (_padded(rng, m, k, device), _padded(rng, k, n, device)), {}) for m, k, n in shapes]
