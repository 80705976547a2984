"""The learner commands end to end, through click's CliRunner, on a one-exercise course in tmp_path.

Each grading of ex01 takes about a second, so the tests grade only where grading is the
point; everything else reads the store.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from grader.cli import all_commands, main
from grader.cli import watch as watch_cli
from grader.course import load_course
from grader.learner.pristine import looks_like_stub
from grader.learner.store import Store, course_key

from .helpers import learner_environment

ROOT = Path(__file__).resolve().parents[1]
FOLDER = "ex01_cosine_similarity"
STUB = (ROOT / "exercises" / FOLDER / "cosine.py").read_text()
REFERENCE = (ROOT / "solutions" / FOLDER / "cosine.py").read_text()
ENTRY_POINTS = ("cosine_similarity", "pairwise_cosine", "top_k_similar")
BROKEN = STUB + "\n\ndef broken(:\n"


def make_course(root: Path, *, with_solutions: bool = True) -> Path:
    (root / "exercises").mkdir(parents=True)
    shutil.copytree(ROOT / "exercises" / FOLDER, root / "exercises" / FOLDER, ignore=shutil.ignore_patterns("__pycache__"))
    if with_solutions:
        shutil.copytree(ROOT / "solutions" / FOLDER, root / "solutions" / FOLDER, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "course.yaml").write_text(f"title: Tiny course\nexercises:\n  - {FOLDER}\n")
    return root


@pytest.fixture
def course_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_course(tmp_path / "course")
    learner_environment(monkeypatch, tmp_path, root)
    return root


def learner_file(root: Path) -> Path:
    return root / "exercises" / FOLDER / "cosine.py"


def state(root: Path) -> Path:
    return Path(os.environ["GRADE_STATE_DIR"]) / "courses" / course_key(load_course(root))


def store_of(root: Path) -> Store:
    return Store.open(load_course(root))


def grade(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


# --- list, and grade with no argument ----------------------------------------------


def test_grade_alone_lists_the_course_and_snapshots_the_stub(course_dir: Path) -> None:
    result = grade()
    assert result.exit_code == 0, result.output
    assert "Tiny course · 0 of 1 solved" in result.output
    assert "ex01" in result.output and "Cosine similarity" in result.output and "easy" in result.output
    assert "vectors, embeddings, norms" in result.output
    assert "Start here: grade ex01" in result.output
    snapshot = state(course_dir) / "stubs" / FOLDER / "cosine.py"
    assert snapshot.read_text() == STUB


def test_grade_alone_outside_a_course_shows_help(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADE_COURSE", raising=False)
    monkeypatch.chdir(tmp_path)
    result = grade()
    assert result.exit_code == 2
    assert "Usage:" in result.output and "No course here yet" in result.output


def test_list_json_is_machine_readable(course_dir: Path) -> None:
    result = grade("list", "--json")
    data = json.loads(result.output)
    assert data["course"] == "Tiny course"
    (row,) = data["exercises"]
    assert row["id"] == "ex01" and row["attempts"] == 0 and row["status"] == "new" and row["hints"] == 4


def test_grading_is_recorded_and_listed(course_dir: Path) -> None:
    first = grade("ex01")
    assert first.exit_code == 1
    listing = grade("list")
    assert "0/20" in listing.output and "started" in listing.output
    assert "Next: grade ex01" in listing.output

    learner_file(course_dir).write_text(REFERENCE)
    second = grade("ex01")
    assert second.exit_code == 0, second.output
    assert "First time at full marks for ex01" in second.output

    with store_of(course_dir) as store:
        p = store.progress("ex01")
    assert p.attempts == 2 and p.best_score == 20 and p.solved and p.first_opened is not None
    assert p.first_opened <= p.first_solved
    listing = grade("list")
    assert "1 of 1 solved" in listing.output and "20/20" in listing.output and "solved" in listing.output
    assert "Every exercise is solved" in listing.output

    shown = grade("solution", "ex01")  # solved: the reference opens without --give-up
    assert shown.exit_code == 0
    assert REFERENCE.strip() in shown.output and "You solved this on" in shown.output


def test_grading_another_file_is_not_progress(course_dir: Path) -> None:
    from grader.learner.history import is_own_file

    ex = load_course(course_dir).resolve("ex01")
    assert is_own_file(ex, None)
    assert is_own_file(ex, learner_file(course_dir))
    assert not is_own_file(ex, course_dir / "solutions" / FOLDER / "cosine.py")


# --- hint --------------------------------------------------------------------------


def test_hints_come_one_at_a_time_and_are_remembered(course_dir: Path) -> None:
    hints = load_course(course_dir).resolve("ex01").hints
    none = grade("hint", "ex01", "--all")
    assert "No hints taken yet" in none.output

    first = grade("hint", "1")
    assert "Hint 1 of 4" in first.output and hints[0] in first.output and hints[1] not in first.output
    assert "grade hint ex01 shows hint 2 (3 left)" in first.output
    second = grade("hint", "cosine")
    assert "Hint 2 of 4" in second.output and hints[1] in second.output

    taken = grade("hint", "ex01", "--all")
    assert "(2 of 4)" in taken.output and hints[0] in taken.output and hints[1] in taken.output
    assert hints[2] not in taken.output

    for _ in range(3):
        last = grade("hint", "ex01")
    assert "Hint 4 of 4" in last.output and "That was the last hint" in last.output
    with store_of(course_dir) as store:
        assert store.progress("ex01").hints_taken == 4
    assert "4/4" in grade("list").output


# --- solution ----------------------------------------------------------------------


def test_solution_waits_for_a_solve_or_a_recorded_give_up(course_dir: Path) -> None:
    refused = grade("solution", "ex01")
    assert refused.exit_code == 1
    assert "not solved yet" in refused.output and "--give-up" in refused.output
    assert REFERENCE.strip() not in refused.output

    given = grade("solution", "ex01", "--give-up")
    assert given.exit_code == 0
    assert REFERENCE.strip() in given.output and "Recorded as given up" in given.output
    with store_of(course_dir) as store:
        assert store.progress("ex01").gave_up is not None
    assert "gave up" in grade("list").output
    assert grade("solution", "ex01").exit_code == 0  # once given up, it stays open


def test_solution_in_a_bundle_without_answers_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_course(tmp_path / "bundle", with_solutions=False)
    monkeypatch.setenv("GRADE_STATE_DIR", str(tmp_path / "state"))
    result = grade("--course", str(root), "solution", "ex01", "--give-up")
    assert result.exit_code == 1
    assert "no reference solution" in result.output and "Ask your instructor" in result.output


# --- reset -------------------------------------------------------------------------


def test_reset_restores_the_snapshot_and_names_the_backup(course_dir: Path) -> None:
    grade("list")  # the first command snapshots the untouched stub
    mine = STUB.replace("raise NotImplementedError", "return 42  # my attempt", 1)
    learner_file(course_dir).write_text(mine)
    result = grade("reset", "ex01")
    assert result.exit_code == 0, result.output
    assert learner_file(course_dir).read_text() == STUB
    assert "the copy saved when you first opened the exercise" in result.output
    backups = list((state(course_dir) / "backups" / FOLDER).glob("*/cosine.py"))
    assert len(backups) == 1 and backups[0].read_text() == mine
    assert str(backups[0]) in result.output  # the backup is named, with the way back

    again = grade("reset", "ex01")
    assert "already the untouched stub" in again.output


def test_reset_without_a_snapshot_rebuilds_the_stub_from_the_learner_file(course_dir: Path) -> None:
    learner_file(course_dir).write_text(REFERENCE)  # solved before grade ever saw the stub
    result = grade("reset", "ex01")
    assert result.exit_code == 0, result.output
    rebuilt = learner_file(course_dir).read_text()
    assert looks_like_stub(rebuilt, ENTRY_POINTS)
    assert "def pairwise_cosine(" in rebuilt and '"""' in rebuilt  # signatures and docstrings kept
    assert "replaced by `raise NotImplementedError`" in result.output


