"""``grade all``: grade every exercise in teaching order, showing progress, then a summary.

Not called ``all.py``: importing it would shadow the builtin ``all`` inside
``grader/cli/__init__.py`` (a submodule becomes an attribute of its package).
"""

from __future__ import annotations

import json
import time
from typing import Any

import click

PROGRESS = "[{i}/{n}] {id} {title}"
DONE_LINE = "{head}  {score}  {seconds:.1f} s"
ERROR_LINE = "{head}  not graded: {error}"
SUMMARY = "{full} of {n} at full marks · {score:g}/{max:g} points · {seconds:.0f} s"
ALL_FULL = "Every exercise earns full marks."
NEXT = "Next: grade {id} shows what is missing in {title}."


@click.command("all")
@click.option("--seed", type=click.IntRange(1, 2**31 - 1), help="Use these inputs for every exercise (to replay a run).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON (progress goes to stderr).")
@click.pass_context
def command(ctx: click.Context, seed: int | None, as_json: bool) -> None:
    """Grade every exercise of the course in order, showing progress as it goes, then a
    summary table. Exits 0 only if every exercise earns full marks.
    """
    from grader.cli import load
    from grader.errors import GradeError
    from grader.grading.runner import grade
    from grader.learner.history import Ticker, open_store, record

    course = load(ctx)
    store = open_store(course)
    n = len(course.exercises)
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for i, ex in enumerate(course.exercises, 1):
        head = PROGRESS.format(i=i, n=n, id=ex.id, title=ex.title)
        row: dict[str, Any] = {"exercise": ex.id, "title": ex.title, "max_score": float(ex.points)}
        try:
            with Ticker(head, delay=0.0):
                result = grade(ex, seed=seed)
        except GradeError as exc:
            row.update(score=0.0, full_marks=False, seed=None, seconds=0.0, error=str(exc))
            click.echo(ERROR_LINE.format(head=head, error=exc), err=as_json)
        else:
            record(store, course, result, via="all")
            row.update(score=result.score, full_marks=result.full_marks, seed=result.seed, seconds=result.seconds, error=None)
            mark = click.style("✓", fg="green") if result.full_marks else click.style("✗", fg="red")
            score = f"{mark} {result.score:g}/{result.max_score:g}"
            click.echo(DONE_LINE.format(head=head, score=score, seconds=result.seconds), err=as_json)
        rows.append(row)
    total = time.perf_counter() - started
    full = sum(r["full_marks"] for r in rows)
    if as_json:
        click.echo(json.dumps({"course": course.title, "seconds": round(total, 3), "exercises": rows}, indent=2))
    else:
        click.echo("")
        _summary(rows)
        click.echo("")
        click.echo(SUMMARY.format(
            full=full, n=n, score=sum(r["score"] for r in rows), max=sum(r["max_score"] for r in rows), seconds=total
        ))
        missing = next((r for r in rows if not r["full_marks"]), None)
        click.echo(click.style(ALL_FULL, fg="green") if missing is None else NEXT.format(id=missing["exercise"], title=missing["title"]))
    ctx.exit(0 if rows and full == n else 1)


def _summary(rows: list[dict[str, Any]]) -> None:
    cells = [
        (r["exercise"], r["title"], f"{r['score']:g}/{r['max_score']:g}", "full marks" if r["full_marks"] else ("not graded" if r["error"] else "not yet"))
        for r in rows
    ]
    heads = ("id", "title", "score", "status")
    widths = [max([len(h), *(len(c[k]) for c in cells)]) for k, h in enumerate(heads)]
    click.echo("  " + click.style("  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip(), dim=True))
    for c, r in zip(cells, rows):
        colour = "green" if r["full_marks"] else "red"
        click.echo("  " + "  ".join(v.ljust(w) for v, w in zip(c[:-1], widths)) + "  " + click.style(c[-1], fg=colour))
