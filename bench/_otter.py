"""otter-grader, the incumbent, grading one learner's ex01: `otter run` (autograder zip) and `otter check`.

The otter assignment is built here from string constants: one exception-based test file whose 11
cases port the 11 checks of exercises/ex01_cosine_similarity/checks/test_cosine.py (same inputs,
points, tolerances and comparisons; the reference is inlined because otter tests cannot reach
grade's `reference` fixture). The submission is our reference solution as a plain `cosine.py`.
Before timing, a reference run must score 20/20 and the stub less, so the figure is of a grader
that really grades.

`pip install -e '.[bench]'` installs otter-grader[grading] beside nbgrader (a fresh environment
resolves both). Where that environment is shared with other tools, otter's pins can move theirs
(here: wrapt < 2, docutils 0.22 against awscli's docutils <= 0.19); a separate one avoids that:
    python -m venv /tmp/otter-venv && /tmp/otter-venv/bin/pip install 'otter-grader[grading]==7.0.0'
The `grading` extra brings ipykernel: `otter run` executes even a .py submission in a Jupyter kernel.
Found through $OTTER, then `otter` on PATH, then /tmp/otter-venv/bin/otter.

Run: cd bench && python _otter.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from _common import ROOT, median_time, table

EXERCISE = "ex01_cosine_similarity"
FULL_MARKS = 20.0

# requirements.txt only feeds the Gradescope setup.sh that `otter generate` writes; `otter run` uses
# the environment otter is installed in, which must have numpy.
REQUIREMENTS = "numpy\n"

# The checks of test_cosine.py, case for case. `to_match` becomes _match (type, shape, dtype, finite,
# values within grade's per-dtype tolerances), `to_equal` on index arrays becomes _equal, `to_satisfy`
# a plain assert. Each case seeds its own generator from its name, as grade's `rng` fixture does.
TEST_FILE = '''\
"""ex01 cosine similarity: the 11 checks of grade's checks/test_cosine.py as otter test cases."""

import zlib

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "ex01"
SEED = 1216986531
TOLERANCES = {"float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def _rng(case):
    return np.random.default_rng([SEED, zlib.crc32(case.encode())])


def _vectors(rng, n, d, dtype=np.float64):
    X = rng.standard_normal((n, d)) + rng.uniform(-1, 1, size=d)
    X *= rng.uniform(0.1, 10.0, size=(n, 1))
    return X.astype(dtype)


def _ref_cosine_similarity(a, b):
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return 0.0
    return float(np.dot(a, b) / (na * nb))


def _ref_unit_rows(X):
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms == 0, 1, norms)


def _ref_pairwise_cosine(A, B):
    return _ref_unit_rows(A) @ _ref_unit_rows(B).T


def _ref_top_k_similar(query, E, k):
    return np.argsort(-_ref_pairwise_cosine(query[None, :], E)[0], kind="stable")[:k]


def _match(actual, expected, rtol=None, atol=None):
    if isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray), f"expected a numpy array, got {type(actual).__name__}"
        assert actual.shape == expected.shape, f"expected shape {expected.shape}, got {actual.shape}"
        assert actual.dtype == expected.dtype, f"expected dtype {expected.dtype}, got {actual.dtype}"
        r0, a0 = TOLERANCES.get(str(expected.dtype), TOLERANCES["float64"])
    else:
        number = isinstance(actual, (int, float, np.integer, np.floating)) and not isinstance(actual, (bool, np.bool_))
        assert number, f"expected a float, got {type(actual).__name__}"
        r0, a0 = TOLERANCES["float64"]
    a64, e64 = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert np.isfinite(a64).all(), f"the result holds values that are not finite: {actual!r}"
    rtol, atol = (r0 if rtol is None else rtol), (a0 if atol is None else atol)
    assert np.all(np.abs(a64 - e64) <= atol + rtol * np.abs(e64)), f"expected {expected!r}, got {actual!r}"


def _equal(actual, expected):
    assert isinstance(actual, np.ndarray), f"expected a numpy array, got {type(actual).__name__}"
    assert actual.shape == expected.shape, f"expected shape {expected.shape}, got {actual.shape}"
    assert actual.dtype.kind in "iu", f"expected integers, got dtype {actual.dtype}"
    assert np.array_equal(actual, expected), f"expected {expected!r}, got {actual!r}"


