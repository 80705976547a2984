"""``grade check``'s work: grade one exercise, then record it as the learner's progress.

Changes when what one learner's grading does around the grading itself changes (which
gradings count as progress, when the store is opened, what starts first for speed).

Imports stay inside the functions: the worker is started (:func:`start`) before the runner,
pytest and the store are imported, so that its imports overlap with ours.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.checking.results import ExerciseResult
    from grader.course import Course, Exercise
    from grader.learner.store import Store


class Attempt:
    """One grading of one exercise, recorded when it is of the learner's own file."""

    def __init__(self, course: Course, exercise: Exercise, source: Path | None, store: Store | None) -> None:
        self.course, self.exercise, self.source, self.store = course, exercise, source, store

    def grade(self, *, seed: int | None, progress: Callable[[int, int, str], None] | None = None) -> ExerciseResult:
        from grader.grading.runner import grade

        return grade(self.exercise, seed=seed, source=self.source, progress=progress)

    def record(self, result: ExerciseResult) -> None:
        """Save the grading (a first solve is told, with what is next); never fails the grade."""
        from grader.learner.history import record

        record(self.store, self.course, result, via="check")


def start(course: Course, name: str, source: Path | None) -> Attempt:
    """Resolve ``name``, start its worker at once, and open the store if the grading counts."""
    from grader.sandbox import prestart

    ex = course.resolve(name)
    prestart(ex)  # the worker's numpy/torch import starts now, beside ours

    from grader.learner.history import is_own_file, open_store

    # Opened before grading: it snapshots stubs the learner has not touched yet.
    store = open_store(course) if is_own_file(ex, source) else None
    return Attempt(course, ex, source, store)
