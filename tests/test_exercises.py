"""Every exercise in the course passes `grade verify` (rustlings' `dev check`)."""

from __future__ import annotations

import pytest

from grader.course import load_course
from grader.instructor.verify import verify_exercise

from .conftest import ROOT

EXERCISES = load_course(ROOT).exercises


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.folder for e in EXERCISES])
def test_exercise_verifies(exercise):
    report = verify_exercise(exercise)
    broken = [f"{f.what}\n{f.detail}" for f in report.findings if not f.ok]
    assert not broken, f"{exercise.id} does not verify:\n" + "\n".join(broken)
