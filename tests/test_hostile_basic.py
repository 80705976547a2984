"""Bad and hostile learner code: each fails only the checks it attacks, with a clear reason,
and the rest of the run is intact (issue 2's list)."""

from __future__ import annotations

import numpy as np
import pytest

from grader.course import Limits

from .helpers import REFERENCE, by_name, grade_source, reference_with

PAIRWISE = ["test_pairwise_matches_every_pair_of_rows", "test_pairwise_works_for_single_rows"]
OTHERS_PASS = ["test_cosine_of_two_vectors_matches_the_definition", "test_parallel_vectors_give_one_and_opposite_give_minus_one"]
# Two checks that call the hostile function, with checks that don't before, between and after:
# the run must go on past each failure with a fresh worker.
SOME = ["cosine_of_two_vectors", "pairwise_matches_every_pair", "pairwise_works_for_single", "parallel_vectors"]
# Generous wall clock so that a loaded machine still hits the CPU limit first.
CPU_FIRST = Limits(cpu_seconds=1, wall_seconds=30, memory_mb=512, output_kb=256)


def assert_pairwise_fails_with(result, *words: str) -> None:
    checks = by_name(result)
    for name in PAIRWISE:
        c = checks[name]
        assert c.status == "failed" and c.score == 0, (name, c.status, c.output)
    text = checks[PAIRWISE[0]].output.lower()
    for w in words:
        assert w.lower() in text, (w, text)
    for name in OTHERS_PASS:
        assert checks[name].passed, (name, checks[name].output)


def test_reference_earns_full_marks(tmp_path):
    result = grade_source(tmp_path, REFERENCE)
    assert result.full_marks, [c.output for c in result.checks if not c.passed]


def test_infinite_loop_is_stopped_by_the_cpu_limit(tmp_path):
    result = grade_source(tmp_path, reference_with("""
        def pairwise_cosine(A, B):
            while True:
                pass
    """), limits=CPU_FIRST, only=SOME)
    assert_pairwise_fails_with(result, "cpu time", "pairwise_cosine")


def test_blocking_wait_is_stopped_by_the_wall_clock(tmp_path):
    result = grade_source(tmp_path, reference_with("""
        import threading
        def pairwise_cosine(A, B):
            threading.Event().wait()
    """), only=SOME)
    assert_pairwise_fails_with(result, "wall clock")


def test_sys_exit_at_import_fails_every_check_with_the_reason(tmp_path):
    result = grade_source(tmp_path, "import sys\nsys.exit(0)\n")
    assert result.score == 0
    assert all(c.status == "failed" for c in result.checks)
    assert "sys.exit" in result.import_failure and "imported" in result.import_failure
    assert "sys.exit" in result.checks[0].output and "imported" in result.checks[0].output


def test_os_exit_inside_a_call_fails_that_call_and_the_worker_restarts(tmp_path):
    result = grade_source(tmp_path, reference_with("""
        import os
        def pairwise_cosine(A, B):
            os._exit(0)
    """), only=SOME)
    assert_pairwise_fails_with(result, "exited (status 0)", "pairwise_cosine")


def test_memory_bomb_is_reported_as_out_of_memory(tmp_path):
    result = grade_source(tmp_path, reference_with("""
        def pairwise_cosine(A, B):
            blocks = []
            while True:
                blocks.append(bytearray(50_000_000))
    """), only=SOME)
    assert_pairwise_fails_with(result, "out of memory")


def test_syntax_error_names_the_line(tmp_path):
    result = grade_source(tmp_path, "def cosine_similarity(a, b)\n    return 0\n")
    assert result.score == 0
    said = result.import_failure  # once, for the whole card
    assert "cosine.py:1 could not be imported" in said and "SyntaxError" in said and "line 1" in said
    out = result.checks[0].output  # each check refers to it in one line
    assert "could not be imported" in out and "SyntaxError" in out and len(out.splitlines()) == 1


