"""``grade hint``'s work: hand out an exercise's hints one at a time, remembered across runs.

Changes when the hint bookkeeping changes: how many are taken, what a run that cannot save
its count shows, which showings are logged (each one: a review passed after a hint is rated
hard, see :mod:`grader.learner.review_items`).
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.course import Course, Exercise


@dataclass(frozen=True)
class Hint:
    """The hint shown now: number ``number`` (from 1) of ``total``."""

    exercise: Exercise
    number: int
    total: int
    text: str
    saved: bool  # False: the count could not be saved, so the next run may repeat this one

    @property
    def last(self) -> bool:
        return self.number >= self.total


def next_hint(course: Course, exercise: Exercise) -> Hint | None:
    """The next hint, counted as taken (the last one again once all are taken); None if there are none."""
    from grader.learner.history import open_store
    from grader.learner.store import StoreUnavailable

    hints = list(exercise.hints)
    if not hints:
        return None
    store = open_store(course)
    taken = store.progress(exercise.id).hints_taken if store else 0
    saved = False
    if store is not None:
        try:
            if taken < len(hints):
                taken = store.take_hint(exercise.id, len(hints))
            else:
                store.hint_read(exercise.id)  # the last one again: still a hint
            saved = True
        except StoreUnavailable:
            taken = min(taken + 1, len(hints))
    else:
        taken = 1
    n = max(taken, 1)
    return Hint(exercise, n, len(hints), hints[n - 1], saved)


@dataclass(frozen=True)
class Taken:
    """The hints taken so far: ``count`` of ``total`` (the count as saved), their texts in order."""

    count: int
    total: int
    texts: list[str]


def hints_taken(course: Course, exercise: Exercise) -> Taken | None:
    """The hints taken so far, without taking one; None if the exercise has none."""
    from grader.learner.history import open_store

    hints = list(exercise.hints)
    if not hints:
        return None
    from grader.learner.store import StoreUnavailable

    store = open_store(course)
    count = store.progress(exercise.id).hints_taken if store else 0
    if store is not None and count:
        try:
            store.hint_read(exercise.id)  # read again: a pass after this is a pass after a hint
        except StoreUnavailable:
            pass
    return Taken(count, len(hints), hints[:count])