def test_reset_never_snapshots_an_edited_file(course_dir: Path) -> None:
    learner_file(course_dir).write_text(REFERENCE)
    grade("list")
    assert not (state(course_dir) / "stubs" / FOLDER / "cosine.py").exists()


# --- the store ---------------------------------------------------------------------


def test_a_corrupt_store_is_reported_kept_and_rebuilt(course_dir: Path) -> None:
    grade("hint", "ex01")
    db = state(course_dir) / "progress.db"
    db.write_bytes(b"this is not a database, it was overwritten by accident" * 100)
    result = grade("list")
    assert result.exit_code == 0
    assert "could not be used" in result.output and "It was kept as progress." in result.output
    kept = [p for p in db.parent.iterdir() if p.name.startswith("progress.") and p.name.endswith(".bak.db")]
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b"this is not a database")
    assert grade("hint", "ex01").exit_code == 0  # the new store works
    assert "note:" not in grade("list").output  # and is not reported again


def test_an_old_store_is_rebuilt_keeping_what_it_can(course_dir: Path) -> None:
    folder = state(course_dir)
    folder.mkdir(parents=True)
    old = sqlite3.connect(folder / "progress.db")
    old.execute("CREATE TABLE exercise (id TEXT PRIMARY KEY, attempts INTEGER, best_score REAL, legacy TEXT)")
    old.execute("INSERT INTO exercise VALUES ('ex01', 3, 12.0, 'x')")
    old.commit()
    old.close()
    result = grade("list")
    assert "old or unknown format" in result.output and "copied into it (1 record)" in result.output
    with store_of(course_dir) as store:
        p = store.progress("ex01")
    assert p.attempts == 3 and p.best_score == 12.0


