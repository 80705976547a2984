"""The GPU check of ex15 (issue 14), as one script for a CUDA machine.

On a machine with a CUDA GPU, in one run:
  1. grades ex15's reference, its stub and a cheating submission (C computed with numpy, a Triton
     kernel launched that does nothing) as `grade batch` would: in the sandbox with every
     isolation layer required (on a GPU the worker compiles the kernel with ptxas inside it),
     and prints each score, the points of each check, and the isolation report;
  2. prints the reference kernel's TFLOP/s against torch.matmul at 4096^3 fp16 (triton.testing.do_bench,
     in this process: trusted code, the learner's never reports its own time).

Without a CUDA GPU it says so and exits 0 after step 1 on the CPU (Triton's interpreter), so
the script itself is tested everywhere.

Run: python bench/gpu_check.py [--size 4096]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import ROOT, load

CHEAT = '''
import numpy as np
import torch
import triton
import triton.language as tl


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K):
    pass  # launched, does nothing


def matmul(a, b):
    c = torch.from_numpy(a.cpu().numpy().dot(b.cpu().numpy())).to(a.device)
    matmul_kernel[(1,)](a, b, c, a.shape[0], b.shape[1], a.shape[1])
    return c
'''


def grade(file: Path) -> dict:
    """One grading as `grade batch` does it: in the sandbox, every isolation layer required."""
    from grader.course import load_course
    from grader.errors import GradeError
    from grader.grading.runner import grade as run

    ex = load_course(ROOT).resolve("ex15")
    try:
        return run(ex, source=file, seed=15, require_isolation=True).to_json()
    except GradeError as exc:
        return {"error": str(exc)[-600:]}


def grade_rows() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cheat = Path(tmp) / "gemm.py"
        cheat.write_text(CHEAT)
        subjects = {
            "reference": ROOT / "solutions/ex15_triton_gemm/gemm.py",
            "stub": ROOT / "exercises/ex15_triton_gemm/gemm.py",
            "cheat (numpy + no-op kernel)": cheat,
        }
        for name, path in subjects.items():
            result = grade(path)
            if "error" in result:
                print(f"  {name:32s} could not be graded: {result['error']}")
                continue
            print(f"  {name:32s} {result.get('score', 0):g}/{result.get('max_score', 0):g}")
            for test in result.get("tests", []):
                print(f"      {test.get('status', '?'):8s} {test.get('score', 0):g}/{test.get('max_score', 0):g}  {test.get('name', '')}")
        isolation = result.get("isolation", {}) if isinstance(result, dict) else {}
        print("  isolation of the last grading: " + "; ".join(f"{k}: {v}" for k, v in isolation.items()))


def speed_rows(size: int) -> None:
    import torch
    import triton.testing

    gemm = load("solutions/ex15_triton_gemm/gemm.py")
    a = torch.randn(size, size, device="cuda", dtype=torch.float16)
    b = torch.randn(size, size, device="cuda", dtype=torch.float16)
    torch.testing.assert_close(gemm.matmul(a, b), torch.matmul(a, b), rtol=2e-2, atol=2e-1)
    ours = triton.testing.do_bench(lambda: gemm.matmul(a, b)) / 1000
    theirs = triton.testing.do_bench(lambda: torch.matmul(a, b)) / 1000
    flops = 2 * size**3
    print(f"  {torch.cuda.get_device_name()}, {size}^3 fp16")
    print(f"  torch.matmul (cuBLAS)     {theirs * 1e3:8.3f} ms  {flops / theirs / 1e12:6.0f} TFLOP/s")
    print(f"  reference Triton GEMM     {ours * 1e3:8.3f} ms  {flops / ours / 1e12:6.0f} TFLOP/s  {theirs / ours:.0%} of cuBLAS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=4096)
    args = parser.parse_args()
    try:
        import torch

        cuda = torch.cuda.is_available()
    except ImportError:
        cuda = False
    print("ex15 graded in the sandbox" + ("" if cuda else " (no CUDA GPU here: Triton's interpreter on the CPU)"))
    grade_rows()
    if not cuda:
        print("speed: skipped: no CUDA GPU on this machine")
        return
    speed_rows(args.size)


if __name__ == "__main__":
    main()
