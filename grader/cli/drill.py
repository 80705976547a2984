"""``grade drill``: timed interview practice on problems you have not seen yet.

Also the drill's printing that ``grade review`` shares (a review is a drill): the start, the
countdown, the hand-in with what it did to the reviews.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from grader.cli._output import Ticker, table
from grader.course import DIFFICULTIES, wording  # wording.count: the command has a parameter called count
from grader.errors import UsageError

if TYPE_CHECKING:
    from grader.checking.results import ExerciseResult
    from grader.learner.drill_session import Drills, Finished, History, Started

STARTED = "Drill #{id} · {problems} · {minutes} · deadline {deadline}"
SEED_LINE = "Picked with seed {seed}: grade drill --seed {seed} picks the same again."
WORKSPACE = "Your workspace (outside the course; your course work is untouched): {path}"
EDIT = "  edit {file}"
PROBLEM = "─── {id} · {title} ({difficulty}) ───"
WHEN_DONE = "No feedback until you hand in, as in an interview. When done: grade drill --submit"
WAITING = "No feedback until you hand in, as in an interview. Press Enter to hand in; Ctrl-C leaves the clock running (grade drill --submit later)."
COUNTDOWN = "\r{left} left · Enter hands in "
TIME_UP = "Time is up: grading your workspace."
LEFT_RUNNING = "The drill is still running ({left} left). Hand in with: grade drill --submit"
ACTIVE = (
    "Drill #{id} is in progress: {problems}, {state}.\nWorkspace: {path}\n"
    "Hand in with: grade drill --submit   (or give it up: grade drill --abandon)"
)
EXPIRED = "Drill #{id} ran out of time at {deadline}: grading it now, as of your last save at {saved}."
NO_ACTIVE = "No drill is in progress. Start one with: grade drill (see grade drill --help)."
ABANDONED = "Drill #{id} abandoned; it is kept in grade drill --history. Its workspace stays at {path}."
RESULT = "Drill #{id}: {score:g}/{max:g} in {taken} of {allowed}{late}"
LATE = " (over time by {over})"
NEW_BEST = "New personal best for {id}: {score:g}/{max:g}{time}."
DRILL_SEED = "graded with seed {seed}"
NO_HISTORY = "No drills yet. Start one with: grade drill --minutes 30"
GONE = "{id} is no longer in this course: not graded."
NOT_GRADED = "{id} could not be graded: {error}"
START_FLAGS = "--topic, --difficulty, --minutes, --count, --seed, --workspace and --interview start a new drill; they cannot go with {flag}."
INTERVIEW_FLAGS = "--interview MINUTES sets the time and picks the problems: it cannot go with {flag}."
REVIEW_PROBLEM = "  This is a review of a mistake you made before: {label}. Its checks come first on the card."
REVIEW_GOOD = "Review · {id} · {label}: remembered. Next review in {interval}."
REVIEW_HARD = "Review · {id} · {label}: remembered, after a hint. Next review in {interval}."
REVIEW_AGAIN = "Review · {id} · {label}: not yet. It comes back in {interval}."
REVIEW_NEW = "A mistake to review later · {id} · {label}: you will meet it again in {interval} (grade review)."


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _at(ts: float) -> str:
    return time.strftime("%H:%M", time.localtime(ts))


def span(seconds: float) -> str:
    """A duration in the words of a review's schedule: 3 days, 5 hours, 20 minutes."""
    seconds = abs(seconds)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size * 0.98:  # a day less a few seconds of rounding is a day, not 24 hours
            return wording.count(int(round(seconds / size)), unit)
    return "less than a minute"


@click.command("drill")
@click.option("--topic", "topics", multiple=True,
              help="Only problems on this topic (repeat for several; grade list shows the topics).")
