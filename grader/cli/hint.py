"""``grade hint EXERCISE``: the next hint, one at a time, remembered across runs."""

from __future__ import annotations

import click

HINT_HEAD = "Hint {n} of {total} · {id} {title}"
MORE_LEFT = "Try it: grade {id}. Still stuck? grade hint {id} shows hint {next} ({left} left)."
LAST_HINT = "That was the last hint. Try it: grade {id}. Still stuck? grade solution {id} --give-up shows the reference (recorded as given up)."
NONE_TAKEN = "No hints taken yet for {id}. grade hint {id} shows the first."
TAKEN_HEAD = "Hints taken for {id} ({n} of {total}):"
NO_HINTS = "{id} has no hints. Read its README.md, then grade {id} for feedback."
NOT_SAVED = "(Your hint count could not be saved, so the next hint may repeat this one.)"


@click.command("hint")
@click.argument("exercise")
@click.option("--all", "show_all", is_flag=True, help="Show every hint taken so far, without taking a new one.")
@click.pass_context
def command(ctx: click.Context, exercise: str, show_all: bool) -> None:
    """Show the next hint for EXERCISE, from a nudge to the method, one at a time.

    Each hint is remembered: the next run shows the next one, and --all shows those taken.
    """
    from grader.cli import load
    from grader.learner.hints import hints_taken, next_hint

    course = load(ctx)
    ex = course.resolve(exercise)
    if show_all:
        so_far = hints_taken(course, ex)
        if so_far is None:
            click.echo(NO_HINTS.format(id=ex.id))
        elif not so_far.count:
            click.echo(NONE_TAKEN.format(id=ex.id))
        else:
            click.echo(click.style(TAKEN_HEAD.format(id=ex.id, n=so_far.count, total=so_far.total), bold=True))
            for i, text in enumerate(so_far.texts, 1):
                click.echo(f"  {i}. {text}")
        return
    hint = next_hint(course, ex)
    if hint is None:
        click.echo(NO_HINTS.format(id=ex.id))
        return
    click.echo(click.style(HINT_HEAD.format(n=hint.number, total=hint.total, id=ex.id, title=ex.title), bold=True))
    click.echo(f"  {hint.text}")
    click.echo("")
    if not hint.last:
        click.echo(MORE_LEFT.format(id=ex.id, next=hint.number + 1, left=hint.total - hint.number))
    else:
        click.echo(LAST_HINT.format(id=ex.id))
    if not hint.saved:
        click.echo(click.style(NOT_SAVED, dim=True))
