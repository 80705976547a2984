"""The learner's progress: one small SQLite file per course.

Where: ``<course root>/.grade/progress.db``, or ``$GRADE_STATE_DIR/courses/<course key>/``
when that variable is set (one variable can serve several courses), or, when the course
folder is read-only, ``$XDG_DATA_HOME/grade/courses/<course key>/``.

Why SQLite: every change is one transaction, so a crash or Ctrl-C mid-write leaves the
previous state intact, and `grade watch` in one terminal and `grade ex07` in another can
write at once. A store that cannot be read (corrupt, or written by another version of
grade) is never a crash and never silently lost: it is moved aside under a name that is
reported, whatever can still be read is copied into a fresh store, and work goes on.

A store written by the previous format (1) is migrated in place, in one transaction: every
row is kept, the new tables are added, and the review items are derived from the gradings
already recorded (:mod:`grader.learner.review_items`). Review items are always derivable
from the gradings and hints, so a rebuilt store derives them again.

Every time here comes from :func:`current_time` unless a caller passes ``now``: tests
replace that one function to simulate a clock.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course import Course
from grader.course.wording import count

if TYPE_CHECKING:
    from grader.learner.review_items import ReviewDone

SCHEMA_VERSION = 2
DB_NAME = "progress.db"
STATE_FOLDER = ".grade"
BUSY_TIMEOUT_MS = 5000

STORE_REBUILT = (
    "your progress file {path} could not be used ({reason}). It was kept as {backup} "
    "and a new one was started; {salvage}"
)
SALVAGED = "everything that could still be read was copied into it ({records})."
NOT_SALVAGED = "nothing could be read from the old one."
STORE_UNAVAILABLE = "your progress could not be saved this time ({reason}); your grade is unaffected."

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS exercise (
    id TEXT PRIMARY KEY,
    first_opened REAL,
    first_solved REAL,
    best_score REAL,
    max_score REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    hints_taken INTEGER NOT NULL DEFAULT 0,
    gave_up REAL,
    last_graded REAL,
    last_score REAL,
    last_seed INTEGER
);
CREATE TABLE IF NOT EXISTS attempt (
    id INTEGER PRIMARY KEY,
    exercise TEXT NOT NULL,
    at REAL NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    seed INTEGER,
    seconds REAL,
    via TEXT NOT NULL,
    digest TEXT
);
CREATE TABLE IF NOT EXISTS drill (
    id INTEGER PRIMARY KEY,
    started REAL NOT NULL,
    minutes REAL NOT NULL,
    workspace TEXT NOT NULL,
    seed INTEGER,
    status TEXT NOT NULL,
    finished REAL
);
CREATE TABLE IF NOT EXISTS drill_problem (
    drill INTEGER NOT NULL,
    position INTEGER NOT NULL,
    exercise TEXT NOT NULL,
    folder TEXT NOT NULL,
    score REAL,
    max_score REAL,
    item INTEGER,
    PRIMARY KEY (drill, position)
);
CREATE TABLE IF NOT EXISTS attempt_check (
    attempt INTEGER NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    misconception TEXT,
    PRIMARY KEY (attempt, position)
);
CREATE TABLE IF NOT EXISTS hint (
    id INTEGER PRIMARY KEY,
    exercise TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS review_item (
    id INTEGER PRIMARY KEY,
    exercise TEXT NOT NULL,
    part TEXT NOT NULL,
    kind TEXT NOT NULL,
    checks TEXT NOT NULL,
    created REAL NOT NULL,
    card TEXT NOT NULL,
    due REAL NOT NULL,
    last_review REAL,
    last_passed REAL,
    last_digest TEXT,
    reviews INTEGER NOT NULL DEFAULT 0,
    lapses INTEGER NOT NULL DEFAULT 0,
    UNIQUE (exercise, part)
);
CREATE TABLE IF NOT EXISTS review (
    id INTEGER PRIMARY KEY,
    item INTEGER NOT NULL,
    attempt INTEGER,
    at REAL NOT NULL,
    rating TEXT NOT NULL,
    due REAL NOT NULL
);
"""
TABLES = ("meta", "exercise", "attempt", "drill", "drill_problem", "attempt_check", "hint", "review_item", "review")
# Derived from the others (review_items.rebuild): never salvaged, always derived again.
DERIVED = ("review_item", "review")