@click.option("--difficulty", "difficulties", multiple=True, type=click.Choice(DIFFICULTIES), help="Only problems of this difficulty (repeatable).")
@click.option("--minutes", type=click.FloatRange(0.01, 24 * 60), help="Time allowed (default: the problems' own times, added up).")
@click.option("--count", type=click.IntRange(1, 50), default=1, show_default=True, help="How many problems.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), help="Pick reproducibly: the same seed picks the same problems.")
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), help="Put the drill's files here (a new or empty folder outside the course).")
@click.option("--detach", is_flag=True, help="Start the drill and return at once (hand in later with --submit).")
@click.option("--wait", "force_wait", is_flag=True, hidden=True, help="Stay in the foreground even without a terminal (for tests).")
@click.option("--submit", is_flag=True, help="Hand in the drill in progress: grade it and record the time and score.")
@click.option("--abandon", is_flag=True, help="Give up the drill in progress (recorded, not graded).")
@click.option("--history", is_flag=True, help="Past drills with times and scores, and your personal best per problem.")
@click.option(
    "--interview",
    type=click.FloatRange(1, 24 * 60),
    metavar="MINUTES",
    help="An interview of MINUTES: problems you have not seen mixed with your reviews due, by topic.",
)
@click.pass_context
def command(
    ctx: click.Context,
    topics: tuple[str, ...],
    difficulties: tuple[str, ...],
    minutes: float | None,
    count: int,
    seed: int | None,
    workspace: Path | None,
    detach: bool,
    force_wait: bool,
    submit: bool,
    abandon: bool,
    history: bool,
    interview: float | None,
) -> None:
    """Practise for an interview: a timed drill on problems you have not seen or not solved.

    \b
    grade drill --minutes 45 --topic TOPIC       start one: statement, workspace, deadline
    grade drill                                  start one, or see the one in progress
    grade drill --submit                         hand in: graded, time and score recorded
    grade drill --history                        past drills and personal bests
    grade drill --interview 60                   new problems mixed with your reviews due

    Problems are picked at random (--seed makes it reproducible), each stub is copied into a
    fresh workspace outside the course, and nothing is graded until you hand in. In a
    terminal the drill stays in the foreground with a countdown and is graded when time is
    up; Enter hands in early. Your course work and progress are never touched.
    """
    from grader.cli import load
    from grader.learner.drill_session import open_drills

    modes = [flag for flag, on in (("--submit", submit), ("--abandon", abandon), ("--history", history)) if on]
    if len(modes) > 1:
        raise UsageError(f"{' and '.join(modes)} cannot go together.")
    starting = bool(topics or difficulties or minutes is not None or count != 1 or seed is not None or workspace or interview)
    if modes and starting:
        raise UsageError(START_FLAGS.format(flag=modes[0]))
    if interview is not None and (minutes is not None or count != 1):
        raise UsageError(INTERVIEW_FLAGS.format(flag="--minutes" if minutes is not None else "--count"))
    drills = open_drills(load(ctx))
    if history:
        _history(drills.history())
        return
    if abandon:
        gone = drills.abandon()
        if gone is None:
            click.echo(NO_ACTIVE)
            ctx.exit(1)
        click.echo(ABANDONED.format(id=gone.id, path=gone.workspace))
        return
    active = drills.in_progress()
    if submit:
        if active is None:
            click.echo(NO_ACTIVE)
            ctx.exit(1)
        ctx.exit(hand_in(drills, active.drill.id))
    if active is not None:
        if active.expired:
            assert active.last_save is not None
            click.echo(EXPIRED.format(id=active.drill.id, deadline=_at(active.drill.deadline), saved=_at(active.last_save)))
            code = hand_in(drills, active.drill.id, finished=active.last_save)
            if not starting:
                ctx.exit(code)
        else:
            problems = ", ".join(p.exercise for p in active.drill.problems)
            state = f"{clock(active.seconds_left)} left"
            click.echo(ACTIVE.format(id=active.drill.id, problems=problems, state=state, path=active.drill.workspace))
            ctx.exit(1 if starting else 0)
    started = drills.start(
        topics=topics, difficulties=difficulties, minutes=minutes, count=count, seed=seed, workspace=workspace, interview=interview
    )
    show_start(started)
    ctx.exit(run(drills, started, detach=detach, force_wait=force_wait))


def run(drills: Drills, started: Started, *, detach: bool, force_wait: bool) -> int:
    """After the start: in the foreground, count down and hand in (Enter, or time up); Ctrl-C
    or --detach leave the clock running. Returns the exit status."""
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if detach or not (interactive or force_wait):
        click.echo(WHEN_DONE)
        return 0
    outcome = _wait(started.drill.deadline, interactive=sys.stdin.isatty())
    if outcome == "detach":
        click.echo("")
        click.echo(LEFT_RUNNING.format(left=clock(started.drill.deadline - time.time())))
        return 0
    click.echo("")
    if outcome == "timeout":
        click.echo(TIME_UP)
    return hand_in(drills, started.drill.id)


def show_start(started: Started) -> None:
    drill = started.drill
    for note in started.notes:
        click.echo(click.style("note: ", fg="yellow") + note)
    head = STARTED.format(id=drill.id, problems=wording.count(len(started.problems), "problem"),
                          minutes=wording.count(started.minutes, "minute"), deadline=_at(drill.deadline))
    click.echo(click.style(head, bold=True))
    if started.seed is not None:
        click.echo(click.style(SEED_LINE.format(seed=started.seed), dim=True))
    click.echo(WORKSPACE.format(path=started.workspace))
    for problem in started.problems:
        for file in problem.files:
            click.echo(EDIT.format(file=file))
    for problem in started.problems:
        ex = problem.exercise
        click.echo("")
        click.echo(click.style(PROBLEM.format(id=ex.id, title=ex.title, difficulty=ex.difficulty), bold=True))
        if problem.review is not None:
            click.echo(click.style(REVIEW_PROBLEM.format(label=problem.review.label), fg="cyan"))
        if problem.statement is not None:
            click.echo(problem.statement)
    click.echo("")


