"""``grade list``'s work: the course at a glance, one row per exercise, and what to do next.

Changes when what the overview says about an exercise changes (its fields, its status words),
how the next exercise is chosen for it, or what it says about reviews (how many are due).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.course import Course, Exercise
from grader.learner.store import ExerciseProgress


@dataclass(frozen=True)
class CourseStatus:
    title: str
    rows: list[dict[str, Any]]  # one per exercise, in teaching order (the JSON of grade list --json)
    next: Exercise | None  # the first unsolved exercise; None when every one is solved, or there is none
    reviews_due: int = 0  # review items due now (grade review)

    @property
    def empty(self) -> bool:
        """A course just started (grade init): no exercise to list, none solved, nothing next."""
        return not self.rows

    @property
    def solved(self) -> int:
        return sum(r["solved"] for r in self.rows)

    @property
    def any_attempts(self) -> bool:
        return any(r["attempts"] for r in self.rows)


def status_word(p: ExerciseProgress | None) -> str:
    if p is None or not p.started:
        return "new"
    if p.solved:
        return "solved"
    if p.gave_up is not None:
        return "gave up"
    return "started"


def rows(course: Course, progress: dict[str, ExerciseProgress]) -> list[dict[str, Any]]:
    out = []
    for ex in course.exercises:
        p = progress.get(ex.id)
        out.append({
            "id": ex.id,
            "title": ex.title,
            "difficulty": ex.difficulty,
            "topics": list(ex.topics),
            "best_score": p.best_score if p else None,
            # Out of what the last grading could grade here (checks a machine cannot run count in no total).
            "max_score": p.max_score if p and p.max_score is not None else float(ex.points),
            "attempts": p.attempts if p else 0,
            "hints_taken": p.hints_taken if p else 0,
            "hints": len(ex.hints),
            "solved": bool(p and p.solved),
            "status": status_word(p),
            "first_opened": p.first_opened if p else None,
            "first_solved": p.first_solved if p else None,
        })
    return out


def course_status(course: Course, *, now: float | None = None) -> CourseStatus:
    """Every exercise's progress, the next one, and the reviews due at ``now`` (opening the
    store snapshots untouched stubs)."""
    from grader.learner.history import next_exercise, open_store
    from grader.learner.review_items import count_due
    from grader.learner.store import current_time

    store = open_store(course)
    due = 0
    if store is not None:
        due = count_due(store.conn, current_time() if now is None else now, exercises=[ex.id for ex in course.exercises])
    return CourseStatus(course.title, rows(course, store.all_progress() if store else {}), next_exercise(course, store), due)
