"""The gradebook: one SQLite file, one row per learner, exercise and attempt.

Beside the rows it keeps the files that were handed in but matched no exercise, with the
reason (replaced whole by each run, since they are found again every time), and exports them
too: the JSON's ``unmatched`` list, and CSV rows whose outcome is ``unmatched``.

A row's ``max_score`` is the points graded in it; the points of checks that were not run on the
grading machine (a speed check without a GPU) are its ``ungraded_points``, in no total (see
:mod:`grader.checking.results`). A gradebook written before that column existed is migrated when
opened: its rows are kept, each with its ungraded points taken out of its ``max_score``.

SQLite because it is embedded (nothing to run) and transactional: each graded submission
is committed on its own, so a crash or Ctrl-C loses at most the submissions in flight and
a rerun grades only what is missing. CSV and JSON are exports of it, written to a temporary
file and renamed into place, so neither is ever seen half-written.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from grader.checking.results import NOT_RUN, UNGRADED
from grader.errors import UsageError

FORMAT = "grade-gradebook/1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS grades (
    learner TEXT NOT NULL,
    exercise TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,        -- the points graded (those of the checks that ran)
    ungraded_points REAL NOT NULL DEFAULT 0,  -- the points of checks not run on the grading machine
    outcome TEXT NOT NULL,          -- full | partial | zero | error
    reason TEXT NOT NULL,
    checks TEXT NOT NULL,           -- JSON list of per-check results
    seconds REAL NOT NULL,
    source TEXT NOT NULL,           -- the staged folder that was graded (replay with --file)
    origin TEXT NOT NULL,           -- the learner's file it came from
    code_sha256 TEXT NOT NULL,
    code TEXT NOT NULL,
    graded_at TEXT NOT NULL,
    PRIMARY KEY (learner, exercise, attempt)
);
CREATE TABLE IF NOT EXISTS unmatched (
    attempt INTEGER NOT NULL,
    learner TEXT NOT NULL,
    file TEXT NOT NULL,             -- as handed in, from the submissions folder
    reason TEXT NOT NULL,           -- why no exercise was graded from it
    PRIMARY KEY (attempt, learner, file)
);
CREATE TABLE IF NOT EXISTS similarity (
    exercise TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    learner_a TEXT NOT NULL,
    learner_b TEXT NOT NULL,
    ratio REAL NOT NULL,
    PRIMARY KEY (exercise, attempt, learner_a, learner_b)
);
"""
CSV_FIELDS = (
    "learner", "exercise", "attempt", "seed", "score", "max_score", "ungraded_points", "outcome", "reason",
    "failed_checks", "misconceptions", "seconds", "similar_to", "replay",
)
WRONG_SECRET = (
    "{db} was graded with a different course secret, so its seeds would not match this run's. "
    "Use the secret it was made with (course.yaml's secret: or GRADE_SECRET), or a new --db."
)
UNMATCHED = "unmatched"  # the CSV outcome of a file no exercise was graded from
NOT_A_GRADEBOOK = "{path} is not a gradebook written by grade batch ({error})"


@dataclass
class Row:
    learner: str
    exercise: str
    attempt: int
    seed: int
    score: float
    max_score: float
    outcome: str
    reason: str
    checks: list[dict[str, Any]]
    seconds: float
    source: str
    origin: str
    code_sha256: str
    code: str
    ungraded_points: float = 0.0  # the points of checks not run on the grading machine: not in max_score
    graded_at: str = field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))

    @property
    def replay(self) -> str:
        return f"grade {self.exercise} --file {self.source} --seed {self.seed}"


