"""``grade batch SUBMISSIONS`` (or ``--nbgrader COURSE``): grade a class into a gradebook, in parallel and resumably."""

from __future__ import annotations

from pathlib import Path

import click

from grader.course.wording import count, plural

INTERRUPTED = (
    "interrupted: {graded} graded and saved in {db}. Run the same command again to grade the "
    "{left} left; nothing is graded twice."
)
DONE = "{graded} graded now, {skipped} already in {db}, {errors} could not be graded · {learners}"
COUNTS = "{handed} handed in · {graded} graded · {unmatched} unmatched · {absent} not handed in"
NOT_SUBMITTED = "{pairs} had nothing handed in, e.g. {examples}"
UNMATCHED = "{files} handed in matched no exercise and {were} not graded (also in the exports):"
SHOWN = 20  # lines of a list printed; the exports hold all of it
FLAGGED = "near-identical code, for review ({pairs}):"
EXPORTED = "wrote {path}"
NBGRADER_WRITTEN = "wrote {grades} of {submissions} into nbgrader's gradebook {db}"
WAITING_EXIT = 75  # EX_TEMPFAIL: nothing is wrong with them; run again when a GPU worker is up
WAITING = "{submissions} not graded yet, not in the gradebook (run the same command again to grade only them):"
PLANNED = "grading {submissions} with {where}"
LOCAL = "{jobs}"
DASK = "Dask ({where})"
NO_EXERCISES = (
    "This course has no exercises yet, so nothing handed in can be graded. An instructor adds one with grade new."
)


@click.command("batch")
@click.argument("submissions", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Export the gradebook as CSV here (e.g. grades.csv).")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="Export the gradebook as JSON here (grade report reads it).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), help="The SQLite gradebook. Default: beside --out/--json, with .sqlite.")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True, help="Submissions graded at once.")
@click.option("--exercise", "-e", "--assignment", "names", multiple=True,
              help="Grade only this exercise (repeat for several; with --nbgrader, its assignment name exNN_slug). "
                   "Default: all (with --nbgrader: all handed in).")
@click.option("--nbgrader", "nbgrader", type=click.Path(exists=True, file_okay=False, path_type=Path), metavar="COURSE",
              help="Grade an nbgrader course's submitted/ tree in the sandbox and write the scores into its gradebook "
                   "(gradebook.db) through nbgrader's API (pip install 'grade[nbgrader]').")
@click.option("--attempt", type=click.IntRange(1, 10_000), default=1, show_default=True,
              help="Which grading run this is: a new attempt grades everything again with new seeds.")
@click.option("--threshold", type=click.FloatRange(0.1, 1.0), default=None, help="Similarity (0.1-1, a Jaccard of code fingerprints) from which pairs are flagged [default: 0.6].")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: a process pool on this machine. dask: a Dask cluster (pip install 'grade[dask]').")
@click.option("--scheduler", metavar="ADDRESS",
              help="With --executor dask: the scheduler, tcp://HOST:PORT or a scheduler file. Default: a Dask config's "
                   "scheduler-address, else a local cluster of --jobs processes.")