def _wait(deadline: float, *, interactive: bool) -> str:
    """Count down to ``deadline``: 'timeout', 'submit' (Enter) or 'detach' (Ctrl-C)."""
    import select

    if interactive:
        click.echo(WAITING)
    try:
        while True:
            left = deadline - time.time()
            if left <= 0:
                return "timeout"
            if interactive:
                click.echo(COUNTDOWN.format(left=clock(left)), nl=False)
                ready, _, _ = select.select([sys.stdin], [], [], min(1.0, left))
                if ready:
                    sys.stdin.readline()
                    return "submit"
            else:
                time.sleep(min(1.0, left))
    except KeyboardInterrupt:
        return "detach"


def hand_in(drills: Drills, drill_id: int, *, finished: float | None = None) -> int:
    """Grade every problem of the drill from its workspace, record it, and say how it went."""
    from grader.grading.card import score_card

    marking = drills.hand_in(drill_id)
    for problem, ex in marking.problems:
        if ex is None:
            click.echo(GONE.format(id=problem.exercise))
            continue
        with Ticker(f"grading {ex.id}"):
            graded = marking.grade(problem, ex)
        if graded.result is None:
            click.echo(NOT_GRADED.format(id=ex.id, error=graded.error))
            continue
        # A review's card lists every check, its item's first (the short card folds passing ones into a line).
        click.echo(_drill_card(score_card(graded.result, verbose=problem.item is not None), graded.result))
        click.echo("")
    # Graded after its time (``finished`` given): the clock stopped at the last save.
    done = marking.finish(finished=finished)
    late = LATE.format(over=clock(done.seconds_over)) if done.seconds_over is not None else ""
    allowed = clock(done.drill.minutes * 60)
    click.echo(click.style(RESULT.format(id=done.drill.id, score=done.score, max=done.max_score, taken=clock(done.seconds_taken), allowed=allowed, late=late), bold=True))
    for best in done.new_bests:
        fastest = f" in {clock(best.fastest)}" if best.fastest is not None else ""
        click.echo(NEW_BEST.format(id=best.exercise, score=best.score, max=best.max_score, time=fastest))
    for line in _review_lines(done):
        click.echo(line)
    return 0 if done.all_full else 1


def _review_lines(done: Finished) -> list[str]:
    """What a hand-in did to each review item, and when it comes back."""
    lines = []
    for review in done.reviews:
        it = review.item
        interval = span(it.due - (it.last_review if it.last_review is not None else it.created))
        text = REVIEW_NEW if review.created else {"good": REVIEW_GOOD, "hard": REVIEW_HARD}.get(review.rating, REVIEW_AGAIN)
        lines.append(text.format(id=it.exercise, label=it.label, interval=interval))
    return lines


def _drill_card(card: str, result: ExerciseResult) -> str:
    """The score card without its course-work advice (replay with grade exNN, hints, next)."""
    from grader.grading.card import ALL_DONE, REPLAY, STUCK

    advice = {
        click.unstyle(text)
        for text in (ALL_DONE, REPLAY.format(seed=result.seed, exercise=result.exercise), STUCK.format(exercise=result.exercise))
    }
    lines = [line for line in card.splitlines() if click.unstyle(line) not in advice]
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join([*lines, "", click.style(DRILL_SEED.format(seed=result.seed), dim=True)])


def _history(history: History) -> None:
    if not history.drills:
        click.echo(NO_HISTORY)
        return
    cells = [
        (
            str(d.id),
            time.strftime("%Y-%m-%d %H:%M", time.localtime(d.started)),
            ", ".join(d.problems),
            clock(d.seconds_taken) if d.seconds_taken is not None else "-",
            clock(d.minutes * 60),
            f"{d.score:g}/{d.max_score:g}" if d.score is not None else "-",
            d.status,
        )
        for d in history.drills
    ]
    _echo_lines(table(("#", "date", "problems", "time", "allowed", "score", "status"), cells))
    if history.bests:
        click.echo("")
        click.echo(click.style("Personal bests", bold=True))
        rows = [(b.exercise, b.title, f"{b.score:g}/{b.max_score:g}", clock(b.fastest), str(b.drills)) for b in history.bests]
        _echo_lines(table(("problem", "title", "best", "fastest", "drills"), rows))


def _echo_lines(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)
