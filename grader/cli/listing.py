"""``grade list`` (and ``grade`` alone): the course at a glance, and what to do next.

The module is not called ``list.py``: importing a submodule sets an attribute on the
package, and ``grader.cli.list`` would shadow the builtin ``list`` inside
``grader/cli/__init__.py``.
"""

from __future__ import annotations

import json
from typing import Any

import click

HEADER = "{title} · {solved} of {total} solved"
NEXT = "Next: grade {id} ({title}). Stuck? grade hint {id}"
START = "Start here: grade {id} ({title}) grades your file; edit {file} until it earns full marks."
ALL_SOLVED = "Every exercise is solved. Time yourself on one you have not drilled: grade drill --minutes 30"
NO_COURSE_HELP = "No course here yet: run grade inside a course folder (one holding course.yaml), or pass --course DIR."
COLUMNS = ("id", "title", "level", "topics", "best", "tries", "hints", "status")
TOPICS_WIDTH = 30
TITLE_WIDTH = 34


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def status_word(p: Any) -> str:
    if p is None or not p.started:
        return "new"
    if p.solved:
        return "solved"
    if p.gave_up is not None:
        return "gave up"
    return "started"


def rows(course: Any, progress: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for ex in course.exercises:
        p = progress.get(ex.id)
        out.append({
            "id": ex.id,
            "title": ex.title,
            "difficulty": ex.difficulty,
            "topics": list(ex.topics),
            "best_score": p.best_score if p else None,
            "max_score": float(ex.points),
            "attempts": p.attempts if p else 0,
            "hints_taken": p.hints_taken if p else 0,
            "hints": len(ex.hints),
            "solved": bool(p and p.solved),
            "status": status_word(p),
            "first_opened": p.first_opened if p else None,
            "first_solved": p.first_solved if p else None,
        })
    return out


_STATUS_STYLE = {"solved": {"fg": "green"}, "started": {"fg": "yellow"}, "gave up": {"fg": "red"}, "new": {"dim": True}}


def render(course: Any, table: list[dict[str, Any]]) -> list[str]:
    cells = [
        (
            r["id"],
            _cut(r["title"], TITLE_WIDTH),
            r["difficulty"],
            _cut(", ".join(r["topics"]), TOPICS_WIDTH),
            "-" if r["best_score"] is None else f"{r['best_score']:g}/{r['max_score']:g}",
            str(r["attempts"]) if r["attempts"] else "-",
            f"{r['hints_taken']}/{r['hints']}" if r["hints_taken"] else "-",
            r["status"],
        )
        for r in table
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(COLUMNS)]
    solved = sum(r["solved"] for r in table)
    lines = [click.style(HEADER.format(title=course.title, solved=solved, total=len(table)), bold=True), ""]
    lines.append("  " + click.style("  ".join(h.ljust(w) for h, w in zip(COLUMNS, widths)).rstrip(), dim=True))
    for c, r in zip(cells, table):
        text = "  ".join(v.ljust(w) for v, w in zip(c[:-1], widths))
        lines.append("  " + text + "  " + click.style(c[-1], **_STATUS_STYLE.get(r["status"], {})))
    return lines


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.pass_context
def command(ctx: click.Context, as_json: bool) -> None:
    """Show the course at a glance, in teaching order: each exercise's title, difficulty,
    topics, best score, attempts, hints taken, whether it is solved, and what to do next.
    """
    from grader.cli import load
    from grader.learner.history import next_exercise, open_store

    course = load(ctx)
    store = open_store(course)  # also snapshots the stubs of untouched exercises
    table = rows(course, store.all_progress() if store else {})
    if as_json:
        click.echo(json.dumps({"course": course.title, "exercises": table}, indent=2))
        return
    for line in render(course, table):
        click.echo(line)
    click.echo("")
    ex = next_exercise(course, store)
    if ex is None:
        click.echo(click.style(ALL_SOLVED, fg="green"))
    elif not any(r["attempts"] for r in table):
        click.echo(START.format(id=ex.id, title=ex.title, file=ex.learner_paths[0].relative_to(course.root)))
    else:
        click.echo(NEXT.format(id=ex.id, title=ex.title))


def default(ctx: click.Context) -> None:
    """``grade`` with no argument: the list, or the help when there is no course here."""
    from grader.errors import UsageError

    try:
        ctx.invoke(command)
    except UsageError:
        click.echo(ctx.get_help())
        click.echo("")
        click.echo(NO_COURSE_HELP)
        ctx.exit(2)