@test_case(points=2, hidden=True)
def test_cosine_of_two_vectors_matches_the_definition(cosine_similarity):
    a, b = _vectors(_rng("test_cosine_of_two_vectors_matches_the_definition"), 2, 7)
    _match(cosine_similarity(a, b), _ref_cosine_similarity(a, b))


@test_case(points=2)
def test_cosine_ignores_the_lengths_of_the_vectors(cosine_similarity):
    rng = _rng("test_cosine_ignores_the_lengths_of_the_vectors")
    a, b = _vectors(rng, 2, 5)
    s, t = rng.uniform(5, 50), rng.uniform(0.01, 0.1)
    base = cosine_similarity(a, b)
    scaled = cosine_similarity(s * a, t * b)
    assert isinstance(scaled, (float, np.floating)) and np.isclose(scaled, base, rtol=1e-9, atol=1e-12), (
        f"scaling a by {s:.3g} and b by {t:.3g} changed the result from {base!r}"
    )
    assert -1 - 1e-12 <= base <= 1 + 1e-12, "a cosine lies in [-1, 1]"
    flipped = cosine_similarity(s * a, -t * b)
    assert np.isclose(flipped, -base, rtol=1e-9, atol=1e-12), f"reversing b should turn {base!r} into {-base!r}"
    _match(cosine_similarity(a, s * a), 1.0, rtol=1e-12, atol=1e-12)


@test_case(points=2)
def test_cosine_with_a_zero_vector_is_zero(cosine_similarity):
    a = np.zeros(6)
    b = _vectors(_rng("test_cosine_with_a_zero_vector_is_zero"), 1, 6)[0]
    _match(cosine_similarity(a, b), 0.0)
    _match(cosine_similarity(b, a), 0.0)


@test_case(points=1)
def test_parallel_vectors_give_one_and_opposite_give_minus_one(cosine_similarity):
    a = _vectors(_rng("test_parallel_vectors_give_one_and_opposite_give_minus_one"), 1, 4)[0]
    _match(cosine_similarity(a, 3.5 * a), 1.0, rtol=1e-12, atol=1e-12)
    _match(cosine_similarity(a, -0.2 * a), -1.0, rtol=1e-12, atol=1e-12)


@test_case(points=4, hidden=True)
def test_pairwise_matches_every_pair_of_rows(pairwise_cosine):
    rng = _rng("test_pairwise_matches_every_pair_of_rows")
    A, B = _vectors(rng, 6, 8), _vectors(rng, 5, 8)
    _match(pairwise_cosine(A, B), _ref_pairwise_cosine(A, B))


@test_case(points=2, hidden=True)
def test_pairwise_keeps_float32_as_float32(pairwise_cosine):
    rng = _rng("test_pairwise_keeps_float32_as_float32")
    A, B = _vectors(rng, 4, 16, np.float32), _vectors(rng, 7, 16, np.float32)
    _match(pairwise_cosine(A, B), _ref_pairwise_cosine(A, B))


@test_case(points=2, hidden=True)
def test_pairwise_gives_zero_for_zero_rows(pairwise_cosine):
    rng = _rng("test_pairwise_gives_zero_for_zero_rows")
    A, B = _vectors(rng, 4, 3), _vectors(rng, 3, 3)
    A[1] = 0.0
    B[2] = 0.0
    _match(pairwise_cosine(A, B), _ref_pairwise_cosine(A, B))


@test_case(points=1, hidden=True)
def test_pairwise_works_for_single_rows(pairwise_cosine):
    rng = _rng("test_pairwise_works_for_single_rows")
    A, B = _vectors(rng, 1, 5), _vectors(rng, 1, 5)
    _match(pairwise_cosine(A, B), _ref_pairwise_cosine(A, B))


@test_case(points=2, hidden=True)
def test_top_k_returns_the_most_similar_rows_first(top_k_similar):
    rng = _rng("test_top_k_returns_the_most_similar_rows_first")
    E = _vectors(rng, 30, 6)
    query = _vectors(rng, 1, 6)[0]
    _equal(top_k_similar(query, E, 5), _ref_top_k_similar(query, E, 5))


@test_case(points=1, hidden=True)
def test_top_k_breaks_ties_towards_the_lower_index(top_k_similar):
    rng = _rng("test_top_k_breaks_ties_towards_the_lower_index")
    base = _vectors(rng, 6, 4)
    E = base.copy()
    E[3] = 2.0 * base[1]
    E[5] = 0.5 * base[1]
    query = base[1] + 0.05 * rng.standard_normal(4)
    _equal(top_k_similar(query, E, 4), _ref_top_k_similar(query, E, 4))


