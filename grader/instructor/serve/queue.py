"""``grade serve``'s queue: durable intake, and the dispatcher that grades into the gradebook.

Changes when how a submission is kept, dispatched or recorded changes.

Intake (:meth:`Queue.accept`), before the 202 reply: the learner's files are written to
``spool/.incoming-<id>/`` and fsync'd, the attempt number is allocated, the folder is renamed
to ``spool/<id>/`` and the row (status ``queued``) is committed, all in one ``BEGIN IMMEDIATE``
transaction of ``queue.sqlite`` (WAL, ``synchronous=FULL``). A crash before the commit leaves a
folder with no row, removed at the next start; after it, the submission is kept.

Dispatch (:class:`Dispatcher`, a thread): queued rows are claimed (``grading``) and graded by
batch's :func:`~grader.instructor.batch.grade_task_full` in a local process pool, or on a Dask
cluster, with the same fail-closed isolation as ``grade batch``. A result is recorded in three
steps: the row and the whole grading into ``queue.sqlite``, then the row into the gradebook
(``INSERT OR REPLACE`` on learner, exercise and attempt: the same row twice is one row), then
``done``. At start, :meth:`Queue.recover` finishes what a crash interrupted: a submission whose
row was stored is put into the gradebook (again: idempotent) without being graded again; one
that was being graded is queued again. So every accepted submission ends in exactly one
gradebook row.

Seeds: the request's ``seed`` when given (a replay), else batch's :func:`derive_seed` from the
course secret (``GRADE_SECRET`` / course.yaml's ``secret:``; a course with none gets one made
for the service and kept in ``queue.sqlite``), the learner, the exercise and the attempt.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime as dt
import json
import multiprocessing
import os
import secrets
import shutil
import signal
import sqlite3
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.course import Course, Exercise
from grader.errors import IsolationMissing
from grader.grading.protocol import DONE, FAILED, GRADING, QUEUED
from grader.instructor.batch import Task, course_secret, derive_seed, died_row, grade_task_full, secret_fingerprint
from grader.instructor.gradebook import Gradebook, Row
from grader.instructor.serve.limits import queue_full
from grader.instructor.serve.state import QUEUE_DB, SPOOL

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY,
    learner TEXT NOT NULL,
    exercise TEXT NOT NULL,         -- the exercise's id
    attempt INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    status TEXT NOT NULL,           -- queued | grading | done | failed
    received TEXT NOT NULL,
    finished TEXT,
    not_before REAL NOT NULL DEFAULT 0,  -- time.time() before which it is not dispatched (waiting for a GPU worker)
    score REAL,
    max_score REAL,
    full_marks INTEGER,
    row TEXT,                       -- the gradebook row (JSON), stored before it goes into the gradebook
    result TEXT,                    -- the whole grading, ExerciseResult.to_json(instructor=True)
    error TEXT NOT NULL DEFAULT '', -- why the service could not grade it (status failed)
    UNIQUE (learner, exercise, attempt)
);
CREATE INDEX IF NOT EXISTS by_status ON submissions (status, received);
"""
INCOMING = ".incoming-"
RETRY_WAITING = 30.0  # seconds before a submission waiting for a GPU worker is tried again
STOP_GRACE = 30.0  # seconds a stopping service waits for the gradings in flight (each is bounded by its limits)
COLUMNS = ("id", "learner", "exercise", "attempt", "seed", "status", "received", "finished", "score", "max_score",
           "full_marks", "row", "result", "error")
LOG_FAILED = "grade serve: could not grade submission {id} ({learner}/{exercise}): {error}"


@dataclass(frozen=True)
class Submission:
    id: str
    learner: str
    exercise: str
    attempt: int
    seed: int
    status: str
    received: str
    finished: str | None = None
    score: float | None = None
    max_score: float | None = None
    full_marks: int | None = None
    row: str | None = None
    result: str | None = None
    error: str = ""

    def grading(self) -> dict[str, Any] | None:
        """The whole grading as stored (``ExerciseResult.to_json(instructor=True)``), once graded."""
        return json.loads(self.result) if self.result else None

    def gradebook_row(self) -> Row | None:
        return Row(**json.loads(self.row)) if self.row else None


@dataclass(frozen=True)
class Recovered:
    """What :meth:`Queue.recover` found at start."""

    requeued: int  # being graded (or failed) when the service stopped: graded again
    recorded: int  # graded, not yet marked done: put into the gradebook without grading again
    queued: int  # waiting, all told
    removed: int  # spool folders with no accepted submission (a crash before the commit)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True)
    folders = {folder}
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        folders.add(path.parent)
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    for each in sorted(folders, key=lambda p: -len(p.parts)):
        _fsync_dir(each)


