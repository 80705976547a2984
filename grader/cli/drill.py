"""``grade drill``: timed interview practice on problems you have not seen yet."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any

import click

from grader.course import DIFFICULTIES

STARTED = "Drill #{id} · {n} problem(s) · {minutes:g} minutes · deadline {deadline}"
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
START_FLAGS = "--topic, --difficulty, --minutes, --count, --seed and --workspace start a new drill; they cannot go with {flag}."


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _at(ts: float) -> str:
    return time.strftime("%H:%M", time.localtime(ts))


@click.command("drill")
@click.option("--topic", "topics", multiple=True, help="Only problems on this topic (repeat for several).")
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
) -> None:
    """Practise for an interview: a timed drill on problems you have not seen or not solved.

    \b
    grade drill --minutes 45 --topic attention   start one: statement, workspace, deadline
    grade drill                                  start one, or see the one in progress
    grade drill --submit                         hand in: graded, time and score recorded
    grade drill --history                        past drills and personal bests

    Problems are picked at random (--seed makes it reproducible), each stub is copied into a
    fresh workspace outside the course, and nothing is graded until you hand in. In a
    terminal the drill stays in the foreground with a countdown and is graded when time is
    up; Enter hands in early. Your course work and progress are never touched.
    """
    from grader.cli import load
    from grader.errors import UsageError
    from grader.learner.history import open_store

    modes = [flag for flag, on in (("--submit", submit), ("--abandon", abandon), ("--history", history)) if on]
    if len(modes) > 1:
        raise UsageError(f"{' and '.join(modes)} cannot go together.")
    starting = bool(topics or difficulties or minutes is not None or count != 1 or seed is not None or workspace)
    if modes and starting:
        raise UsageError(START_FLAGS.format(flag=modes[0]))
    course = load(ctx)
    store = open_store(course)
    if store is None:
        raise UsageError("drills need the progress store, which cannot be opened now (see the note above).")
    if history:
        _history(course, store)
        return
    active = store.active_drill()
    if abandon:
        if active is None:
            click.echo(NO_ACTIVE)
            ctx.exit(1)
        store.finish_drill(active.id, {}, status="abandoned")
        click.echo(ABANDONED.format(id=active.id, path=active.workspace))
        return
    if submit:
        if active is None:
            click.echo(NO_ACTIVE)
            ctx.exit(1)
        ctx.exit(_grade_drill(course, store, active))
    if active is not None:
        if time.time() > active.deadline:
            saved = _last_save(course, active)
            click.echo(EXPIRED.format(id=active.id, deadline=_at(active.deadline), saved=_at(saved)))
            code = _grade_drill(course, store, active, finished=saved)
            if not starting:
                ctx.exit(code)
        else:
            problems = ", ".join(p.exercise for p in active.problems)
            state = f"{_clock(active.deadline - time.time())} left"
            click.echo(ACTIVE.format(id=active.id, problems=problems, state=state, path=active.workspace))
            ctx.exit(1 if starting else 0)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    waiting = not detach and (interactive or force_wait)
    drill = _start(course, store, topics=topics, difficulties=difficulties, minutes=minutes, count=count, seed=seed, workspace=workspace)
    if not waiting:
        click.echo(WHEN_DONE)
        return
    outcome = _wait(drill.deadline, interactive=sys.stdin.isatty())
    if outcome == "detach":
        click.echo("")
        click.echo(LEFT_RUNNING.format(left=_clock(drill.deadline - time.time())))
        return
    click.echo("")
    if outcome == "timeout":
        click.echo(TIME_UP)
    current = store.drill(drill.id)
    assert current is not None
    ctx.exit(_grade_drill(course, store, current))


def _start(course: Any, store: Any, *, topics: tuple[str, ...], difficulties: tuple[str, ...], minutes: float | None, count: int, seed: int | None, workspace: Path | None) -> Any:
    from grader.errors import UsageError
    from grader.learner.drills import choose, lay_out, workspace_for

    seed = random.SystemRandom().randrange(1, 2**31 - 1) if seed is None else seed
    pick = choose(course, store.all_progress(), store.drilled(), topics=topics, difficulties=difficulties, count=count, seed=seed)
    path = workspace_for(course, pick.exercises, workspace)
    laid, notes = lay_out(course, store, pick.exercises, path)
    if not laid:
        raise UsageError("no problem could be set up for this drill: " + " ".join(notes))
    allowed = minutes if minutes is not None else float(sum(ex.minutes for ex in laid))
    drill = store.start_drill(minutes=allowed, workspace=str(path), seed=seed, problems=[(ex.id, ex.folder) for ex in laid])
    for note in [*pick.notes, *notes]:
        click.echo(click.style("note: ", fg="yellow") + note)
    click.echo(click.style(STARTED.format(id=drill.id, n=len(laid), minutes=allowed, deadline=_at(drill.deadline)), bold=True))
    click.echo(click.style(SEED_LINE.format(seed=seed), dim=True))
    click.echo(WORKSPACE.format(path=path))
    for ex in laid:
        for name in ex.files.learner:
            click.echo(EDIT.format(file=path / ex.folder / name))
    for ex in laid:
        click.echo("")
        click.echo(click.style(PROBLEM.format(id=ex.id, title=ex.title, difficulty=ex.difficulty), bold=True))
        readme = path / ex.folder / "README.md"
        if readme.is_file():
            click.echo(readme.read_text(encoding="utf-8").rstrip())
    click.echo("")
    return drill


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
                click.echo(COUNTDOWN.format(left=_clock(left)), nl=False)
                ready, _, _ = select.select([sys.stdin], [], [], min(1.0, left))
                if ready:
                    sys.stdin.readline()
                    return "submit"
            else:
                time.sleep(min(1.0, left))
    except KeyboardInterrupt:
        return "detach"


def _last_save(course: Any, drill: Any) -> float:
    from grader.learner.drills import last_save

    saved = last_save(drill, course) or drill.started
    return min(max(saved, drill.started), time.time())


def _grade_drill(course: Any, store: Any, drill: Any, *, finished: float | None = None) -> int:
    """Grade every problem of ``drill`` from its workspace, record it, and say how it went."""
    from grader.errors import GradeError
    from grader.grading.card import score_card
    from grader.grading.runner import grade
    from grader.learner.drills import personal_bests
    from grader.learner.history import Ticker

    by_id = {ex.id: ex for ex in course.exercises}
    before = personal_bests(store.drills())
    scores: dict[int, tuple[float, float]] = {}
    all_full = True
    for p in drill.problems:
        ex = by_id.get(p.exercise)
        if ex is None:
            click.echo(f"{p.exercise} is no longer in this course: not graded.")
            all_full = False
            continue
        try:
            with Ticker(f"grading {ex.id}"):
                result = grade(ex, source=Path(drill.workspace) / p.folder)
        except GradeError as exc:
            click.echo(f"{ex.id} could not be graded: {exc}")
            scores[p.position] = (0.0, float(ex.points))
            all_full = False
            continue
        click.echo(_drill_card(score_card(result), result))
        click.echo("")
        scores[p.position] = (result.score, result.max_score)
        all_full = all_full and result.full_marks
    # Graded after its time (``finished`` given): the clock stopped at the last save.
    done = store.finish_drill(drill.id, scores, finished=finished)
    score = sum(s for s, _ in scores.values())
    top = sum(m for _, m in scores.values())
    taken = done.seconds_taken or 0.0
    late = LATE.format(over=_clock(taken - done.minutes * 60)) if done.overtime else ""
    click.echo(click.style(RESULT.format(id=done.id, score=score, max=top, taken=_clock(taken), allowed=_clock(done.minutes * 60), late=late), bold=True))
    after = personal_bests(store.drills())
    for ex_id, (best, mx, fastest, _) in after.items():
        old = before.get(ex_id)
        improved = old is None or best > old[0] or (best == old[0] and fastest is not None and (old[2] is None or fastest < old[2]))
        if improved and best > 0:
            if any(p.exercise == ex_id for p in done.problems):
                click.echo(NEW_BEST.format(id=ex_id, score=best, max=mx, time=f" in {_clock(fastest)}" if fastest is not None else ""))
    return 0 if all_full and scores else 1


def _drill_card(card: str, result: Any) -> str:
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


def _history(course: Any, store: Any) -> None:
    from grader.learner.drills import personal_bests

    drills = store.drills()
    if not drills:
        click.echo(NO_HISTORY)
        return
    heads = ("#", "date", "problems", "time", "allowed", "score", "status")
    cells = []
    for d in drills:
        scored = [p for p in d.problems if p.score is not None]
        score = f"{sum(p.score for p in scored):g}/{sum(p.max_score or 0 for p in scored):g}" if scored else "-"
        status = d.status
        if d.status == "submitted":
            status = "over time" if d.overtime else "in time"
        cells.append((
            str(d.id),
            time.strftime("%Y-%m-%d %H:%M", time.localtime(d.started)),
            ", ".join(p.exercise for p in d.problems),
            _clock(d.seconds_taken) if d.status == "submitted" else "-",
            _clock(d.minutes * 60),
            score,
            status,
        ))
    _table(heads, cells)
    bests = personal_bests(drills)
    if bests:
        click.echo("")
        click.echo(click.style("Personal bests", bold=True))
        titles = {ex.id: ex.title for ex in course.exercises}
        rows = [
            (ex_id, titles.get(ex_id, "?"), f"{best:g}/{mx:g}", _clock(fastest), str(n))
            for ex_id, (best, mx, fastest, n) in sorted(bests.items())
        ]
        _table(("problem", "title", "best", "fastest", "drills"), rows)


def _table(heads: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(heads)]
    click.echo("  " + click.style("  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip(), dim=True))
    for r in rows:
        click.echo("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
