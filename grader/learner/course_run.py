"""``grade all``'s work: grade every exercise in teaching order, record each, and sum up.

Changes when a whole-course run changes: what one exercise's row holds, what a grading that
fails counts as, what the summary adds up and which exercise it sends the learner to next.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from grader.checking.results import ExerciseResult
from grader.course import Course, Exercise
from grader.errors import GradeError


@dataclass
class Row:
    """One exercise's line of the run (``as_dict`` is its JSON)."""

    exercise: str
    title: str
    max_score: float
    score: float = 0.0
    full_marks: bool = False
    seed: int | None = None
    seconds: float = 0.0
    error: str | None = None  # why it could not be graded
    result: ExerciseResult | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise, "title": self.title, "max_score": self.max_score, "score": self.score,
            "full_marks": self.full_marks, "seed": self.seed, "seconds": self.seconds, "error": self.error,
        }


@dataclass(frozen=True)
class Summary:
    exercises: int
    full: int  # how many earn full marks
    score: float
    max_score: float
    seconds: float  # the whole run
    next: Row | None  # the first exercise short of full marks

    @property
    def all_full(self) -> bool:
        return self.exercises > 0 and self.full == self.exercises


class CourseRun:
    """Grade with :meth:`grade`, then :meth:`record`, exercise by exercise; then :meth:`summary`."""

    def __init__(self, course: Course, seed: int | None) -> None:
        from grader.learner.history import open_store

        self.course, self.seed = course, seed
        self.store = open_store(course)
        self.exercises: list[Exercise] = list(course.exercises)
        self.rows: list[Row] = []
        self.started = time.perf_counter()

    def grade(self, ex: Exercise) -> Row:
        """Grade one exercise; a grading that fails scores 0, with its reason, and the run goes on."""
        from grader.grading.runner import grade

        row = Row(ex.id, ex.title, float(ex.points))
        try:
            result = grade(ex, seed=self.seed)
        except GradeError as exc:
            row.error = str(exc)
        else:
            row.score, row.full_marks, row.seed, row.seconds = result.score, result.full_marks, result.seed, result.seconds
            row.max_score = result.graded_max  # the points that could be graded here (one truth for totals)
            row.result = result
        self.rows.append(row)
        return row

    def record(self, row: Row) -> None:
        """Save a graded row as progress (a first solve is told)."""
        from grader.learner.history import record

        if row.result is not None:
            record(self.store, self.course, row.result, via="all")

    def summary(self) -> Summary:
        return Summary(
            exercises=len(self.exercises),
            full=sum(r.full_marks for r in self.rows),
            score=sum(r.score for r in self.rows),
            max_score=sum(r.max_score for r in self.rows),
            seconds=time.perf_counter() - self.started,
            next=next((r for r in self.rows if not r.full_marks), None),
        )


def start(course: Course, *, seed: int | None) -> CourseRun:
    """A run over the whole course; its clock starts now."""
    return CourseRun(course, seed)
