"""``grade check EXERCISE`` (or just ``grade EXERCISE``): grade one exercise."""

from __future__ import annotations

import json
from pathlib import Path

import click

from grader.errors import EXIT_FULL_MARKS, EXIT_NOT_FULL


@click.command("check")
@click.argument("exercise")
@click.option("--seed", type=click.IntRange(1, 2**31 - 1), help="Replay the exact inputs of an earlier run.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (Gradescope's field names).")
@click.option("--gradescope", type=click.Path(dir_okay=False, path_type=Path), help="Also write Gradescope's results.json here.")
@click.option(
    "--file",
    "source",
    type=click.Path(exists=True, path_type=Path),
    help="Grade this file (or folder of learner files) instead of the exercise's own.",
)
@click.option("--failed-only", is_flag=True, help="List only the checks that did not pass.")
@click.option("-v", "--verbose", is_flag=True, help="Show every check and every failure's output in full.")
@click.option("--local", is_flag=True, help="Grade on this machine only, without sending to the course's server.")
@click.pass_context
def command(
    ctx: click.Context, exercise: str, seed: int | None, as_json: bool, gradescope: Path | None, source: Path | None,
    failed_only: bool, verbose: bool, local: bool,
) -> None:
    """Grade EXERCISE (an id like ex07, a number like 7, or a word of its title or an alias).

    Prints a score card: the diagnosis (the known mistakes named, what they cost), one line
    per failing check, and one worked example per cause (what was called, what came back,
    what was expected, the seed that replays it); -v shows every check's output in full.
    When the course has a server (course.yaml server:), the checks here run first and their
    result is told in one line, then the server grades every check and its card is printed
    (--local: this machine only). Exits 0 on full marks and 1 otherwise.
    """
    from grader.cli import FAST_EXIT, load
    from grader.learner.attempt import start

    attempt = start(load(ctx), exercise, source, local=local, seed=seed)  # starts the worker first: keep it first

    from grader.cli._output import Ticker
    from grader.grading.card import score_card

    with Ticker(f"grading {attempt.exercise.id}") as ticker:
        result = attempt.grade(seed=seed, progress=ticker.update)
    if gradescope:
        gradescope.write_text(json.dumps(result.to_gradescope(), indent=2))
    problem = ""
    if attempt.submission is not None:
        # The local result at once (stderr under --json, whose stdout is the server's result alone);
        # when the files could not even be sent (not logged in), the local card and why, below.
        if attempt.sending:
            line = attempt.local_line(result)
            click.echo(click.style(line, fg="green" if attempt.all_passed(result) else "yellow"), err=as_json)
        with Ticker(attempt.waiting_label()):
            graded, problem = attempt.server_grading(verbose=verbose)
        if graded is not None:
            click.echo(json.dumps(graded.result, indent=2) if as_json else graded.card)
            attempt.record_server(graded)  # after the card: a first solve's note follows it
            FAST_EXIT.append(True)
            ctx.exit(EXIT_FULL_MARKS if graded.full_marks else EXIT_NOT_FULL)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        click.echo(score_card(result, show_passed=not failed_only, verbose=verbose))
    if problem:  # the server gave no card: why, and that this card is only the local checks'
        click.echo(click.style(problem, fg="yellow"), err=as_json)
    attempt.record(result)  # after the card: a first solve's note follows it
    FAST_EXIT.append(True)  # graded, printed and recorded: nothing left for the teardown
    ctx.exit(EXIT_FULL_MARKS if result.full_marks else EXIT_NOT_FULL)
