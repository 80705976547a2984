"""``grade list`` (and ``grade`` alone): the course at a glance, and what to do next.

The module is not called ``list.py``: importing a submodule sets an attribute on the
package, and ``grader.cli.list`` would shadow the builtin ``list`` inside
``grader/cli/__init__.py``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from grader.cli._output import table as text_table

if TYPE_CHECKING:
    from grader.learner.course_status import CourseStatus

HEADER = "{title} · {solved} of {total} solved"
NEXT = "Next: grade {id} ({title}). Stuck? grade hint {id}"
START = "Start here: grade {id} ({title}) grades your file; edit {file} until it earns full marks."
ALL_SOLVED = "Every exercise is solved. Time yourself on one you have not drilled: grade drill --minutes 30"
NO_EXERCISES = "This course has no exercises yet. An instructor adds one with grade new (see grade new --help)."
REVIEWS_DUE = "Reviews due: {n} · grade review meets your past mistakes again before you forget them."
NO_COURSE_HELP = "No course here yet: run grade inside a course folder (one holding course.yaml), or pass --course DIR."
COLUMNS = ("id", "title", "level", "topics", "best", "tries", "hints", "status")
# The best column's heading when the scores are the course's server's (every hand-in, from any machine).
SERVER_BEST = "best (server)"
TOPICS_WIDTH = 30
TITLE_WIDTH = 34


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


_STATUS_STYLE = {"solved": "green", "started": "yellow", "gave up": "red", "new": "dim"}


def render(status: CourseStatus) -> list[str]:
    table = status.rows
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
    if status.empty:  # "0 of 0 solved" over headings with no rows says nothing
        return [click.style(status.title, bold=True)]
    lines = [click.style(HEADER.format(title=status.title, solved=status.solved, total=len(table)), bold=True), ""]
    heads = tuple(SERVER_BEST if h == "best" and status.scores_from else h for h in COLUMNS)
    return lines + text_table(heads, cells, [_STATUS_STYLE.get(r["status"], "") for r in table])


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.option("--local", is_flag=True, help="This machine's scores, without asking the course's server.")
@click.pass_context
def command(ctx: click.Context, as_json: bool, local: bool) -> None:
    """Show the course at a glance, in teaching order: each exercise's title, difficulty,
    topics, best score, attempts, hints taken, whether it is solved, what to do next, and
    how many reviews of your past mistakes are due. When the course has a server, the best
    scores are the server's (every hand-in, from any machine).
    """
    from grader.cli import load
    from grader.learner.course_status import course_status

    course = load(ctx)
    status = course_status(course, remote=not local)  # also snapshots the stubs of untouched exercises
    if as_json:
        data = {"course": status.title, "exercises": status.rows, "reviews_due": status.reviews_due}
        if course.server and not local:  # whose best scores the rows hold, and why not the server's
            data.update(scores_from=status.scores_from or "local", note=status.note)
        click.echo(json.dumps(data, indent=2))
        return
    for line in render(status):
        click.echo(line)
    click.echo("")
    if status.note:
        click.echo(click.style(status.note, fg="yellow"))
    ex = status.next
    if status.empty:
        click.echo(NO_EXERCISES)
    elif ex is None:
        click.echo(click.style(ALL_SOLVED, fg="green"))
    elif not status.any_attempts:
        click.echo(START.format(id=ex.id, title=ex.title, file=ex.learner_paths[0].relative_to(course.root)))
    else:
        click.echo(NEXT.format(id=ex.id, title=ex.title))
    if status.reviews_due:
        click.echo(click.style(REVIEWS_DUE.format(n=status.reviews_due), fg="cyan"))


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
