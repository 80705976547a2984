"""Interview drills' problems: pick them (unseen first; for ``--interview``, unseen ones mixed
with due reviews by topic), lay out their workspace outside the course, read back what drills
left (the last save, personal bests). A drill's life (start, hand-in, history) is
:mod:`grader.learner.drill_session`'s.

A drill never touches the learner's course work: its files are fresh stubs in their own
folder (never inside the course tree), it is graded from there, and its scores go to the
drill tables of the store, not to the exercises' progress.
"""

from __future__ import annotations

import importlib.util
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course import Course, Exercise, wording  # wording.count: choose() has a parameter called count
from grader.errors import UsageError
from grader.learner.pristine import pristine_stub, write_text_atomic
from grader.learner.store import Drill, ExerciseProgress, Store, drills_dir
from grader.sandbox import has_cuda

if TYPE_CHECKING:
    from grader.learner.review_items import Item

NO_MATCH = "no exercise matches {what}. Topics in this course: {topics}."
NO_MATCH_NO_TOPICS = "no exercise matches {what}, and no exercise of this course names a topic."
NO_EXERCISES = "this course has no exercises yet, so there is nothing to drill. An instructor adds one with grade new."
NONE_RUNNABLE = "the exercises matching {what} need {needs}, which this machine does not have."
ALL_SEEN = "you have already seen or solved every exercise matching {what}, so this drill repeats one."
FEWER = "only {exercises} {what}; the drill has {k}."
WORKSPACE_INSIDE = "the drill workspace {path} is inside the course folder {root}: a drill must not touch your course work. Choose a folder elsewhere."
WORKSPACE_USED = "{path} already exists and is not empty: choose a new folder for the drill."
NO_STUB = "no untouched stub of {id} could be found (see grade reset {id}); it was left out of the drill."
NO_REVIEWS_DUE = "no reviews are due for {what}: this interview has new problems only."
NO_UNSEEN = "you have seen every problem matching {what}: this interview has reviews only."
NOTHING_FOR_INTERVIEW = "nothing new and no reviews due for {what}, so this interview repeats a problem."


@dataclass(frozen=True)
class Pick:
    exercises: list[Exercise]
    notes: list[str]
    items: dict[str, Item] = field(default_factory=dict)  # exercise id -> the review it is drilled for


def can_run(ex: Exercise) -> str | None:
    """What this machine lacks to grade ``ex``, or None."""
    if "gpu" in ex.requires and not has_cuda():
        return "a GPU"
    for module in ("torch", "triton"):
        if module in ex.requires and importlib.util.find_spec(module) is None:
            return module
    return None


def matches(ex: Exercise, topics: tuple[str, ...], difficulties: tuple[str, ...]) -> bool:
    if difficulties and ex.difficulty not in difficulties:
        return False
    if not topics:
        return True
    words = {t.lower() for t in (*ex.topics, *ex.aliases, ex.slug)}
    return any(t.lower() in words or any(t.lower() in w for w in ex.topics) for t in topics)


def describe(topics: tuple[str, ...], difficulties: tuple[str, ...]) -> str:
    parts = []
    if topics:
        parts.append("topic " + " or ".join(topics))
    if difficulties:
        parts.append("difficulty " + " or ".join(difficulties))
    return " and ".join(parts) or "the course"


def _pool(course: Course, topics: tuple[str, ...], difficulties: tuple[str, ...]) -> list[Exercise]:
    """The runnable exercises matching the filters; a usage error naming why there are none."""
    if not course.exercises:
        raise UsageError(NO_EXERCISES)
    what = describe(topics, difficulties)
    pool = [ex for ex in course.exercises if matches(ex, topics, difficulties)]
    if not pool:
        all_topics = sorted({t for ex in course.exercises for t in ex.topics})
        no_match = NO_MATCH.format(what=what, topics=", ".join(all_topics)) if all_topics else NO_MATCH_NO_TOPICS.format(what=what)
        raise UsageError(no_match)
    runnable = [ex for ex in pool if can_run(ex) is None]
    if not runnable:
        needs = sorted({can_run(ex) or "" for ex in pool})
        raise UsageError(NONE_RUNNABLE.format(what=what, needs=" or ".join(needs)))
    return runnable


def _seen(ex: Exercise, progress: dict[str, ExerciseProgress], drilled: dict[str, bool]) -> bool:
    p = progress.get(ex.id)
    return ex.id in drilled or (p is not None and p.started)


def choose(
    course: Course,
    progress: dict[str, ExerciseProgress],
    drilled: dict[str, bool],
    *,
    topics: tuple[str, ...] = (),
    difficulties: tuple[str, ...] = (),
    count: int = 1,
    seed: int,
) -> Pick:
    """Random problems, unseen ones first, then unsolved ones, reproducible from ``seed``."""
    what = describe(topics, difficulties)
    runnable = _pool(course, topics, difficulties)

    def seen(ex: Exercise) -> bool:
        return _seen(ex, progress, drilled)

    def solved(ex: Exercise) -> bool:
        p = progress.get(ex.id)
        return drilled.get(ex.id, False) or (p is not None and p.solved)

    unseen = [ex for ex in runnable if not seen(ex)]
    unsolved = [ex for ex in runnable if seen(ex) and not solved(ex)]
    rest = [ex for ex in runnable if seen(ex) and solved(ex)]
    rng = random.Random(seed)
    chosen: list[Exercise] = []
    notes: list[str] = []
    for tier in (unseen, unsolved, rest):
        if len(chosen) >= count:
            break
        if tier is rest and tier:
            notes.append(ALL_SEEN.format(what=what))
        chosen += rng.sample(tier, min(len(tier), count - len(chosen)))
    if len(chosen) < count:
        k = len(chosen)
        matching = wording.count(k, "exercise") + " " + wording.plural(k, "matches", "match")
        notes.append(FEWER.format(exercises=matching, what=what, k=k))
    return Pick(chosen, notes)


