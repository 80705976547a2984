"""``grade serve`` end to end: a real server on loopback grading ex01 into its gradebook (issue 17).

One server for most tests (module scope); the kill-and-restart test starts its own. The course
is ex01 with tight limits (instructor_support.make_course), its top-k checks marked hidden and
one check ``after_due_date`` with the due date far ahead, so that the learner's card must
withhold them.
"""

from __future__ import annotations

import io
import re
import secrets
import sqlite3
import stat
import time
import zipfile
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.course import load_course
from grader.grading.card import score_card
from grader.grading.protocol import SCORES, SUBMISSION, SUBMIT, WHOAMI
from grader.grading.runner import grade
from grader.grading.visibility import WITHHELD, for_learner
from grader.instructor.serve.state import GRADEBOOK, QUEUE_DB, ROSTER_DB

from .instructor_support import CORRECT, EX, LEAST_FIRST, SLEEPS, make_course
from .serve_support import (
    AFTER_DUE,
    HIDDEN,
    add_token,
    gradebook_rows,
    headers,
    poll,
    serve_course,
    spool_entries,
    start_server,
    state_of,
    submissions,
    submit,
    wait_idle,
    zipped,
)

pytestmark = pytest.mark.slow

UPLOAD_KB = 64
TIMING = re.compile(r"graded \S+ in [0-9.]+ s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    root = serve_course(tmp_path_factory.mktemp("serve") / "course")
    running = start_server(root, "--jobs", "2", "--rate", "3", "--max-upload-kb", str(UPLOAD_KB))
    try:
        yield running, root
    finally:
        running.stop()


def learner(root: Path) -> tuple[str, str]:
    name = f"learner-{secrets.token_hex(3)}"
    return name, add_token(root, name)


def local_card(root: Path, code: str, seed: int, tmp_path: Path, *, verbose: bool = False) -> str:
    """The card of the same grading done here, through the same visibility filter."""
    course = load_course(root)
    ex = course.resolve("ex01")
    folder = tmp_path / f"local-{seed}"
    folder.mkdir()
    (folder / "cosine.py").write_text(code)
    result = grade(ex, seed=seed, source=folder, label="cosine.py")
    return score_card(for_learner(result, due=course.due_date(ex)), verbose=verbose)


def same_card(a: str, b: str) -> bool:
    return TIMING.sub("graded in T", a) == TIMING.sub("graded in T", b)


# --- grading ----------------------------------------------------------------------------------------


def test_the_reference_gets_full_marks_and_the_local_card(server, tmp_path):
    running, root = server
    name, token = learner(root)
    assert httpx.get(running.url + WHOAMI, headers=headers(token)).json() == {"name": name, "role": "learner"}
    reply = submit(running.url, token, "ex01", zipped({"cosine.py": CORRECT}))
    assert reply.status_code == 202, reply.text
    sid = reply.json()["id"]
    assert reply.json() == {"id": sid, "status": "queued", "poll": SUBMISSION.format(id=sid)}
    done = poll(running.url, token, sid)
    assert done["status"] == "done" and done["attempt"] == 1 and done["exercise"] == "ex01"
    assert done["result"]["score"] == done["result"]["max_score"] == 20 and done["result"]["full_marks"]
    assert same_card(done["card"], local_card(root, CORRECT, done["result"]["seed"], tmp_path))
    rows = [r for r in gradebook_rows(root) if r[0] == name]
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [("ex01", 1, done["result"]["seed"], 20.0)]
    scores = httpx.get(running.url + SCORES, headers=headers(token)).json()
    assert scores == {"name": name, "exercises": {"ex01": {"best": 20.0, "max": 20.0, "attempts": 1, "full_marks": True}}}


def test_the_stub_gets_zero_and_a_replayed_seed_is_kept(server, tmp_path):
    running, root = server
    name, token = learner(root)
    stub = (root / "exercises" / EX / "cosine.py").read_text()
    sid = submit(running.url, token, "ex01", zipped({"cosine.py": stub}), seed=1234).json()["id"]
    done = poll(running.url, token, sid, verbose=1)
    assert done["result"]["score"] == 0 and done["result"]["seed"] == 1234
    assert same_card(done["card"], local_card(root, stub, 1234, tmp_path, verbose=True))
    assert "NotImplementedError" in click.unstyle(done["card"])  # a visible check's output, in full with verbose=1


def test_a_learner_sees_hidden_checks_as_name_points_and_pass_fail_only(server, tmp_path):
    running, root = server
    name, token = learner(root)
    # Least-first is a known mistake that only the (hidden) top-k checks can see.
    code = LEAST_FIRST
    sid = submit(running.url, token, "ex01", zipped({"cosine.py": code})).json()["id"]
    done = poll(running.url, token, sid)
    card = click.unstyle(done["card"])
    assert 0 < done["result"]["score"] < 20 and "top k returns the most similar rows first" in card
    assert "least similar first" not in card.lower()  # named only by hidden checks: nowhere
    tests = {t["id"]: t for t in done["result"]["tests"]}
    for check in [*HIDDEN, AFTER_DUE]:
        t = tests[check]
        assert t["misconception"] is None and t["misconceptions"] == [] and "detail" not in t
        assert t["output"] in (WITHHELD,) or "after the due date" in t["output"]
    assert tests[HIDDEN[0]]["status"] == "failed" and tests[HIDDEN[0]]["max_score"] == 2
    assert "called top_k_similar(" not in card  # no inputs of a hidden check
    assert same_card(done["card"], local_card(root, code, done["result"]["seed"], tmp_path))
    # The instructor sees the same submission in full.
    full = httpx.get(running.url + SUBMISSION.format(id=sid), headers=headers(running.token)).json()
    named = {t["id"]: t["misconception"] for t in full["result"]["tests"]}
    assert named[HIDDEN[0]] == "least similar first"
    assert "least similar first" in click.unstyle(full["card"])
    # Nobody else's: another learner gets 404, as for a submission that does not exist.
    _, other = learner(root)
    stranger = httpx.get(running.url + SUBMISSION.format(id=sid), headers=headers(other))
    assert stranger.status_code == 404 and "error" in stranger.json()


def test_grade_report_reads_the_service_gradebook(server, tmp_path):
    running, root = server
    wait_idle(root)
    page = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(state_of(root) / GRADEBOOK), "--html", str(page)])
    assert result.exit_code == 0, result.output
    assert "ex01" in page.read_text() and "wrote" in result.output


