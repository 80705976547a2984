"""``grade new ID --title ... --topic ...``: scaffold an exercise and add it to course.yaml."""

from __future__ import annotations

import click

CREATED = """created {id} in {exercise_dir}
  and its solution in {solution_dir}; course.yaml lists {folder}.{readme}
It is a small working example (normalising a vector): replace each TODO, then prove it with
  grade verify {id} -v
"""
README_UPDATED = " So does README.md's exercise table."


@click.command("new")
@click.argument("exercise_id", metavar="ID")
@click.option("--title", required=True, help="The exercise's title, as learners see it; the folder's slug comes from it.")
@click.option("--topic", "topics", multiple=True, help="A topic (repeat for several).")
@click.option("--difficulty", type=click.Choice(["easy", "medium", "hard"]), default="easy", show_default=True)
@click.option("--module", help="The learner's module name (default: the slug).")
@click.option("--entry", help="The first entry point's name (default: the slug).")
@click.pass_context
def command(ctx: click.Context, exercise_id: str, title: str, topics: tuple[str, ...], difficulty: str, module: str | None, entry: str | None) -> None:
    """Scaffold exercise ID (for example ex16): exercise.yaml, README, stub, checks, reference
    and misconceptions, every file grade verify expects, and add it to course.yaml.

    The scaffold verifies as it is, so each edit can be re-verified at once.
    """
    from grader.cli import load
    from grader.instructor.scaffold import create

    course = load(ctx)
    made = create(course, exercise_id, title=title, topics=topics or ("TODO",), difficulty=difficulty, module=module, entry=entry)
    root = course.root
    click.echo(CREATED.format(
        id=made.id, folder=made.folder,
        exercise_dir=made.exercise_dir.relative_to(root), solution_dir=made.solution_dir.relative_to(root),
        readme=README_UPDATED if made.readme_updated else "",
    ))