class Queue:
    """The service's submissions (``queue.sqlite`` and ``spool/``) and the gradebook they end in.

    One connection, shared by the request threads and the dispatcher under a lock: every
    statement is short, and ``BEGIN IMMEDIATE`` serialises the writes that must not interleave."""

    def __init__(self, course: Course, state: Path, *, gradebook: Path, queue_size: int = 100,
                 require_isolation: bool = True) -> None:
        self.course = course
        self.spool = state / SPOOL
        self.spool.mkdir(parents=True, exist_ok=True)
        self.gradebook = gradebook
        self.queue_size = queue_size
        self.require_isolation = require_isolation
        self.listeners: list[Callable[[str], None]] = []  # called with a submission's id when it is done or failed
        self._lock = threading.RLock()
        self.db = sqlite3.connect(str(state / QUEUE_DB), timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a commit reported is a commit on disk
        self.db.executescript(SCHEMA)
        self.secret = course_secret(course, required=False) or self._own_secret()
        with Gradebook(gradebook) as book:
            book.bind_secret(secret_fingerprint(self.secret))
            book.set_meta("course", course.title)
            # Attempts go on after the gradebook's rows (a gradebook shared with grade batch keeps its rows).
            self._book_attempts: dict[tuple[str, str], int] = {}
            for learner, exercise, attempt in book.done():
                key = (learner, exercise)
                self._book_attempts[key] = max(attempt, self._book_attempts.get(key, 0))

    def _own_secret(self) -> str:
        with self._lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
            if row:
                return str(row[0])
            made = secrets.token_urlsafe(24)
            self.db.execute("INSERT INTO meta (key, value) VALUES ('secret', ?)", (made,))
            return made

    def close(self) -> None:
        with self._lock:
            self.db.close()

    # -- reading ---------------------------------------------------------------------------------
    def _select(self, where: str, args: tuple[Any, ...]) -> list[Submission]:
        with self._lock:
            rows = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM submissions WHERE {where}", args).fetchall()
        return [Submission(*r) for r in rows]

    def get(self, sid: str) -> Submission | None:
        found = self._select("id = ?", (sid,))
        return found[0] if found else None

    def of_learner(self, learner: str) -> list[Submission]:
        return self._select("learner = ? ORDER BY received, rowid", (learner,))

    def recent(self, limit: int = 200) -> list[Submission]:
        return self._select("1 ORDER BY received DESC, rowid DESC LIMIT ?", (limit,))

    def waiting(self) -> int:
        with self._lock:
            return int(self.db.execute("SELECT count(*) FROM submissions WHERE status IN (?, ?)", (QUEUED, GRADING)).fetchone()[0])

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self.db.execute("SELECT status, count(*) FROM submissions GROUP BY status").fetchall())

    # -- intake ----------------------------------------------------------------------------------
    def accept(self, learner: str, exercise: Exercise, files: dict[str, bytes], seed: int | None = None) -> Submission:
        """Keep a submission on disk and return it (queued); Rejected(503) when the queue is full."""
        sid = uuid.uuid4().hex
        incoming = self.spool / f"{INCOMING}{sid}"
        final = self.spool / sid
        _write_durably(incoming, files)
        try:
            with self._lock:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    waiting = self.db.execute("SELECT count(*) FROM submissions WHERE status IN (?, ?)", (QUEUED, GRADING)).fetchone()[0]
                    if waiting >= self.queue_size:
                        raise queue_full(waiting)
                    last = self.db.execute("SELECT max(attempt) FROM submissions WHERE learner = ? AND exercise = ?",
                                           (learner, exercise.id)).fetchone()[0] or 0
                    attempt = max(last, self._book_attempts.get((learner, exercise.id), 0)) + 1
                    used = seed if seed is not None else derive_seed(self.secret, learner, exercise.id, attempt)
                    received = _now()
                    os.rename(incoming, final)
                    _fsync_dir(self.spool)
                    self.db.execute(
                        "INSERT INTO submissions (id, learner, exercise, attempt, seed, status, received) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (sid, learner, exercise.id, attempt, used, QUEUED, received),
                    )
                    self.db.execute("COMMIT")
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)
            shutil.rmtree(incoming, ignore_errors=True)
            raise
        return Submission(sid, learner, exercise.id, attempt, used, QUEUED, received)

    # -- dispatch --------------------------------------------------------------------------------
    def claim(self, n: int) -> list[Submission]:
        """Up to ``n`` queued submissions, oldest first, now marked as being graded."""
        if n <= 0:
            return []
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                ids = [r[0] for r in self.db.execute(
                    "SELECT id FROM submissions WHERE status = ? AND not_before <= ? ORDER BY received, rowid LIMIT ?",
                    (QUEUED, time.time(), n))]
                self.db.executemany("UPDATE submissions SET status = ? WHERE id = ?", [(GRADING, i) for i in ids])
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        claimed = [self.get(i) for i in ids]
        return [s for s in claimed if s is not None]

    def task(self, sub: Submission) -> Task:
        """The batch task grading ``sub`` from its spool folder."""
        ex = self.course.resolve(sub.exercise)
        source = self.spool / sub.id
        main = ex.files.learner[0]
        code = (source / main).read_text(encoding="utf-8", errors="replace")
        return Task(sub.learner, ex, sub.attempt, sub.seed, source, main, code, require_isolation=self.require_isolation)

    def record(self, sid: str, row: Row, whole: dict[str, Any] | None) -> None:
        """Keep the grading, put its row into the gradebook, mark it done (see the module's docstring)."""
        with self._lock:
            self.db.execute(
                "UPDATE submissions SET row = ?, result = ?, score = ?, max_score = ?, full_marks = ? WHERE id = ?",
                (json.dumps(dataclasses.asdict(row)), json.dumps(whole) if whole is not None else None, row.score,
                 row.max_score, int(bool(whole and whole.get("full_marks"))), sid),
            )
        self._finish(sid, row)

    def _finish(self, sid: str, row: Row) -> None:
        with Gradebook(self.gradebook) as book:
            book.add(row)  # INSERT OR REPLACE on (learner, exercise, attempt): twice is once
        with self._lock:
            self.db.execute("UPDATE submissions SET status = ?, finished = ?, error = '' WHERE id = ?", (DONE, _now(), sid))
        self._tell(sid)

    def fail(self, sid: str, error: str) -> None:
        """The service could not grade it (its machine's fault): no row; graded again at the next start."""
        with self._lock:
            self.db.execute("UPDATE submissions SET status = ?, finished = ?, error = ? WHERE id = ?", (FAILED, _now(), error, sid))
        self._tell(sid)

    def requeue(self, sid: str, *, after: float = 0.0) -> None:
        with self._lock:
            self.db.execute("UPDATE submissions SET status = ?, not_before = ? WHERE id = ?", (QUEUED, time.time() + after, sid))

    def _tell(self, sid: str) -> None:
        for listener in list(self.listeners):
            try:
                listener(sid)
            except RuntimeError:  # the event loop is closing: nobody is waiting any more
                pass

    def recover(self) -> Recovered:
        """At start, before the dispatcher: finish what a stop or a crash left (module docstring)."""
        recorded = requeued = 0
        for sub in self._select("status IN (?, ?, ?)", (QUEUED, GRADING, FAILED)):
            row = sub.gradebook_row()
            if row is not None:
                self._finish(sub.id, row)
                recorded += 1
            elif sub.status != QUEUED:
                self.requeue(sub.id)
                requeued += 1
        with self._lock:
            known = {r[0] for r in self.db.execute("SELECT id FROM submissions")}
        removed = 0
        for entry in self.spool.iterdir():
            if entry.name.startswith(INCOMING) or (entry.is_dir() and entry.name not in known):
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
        return Recovered(requeued=requeued, recorded=recorded, queued=self.waiting(), removed=removed)


