"""The terminal score card: a graded result as the learner reads it.

Changes when what the card shows, or how, changes; the result itself is
:mod:`grader.checking.results`'s.
"""

from __future__ import annotations

import re

import click

from grader.checking.plugin import LOOKS_LIKE, LOOKS_LIKE_ONE_OF, ONE_OF_EACH, TELL_APART, TELL_APART_NONE
from grader.checking.results import FAILED_FIRST, CheckResult, ExerciseResult
from grader.course.wording import count, plural
from grader.grading.visibility import is_withheld
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

# The default card (issue 15): the diagnosis first, one line per failing check, then one worked
# example per distinct cause; `grade EXERCISE -v` prints every check and every output in full.
DIAGNOSIS_ONE = "Diagnosis: a known mistake, {name}, costs {points} on {checks} ({functions})."
DIAGNOSIS_ONE_OF = (
    "Diagnosis: one of these known mistakes, which give your outputs on every input the checks "
    "tried, costs {points} on {checks} ({functions}):"
)
DIAGNOSIS_EACH = "  - {name}: {feedback}"
DIAGNOSIS_FEEDBACK = "  {feedback}"
# Failing checks that no known mistake explains: after the named ones, or alone.
DIAGNOSIS_UNNAMED = "No known mistake explains {checks} ({points}); {outputs} below."
DIAGNOSIS_NONE = "Diagnosis: no known mistake matches; {checks} {fail} ({points} lost); {outputs} below."
# Failing checks whose feedback the instructor keeps (a grading service's hidden checks): no
# diagnosis is claimed or denied for them.
DIAGNOSIS_WITHHELD = "{checks} your instructor keeps hidden {fail} ({points} lost): what they tried stays with your instructor."
PASSED_SUMMARY = "{checks} {pass_} ({points})"
CAUSE_TAG = "[{cause}]"
EXAMPLE_NAMED = "Worked example of {cause}: {check} (seed {seed})"
EXAMPLE_UNNAMED = "{check} (seed {seed})"
ALSO = "also {checks}, with the same output"
CUT = "… (grade {exercise} -v shows all)"
CUT_LINES = 6  # an output without a named mistake, at most, before CUT


def _points(x: float) -> str:
    return f"{x:g}"


def score_card(result: ExerciseResult, *, show_passed: bool = True, verbose: bool = False) -> str:
    """The terminal card: the diagnosis, then the facts (``verbose``: every check and output in full)."""
    if verbose:
        return _full_card(result, show_passed=show_passed)
    return _short_card(result, show_passed=show_passed)


def _head(result: ExerciseResult) -> list[str]:
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
    return lines


def _check_line(c: CheckResult, width: int) -> str:
    if c.ungraded:
        said = NOT_RUN.format(points=count(c.max_score, "point"), reason=c.output)
        return click.style(f"  - {c.name.ljust(width)}  {said}", dim=True)
    mark = click.style(PASS, fg="green") if c.passed else click.style(FAIL, fg="red")
    line = f"  {mark} {c.name.ljust(width)}  {_points(c.score)}/{_points(c.max_score)}"
    if c.failed_at and not c.passed:
        line += "\n      " + click.style(FAILED_FIRST.format(stage=c.failed_at), fg="yellow")
    return line


def _full_card(result: ExerciseResult, *, show_passed: bool) -> str:
    """Every check, each failure's output in full under it: `grade EXERCISE -v`."""
    lines = _head(result)
    lines.append("")
    width = max((len(c.name) for c in result.checks), default=10)
    for c in result.checks:
        if c.passed and not show_passed:
            continue
        lines.append(_check_line(c, width))
        if not c.ungraded and not c.passed and c.output:
            for line in c.output.splitlines():
                lines.append("      " + line)
            lines.append("")
    lines.append("")
    return "\n".join(lines + _tail(result))


def _names(c: CheckResult) -> tuple[str, ...]:
    """The known mistakes a failing check names: one, several ("one of"), or none."""
    if c.misconceptions:
        return tuple(c.misconceptions)
    return (c.misconception,) if c.misconception else ()


def _said_at(output: str, names: tuple[str, ...]) -> int:
    """Where the known-mistake paragraph starts in a check's output (its length when none)."""
    marks = [LOOKS_LIKE.format(name=names[0], feedback="")] if len(names) == 1 else []
    marks.append(LOOKS_LIKE_ONE_OF.split("{", 1)[0])
    found = [output.find(m) for m in marks if names and m in output]
    return min(found) if found else len(output)


def _feedback(output: str, names: tuple[str, ...]) -> list[str]:
    """Each named mistake's feedback, as the check's output said it."""
    at = _said_at(output, names)
    said = output[at:]
    if len(names) == 1:
        one = LOOKS_LIKE.format(name=names[0], feedback="")
        return [said[len(one):].strip()] if said.startswith(one) else []
    said = said[: _tell_at(said)]
    starts = [said.find(ONE_OF_EACH.format(name=n, feedback="")) for n in names]
    out = []
    for k, name in enumerate(names):
        if starts[k] < 0:
            out.append("")
            continue
        end = min([s for s in starts if s > starts[k]], default=len(said))
        out.append(said[starts[k] + len(ONE_OF_EACH.format(name=name, feedback="")):end].strip())
    return out


