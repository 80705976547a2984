"""``grade drill``'s work: a drill's life from start to hand-in, and what its history says.

Changes when the drill's rules change: which state a drill is in (running, out of time),
what starting one sets up, how a hand-in is graded and recorded (the clock stopping at the
last save when graded late), what counts as a new personal best. Picking problems and laying
out the workspace are :mod:`grader.learner.drills`'s.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course import Course, Exercise
from grader.errors import GradeError, UsageError

if TYPE_CHECKING:
    from grader.checking.results import ExerciseResult
    from grader.learner.store import Drill, DrillProblem, Store

NO_STORE = "drills need the progress store, which cannot be opened now (see the note above)."
NOTHING_LAID = "no problem could be set up for this drill: "


@dataclass(frozen=True)
class InProgress:
    """The drill in progress, and whether its time is up."""

    drill: Drill
    seconds_left: float  # negative once the time is up
    last_save: float | None = None  # out of time: when the clock stops (the last save in the workspace)

    @property
    def expired(self) -> bool:
        return self.last_save is not None


@dataclass(frozen=True)
class Problem:
    """One problem of a drill: its statement and the files to edit in the workspace."""

    exercise: Exercise
    files: list[Path]
    statement: str | None  # the README, when there is one


@dataclass(frozen=True)
class Started:
    drill: Drill
    seed: int  # the seed that picks the same problems again
    minutes: float  # time allowed
    workspace: Path
    problems: list[Problem]
    notes: list[str]  # what the learner should know about the pick


@dataclass(frozen=True)
class Graded:
    """One problem of a hand-in: its result, or why it could not be graded."""

    problem: DrillProblem
    result: ExerciseResult | None = None
    error: str | None = None


@dataclass(frozen=True)
class NewBest:
    exercise: str
    score: float
    max_score: float
    fastest: float | None  # seconds, at that score


@dataclass(frozen=True)
class Finished:
    drill: Drill
    score: float
    max_score: float
    seconds_taken: float
    seconds_over: float | None  # past the time allowed, when it was
    new_bests: list[NewBest]
    all_full: bool  # every problem graded, at full marks


@dataclass(frozen=True)
class PastDrill:
    """A line of ``grade drill --history``."""

    id: int
    started: float
    problems: list[str]
    seconds_taken: float | None  # None unless submitted
    minutes: float
    score: float | None  # None when nothing was graded
    max_score: float
    status: str  # in time | over time | abandoned | active


@dataclass(frozen=True)
class Best:
    exercise: str
    title: str
    score: float
    max_score: float
    fastest: float | None
    drills: int


@dataclass(frozen=True)
class History:
    drills: list[PastDrill]
    bests: list[Best]  # by exercise id


class Marking:
    """One hand-in: :meth:`grade` each of :attr:`problems` (its exercise is None when it left the
    course: not graded), then :meth:`finish`.
    """

    def __init__(self, drills: Drills, drill: Drill) -> None:
        from grader.learner.drills import personal_bests

        self._drills, self.drill = drills, drill
        by_id = {ex.id: ex for ex in drills.course.exercises}
        self.problems: list[tuple[DrillProblem, Exercise | None]] = [(p, by_id.get(p.exercise)) for p in drill.problems]
        self._before = personal_bests(drills.store.drills())
        self._scores: dict[int, tuple[float, float]] = {}
        self._all_full = all(ex is not None for _, ex in self.problems)

    def grade(self, problem: DrillProblem, exercise: Exercise) -> Graded:
        """Grade one problem from the workspace; one that cannot be graded scores 0."""
        from grader.grading.runner import grade

        try:
            result = grade(exercise, source=Path(self.drill.workspace) / problem.folder)
        except GradeError as exc:
            self._scores[problem.position] = (0.0, float(exercise.points))
            self._all_full = False
            return Graded(problem, error=str(exc))
        self._scores[problem.position] = (result.score, result.max_score)
        self._all_full = self._all_full and result.full_marks
        return Graded(problem, result=result)

    def finish(self, *, finished: float | None = None) -> Finished:
        """Record the drill as submitted, at ``finished`` (default: now), with its scores."""
        from grader.learner.drills import personal_bests

        store = self._drills.store
        done = store.finish_drill(self.drill.id, self._scores, finished=finished)
        taken = done.seconds_taken or 0.0
        after = personal_bests(store.drills())
        drilled = {p.exercise for p in done.problems}
        bests = []
        for ex_id, (best, mx, fastest, _) in after.items():
            old = self._before.get(ex_id)
            improved = old is None or best > old[0] or (best == old[0] and fastest is not None and (old[2] is None or fastest < old[2]))
            if improved and best > 0 and ex_id in drilled:
                bests.append(NewBest(ex_id, best, mx, fastest))
        return Finished(
            drill=done,
            score=sum(s for s, _ in self._scores.values()),
            max_score=sum(m for _, m in self._scores.values()),
            seconds_taken=taken,
            seconds_over=taken - done.minutes * 60 if done.overtime else None,
            new_bests=bests,
            all_full=self._all_full and bool(self._scores),
        )


class Drills:
    """The learner's drills in one course (the store's drill tables)."""

    def __init__(self, course: Course, store: Store) -> None:
        self.course, self.store = course, store

    def in_progress(self) -> InProgress | None:
        from grader.learner.drills import last_save

        active = self.store.active_drill()
        if active is None:
            return None
        now = time.time()
        if now <= active.deadline:
            return InProgress(active, active.deadline - now)
        saved = last_save(active, self.course) or active.started
        return InProgress(active, active.deadline - now, last_save=min(max(saved, active.started), now))

    def abandon(self) -> Drill | None:
        """Give up the drill in progress (recorded, not graded); None when there is none."""
        active = self.store.active_drill()
        if active is None:
            return None
        self.store.finish_drill(active.id, {}, status="abandoned")
        return active

    def start(
        self,
        *,
        topics: tuple[str, ...],
        difficulties: tuple[str, ...],
        minutes: float | None,
        count: int,
        seed: int | None,
        workspace: Path | None,
    ) -> Started:
        """Pick problems (unseen first), lay out their stubs in a fresh workspace, start the clock."""
        from grader.learner.drills import choose, lay_out, workspace_for

        seed = random.SystemRandom().randrange(1, 2**31 - 1) if seed is None else seed
        store = self.store
        pick = choose(self.course, store.all_progress(), store.drilled(), topics=topics, difficulties=difficulties, count=count, seed=seed)
        path = workspace_for(self.course, pick.exercises, workspace)
        laid, notes = lay_out(self.course, store, pick.exercises, path)
        if not laid:
            raise UsageError(NOTHING_LAID + " ".join(notes))
        allowed = minutes if minutes is not None else float(sum(ex.minutes for ex in laid))
        drill = store.start_drill(minutes=allowed, workspace=str(path), seed=seed, problems=[(ex.id, ex.folder) for ex in laid])
        problems = [
            Problem(ex, [path / ex.folder / name for name in ex.files.learner], _statement(path / ex.folder / "README.md"))
            for ex in laid
        ]
        return Started(drill, seed, allowed, path, problems, [*pick.notes, *notes])

    def hand_in(self, drill_id: int) -> Marking:
        """Start grading a drill, as it is stored now."""
        drill = self.store.drill(drill_id)
        assert drill is not None
        return Marking(self, drill)

    def history(self) -> History:
        from grader.learner.drills import personal_bests

        drills = self.store.drills()
        past = []
        for d in drills:
            scores = [p.score for p in d.problems if p.score is not None]
            tops = [p.max_score or 0 for p in d.problems if p.score is not None]
            status = d.status
            if d.status == "submitted":
                status = "over time" if d.overtime else "in time"
            past.append(PastDrill(
                id=d.id,
                started=d.started,
                problems=[p.exercise for p in d.problems],
                seconds_taken=d.seconds_taken if d.status == "submitted" else None,
                minutes=d.minutes,
                score=sum(scores) if scores else None,
                max_score=sum(tops),
                status=status,
            ))
        titles = {ex.id: ex.title for ex in self.course.exercises}
        bests = [
            Best(ex_id, titles.get(ex_id, "?"), best, mx, fastest, n)
            for ex_id, (best, mx, fastest, n) in sorted(personal_bests(drills).items())
        ]
        return History(past, bests)


def open_drills(course: Course) -> Drills:
    """The course's drills; a usage error when the progress store cannot be opened."""
    from grader.learner.history import open_store

    store = open_store(course)
    if store is None:
        raise UsageError(NO_STORE)
    return Drills(course, store)


def _statement(readme: Path) -> str | None:
    return readme.read_text(encoding="utf-8").rstrip() if readme.is_file() else None

