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
    STEP_IN_ELEMENTS: tl.constexpr,
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
    for k0 in range(0, K, BLOCK_K):
        if MASK_K:
            a = tl.load(a_ptrs, mask=(offs_m[:, None] < M) & (offs_k[None, :] < K - k0), other=0.0)
            b = tl.load(b_ptrs, mask=(offs_k[:, None] < K - k0) & (offs_n[None, :] < N), other=0.0)
        else:
            a = tl.load(a_ptrs, mask=offs_m[:, None] < M, other=0.0)
            b = tl.load(b_ptrs, mask=offs_n[None, :] < N, other=0.0)
        if ACC_FP16:
            acc += tl.dot(a, b).to(tl.float16)
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
            assume_contiguous=False, out_dtype=None, floor_grid=False, step_in_elements=False):
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
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
                 MASK_STORE=mask_store, SWAP_IDS=swap_ids, STEP_IN_ELEMENTS=step_in_elements)
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
