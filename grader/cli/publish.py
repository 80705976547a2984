"""``grade publish OUT``: the learner bundle, Gradescope autograders and nbgrader notebooks."""

from __future__ import annotations

from pathlib import Path

import click

SUMMARY_HEAD = "published {n} exercise(s) into {out}:"
EXERCISE_LINE = "  {id}: {public:g} points in public checks, {hidden:g} graded by the instructor{why}"


@click.command("publish")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--exercise", "-e", "names", multiple=True, help="Publish only this exercise (repeat for several). Default: all.")
@click.option(
    "--only", "products", multiple=True, type=click.Choice(["learner", "gradescope", "nbgrader"]),
    help="Write only this product (repeat for several). Default: all three.",
)
@click.option("--force", is_flag=True, help="Replace what an earlier grade publish wrote in OUT.")
@click.option("-v", "--verbose", is_flag=True, help="List each check and where it goes.")
@click.pass_context
def command(ctx: click.Context, out: Path, names: tuple[str, ...], products: tuple[str, ...], force: bool, verbose: bool) -> None:
    """Write, from this course (which stays the single source of truth), into OUT:

    \b
    OUT/learner/       the learner bundle: stubs, statements, public checks, the grader;
                       no reference code and no hidden check (checked before it is written)
    OUT/gradescope/    one autograder zip per exercise (setup.sh, run_autograder)
    OUT/nbgrader/      nbgrader source notebooks (source/exNN_slug/exNN_slug.ipynb)

    A check ships to learners when it is visible and does not use the reference;
    the others' points are announced on the learner's score card.
    """
    from grader.cli import load
    from grader.instructor.publish import PRODUCTS, publish

    course = load(ctx)
    exercises = [course.resolve(n) for n in names] if names else None
    pub = publish(course, out, exercises=exercises, products=products or PRODUCTS, force=force,
                  progress=lambda msg: click.echo(click.style(msg + "…", dim=True), err=True))
    click.echo(SUMMARY_HEAD.format(n=len(pub.plans), out=out))
    for plan in pub.plans:
        reasons = sorted({c.why_hidden for c in plan.checks if not c.public})
        why = f" ({'; '.join(reasons)})" if reasons else ""
        click.echo(EXERCISE_LINE.format(id=plan.exercise.id, public=plan.public_points, hidden=plan.hidden_points, why=why))
        if verbose:
            for c in plan.checks:
                where = "public" if c.public else f"instructor ({c.why_hidden})"
                click.echo(f"      {c.function} [{c.points:g}] → {where}")
    if pub.learner:
        click.echo(f"learner bundle: {pub.learner}")
    for z in pub.gradescope:
        click.echo(f"gradescope:     {z}")
    for nb in pub.notebooks:
        click.echo(f"nbgrader:       {nb}")