# Format 1 -> 2, run in one transaction with the CREATEs of SCHEMA (the new tables).
V1_TABLES = ("meta", "exercise", "attempt", "drill", "drill_problem")
FROM_V1 = (
    "ALTER TABLE attempt ADD COLUMN digest TEXT",
    "ALTER TABLE drill_problem ADD COLUMN item INTEGER",
)


class StoreUnavailable(Exception):
    """The store exists but cannot be used right now (locked, unwritable): never rebuilt."""


def current_time() -> float:
    """The clock of every record (epoch seconds); tests replace it to simulate time."""
    return time.time()


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


# --- where ---------------------------------------------------------------------------


def course_key(course: Course) -> str:
    """A readable, stable folder name for one course: its title and a hash of its path."""
    slug = re.sub(r"[^a-z0-9]+", "-", course.title.lower()).strip("-")[:40] or "course"
    return f"{slug}-{hashlib.sha256(str(course.root).encode()).hexdigest()[:10]}"


def data_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "grade"


def state_dir(course: Course) -> Path:
    env = os.environ.get("GRADE_STATE_DIR")
    if env:
        return Path(env).expanduser() / "courses" / course_key(course)
    return course.root / STATE_FOLDER


def fallback_state_dir(course: Course) -> Path:
    return data_home() / "courses" / course_key(course)


def drills_dir(course: Course) -> Path:
    """Drill workspaces: never inside the course tree, so a drill cannot touch course work."""
    env = os.environ.get("GRADE_STATE_DIR")
    base = Path(env).expanduser() if env else data_home()
    return base / "drills" / course_key(course)


# --- records -------------------------------------------------------------------------


@dataclass(frozen=True)
class ExerciseProgress:
    id: str
    first_opened: float | None = None
    first_solved: float | None = None
    best_score: float | None = None
    max_score: float | None = None
    attempts: int = 0
    hints_taken: int = 0
    gave_up: float | None = None
    last_graded: float | None = None
    last_score: float | None = None
    last_seed: int | None = None

    @property
    def solved(self) -> bool:
        return self.first_solved is not None

    @property
    def started(self) -> bool:
        return self.attempts > 0 or self.first_opened is not None


@dataclass(frozen=True)
class GradingRecord:
    before: ExerciseProgress
    after: ExerciseProgress
    reviews: tuple[ReviewDone, ...] = ()  # the review items this grading created or reviewed

    @property
    def first_solve(self) -> bool:
        return self.after.solved and not self.before.solved


@dataclass(frozen=True)
class DrillProblem:
    position: int
    exercise: str
    folder: str
    score: float | None
    max_score: float | None
    item: int | None = None  # the review item this problem was chosen for, if any


@dataclass(frozen=True)
class DrillGrading:
    """One problem of a drill as graded at hand-in: recorded as an attempt via 'drill'."""

    exercise: str
    score: float
    max_score: float
    full_marks: bool
    seed: int | None
    seconds: float | None
    checks: tuple[tuple[str, str, str | None], ...]  # (name, status, misconception) per check
    digest: str | None


@dataclass(frozen=True)
class Drill:
    id: int
    started: float
    minutes: float
    workspace: str
    seed: int | None
    status: str  # active | submitted | abandoned
    finished: float | None
    problems: tuple[DrillProblem, ...] = field(default_factory=tuple)

    @property
    def deadline(self) -> float:
        return self.started + self.minutes * 60

    @property
    def seconds_taken(self) -> float | None:
        return None if self.finished is None else self.finished - self.started

    @property
    def overtime(self) -> bool:
        return self.finished is not None and self.finished > self.deadline


