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
    from grader.learner.history import open_store
    from grader.learner.store import StoreUnavailable

    course = load(ctx)
    ex = course.resolve(exercise)
    hints = list(ex.hints)
    if not hints:
        click.echo(NO_HINTS.format(id=ex.id))
        return
    store = open_store(course)
    taken = store.progress(ex.id).hints_taken if store else 0
    if show_all:
        if not taken:
            click.echo(NONE_TAKEN.format(id=ex.id))
            return
        click.echo(click.style(TAKEN_HEAD.format(id=ex.id, n=taken, total=len(hints)), bold=True))
        for i, text in enumerate(hints[:taken], 1):
            click.echo(f"  {i}. {text}")
        return
    saved = False
    if store is not None:
        try:
            if taken < len(hints):
                taken = store.take_hint(ex.id, len(hints))
            else:
                store.touch(ex.id)
            saved = True
        except StoreUnavailable:
            taken = min(taken + 1, len(hints))
    else:
        taken = 1
    n = max(taken, 1)
    click.echo(click.style(HINT_HEAD.format(n=n, total=len(hints), id=ex.id, title=ex.title), bold=True))
    click.echo(f"  {hints[n - 1]}")
    click.echo("")
    if n < len(hints):
        click.echo(MORE_LEFT.format(id=ex.id, next=n + 1, left=len(hints) - n))
    else:
        click.echo(LAST_HINT.format(id=ex.id))
    if not saved:
        click.echo(click.style(NOT_SAVED, dim=True))