def _tell_at(said: str) -> int:
    """Where the "what would tell them apart" lines start, after a "one of" (its length when none)."""
    found = [said.find(m) for m in (TELL_APART, TELL_APART_NONE) if m in said]
    return min(found) if found else len(said)


def _tell(output: str, names: tuple[str, ...]) -> list[str]:
    said = output[_said_at(output, names):]
    return [line for line in said[_tell_at(said):].splitlines() if line.strip()]


def _functions(checks: list[CheckResult]) -> str:
    """The functions the checks called, from their outputs' "called f(...)" lines, in order."""
    seen: dict[str, None] = {}
    for c in checks:
        for line in c.output.splitlines():
            m = re.match(r"\s*called ([\w.]+)\(", line)
            if m:
                seen[m.group(1)] = None
    return ", ".join(seen) or "?"


def _lost(checks: list[CheckResult]) -> float:
    return sum(c.max_score - c.score for c in checks)


def _said(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _short_card(result: ExerciseResult, *, show_passed: bool) -> str:
    lines = _head(result)
    failing = [c for c in result.checks if not c.passed and not c.ungraded]
    # Distinct causes: a named mistake (or the same "one of" set), else the output itself.
    named: dict[tuple[str, ...], list[CheckResult]] = {}
    unnamed: dict[str, list[CheckResult]] = {}
    kept: list[CheckResult] = []  # withheld by the instructor: counted, never diagnosed
    for c in failing:
        if is_withheld(c):
            kept.append(c)
            continue
        if _names(c):
            named.setdefault(_names(c), []).append(c)
        else:
            unnamed.setdefault(c.output, []).append(c)
    if failing:
        lines.append("")
    for names, checks in named.items():
        said = {"points": count(_lost(checks), "point"), "checks": count(len(checks), "check"), "functions": _functions(checks)}
        feedback = _feedback(checks[0].output, names)
        if len(names) == 1:
            lines.append(click.style(DIAGNOSIS_ONE.format(name=names[0], **said), bold=True))
            lines.extend(DIAGNOSIS_FEEDBACK.format(feedback=f) for f in feedback if f)
        else:
            lines.append(click.style(DIAGNOSIS_ONE_OF.format(**said), bold=True))
            lines.extend(DIAGNOSIS_EACH.format(name=n, feedback=f) for n, f in zip(names, feedback or [""] * len(names)))
            lines.extend("  " + line for line in _tell(checks[0].output, names))
    rest = [c for checks in unnamed.values() for c in checks]
    if rest:
        n = len(rest)
        forms = {"checks": count(n, "check"), "points": count(_lost(rest), "point"), "fail": _said(n, "fails", "fail"),
                 "outputs": _said(len(unnamed), "its output is", "their outputs are")}
        lines.append(click.style((DIAGNOSIS_UNNAMED if named else DIAGNOSIS_NONE).format(**forms), bold=not named))
    if kept:
        lines.append(DIAGNOSIS_WITHHELD.format(checks=count(len(kept), "check"), fail=_said(len(kept), "fails", "fail"),
                                               points=count(_lost(kept), "point")))
    lines.append("")
    width = max((len(c.name) for c in result.checks), default=10)
    passed = [c for c in result.checks if c.passed]
    if passed and show_passed:
        got = sum(c.score for c in passed)
        summary = PASSED_SUMMARY.format(checks=count(len(passed), "check"), pass_=_said(len(passed), "passes", "pass"),
                                        points=count(got, "point"))
        lines.append(f"  {click.style(PASS, fg='green')} {summary}")
    for c in result.checks:
        if c.passed:
            continue
        line = _check_line(c, width)
        if not c.ungraded and _names(c) and len(named) + len(unnamed) > 1:  # one cause: said above
            line += "  " + click.style(CAUSE_TAG.format(cause=", ".join(_names(c))), fg="yellow")
        lines.append(line)
    if failing:
        lines.append("")
    for names, checks in named.items():
        first = checks[0]
        head = EXAMPLE_NAMED.format(cause=" / ".join(names), check=first.name, seed=result.seed)
        lines.append(click.style(head, bold=True))
        lines.extend("      " + line for line in first.output[: _said_at(first.output, names)].rstrip().splitlines())
        lines.append("")
    for output, checks in unnamed.items():
        lines.append(click.style(EXAMPLE_UNNAMED.format(check=checks[0].name, seed=result.seed), bold=True))
        if len(checks) > 1:
            lines.append("      " + ALSO.format(checks=", ".join(c.name for c in checks[1:])))
        said = output.splitlines()
        if len(said) > CUT_LINES:
            said = [*said[: CUT_LINES - 1], CUT.format(exercise=result.exercise)]
        lines.extend("      " + line for line in said)
        lines.append("")
    if not failing:
        lines.append("")
    return "\n".join(lines + _tail(result))


def _tail(result: ExerciseResult) -> list[str]:
    lines: list[str] = []
    ungraded = result.ungraded_points
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
    return lines
