"""What a learner may see of a grading: the checks' visibility tiers applied to a result.

Changes when a tier's meaning changes. A check author marks a check ``visible`` (the default),
``hidden``, ``after_due_date`` or ``after_published`` (``grader.checking.visibility``). The
learner's side of a grading kept by someone else (``grade serve``) shows:

- ``visible``: the check in full;
- ``hidden`` and ``after_published``: its name, points and pass/fail only;
- ``after_due_date``: like ``hidden`` until the exercise's due date has passed, then in full
  (an exercise with no due date keeps such checks withheld: nothing says when to show them).

A withheld check keeps only what the card's line needs (name, points, status); its output,
inputs, the known mistake it named and anything added to a check later are dropped, so a
diagnosis named only by withheld checks is named nowhere. Rendering the filtered result with
:func:`grader.grading.card.score_card` gives the learner's card.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from grader.checking.results import CheckResult, ExerciseResult

VISIBLE, HIDDEN, AFTER_DUE_DATE, AFTER_PUBLISHED = "visible", "hidden", "after_due_date", "after_published"

# In place of a withheld check's output (the card's worked example shows it under the check's name).
WITHHELD = "a hidden check: its inputs and output stay with your instructor"
WITHHELD_UNTIL_DUE = "its inputs and output are shown after the due date ({due})"
WITHHELD_NO_DUE = "its inputs and output are shown after the due date, which your instructor has not set yet"


def is_withheld(check: CheckResult) -> bool:
    """Whether ``check`` is a learner's copy with its output withheld (as :func:`for_learner` leaves it)."""
    return check.visibility != VISIBLE and not check.misconceptions and (
        check.output == WITHHELD or check.output == WITHHELD_NO_DUE or check.output.startswith(WITHHELD_UNTIL_DUE.split("(")[0])
    )


def withheld(check: CheckResult, *, due: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a learner sees only ``check``'s name, points and pass/fail at ``now``."""
    if check.visibility == AFTER_DUE_DATE:
        return due is None or now < due
    return check.visibility != VISIBLE  # hidden, after_published, and any tier not known here


def _said_instead(check: CheckResult, due: dt.datetime | None) -> str:
    if check.ungraded:
        return check.output  # why it did not run on the grading machine: about the machine, not the check
    if check.visibility == AFTER_DUE_DATE:
        return WITHHELD_UNTIL_DUE.format(due=due.isoformat(timespec="minutes")) if due else WITHHELD_NO_DUE
    return WITHHELD


def _withhold(check: CheckResult, due: dt.datetime | None) -> CheckResult:
    # Built from an allow-list, not by clearing fields: a field added to CheckResult later
    # (with its default here) cannot carry a hidden check's inputs to the learner.
    return CheckResult(
        name=check.name, test_id=check.test_id, score=check.score, max_score=check.max_score, status=check.status,
        output=_said_instead(check, due), visibility=check.visibility,
    )


def for_learner(result: ExerciseResult, *, due: dt.datetime | None, now: dt.datetime | None = None) -> ExerciseResult:
    """A copy of ``result`` as its learner may see it at ``now`` (default: the present), with
    ``due`` the exercise's due date (``Course.due_date``), None when the course sets none."""
    now = now or dt.datetime.now(dt.timezone.utc)
    checks = [_withhold(c, due) if withheld(c, due=due, now=now) else c for c in result.checks]
    kept = dataclasses.replace(result, checks=checks, notes=list(result.notes), isolation=dict(result.isolation))
    if any(c is not o for c, o in zip(checks, result.checks)):
        kept.printed = ""  # what the code printed may have been printed while a withheld check ran
    return kept
