"""``grade all``: grade every exercise in teaching order, showing progress, then a summary.

Not called ``all.py``: importing it would shadow the builtin ``all`` inside
``grader/cli/__init__.py`` (a submodule becomes an attribute of its package).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from grader.cli._output import Ticker, table
from grader.course.wording import plural

if TYPE_CHECKING:
    from grader.learner.course_run import Row

PROGRESS = "[{i}/{n}] {id} {title}"
DONE_LINE = "{head}  {score}  {seconds:.1f} s"
ERROR_LINE = "{head}  not graded: {error}"
SUMMARY = "{full} of {n} at full marks · {score:g}/{max:g} {points} · {seconds:.0f} s"
ALL_FULL = "Every exercise earns full marks."
NEXT = "Next: grade {id} shows what is missing in {title}."
NO_EXERCISES = "This course has no exercises yet, so there is nothing to grade. An instructor adds one with grade new."


@click.command("all")
@click.option("--seed", type=click.IntRange(1, 2**31 - 1), help="Use these inputs for every exercise (to replay a run).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON (progress goes to stderr).")
@click.pass_context
def command(ctx: click.Context, seed: int | None, as_json: bool) -> None:
    """Grade every exercise of the course in order, showing progress as it goes, then a
    summary table. Exits 0 only if every exercise earns full marks.
    """
    from grader.cli import load
    from grader.learner.course_run import start

    run = start(load(ctx), seed=seed)
    n = len(run.exercises)
    if not n:  # a course just started with grade init: nothing to grade is not a failure
        click.echo(json.dumps({"course": run.course.title, "seconds": 0, "exercises": []}, indent=2) if as_json else NO_EXERCISES)
        ctx.exit(0)
    for i, ex in enumerate(run.exercises, 1):
        head = PROGRESS.format(i=i, n=n, id=ex.id, title=ex.title)
        with Ticker(head, delay=0.0):
            row = run.grade(ex)
        if row.result is None:
            click.echo(ERROR_LINE.format(head=head, error=row.error), err=as_json)
            continue
        run.record(row)  # outside the ticker, which clears its line: a first solve's note stays readable
        result = row.result
        mark = click.style("✓", fg="green") if result.full_marks else click.style("✗", fg="red")
        score = f"{mark} {result.score:g}/{result.graded_max:g}"
        click.echo(DONE_LINE.format(head=head, score=score, seconds=result.seconds), err=as_json)
    summary = run.summary()
    if as_json:
        rows = [r.as_dict() for r in run.rows]
        click.echo(json.dumps({"course": run.course.title, "seconds": round(summary.seconds, 3), "exercises": rows}, indent=2))
    else:
        click.echo("")
        for line in _summary(run.rows):
            click.echo(line)
        click.echo("")
        points = plural(summary.max_score, "point")
        click.echo(SUMMARY.format(full=summary.full, n=n, score=summary.score, max=summary.max_score, points=points,
                                  seconds=summary.seconds))
        missing = summary.next
        click.echo(click.style(ALL_FULL, fg="green") if missing is None else NEXT.format(id=missing.exercise, title=missing.title))
    ctx.exit(0 if summary.all_full else 1)


def _summary(rows: list[Row]) -> list[str]:
    cells = [
        (r.exercise, r.title, f"{r.score:g}/{r.max_score:g}", "full marks" if r.full_marks else ("not graded" if r.error else "not yet"))
        for r in rows
    ]
    return table(("id", "title", "score", "status"), cells, ["green" if r.full_marks else "red" for r in rows])