@test_case(points=1, hidden=True)
def test_top_k_ranks_by_cosine_not_by_dot_product(top_k_similar):
    rng = _rng("test_top_k_ranks_by_cosine_not_by_dot_product")
    query = _vectors(rng, 1, 5)[0]
    E = _vectors(rng, 12, 5)
    E[0] = 100.0 * (rng.standard_normal(5) + 0.3 * query / np.linalg.norm(query))
    E[7] = 0.01 * (query + 0.1 * rng.standard_normal(5))
    _equal(top_k_similar(query, E, 3), _ref_top_k_similar(query, E, 3))
'''


def find_otter() -> str | None:
    """$OTTER, else `otter` on PATH, else the venv the module docstring sets up."""
    for candidate in (os.environ.get("OTTER"), shutil.which("otter"), "/tmp/otter-venv/bin/otter"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def build_assignment(otter: str, work: Path) -> Path:
    """Write the tests and the two submissions under `work`; return the autograder zip."""
    (work / "tests").mkdir()
    (work / "tests" / "ex01.py").write_text(TEST_FILE)
    (work / "requirements.txt").write_text(REQUIREMENTS)
    # One folder per submission: `otter run` grades the single .py it finds beside the file given.
    for kind, source in (("reference", ROOT / "solutions" / EXERCISE), ("stub", ROOT / "exercises" / EXERCISE)):
        (work / kind).mkdir()
        shutil.copy(source / "cosine.py", work / kind / "cosine.py")
    zip_path = work / "autograder.zip"
    subprocess.run(
        [otter, "generate", "-t", "tests", "-r", "requirements.txt", "--no-config", "--no-environment", "-o", str(zip_path)],
        cwd=work, check=True, capture_output=True,
    )
    return zip_path


def run_score(otter: str, zip_path: Path, submission: Path, out: Path) -> float:
    """`otter run` one submission; the points it earned, from the results.json otter writes."""
    out.mkdir(exist_ok=True)
    subprocess.run(
        [otter, "run", "-a", str(zip_path), "-o", str(out), "--no-logo", str(submission)],
        cwd=zip_path.parent, check=True, capture_output=True,
    )
    results = json.loads((out / "results.json").read_text())
    # The "Public Tests" summary entry carries no score; the question entries do.
    return float(sum(t["score"] for t in results["tests"] if t.get("score") is not None))


def check_passes(otter: str, work: Path, submission: Path) -> bool:
    """`otter check` one submission; it exits 0 either way, so read its verdict from stdout."""
    done = subprocess.run([otter, "check", str(submission), "-t", "tests"], cwd=work, check=True, capture_output=True, text=True)
    return "All tests passed!" in done.stdout


def otter_rows(repeat: int) -> list[tuple[str, float, str]] | None:
    """Median seconds of `otter run` and `otter check` on the reference of ex01; None without otter.

    Raises subprocess.CalledProcessError when otter fails, RuntimeError when its scores show the port
    of the checks does not grade (reference below full marks, or the stub not below it).
    """
    otter = find_otter()
    if otter is None:
        return None
    with tempfile.TemporaryDirectory(prefix="otter-bench-") as tmp:
        work = Path(tmp)
        zip_path = build_assignment(otter, work)
        reference, stub = work / "reference" / "cosine.py", work / "stub" / "cosine.py"
        out = work / "out"

        # Proof first: a port of the checks that passed everything would make the timing meaningless.
        ref_score, stub_score = run_score(otter, zip_path, reference, out), run_score(otter, zip_path, stub, out)
        if ref_score != FULL_MARKS or not stub_score < FULL_MARKS:
            raise RuntimeError(f"otter run scored the reference {ref_score}/{FULL_MARKS:g} and the stub {stub_score}")
        if not check_passes(otter, work, reference) or check_passes(otter, work, stub):
            raise RuntimeError("otter check does not pass the reference and fail the stub")

        run_s = median_time(lambda: run_score(otter, zip_path, reference, out), repeat, warmup=1)
        check_s = median_time(lambda: check_passes(otter, work, reference), repeat, warmup=1)
    return [
        ("otter run ex01 (one learner)", run_s, "incumbent"),
        ("otter check ex01 (one learner)", check_s, "incumbent"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = otter_rows(args.repeat)
    if rows is None:
        print("otter not found: set OTTER, or see this module's docstring to install it")
        return
    table(rows, "incumbent: otter-grader")


if __name__ == "__main__":
    main()