# --- executors --------------------------------------------------------------------------------


class Waiting(Exception):
    """The cluster cannot grade this submission yet (no GPU worker): tried again later."""


def _ignore_sigint() -> None:
    # Ctrl-C is the service's to handle: it lets the gradings in flight finish and records them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class LocalBackend:
    """Batch's local executor for a stream of tasks: a pool of ``jobs`` processes; a task whose pool
    died is graded again alone in a pool of its own (learner code that kills its process takes
    down a pool worker, never the service)."""

    def __init__(self, jobs: int) -> None:
        self.capacity = jobs
        self._pool = self._new(jobs)

    @staticmethod
    def _new(jobs: int) -> cf.ProcessPoolExecutor:
        # Spawned, never forked: a fork of the service would hold its listening socket (and its
        # threads' locks) for as long as the pool lives.
        return cf.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_sigint)

    def submit(self, task: Task, *, alone: bool = False) -> cf.Future[Any]:
        if alone:
            pool = self._new(1)
            future = pool.submit(grade_task_full, task)
            future.add_done_callback(lambda _f: pool.shutdown(wait=False))
            return future
        try:
            future = self._pool.submit(grade_task_full, task)
        except cf.process.BrokenProcessPool:
            self._pool = self._new(self.capacity)
            future = self._pool.submit(grade_task_full, task)
        future.pool = self._pool  # type: ignore[attr-defined]  # which pool to replace if this one dies
        return future

    def broken(self, future: cf.Future[Any]) -> None:
        """``future``'s pool died: the next task gets a fresh one (once, however many tasks it took down)."""
        if getattr(future, "pool", None) is self._pool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new(self.capacity)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskBackend:
    """Batch's Dask executor, one task at a time per thread, on one client kept for the service's life."""

    def __init__(self, *, scheduler: str | None, config: Path | None, jobs: int) -> None:
        from grader.instructor.dask_executor import DaskExecutor

        self.capacity = jobs
        self.client, self._close = DaskExecutor(scheduler=scheduler, config=config, jobs=jobs).connect()
        self._threads = cf.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade-serve-dask")

    def _one(self, task: Task) -> tuple[Row, dict[str, Any] | None]:
        from grader.instructor.dask_executor import DaskExecutor, grade_remote_full

        got: list[Any] = []
        runner = DaskExecutor(client=self.client, grade=grade_remote_full)  # type: ignore[arg-type]
        runner([task], got.append)
        if not got:
            raise Waiting(runner.waiting[0][2] if runner.waiting else "the cluster did not grade it")
        return got[0] if isinstance(got[0], tuple) else (got[0], None)  # a row alone: its workers kept dying

    def submit(self, task: Task, *, alone: bool = False) -> cf.Future[Any]:
        del alone  # Dask retries a task whose worker died on its own (see dask_executor)
        return self._threads.submit(self._one, task)

    def broken(self, future: cf.Future[Any]) -> None:
        pass

    def close(self) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)
        self._close()


