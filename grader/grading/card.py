"""The terminal score card: a graded result as the learner reads it.

Changes when what the card shows, or how, changes; the result itself is
:mod:`grader.checking.results`'s.
"""

from __future__ import annotations

import click

from grader.checking.results import ExerciseResult
from grader.course.wording import count, plural
from grader.sandbox.messages import ISOLATION_WEAK
from grader.sandbox.wire import LAYER_HOLDS

PASS, FAIL = "✓", "✗"
REPLAY = "seed {seed} · replay exactly with: grade {exercise} --seed {seed}"
STUCK = "Stuck? grade hint {exercise} shows the next hint."
ALL_DONE = "Full marks. Next: grade list shows what is left."
# Full marks on the checks that ran, while others did not run here (a speed check without a GPU).
ALL_GRADED_DONE = "Full marks on the {graded} graded here. Next: grade list shows what is left."
# Beside the total: the points of the checks not run here, which no total counts.
UNGRADED_HEAD = "{points} ungraded"
# The line of a check not run here, after its name.
NOT_RUN = "ungraded ({points}): {reason}"
# Said whenever checks did not run here: how many points, and what they wait for.
NO_REASON = "no reason given"
UNGRADED_WAIT = "{points} {wait} for a machine that can run {checks} ({reasons}): counted in no total here."
# Every check here passed, but points remain that only the instructor's hidden checks grade.
HIDDEN_LEFT = (
    "Every check you can run passes ({score}/{total}). The other {rest} {are} graded by your "
    "instructor's hidden checks when you hand in, so your final grade may be lower than {total}."
)
# No check runs here at all (published with --allow-no-public): nothing has passed.
HIDDEN_ONLY = (
    "No check of this exercise runs in your copy of the course: all {rest} {are} graded by your "
    "instructor's hidden checks when you hand in."
)


def _points(x: float) -> str:
    return f"{x:g}"


def score_card(result: ExerciseResult, *, show_passed: bool = True) -> str:
    lines = []
    head = f"{result.exercise} · {result.title}"
    total = f"{_points(result.score)}/{_points(result.graded_max)}"
    colour = "green" if result.full_marks else ("yellow" if result.score > 0 else "red")
    ungraded = result.ungraded_points
    said_ungraded = ""
    if result.ungraded:
        said_ungraded = click.style(" · " + UNGRADED_HEAD.format(points=count(ungraded, "point")), fg="yellow")
    lines.append(click.style(head, bold=True) + "  " + click.style(total, fg=colour, bold=True) + said_ungraded)
    if result.file:
        lines.append(click.style(f"graded {result.file} in {result.seconds:.2f} s", dim=True))
    for note in result.notes:
        lines.append(click.style("! " + note, fg="yellow"))
    if result.import_failure:
        # Once, here: each check that needed the module says only that it was not run.
        first, *rest = result.import_failure.splitlines()
        lines.append(click.style("! " + first, fg="red", bold=True))
        lines.extend("    " + line for line in rest)
    off = {layer: state for layer, state in result.isolation.items() if not state.startswith(LAYER_HOLDS)}
    if off:
        # Never silent: the learner's code ran with fewer walls than a gradebook grading demands.
        said = "; ".join(f"{layer} {state}" for layer, state in off.items())
        lines.append(click.style("! " + ISOLATION_WEAK.format(said=said), fg="yellow"))
    lines.append("")
    width = max((len(c.name) for c in result.checks), default=10)
    for c in result.checks:
        if c.passed and not show_passed:
            continue
        if c.ungraded:
            said = NOT_RUN.format(points=count(c.max_score, "point"), reason=c.output)
            lines.append(click.style(f"  - {c.name.ljust(width)}  {said}", dim=True))
            continue
        mark = click.style(PASS, fg="green") if c.passed else click.style(FAIL, fg="red")
        pts = f"{_points(c.score)}/{_points(c.max_score)}"
        lines.append(f"  {mark} {c.name.ljust(width)}  {pts}")
        if not c.passed and c.output:
            for line in c.output.splitlines():
                lines.append("      " + line)
            lines.append("")
    lines.append("")
    ran = result.graded_checks
    if result.full_marks:
        done = ALL_GRADED_DONE.format(graded=count(result.graded_max, "point")) if result.ungraded else ALL_DONE
        lines.append(click.style(done, fg="green"))
    elif all(c.passed for c in ran) and (ran or not result.checks):
        rest = result.graded_max - result.score
        said = HIDDEN_LEFT if ran else HIDDEN_ONLY
        lines.append(click.style(said.format(
            score=_points(result.score), total=_points(result.graded_max), rest=count(rest, "point"),
            are=plural(rest, "is"),
        ), fg="yellow"))
    elif ran:
        lines.append(REPLAY.format(seed=result.seed, exercise=result.exercise))
        lines.append(STUCK.format(exercise=result.exercise))
    if result.ungraded:
        n = len(result.ungraded)
        lines.append(click.style(UNGRADED_WAIT.format(
            points=count(ungraded, "point"), wait=plural(ungraded, "waits", "wait"),
            checks=plural(n, "its check", "their checks"),
            reasons="; ".join(result.ungraded_reasons) or NO_REASON,
        ), fg="yellow"))
    return "\n".join(lines)
