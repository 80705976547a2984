"""``grade report GRADES [--html PAGE]``: a self-contained page about a class."""

from __future__ import annotations

from pathlib import Path

import click

WROTE = "wrote {path} ({plots}); open it in a browser"
IN_IGNORED = "It holds learners' grades: {folder} is ignored by git (its own .gitignore says so)."
BESIDE_GRADEBOOK = "It holds learners' grades: it sits beside the gradebook, outside any course folder."


@click.command("report")
@click.argument("grades", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the page. Default: beside GRADES (GRADES-name.report.html) when GRADES is outside "
                   "any course, else in the course's reports/ folder, which git ignores.")
def command(grades: Path, html_out: Path | None) -> None:
    """Write one HTML page (plots embedded, opens offline) from GRADES, the JSON export of
    grade batch (or its .sqlite gradebook): score distribution per exercise, failure rate
    per check, the misconceptions matched most often, the slowest submissions, what could
    not be graded and the near-identical pairs.

    The page holds learners' grades: without --html it never goes where git would track it.
    """
    from grader.course.wording import count
    from grader.instructor.report import write_report

    written = write_report(grades, html_out)
    click.echo(WROTE.format(path=written.path, plots=count(written.plots, "plot")))
    if written.ignored_folder is not None:
        click.echo(IN_IGNORED.format(folder=written.ignored_folder))
    elif html_out is None:
        click.echo(BESIDE_GRADEBOOK)
