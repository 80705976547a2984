"""What a submission and a learner's scores look like to whoever asks ``grade serve``.

Changes when a reply's fields or what each role may see changes. A learner gets the card and
the result with the visibility tiers applied at the moment they ask
(:func:`grader.grading.visibility.for_learner`: after the due date, ``after_due_date`` checks
open up, on old submissions too); an instructor gets everything. Shared by the JSON API
(:mod:`.app`) and the HTML pages (:mod:`.pages`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from grader.checking.results import ExerciseResult
from grader.course import Course
from grader.grading.card import score_card
from grader.grading.protocol import DONE, FAILED, INSTRUCTOR
from grader.grading.visibility import for_learner
from grader.instructor.serve.queue import Submission

NOT_GRADED = "{exercise} · {title}  0/{points:g}\n! {reason}"  # the grader could not grade it (a row says why)
FAILED_FOR_LEARNER = (
    "the service could not grade this submission (its machine's fault, not your code's); it is graded "
    "again when the service restarts, and your instructor has the details"
)


def seen_by(result: ExerciseResult, course: Course, *, role: str, now: dt.datetime | None = None) -> ExerciseResult:
    """``result`` as ``role`` may see it: in full for an instructor, with the tiers applied for a learner."""
    if role == INSTRUCTOR:
        return result
    return for_learner(result, due=course.due_date(result.exercise), now=now)


def submission_reply(sub: Submission, course: Course, *, role: str, verbose: bool = False,
                     now: dt.datetime | None = None) -> dict[str, Any]:
    """The ``SUBMISSION`` reply: ``{id, exercise, status, attempt, card, result}`` (and ``error`` when it failed)."""
    reply: dict[str, Any] = {
        "id": sub.id, "exercise": sub.exercise, "status": sub.status, "attempt": sub.attempt,
        "card": None, "result": None,
    }
    if sub.status == FAILED:
        reply["error"] = sub.error if role == INSTRUCTOR else FAILED_FOR_LEARNER
    if sub.status != DONE:
        return reply
    whole = sub.grading()
    if whole is not None:
        result = seen_by(ExerciseResult.from_json(whole), course, role=role, now=now)
        reply["card"] = score_card(result, verbose=verbose)
        reply["result"] = result.to_json(instructor=role == INSTRUCTOR)
        return reply
    row = sub.gradebook_row()  # graded as an error, with no result: the row's reason says why
    if row is not None:
        reason = row.reason if role == INSTRUCTOR else row.reason.splitlines()[0]
        ex = course.resolve(sub.exercise)
        reply["card"] = NOT_GRADED.format(exercise=ex.id, title=ex.title, points=row.max_score, reason=reason)
        reply["result"] = {"exercise": ex.id, "title": ex.title, "score": row.score, "max_score": row.max_score,
                           "ungraded_points": row.ungraded_points, "full_marks": False, "seed": row.seed,
                           "notes": [reason], "tests": []}
    return reply


def scores_reply(name: str, subs: list[Submission], course: Course) -> dict[str, Any]:
    """The ``SCORES`` reply for ``name``: per exercise of the course, the best score and attempts."""
    exercises: dict[str, dict[str, Any]] = {}
    for ex in course.exercises:
        mine = [s for s in subs if s.exercise == ex.id]
        graded = [s for s in mine if s.status == DONE and s.score is not None]
        best = max(graded, key=lambda s: (s.score or 0.0, -(s.max_score or 0.0)), default=None)
        exercises[ex.id] = {
            "best": float(best.score or 0.0) if best else 0.0,
            "max": float(best.max_score) if best and best.max_score is not None else float(ex.points),
            "attempts": len(mine),
            "full_marks": any(bool(s.full_marks) for s in graded),
        }
    return {"name": name, "exercises": exercises}


__all__ = ["seen_by", "submission_reply", "scores_reply"]
