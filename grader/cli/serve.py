"""``grade serve``: grade learners' submissions over HTTP, into the same gradebook as grade batch."""

from __future__ import annotations

from pathlib import Path

import click

SERVING = "serving {title} ({exercises}) on {url} · grading with {where}"
STATE = "state in {state} · gradebook {gradebook}"
RECOVERED = "from before: {recorded} recorded, {requeued} to grade again, {queued} waiting"
NO_ROSTER = "nobody is on the roster yet: grade roster add NAME (or grade roster import roster.csv) issues tokens"
LOOPBACK_ONLY = "listening on this machine only; to serve learners, put it behind a TLS reverse proxy (see the README)"
PLAIN_HTTP = (
    "serving plain HTTP on {host}: tokens and code cross the network unencrypted unless a TLS reverse proxy "
    "is in front (see the README)"
)
NO_EXERCISES = "This course has no exercises yet, so there is nothing to grade. An instructor adds one with grade new."


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Keep the default behind a TLS reverse proxy; 0.0.0.0 serves plain HTTP to the network.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True, help="Submissions graded at once.")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: a process pool on this machine. dask: a Dask cluster (pip install 'grade[dask]').")
@click.option("--scheduler", metavar="ADDRESS", help="With --executor dask: the scheduler, tcp://HOST:PORT or a scheduler file.")
@click.option("--dask-config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="With --executor dask: a Dask YAML config file (e.g. holding scheduler-address).")
@click.option("--queue-size", type=click.IntRange(1, 1_000_000), default=100, show_default=True,
              help="Submissions waiting or being graded, at most; past it a submission is refused (503, try again later).")
@click.option("--rate", type=click.IntRange(1, 10_000), default=10, show_default=True,
              help="Submissions per learner per minute, at most (429 past it).")
@click.option("--max-upload-kb", type=click.IntRange(1, 1_000_000), default=512, show_default=True,
              help="Largest upload accepted, in KB (413 past it).")
@click.option("--state", type=click.Path(file_okay=False, path_type=Path),
              help="The service's state folder (roster, queue, submissions). Default: COURSE/.grade-serve")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="The SQLite gradebook (grade report reads it). Default: STATE/gradebook.sqlite")
@click.option("--allow-weak-isolation", is_flag=True,
              help="Grade even where an isolation layer cannot be applied (normally the service does not start and says which). "
                   "Also: allow_weak_isolation: true in course.yaml.")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]), default="info", show_default=True)
@click.pass_context
def command(ctx: click.Context, host: str, port: int, jobs: int, executor: str, scheduler: str | None, dask_config: Path | None,
            queue_size: int, rate: int, max_upload_kb: int, state: Path | None, db: Path | None, allow_weak_isolation: bool,
            log_level: str) -> None:
    """Grade learners' submissions sent by grade exNN from their machines, with the same
    sandbox, seeds and gradebook as grade batch: grade report works on it unchanged.

    Learners need a token each (grade roster add NAME). A submission is written to disk
    before it is acknowledged, and graded exactly once even if the service is killed:
    run the same command again and it finishes what was left. Ctrl-C lets the gradings in
    flight finish first.

    Hidden checks are shown to learners as name, points and pass/fail only; after_due_date
    checks in full once course.yaml's due: date for the exercise has passed.
    """
    from grader.cli import load
    from grader.course.wording import count
    from grader.instructor.serve.app import Options, prepare

    course = load(ctx)
    if not course.exercises:
        click.echo(NO_EXERCISES)
        ctx.exit(0)
    options = Options(host=host, port=port, jobs=jobs, executor=executor, scheduler=scheduler, dask_config=dask_config,
                      queue_size=queue_size, rate=rate, max_upload_kb=max_upload_kb, allow_weak_isolation=allow_weak_isolation,
                      state=state, db=db, log_level=log_level)
    service = prepare(course, options)
    where = count(jobs, "local job") if executor == "local" else f"Dask ({scheduler or dask_config or count(jobs, 'local process', 'local processes')})"
    click.echo(SERVING.format(title=course.title, exercises=count(len(course.exercises), "exercise"), url=service.url, where=where))
    click.echo(STATE.format(state=service.state, gradebook=service.gradebook))
    r = service.recovered
    if r.recorded or r.requeued or r.queued:
        click.echo(RECOVERED.format(recorded=r.recorded, requeued=r.requeued, queued=r.queued))
    if not service.roster.members():
        click.echo(click.style(NO_ROSTER, fg="yellow"))
    if host in ("127.0.0.1", "localhost", "::1"):
        click.echo(LOOPBACK_ONLY)
    else:
        click.echo(click.style(PLAIN_HTTP.format(host=host), fg="yellow"))
    service.run()
