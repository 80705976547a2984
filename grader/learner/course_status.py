"""``grade list``'s work: the course at a glance, one row per exercise, and what to do next.

Changes when what the overview says about an exercise changes (its fields, its status words),
how the next exercise is chosen for it, what it says about reviews (how many are due), or
where its best scores come from: the course's server when it names one and answers (its
best of every hand-in, from any machine), else this machine's store, with one line saying why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from grader.course import Course, Exercise
from grader.learner.store import ExerciseProgress

if TYPE_CHECKING:
    from grader.learner.remote import ServerScore

# When the course's server gave no scores: why (remote's line), then what the list shows instead.
LOCAL_SCORES = "The best scores below are this machine's."


@dataclass(frozen=True)
class CourseStatus:
    title: str
    rows: list[dict[str, Any]]  # one per exercise, in teaching order (the JSON of grade list --json)
    next: Exercise | None  # the first unsolved exercise; None when every one is solved, or there is none
    reviews_due: int = 0  # review items due now (grade review)
    scores_from: str | None = None  # the server whose best scores the rows hold; None: this machine's
    note: str = ""  # one line: why a course with a server shows this machine's scores

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


def with_server_scores(table: list[dict[str, Any]], scores: dict[str, ServerScore]) -> list[dict[str, Any]]:
    """The rows with the server's best scores in place of this machine's: the server's best counts
    every hand-in, from any machine. An exercise full marks on the server is solved."""
    out = []
    for row in table:
        s = scores.get(row["id"])
        s = s if s is not None and (s.attempts or s.full_marks) else None  # never handed in: no best to show
        row = {**row, "local_best_score": row["best_score"], "server_attempts": s.attempts if s else 0}
        row["best_score"] = s.best if s else None
        if s is not None:
            row["max_score"] = s.max
        if s is not None and s.full_marks and not row["solved"]:
            row["solved"], row["status"] = True, "solved"
        elif s is not None and s.attempts and row["status"] == "new":
            row["status"] = "started"
        out.append(row)
    return out


def server_scores(course: Course) -> tuple[dict[str, ServerScore] | None, str]:
    """The server's best scores, or None and the one line that says why there are none."""
    from grader.learner.remote import RemoteError, best_scores

    assert course.server
    try:
        return best_scores(course.server), ""
    except RemoteError as exc:
        return None, f"{exc.line} {LOCAL_SCORES}"


def course_status(course: Course, *, now: float | None = None, remote: bool = True) -> CourseStatus:
    """Every exercise's progress, the next one, and the reviews due at ``now`` (opening the
    store snapshots untouched stubs); the best scores are the server's when the course names one."""
    from grader.learner.history import next_exercise, open_store
    from grader.learner.review_items import count_due
    from grader.learner.store import current_time

    store = open_store(course)
    due = 0
    if store is not None:
        due = count_due(store.conn, current_time() if now is None else now, exercises=[ex.id for ex in course.exercises])
    table = rows(course, store.all_progress() if store else {})
    if not (course.server and remote):
        return CourseStatus(course.title, table, next_exercise(course, store), due)
    scores, note = server_scores(course)
    if scores is None:
        return CourseStatus(course.title, table, next_exercise(course, store), due, note=note)
    table = with_server_scores(table, scores)
    # The first exercise solved neither here nor on the server, in teaching order.
    unsolved = {r["id"] for r in table if not r["solved"]}
    nxt = next((ex for ex in course.exercises if ex.id in unsolved), None)
    return CourseStatus(course.title, table, nxt, due, scores_from=course.server)
