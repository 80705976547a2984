"""``grade report GRADES --html report.html``: a self-contained page about a class."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("report")
@click.argument("grades", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path), default=Path("report.html"), show_default=True,
              help="Where to write the page.")
def command(grades: Path, html_out: Path) -> None:
    """Write one HTML page (plots embedded, opens offline) from GRADES, the JSON export of
    grade batch (or its .sqlite gradebook): score distribution per exercise, failure rate
    per check, the misconceptions matched most often, the slowest submissions, what could
    not be graded and the near-identical pairs.
    """
    from grader.instructor.report import write_report

    n = write_report(grades, html_out)
    click.echo(f"wrote {html_out} ({n} plots); open it in a browser")
