"""What the learner commands share: the progress store, stub snapshots, a progress ticker.

Everything here is best effort around grading: a store that cannot be written is reported
in one line and the command goes on; it never costs the learner a grade.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from grader.course import Course, Exercise
from grader.grading.results import ExerciseResult
from grader.learner.store import STORE_UNAVAILABLE, GradingRecord, Store, StoreUnavailable

FIRST_SOLVE = "First time at full marks for {exercise}: recorded. Next: {next}"
NEXT_EXERCISE = "grade {id} ({title})"
NEXT_NONE = "every exercise is solved. Try an interview drill: grade drill"

Echo = Callable[[str], None]


def _stderr(text: str) -> None:
    import click

    click.echo(click.style("note: ", fg="yellow") + text, err=True)


def open_store(course: Course, *, echo: Echo = _stderr, snapshot: bool = True) -> Store | None:
    """The course's store, with its notices told; None (also told) if it cannot be used now.

    ``snapshot`` saves the pristine stub of every exercise that still looks untouched, so
    that `grade reset` and `grade drill` have it later (see grader/stubs.py).
    """
    try:
        store = Store.open(course)
    except StoreUnavailable as exc:
        echo(STORE_UNAVAILABLE.format(reason=exc))
        return None
    for notice in store.notices:
        echo(notice)
    if snapshot:
        from grader.learner.pristine import snapshot_course

        try:
            snapshot_course(store.folder, course)
        except OSError:
            pass  # the next command tries again; reset falls back to git or a rebuilt stub
    return store


def is_own_file(exercise: Exercise, source: Path | None) -> bool:
    """Whether a grading is of the learner's own files (only those count as progress)."""
    if source is None:
        return True
    try:
        target = source.resolve()
        return target == exercise.learner_paths[0].resolve() or target == exercise.directory.resolve()
    except OSError:
        return False


def record(store: Store | None, course: Course, result: ExerciseResult, *, via: str, echo: Echo = _stderr) -> GradingRecord | None:
    """Record one grading; on a first solve, say so and name the next exercise."""
    if store is None:
        return None
    try:
        rec = store.record_grading(
            result.exercise,
            score=result.score,
            max_score=result.max_score,
            full_marks=result.full_marks,
            seed=result.seed,
            seconds=result.seconds,
            via=via,
        )
    except StoreUnavailable as exc:
        echo(STORE_UNAVAILABLE.format(reason=exc))
        return None
    if rec.first_solve:
        echo(FIRST_SOLVE.format(exercise=result.exercise, next=next_step(course, store, after=result.exercise)))
    return rec


def next_exercise(course: Course, store: Store | None, after: str | None = None) -> Exercise | None:
    """The first unsolved exercise in teaching order (after ``after`` first, then from the top)."""
    progress = store.all_progress() if store else {}
    order = list(course.exercises)
    if after is not None:
        i = next((k for k, ex in enumerate(order) if ex.id == after), -1)
        order = order[i + 1 :] + order[: i + 1]
    for ex in order:
        p = progress.get(ex.id)
        if p is None or not p.solved:
            return ex
    return None


def next_step(course: Course, store: Store | None, after: str | None = None) -> str:
    ex = next_exercise(course, store, after)
    return NEXT_NONE if ex is None else NEXT_EXERCISE.format(id=ex.id, title=ex.title)


class Ticker:
    """Shows "grading ex07 … 12 s" on the terminal during a long grading.

    Writes to a duplicate of the terminal's file descriptor taken before grading starts:
    pytest captures fd 2 while the checks run, and the ticker must get past that. Silent
    when stderr is not a terminal, and for gradings shorter than ``delay``.
    """

    def __init__(self, label: str, *, delay: float = 2.0, interval: float = 0.5, force: bool = False) -> None:
        self.label, self.delay, self.interval = label, delay, interval
        self.enabled = force or _stderr_is_tty()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fd = -1
        self._drawn = False
        self.detail = ""  # "check 5 of 26", set from the grading thread through update()

    def update(self, done: int, total: int, name: str) -> None:
        """Progress from the grader: which check is running."""
        self.detail = f"check {done} of {total}: {name[:40]}"

    def __enter__(self) -> Ticker:
        if self.enabled:
            try:
                self._fd = os.dup(sys.stderr.fileno())
            except (OSError, ValueError, AttributeError):
                return self
            self._thread = threading.Thread(target=self._run, name="grade-ticker", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        started = time.monotonic()
        if self._stop.wait(self.delay):
            return
        while not self._stop.is_set():
            detail = f" · {self.detail}" if self.detail else ""
            self._write(f"\r{self.label}{detail} … {time.monotonic() - started:.0f} s (Ctrl-C stops) \033[K")
            self._drawn = True
            self._stop.wait(self.interval)

    def _write(self, text: str) -> None:
        try:
            os.write(self._fd, text.encode("utf-8", "replace"))
        except OSError:
            self._stop.set()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        if self._fd >= 0:
            if self._drawn:
                self._write("\r\x1b[2K")  # erase the line: the score card follows
            os.close(self._fd)
            self._fd = -1


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
