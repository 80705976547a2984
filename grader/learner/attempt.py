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

from grader.errors import UsageError

# The learner deleted (or moved) their file: say so before starting anything, with the way back.
FILE_MISSING = "{file} is missing, so {id} cannot be graded."
RESET_BRINGS_IT_BACK = "grade reset {id} puts the untouched stub back (from {origin}); your progress is kept."
NO_STUB_TO_RESTORE = "No untouched copy of the stub could be found here: ask your instructor for a fresh copy of {file}."

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
    if source is None and ex.missing_learner_files():
        raise UsageError(missing_file(course, ex))
    prestart(ex)  # the worker's numpy/torch import starts now, beside ours

    from grader.learner.history import is_own_file, open_store

    # Opened before grading: it snapshots stubs the learner has not touched yet.
    store = open_store(course) if is_own_file(ex, source) else None
    return Attempt(course, ex, source, store)


def missing_file(course: Course, exercise: Exercise) -> str:
    """What to tell a learner whose file of ``exercise`` is gone: which, and how to get the stub back."""
    from grader.learner.reset import stub_origin

    missing = [exercise.directory / name for name in exercise.missing_learner_files()]
    shown = ", ".join(str(_in_course(course, path)) for path in missing)
    text = FILE_MISSING.format(file=shown, id=exercise.id)
    origin = stub_origin(course, exercise)
    if origin is None:
        return text + "\n  " + NO_STUB_TO_RESTORE.format(file=shown)
    return text + "\n  " + RESET_BRINGS_IT_BACK.format(id=exercise.id, origin=origin)


def _in_course(course: Course, path: Path) -> Path:
    try:
        return path.relative_to(course.root)
    except ValueError:
        return path
