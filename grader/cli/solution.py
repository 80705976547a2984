"""``grade solution EXERCISE``: the reference, once solved (or after ``--give-up``)."""

from __future__ import annotations

import click

HEAD = "Reference solution for {id} · {title} ({path})"
SOLVED_NOTE = "You solved this on {when}: compare your approach with this one."
GAVE_UP_NOTE = "Recorded as given up on {when}. When you are ready: grade reset {id}, then solve it again without looking."
NOT_YET = (
    "{id} is not solved yet (best so far: {best}). The reference opens once it earns full marks.\n"
    "Stuck? grade hint {id} shows the next hint. To see it anyway: grade solution {id} --give-up "
    "(recorded as given up)."
)
NO_REFERENCE = (
    "This copy of the course has no reference solution for {id} ({path} is not here): "
    "learner bundles ship without answers. Ask your instructor."
)


@click.command("solution")
@click.argument("exercise")
@click.option("--give-up", is_flag=True, help="Show it before solving; recorded as given up.")
@click.pass_context
def command(ctx: click.Context, exercise: str, give_up: bool) -> None:
    """Show the reference solution of EXERCISE once you have solved it.

    Before that, --give-up shows it anyway and records that you gave up. Exits 1 when
    the reference is not shown.
    """
    import time

    from grader.cli import load
    from grader.learner.history import open_store

    course = load(ctx)
    ex = course.resolve(exercise)
    path = ex.reference_path
    shown = path.relative_to(course.root) if path.is_relative_to(course.root) else path
    if not path.is_file():
        click.echo(NO_REFERENCE.format(id=ex.id, path=shown))
        ctx.exit(1)
    store = open_store(course)
    progress = store.progress(ex.id) if store else None
    solved = bool(progress and progress.solved)
    if not solved and not give_up and not (progress and progress.gave_up):
        best = "no grading yet" if not progress or progress.best_score is None else f"{progress.best_score:g}/{ex.points}"
        click.echo(NOT_YET.format(id=ex.id, best=best))
        ctx.exit(1)
    if not solved and store is not None:
        store.give_up(ex.id)
        progress = store.progress(ex.id)
    click.echo(click.style(HEAD.format(id=ex.id, title=ex.title, path=shown), bold=True))
    click.echo("")
    click.echo(path.read_text(encoding="utf-8"))
    if solved and progress and progress.first_solved:
        click.echo(click.style(SOLVED_NOTE.format(when=time.strftime("%Y-%m-%d", time.localtime(progress.first_solved))), dim=True))
    elif progress and progress.gave_up:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(progress.gave_up))
        click.echo(click.style(GAVE_UP_NOTE.format(when=when, id=ex.id), dim=True))
