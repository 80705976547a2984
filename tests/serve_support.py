"""A real ``grade serve`` for tests: started in a subprocess on a free loopback port, answered, stopped.

``running_server(course_root, *extra_args)`` is a context manager yielding ``(base_url,
instructor_token)``; ``add_token(course_root, name)`` puts a learner on its roster (the server
reads the roster on every request, so this works while it runs). ``start_server`` gives the
process itself, for tests that kill it.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from grader.grading.protocol import AUTH_HEADER, AUTH_SCHEME, SUBMISSION, SUBMIT, WHOAMI, ZIP_TYPE
from grader.instructor.serve.roster import INSTRUCTOR, LEARNER, course_roster
from grader.instructor.serve.state import GRADEBOOK, QUEUE_DB, SPOOL, STATE_DIR

from .instructor_support import EX, make_course

ROOT = Path(__file__).resolve().parents[1]
START_SECONDS = 90.0
# ex01's checks that serve_course() marks hidden, and the one it shows only after the due date.
HIDDEN = ("test_top_k_returns_the_most_similar_rows_first", "test_top_k_breaks_ties_towards_the_lower_index",
          "test_top_k_ranks_by_cosine_not_by_dot_product")
AFTER_DUE = "test_pairwise_works_for_single_rows"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def add_token(course_root: Path, name: str, *, instructor: bool = False, state: Path | None = None) -> str:
    """Issue ``name`` a token on the roster of the service for ``course_root``; returns it."""
    return course_roster(course_root, state).add(name, role=INSTRUCTOR if instructor else LEARNER)


def headers(token: str) -> dict[str, str]:
    return {AUTH_HEADER: f"{AUTH_SCHEME} {token}"}


def server_env() -> dict[str, str]:
    """The environment of ``python -m grader``: this checkout first on the path, no course or secret inherited."""
    env = {k: v for k, v in os.environ.items() if k not in ("GRADE_COURSE", "GRADE_SECRET")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


@dataclass
class ServerProcess:
    url: str
    token: str  # an instructor's
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group: the service, its pool and the sandbox workers it started there."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM (the service lets the gradings in flight finish), then SIGKILL what is left of the group."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def start_server(course_root: Path, *extra_args: str, token: str | None = None, log: Path | None = None) -> ServerProcess:
    """``grade serve`` on a free port of 127.0.0.1 in ``course_root``, once it answers."""
    token = token or add_token(course_root, f"instructor-{secrets.token_hex(4)}", instructor=True)
    port = free_port()
    log = log or course_root.parent / f"serve-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "grader", "serve", "--port", str(port), "--log-level", "warning", *extra_args],
            cwd=course_root, env=server_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = ServerProcess(f"http://127.0.0.1:{port}", token, process, log)
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"grade serve exited with status {process.returncode}:\n{server.output()}")
        try:
            if httpx.get(server.url + WHOAMI, headers=headers(token), timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"grade serve did not answer in {START_SECONDS:.0f} s:\n{server.output()}")
        time.sleep(0.1)


@contextlib.contextmanager
def running_server(course_root: Path, *extra_args: str) -> Iterator[tuple[str, str]]:
    """A running ``grade serve`` for ``course_root``: yields ``(base_url, instructor_token)``, stops it after."""
    server = start_server(course_root, *extra_args)
    try:
        yield server.url, server.token
    finally:
        server.stop()


def serve_course(root: Path, *, due: str = "2999-01-01") -> Path:
    """ex01 with the top-k checks hidden and one check shown only after a due date."""
    make_course(root)
    checks = root / "exercises" / EX / "checks" / "test_cosine.py"
    text = "from grader.checking import visibility\n" + checks.read_text()
    for name, level in [*((n, "hidden") for n in HIDDEN), (AFTER_DUE, "after_due_date")]:
        assert text.count(f"\ndef {name}(") == 1, f"ex01 has no check {name} any more: update serve_support"
        text = text.replace(f"\ndef {name}(", f"\n@visibility({level!r})\ndef {name}(")
    checks.write_text(text)
    with open(root / "course.yaml", "a") as f:
        f.write(f"due:\n  ex01: {due}\n")
    return root


# --- submitting ---------------------------------------------------------------------------------


def zipped(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def submit(url: str, token: str, exercise: str, archive: bytes, **params: Any) -> httpx.Response:
    return httpx.post(url + SUBMIT.format(exercise=exercise), content=archive, params=params,
                      headers={**headers(token), "Content-Type": ZIP_TYPE}, timeout=30)


def poll(url: str, token: str, sid: str, *, timeout: float = 120.0, **params: Any) -> dict[str, Any]:
    """The submission once graded (or failed); fails the test past ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        reply = httpx.get(url + SUBMISSION.format(id=sid), params={"wait": 10, **params}, headers=headers(token), timeout=30)
        reply.raise_for_status()
        data = reply.json()
        if data["status"] in ("done", "failed") or time.monotonic() > deadline:
            assert data["status"] in ("done", "failed"), f"still {data['status']} after {timeout:.0f} s"
            return data


# --- looking at the service's state -------------------------------------------------------------


def state_of(course_root: Path) -> Path:
    return course_root / STATE_DIR


def gradebook_rows(course_root: Path) -> list[tuple[Any, ...]]:
    path = state_of(course_root) / GRADEBOOK
    if not path.exists():
        return []
    with contextlib.closing(sqlite3.connect(str(path))) as db:
        return db.execute("SELECT learner, exercise, attempt, seed, score, graded_at FROM grades ORDER BY learner, exercise, attempt").fetchall()


def submissions(course_root: Path) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(str(state_of(course_root) / QUEUE_DB))) as db:
        return db.execute("SELECT id, learner, exercise, attempt, status FROM submissions ORDER BY received").fetchall()


def spool_entries(course_root: Path) -> list[str]:
    return sorted(p.name for p in (state_of(course_root) / SPOOL).iterdir())


def wait_idle(course_root: Path, timeout: float = 120.0) -> None:
    """Until nothing is queued or being graded."""
    deadline = time.monotonic() + timeout
    while any(s[4] in ("queued", "grading") for s in submissions(course_root)):
        assert time.monotonic() < deadline, "the service is still grading"
        time.sleep(0.1)
