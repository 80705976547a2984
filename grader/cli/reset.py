"""``grade reset EXERCISE``: put the untouched stub back, keeping the learner's version."""

from __future__ import annotations

import click

RESTORED = "Restored the stub of {id} ({files}) from {origin}."
BACKED_UP = "Your version is kept in {backup}"
BACKUP_HINT = "To get it back: cp {src} {dst}"
ALREADY = "{file} is already the untouched stub: nothing to reset."


@click.command("reset")
@click.argument("exercise")
@click.pass_context
def command(ctx: click.Context, exercise: str) -> None:
    """Put the untouched stub of EXERCISE back in place of your file, to start over.

    Your current version is not lost: it is copied to a backup folder whose path is
    printed, with the command that brings it back. Your progress (best score, hints)
    is kept.
    """
    from grader.cli import load
    from grader.learner.reset import reset

    course = load(ctx)
    ex = course.resolve(exercise)
    done = reset(course, ex)
    if not done.restored:
        click.echo(ALREADY.format(file=ex.learner_paths[0].relative_to(course.root)))
        return
    click.echo(RESTORED.format(id=ex.id, files=", ".join(done.restored), origin=done.origin))
    if done.kept:
        click.echo(BACKED_UP.format(backup=done.backup))
        for saved, target in done.kept:
            click.echo("  " + BACKUP_HINT.format(src=saved, dst=target))
