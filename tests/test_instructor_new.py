"""`grade new`: a scaffold with every file verify expects, listed in course.yaml, that verifies."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from grader.checking.results import CheckResult, ExerciseResult
from grader.course import load_course
from grader.instructor.verify import _unstable, verify_exercise

from .instructor_support import EX, make_course

GRADE = [sys.executable, "-c", "from grader.cli import run; run()"]


def grade_cli(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GRADE_COURSE", "GRADE_SECRET")}
    return subprocess.run([*GRADE, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.slow
def test_new_scaffolds_an_exercise_that_verifies(tmp_path):
    course = make_course(tmp_path / "course")
    before = (course / "course.yaml").read_text()
    run = grade_cli("new", "ex16", "--title", "Vector normalisation", "--topic", "norms", "--topic", "vectors", cwd=course)
    assert run.returncode == 0, run.stderr
    folder = "ex16_vector_normalisation"
    assert "grade verify ex16" in run.stdout
    after = (course / "course.yaml").read_text()
    assert after.startswith(before.split("defaults:")[0].rstrip("\n"))  # comments and order kept
    assert f"  - {EX}\n  - {folder}\n" in after
    loaded = load_course(course)
    ex = loaded.resolve("ex16")
    assert ex.title == "Vector normalisation" and ex.topics == ("norms", "vectors")
    assert (ex.directory / "README.md").is_file() and ex.reference_path.is_file() and ex.misconceptions_path.is_file()
    report = verify_exercise(ex)
    assert report.ok, [(f.what, f.detail) for f in report.findings if not f.ok]
    whats = [f.what for f in report.findings]
    assert "the reference's per-check results are the same on every seed" in whats
    assert any("fails the same checks on every seed" in w for w in whats)


def test_new_refuses_a_taken_or_malformed_id(tmp_path):
    course = make_course(tmp_path / "course")
    taken = grade_cli("new", "ex01", "--title", "Again", cwd=course)
    assert taken.returncode == 2 and "already exists" in taken.stderr
    bad = grade_cli("new", "16", "--title", "x", cwd=course)
    assert bad.returncode == 2 and "ex followed by two or three digits" in bad.stderr
    assert not (course / "exercises" / "ex16_x").exists()
    assert "ex16" not in (course / "course.yaml").read_text()


def test_every_instructor_command_has_help():
    for name in ("new", "publish", "batch", "report"):
        run = subprocess.run([*GRADE, name, "--help"], capture_output=True, text=True)
        assert run.returncode == 0 and "Usage:" in run.stdout and len(run.stdout) > 300, name


def _result(statuses: list[str], seed: int) -> ExerciseResult:
    r = ExerciseResult(exercise="ex99", title="t", seed=seed, max_score=float(len(statuses)))
    r.checks = [CheckResult(name=f"check {i}", test_id=f"test_{i}", score=0.0, max_score=1.0, status=s) for i, s in enumerate(statuses)]
    return r


def test_verify_names_a_check_whose_verdict_depends_on_the_seed():
    assert _unstable({1: _result(["passed", "failed"], 1), 2: _result(["passed", "failed"], 2)}) == ""
    flips = _unstable({1: _result(["passed", "failed"], 1), 2: _result(["passed", "passed"], 2)})
    assert "check 1" in flips and "seed 1: failed" in flips and "seed 2: passed" in flips
    assert "check 0" not in flips


def test_new_adds_the_first_exercise_of_a_course_started_by_init(tmp_path):
    init = grade_cli("init", str(tmp_path / "course"), "--title", "Optics", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    course = tmp_path / "course"
    assert "exercises: []" in (course / "course.yaml").read_text()
    run = grade_cli("new", "ex01", "--title", "Thin lenses", "--topic", "lenses", cwd=course)
    assert run.returncode == 0, run.stderr
    assert "exercises:\n  - ex01_thin_lenses\n" in (course / "course.yaml").read_text()
    ex = load_course(course).resolve("ex01")
    statement = (ex.directory / "README.md").read_text()
    assert "machine learning" not in statement and "linear" not in statement.lower()  # the engine knows no subject
    listed = grade_cli("list", "--json", cwd=course)
    assert [e["id"] for e in json.loads(listed.stdout)["exercises"]] == ["ex01"]
