"""``grade review``'s work: the reviews due now, most overdue first, and one opened as a drill.

Changes when what ``grade review`` offers changes: which items it lists and in what order,
which one it opens, how long a review drill lasts. What an item is and when it is due is
:mod:`grader.learner.review_items`'s; the drill itself (workspace, clock, hand-in) is
:mod:`grader.learner.drill_session`'s, so a review is handed in like any drill.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course import Course, Exercise, wording
from grader.errors import UsageError

if TYPE_CHECKING:
    from grader.learner.drill_session import Drills, InProgress, Started
    from grader.learner.review_items import Item

NO_SUCH = "there {are} {reviews} due: choose a number from 1 to {n}."


@dataclass(frozen=True)
class DueReview:
    """One line of ``grade review``: an item, its exercise, and how long it has been due."""

    number: int  # from 1, most overdue first
    item: Item
    exercise: Exercise
    overdue: float  # seconds since it became due


@dataclass(frozen=True)
class Reviews:
    now: float
    due: list[DueReview]  # most overdue first
    upcoming: DueReview | None  # nothing due: the next one (its ``overdue`` is negative)
    items: int  # review items at all (0: the learner has failed nothing yet)


class Review:
    """The learner's review items in one course, and the drills that review them."""

    def __init__(self, course: Course, drills: Drills) -> None:
        self.course, self.drills = course, drills

    def status(self, *, now: float | None = None) -> Reviews:
        """What is due at ``now`` (default: the store's clock), most overdue first."""
        from grader.learner import review_items
        from grader.learner.store import current_time

        now = current_time() if now is None else now
        conn = self.drills.store.conn
        by_id = {ex.id: ex for ex in self.course.exercises}
        due = [
            DueReview(n, it, by_id[it.exercise], now - it.due)
            for n, it in enumerate(review_items.due(conn, now, exercises=by_id), 1)
        ]
        nxt = review_items.next_due(conn, now, exercises=by_id) if not due else None
        upcoming = DueReview(0, nxt, by_id[nxt.exercise], now - nxt.due) if nxt is not None else None
        count = len([it for it in review_items.items(conn) if it.exercise in by_id])
        return Reviews(now, due, upcoming, count)

    def pick(self, reviews: Reviews, number: int | None) -> DueReview:
        """The review numbered ``number`` (default: the most overdue)."""
        n = number or 1
        if not 1 <= n <= len(reviews.due):
            due = len(reviews.due)
            raise UsageError(NO_SUCH.format(are=wording.plural(due, "is"), reviews=wording.count(due, "review"), n=due))
        return reviews.due[n - 1]

    def in_progress(self, *, now: float | None = None) -> InProgress | None:
        """The drill in progress (a review is a drill: one at a time)."""
        return self.drills.in_progress(now=now)

    def start(
        self, review: DueReview, *, minutes: float | None, workspace: Path | None, now: float | None = None
    ) -> Started:
        """Open ``review``'s exercise as a drill: a fresh stub outside the course, the clock
        started (the exercise's own time unless ``minutes``); new inputs come with its grading."""
        return self.drills.start_with(
            [review.exercise], {review.exercise.id: review.item}, minutes=minutes, seed=None, workspace=workspace, now=now
        )


def open_reviews(course: Course) -> Review:
    """The course's reviews; a usage error when the progress store cannot be opened."""
    from grader.learner.drill_session import open_drills

    return Review(course, open_drills(course))
