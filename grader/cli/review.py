"""``grade review``: meet your own mistakes again, just before you would forget them."""

from __future__ import annotations

from pathlib import Path

import click

from grader.cli._output import table
from grader.course.wording import count, plural

HEADER = "Reviews due: {n} (the mistakes you made before, most overdue first)"
NOTHING_YET = "Nothing to review. Each check you fail becomes a review, to meet again just before you would forget it."
NONE_DUE = "No reviews due. The next one: {id} · {label}, due in {when}."
NONE_WAITING = "No reviews due. Your {mistakes} {come} up once you have solved {their} exercises."
OPENING = "Reviewing {n}: {id} · {label}, as a drill on a fresh copy of the exercise."
LIST_ONLY = "grade review opens the first; grade review N opens number N."
BUSY = "A drill is in progress (#{id}): a review is a drill, one at a time. Hand it in first: grade drill --submit"
COLUMNS = ("#", "exercise", "the mistake", "due")
LABEL_WIDTH = 60


def _due(overdue: float) -> str:
    from grader.cli.drill import span

    return "now" if overdue < 60 else f"{span(overdue)} ago"


@click.command("review")
@click.argument("number", required=False, type=click.IntRange(1))
@click.option("--list", "list_only", is_flag=True, help="Only list the reviews due; open none.")
@click.option("--minutes", type=click.FloatRange(0.01, 24 * 60), help="Time allowed (default: the exercise's own time).")
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), help="Put the review's files here (a new or empty folder outside the course).")
@click.option("--detach", is_flag=True, help="Start the review and return at once (hand in later with grade drill --submit).")
@click.option("--wait", "force_wait", is_flag=True, hidden=True, help="Stay in the foreground even without a terminal (for tests).")
@click.pass_context
def command(
    ctx: click.Context, number: int | None, list_only: bool, minutes: float | None, workspace: Path | None, detach: bool, force_wait: bool
) -> None:
    """Review your mistakes: the ones due now, most overdue first, each opened as a drill.

    \b
    grade review            list what is due and open the most overdue
    grade review 2          open number 2 of the list
    grade review --list     only list what is due

    Every check you fail becomes a review; it comes back when the scheduler (FSRS) expects
    you to be about to forget it, sooner after a miss or a hint, later after a clean pass.
    A review is a drill: a fresh copy of the exercise outside the course, new inputs, a
    clock; its card lists the checks of that mistake first. Enter hands in, Ctrl-C leaves
    the clock running (hand in later with grade drill --submit).
    """
    from grader.cli import load
    from grader.cli.drill import run, show_start
    from grader.learner.review import open_reviews

    review = open_reviews(load(ctx))
    reviews = review.status()
    if not reviews.due:
        if reviews.upcoming is not None:
            up = reviews.upcoming
            from grader.cli.drill import span

            click.echo(NONE_DUE.format(id=up.exercise.id, label=up.item.label, when=span(-up.overdue)))
        else:
            n = reviews.items
            waiting = NONE_WAITING.format(mistakes=count(n, "mistake"), come=plural(n, "comes", "come"),
                                          their=plural(n, "its", "their"))
            click.echo(waiting if n else NOTHING_YET)
        return
    click.echo(click.style(HEADER.format(n=len(reviews.due)), bold=True))
    cells = [(str(d.number), d.exercise.id, _cut(d.item.label), _due(d.overdue)) for d in reviews.due]
    for line in table(COLUMNS, cells):
        click.echo(line)
    click.echo("")
    if list_only:
        click.echo(LIST_ONLY)
        return
    active = review.in_progress()
    if active is not None:
        click.echo(BUSY.format(id=active.drill.id))
        ctx.exit(1)
    chosen = review.pick(reviews, number)
    started = review.start(chosen, minutes=minutes, workspace=workspace)
    click.echo(click.style(OPENING.format(n=chosen.number, id=chosen.exercise.id, label=chosen.item.label), bold=True))
    show_start(started)
    ctx.exit(run(review.drills, started, detach=detach, force_wait=force_wait))


def _cut(text: str) -> str:
    return text if len(text) <= LABEL_WIDTH else text[: LABEL_WIDTH - 1] + "…"