# --- the store -----------------------------------------------------------------------


def _is_corruption(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
        return True
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text or "file is encrypted" in text


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we open every transaction ourselves (BEGIN IMMEDIATE).
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


class Store:
    """The progress of one course. Open with :meth:`open`; read ``notices`` and tell the learner."""

    def __init__(self, conn: sqlite3.Connection, path: Path, notices: list[str]) -> None:
        self.conn, self.path, self.notices = conn, path, notices

    @property
    def folder(self) -> Path:
        return self.path.parent

    # opening, checking, rebuilding

    @classmethod
    def open(cls, course: Course, folder: Path | None = None) -> Store:
        folder = folder or state_dir(course)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            if folder != state_dir(course) or os.environ.get("GRADE_STATE_DIR"):
                raise StoreUnavailable(f"cannot create {folder}") from None
            folder = fallback_state_dir(course)  # a read-only course folder
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(f"cannot create {folder}: {exc.strerror}") from None
        path = folder / DB_NAME
        notices: list[str] = []
        try:
            conn = _connect(path)
        except sqlite3.Error as exc:
            raise StoreUnavailable(str(exc)) from None
        try:
            problem = cls._problem(conn)
        except sqlite3.Error as exc:
            if not _is_corruption(exc):
                conn.close()
                raise StoreUnavailable(str(exc)) from None
            problem = f"it is damaged: {exc}"
        if problem:
            conn.close()
            conn = cls._rebuild(path, problem, notices)
        store = cls(conn, path, notices)
        store._set_meta(course)
        return store

    @staticmethod
    def _problem(conn: sqlite3.Connection) -> str | None:
        """Why this store cannot be used as it is, or None (creating the tables if new)."""
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            return f"it is damaged: {check}"
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version == 0 and not tables:
            conn.executescript(f"BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
            return None
        if version == SCHEMA_VERSION and set(TABLES) <= tables:
            return None
        if version == 1 and set(V1_TABLES) <= tables:
            Store._migrate_from_v1(conn)
            return None
        if version > SCHEMA_VERSION:
            return f"it was written by a newer version of grade (format {version}, this one reads {SCHEMA_VERSION})"
        return f"it is in an old or unknown format (format {version}, this one reads {SCHEMA_VERSION})"

    @staticmethod
    def _migrate_from_v1(conn: sqlite3.Connection) -> None:
        """Format 1 -> 2 in one transaction: all of it, or the old store untouched (rows all kept)."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Checked again inside the lock: another grade may have migrated while we waited.
            if conn.execute("PRAGMA user_version").fetchone()[0] == 1:
                for statement in (*FROM_V1, *_statements(SCHEMA)):
                    conn.execute(statement)
                Store._derive(conn)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _derive(conn: sqlite3.Connection) -> None:
        """Derive the review items from the gradings, inside the caller's transaction.

        Hints taken before this format have no time. One is dated at the exercise's first solve
        (hints are taken when stuck, before the solve), else at its last grading: the pass
        that solved it, or the next one, is a pass after a hint.
        """
        from grader.learner.review_items import rebuild

        conn.execute(
            """INSERT INTO hint (exercise, at)
               SELECT id, COALESCE(first_solved, last_graded, first_opened, 0) FROM exercise
               WHERE hints_taken > 0 AND id NOT IN (SELECT exercise FROM hint)"""
        )
        rebuild(conn)

    @staticmethod
    def _rebuild(path: Path, reason: str, notices: list[str]) -> sqlite3.Connection:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup = path.with_name(f"{path.stem}.{stamp}.bak{path.suffix}")
        n = 1
        while backup.exists():
            backup = path.with_name(f"{path.stem}.{stamp}-{n}.bak{path.suffix}")
            n += 1
        os.replace(path, backup)
        for suffix in ("-journal", "-wal", "-shm"):  # they belong to the old file
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.replace(side, backup.with_name(backup.name + suffix))
        conn = _connect(path)
        conn.executescript(f"BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
        rows = Store._salvage(conn, backup)
        conn.execute("BEGIN IMMEDIATE")
        try:
            Store._derive(conn)
            conn.execute("COMMIT")
        except sqlite3.Error:
            conn.execute("ROLLBACK")  # no review items this time; the gradings are kept
        salvage = SALVAGED.format(records=count(rows, "record")) if rows else NOT_SALVAGED
        notices.append(STORE_REBUILT.format(path=path, reason=reason, backup=backup.name, salvage=salvage))
        return conn

    @staticmethod
    def _salvage(conn: sqlite3.Connection, backup: Path) -> int:
        """Copy every readable row of every known table, column by column name."""
        total = 0
        try:
            conn.execute("ATTACH DATABASE ? AS old", (f"file:{backup}?mode=ro",))
        except sqlite3.Error:
            try:
                conn.execute("ATTACH DATABASE ? AS old", (str(backup),))
            except sqlite3.Error:
                return 0
        try:
            for table in TABLES:
                if table == "meta" or table in DERIVED:
                    continue
                try:
                    old_cols = {r[1] for r in conn.execute(f"PRAGMA old.table_info({table})")}
                    new_cols = [r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")]
                    cols = ", ".join(c for c in new_cols if c in old_cols)
                    if not cols:
                        continue
                    cur = conn.execute(f"INSERT OR IGNORE INTO main.{table} ({cols}) SELECT {cols} FROM old.{table}")
                    total += max(cur.rowcount, 0)
                except sqlite3.Error:
                    continue  # this table is unreadable or incompatible: the backup keeps it
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("DETACH DATABASE old")
        return total

    def _set_meta(self, course: Course) -> None:
        with self.transaction() as c:
            c.execute("INSERT OR IGNORE INTO meta VALUES ('created', ?)", (str(current_time()),))
            c.execute("INSERT OR REPLACE INTO meta VALUES ('course_title', ?)", (course.title,))
            c.execute("INSERT OR REPLACE INTO meta VALUES ('course_root', ?)", (str(course.root),))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: all of it lands, or none of it."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreUnavailable(str(exc)) from None
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                raise StoreUnavailable(str(exc)) from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # exercises

    def progress(self, exercise_id: str) -> ExerciseProgress:
        row = self.conn.execute("SELECT * FROM exercise WHERE id = ?", (exercise_id,)).fetchone()
        return ExerciseProgress(**dict(row)) if row else ExerciseProgress(id=exercise_id)

    def all_progress(self) -> dict[str, ExerciseProgress]:
        return {r["id"]: ExerciseProgress(**dict(r)) for r in self.conn.execute("SELECT * FROM exercise")}

    @staticmethod
    def _ensure(c: sqlite3.Connection, exercise_id: str, now: float) -> None:
        c.execute("INSERT OR IGNORE INTO exercise (id, first_opened) VALUES (?, ?)", (exercise_id, now))
        c.execute("UPDATE exercise SET first_opened = ? WHERE id = ? AND first_opened IS NULL", (now, exercise_id))

    def touch(self, exercise_id: str, *, now: float | None = None) -> None:
        """Note the first time the learner opened this exercise."""
        with self.transaction() as c:
            self._ensure(c, exercise_id, current_time() if now is None else now)

    @staticmethod
    def _insert_attempt(
        c: sqlite3.Connection,
        exercise_id: str,
        now: float,
        *,
        score: float,
        max_score: float,
        seed: int | None,
        seconds: float | None,
        via: str,
        checks: Sequence[tuple[str, str, str | None]],
        digest: str | None,
    ) -> int:
        cur = c.execute(
            "INSERT INTO attempt (exercise, at, score, max_score, seed, seconds, via, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (exercise_id, now, score, max_score, seed, seconds, via, digest),
        )
        attempt = int(cur.lastrowid or 0)
        c.executemany(
            "INSERT INTO attempt_check (attempt, position, name, status, misconception) VALUES (?, ?, ?, ?, ?)",
            [(attempt, i, name, status, mis) for i, (name, status, mis) in enumerate(checks)],
        )
        return attempt

    @staticmethod
    def _review(
        c: sqlite3.Connection,
        attempt: int,
        exercise_id: str,
        now: float,
        full_marks: bool,
        checks: Sequence[tuple[str, str, str | None]],
        digest: str | None,
    ) -> tuple[ReviewDone, ...]:
        """The review items' part of a grading (lazily: most gradings change no card)."""
        from grader.learner.review_items import Grading, record

        return tuple(record(c, Grading.of(exercise_id, now, full_marks, checks, digest, attempt)))

    def record_grading(
        self,
        exercise_id: str,
        *,
        score: float,
        max_score: float,
        full_marks: bool,
        seed: int | None = None,
        seconds: float | None = None,
        via: str = "check",
        checks: Sequence[tuple[str, str, str | None]] = (),
        digest: str | None = None,
        now: float | None = None,
    ) -> GradingRecord:
        """One grading of the learner's course work: progress, the attempt with its checks
        (name, status, misconception), and the review items it creates or reviews, at once."""
        now = current_time() if now is None else now
        with self.transaction() as c:
            before = self.progress(exercise_id)
            self._ensure(c, exercise_id, now)
            c.execute(
                """UPDATE exercise SET
                       attempts = attempts + 1,
                       best_score = MAX(COALESCE(best_score, ?), ?),
                       max_score = ?,
                       first_solved = COALESCE(first_solved, ?),
                       last_graded = ?, last_score = ?, last_seed = ?
                   WHERE id = ?""",
                (score, score, max_score, now if full_marks else None, now, score, seed, exercise_id),
            )
            attempt = self._insert_attempt(
                c, exercise_id, now, score=score, max_score=max_score, seed=seed, seconds=seconds, via=via, checks=checks, digest=digest
            )
            reviews = self._review(c, attempt, exercise_id, now, full_marks, checks, digest)
            after = self.progress(exercise_id)
        return GradingRecord(before, after, reviews)

    def take_hint(self, exercise_id: str, available: int, *, now: float | None = None) -> int:
        """Reveal one more hint (up to ``available``); returns how many are now taken."""
        now = current_time() if now is None else now
        with self.transaction() as c:
            self._ensure(c, exercise_id, now)
            c.execute("UPDATE exercise SET hints_taken = MIN(hints_taken + 1, ?) WHERE id = ?", (available, exercise_id))
            c.execute("INSERT INTO hint (exercise, at) VALUES (?, ?)", (exercise_id, now))
            return self.progress(exercise_id).hints_taken

    def hint_read(self, exercise_id: str, *, now: float | None = None) -> None:
        """A hint shown again (the last one, or --all): a pass after it is a pass after a hint."""
        now = current_time() if now is None else now
        with self.transaction() as c:
            self._ensure(c, exercise_id, now)
            c.execute("INSERT INTO hint (exercise, at) VALUES (?, ?)", (exercise_id, now))

    def give_up(self, exercise_id: str) -> None:
        with self.transaction() as c:
            now = current_time()
            self._ensure(c, exercise_id, now)
            c.execute("UPDATE exercise SET gave_up = COALESCE(gave_up, ?) WHERE id = ?", (now, exercise_id))

    def attempts(self, exercise_id: str, *, drills: bool = False) -> list[sqlite3.Row]:
        """The gradings of the learner's course work (with ``drills``, also those of drills)."""
        where = "" if drills else " AND via != 'drill'"
        return list(self.conn.execute(f"SELECT * FROM attempt WHERE exercise = ?{where} ORDER BY at, id", (exercise_id,)))

    # drills

    def start_drill(
        self,
        *,
        minutes: float,
        workspace: str,
        seed: int | None,
        problems: Sequence[tuple[str, str] | tuple[str, str, int | None]],
        now: float | None = None,
    ) -> Drill:
        """A new drill; each problem is (exercise, folder) or (exercise, folder, review item)."""
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO drill (started, minutes, workspace, seed, status) VALUES (?, ?, ?, ?, 'active')",
                (current_time() if now is None else now, minutes, workspace, seed),
            )
            drill_id = int(cur.lastrowid or 0)
            c.executemany(
                "INSERT INTO drill_problem (drill, position, exercise, folder, item) VALUES (?, ?, ?, ?, ?)",
                [(drill_id, i, p[0], p[1], p[2] if len(p) > 2 else None) for i, p in enumerate(problems)],
            )
        drill = self.drill(drill_id)
        assert drill is not None
        return drill

    def drill(self, drill_id: int) -> Drill | None:
        row = self.conn.execute("SELECT * FROM drill WHERE id = ?", (drill_id,)).fetchone()
        if row is None:
            return None
        problems = tuple(
            DrillProblem(r["position"], r["exercise"], r["folder"], r["score"], r["max_score"], r["item"])
            for r in self.conn.execute("SELECT * FROM drill_problem WHERE drill = ? ORDER BY position", (drill_id,))
        )
        return Drill(
            id=row["id"], started=row["started"], minutes=row["minutes"], workspace=row["workspace"],
            seed=row["seed"], status=row["status"], finished=row["finished"], problems=problems,
        )

    def active_drill(self) -> Drill | None:
        row = self.conn.execute("SELECT id FROM drill WHERE status = 'active' ORDER BY started DESC LIMIT 1").fetchone()
        return self.drill(row["id"]) if row else None

    def finish_drill(
        self,
        drill_id: int,
        scores: dict[int, tuple[float, float]],
        *,
        status: str = "submitted",
        finished: float | None = None,
        gradings: Sequence[DrillGrading] = (),
        now: float | None = None,
    ) -> tuple[Drill, tuple[ReviewDone, ...]]:
        """Close a drill with its scores; its ``gradings`` are recorded as attempts (not course
        progress) and reviewed against the review items, all in one transaction, at ``now``."""
        now = current_time() if now is None else now
        reviews: list[ReviewDone] = []
        with self.transaction() as c:
            c.execute("UPDATE drill SET status = ?, finished = ? WHERE id = ?", (status, finished or now, drill_id))
            c.executemany(
                "UPDATE drill_problem SET score = ?, max_score = ? WHERE drill = ? AND position = ?",
                [(s, m, drill_id, pos) for pos, (s, m) in scores.items()],
            )
            for g in gradings:
                attempt = self._insert_attempt(
                    c, g.exercise, now, score=g.score, max_score=g.max_score, seed=g.seed, seconds=g.seconds,
                    via="drill", checks=g.checks, digest=g.digest,
                )
                reviews += self._review(c, attempt, g.exercise, now, g.full_marks, g.checks, g.digest)
        drill = self.drill(drill_id)
        assert drill is not None
        return drill, tuple(reviews)

    def drills(self) -> list[Drill]:
        ids = [r["id"] for r in self.conn.execute("SELECT id FROM drill ORDER BY started, id")]
        return [d for d in (self.drill(i) for i in ids) if d is not None]

    def drilled(self) -> dict[str, bool]:
        """Every exercise ever drilled: True if some drill earned it full marks."""
        out: dict[str, bool] = {}
        for r in self.conn.execute("SELECT exercise, score, max_score FROM drill_problem"):
            full = r["score"] is not None and r["max_score"] is not None and r["score"] >= r["max_score"]
            out[r["exercise"]] = out.get(r["exercise"], False) or full
        return out
