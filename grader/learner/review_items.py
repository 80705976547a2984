"""Review items: the parts of exercises the learner got wrong, each with an FSRS card that says
when to meet it again.

Changes when what an item is (its part, its checks), how a grading reviews it (the ratings),
the scheduler's settings, or when an item counts as due change. Laying a review out as a
drill is :mod:`grader.learner.review`'s; the tables are :mod:`grader.learner.store`'s.

- An item is one (exercise, part) the learner failed: the part is the known mistake a
  failed check matched (kind ``mistake``), else the failed check's name (``check``), or,
  for gradings recorded before checks were kept, the exercise as a whole (``exercise``,
  created by a grading that earned some points but not all).
  The part is a plain string, so check groups can become parts later.
- A check that fails only because the function is not written yet (the stub's
  NotImplementedError) is kept as ``unwritten``: no mistake, so it creates no item, but a
  review handed in unwritten is a miss.
- Its first failure creates it, rated again; every later grading that runs its checks
  reviews it: passed with no hint of that exercise taken since it last passed (or since it
  was created) is good, passed after one is hard, failed is again. A grading of the very code it was last reviewed on (``grade all`` over an
  unchanged file) is not a review: nothing was done again.
- One FSRS card per item (the ``fsrs`` package; fuzz off, so a store's items can always be
  derived again from its gradings, in :func:`rebuild`). Steps of minutes are off too: the
  learner's own fail-fix-grade loop is the learning step; reviews are days apart.
- An item never passed whose exercise is still being worked on in the course is not due:
  the course is where that gets fixed.

Everything takes ``now`` or the grading's own time: nothing here reads a clock. ``fsrs`` is
imported only when a card changes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.checking.results import ExerciseResult

MISTAKE, CHECK, EXERCISE = "mistake", "check", "exercise"
WHOLE_EXERCISE = ""  # the part of an ``exercise`` item
AGAIN, HARD, GOOD = "again", "hard", "good"
UNWRITTEN = "unwritten"  # a check status of our own: failed on a function still to be written
FAILED = ("failed", "error", UNWRITTEN)

# What the learner reads about an item ("the mistake").
LABEL_MISTAKE = "{part}"
LABEL_CHECK = "failed: {part}"
LABEL_EXERCISE = "lost points on an earlier try (from before grade kept which checks failed)"

# FSRS's own defaults, except: no fuzz (derivable again), no learning steps of minutes.
DESIRED_RETENTION = 0.9
DAY = 86400.0


@dataclass(frozen=True)
class Grading:
    """One grading as the review items see it (a course grading or a drill's problem)."""

    exercise: str
    at: float
    full_marks: bool
    checks: tuple[tuple[str, str, str | None], ...]  # (name, status, misconception)
    digest: str | None = None  # of the code graded; None: unknown
    attempt: int | None = None
    some_points: bool = True  # earned more than 0 (what an older grading, with no checks kept, tells)

    @classmethod
    def of(
        cls,
        exercise: str,
        at: float,
        full_marks: bool,
        checks: Iterable[tuple[str, str, str | None]],
        digest: str | None = None,
        attempt: int | None = None,
        some_points: bool = True,
    ) -> Grading:
        kept = tuple(checks)
        # With checks kept, full marks is every check that ran passing: the same rule whether
        # graded now or derived again from the store (which keeps statuses, not points).
        ran = [s for _, s, _ in kept if s != "skipped"]
        full = (bool(ran) and all(s == "passed" for s in ran)) if kept else full_marks
        return cls(exercise, at, full, kept, digest, attempt, some_points)


@dataclass(frozen=True)
class Item:
    id: int
    exercise: str
    part: str
    kind: str  # mistake | check | exercise
    checks: tuple[str, ...]  # the checks that showed it, in the order first seen
    created: float
    due: float
    last_review: float | None
    last_passed: float | None
    reviews: int  # later gradings that reviewed it (its creation not counted)
    lapses: int  # of those, the failed ones

    @property
    def label(self) -> str:
        """The mistake, in the learner's words."""
        if self.kind == MISTAKE:
            return LABEL_MISTAKE.format(part=self.part)
        if self.kind == CHECK:
            return LABEL_CHECK.format(part=self.part)
        return LABEL_EXERCISE


@dataclass(frozen=True)
class ReviewDone:
    """What one grading did to one item."""

    item: Item  # as it is after the grading
    rating: str  # again | hard | good
    created: bool  # this grading's failure created the item


def checks_of(result: ExerciseResult) -> tuple[tuple[str, str, str | None], ...]:
    """The (name, status, misconception) of each check of a result, as the store keeps them;
    a failure on a function still to be written is ``unwritten``."""
    from grader.checking.messages import NOT_IMPLEMENTED

    # The fixed words between the function's name and the file: the proxy's "not written" text.
    unwritten = NOT_IMPLEMENTED.split("{name}", 1)[1].split("{file}", 1)[0]
    return tuple(
        (c.name, UNWRITTEN if c.status in FAILED and not c.misconception and unwritten in c.output else c.status, c.misconception)
        for c in result.checks
    )


def code_digest(paths: Sequence[Path]) -> str | None:
    """A digest of the graded files, where they are (None if one cannot be read): the same
    file graded again unchanged is not a review, but the same code typed afresh in a drill's
    new workspace is."""
    h = hashlib.sha256()
    try:
        for path in paths:
            h.update(str(path.absolute()).encode() + b"\0" + path.read_bytes() + b"\0")
    except OSError:
        return None
    return h.hexdigest()


# --- parts and outcomes ----------------------------------------------------------------


def parts(grading: Grading) -> dict[str, tuple[str, list[str]]]:
    """The parts this grading failed: part -> (kind, the failed checks that showed it)."""
    found: dict[str, tuple[str, list[str]]] = {}
    for name, status, misconception in grading.checks:
        if status not in FAILED or status == UNWRITTEN:
            continue
        part, kind = (misconception, MISTAKE) if misconception else (name, CHECK)
        found.setdefault(part, (kind, []))[1].append(name)
    if not grading.checks and not grading.full_marks and grading.some_points:
        # No checks kept (an older grading): the exercise as a whole. A 0 is not counted as a
        # mistake: it is most often the untouched stub, which no one got wrong.
        found[WHOLE_EXERCISE] = (EXERCISE, [])
    return found


def outcome(item: Item, grading: Grading) -> bool | None:
    """Passed (True), failed (False), or not reviewed by this grading (None: its checks did not run)."""
    status = {name: s for name, s, _ in grading.checks}
    if item.kind == MISTAKE and any(m == item.part and s in FAILED for _, s, m in grading.checks):
        return False
    if item.kind == EXERCISE or (grading.checks and not any(name in status for name in item.checks)):
        # Its checks are gone from the exercise (renamed, rewritten): the whole grading stands
        # in, or the item could never be reviewed again.
        return grading.full_marks
    ran = [status.get(name) for name in item.checks]
    if any(s in FAILED for s in ran):
        return False
    if ran and all(s == "passed" for s in ran):
        return True
    return None


# --- the scheduler -----------------------------------------------------------------------


@lru_cache(maxsize=1)
def _scheduler() -> Any:
    import fsrs

    return fsrs.Scheduler(desired_retention=DESIRED_RETENTION, learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def _when(ts: float) -> Any:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ts, tz=timezone.utc)


def schedule(card: dict[str, Any] | None, rating: str, at: float, *, card_id: int = 0) -> tuple[dict[str, Any], float]:
    """The card after a review rated ``rating`` at ``at`` (a new card when ``card`` is None),
    and when it is due next (epoch seconds)."""
    import fsrs

    ratings = {AGAIN: fsrs.Rating.Again, HARD: fsrs.Rating.Hard, GOOD: fsrs.Rating.Good}
    now = _when(at)
    # card_id and due given: fsrs's own defaults read the clock (and sleep a millisecond).
    current = fsrs.Card(card_id=card_id, due=now) if card is None else fsrs.Card.from_dict(card)  # type: ignore[arg-type]
    if current.last_review is not None and current.last_review > now:
        now = current.last_review  # a clock that went back: review at the last review's time
    after, _ = _scheduler().review_card(current, ratings[rating], review_datetime=now)
    return dict(after.to_dict()), after.due.timestamp()


# --- the store's rows --------------------------------------------------------------------


def _item(row: sqlite3.Row) -> Item:
    return Item(
        id=row["id"], exercise=row["exercise"], part=row["part"], kind=row["kind"], checks=tuple(json.loads(row["checks"])),
        created=row["created"], due=row["due"], last_review=row["last_review"], last_passed=row["last_passed"],
        reviews=row["reviews"], lapses=row["lapses"],
    )


def items(conn: sqlite3.Connection, exercise: str | None = None) -> list[Item]:
    """Every item (of one exercise), soonest due first."""
    where, args = ("WHERE exercise = ?", (exercise,)) if exercise is not None else ("", ())
    return [_item(r) for r in conn.execute(f"SELECT * FROM review_item {where} ORDER BY due, id", args)]


def item(conn: sqlite3.Connection, item_id: int) -> Item | None:
    row = conn.execute("SELECT * FROM review_item WHERE id = ?", (item_id,)).fetchone()
    return _item(row) if row else None


def _hinted(conn: sqlite3.Connection, exercise: str, since: float, until: float) -> bool:
    row = conn.execute("SELECT 1 FROM hint WHERE exercise = ? AND at > ? AND at <= ? LIMIT 1", (exercise, since, until)).fetchone()
    return row is not None


def record(conn: sqlite3.Connection, grading: Grading) -> list[ReviewDone]:
    """Create and review the items of ``grading``'s exercise, inside the caller's transaction."""
    existing = {r["part"]: r for r in conn.execute("SELECT * FROM review_item WHERE exercise = ?", (grading.exercise,))}
    failed = parts(grading)
    todo: list[tuple[sqlite3.Row | None, str, str, list[str]]] = []  # (row or None if new, part, rating, checks)
    for part, row in existing.items():
        current = _item(row)
        if grading.digest is not None and grading.digest == row["last_digest"]:
            continue  # the same code as its last review: nothing was done again
        passed = outcome(current, grading)
        if passed is None:
            continue
        since = current.last_passed if current.last_passed is not None else current.created
        rating = AGAIN if not passed else (HARD if _hinted(conn, grading.exercise, since, grading.at) else GOOD)
        more = [c for c in failed.get(part, ("", []))[1] if c not in current.checks]
        todo.append((row, part, rating, [*current.checks, *more]))
    for part, (_, checks) in failed.items():
        if part not in existing:
            todo.append((None, part, AGAIN, checks))
    if not todo:
        return []  # the common case for a learner who never fails: fsrs is not even imported
    done = []
    for row, part, rating, checks in todo:
        if row is None:
            card, due = schedule(None, AGAIN, grading.at, card_id=int(grading.at * 1000))
            cur = conn.execute(
                """INSERT INTO review_item (exercise, part, kind, checks, created, card, due, last_review, last_digest)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (grading.exercise, part, failed[part][0], json.dumps(checks), grading.at, json.dumps(card), due, grading.at, grading.digest),
            )
            item_id = int(cur.lastrowid or 0)
        else:
            item_id = row["id"]
            card, due = schedule(json.loads(row["card"]), rating, grading.at)
            conn.execute(
                """UPDATE review_item SET checks = ?, card = ?, due = ?, last_review = ?, last_digest = ?,
                       last_passed = CASE WHEN ? THEN ? ELSE last_passed END,
                       reviews = reviews + 1, lapses = lapses + ?
                   WHERE id = ?""",
                (json.dumps(checks), json.dumps(card), due, grading.at, grading.digest,
                 rating != AGAIN, grading.at, int(rating == AGAIN), item_id),
            )
        conn.execute(
            "INSERT INTO review (item, attempt, at, rating, due) VALUES (?, ?, ?, ?, ?)",
            (item_id, grading.attempt, grading.at, rating, due),
        )
        reviewed = item(conn, item_id)
        assert reviewed is not None
        done.append(ReviewDone(reviewed, rating, created=row is None))
    return done


def rebuild(conn: sqlite3.Connection) -> int:
    """Derive every item again from the gradings, in order, inside the caller's transaction.

    The same function as a live grading (:func:`record`) over the same rows: the result is
    the store's items as they were. Returns how many items there are.
    """
    conn.execute("DELETE FROM review")
    conn.execute("DELETE FROM review_item")
    checks: dict[int, list[tuple[str, str, str | None]]] = {}
    for r in conn.execute("SELECT attempt, name, status, misconception FROM attempt_check ORDER BY attempt, position"):
        checks.setdefault(r["attempt"], []).append((r["name"], r["status"], r["misconception"]))
    for a in conn.execute("SELECT * FROM attempt ORDER BY at, id").fetchall():
        # Without kept checks (an older grading), full marks is the score reaching the maximum.
        full = a["score"] >= a["max_score"]
        record(conn, Grading.of(a["exercise"], a["at"], full, checks.get(a["id"], []), a["digest"], a["id"], a["score"] > 0))
    return int(conn.execute("SELECT COUNT(*) FROM review_item").fetchone()[0])


# --- what is due -------------------------------------------------------------------------

# Due by its card, unless never passed while its exercise is still being worked on in the
# course (started, not solved, not given up): that exercise is where it gets fixed.
_DUE = """
SELECT r.* FROM review_item r LEFT JOIN exercise e ON e.id = r.exercise
WHERE NOT (
    r.last_passed IS NULL AND e.id IS NOT NULL AND e.attempts > 0
    AND e.first_solved IS NULL AND e.gave_up IS NULL
)
ORDER BY r.due, r.id
"""


def due(conn: sqlite3.Connection, now: float, *, exercises: Iterable[str] | None = None) -> list[Item]:
    """The items due at ``now``, most overdue first (only those of ``exercises`` when given)."""
    return [i for i in _waiting(conn, exercises) if i.due <= now]


def _waiting(conn: sqlite3.Connection, exercises: Iterable[str] | None) -> list[Item]:
    """Every item that becomes due by its card, soonest first."""
    keep = None if exercises is None else set(exercises)
    return [i for i in map(_item, conn.execute(_DUE)) if keep is None or i.exercise in keep]


def next_due(conn: sqlite3.Connection, now: float, *, exercises: Iterable[str] | None = None) -> Item | None:
    """The item that will be due soonest after ``now`` (for "nothing due; the next one in ...")."""
    return next((i for i in _waiting(conn, exercises) if i.due > now), None)


def count_due(conn: sqlite3.Connection, now: float, *, exercises: Iterable[str] | None = None) -> int:
    return len(due(conn, now, exercises=exercises))


def first_checks(conn: sqlite3.Connection, exercise: str, item_id: int | None, now: float) -> list[str]:
    """The checks a review's card lists first: the chosen item's, then those of the exercise's
    other due items."""
    ordered: list[str] = []
    chosen = item(conn, item_id) if item_id is not None else None
    rest = due(conn, now, exercises=[exercise])
    for it in ([chosen] if chosen is not None else []) + rest:
        ordered += [c for c in it.checks if c not in ordered]
    return ordered
