"""``grade solution``'s work: whether the reference may be shown, and recording a give-up.

Changes when the permission rule changes: the reference opens once the exercise is solved,
or once the learner has given up (``--give-up``, recorded, and then it stays open).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.course import Course, Exercise


@dataclass(frozen=True)
class Solution:
    """The answer to ``grade solution``: the reference's text when it may be shown."""

    exercise: Exercise
    path: Path  # the reference file, relative to the course when inside it
    available: bool  # False: this copy of the course ships without the reference
    text: str | None = None  # the reference, when it may be shown
    best_score: float | None = None  # the best score so far (said when it may not be shown)
    solved_on: float | None = None  # when it was first solved
    gave_up_on: float | None = None  # when the learner gave up (not solved)


def solution(course: Course, exercise: Exercise, *, give_up: bool) -> Solution:
    """The reference, if solved, given up before, or ``give_up`` (which is recorded)."""
    from grader.learner.history import open_store

    path = exercise.reference_path
    shown = path.relative_to(course.root) if path.is_relative_to(course.root) else path
    if not path.is_file():
        return Solution(exercise, shown, available=False)
    store = open_store(course)
    progress = store.progress(exercise.id) if store else None
    solved = bool(progress and progress.solved)
    if not solved and not give_up and not (progress and progress.gave_up):
        return Solution(exercise, shown, available=True, best_score=progress.best_score if progress else None)
    if not solved and store is not None:
        store.give_up(exercise.id)
        progress = store.progress(exercise.id)
    return Solution(
        exercise,
        shown,
        available=True,
        text=path.read_text(encoding="utf-8"),
        best_score=progress.best_score if progress else None,
        solved_on=progress.first_solved if solved and progress else None,
        gave_up_on=progress.gave_up if progress else None,
    )
