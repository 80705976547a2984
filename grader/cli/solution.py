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
    from grader.learner.solution import solution

    course = load(ctx)
    ex = course.resolve(exercise)
    sol = solution(course, ex, give_up=give_up)
    if not sol.available:
        click.echo(NO_REFERENCE.format(id=ex.id, path=sol.path))
        ctx.exit(1)
    if sol.text is None:
        best = "no grading yet" if sol.best_score is None else f"{sol.best_score:g}/{ex.points}"
        click.echo(NOT_YET.format(id=ex.id, best=best))
        ctx.exit(1)
    click.echo(click.style(HEAD.format(id=ex.id, title=ex.title, path=sol.path), bold=True))
    click.echo("")
    click.echo(sol.text)
    if sol.solved_on:
        click.echo(click.style(SOLVED_NOTE.format(when=time.strftime("%Y-%m-%d", time.localtime(sol.solved_on))), dim=True))
    elif sol.gave_up_on:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(sol.gave_up_on))
        click.echo(click.style(GAVE_UP_NOTE.format(when=when, id=ex.id), dim=True))