# --- bad input and abuse ----------------------------------------------------------------------------


def _archive_with(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return buffer.getvalue()


def _symlink() -> bytes:
    info = zipfile.ZipInfo("cosine.py")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return _archive_with([(info, b"/etc/passwd")])


BAD = {
    "no token": (None, "ex01", zipped({"cosine.py": CORRECT}), {}, 401, "needs your token"),
    "wrong token": ("not-a-token", "ex01", zipped({"cosine.py": CORRECT}), {}, 401, "not on the course's roster"),
    "unknown exercise": ("learner", "ex99", zipped({"cosine.py": CORRECT}), {}, 404, "no exercise 'ex99'"),
    "over the size limit": ("learner", "ex01", b"x" * (UPLOAD_KB * 1024 + 1), {}, 413, f"({UPLOAD_KB} KB)"),
    "not a zip": ("learner", "ex01", b"print('hello')", {}, 400, "not a zip archive"),
    "zip bomb by ratio": ("learner", "ex01", zipped({"cosine.py": b"0" * 400_000}), {}, 400, "zip bomb"),
    "zip bomb by total": ("learner", "ex01", zipped({"cosine.py": b"0" * 5_000_000}), {}, 413, "unpacks to more than"),
    "too many entries": ("learner", "ex01", zipped({f"f{i}.py": b"" for i in range(70)}), {}, 400, "at most 64"),
    "path traversal": ("learner", "ex01", zipped({"../cosine.py": CORRECT}), {}, 400, "not a plain relative path"),
    "absolute path": ("learner", "ex01", _archive_with([(zipfile.ZipInfo("/tmp/cosine.py"), b"x")]), {}, 400, "not a plain relative path"),
    "symbolic link": ("learner", "ex01", _symlink(), {}, 400, "symbolic link"),
    "other files": ("learner", "ex01", zipped({"solution.py": CORRECT}), {}, 400, "by these names: cosine.py"),
    "bad seed": ("learner", "ex01", zipped({"cosine.py": CORRECT}), {"seed": "-3"}, 400, "seed must be"),
}


def _snapshot(root: Path) -> tuple[object, ...]:
    return gradebook_rows(root), submissions(root), spool_entries(root)


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_input_gets_a_clear_error_and_changes_nothing(server, case):
    running, root = server
    token, exercise, body, params, status, words = BAD[case]
    if token == "learner":
        token = learner(root)[1]
    wait_idle(root)
    before = _snapshot(root)
    head = headers(token) if token else {}
    reply = httpx.post(running.url + SUBMIT.format(exercise=exercise), content=body, params=params, headers=head, timeout=30)
    assert reply.status_code == status, reply.text
    assert words in reply.json()["error"]
    assert _snapshot(root) == before


def test_an_upload_without_a_length_is_counted_as_it_arrives(server):
    running, root = server
    _, token = learner(root)
    before = _snapshot(root)

    def chunks():  # no Content-Length: sent chunked
        for _ in range(UPLOAD_KB + 8):
            yield b"y" * 1024

    reply = httpx.post(running.url + SUBMIT.format(exercise="ex01"), content=chunks(), headers=headers(token), timeout=30)
    assert reply.status_code == 413 and "larger than" in reply.json()["error"]
    assert _snapshot(root) == before


def test_a_revoked_token_stops_working_at_once(server):
    running, root = server
    name, token = learner(root)
    assert httpx.get(running.url + WHOAMI, headers=headers(token)).status_code == 200
    result = CliRunner().invoke(main, ["--course", str(root), "roster", "revoke", name])
    assert result.exit_code == 0, result.output
    reply = httpx.get(running.url + WHOAMI, headers=headers(token))
    assert reply.status_code == 401 and "revoked" in reply.json()["error"]


def test_a_learner_over_the_rate_gets_429_with_retry_after(server):
    running, root = server
    _, token = learner(root)
    for _ in range(3):  # --rate 3: every attempt counts, a refused archive too
        assert submit(running.url, token, "ex01", b"not a zip").status_code == 400
    before = _snapshot(root)
    reply = submit(running.url, token, "ex01", zipped({"cosine.py": CORRECT}))
    assert reply.status_code == 429 and "more than 3 submissions in a minute" in reply.json()["error"]
    assert 1 <= int(reply.headers["Retry-After"]) <= 60
    assert _snapshot(root) == before


def test_another_learners_scores_are_for_instructors_only(server):
    running, root = server
    name, token = learner(root)
    _, other = learner(root)
    assert httpx.get(running.url + SCORES, params={"learner": name}, headers=headers(other)).status_code == 403
    mine = httpx.get(running.url + SCORES, params={"learner": name}, headers=headers(running.token)).json()
    assert mine["name"] == name and mine["exercises"]["ex01"]["attempts"] == 0


# --- durability -------------------------------------------------------------------------------------


def test_killed_while_grading_then_restarted_every_accepted_submission_gets_one_row(tmp_path):
    root = serve_course(tmp_path / "course")
    name, token = "kim", add_token(tmp_path / "course", "kim")
    running = start_server(root, "--jobs", "1", "--queue-size", "3")
    try:
        ids = []
        for code in (SLEEPS, SLEEPS, CORRECT):  # each SLEEPS grading waits out the 3 s wall limit
            reply = submit(running.url, token, "ex01", zipped({"cosine.py": code}))
            assert reply.status_code == 202, reply.text
            ids.append(reply.json()["id"])
        full = submit(running.url, token, "ex01", zipped({"cosine.py": CORRECT}))
        assert full.status_code == 503 and "queue is full" in full.json()["error"]
        assert int(full.headers["Retry-After"]) > 0
        assert len(submissions(root)) == 3 and len(spool_entries(root)) == 3
        # Kill the whole process group once the first is graded and the second is being graded.
        deadline = time.monotonic() + 60
        while not ({s[0]: s[4] for s in submissions(root)}.get(ids[0]) == "done"
                   and {s[0]: s[4] for s in submissions(root)}.get(ids[1]) == "grading"):
            assert time.monotonic() < deadline, submissions(root)
            time.sleep(0.05)
        first = gradebook_rows(root)
        assert [(r[0], r[2]) for r in first] == [(name, 1)]
        running.kill()
    finally:
        running.stop()
    running = start_server(root, "--jobs", "1", "--queue-size", "3", token=running.token)
    try:
        for sid in ids:
            assert poll(running.url, token, sid)["status"] == "done"
    finally:
        running.stop()
    rows = gradebook_rows(root)
    assert [(r[0], r[1], r[2]) for r in rows] == [(name, "ex01", 1), (name, "ex01", 2), (name, "ex01", 3)]
    assert rows[0] == first[0]  # graded once: the row from before the kill, untouched (graded_at included)
    assert rows[2][4] == 20.0 and rows[0][4] < 20
    assert all(s[4] == "done" for s in submissions(root)) and len(spool_entries(root)) == 3


def test_the_dask_executor_grades_into_the_same_gradebook_with_the_same_card(tmp_path):
    pytest.importorskip("distributed", reason="--executor dask needs dask[distributed]")
    root = serve_course(tmp_path / "course")
    token = add_token(root, "dee")
    running = start_server(root, "--executor", "dask", "--jobs", "1")
    try:
        done = poll(running.url, token, submit(running.url, token, "ex01", zipped({"cosine.py": LEAST_FIRST})).json()["id"])
    finally:
        running.stop()
    assert done["status"] == "done" and 0 < done["result"]["score"] < 20
    assert same_card(done["card"], local_card(root, LEAST_FIRST, done["result"]["seed"], tmp_path))
    assert [(r[0], r[2], r[4]) for r in gradebook_rows(root)] == [("dee", 1, done["result"]["score"])]


# --- the roster -------------------------------------------------------------------------------------


def test_tokens_are_shown_once_and_only_their_hashes_are_stored(tmp_path):
    root = make_course(tmp_path / "course")
    runner = CliRunner()
    added = runner.invoke(main, ["--course", str(root), "roster", "add", "ada"])
    assert added.exit_code == 0, added.output
    token = added.stdout.strip()
    assert len(token) >= 40 and "shown once" in added.stderr
    again = runner.invoke(main, ["--course", str(root), "roster", "add", "ada"])
    assert again.exit_code == 2 and "already has a token" in again.output
    (tmp_path / "class.csv").write_text("Name,email\nbob,bob@example.edu\ncy,cy@example.edu\nada,ada@example.edu\n")
    imported = runner.invoke(main, ["--course", str(root), "roster", "import", str(tmp_path / "class.csv")])
    assert imported.exit_code == 0, imported.output
    lines = imported.stdout.strip().splitlines()
    assert lines[0] == "name,token" and [line.split(",")[0] for line in lines[1:]] == ["bob", "cy"]
    assert "ada" in imported.stderr  # skipped: already holding one
    teacher = runner.invoke(main, ["--course", str(root), "roster", "add", "tess", "--instructor"])
    listed = runner.invoke(main, ["--course", str(root), "roster", "list"])
    assert listed.exit_code == 0 and "tess\tinstructor" in listed.output and "ada\tlearner" in listed.output
    tokens = [token, teacher.stdout.strip(), *(line.split(",")[1] for line in lines[1:])]
    assert not any(t in listed.output for t in tokens)
    stored = b"".join(p.read_bytes() for p in state_of(root).iterdir() if p.is_file())
    for t in tokens:
        assert t.encode() not in stored
    import hashlib

    with sqlite3.connect(str(state_of(root) / ROSTER_DB)) as db:
        hashes = {r[0] for r in db.execute("SELECT token_sha256 FROM tokens")}
    assert hashlib.sha256(token.encode()).hexdigest() in hashes
    assert stat.S_IMODE(state_of(root).stat().st_mode) == 0o700
    assert (state_of(root) / ".gitignore").read_text().strip().endswith("*")
    assert not (state_of(root) / QUEUE_DB).exists()  # the roster alone: nothing else made
    # --out: a file only its owner reads; an existing one is refused before any token is issued.
    (tmp_path / "more.csv").write_text("dan\n")
    out = tmp_path / "tokens.csv"
    written = runner.invoke(main, ["--course", str(root), "roster", "import", str(tmp_path / "more.csv"), "--out", str(out)])
    assert written.exit_code == 0 and stat.S_IMODE(out.stat().st_mode) == 0o600 and out.read_text().startswith("name,token\ndan,")
    (tmp_path / "later.csv").write_text("eve\n")
    refused = runner.invoke(main, ["--course", str(root), "roster", "import", str(tmp_path / "later.csv"), "--out", str(out)])
    assert refused.exit_code == 2 and "already exists" in refused.output
    assert "eve" not in runner.invoke(main, ["--course", str(root), "roster", "list"]).output
