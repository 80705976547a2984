"""Who may use ``grade serve``: one random token per learner or instructor, stored only as a hash.

Changes when how a token is issued, stored or checked changes. A token is
``secrets.token_urlsafe(32)`` (256 random bits), shown once when it is issued and never
stored: the roster (``roster.sqlite`` in the service's state folder) keeps its SHA-256, which
is enough for a token of that entropy (nothing to guess from), and compares digests with
``hmac.compare_digest``. A name has one live token at a time; revoking it ends it at once
(the service reads the roster on every request), and adding the name again issues a new one.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError
from grader.grading.protocol import INSTRUCTOR, LEARNER
from grader.instructor.serve.state import ROSTER_DB, state_dir

SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,             -- learner | instructor
    token_sha256 TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    revoked TEXT                    -- when it was revoked; NULL while it works
);
"""
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")  # as batch names learners: safe in paths and gradebooks
BAD_NAME = (
    "{name!r} cannot be a name on the roster: use letters, digits and . _ @ + - (at most 64, starting with a "
    "letter or digit), e.g. an email address or a student id"
)
ALREADY = "{name} already has a token that works. To issue a new one: grade roster revoke {name}, then grade roster add {name}"
NOT_ON_ROSTER = "{name} is not on the roster (grade roster list shows who is)"
ALREADY_REVOKED = "{name}'s token was already revoked on {when}"
NO_NAMES = "{path} names nobody: expected one name per line, or a CSV file with a 'name' column"
UNREADABLE = "{path} could not be read as a CSV file ({error})"


@dataclass(frozen=True)
class Member:
    name: str
    role: str
    created: str
    revoked: str | None = None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Roster:
    """The tokens in ``path`` (SQLite). Safe to share between threads: every call takes its own connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path), timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def add(self, name: str, *, role: str = LEARNER) -> str:
        """Issue ``name`` a new token and return it (the only time it exists outside the learner's hands)."""
        if not NAME.match(name):
            raise UsageError(BAD_NAME.format(name=name))
        token = secrets.token_urlsafe(32)
        db = self._connect()
        try:
            with db:
                row = db.execute("SELECT revoked FROM tokens WHERE name = ?", (name,)).fetchone()
                if row is not None and row[0] is None:
                    raise UsageError(ALREADY.format(name=name))
                db.execute(
                    "INSERT OR REPLACE INTO tokens (name, role, token_sha256, created, revoked) VALUES (?, ?, ?, ?, NULL)",
                    (name, role, token_hash(token), _now()),
                )
        finally:
            db.close()
        return token

    def add_many(self, names: list[str], *, role: str = LEARNER) -> tuple[list[tuple[str, str]], list[str]]:
        """Tokens for each name without a working one: ([(name, token)], [names skipped, holding one])."""
        for name in names:
            if not NAME.match(name):
                raise UsageError(BAD_NAME.format(name=name))  # before any token is issued: all or nothing
        issued, skipped = [], []
        for name in dict.fromkeys(names):
            try:
                issued.append((name, self.add(name, role=role)))
            except UsageError:
                skipped.append(name)
        return issued, skipped

    def revoke(self, name: str) -> None:
        db = self._connect()
        try:
            with db:
                row = db.execute("SELECT revoked FROM tokens WHERE name = ?", (name,)).fetchone()
                if row is None:
                    raise UsageError(NOT_ON_ROSTER.format(name=name))
                if row[0] is not None:
                    raise UsageError(ALREADY_REVOKED.format(name=name, when=row[0]))
                db.execute("UPDATE tokens SET revoked = ? WHERE name = ?", (_now(), name))
        finally:
            db.close()

    def members(self) -> list[Member]:
        db = self._connect()
        try:
            rows = db.execute("SELECT name, role, created, revoked FROM tokens ORDER BY role DESC, name").fetchall()
        finally:
            db.close()
        return [Member(*r) for r in rows]

    def authenticate(self, token: str) -> Member | None:
        """Who holds ``token``, if it is on the roster and not revoked."""
        if not token or len(token) > 512:
            return None
        return self.member_by_hash(token_hash(token))

    def member_by_hash(self, digest: str) -> Member | None:
        """Who holds the token whose SHA-256 is ``digest`` (a browser session keeps only that), if not revoked."""
        db = self._connect()
        try:
            row = db.execute(
                "SELECT name, role, created, revoked, token_sha256 FROM tokens WHERE token_sha256 = ?", (digest,)
            ).fetchone()
        finally:
            db.close()
        if row is None or row[3] is not None or not hmac.compare_digest(row[4], digest):
            return None
        return Member(row[0], row[1], row[2])


def course_roster(course_root: Path, state: Path | None = None) -> Roster:
    """The roster of the service for the course at ``course_root`` (``state``: its ``--state`` folder)."""
    return Roster(state_dir(course_root, state) / ROSTER_DB)


def names_from_csv(path: Path) -> list[str]:
    """The names in a roster file: a CSV with a ``name`` column (any case), else the first column."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if any(cell.strip() for cell in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(UNREADABLE.format(path=path, error=exc)) from None
    if not rows:
        raise UsageError(NO_NAMES.format(path=path))
    header = [cell.strip().lower() for cell in rows[0]]
    column = header.index("name") if "name" in header else 0
    body = rows[1:] if "name" in header else rows
    names = [r[column].strip() for r in body if len(r) > column and r[column].strip()]
    if not names:
        raise UsageError(NO_NAMES.format(path=path))
    return names


__all__ = ["Roster", "Member", "course_roster", "names_from_csv", "token_hash", "INSTRUCTOR", "LEARNER"]
