"""``grade drill``'s work: a drill's life from start to hand-in, and what its history says.

Changes when the drill's rules change: which state a drill is in (running, out of time),
what starting one sets up, how a hand-in is graded and recorded (the clock stopping at the
last save when graded late), what counts as a new personal best, what a hand-in does to the
review items (each problem's grading reviews them; a review's card lists its item's checks
first). Picking problems and laying out the workspace are :mod:`grader.learner.drills`'s.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course import Course, Exercise
from grader.errors import GradeError, UsageError

if TYPE_CHECKING:
    from grader.checking.results import ExerciseResult
    from grader.learner.review_items import Item, ReviewDone
    from grader.learner.store import Drill, DrillGrading, DrillProblem, Store

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
    review: Item | None = None  # the review item it is drilled for, if any


@dataclass(frozen=True)
class Started:
    drill: Drill
    seed: int | None  # the seed that picks the same problems again (None: not picked at random)
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
    reviews: list[ReviewDone]  # the review items this hand-in reviewed or created


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
        self._gradings: list[DrillGrading] = []
        self._all_full = all(ex is not None for _, ex in self.problems)

    def grade(self, problem: DrillProblem, exercise: Exercise, *, now: float | None = None) -> Graded:
        """Grade one problem from the workspace; one that cannot be graded scores 0.

        A problem drilled as a review: its item's mistake is named first when the code
        matches several, and the card lists its checks first."""
        from grader.grading.runner import grade
        from grader.learner import review_items
        from grader.learner.store import DrillGrading, current_time

        folder = Path(self.drill.workspace) / problem.folder
        conn = self._drills.store.conn
        chosen = review_items.item(conn, problem.item) if problem.item is not None else None
        prefer = chosen.part if chosen is not None and chosen.kind == review_items.MISTAKE else None
        try:
            result = grade(exercise, source=folder, prefer_misconception=prefer)
        except GradeError as exc:
            self._scores[problem.position] = (0.0, float(exercise.points))
            self._all_full = False
            return Graded(problem, error=str(exc))
        if chosen is not None:
            first = review_items.first_checks(conn, exercise.id, chosen.id, current_time() if now is None else now)
            result.checks.sort(key=lambda c: first.index(c.name) if c.name in first else len(first))  # stable
        self._scores[problem.position] = (result.score, result.graded_max)
        self._all_full = self._all_full and result.full_marks
        self._gradings.append(DrillGrading(
            exercise=exercise.id, score=result.score, max_score=result.graded_max, full_marks=result.full_marks,
            seed=result.seed, seconds=result.seconds, checks=review_items.checks_of(result),
            digest=review_items.code_digest([folder / name for name in exercise.files.learner]),
        ))
        return Graded(problem, result=result)

    def finish(self, *, finished: float | None = None, now: float | None = None) -> Finished:
        """Record the drill as submitted, at ``finished`` (default: now), with its scores; each
        graded problem is recorded as a grading and reviews the items of its exercise."""
        from grader.learner.drills import personal_bests

        store = self._drills.store
        done, reviews = store.finish_drill(self.drill.id, self._scores, finished=finished, gradings=self._gradings, now=now)
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
            reviews=list(reviews),
        )


class Drills:
    """The learner's drills in one course (the store's drill tables)."""

    def __init__(self, course: Course, store: Store) -> None:
        self.course, self.store = course, store

    def in_progress(self, *, now: float | None = None) -> InProgress | None:
        from grader.learner.drills import last_save
        from grader.learner.store import current_time

        active = self.store.active_drill()
        if active is None:
            return None
        now = current_time() if now is None else now
        if now <= active.deadline:
            return InProgress(active, active.deadline - now)
        saved = last_save(active, self.course) or active.started
        return InProgress(active, active.deadline - now, last_save=min(max(saved, active.started), now))

    def abandon(self) -> Drill | None:
        """Give up the drill in progress (recorded, not graded); None when there is none."""
        active = self.store.active_drill()
        if active is None:
            return None
        self.store.finish_drill(active.id, {}, status="abandoned")  # nothing graded: no review
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
        interview: float | None = None,
        now: float | None = None,
    ) -> Started:
        """Pick problems (unseen first), lay out their stubs in a fresh workspace, start the clock.

        ``interview`` (minutes): unseen problems mixed with the reviews due at ``now``, by
        topic, to fill that time (see :func:`grader.learner.drills.choose_interview`)."""
        from grader.learner import review_items
        from grader.learner.drills import choose, choose_interview
        from grader.learner.store import current_time

        seed = random.SystemRandom().randrange(1, 2**31 - 1) if seed is None else seed
        store = self.store
        if interview is None:
            pick = choose(self.course, store.all_progress(), store.drilled(), topics=topics, difficulties=difficulties, count=count, seed=seed)
            return self.start_with(pick.exercises, {}, minutes=minutes, seed=seed, workspace=workspace, notes=pick.notes, now=now)
        now = current_time() if now is None else now
        due = review_items.due(store.conn, now, exercises=[ex.id for ex in self.course.exercises])
        pick = choose_interview(
            self.course, store.all_progress(), store.drilled(), due, topics=topics, difficulties=difficulties, minutes=interview, seed=seed
        )
        return self.start_with(pick.exercises, pick.items, minutes=interview, seed=seed, workspace=workspace, notes=pick.notes, now=now)

    def start_with(
        self,
        exercises: list[Exercise],
        items: dict[str, Item],
        *,
        minutes: float | None,
        seed: int | None,
        workspace: Path | None,
        notes: list[str] | None = None,
        now: float | None = None,
    ) -> Started:
        """Lay out ``exercises`` in a fresh workspace and start the clock; ``items`` maps an
        exercise to the review item it is drilled for."""
        from grader.learner.drills import lay_out, workspace_for

        store = self.store
        path = workspace_for(self.course, exercises, workspace)
        laid, laid_notes = lay_out(self.course, store, exercises, path)
        if not laid:
            raise UsageError(NOTHING_LAID + " ".join(laid_notes))
        allowed = minutes if minutes is not None else float(sum(ex.minutes for ex in laid))
        rows = [(ex.id, ex.folder, items[ex.id].id if ex.id in items else None) for ex in laid]
        drill = store.start_drill(minutes=allowed, workspace=str(path), seed=seed, problems=rows, now=now)
        problems = [
            Problem(ex, [path / ex.folder / name for name in ex.files.learner], _statement(path / ex.folder / "README.md"), items.get(ex.id))
            for ex in laid
        ]
        return Started(drill, seed, allowed, path, problems, [*(notes or []), *laid_notes])

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