@click.option("--dask-config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="With --executor dask: a Dask YAML config file (e.g. holding scheduler-address).")
@click.option("--allow-weak-isolation", is_flag=True,
              help="Grade even where an isolation layer cannot be applied (normally grading stops and says which). "
                   "Also: allow_weak_isolation: true in course.yaml.")
@click.pass_context
def command(ctx: click.Context, submissions: Path, out: Path | None, json_out: Path | None, db: Path | None, jobs: int,
            names: tuple[str, ...], attempt: int, threshold: float | None, executor: str, scheduler: str | None,
            dask_config: Path | None, allow_weak_isolation: bool, nbgrader: Path | None) -> None:
    """Grade every learner in SUBMISSIONS (one folder, archive, .py or .ipynb per learner;
    any subset of the exercises) into a SQLite gradebook, one row per learner, exercise
    and attempt, with the seed, score, per-check results and reasons.

    A file is graded as an exercise only when its path names it (ex09, attention.py,
    ex09_attention/...) or its code defines most of its entry points; a lone .py/.ipynb by its
    code alone. Other files are listed as unmatched, with the reason, here and in the exports.

    --nbgrader COURSE grades an nbgrader course instead (COURSE/submitted/<student>/<assignment>/)
    and writes each test cell's score into nbgrader's gradebook: trusted scores, where
    nbgrader's own autograde runs the checks in the learner's kernel.

    Seeds derive from the course secret (course.yaml's secret:, or GRADE_SECRET), so every
    row can be replayed: each row's replay column is the command. Interrupted (Ctrl-C,
    crash)? Run the same command again: only what is missing is graded. Exits 0 when every
    submission was graded, 1 when some could not be or matched no exercise, 75 (try again
    later) when some wait for a GPU worker or for the cluster, 130 when interrupted.

    --executor dask grades on a Dask cluster, one task per submission and exercise; exercises
    that need a GPU go only to workers started with --resources GPU=1.
    """
    from grader.cli import load
    from grader.cli._output import Bar
    from grader.instructor.batch import executor_for, grade_class

    if executor == "local" and (scheduler or dask_config):
        raise click.UsageError("--scheduler and --dask-config are for --executor dask")
    runner = executor_for(executor, scheduler=scheduler, config=dask_config, jobs=jobs)  # before the course: say what is missing
    course = load(ctx)
    if not course.exercises:  # a course just started (grade init): no gradebook of nothing
        click.echo(NO_EXERCISES)
        ctx.exit(0)
    exercises = [course.resolve(n) for n in names] if names else None
    bar_holder: list[Bar] = []

    def planned(n: int) -> None:
        where = LOCAL.format(jobs=count(jobs, "job")) if runner is None else DASK.format(
            where=scheduler or dask_config or count(jobs, "local process", "local processes"))
        bar_holder.append(Bar(PLANNED.format(submissions=count(n, "submission"), where=where), n).__enter__())

    def row_done(_row: object) -> None:
        bar_holder[0].advance()

    try:
        # Exports are written before anything is printed: a closed pipe must not be able to stop them.
        graded = grade_class(course, submissions, db=db, out=out, json_out=json_out, exercises=exercises, jobs=jobs, attempt=attempt,
                             threshold=threshold, executor=runner, on_planned=planned, on_row=row_done,
                             allow_weak_isolation=allow_weak_isolation, nbgrader=nbgrader)
    finally:
        if bar_holder:
            bar_holder[0].__exit__(None, None, None)
    summary, db = graded.summary, graded.db
    if summary.interrupted:
        click.echo(click.style(INTERRUPTED.format(graded=summary.graded, db=db, left=summary.left), fg="yellow"), err=True)
        ctx.exit(130)
    click.echo(DONE.format(graded=summary.graded, skipped=summary.skipped, db=db, errors=summary.errors,
                           learners=count(summary.learners, "learner")))
    click.echo(COUNTS.format(handed=summary.handed_in, graded=summary.graded + summary.skipped - summary.errors,
                             unmatched=len(summary.unmatched), absent=len(summary.not_submitted)))
    if summary.unmatched:
        n = len(summary.unmatched)
        click.echo(click.style(UNMATCHED.format(files=count(n, "file"), were=plural(n, "was")), fg="yellow"))
        for _learner, file, why in summary.unmatched[:SHOWN]:
            click.echo(f"  {file}: {why}")
    if summary.not_submitted:
        examples = ", ".join(f"{lr}/{ex}" for lr, ex in summary.not_submitted[:3])
        pairs = count(len(summary.not_submitted), "(learner, exercise) pair")
        click.echo(NOT_SUBMITTED.format(pairs=pairs, examples=examples))
    if summary.flagged:
        click.echo(click.style(FLAGGED.format(pairs=count(len(summary.flagged), "pair")), fg="yellow"))
        for ex, a, b, ratio in summary.flagged[:SHOWN]:
            click.echo(f"  {ex}: {a} ~ {b} ({100 * ratio:.0f}%)")
    for path in graded.written:
        click.echo(EXPORTED.format(path=path))
    if graded.nbgrader is not None:
        nb = graded.nbgrader
        click.echo(NBGRADER_WRITTEN.format(submissions=count(nb.submissions, "submission"), grades=count(nb.grades, "grade"),
                                           db=nb.db_url))
        for learner, ex, why in nb.skipped[:SHOWN]:
            click.echo(click.style(f"  not in nbgrader's gradebook: {learner}/{ex}: {why}", fg="yellow"))
    if summary.waiting:
        click.echo(click.style(WAITING.format(submissions=count(len(summary.waiting), "submission")), fg="yellow"))
        for learner, ex, why in summary.waiting[:SHOWN]:
            click.echo(f"  {learner}/{ex}: {why}")
    failed = summary.errors or summary.unmatched or (graded.nbgrader is not None and graded.nbgrader.skipped)
    ctx.exit(1 if failed else WAITING_EXIT if summary.waiting else 0)
