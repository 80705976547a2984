"""ex15 (Triton GEMM) trusts nothing the learner's file says about itself (issue 14).

The checks build every input (transposed, sliced, offset, NaN around each view) and judge C
themselves; the codec carries those views to the learner's process as they are; the allow-list
scan (exercise.yaml: kernel_rules) refuses, naming the line, any code outside a kernel that does
more than read sizes, allocate and launch; the worker removes the multiplying callables too.

Each file in tests/hostile/ex15 is appended to the reference (later definitions win) and says
what it expects in its docstring:

    EXPECT: at most N "text"...          it earns at most N points; the failures say each text and
                                         name every line marked ``# refused``
    EXPECT: fails a b; passes c d        checks whose id contains a, b score 0; c, d pass
    EXPECT: full                         every check that runs passes
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.course import load_course
from grader.course.model import KernelRules, load_exercise
from grader.errors import CourseError
from grader.grading.runner import grade
from grader.sandbox.kernel_scan import scan

from .helpers import ROOT

HOSTILE = sorted((Path(__file__).parent / "hostile" / "ex15").glob("*.py"))
REFERENCE = (ROOT / "solutions/ex15_triton_gemm/gemm.py").read_text()
SEED = 5


@pytest.fixture(scope="module")
def ex15():
    return load_course(ROOT).resolve("ex15")


def graded(ex15, tmp_path, source: str, seed: int = SEED):
    path = tmp_path / "gemm.py"
    path.write_text(source)
    return grade(ex15, seed=seed, source=path)


def ran(result):
    return [c for c in result.checks if c.status != "skipped"]


# --- the reference, the stub, and every hostile submission ---------------------------------

def test_the_reference_earns_every_point_that_runs(ex15):
    result = grade(ex15, seed=SEED, source=ex15.solution_directory)
    assert all(c.passed for c in ran(result)), [c.output for c in ran(result) if not c.passed]
    assert result.score == result.max_score - result.skipped_points > 0
    assert not result.notes or all("does not allow" not in n for n in result.notes)


def test_the_stub_earns_nothing(ex15):
    result = grade(ex15, seed=SEED)
    assert result.score == 0
    assert all("NotImplementedError" in c.output for c in ran(result))


def test_the_learner_file_holds_no_grader_code(ex15):
    """No harness: the stub and the reference define the kernel and matmul, nothing that grades."""
    for path in (ex15.learner_paths[0], ex15.reference_path):
        tree = ast.parse(path.read_text())
        functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert functions <= {"matmul", "matmul_kernel", "_configs"}, (path, functions)
    assert ex15.entry_points == ("matmul",)


def expectation(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    match = re.search(r"EXPECT: (.*)", doc)
    assert match, f"{path.name} has no EXPECT line"
    return match.group(1).strip()


@pytest.mark.parametrize("path", HOSTILE, ids=[p.stem for p in HOSTILE])
def test_hostile_submission_earns_what_it_should(ex15, tmp_path, path):
    body = path.read_text()
    source = REFERENCE + "\n\n" + body
    result = graded(ex15, tmp_path, source)
    expect = expectation(path)
    checks = ran(result)
    if expect == "full":
        assert all(c.passed for c in checks), [c.output for c in checks if not c.passed]
    elif expect.startswith("at most"):
        limit = float(expect.split()[2])
        assert result.score <= limit, [(c.name, c.score) for c in checks if c.passed]
        said = "\n".join(c.output for c in checks if not c.passed)
        for text in re.findall(r'"([^"]*)"', expect):
            assert text in said, f"expected {text!r} in:\n{said}"
        offset = REFERENCE.count("\n") + 3  # the fragment's first line is this line of the graded file
        marked = [offset + i for i, line in enumerate(body.splitlines()) if line.rstrip().endswith("# refused")]
        for line in marked:
            assert f"line {line}:" in said, f"line {line} not named in:\n{said}"
    else:
        fails, _, passes = expect.removeprefix("fails ").partition("; passes ")
        for word in fails.split():
            hit = [c for c in checks if word in c.test_id]
            assert hit and all(c.score == 0 for c in hit), (word, [(c.test_id, c.score) for c in hit])
        for word in passes.split():
            hit = [c for c in checks if word in c.test_id]
            assert hit and all(c.passed for c in hit), (word, [(c.test_id, c.output) for c in hit])


def test_the_suite_covers_the_issue():
    names = {p.stem for p in HOSTILE}
    for needed in ("numpy_dot_with_noop_kernel", "torch_matmul", "matmul_operator", "einsum", "getattr_computed_name",
                   "dunder_import", "contiguous_strides_only"):
        assert needed in names


# --- the worker's removal, under the scan --------------------------------------------------

def test_the_worker_removes_numpy_and_tensor_numpy_even_without_the_scan(ex15, tmp_path):
    """With kernel_rules taken away, the numpy cheat still fails: the worker replaced Tensor.numpy.
    (The reference passing above shows that Triton's interpreter keeps numpy.matmul for tl.dot.)"""
    bare = dataclasses.replace(ex15, kernel_rules=None, forbidden=("torch.Tensor.numpy", "numpy.dot"))
    cheat = REFERENCE + "\n\n" + (ROOT / "tests/hostile/ex15/numpy_dot_with_noop_kernel.py").read_text()
    result = graded(bare, tmp_path, cheat)
    product = next(c for c in result.checks if c.test_id == "test_float32_products_of_any_size_are_right")
    assert product.score == 0
    assert "torch.Tensor.numpy" in product.output and "does not allow" in product.output


# --- the allow-list scan, line by line ---------------------------------------------------------

RULES = load_course(ROOT).resolve("ex15").kernel_rules


def refused(source: str, fn: str = "matmul") -> list[str]:
    found = scan(textwrap.dedent(source), RULES, ["matmul"])
    return [str(r) for r in found.get(fn, [])]


HEADER = """\
import torch
import triton
import triton.language as tl


@triton.jit
def k(a_ptr, c_ptr, N, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(a_ptr + offs, mask=offs < N, other=0.0)
    tl.store(c_ptr + offs, x.to(c_ptr.dtype.element_ty), mask=offs < N)

"""


@pytest.mark.parametrize(
    "body",
    [
        # sizes, strides, dtypes, allocation, plain arithmetic, a grid lambda, an error with an f-string
        """
        def matmul(a, b):
            if a.shape[1] != b.shape[0] or a.dtype not in (torch.float16, torch.float32):
                raise ValueError(f"bad {tuple(a.shape)} {a.stride()} {a.dtype}")
            M, K = a.shape
            n = M * K
            c = torch.empty_like(a)
            k[lambda meta: (triton.cdiv(n, meta["BLOCK"]),)](a, c, n, BLOCK=64)
            return c
        """,
        # a helper that gets plain numbers, a launch per tile in a loop over range
        """
        def _tiles(m, block):
            return triton.cdiv(m, block)

        def matmul(a, b):
            c = torch.zeros((a.shape[0], b.shape[1]), device=a.device, dtype=a.dtype)
            for i in range(_tiles(a.numel(), 64)):
                k[(1,)](a, c, a.numel(), BLOCK=64)
            return c
        """,
        # a top-level function as the grid, reading the block size by name
        """
        def _grid(meta):
            return (triton.cdiv(1000, meta["BLOCK"]),)

        def matmul(a, b):
            c = torch.empty_like(a)
            k[_grid](a, c, a.numel(), BLOCK=64)
            return c
        """,
        # an autotuned kernel; the learner's own test under a main guard
        """
        @triton.autotune(configs=[triton.Config({"BLOCK": 32})], key=["N"])
        @triton.jit
        def k2(a_ptr, N, BLOCK: tl.constexpr):
            pass

        def matmul(a, b):
            k2[lambda meta: (1,)](a, a.numel())
            return torch.empty_like(a)

        if __name__ == "__main__":
            import numpy
            print(numpy.dot(torch.ones(2).numpy(), torch.ones(2).numpy()))
        """,
    ],
)
def test_what_the_allow_list_allows(body):
    assert refused(HEADER + textwrap.dedent(body)) == []


@pytest.mark.parametrize(
    "body, why",
    [
        ("return a.T", ".T of a tensor"),
        ("return a.sum()", ".sum of a tensor"),
        ("return a[0]", "indexing a tensor"),
        ("return a * 2", "arithmetic on a tensor"),
        ("return [r for r in a]", "iterating over a tensor"),
        ("return float(a)", "a tensor passed to float()"),
        ("return triton.cdiv(a, 2)", "a tensor passed to triton.cdiv"),
        ("return torch.mm(a, b)", "torch.mm is not on this exercise's list"),
        ("return vars(a)", "vars is not on this exercise's list"),
        ("return a.__class__", "double underscores"),
        ("import numpy", "imports belong at the top"),
        ("a.data = b", "assigning into an object"),
        ("return k(a, b, 1, 1)", "launch a kernel with kernel[grid]"),
        ("return f'{a}'", "formatting a tensor"),
        ("return a == b", "comparing a tensor"),
        ("return torch", "torch used as a value"),
        # Triton calls the grid with every argument of the launch: only constexpr ones are plain numbers
        ('return k[lambda meta: (int(meta["a_ptr"].sum()),)](a, a, 1, BLOCK=64)', ".sum of a tensor"),
        ('return k[lambda meta: (meta["N"] // 2,)](a, a, 1, BLOCK=64)', "arithmetic on a tensor"),
    ],
)
def test_what_the_allow_list_refuses_names_the_line(body, why):
    source = HEADER + "def matmul(a, b):\n    x = 1\n    " + body + "\n"
    found = refused(source)
    line = source.count("\n")  # the body is the last line
    assert any(f"line {line}:" in r and why in r for r in found), found


def test_a_name_is_judged_by_every_kind_it_takes():
    """A loop runs its end before its start, and a branch may not run: kinds hold for the whole body."""
    loop = "def matmul(a, b):\n    x = 1\n    for i in range(2):\n        y = x + 1\n        x = a\n    return y\n"
    assert any("arithmetic on a tensor" in r and "line 15:" in r for r in refused(HEADER + loop)), refused(HEADER + loop)
    branch = (
        "def matmul(a, b):\n    def grid(meta):\n        if meta is None:\n            meta = 3\n"
        "        return (meta['a_ptr'].sum(),)\n    k[grid](a, a, 1, BLOCK=64)\n    return a\n"
    )
    assert any("line 16:" in r for r in refused(HEADER + branch)), refused(HEADER + branch)


def test_a_refusal_at_module_level_reaches_every_function():
    found = scan(HEADER + "import os\nos.system('true')\n\ndef matmul(a, b):\n    return a\n", RULES, ["matmul"])
    assert any("os.system" in str(r) for r in found["matmul"])
    assert any("os.system" in str(r) for r in found["k"])


def test_a_kernel_may_call_only_triton_language_and_other_kernels():
    body = """
    def helper(x):
        return x

    @triton.jit
    def k3(a_ptr):
        x = helper(a_ptr)
        y = tl.load(a_ptr).handle
        for i in [1, 2]:
            pass

    def matmul(a, b):
        k3[(1,)](a)
        return a
    """
    found = refused(HEADER + textwrap.dedent(body))
    assert any("helper cannot be called inside a kernel" in r for r in found), found
    assert any(".handle is not an attribute of Triton's tensors" in r for r in found), found
    assert any("a kernel loops over range" in r for r in found), found


# --- exercise.yaml: kernel_rules ---------------------------------------------------------

def ex15_copy(tmp_path: Path, rules_yaml: str) -> Path:
    import shutil

    folder = tmp_path / "exercises" / "ex15_triton_gemm"
    shutil.copytree(ROOT / "exercises/ex15_triton_gemm", folder)
    yaml = (folder / "exercise.yaml").read_text()
    start = yaml.index("kernel_rules:")
    end = yaml.index("limits:")
    (folder / "exercise.yaml").write_text(yaml[:start] + rules_yaml + yaml[end:])
    return folder


def load(folder: Path):
    from grader.course import Limits

    return load_exercise(folder, folder.parent.parent / "solutions", {}, Limits())


def test_kernel_rules_default_when_a_list_is_left_out(tmp_path):
    ex = load(ex15_copy(tmp_path, "kernel_rules: {}\n"))
    assert ex.kernel_rules == KernelRules()


@pytest.mark.parametrize(
    "rules, message",
    [
        ("kernel_rules:\n  call: [torch.empty]\n", "unknown field 'call'"),
        ("kernel_rules:\n  builtins: [len, getattr]\n", "'getattr' can never be allowed"),
        ("kernel_rules:\n  builtins: [lenn]\n", "'lenn' is not a Python built-in"),
        ("kernel_rules:\n  calls: [numpy.dot]\n", "its module numpy is not in kernel_rules.imports"),
        ("kernel_rules:\n  calls: ['torch.(matmul)']\n", "is not a dotted Python name"),
        ("kernel_rules:\n  tensor_attributes: [__class__]\n", "double underscores"),
        ("kernel_rules:\n  tensor_attributes: [x.y]\n", "must be a single name"),
    ],
)
def test_kernel_rules_errors_name_the_file_and_line(tmp_path, rules, message):
    folder = ex15_copy(tmp_path, rules)
    with pytest.raises(CourseError) as info:
        load(folder)
    text = str(info.value)
    assert message in text and "exercise.yaml" in text
    key_line = (folder / "exercise.yaml").read_text().splitlines().index("kernel_rules:") + 2
    assert f":{key_line}" in text, text


def test_kernel_rules_need_triton(tmp_path):
    folder = ex15_copy(tmp_path, "kernel_rules: {}\n")
    yaml = (folder / "exercise.yaml").read_text().replace("requires: [torch, triton]", "requires: [torch]")
    (folder / "exercise.yaml").write_text(yaml)
    with pytest.raises(CourseError, match="kernel_rules are for Triton exercises"):
        load(folder)


# --- the speed checks' design, exercised on the CPU ---------------------------------------

def _checks_module():
    path = ROOT / "exercises/ex15_triton_gemm/checks/test_gemm.py"
    spec = importlib.util.spec_from_file_location("_ex15_checks_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_overlapping_speed_inputs_cross_small_and_dense():
    from grader.sandbox.codec import decode, encode

    checks = _checks_module()
    a, b = checks.speed_inputs(np.random.default_rng(0), 64, 48, 4096, device="cpu")
    head, blobs = encode((a, b))
    assert sum(len(x) for x in blobs) < 2 * (64 + 48 + 4096) * 2 + 1000  # storages, not 64 x 4096 matrices
    a2, b2 = decode(head, blobs)
    assert torch.equal(a2, a) and a2.stride() == (1, 1) and torch.equal(b2, b)


def test_the_speed_race_times_verified_calls_on_the_cpu(ex15, tmp_path):
    """The GPU speed checks' machinery on small sizes: grader-side timing of matmul in the learner's
    process against the reference's process, every round's C verified on rows drawn afterwards."""
    from grader.checking.proxy import Submission, WorkerBackend
    from grader.checking.speed import race
    from grader.grading.runner import learner_files
    from grader.sandbox import worker_for

    checks = _checks_module()
    rng = np.random.default_rng(3)

    def process(source: Path, label: str) -> Submission:
        worker = worker_for(ex15, learner_files(ex15, source))
        worker.start()
        return Submission(WorkerBackend(worker, label), ex15.entry_points)

    learner = process(ex15.solution_directory, "learner")
    reference = process(ex15.solution_directory, "reference")
    try:
        size = dict(m=40, n=36, k=300, device="cpu")
        result = race(learner, reference, "matmul", lambda: checks.speed_inputs(rng, **size), limit=100.0, rounds=2,
                      judge=checks.judge_sampled(rng))
        assert result.rounds and result.passed
        # a C that is wrong where the grader looks fails the round, whatever its time
        wrong = tmp_path / "wrong"
        wrong.mkdir()
        (wrong / "gemm.py").write_text(REFERENCE.replace("for k0 in range(0, K, BLOCK_K):", "for k0 in range(0, BLOCK_K, BLOCK_K):"))
        cheat = process(wrong, "cheat")
        try:
            with pytest.raises(Exception, match="wrong at"):
                race(cheat, reference, "matmul", lambda: checks.speed_inputs(rng, **size), limit=100.0, rounds=1,
                     judge=checks.judge_sampled(rng))
        finally:
            cheat.backend.close()
    finally:
        learner.backend.close()
        reference.backend.close()


# --- diagnosis: lookalike mistakes told apart, and causes said only on their evidence ------------------

needs_triton = pytest.mark.skipif(importlib.util.find_spec("triton") is None, reason="Triton is not installed")


@needs_triton
def test_the_probes_tell_the_k_mask_from_the_grid_and_the_k_masks_from_each_other(ex15):
    """Run as a learner, each variant agrees with itself on the probes and not with its lookalikes."""
    from grader.checking.misconceptions import agrees_on, load_misconceptions, load_module
    from grader.checking.proxy import LocalBackend, Submission

    variants = load_misconceptions(ex15.misconceptions_path)
    by_name = {v.name: v for v in variants}
    reference = load_module(ex15.reference_path, "reference")
    calls = variants.probes(np.random.default_rng(0))
    no_mask, floor, partial = (by_name[n] for n in (
        "no mask on the K loop", "grid sized with // instead of cdiv", "the K mask forgets how far the loop has come"))
    for learner, lookalikes in ((no_mask, (floor, partial)), (floor, (no_mask,)), (partial, (no_mask,))):
        sub = Submission(LocalBackend(learner.namespace(reference), learner.name), ex15.entry_points)
        for name, args, kwargs in calls:
            getattr(sub, name)(*args, **kwargs)
        assert agrees_on(learner, sub.calls, reference), learner.name
        for other in lookalikes:
            assert not agrees_on(other, sub.calls, reference), (learner.name, other.name)
    assert no_mask.tell_apart and floor.tell_apart and partial.tell_apart


@needs_triton
def test_each_cause_is_said_only_where_c_shows_it(ex15):
    """The checks' evidence, on the variants' own C: each names its cause, and no other."""
    from grader.checking.misconceptions import load_misconceptions

    checks = _checks_module()
    variants = {v.name: v for v in load_misconceptions(ex15.misconceptions_path)}
    contiguous = ("contiguous", "contiguous")
    cases = [
        ("program ids of M and N swapped", (384, 32, 128), contiguous, torch.float32, "wrong axes"),
        ("store without a mask", (115, 32, 113), contiguous, torch.float32, "landed in the next row"),
        ("grid sized with // instead of cdiv", (115, 32, 113), contiguous, torch.float32, "never computed"),
        ("the K loop runs K // BLOCK_K steps", (128, 145, 128), contiguous, torch.float32, "partial step never ran"),
        ("the accumulator is replaced at each K step", (128, 145, 128), contiguous, torch.float32, "replaced"),
        ("the K loop steps through memory, not along K", (256, 256, 128), contiguous, torch.float32, "BLOCK_K elements"),
        ("no mask on the K loop", (128, 145, 128), contiguous, torch.float32, "past the end of K"),
        ("accumulating in float16", (128, 512, 128), contiguous, torch.float16, "kept in float16"),
        ("strides taken from the shapes", (128, 32, 128), ("sliced", "contiguous"), torch.float32, "from the shapes"),
        ("program ids of M and N swapped", (41, 45, 35), contiguous, torch.float32, None),  # one tile: right
    ]
    for name, (m, k, n), layouts, dtype, cause in cases:
        a, b = checks.pair(np.random.default_rng(1), m, k, n, dtype, layouts)
        c = variants[name].functions["matmul"](a, b)
        scale = float((a.double().abs() @ b.double().abs()).max())
        eps = torch.finfo(torch.float32).eps
        rtol, atol = (2e-6, k * eps * scale) if dtype == torch.float32 else (1e-3, 1e-5 + 4 * eps * scale)
        said = [item.text for item in checks.Evidence(c, a, b, rtol, atol).advice() if item.applies(c)]
        if cause is None:
            assert said == [], (name, said)
        else:
            assert len(said) == 1 and cause in said[0], (name, said)