def test_a_newer_store_is_not_overwritten(course_dir: Path) -> None:
    folder = state(course_dir)
    folder.mkdir(parents=True)
    newer = sqlite3.connect(folder / "progress.db")
    newer.execute("CREATE TABLE future (x)")
    newer.execute("PRAGMA user_version = 99")
    newer.commit()
    newer.close()
    result = grade("list")
    assert result.exit_code == 0 and "newer version of grade" in result.output
    assert any(p.name.endswith(".bak.db") for p in folder.iterdir())


def test_writes_are_atomic_transactions(course_dir: Path) -> None:
    with store_of(course_dir) as store:
        with pytest.raises(RuntimeError):
            with store.transaction() as c:
                c.execute("INSERT INTO exercise (id, attempts) VALUES ('ex01', 5)")
                raise RuntimeError("crash mid-write")
        assert store.progress("ex01").attempts == 0
        store.record_grading("ex01", score=5, max_score=20, full_marks=False, seed=3)
        store.record_grading("ex01", score=2, max_score=20, full_marks=False, seed=4)
        p = store.progress("ex01")
        assert (p.attempts, p.best_score, p.last_score, p.last_seed) == (2, 5, 2, 4)
        assert len(store.attempts("ex01")) == 2


def test_the_store_lives_in_the_course_folder_by_default(course_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADE_STATE_DIR")
    grade("list")
    assert (course_dir / ".grade" / "progress.db").is_file()
    assert (course_dir / ".grade" / "stubs" / FOLDER / "cosine.py").read_text() == STUB


# --- drill -------------------------------------------------------------------------


def test_a_drill_runs_in_its_own_workspace_and_is_recorded(course_dir: Path, tmp_path: Path) -> None:
    before = learner_file(course_dir).read_text()
    started = grade("drill", "--minutes", "15", "--seed", "5")
    assert started.exit_code == 0, started.output
    assert "Drill #1 · 1 problem · 15 minutes · deadline" in started.output
    assert "grade drill --seed 5" in started.output
    assert "Cosine similarity" in started.output and "embedding vectors" in started.output  # the statement
    workspaces = list((tmp_path / "state" / "drills").glob("*/*"))
    assert len(workspaces) == 1
    workspace = workspaces[0]
    assert not workspace.resolve().is_relative_to(course_dir.resolve())
    drill_file = workspace / FOLDER / "cosine.py"
    assert drill_file.read_text() == STUB and (workspace / FOLDER / "README.md").is_file()

    status = grade("drill")
    assert "Drill #1 is in progress" in status.output and "left" in status.output
    busy = grade("drill", "--topic", "vectors")
    assert busy.exit_code == 1 and "grade drill --submit" in busy.output

    drill_file.write_text(REFERENCE)
    submitted = grade("drill", "--submit")
    assert submitted.exit_code == 0, submitted.output
    assert "Drill #1: 20/20 in" in submitted.output and "of 15:00" in submitted.output
    assert "graded with seed" in submitted.output
    assert "grade ex01 --seed" not in submitted.output and "grade list" not in submitted.output  # no course-work advice
    assert "New personal best for ex01: 20/20" in submitted.output

    history = grade("drill", "--history")
    assert "ex01" in history.output and "20/20" in history.output and "in time" in history.output
    assert "Personal bests" in history.output

    assert learner_file(course_dir).read_text() == before  # the course work is untouched
    with store_of(course_dir) as store:
        assert store.progress("ex01").attempts == 0
        assert store.drilled() == {"ex01": True}
    assert grade("drill", "--submit").exit_code == 1  # nothing in progress any more


def test_a_drill_in_the_foreground_is_graded_when_time_is_up(course_dir: Path, tmp_path: Path) -> None:
    result = grade("drill", "--minutes", "0.02", "--wait", "--workspace", str(tmp_path / "ws"))
    assert "Time is up" in result.output and "Drill #1: 0/20" in result.output
    assert result.exit_code == 1
    with store_of(course_dir) as store:
        (drill,) = store.drills()
    assert drill.status == "submitted" and drill.seconds_taken is not None and drill.seconds_taken >= 1.2


def test_an_expired_drill_is_graded_as_of_the_last_save(course_dir: Path, tmp_path: Path) -> None:
    grade("drill", "--workspace", str(tmp_path / "ws"))
    with store_of(course_dir) as store:
        drill = store.active_drill()
        assert drill is not None
        store.conn.execute("UPDATE drill SET started = started - 3600, minutes = 20 WHERE id = ?", (drill.id,))
    saved = tmp_path / "ws" / FOLDER / "cosine.py"
    os.utime(saved, (time.time() - 3000, time.time() - 3000))  # last saved 10 min into the drill
    result = grade("drill")
    assert "ran out of time" in result.output
    with store_of(course_dir) as store:
        (done,) = store.drills()
    assert done.status == "submitted" and 590 <= (done.seconds_taken or 0) <= 610 and not done.overtime


def test_drill_can_be_abandoned(course_dir: Path, tmp_path: Path) -> None:
    grade("drill", "--workspace", str(tmp_path / "ws"))
    result = grade("drill", "--abandon")
    assert result.exit_code == 0 and "abandoned" in result.output
    assert "abandoned" in grade("drill", "--history").output
    assert "No drill is in progress" in grade("drill", "--abandon").output


def test_drill_refuses_a_workspace_inside_the_course(course_dir: Path) -> None:
    result = grade("drill", "--workspace", str(course_dir / "drill"))
    assert result.exit_code == 2 and "inside the course folder" in result.output
    assert not (course_dir / "drill").exists()


def test_drill_with_an_unknown_topic_lists_the_topics(course_dir: Path) -> None:
    result = grade("drill", "--topic", "quantum")
    assert result.exit_code == 2 and "no exercise matches topic quantum" in result.output and "embeddings" in result.output


def test_drill_history_when_empty(course_dir: Path) -> None:
    assert "No drills yet" in grade("drill", "--history").output


def test_drill_picks_unseen_first_and_reproducibly(tmp_path: Path) -> None:
    from grader.learner.drills import choose
    from grader.learner.store import ExerciseProgress

    root = make_course(tmp_path / "course")
    names = [FOLDER]
    for n in range(2, 7):  # five more copies of ex01, as ex02..ex06
        folder = f"ex0{n}_copy{n}"
        shutil.copytree(root / "exercises" / FOLDER, root / "exercises" / folder)
        meta = root / "exercises" / folder / "exercise.yaml"
        meta.write_text(meta.read_text().replace("id: ex01", f"id: ex0{n}").replace("aliases: [cosine]", f"aliases: [c{n}]"))
        names.append(folder)
    (root / "course.yaml").write_text("title: Copies\nexercises:\n" + "".join(f"  - {n}\n" for n in names))
    course = load_course(root)
    now = time.time()
    progress = {
        "ex01": ExerciseProgress("ex01", first_opened=now, first_solved=now, attempts=1),
        "ex02": ExerciseProgress("ex02", first_opened=now, attempts=2),
    }
    drilled = {"ex03": True}
    picks = [choose(course, progress, drilled, count=3, seed=s).exercises for s in range(20)]
    assert all({ex.id for ex in p} == {"ex04", "ex05", "ex06"} for p in picks)  # unseen first
    assert [ex.id for ex in choose(course, progress, drilled, count=4, seed=1).exercises][3] == "ex02"  # then unsolved
    again = [choose(course, progress, drilled, count=2, seed=s).exercises for s in range(20)]
    assert again == [choose(course, progress, drilled, count=2, seed=s).exercises for s in range(20)]
    assert len({tuple(ex.id for ex in p) for p in again}) > 1  # the seed matters
    everything = choose(course, progress, drilled, count=6, seed=1)
    assert len(everything.exercises) == 6 and any("repeats" in n for n in everything.notes)


# --- grade all ---------------------------------------------------------------------


def test_grade_all_shows_progress_and_a_summary(course_dir: Path) -> None:
    result = grade("all")
    assert result.exit_code == 1
    assert "[1/1] ex01 Cosine similarity" in result.output
    assert "0 of 1 at full marks" in result.output and "Next: grade ex01" in result.output
    with store_of(course_dir) as store:
        assert store.progress("ex01").attempts == 1


# --- watch -------------------------------------------------------------------------


def test_watch_regrades_when_the_file_is_saved(course_dir: Path) -> None:
    def save_when_first_grading_is_recorded() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with store_of(course_dir) as store:
                if store.progress("ex01").attempts >= 1:
                    break
            time.sleep(0.1)
        learner_file(course_dir).write_text(REFERENCE)

    saver = threading.Thread(target=save_when_first_grading_is_recorded)
    saver.start()
    result = grade("watch", "ex01", "--max-runs", "2", "--max-seconds", "90", "--debounce", "0.1")
    saver.join()
    assert result.exit_code == 0, result.output
    assert result.output.count("watching exercises/") == 2
    assert "ex01 · Cosine similarity  0/20" in result.output
    assert "ex01 · Cosine similarity  20/20" in result.output
    with store_of(course_dir) as store:
        assert store.progress("ex01").attempts == 2


def test_watch_reports_a_syntax_error_without_grading(course_dir: Path) -> None:
    learner_file(course_dir).write_text(BROKEN)
    result = grade("watch", "ex01", "--max-runs", "1")
    assert result.exit_code == 1
    assert "does not parse yet" in result.output and "SyntaxError" in result.output
    with store_of(course_dir) as store:
        assert store.progress("ex01").attempts == 0


def test_watch_end_to_end_survives_a_syntax_error_and_stops_on_ctrl_c(course_dir: Path) -> None:
    learner_file(course_dir).write_text(BROKEN)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from grader.cli import run; run()", "watch", "ex01", "--debounce", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    killer = threading.Timer(90, proc.kill)  # a hung watch fails the test, never the suite
    killer.start()

    def read_until(text: str, times: int) -> None:
        assert proc.stdout is not None
        while sum(text in line for line in lines) < times:
            line = proc.stdout.readline()
            assert line, "grade watch ended early:\n" + "".join(lines)
            lines.append(line)

    try:
        read_until("watching", 1)
        assert any("does not parse yet" in line for line in lines)
        learner_file(course_dir).write_text(REFERENCE)
        read_until("watching", 2)
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    finally:
        killer.cancel()
        if proc.poll() is None:
            proc.kill()
    output = "".join(lines) + rest
    assert "20/20" in output and "Stopped watching ex01" in output
    assert "Traceback" not in output
    assert proc.returncode == 0


def test_file_watcher_debounces_and_ignores_rewrites_of_the_same_content(tmp_path: Path) -> None:
    from grader.learner.watching import FileWatcher

    path = tmp_path / "f.py"
    path.write_text("a = 1\n")
    with FileWatcher([path], poll_interval=0.2) as watcher:
        path.write_text("a = 1\n")  # same content: not a change
        assert not watcher.wait(debounce=0.05, timeout=0.6)
        path.write_text("a = 2\n")
        path.write_text("a = 3\n")  # two quick saves: one change
        assert watcher.wait(debounce=0.1, timeout=5)
        assert not watcher.wait(debounce=0.05, timeout=0.5)
    with FileWatcher([path], use_events=False, poll_interval=0.1) as poller:  # the polling fallback
        assert poller.mode == "polling"
        path.unlink()
        path.write_text("a = 4\n")
        assert poller.wait(debounce=0.05, timeout=5)


def test_ctrl_c_during_grading_is_not_swallowed() -> None:
    previous = watch_cli._install_interrupt()
    try:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        with pytest.raises(KeyboardInterrupt):
            watch_cli._raise_if_interrupted()  # even if pytest caught the first one
    finally:
        watch_cli._restore_interrupt(previous)


# --- a long grading shows it is alive ------------------------------------------------


def test_the_ticker_shows_elapsed_time_past_pytest_capture(capfd: pytest.CaptureFixture[str]) -> None:
    from grader.cli._output import Ticker

    with Ticker("grading ex07", delay=0.0, interval=0.05, force=True) as ticker:
        time.sleep(0.2)
        ticker.update(5, 26, "test_rows_are_unit_length")
        time.sleep(0.2)
    err = capfd.readouterr().err
    assert "grading ex07" in err and "… 0 s (Ctrl-C stops)" in err
    assert "check 5 of 26: test_rows_are_unit_length" in err
    assert err.endswith("\x1b[2K")  # the line is erased: the score card follows


def test_the_ticker_draws_nothing_and_imports_no_rich_for_a_quick_grading() -> None:
    code = (
        "import sys, time\n"
        "from grader.cli._output import Ticker\n"
        "with Ticker('grading ex07', delay=1.0, force=True):\n"
        "    time.sleep(0.1)\n"
        "print('rich' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False" and out.stderr == ""


# --- every command has help; start-up stays light -----------------------------------


def test_every_command_has_help() -> None:
    assert all_commands(), "no commands registered"
    top = grade("--help")
    assert top.exit_code == 0
    for name in ("list", "hint", "watch", "reset", "solution", "drill", "all"):
        assert name in all_commands() and name in top.output
    for name, command in all_commands().items():
        result = grade(name, "--help")
        assert result.exit_code == 0, f"grade {name} --help failed:\n{result.output}"
        assert "Usage:" in result.output
        summary = (command.help or "").strip()
        assert summary, f"grade {name} has no help text"
        assert summary.split()[0] in result.output


def test_start_up_imports_nothing_heavy() -> None:
    code = (
        "import sys, grader.cli; "
        "print(sorted(m for m in ('numpy', 'pytest', 'sqlite3', 'watchdog', 'torch', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- where a pristine stub comes from ----------------------------------------------


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_in_a_git_checkout_the_newest_committed_stub_wins(tmp_path: Path) -> None:
    from grader.learner.pristine import ORIGIN_GIT, pristine_stub

    root = make_course(tmp_path / "course")
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "stub"], check=True)
    learner_file(root).write_text(REFERENCE)  # the learner solves it and commits their work
    subprocess.run([*git, "commit", "-qam", "my solution"], check=True)
    course = load_course(root)
    stub = pristine_stub(course, course.resolve("ex01"), tmp_path / "state")
    assert stub is not None and stub.files["cosine.py"] == STUB
    assert stub.origin.startswith(ORIGIN_GIT.split("{")[0])


def test_a_stub_rebuilt_from_the_reference_gives_no_answer_away() -> None:
    from grader.learner.pristine import rebuild_stub

    reference = REFERENCE + "\n\ndef _helper(x):\n    return x * 2  # part of the answer\n"
    rebuilt = rebuild_stub(reference, ENTRY_POINTS, drop_helpers=True)
    assert rebuilt is not None and looks_like_stub(rebuilt, ENTRY_POINTS)
    assert "_helper" not in rebuilt and "np.linalg.norm" not in rebuilt
    kept = rebuild_stub("# keep me\n" + REFERENCE, ENTRY_POINTS)
    assert kept is not None and kept.startswith("# keep me") and looks_like_stub(kept, ENTRY_POINTS)


def test_looks_like_stub() -> None:
    assert looks_like_stub(STUB, ENTRY_POINTS)
    assert not looks_like_stub(REFERENCE, ENTRY_POINTS)
    assert not looks_like_stub(BROKEN, ENTRY_POINTS)
    assert not looks_like_stub(STUB.replace("def top_k_similar", "def renamed"), ENTRY_POINTS)
    assert looks_like_stub('def f(x):\n    """Doc."""\n    raise NotImplementedError("write me")\n', ("f",))