class Gradebook:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(str(path), timeout=30)
            self.db.executescript(SCHEMA)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise UsageError(NOT_A_GRADEBOOK.format(path=path, error=exc)) from None

    def _migrate(self) -> None:
        """Bring a gradebook written by an older grader up to this schema, keeping every row."""
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(grades)")}
        if "ungraded_points" in columns:
            return
        # Before: max_score was the exercise's points, counting checks skipped on the grading
        # machine. Now their points are the row's ungraded_points, in no total.
        with self.db:
            self.db.execute("ALTER TABLE grades ADD COLUMN ungraded_points REAL NOT NULL DEFAULT 0")
            rows = self.db.execute("SELECT learner, exercise, attempt, max_score, checks FROM grades").fetchall()
            for learner, exercise, attempt, max_score, checks_json in rows:
                checks = json.loads(checks_json)
                not_run = [c for c in checks if c.get("status") in NOT_RUN]
                if not not_run:
                    continue
                for c in not_run:
                    c["status"] = UNGRADED
                ungraded = sum(float(c.get("max_score", 0.0)) for c in not_run)
                self.db.execute(
                    "UPDATE grades SET max_score = ?, ungraded_points = ?, checks = ?"
                    " WHERE learner = ? AND exercise = ? AND attempt = ?",
                    (max_score - ungraded, ungraded, json.dumps(checks), learner, exercise, attempt),
                )

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta ------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def bind_secret(self, fingerprint: str) -> None:
        """Remember which secret made the seeds; refuse to mix seeds from two secrets."""
        known = self.meta("secret_fingerprint")
        if known is None:
            self.set_meta("secret_fingerprint", fingerprint)
        elif known != fingerprint:
            raise UsageError(WRONG_SECRET.format(db=self.path))

    # -- rows --------------------------------------------------------------------------------
    def done(self) -> set[tuple[str, str, int]]:
        return {(r[0], r[1], r[2]) for r in self.db.execute("SELECT learner, exercise, attempt FROM grades")}

    def add(self, row: Row) -> None:
        data = asdict(row)
        data["checks"] = json.dumps(row.checks)
        columns = ", ".join(data)
        with self.db:  # one transaction per result: all of it is in the gradebook, or none
            self.db.execute(
                f"INSERT OR REPLACE INTO grades ({columns}) VALUES ({', '.join('?' * len(data))})",
                tuple(data.values()),
            )

    def rows(self, *, exercise: str | None = None, attempt: int | None = None) -> list[Row]:
        query, args = "SELECT * FROM grades", []
        where = []
        if exercise is not None:
            where.append("exercise = ?")
            args.append(exercise)
        if attempt is not None:
            where.append("attempt = ?")
            args.append(attempt)
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY learner, exercise, attempt"
        cursor = self.db.execute(query, args)
        names = [d[0] for d in cursor.description]
        out = []
        for values in cursor:
            data = dict(zip(names, values))
            data["checks"] = json.loads(data["checks"])
            out.append(Row(**data))
        return out

    def set_similarity(self, exercise: str, attempt: int, pairs: Iterable[tuple[str, str, float]]) -> None:
        with self.db:
            self.db.execute("DELETE FROM similarity WHERE exercise = ? AND attempt = ?", (exercise, attempt))
            self.db.executemany(
                "INSERT INTO similarity (exercise, attempt, learner_a, learner_b, ratio) VALUES (?, ?, ?, ?, ?)",
                [(exercise, attempt, a, b, ratio) for a, b, ratio in pairs],
            )

    def set_unmatched(self, attempt: int, items: Iterable[tuple[str, str, str]]) -> None:
        """The files of this attempt that matched no exercise: (learner, file, reason), replacing the last run's."""
        with self.db:
            self.db.execute("DELETE FROM unmatched WHERE attempt = ?", (attempt,))
            self.db.executemany(
                "INSERT OR REPLACE INTO unmatched (attempt, learner, file, reason) VALUES (?, ?, ?, ?)",
                [(attempt, learner, file, reason) for learner, file, reason in items],
            )

    def unmatched(self) -> list[dict[str, Any]]:
        cursor = self.db.execute("SELECT learner, attempt, file, reason FROM unmatched ORDER BY learner, attempt, file")
        return [dict(zip(("learner", "attempt", "file", "reason"), r)) for r in cursor]

    def similarity(self) -> list[dict[str, Any]]:
        cursor = self.db.execute("SELECT exercise, attempt, learner_a, learner_b, ratio FROM similarity ORDER BY ratio DESC, exercise, learner_a")
        return [dict(zip(("exercise", "attempt", "a", "b", "ratio"), r)) for r in cursor]

    # -- exports ----------------------------------------------------------------------------
    def _similar_to(self) -> dict[tuple[str, str, int], list[str]]:
        out: dict[tuple[str, str, int], list[str]] = {}
        for s in self.similarity():
            out.setdefault((s["a"], s["exercise"], s["attempt"]), []).append(s["b"])
            out.setdefault((s["b"], s["exercise"], s["attempt"]), []).append(s["a"])
        return out

    def export_json(self, path: Path, *, course: str = "") -> None:
        similar = self._similar_to()
        rows = []
        for r in self.rows():
            data = asdict(r)
            data.pop("code")
            data["replay"] = r.replay
            data["similar_to"] = sorted(similar.get((r.learner, r.exercise, r.attempt), []))
            rows.append(data)
        document = {
            "format": FORMAT,
            "course": course or (self.meta("course") or ""),
            "exported": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "rows": rows,
            "unmatched": self.unmatched(),
            "similarity": self.similarity(),
        }
        atomic_write(path, json.dumps(document, indent=1, ensure_ascii=False) + "\n")

    def export_csv(self, path: Path) -> None:
        similar = self._similar_to()
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for r in self.rows():
            failed = [c for c in r.checks if c.get("status") not in ("passed", *NOT_RUN)]
            writer.writerow({
                "learner": r.learner,
                "exercise": r.exercise,
                "attempt": r.attempt,
                "seed": r.seed,
                "score": f"{r.score:g}",
                "max_score": f"{r.max_score:g}",
                "ungraded_points": f"{r.ungraded_points:g}",
                "outcome": r.outcome,
                "reason": r.reason,
                "failed_checks": "; ".join(c["name"] for c in failed),
                "misconceptions": "; ".join(sorted({c["misconception"] for c in failed if c.get("misconception")})),
                "seconds": f"{r.seconds:.2f}",
                "similar_to": "; ".join(sorted(similar.get((r.learner, r.exercise, r.attempt), []))),
                "replay": r.replay,
            })
        for u in self.unmatched():  # handed in, not graded: the learner's file and why
            writer.writerow({"learner": u["learner"], "attempt": u["attempt"], "outcome": UNMATCHED, "reason": f"{u['file']}: {u['reason']}"})
        atomic_write(path, buffer.getvalue())


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_rows(path: Path) -> dict[str, Any]:
    """Read a JSON export (or a gradebook .sqlite directly): its ``rows`` and ``similarity``."""
    if path.suffix in (".sqlite", ".db", ".sqlite3"):
        if not path.is_file():
            raise UsageError(NOT_A_GRADEBOOK.format(path=path, error="no such file"))
        with Gradebook(path) as book, tempfile.TemporaryDirectory() as tmp:
            book.export_json(Path(tmp) / "grades.json")
            return json.loads((Path(tmp) / "grades.json").read_text(encoding="utf-8"))
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(NOT_A_GRADEBOOK.format(path=path, error=exc)) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise UsageError(NOT_A_GRADEBOOK.format(path=path, error=f"its 'format' is not {FORMAT}"))
    return document
