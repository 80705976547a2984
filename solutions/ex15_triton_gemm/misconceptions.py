"""Known-wrong variants of ex15, each with the feedback it earns.

They are Triton kernels too, run in the grader's process (in the interpreter without a GPU)
through the same harness as the learner's code, so that the NaN around the inputs and
after C plays the same part. One kernel with a switch per mistake keeps them comparable:
everything not switched on is the reference's method. Results are memoised on the inputs,
because the grader replays every variant on each failing check's inputs.
"""

from __future__ import annotations

import hashlib
import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")  # before triton is imported and _kernel decorated

import triton  # noqa: E402
import triton.language as tl  # noqa: E402

from grader.checking.misconceptions import Misconception, sibling_reference  # noqa: E402

ref = sibling_reference(__file__, "gemm.py")


@triton.jit
def _kernel(
    a_ptr, b_ptr, c_ptr, M, N, K,
    stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
    tile_m, tile_n,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
    MASK_K: tl.constexpr, ACC_FP16: tl.constexpr, MASK_STORE: tl.constexpr, SWAP_IDS: tl.constexpr,
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
        a_ptrs += BLOCK_K * stride_ak
        b_ptrs += BLOCK_K * stride_bk
    c_ptrs = c_ptr + offs_m[:, None] * stride_cm + offs_n[None, :] * stride_cn
    if MASK_STORE:
        tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=(offs_m[:, None] < M) & (offs_n[None, :] < N))
    else:
        tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty))


def _launch(a, b, *, block_n=64, mask_k=True, acc_fp16=False, mask_store=True, swap_ids=False,
            assume_contiguous=False, out_dtype=None, tile_by_tile=False):
    M, K = a.shape
    N = b.shape[1]
    c = torch.empty((M, N), device=a.device, dtype=out_dtype or a.dtype)
    strides = (K, 1, N, 1) if assume_contiguous else (a.stride(0), a.stride(1), b.stride(0), b.stride(1))
    grid_m, grid_n = triton.cdiv(M, 64), triton.cdiv(N, block_n)
    flags = dict(BLOCK_M=64, BLOCK_N=block_n, BLOCK_K=32, MASK_K=mask_k, ACC_FP16=acc_fp16,
                 MASK_STORE=mask_store, SWAP_IDS=swap_ids)
    if tile_by_tile:  # tiles in a fixed order, so that overlapping unmasked stores resolve the same way everywhere
        for i in range(grid_m):
            for j in range(grid_n):
                _kernel[(1, 1)](a, b, c, M, N, K, *strides, c.stride(0), c.stride(1), i, j, **flags)
    else:
        _kernel[(grid_m, grid_n)](a, b, c, M, N, K, *strides, c.stride(0), c.stride(1), 0, 0, **flags)
    return c


_memo: dict[tuple, tuple] = {}


def _key(name, *tensors_and_more):
    parts = [name]
    for x in tensors_and_more:
        if isinstance(x, torch.Tensor):
            x = x.detach().cpu().contiguous()
            parts += [str(x.dtype), tuple(x.shape), hashlib.sha1(x.numpy().tobytes()).hexdigest()]
        else:
            parts.append(x)
    return tuple(parts)


def _memoised(name, matmul_fn, a, b, a_layout, b_layout):
    key = _key(name, a, b, a_layout, b_layout)
    if key not in _memo:
        if len(_memo) > 1024:
            _memo.clear()
        _memo[key] = ref._run(matmul_fn, a, b, a_layout, b_layout)
    return _memo[key]


def _agree(x, y):
    """The same report, and C equal up to a float32 (float16) rounding: what the checks would accept."""
    (c, report), (c_ref, report_ref) = x, y
    if report != report_ref or not isinstance(c, torch.Tensor) or c.dtype != c_ref.dtype or c.shape != c_ref.shape:
        return False
    rtol = 1e-3 if c.dtype == torch.float16 else 1e-5
    return bool(torch.allclose(c.double(), c_ref.double(), rtol=rtol, atol=1e-5))


def harness(matmul_fn, name):
    """run_matmul for this variant: the reference's harness around the variant's matmul, memoised.

    Where the variant agrees with the reference on the inputs, its report says so
    ("same_as_reference", a key no learner's report has): a variant that is right on a
    check's inputs cannot be what made a learner fail that check, so it must not match them.
    """

    def run_matmul(a, b, a_layout="contiguous", b_layout="contiguous"):
        c, report = _memoised(name, matmul_fn, a, b, a_layout, b_layout)
        if _agree((c, report), _memoised("reference", ref.matmul, a, b, a_layout, b_layout)):
            report = {**report, "same_as_reference": True}
        return c, report

    return run_matmul


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


no_k_mask(harness(matmul, "no_k_mask"))


fp16_accumulator = Misconception(
    "accumulating in float16",
    "the running sum over K is kept in float16, so it is rounded to about 3 significant digits after "
    "every BLOCK_K step and the rounding errors add up. Keep the accumulator in float32 "
    "(tl.zeros(..., dtype=tl.float32), acc = tl.dot(a, b, acc)) and convert to float16 once, in the store.",
)


@fp16_accumulator
def matmul(a, b):  # noqa: F811
    return _launch(a, b, acc_fp16=a.dtype == torch.float16)


fp16_accumulator(harness(matmul, "fp16_accumulator"))


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


assumes_contiguous(harness(matmul, "assumes_contiguous"))


unmasked_store = Misconception(
    "store without a mask",
    "tl.store writes the whole BLOCK_M × BLOCK_N tile, also the rows past M and the columns past N: those "
    "land in the next row of C (overwriting results) or past its end (on a GPU: someone else's memory). "
    "Store with mask=(offs_m[:, None] < M) & (offs_n[None, :] < N).",
)


@unmasked_store
def matmul(a, b):  # noqa: F811
    return _launch(a, b, block_n=32, mask_store=False, tile_by_tile=True)


unmasked_store(harness(matmul, "unmasked_store"))


float32_output = Misconception(
    "float32 output for float16 inputs",
    "C is allocated as float32 whatever the inputs, so float16 inputs give a float32 product (twice the "
    "memory, and not what the caller asked for). Allocate C with dtype=a.dtype; the kernel keeps its "
    "float32 accumulator and converts in the store (acc.to(c_ptr.dtype.element_ty)).",
)


@float32_output
def matmul(a, b):  # noqa: F811
    return _launch(a, b, out_dtype=torch.float32)


float32_output(harness(matmul, "float32_output"))


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


swapped_ids(harness(matmul, "swapped_ids"))


no_kernel = Misconception(
    "product computed without the kernel",
    "C was computed with torch operations (here a broadcast multiply and a sum) instead of by a Triton "
    "kernel. The exercise is the kernel: launch matmul_kernel[grid](...) and return the buffer it wrote.",
)


@no_kernel
def matmul(a, b):  # noqa: F811
    return (a[:, :, None].double() * b[None, :, :].double()).sum(dim=1).to(a.dtype)


no_kernel(harness(matmul, "no_kernel"))
