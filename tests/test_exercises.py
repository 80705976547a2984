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


MIN_MISCONCEPTIONS_IN_THIS_COURSE = 10  # issue 15: the plausible mistakes of each exercise, not a sample


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.folder for e in EXERCISES])
def test_each_exercise_knows_at_least_ten_mistakes_each_named_and_costing_its_part(exercise):
    from grader.checking.misconceptions import load_misconceptions

    variants = load_misconceptions(exercise.misconceptions_path)
    assert len(variants) >= MIN_MISCONCEPTIONS_IN_THIS_COURSE, [v.name for v in variants]
    assert len({v.name for v in variants}) == len(variants), "two misconceptions share a name"
    for v in variants:  # a mistake may cost most of an exercise only with the reason said
        assert not v.breaks_every_part or len(v.breaks_every_part) > 20, v.name
