"""The nbgrader notebooks' cells run checks through the grading plugin, as `grade exNN` does."""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path

import pytest

from grader.checking.notebook import run_check
from grader.checking.plugin import check_rng
from grader.course import load_course
from grader.grading.runner import grade

from .conftest import one_exercise_course

CHECK = """
import numpy as np
import pytest
from grader.checking import expect, points


@points(2)
def test_doubles_vectors(submission, reference, rng):
    x = rng.standard_normal(5)
    expect(submission.double(x)).to_match(reference.double(x))


@points(1)
@pytest.mark.parametrize("n", [1, 4])
def test_doubles_ones(submission, n):
    expect(submission.double(np.ones(n))).to_match(np.full(n, 2.0))
"""
REFERENCE = "def double(x):\n    return 2 * x\n"


def doubles(x):
    return 2 * x


def noisy_wrong(x):
    print("learner noise", file=sys.stderr)
    warnings.warn("learner warning", stacklevel=1)
    return 3 * x


def test_a_correct_namespace_passes(capfd):
    run_check(CHECK, "test_doubles_vectors", {"double": doubles}, entry_points=["double"], reference=REFERENCE, seed=7)
    run_check(CHECK, "test_doubles_ones", {"double": doubles}, entry_points=["double"], seed=7)
    assert capfd.readouterr().err == ""


def test_a_wrong_namespace_fails_naming_the_check_and_the_seed_with_nothing_on_stderr(capfd):
    with pytest.raises(AssertionError) as info:
        run_check(CHECK, "test_doubles_vectors", {"double": noisy_wrong}, entry_points=["double"], reference=REFERENCE, seed=7)
    message = str(info.value)
    assert message.startswith("doubles vectors failed (seed 7):\n")
    assert "called double(x)" in message  # the plugin's own message: the call, what came back, what was expected
    assert capfd.readouterr().err == ""


def test_every_parametrisation_runs_and_each_failure_is_named(capfd):
    with pytest.raises(AssertionError) as info:
        run_check(CHECK, "test_doubles_ones", {"double": noisy_wrong}, entry_points=["double"], seed=3)
    message = str(info.value)
    assert "doubles ones [1] failed (seed 3)" in message and "doubles ones [4] failed (seed 3)" in message
    assert capfd.readouterr().err == ""


def test_grade_seed_replaces_the_seed(monkeypatch):
    monkeypatch.setenv("GRADE_SEED", "99")
    with pytest.raises(AssertionError, match=r"failed \(seed 99\)"):
        run_check(CHECK, "test_doubles_vectors", {"double": noisy_wrong}, entry_points=["double"], reference=REFERENCE, seed=7)


def test_a_missing_function_fails_the_check():
    with pytest.raises(AssertionError, match="doubles ones"):
        run_check(CHECK, "test_doubles_ones", {}, entry_points=["double"], seed=1)


def test_a_check_that_is_not_in_the_source_is_the_instructors_error():
    with pytest.raises(RuntimeError, match="test_not_there"):
        run_check(CHECK, "test_not_there", {"double": doubles}, entry_points=["double"], seed=1)


DRAWS = """
import pytest
from grader.checking import fail, points


@points(1)
def test_draws(submission, rng):
    fail(f"draws {rng.integers(0, 2**62, size=3).tolist()}")


@points(1)
@pytest.mark.parametrize("shape, kind", [((2,), "a"), ((3,), "b")])  # pytest names these shape0-a, shape1-b
def test_draws_per_case(submission, rng, shape, kind):
    fail(f"draws {kind} {rng.integers(0, 2**62, size=shape).tolist()}")
"""


def _draws(text: str) -> list[str]:
    return re.findall(r"^draws .*\]$", text, re.MULTILINE)


def test_a_check_gets_the_same_rng_in_grade_and_in_a_notebook(tmp_path: Path):
    root = one_exercise_course(tmp_path)
    folder = root / "exercises" / "ex01_cosine_similarity"
    (folder / "checks" / "test_draws.py").write_text(DRAWS)
    yaml = folder / "exercise.yaml"
    yaml.write_text(yaml.read_text().replace("checks: [checks/test_cosine.py]", "checks: [checks/test_draws.py]"))
    exercise = load_course(root).resolve("ex01")
    seed = 424242
    graded = grade(exercise, seed=seed)  # what `grade ex01 --seed 424242` runs: the learner's worker, the plugin
    by_check = {r.test_id: _draws(r.output) for r in graded.checks}
    assert set(by_check) == {"test_draws", "test_draws_per_case[shape0-a]", "test_draws_per_case[shape1-b]"}
    entry = list(exercise.entry_points)
    for name in ("test_draws", "test_draws_per_case"):
        with pytest.raises(AssertionError) as info:
            run_check(DRAWS, name, {}, entry_points=entry, seed=seed)
        in_grade = [d for test_id, draws in sorted(by_check.items()) if test_id.split("[")[0] == name for d in draws]
        assert _draws(str(info.value)) == in_grade and in_grade
    # ...and both are the one derivation, from the seed and pytest's name of the check.
    expected = check_rng(seed, "test_draws_per_case[shape1-b]").integers(0, 2**62, size=3).tolist()
    assert by_check["test_draws_per_case[shape1-b]"] == [f"draws b {expected}"]
