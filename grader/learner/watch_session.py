"""``grade watch``'s work: notice saves, grade the learner's file again, record each grading.

Changes when what happens on a save changes: when a file is graded (not while it does not
parse), what is recorded. Noticing a save is :mod:`grader.learner.watching`'s job; the redraw
loop and Ctrl-C are the command's.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course import Course, Exercise

if TYPE_CHECKING:
    from grader.checking.results import ExerciseResult

SYNTAX_NEXT = "Fix it and save: the checks run as soon as Python can read the file."


class WatchSession:
    """The store and the file watcher of one ``grade watch``; :meth:`stop` when done."""

    def __init__(self, course: Course, exercise: Exercise, *, poll: bool) -> None:
        from grader.learner.history import open_store
        from grader.learner.watching import FileWatcher

        self.course, self.exercise = course, exercise
        self.store = open_store(course)
        self.watcher = FileWatcher(exercise.learner_paths, use_events=not poll)

    def start(self) -> str:
        """Start watching; returns how saves are noticed, in words."""
        return self.watcher.start()

    def wait(self, *, debounce: float, timeout: float | None) -> bool:
        """Until the next save (True) or ``timeout`` (False)."""
        return self.watcher.wait(debounce=debounce, timeout=timeout)

    def stop(self) -> None:
        self.watcher.stop()

    def syntax_error(self) -> str | None:
        """Why the learner's files cannot be graded yet (they do not parse), or None.

        Said at once: grading would only fail every check the same way.
        """
        return syntax_error(self.exercise.learner_paths)

    def grade(self, *, seed: int | None) -> ExerciseResult:
        from grader.grading.runner import grade

        return grade(self.exercise, seed=seed)

    def record(self, result: ExerciseResult) -> None:
        from grader.learner.history import record

        record(self.store, self.course, result, via="watch")


def syntax_error(paths: list[Path]) -> str | None:
    """The Python syntax error in the learner's files, if any (compiled, never run)."""
    for path in paths:
        try:
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
        except SyntaxError as exc:
            lines = traceback.format_exception_only(type(exc), exc)
            return "".join("    " + line for line in "".join(lines).splitlines(keepends=True)).rstrip() + "\n\n" + SYNTAX_NEXT
        except (OSError, ValueError):
            continue  # missing for a moment, or not text: grading says so plainly
    return None