Backend = LocalBackend | DaskBackend


class Dispatcher(threading.Thread):
    """Claims queued submissions while the backend has room, and records each grading as it ends."""

    POLL = 0.2

    def __init__(self, queue: Queue, backend: Backend) -> None:
        super().__init__(name="grade-serve-dispatcher", daemon=True)
        self.queue = queue
        self.backend = backend
        self.wake = threading.Event()
        self._stopping = threading.Event()
        self._grace = STOP_GRACE
        self._suspects: set[str] = set()  # graded when a pool died: the next try is alone

    def stop(self, *, grace: float = STOP_GRACE) -> None:
        """Take no more work; record what finishes within ``grace`` seconds; the rest is graded at the next start."""
        self._grace = grace
        self._stopping.set()
        self.wake.set()
        self.join(timeout=grace + 10)
        self.backend.close()

    def run(self) -> None:
        inflight: dict[cf.Future[Any], tuple[Submission, Task]] = {}
        while not self._stopping.is_set():
            try:
                self._step(inflight)
            except Exception:  # a bug or a disk error must not stop the grading for good: say it, go on
                traceback.print_exc()
                time.sleep(1.0)
        deadline = time.monotonic() + self._grace
        while inflight and time.monotonic() < deadline:
            done, _ = cf.wait(inflight, timeout=max(0.0, deadline - time.monotonic()), return_when=cf.FIRST_COMPLETED)
            for future in done:
                self._ended(future, *inflight.pop(future))

    def _step(self, inflight: dict[cf.Future[Any], tuple[Submission, Task]]) -> None:
        """Claim what fits, wait a moment for a grading to end, record those that did."""
        for sub in self.queue.claim(self.backend.capacity - len(inflight)):
            try:
                task = self.queue.task(sub)
                future = self.backend.submit(task, alone=sub.id in self._suspects)
            except Exception as exc:  # its spool folder is gone, the exercise left the course: say why
                self._failed(sub, f"{type(exc).__name__}: {exc}")
                continue
            inflight[future] = (sub, task)
        if not inflight:
            self.wake.wait(1.0)
            self.wake.clear()
            return
        done, _ = cf.wait(inflight, timeout=self.POLL, return_when=cf.FIRST_COMPLETED)
        for future in done:
            self._ended(future, *inflight.pop(future))

    def _ended(self, future: cf.Future[Any], sub: Submission, task: Task) -> None:
        try:
            row, whole = future.result()
        except cf.process.BrokenProcessPool:
            if sub.id in self._suspects:
                self.queue.record(sub.id, died_row(task), None)
                self._suspects.discard(sub.id)
            else:
                self._suspects.add(sub.id)
                self.backend.broken(future)
                self.queue.requeue(sub.id)
            return
        except Waiting as exc:
            print(f"grade serve: {sub.learner}/{sub.exercise} waits: {exc}", file=sys.stderr)
            self.queue.requeue(sub.id, after=RETRY_WAITING)
            return
        except cf.CancelledError:
            self.queue.requeue(sub.id)
            return
        except IsolationMissing as exc:
            self._failed(sub, str(exc))
            return
        except Exception as exc:  # a grader or cluster failure: the machine's, never the learner's
            self._failed(sub, f"{type(exc).__name__}: {exc}")
            return
        self._suspects.discard(sub.id)
        self.queue.record(sub.id, row, whole)

    def _failed(self, sub: Submission, error: str) -> None:
        print(LOG_FAILED.format(id=sub.id, learner=sub.learner, exercise=sub.exercise, error=error), file=sys.stderr)
        self.queue.fail(sub.id, error)
