"""``grade publish OUT``: the learner bundle, Gradescope autograders and nbgrader notebooks."""

from __future__ import annotations

from pathlib import Path

import click

SUMMARY_HEAD = "published {exercises} into {out}:"
EXERCISE_LINE = "  {id}: {public} in public checks, {hidden} in hidden checks graded by the instructor{why}"
NO_PUBLIC_WARNING = "  ! {id}: its learners have no check to run (published with --allow-no-public)"


@click.command("publish")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--exercise", "-e", "names", multiple=True, help="Publish only this exercise (repeat for several). Default: all.")
@click.option(
    "--only", "products", multiple=True, type=click.Choice(["learner", "gradescope", "nbgrader"]),
    help="Write only this product (repeat for several). Default: all three.",
)
@click.option("--force", is_flag=True, help="Replace what an earlier grade publish wrote in OUT.")
@click.option("--allow-no-public", is_flag=True,
              help="Publish even an exercise whose learners would have no check to run (every check hidden).")
@click.option("-v", "--verbose", is_flag=True, help="List each check and where it goes.")
@click.pass_context
def command(ctx: click.Context, out: Path, names: tuple[str, ...], products: tuple[str, ...], force: bool,
            allow_no_public: bool, verbose: bool) -> None:
    """Write, from this course (which stays the single source of truth), into OUT:

    \b
    OUT/learner/       the learner bundle: stubs, statements, public checks, the grader;
                       no reference code and no hidden check (checked before it is written)
    OUT/gradescope/    one autograder zip per exercise (setup.sh, run_autograder)
    OUT/nbgrader/      nbgrader source notebooks (source/exNN_slug/exNN_slug.ipynb)

    A check ships to learners when it is visible and does not use the reference;
    the others' points are announced on the learner's score card. An exercise with no
    public check is refused (its learners would have nothing to run) unless --allow-no-public.
    """
    from grader.cli import load
    from grader.course.wording import count
    from grader.instructor.publish import PRODUCTS, publish, without_public_checks

    course = load(ctx)
    exercises = [course.resolve(n) for n in names] if names else None
    course.require_learner_files(exercises)  # every stub ships: a missing one is the course's error
    pub = publish(course, out, exercises=exercises, products=products or PRODUCTS, force=force, allow_no_public=allow_no_public,
                  progress=lambda msg: click.echo(click.style(msg + "…", dim=True), err=True))
    click.echo(SUMMARY_HEAD.format(exercises=count(len(pub.plans), "exercise"), out=out))
    unrunnable = {p.exercise.id for p in without_public_checks(pub.plans)}
    for plan in pub.plans:
        reasons = sorted({c.why_hidden for c in plan.checks if not c.public})
        why = f" ({'; '.join(reasons)})" if reasons else ""
        click.echo(EXERCISE_LINE.format(id=plan.exercise.id, public=count(plan.public_points, "point"),
                                        hidden=count(plan.hidden_points, "point"), why=why))
        if plan.exercise.id in unrunnable:
            click.echo(click.style(NO_PUBLIC_WARNING.format(id=plan.exercise.id), fg="yellow"))
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
