"""``grade init DIR``: start a new course from nothing."""

from __future__ import annotations

from pathlib import Path

import click

CREATED = "created the course \"{title}\" in {root}:"
WROTE = "  {path}"
NEXT = """Next:
  cd {root}
  grade new ex01 --title "Your first exercise" --topic TOPIC    # a small working exercise to rewrite
  grade verify                                                  # prove every exercise (CI runs it too)"""


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=True, path_type=Path))
@click.option("--title", help="The course's title, as learners see it (default: from the folder's name).")
@click.option("--grader", "grader_spec", metavar="REQUIREMENT",
              help="How CI and learners install the grader (a pip requirement: a version, a git URL, a wheel). "
                   "Default: this grader's version.")
def command(directory: Path, title: str | None, grader_spec: str | None) -> None:
    """Start a new course in DIRECTORY (created if needed; existing files are never overwritten):

    \b
    course.yaml                   the title and the exercise list, empty for now
    exercises/, solutions/        where grade new puts each exercise and its reference
    README.md                     for learners; its exercise table follows course.yaml
    .gitignore                    learners' progress, gradebooks, reports, publish output
    .github/workflows/verify.yml  CI: grade verify on every push

    Then add exercises with grade new, one at a time.
    """
    from grader.instructor.course_init import create_course

    made = create_course(directory, title=title, grader_spec=grader_spec)
    click.echo(CREATED.format(title=made.title, root=made.root))
    for path in made.written:
        click.echo(WROTE.format(path=f"{path}/" if (made.root / path).is_dir() else path))
    click.echo(NEXT.format(root=directory))
