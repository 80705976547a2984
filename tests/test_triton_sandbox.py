"""Triton compiles a learner's kernel for a CUDA GPU inside the worker, under every layer (issue 14).

No GPU is needed: Triton compiles ahead of time for a CUDA target
(``triton.compile(ASTSource(...), target=GPUTarget("cuda", 90, 32))``) and runs its own
``ptxas`` to make the cubin, as it does on a GPU machine. The worker is put in the mode a
Triton exercise gets on a CUDA machine (``gpu_compiler=True``): exec is allowed by seccomp
and limited by Landlock to the compiler's files; nothing else can be executed.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import textwrap
from pathlib import Path

import pytest

from grader.checking.proxy import Submission, WorkerBackend
from grader.course import load_course
from grader.sandbox import trusted
from grader.sandbox.failures import LearnerRaised

from .helpers import ROOT

# Not imported here: triton imported in this process before ex15's checks set TRITON_INTERPRET
# would run the in-process references and misconceptions of other tests compiled, not interpreted.
pytestmark = pytest.mark.skipif(importlib.util.find_spec("triton") is None, reason="triton is not installed")

MODULE = textwrap.dedent(
    '''
    import os
    import subprocess

    import triton
    import triton.language as tl
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource


    @triton.jit
    def scale(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
        i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        mask = i < n
        tl.store(y_ptr + i, tl.load(x_ptr + i, mask=mask) * 2.0, mask=mask)


    def compile_for_gpu():
        source = ASTSource(fn=scale, signature={"x_ptr": "*fp32", "y_ptr": "*fp32", "n": "i32", "BLOCK": "constexpr"},
                           constexprs={"BLOCK": 128})
        kernel = triton.compile(source, target=GPUTarget("cuda", 90, 32))
        return len(kernel.asm["cubin"]), os.environ.get("TRITON_CACHE_DIR", "")


    def run(argv):
        try:
            subprocess.run(argv, check=True, capture_output=True, timeout=30)
            return "ran"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"


    def write_script(name):
        with open(name, "w") as fh:
            fh.write("#!/bin/sh\\nexit 0\\n")
        os.chmod(name, 0o755)
        return os.path.abspath(name)
    '''
)
ENTRY_POINTS = ("compile_for_gpu", "run", "write_script")


@pytest.fixture(scope="module")
def ex15():
    return load_course(ROOT).resolve("ex15")


def submission(ex15, tmp_path: Path, *, gpu_compiler: bool) -> tuple[Submission, trusted.Worker]:
    module = tmp_path / "gemm.py"
    module.write_text(MODULE)
    worker = trusted.worker_for(ex15, [("gemm.py", module)], gpu_compiler=gpu_compiler, require_isolation=True)
    return Submission(WorkerBackend(worker, "gemm.py"), ENTRY_POINTS), worker


@pytest.mark.slow
def test_a_kernel_compiles_for_the_gpu_inside_the_worker_and_nothing_else_runs(ex15, tmp_path):
    sub, worker = submission(ex15, tmp_path, gpu_compiler=True)
    try:
        size, cache = sub.compile_for_gpu()
        assert size > 1000  # a real cubin, made by ptxas inside the sandbox
        assert worker.layers["seccomp"] == "on (processes may run the GPU compiler)"
        assert all(not v.startswith("off") for v in worker.layers.values()), worker.layers
        assert cache and Path(cache).is_dir() and any(Path(cache).rglob("*.cubin"))
        assert not cache.startswith(str(worker.scratch))  # not among the learner's files
        for argv in (["/bin/true"], ["/bin/sh", "-c", "true"], [sys.executable, "-c", "pass"], [sub.write_script("x.sh")]):
            said = sub.run(argv)
            assert said.startswith("PermissionError"), (argv, said)
    finally:
        worker.close()
    assert not os.path.exists(cache)  # the grading's cache goes with it


@pytest.mark.slow
def test_without_the_compiler_mode_nothing_can_be_executed(ex15, tmp_path):
    sub, worker = submission(ex15, tmp_path, gpu_compiler=False)
    try:
        assert sub.run(["/bin/true"]).startswith("PermissionError")
        with pytest.raises(LearnerRaised):
            sub.compile_for_gpu()  # ptxas cannot run: seccomp forbids every exec here
        assert worker.layers["seccomp"] == "on"
    finally:
        worker.close()
