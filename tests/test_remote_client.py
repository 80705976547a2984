"""The learner's side of the grading service (issue 17): grade login, grade exNN and grade list
with a course that names a server, and grade publish writing that server into the bundle.

The server here is a small fake that follows grader/grading/protocol.py (http.server in a
thread): each test sets what it answers and reads what it was sent. The end-to-end test against
the real ``grade serve`` is at the end, when tests/serve_support.py exists.
"""

from __future__ import annotations

import io
import json
import os
import re
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner, Result

from grader.cli import main
from grader.course import load_course
from grader.grading import protocol
from grader.learner import remote
from grader.learner.attempt import LOCAL_ONLY
from grader.learner.store import Store

from .conftest import one_exercise_course
from .helpers import learner_environment

ROOT = Path(__file__).resolve().parents[1]
FOLDER = "ex01_cosine_similarity"
STUB = (ROOT / "exercises" / FOLDER / "cosine.py").read_text()
GOOD, OTHER = "good-token-123", "other-token-456"
ARCHIVE = remote.zip_bytes([("cosine.py", b"x = 1\n")])
SERVER_CARD = "ex01 · Cosine similarity   20/20  (graded on the server)\n  ✓ hidden check 1   3/3\nFull marks."


def _pattern(template: str) -> re.Pattern[str]:
    """A protocol path with its {fields} as named groups."""
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("^" + "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts)) + "$")


SUBMIT_RE, SUBMISSION_RE = _pattern(protocol.SUBMIT), _pattern(protocol.SUBMISSION)


def server_result(score: float = 20.0, max_score: float = 20.0) -> dict[str, Any]:
    """A result as ExerciseResult.to_json() gives it: one visible check, one hidden one (points and pass/fail)."""
    hidden = 3.0 if score >= max_score else 0.0
    return {
        "exercise": "ex01", "title": "Cosine similarity", "score": score, "max_score": max_score, "ungraded_points": 0.0,
        "full_marks": score >= max_score, "seed": 11, "execution_time": 0.5, "file": "cosine.py", "notes": [],
        "import_failure": "", "isolation": {},
        "tests": [
            {"name": "visible check", "id": "test_visible", "score": score - hidden, "max_score": max_score - 3,
             "status": "passed" if score >= max_score else "failed", "output": "", "visibility": "visible",
             "misconception": None, "misconceptions": [], "seconds": 0.1},
            {"name": "hidden check 1", "id": "hidden-1", "score": hidden, "max_score": 3.0,
             "status": "passed" if hidden else "failed", "output": "", "visibility": "hidden",
             "misconception": None, "misconceptions": [], "seconds": 0.1},
        ],
    }


@dataclass
class Fake:
    """What the fake service answers, and what it was asked."""

    tokens: dict[str, tuple[str, str]] = field(default_factory=lambda: {GOOD: ("Ada", "learner"), OTHER: ("Bob", "learner")})
    requests: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    # (status, JSON body, headers) answered to every request of that kind instead of the normal answer
    refuse: dict[str, tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=dict)
    polls_before_done: int = 1  # "queued" this many times first: the client must poll again
    final_status: str = protocol.DONE
    card: str = SERVER_CARD
    result: dict[str, Any] = field(default_factory=server_result)
    scores: dict[str, Any] = field(default_factory=lambda: {"ex01": {"best": 17.0, "max": 20.0, "attempts": 4, "full_marks": False}})
    polls: int = 0
    url: str = ""


def _handler(fake: Fake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            auth = self.headers.get(protocol.AUTH_HEADER, "")
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else b""
            fake.requests.append({"method": method, "path": url.path, "query": query, "auth": auth})
            kind = (
                "whoami" if url.path == protocol.WHOAMI else "scores" if url.path == protocol.SCORES
                else "submit" if SUBMIT_RE.match(url.path) else "poll" if SUBMISSION_RE.match(url.path) else None
            )
            if kind is None:
                return self._reply(404, {"error": "no such address"})
            if kind in fake.refuse:
                return self._reply(*fake.refuse[kind])
            token = auth.removeprefix(protocol.AUTH_SCHEME + " ")
            if token not in fake.tokens:
                return self._reply(401, {"error": "unknown token"})
            name, role = fake.tokens[token]
            if kind == "whoami":
                return self._reply(200, {"name": name, "role": role})
            if kind == "scores":
                return self._reply(200, {"name": name, "exercises": fake.scores})
            if kind == "submit":
                exercise = SUBMIT_RE.match(url.path)["exercise"]  # type: ignore[index]
                try:
                    with zipfile.ZipFile(io.BytesIO(body)) as z:
                        files = {n: z.read(n) for n in z.namelist()}
                except zipfile.BadZipFile:
                    return self._reply(400, {"error": "not a zip archive"})
                fake.uploads.append({"exercise": exercise, "files": files, "seed": query.get("seed"),
                                     "type": self.headers.get("Content-Type")})
                sid = f"s{len(fake.uploads)}"
                return self._reply(202, {"id": sid, "status": protocol.QUEUED, "poll": protocol.SUBMISSION.format(id=sid)})
            fake.polls += 1
            sid = SUBMISSION_RE.match(url.path)["id"]  # type: ignore[index]
            if fake.polls <= fake.polls_before_done:
                return self._reply(200, {"id": sid, "exercise": "ex01", "status": protocol.QUEUED, "attempt": 1, "card": None, "result": None})
            if fake.final_status == protocol.FAILED:
                return self._reply(200, {"id": sid, "exercise": "ex01", "status": protocol.FAILED, "attempt": 1, "card": None,
                                         "result": None, "error": "the grader crashed"})
            return self._reply(200, {"id": sid, "exercise": "ex01", "status": protocol.DONE, "attempt": 1,
                                     "card": fake.card, "result": fake.result})

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    return Handler


@pytest.fixture
def fake() -> Iterator[Fake]:
    state = Fake()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """An address where nothing listens: the connection is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def course_with_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str | None, *, extra: str = "") -> Path:
    root = one_exercise_course(tmp_path / "course", title="Served course")
    if server:
        with open(root / "course.yaml", "a") as f:
            f.write(f"server: {server}\n{extra}")
    learner_environment(monkeypatch, tmp_path, root)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv(protocol.TOKEN_ENV, raising=False)
    return root


def grade(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def attempts(root: Path) -> list[sqlite3.Row]:
    with Store.open(load_course(root)) as store:
        return store.attempts("ex01")


# --- grade exNN with a server ------------------------------------------------------


def test_grade_says_the_local_result_at_once_then_prints_the_servers_card_and_exits_by_it(tmp_path, monkeypatch, fake):
    root = course_with_server(tmp_path, monkeypatch, fake.url)
    monkeypatch.setenv(protocol.TOKEN_ENV, GOOD)
    result = grade("ex01", "--seed", "5")
    assert result.exit_code == 0, result.output  # the stub fails here; the server's full marks decide
    out = result.output
    local = out.index("ex01 on this machine: 0 of 11 checks passed (0/20). Grading every check on 127.0.0.1")
    assert out.index(SERVER_CARD) > local
    assert "could not be reached" not in out and GOOD not in out
    (upload,) = fake.uploads
    assert upload["exercise"] == "ex01" and upload["seed"] == "5" and upload["type"] == protocol.ZIP_TYPE
    assert upload["files"] == {"cosine.py": (root / "exercises" / FOLDER / "cosine.py").read_bytes()}
    assert fake.polls == 2  # queued once, then done
    assert {r["auth"] for r in fake.requests} == {f"Bearer {GOOD}"}
    assert all(r["query"].get("wait") for r in fake.requests if r["method"] == "GET")
    (row,) = attempts(root)  # the server's grading is the one recorded
    assert row["via"] == "server" and row["score"] == 20 and row["max_score"] == 20
    with Store.open(load_course(root)) as store:
        assert store.progress("ex01").solved


def test_grade_json_prints_the_servers_result_and_a_partial_score_exits_1(tmp_path, monkeypatch, fake):
    course_with_server(tmp_path, monkeypatch, fake.url)
    monkeypatch.setenv(protocol.TOKEN_ENV, GOOD)
    fake.result = server_result(score=12.0)
    result = grade("ex01", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == fake.result  # the local line went to stderr
    assert "ex01 on this machine" in result.stderr


def test_an_unreachable_server_leaves_the_local_card_and_one_line(tmp_path, monkeypatch):
    root = course_with_server(tmp_path, monkeypatch, closed_port_url())
    monkeypatch.setenv(protocol.TOKEN_ENV, GOOD)
    result = grade("ex01")
    assert result.exit_code == 1
    out = result.output
    assert "ex01 · Cosine similarity" in out and "0/20" in out  # the local card, whole
    notes = [line for line in out.splitlines() if "could not be reached" in line]
    assert len(notes) == 1 and "connection refused" in notes[0]
    assert LOCAL_ONLY in notes[0]
    (row,) = attempts(root)
    assert row["via"] == "check"  # the local grading is recorded instead


def test_a_refused_token_says_to_run_grade_login_under_the_local_card(tmp_path, monkeypatch, fake):
    course_with_server(tmp_path, monkeypatch, fake.url)
    monkeypatch.setenv(protocol.TOKEN_ENV, "not-a-known-token")
    result = grade("ex01")
    assert result.exit_code == 1
    assert "did not accept your token: run grade login" in result.output
    assert "ex01 · Cosine similarity" in result.output and fake.uploads == []


def test_not_logged_in_sends_nothing_and_says_how_to_log_in(tmp_path, monkeypatch, fake):
    course_with_server(tmp_path, monkeypatch, fake.url)
    result = grade("ex01")
    assert result.exit_code == 1
    assert "You are not logged in to 127.0.0.1" in result.output and "grade login" in result.output
    assert "Grading every check on" not in result.output  # known before grading: no promise of a server card
    assert fake.requests == []


def test_local_makes_no_request(tmp_path, monkeypatch, fake):
    course_with_server(tmp_path, monkeypatch, fake.url)
    monkeypatch.setenv(protocol.TOKEN_ENV, GOOD)
    result = grade("ex01", "--local")
    assert result.exit_code == 1
    assert fake.requests == []
    assert "on this machine" not in result.output and "ex01 · Cosine similarity" in result.output


# --- each refusal, one line ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "headers", "kind_said", "words"),
    [
        ("submit", 401, {}, "unauthorized", "did not accept your token: run grade login"),
        ("submit", 404, {}, "unknown", "does not know ex01"),
        ("submit", 413, {}, "too_large", "too large for 127.0.0.1"),
        ("submit", 429, {"Retry-After": "30"}, "too_many", "try again in 30 s"),
        ("submit", 503, {"Retry-After": "120"}, "busy", "try again in about 2 minutes"),
        ("submit", 500, {}, "server", "failed (500)"),
        ("submit", 302, {"Location": "https://elsewhere.example/"}, "protocol", "redirect to https://elsewhere.example/"),
        ("poll", 404, {}, "unknown", "no longer knows submission s1"),
        ("poll", 503, {}, "busy", "try again in a few minutes"),
    ],
)
def test_each_refusal_is_one_line_for_the_learner(fake, kind, status, headers, kind_said, words):
    fake.refuse[kind] = (status, {"error": "told by the server"}, headers)
    with remote.Client(fake.url, GOOD) as client, pytest.raises(remote.RemoteError) as err:
        sid = client.submit("ex01", ARCHIVE, names=["cosine.py"])
        client.wait(sid, exercise="ex01", total=5)
    assert err.value.kind == kind_said and words in err.value.line
    assert "\n" not in err.value.line and GOOD not in err.value.line
    if status == 413:
        assert "cosine.py" in err.value.line and "told by the server" in err.value.line


def test_a_failed_grading_and_a_grading_still_queued_are_said(fake):
    fake.final_status = protocol.FAILED
    with remote.Client(fake.url, GOOD) as client, pytest.raises(remote.RemoteError) as err:
        client.wait(client.submit("ex01", ARCHIVE), exercise="ex01", total=5)
    assert err.value.kind == "failed" and "the grader crashed" in err.value.line
    fake.polls_before_done = 10**6
    with remote.Client(fake.url, GOOD) as client, pytest.raises(remote.RemoteError) as err:
        client.wait(client.submit("ex01", ARCHIVE), exercise="ex01", total=1.0)
    assert err.value.kind == "pending" and "has your submission (s2)" in err.value.line


def test_a_server_that_is_not_a_grading_service_is_named(fake):
    with remote.Client(fake.url + "/not-here", GOOD) as client, pytest.raises(remote.RemoteError) as err:
        client.whoami()
    assert err.value.kind == "protocol" and "does not look like a grading service" in err.value.line


def test_the_servers_card_keeps_colours_and_loses_other_escapes():
    card = "\x1b[32m✓\x1b[0m ok\x1b]0;owned\x07 line\r\nnext\x1b[2J"
    assert remote.safe_text(card) == "\x1b[32m✓\x1b[0m ok]0;owned line\nnext[2J"


def test_the_servers_result_is_recorded_with_the_same_totals():
    from grader.checking.results import CheckResult, ExerciseResult

    result = ExerciseResult("ex01", "Cosine similarity", 3, 20.0, [
        CheckResult("a", "t_a", 15.0, 15.0, "passed"), CheckResult("b", "t_b", 0.0, 3.0, "failed", misconception="m"),
        CheckResult("gpu", "t_gpu", 0.0, 2.0, "skipped", output="needs a GPU"),
    ])
    back = ExerciseResult.from_json(json.loads(json.dumps(result.to_json())))
    assert (back.score, back.graded_max, back.ungraded_points, back.full_marks) == (15.0, 18.0, 2.0, False)
    assert [(c.name, c.status, c.misconception) for c in back.checks] == [
        ("a", "passed", None), ("b", "failed", "m"), ("gpu", "skipped", None)]


# --- the token: grade login ---------------------------------------------------------


def test_login_checks_the_token_and_keeps_it_for_its_owner_only(tmp_path, monkeypatch, fake):
    course_with_server(tmp_path, monkeypatch, fake.url)
    result = grade("login", input=GOOD + "\n")
    assert result.exit_code == 0, result.output
    assert "Logged in to 127.0.0.1" in result.output and "as Ada" in result.output
    assert GOOD not in result.output  # the prompt does not echo it, and nothing prints it
    path = tmp_path / "config" / "grade" / "tokens.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text()) == {fake.url: GOOD}
    assert [r["path"] for r in fake.requests] == [protocol.WHOAMI]

    forgotten = grade("login", "--forget")
    assert forgotten.exit_code == 0 and "Forgot your token" in forgotten.output
    assert json.loads(path.read_text()) == {}


def test_login_with_a_wrong_token_refuses_and_keeps_nothing(tmp_path, monkeypatch, fake):
    course_with_server(tmp_path, monkeypatch, fake.url)
    result = grade("login", "--token", "wrong-token")
    assert result.exit_code == 2
    assert "did not accept that token" in result.output and "Nothing was kept" in result.output
    assert "wrong-token" not in result.output
    assert not (tmp_path / "config" / "grade" / "tokens.json").exists()


def test_login_to_an_unreachable_server_keeps_nothing(tmp_path, monkeypatch):
    course_with_server(tmp_path, monkeypatch, closed_port_url())
    result = grade("login", "--token", GOOD)
    assert result.exit_code == 2 and "could not be reached" in result.output and "Nothing was kept" in result.output
    assert not (tmp_path / "config" / "grade").exists()


def test_login_in_a_course_without_a_server_says_there_is_none(tmp_path, monkeypatch):
    course_with_server(tmp_path, monkeypatch, None)
    result = grade("login", "--token", GOOD)
    assert result.exit_code == 2 and "no grading service" in result.output


def test_grade_token_wins_over_the_kept_token(tmp_path, monkeypatch, fake):
    course_with_server(tmp_path, monkeypatch, fake.url)
    remote.save_token(fake.url, OTHER)
    assert grade("list").exit_code == 0
    monkeypatch.setenv(protocol.TOKEN_ENV, GOOD)
    assert grade("list").exit_code == 0
    assert [r["auth"] for r in fake.requests] == [f"Bearer {OTHER}", f"Bearer {GOOD}"]


# --- grade list ---------------------------------------------------------------------


def test_list_shows_the_servers_best_scores_and_says_so(tmp_path, monkeypatch, fake):
    course_with_server(tmp_path, monkeypatch, fake.url)
    monkeypatch.setenv(protocol.TOKEN_ENV, GOOD)
    result = grade("list")
    assert result.exit_code == 0, result.output
    assert "best (server)" in result.output and "17/20" in result.output and "started" in result.output
    fake.scores["ex01"].update(best=20.0, full_marks=True)
    solved = grade("list", "--json")
    data = json.loads(solved.output)
    assert data["scores_from"] == fake.url and data["exercises"][0]["best_score"] == 20.0
    assert data["exercises"][0]["status"] == "solved"


def test_list_with_an_unreachable_server_shows_this_machines_scores_and_one_line(tmp_path, monkeypatch):
    course_with_server(tmp_path, monkeypatch, closed_port_url())
    monkeypatch.setenv(protocol.TOKEN_ENV, GOOD)
    result = grade("list")
    assert result.exit_code == 0
    assert "best (server)" not in result.output and "best" in result.output
    notes = [line for line in result.output.splitlines() if "could not be reached" in line]
    assert len(notes) == 1 and "this machine's" in notes[0]


def test_list_local_asks_no_server(tmp_path, monkeypatch, fake):
    course_with_server(tmp_path, monkeypatch, fake.url)
    monkeypatch.setenv(protocol.TOKEN_ENV, GOOD)
    result = grade("list", "--local")
    assert result.exit_code == 0 and "best (server)" not in result.output and fake.requests == []


# --- grade publish ------------------------------------------------------------------


def test_publish_writes_the_server_and_the_due_dates_into_the_bundle(tmp_path, monkeypatch):
    root = course_with_server(
        tmp_path, monkeypatch, "https://grade.example.edu/", extra=f"due:\n  {FOLDER}: 2026-12-20T23:59:00+01:00\nsecret: s3cret\n"
    )
    result = grade("publish", str(tmp_path / "out"), "--only", "learner")
    assert result.exit_code == 0, result.output
    bundle = load_course(tmp_path / "out" / "learner")
    assert bundle.server == "https://grade.example.edu"
    assert bundle.due_date("ex01") == load_course(root).due_date("ex01")
    text = (tmp_path / "out" / "learner" / "course.yaml").read_text()
    assert "s3cret" not in text
    assert "grade login" in (tmp_path / "out" / "learner" / "README.md").read_text()


def test_products_other_than_the_bundle_name_no_server(tmp_path, monkeypatch):
    from grader.instructor.publish.course_files import course_yaml

    root = course_with_server(tmp_path, monkeypatch, "https://grade.example.edu")
    course = load_course(root)
    assert "server" not in course_yaml(course, list(course.exercises), "")
    assert "server: https://grade.example.edu" in course_yaml(course, list(course.exercises), "", service=True)


# --- end to end: a published bundle against the real grade serve ----------------------------


def _bundle_grade(bundle: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``grade ARGS`` as a learner runs it: in the bundle, with the bundle's own copy of the grader."""
    env = {k: v for k, v in os.environ.items() if k not in ("GRADE_COURSE", "GRADE_SECRET", protocol.TOKEN_ENV)}
    env.update(PYTHONPATH=str(bundle), GRADE_STATE_DIR=str(tmp_path / "state"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=bundle, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_a_published_bundle_hands_in_to_grade_serve_and_prints_its_card(tmp_path):
    import click

    from grader.grading.visibility import WITHHELD

    from .serve_support import HIDDEN, add_token, poll, running_server, serve_course, server_env, submissions

    root = serve_course(tmp_path / "course")
    with running_server(root) as (url, _):
        with open(root / "course.yaml", "a") as f:
            f.write(f"server: {url}\n")
        published = subprocess.run([sys.executable, "-m", "grader", "publish", str(tmp_path / "out"), "--only", "learner"],
                                   cwd=root, env=server_env(), capture_output=True, text=True, timeout=300)
        assert published.returncode == 0, published.stdout + published.stderr
        bundle = tmp_path / "out" / "learner"
        assert load_course(bundle).server == url
        token = add_token(root, "ada")

        login = _bundle_grade(bundle, tmp_path, "login", "--token", token)
        assert login.returncode == 0 and "as ada" in login.stdout, login.stdout + login.stderr
        assert token not in login.stdout + login.stderr

        def hand_in(code: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
            (bundle / "exercises" / FOLDER / "cosine.py").write_text(code)
            run = _bundle_grade(bundle, tmp_path, "ex01", "--seed", "7")
            sid = [s for s in submissions(root) if s[1] == "ada"][-1][0]
            return run, poll(url, token, sid)

        reference = (ROOT / "solutions" / FOLDER / "cosine.py").read_text()
        run, server = hand_in(reference)
        assert run.returncode == 0, run.stdout + run.stderr
        local, card = run.stdout.split("\n", 1)
        assert local.startswith("ex01 on this machine:") and "passed (5/5)" in local
        assert card == click.unstyle(server["card"]) + "\n"  # the server's card, as it gave it
        assert server["result"]["full_marks"] and server["result"]["seed"] == 7 and "20/20" in card

        run, server = hand_in(STUB)
        assert run.returncode == 1
        card = run.stdout.split("\n", 1)[1]
        assert card == click.unstyle(server["card"]) + "\n" and "0/20" in card
        hidden = [t for t in server["result"]["tests"] if t["id"] in HIDDEN]
        assert hidden and all(t["output"] == WITHHELD and t["status"] == "failed" for t in hidden)
        for t in hidden:  # named with its points and a cross, and nothing of its inputs
            assert re.search(rf"✗ {re.escape(t['name'])}\s+0/{t['max_score']:g}", card)
        assert "called top_k_similar(" not in card

        listing = _bundle_grade(bundle, tmp_path, "list")
        assert "best (server)" in listing.stdout and "20/20" in listing.stdout, listing.stdout
