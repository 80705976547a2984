"""Matrix multiplication in Triton: C = A @ B, one BLOCK_M × BLOCK_N tile of C per program.

Outside the @triton.jit kernel this file may only read sizes, strides and dtypes, allocate C,
compute with plain numbers and launch its kernels (README: "What the grader allows"): the
product itself is the kernel's job.
"""

from __future__ import annotations

import os

import torch

if not torch.cuda.is_available():
    # No GPU: Triton runs kernels in its interpreter, on the CPU with numpy (slow, but exact).
    os.environ.setdefault("TRITON_INTERPRET", "1")

try:
    import triton
    import triton.language as tl
except ImportError as exc:  # Triton publishes wheels for Linux only
    raise ImportError(
        "this exercise needs Triton, which is not installed here. On Linux: pip install 'triton>=3' "
        "(or pip install -e '.[triton]' in the course folder). Triton has no wheels for macOS or "
        "native Windows: use a Linux machine, WSL2, or a Linux cloud notebook."
    ) from exc


@triton.jit
def matmul_kernel(
    a_ptr, b_ptr, c_ptr,
    M, N, K,
    stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,
):
    """C[m, n] = Σ_k A[m, k]·B[k, n] for one BLOCK_M × BLOCK_N tile; A (M, K), B (K, N), C (M, N), any strides."""
    # Your kernel goes here (a Triton kernel cannot raise: matmul below raises until you write both).
    pass


def matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """C = A @ B computed by matmul_kernel; a (M, K), b (K, N), both float32 or both float16, any strides
    and storage offsets -> c (M, N), same dtype."""
    raise NotImplementedError