def test_missing_function_is_named(tmp_path):
    source = REFERENCE.replace("def top_k_similar", "def top_k_similar_renamed")
    result = grade_source(tmp_path, source)
    checks = by_name(result)
    top = checks["test_top_k_breaks_ties_towards_the_lower_index"]
    assert not top.passed and "has no function top_k_similar" in top.output
    assert checks["test_pairwise_matches_every_pair_of_rows"].passed


@pytest.mark.parametrize(
    "body, words",
    [
        ("return (A @ B.T).tolist()", ["expected a numpy array", "list"]),
        ("return (A @ B.T)[:, :1]", ["expected shape"]),
        ("return np.full((A.shape[0], B.shape[0]), np.nan)", ["nan"]),
        ("return 'similar'", ["expected a numpy array"]),
    ],
    ids=["list", "shape", "nan", "string"],
)
def test_wrong_return_type_shape_or_nan_is_explained(tmp_path, body, words):
    result = grade_source(tmp_path, reference_with(f"""
        def pairwise_cosine(A, B):
            {body}
    """), only=SOME)
    assert_pairwise_fails_with(result, *words)


def test_patching_numpy_comparisons_in_the_worker_changes_nothing(tmp_path):
    result = grade_source(tmp_path, reference_with("""
        import numpy, numpy.testing
        numpy.testing.assert_allclose = lambda *a, **k: None
        numpy.allclose = lambda *a, **k: True
        numpy.isclose = lambda *a, **k: True
        def pairwise_cosine(A, B):
            return np.zeros((A.shape[0], B.shape[0]))
    """), only=SOME)
    assert_pairwise_fails_with(result, "worst element")


def test_ndarray_subclass_with_eq_always_true_is_refused(tmp_path):
    result = grade_source(tmp_path, reference_with("""
        class Agreeable(np.ndarray):
            def __eq__(self, other):
                return True
            def __array_ufunc__(self, *a, **k):
                return True
        def pairwise_cosine(A, B):
            return np.zeros((A.shape[0], B.shape[0])).view(Agreeable)
    """), only=SOME)
    assert_pairwise_fails_with(result, "subclass of numpy.ndarray")


def test_printing_megabytes_is_stopped_and_named(tmp_path):
    result = grade_source(tmp_path, reference_with("""
        def pairwise_cosine(A, B):
            while True:
                print("x" * 10000)
    """), only=SOME)
    assert_pairwise_fails_with(result, "printed more than")


def test_a_few_prints_are_shown_to_the_learner(tmp_path):
    result = grade_source(tmp_path, reference_with("""
        def pairwise_cosine(A, B):
            print("debug: shapes", A.shape, B.shape)
            raise ValueError("not yet")
    """))
    out = by_name(result)[PAIRWISE[0]].output
    assert "ValueError: not yet" in out and "debug: shapes" in out and 'cosine.py", line' in out


def test_exception_traceback_shows_only_learner_frames(tmp_path):
    result = grade_source(tmp_path, reference_with("""
        def helper(A):
            return A / undefined_name
        def pairwise_cosine(A, B):
            return helper(A)
    """))
    out = by_name(result)[PAIRWISE[0]].output
    assert "NameError" in out and "in helper" in out and "grader" not in out.split("NameError")[0].replace("the grader", "")


def test_grading_twice_with_the_same_seed_gives_identical_inputs(tmp_path):
    wrong = reference_with("""
        def pairwise_cosine(A, B):
            return A @ B.T
    """)
    first = grade_source(tmp_path, wrong, seed=99)
    second = grade_source(tmp_path, wrong, seed=99)
    assert [c.output for c in first.checks] == [c.output for c in second.checks]
    third = grade_source(tmp_path, wrong, seed=100)
    assert [c.output for c in first.checks] != [c.output for c in third.checks]


def test_learner_files_outside_scratch_are_untouched(tmp_path):
    victim = tmp_path / "keep.txt"
    victim.write_text("intact")
    result = grade_source(tmp_path, reference_with("""
        import os
        open("scratch_file.txt", "w").write("x")  # inside the scratch copy: allowed
        def pairwise_cosine(A, B):
            return np.asarray(A @ B.T)
    """))
    assert victim.read_text() == "intact"
    assert not (tmp_path / "scratch_file.txt").exists()
    assert np.isfinite(result.score)
