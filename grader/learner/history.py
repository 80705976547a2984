"""What the learner commands share: opening the progress store, recording a grading, what is next.

Recording a grading also records its checks and reviews the learner's review items
(:mod:`grader.learner.review_items`), in the same transaction.

Everything here is best effort around grading: a store that cannot be written is reported
in one line and the command goes on; it never costs the learner a grade.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from grader.checking.results import ExerciseResult
from grader.course import Course, Exercise
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
    that `grade reset` and `grade drill` have it later (see grader/learner/pristine.py).
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


def record(
    store: Store | None, course: Course, result: ExerciseResult, *, via: str, echo: Echo = _stderr, now: float | None = None
) -> GradingRecord | None:
    """Record one grading of the learner's own files (with its checks, and the reviews it
    makes); on a first solve, say so and name the next exercise."""
    from grader.learner.review_items import checks_of, code_digest

    if store is None:
        return None
    exercise = next((ex for ex in course.exercises if ex.id == result.exercise), None)
    digest = code_digest(exercise.learner_paths) if exercise is not None else None
    try:
        rec = store.record_grading(
            result.exercise,
            score=result.score,
            max_score=result.graded_max,  # the points graded here: a check not run here is in no total
            full_marks=result.full_marks,
            seed=result.seed,
            seconds=result.seconds,
            via=via,
            checks=checks_of(result),
            digest=digest,
            now=now,
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
