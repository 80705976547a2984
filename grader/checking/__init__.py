"""What check authors import: ``from grader.checking import points, expect, ...``.

Changes when the check-writing API changes. The package around it holds the rest of that
API's machinery: the pytest plugin that gives checks their fixtures (:mod:`plugin`), the
``submission`` proxy (:mod:`proxy`), comparisons (:mod:`expect`), input generators
(:mod:`inputs`), known mistakes (:mod:`misconceptions`), speed races (:mod:`speed`), the
texts they show the learner (:mod:`messages`) and the results they produce (:mod:`results`).
pytest is imported only when a mark is made, so importing the proxy, the comparisons or the
results stays cheap on paths that never run a check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from grader.checking.expect import (
    Advice,
    CheckFailure,
    advice,
    as_numpy,
    close,
    describe,
    expect,
    fail,
    stage,
    tolerance_for,
)
from grader.sandbox.failures import LearnerRaised, SubmissionFailure

if TYPE_CHECKING:
    import pytest

__all__ = [
    "Advice",
    "CheckFailure",
    "LearnerRaised",
    "SubmissionFailure",
    "advice",
    "as_numpy",
    "close",
    "describe",
    "expect",
    "expect_error",
    "fail",
    "points",
    "stage",
    "tolerance_for",
    "visibility",
]


def points(n: float) -> pytest.MarkDecorator:
    """How many points the check is worth."""
    import pytest

    return pytest.mark.points(n)


def visibility(level: str) -> pytest.MarkDecorator:
    """``visible`` (default), ``hidden``, ``after_due_date`` or ``after_published``."""
    import pytest

    return pytest.mark.visibility(level)


def expect_error(call: Callable[[], Any], *names: str, why: str = "") -> LearnerRaised:
    """Run ``call`` (a lambda around a submission call); it must raise one of ``names``.

    Returns the learner's exception (as data) so the check can inspect its message.
    """
    try:
        value = call()
    except LearnerRaised as exc:
        if names and not any(exc.is_a(n) for n in names):
            fail(f"raised {exc.type_name}: {exc.message}\nexpected {' or '.join(names)}" + (f": {why}" if why else ""))
        return exc
    fail(f"returned {describe(value)}\nexpected it to raise {' or '.join(names) or 'an error'}" + (f": {why}" if why else ""), value)
    raise AssertionError("unreachable")
