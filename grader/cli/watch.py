"""``grade watch EXERCISE``: re-grade on every save, redrawing the score card."""

from __future__ import annotations

import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from grader.learner.watch_session import WatchSession

GRADING = "grading {file} …"
FOOTER = "watching {files} ({mode}) · save to re-grade · Ctrl-C to stop · last run {when}"
STOPPED = "Stopped watching {id}. Your file is as you left it; grade {id} grades it again."
GRADE_FAILED = "{file} could not be graded this time: {error}\nFix it and save again; still watching."
SYNTAX = "{id} · {title}  not graded: your file does not parse yet"
INTERNAL = "grade hit an internal error while grading (still watching; please report it):\n{error}"


@click.command("watch")
@click.argument("exercise")
@click.option("--seed", type=click.IntRange(1, 2**31 - 1), help="Use the same inputs on every run (default: fresh ones each time).")
@click.option("--failed-only", is_flag=True, help="List only the checks that did not pass.")
@click.option("--poll", is_flag=True, help="Notice saves by polling only (for network or container folders where change events do not arrive).")
@click.option("--debounce", type=click.FloatRange(0, 10), default=0.3, show_default=True, help="Seconds a file must stay unchanged before it is graded.")
@click.option("--max-runs", type=click.IntRange(1), hidden=True, help="Stop after this many gradings (for tests).")
@click.option("--max-seconds", type=click.FloatRange(0), hidden=True, help="Stop after this long (for tests).")
@click.pass_context
def command(
    ctx: click.Context,
    exercise: str,
    seed: int | None,
    failed_only: bool,
    poll: bool,
    debounce: float,
    max_runs: int | None,
    max_seconds: float | None,
) -> None:
    """Grade EXERCISE now and again every time you save your file.

    The screen is cleared and the score card redrawn after each save (a file that does
    not parse yet is reported, and watching goes on). Ctrl-C stops. Exits 0 if the last
    grading earned full marks, 1 otherwise.
    """
    from grader.cli import load
    from grader.learner.watch_session import WatchSession

    course = load(ctx)
    ex = course.resolve(exercise)
    session = WatchSession(course, ex, poll=poll)
    mode = session.start()
    files = ", ".join(str(p.relative_to(course.root)) for p in ex.learner_paths)
    stop_at = None if max_seconds is None else time.monotonic() + max_seconds
    last: Any = None
    runs = 0
    previous = _install_interrupt()
    try:
        while True:
            last = _grade_and_draw(session, seed=seed, failed_only=failed_only) or last
            runs += 1
            click.echo(click.style(FOOTER.format(files=files, mode=mode, when=time.strftime("%H:%M:%S")), dim=True))
            if max_runs is not None and runs >= max_runs:
                break
            left = None if stop_at is None else stop_at - time.monotonic()
            if (left is not None and left <= 0) or not session.wait(debounce=debounce, timeout=left):
                break
    except KeyboardInterrupt:
        click.echo("")
        click.echo(STOPPED.format(id=ex.id))
    finally:
        session.stop()
        _restore_interrupt(previous)
    ctx.exit(0 if last is not None and last.full_marks else 1)


def _grade_and_draw(session: WatchSession, *, seed: int | None, failed_only: bool) -> Any:
    """One grading, drawn; any failure to grade is shown, never ends the watch."""
    from grader.errors import GradeError
    from grader.grading.card import score_card

    ex = session.exercise
    tty = sys.stdout.isatty()
    if tty:
        click.clear()
    else:
        click.echo("─" * 60)
    click.echo(click.style(GRADING.format(file=ex.learner_paths[0].name), dim=True))
    file = ex.learner_paths[0].relative_to(session.course.root)
    problem = session.syntax_error()
    if problem is not None:
        if tty:
            click.clear()
        click.echo(click.style(SYNTAX.format(id=ex.id, title=ex.title), bold=True))
        click.echo("")
        click.echo(problem)
        return None
    try:
        result = session.grade(seed=seed)
    except GradeError as exc:
        click.echo(GRADE_FAILED.format(file=file, error=exc))
        return None
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # a grader bug must not end the learner's session
        click.echo(INTERNAL.format(error=f"{type(exc).__name__}: {exc}"))
        return None
    _raise_if_interrupted()
    if tty:
        click.clear()
    click.echo(score_card(result, show_passed=not failed_only))
    session.record(result)
    return result


# Ctrl-C while pytest runs the checks is caught by pytest, which only stops the session:
# remember it here, so that the watch ends as the learner asked.
_interrupted = threading.Event()


def _on_interrupt(signum: int, frame: Any) -> None:
    _interrupted.set()
    raise KeyboardInterrupt


def _install_interrupt() -> Any:
    _interrupted.clear()
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, _on_interrupt)


def _restore_interrupt(previous: Any) -> None:
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, previous)


def _raise_if_interrupted() -> None:
    if _interrupted.is_set():
        raise KeyboardInterrupt