def choose_interview(
    course: Course,
    progress: dict[str, ExerciseProgress],
    drilled: dict[str, bool],
    due: list[Item],
    *,
    topics: tuple[str, ...] = (),
    difficulties: tuple[str, ...] = (),
    minutes: float,
    seed: int,
) -> Pick:
    """An interview of about ``minutes``: due reviews (most overdue first) taken in turn with
    unseen problems, the unseen ones sharing the most topics with the reviews first, as long
    as the problems' own times fit (always at least one problem). Reproducible from ``seed``."""
    what = describe(topics, difficulties)
    runnable = _pool(course, topics, difficulties)
    by_id = {ex.id: ex for ex in runnable}
    items: dict[str, Item] = {}
    for it in due:  # most overdue first: an exercise is drilled for its most overdue item
        if it.exercise in by_id and it.exercise not in items:
            items[it.exercise] = it
    reviews = [by_id[ex_id] for ex_id in items]
    reviewed_topics = {t for ex in reviews for t in ex.topics}
    unseen = [ex for ex in runnable if not _seen(ex, progress, drilled) and ex.id not in items]
    random.Random(seed).shuffle(unseen)
    unseen.sort(key=lambda ex: -len(reviewed_topics & set(ex.topics)))  # stable: the shuffle breaks ties
    notes = []
    if not reviews:
        notes.append(NO_REVIEWS_DUE.format(what=what))
    elif not unseen:
        notes.append(NO_UNSEEN.format(what=what))
    if not reviews and not unseen:
        pick = choose(course, progress, drilled, topics=topics, difficulties=difficulties, count=1, seed=seed)
        return Pick(pick.exercises, [NOTHING_FOR_INTERVIEW.format(what=what)])
    turns: list[Exercise] = []
    for k in range(max(len(reviews), len(unseen))):
        turns += reviews[k : k + 1] + unseen[k : k + 1]
    chosen: list[Exercise] = []
    total = 0.0
    for ex in turns:
        if not chosen or total + ex.minutes <= minutes:
            chosen.append(ex)
            total += ex.minutes
    return Pick(chosen, notes, {ex.id: items[ex.id] for ex in chosen if ex.id in items})


def workspace_for(course: Course, exercises: list[Exercise], chosen: Path | None) -> Path:
    if chosen is None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = drills_dir(course) / f"{stamp}-{'-'.join(ex.id for ex in exercises)}"
        n = 1
        while path.exists():
            path = path.with_name(f"{stamp}-{n}-{'-'.join(ex.id for ex in exercises)}")
            n += 1
    else:
        path = chosen.expanduser()
    path = path.absolute()
    resolved = path.resolve()
    if resolved == course.root or resolved.is_relative_to(course.root):
        raise UsageError(WORKSPACE_INSIDE.format(path=path, root=course.root))
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise UsageError(WORKSPACE_USED.format(path=path))
    return path


def lay_out(course: Course, store: Store, exercises: list[Exercise], workspace: Path) -> tuple[list[Exercise], list[str]]:
    """Copy each problem's stub, statement and data into its own folder of ``workspace``."""
    laid: list[Exercise] = []
    notes: list[str] = []
    for ex in exercises:
        stub = pristine_stub(course, ex, store.folder, for_drill=True)
        if stub is None:
            notes.append(NO_STUB.format(id=ex.id))
            continue
        folder = workspace / ex.folder
        for name, text in stub.files.items():
            write_text_atomic(folder / name, text)
        for extra in ("README.md", *ex.files.data):
            src = ex.directory / extra
            if src.is_file():
                (folder / extra).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, folder / extra)
        laid.append(ex)
    return laid, notes


def last_save(drill: Drill, course: Course) -> float | None:
    """When the learner last saved a file of this drill (for a drill graded after its time)."""
    latest = None
    by_id = {ex.id: ex for ex in course.exercises}
    for p in drill.problems:
        ex = by_id.get(p.exercise)
        if ex is None:
            continue
        for name in ex.files.learner:
            try:
                m = (Path(drill.workspace) / p.folder / name).stat().st_mtime
            except OSError:
                continue
            latest = m if latest is None else max(latest, m)
    return latest


def personal_bests(drills: list[Drill]) -> dict[str, tuple[float, float, float | None, int]]:
    """Per exercise: (best score, max score, fastest time at that score, drills)."""
    out: dict[str, tuple[float, float, float | None, int]] = {}
    for d in drills:
        if d.status != "submitted":
            continue
        for p in d.problems:
            if p.score is None or p.max_score is None:
                continue
            t = d.seconds_taken
            best, top, fastest, n = out.get(p.exercise, (-1.0, p.max_score, None, 0))
            if p.score > best:
                best, fastest = p.score, t
            elif p.score == best and t is not None and (fastest is None or t < fastest):
                fastest = t
            out[p.exercise] = (best, top, fastest, n + 1)
    return out
