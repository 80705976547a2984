"""Spaced review of the learner's own mistakes: items, FSRS ratings, due dates, the store's
migration, and ``grade review`` end to end. Every clock here is simulated (``now`` passed,
or the store's ``current_time`` replaced): nothing sleeps.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from grader.cli import main
from grader.course import load_course
from grader.learner import review_items
from grader.learner import store as store_module
from grader.learner.review_items import AGAIN, DAY, GOOD, HARD, schedule
from grader.learner.store import SCHEMA_VERSION, Store, course_key

from .conftest import ROOT
from .helpers import learner_environment

FOLDER = "ex01_cosine_similarity"
REFERENCE = (ROOT / "solutions" / FOLDER / "cosine.py").read_text()
# The "normalised one side only" mistake of ex01's misconceptions: B's rows left as they are.
ONE_SIDE = REFERENCE.replace("return _unit_rows(A) @ _unit_rows(B).T", "return _unit_rows(A) @ B.T")
T0 = 1_750_000_000.0  # a fixed start for the simulated clock

PAIRWISE = ("pairwise matches every pair of rows", "pairwise keeps float32 as float32")
COSINE = ("cosine of two vectors matches the definition", "cosine ignores the lengths of the vectors")


def checks(failed: dict[str, str | None] | None = None, names: tuple[str, ...] = (*COSINE, *PAIRWISE)) -> list[tuple[str, str, str | None]]:
    """Check rows of one grading: those in ``failed`` failed (with their mistake), the rest passed."""
    failed = failed or {}
    return [(n, "failed", failed[n]) if n in failed else (n, "passed", None) for n in names]


ONE_SIDE_FAILS = {n: "normalised one side only" for n in PAIRWISE}


def make_course(root: Path, ids: tuple[str, ...] = ("ex01",), topics: dict[str, list[str]] | None = None) -> Path:
    """ex01, and copies of it as ex02, ex03...: each a one-exercise course of its own topics."""
    (root / "exercises").mkdir(parents=True)
    shutil.copytree(ROOT / "solutions" / FOLDER, root / "solutions" / FOLDER, ignore=shutil.ignore_patterns("__pycache__"))
    folders = []
    for ex_id in ids:
        folder = FOLDER if ex_id == "ex01" else f"{ex_id}_copy"
        shutil.copytree(ROOT / "exercises" / FOLDER, root / "exercises" / folder, ignore=shutil.ignore_patterns("__pycache__"))
        meta = root / "exercises" / folder / "exercise.yaml"
        text = meta.read_text()
        if ex_id != "ex01":
            text = text.replace("id: ex01", f"id: {ex_id}").replace("aliases: [cosine]", f"aliases: [c{ex_id}]")
        if topics and ex_id in topics:
            lines = [f"topics: [{', '.join(topics[ex_id])}]" if line.startswith("topics:") else line for line in text.splitlines()]
            text = "\n".join(lines) + "\n"
        meta.write_text(text)
        folders.append(folder)
    (root / "course.yaml").write_text("title: Tiny course\nexercises:\n" + "".join(f"  - {f}\n" for f in folders))
    return root


@pytest.fixture
def course_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_course(tmp_path / "course")
    learner_environment(monkeypatch, tmp_path, root)
    return root


@pytest.fixture
def store(course_dir: Path) -> Store:
    with Store.open(load_course(course_dir)) as s:
        yield s


def grade_at(store: Store, at: float, rows: list[tuple[str, str, str | None]], *, digest: str | None = None, exercise: str = "ex01") -> tuple:
    full = all(s == "passed" for _, s, _ in rows)
    rec = store.record_grading(exercise, score=20.0 if full else 10.0, max_score=20.0, full_marks=full, checks=rows, digest=digest, now=at)
    return rec.reviews


def only_item(store: Store, part: str) -> review_items.Item:
    (item,) = [i for i in review_items.items(store.conn) if i.part == part]
    return item


# --- items and ratings -----------------------------------------------------------------


def test_a_learner_who_never_fails_has_no_reviews(store: Store) -> None:
    for day in range(3):
        assert grade_at(store, T0 + day * DAY, checks(), digest=f"v{day}") == ()
    assert review_items.items(store.conn) == []
    assert review_items.count_due(store.conn, T0 + 400 * DAY) == 0


def test_recording_a_clean_grading_does_not_import_the_scheduler(course_dir: Path) -> None:
    """grade ex01 stays fast: fsrs is imported only when a card changes."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from grader.course import load_course\n"
        "from grader.learner.store import Store\n"
        f"s = Store.open(load_course(Path({str(course_dir)!r})))\n"
        "s.record_grading('ex01', score=20, max_score=20, full_marks=True, checks=[('c', 'passed', None)])\n"
        "print('fsrs' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_one_item_per_part_created_at_its_first_failure(store: Store) -> None:
    rows = checks({**ONE_SIDE_FAILS, COSINE[0]: None})
    done = grade_at(store, T0, rows)
    assert {(r.item.part, r.item.kind, r.rating, r.created) for r in done} == {
        ("normalised one side only", "mistake", AGAIN, True),
        (COSINE[0], "check", AGAIN, True),
    }
    assert only_item(store, "normalised one side only").checks == PAIRWISE
    assert only_item(store, COSINE[0]).label == f"failed: {COSINE[0]}"
    # Failing the same part again is a review of the same item, not a new one.
    grade_at(store, T0 + 60, rows)
    assert len(review_items.items(store.conn)) == 2
    assert only_item(store, "normalised one side only").lapses == 1


def test_an_item_becomes_due_when_fsrs_says(store: Store) -> None:
    grade_at(store, T0, checks(ONE_SIDE_FAILS))
    # Never passed, and the exercise is still being worked on: the course is where it gets fixed.
    assert review_items.due(store.conn, T0 + 30 * DAY) == []
    grade_at(store, T0 + 3600, checks())  # fixed an hour later
    item = only_item(store, "normalised one side only")
    card, _ = schedule(None, AGAIN, T0, card_id=int(T0 * 1000))
    _, expected = schedule(card, GOOD, T0 + 3600)  # FSRS itself, on the same history
    assert item.due == expected and item.last_passed == T0 + 3600
    assert review_items.due(store.conn, item.due - 1) == []
    assert [i.id for i in review_items.due(store.conn, item.due)] == [item.id]
    assert review_items.next_due(store.conn, item.due - 1) == item


def _learned(store: Store, exercise: str) -> review_items.Item:
    """Failed at T0, fixed an hour later: the item as it is after learning."""
    grade_at(store, T0, checks(ONE_SIDE_FAILS), exercise=exercise, digest="wrong")
    grade_at(store, T0 + 3600, checks(), exercise=exercise, digest="right")
    return next(i for i in review_items.items(store.conn, exercise))


def test_failing_a_review_brings_it_back_sooner_than_passing_it(store: Store) -> None:
    failed, passed = _learned(store, "ex01"), _learned(store, "ex02")
    assert failed.due == passed.due
    at = failed.due + 600
    (again,) = grade_at(store, at, checks(ONE_SIDE_FAILS), exercise="ex01", digest="drill-1")
    (good,) = grade_at(store, at, checks(), exercise="ex02", digest="drill-1")
    assert (again.rating, good.rating) == (AGAIN, GOOD)
    assert again.item.due < good.item.due
    assert again.item.lapses == 1 and good.item.lapses == 0


def test_a_hint_makes_it_sooner_than_a_clean_pass(store: Store) -> None:
    hinted, clean = _learned(store, "ex01"), _learned(store, "ex02")
    assert hinted.due == clean.due
    at = hinted.due + 600
    store.take_hint("ex01", 4, now=at - 300)
    (hard,) = grade_at(store, at, checks(), exercise="ex01", digest="drill-1")
    (good,) = grade_at(store, at, checks(), exercise="ex02", digest="drill-1")
    assert (hard.rating, good.rating) == (HARD, GOOD)
    assert hard.item.due < good.item.due
    # The hint counts once: the next pass, with no hint since, is clean again.
    (after,) = grade_at(store, hard.item.due, checks(), exercise="ex01", digest="drill-2")
    assert after.rating == GOOD


def test_a_hint_before_the_fix_makes_the_first_pass_hard(store: Store) -> None:
    grade_at(store, T0, checks(ONE_SIDE_FAILS), digest="a")
    store.take_hint("ex01", 4, now=T0 + 60)
    grade_at(store, T0 + 120, checks(ONE_SIDE_FAILS), digest="b")
    (first,) = grade_at(store, T0 + 600, checks(), digest="c")
    assert first.rating == HARD


def test_a_function_not_written_yet_is_no_mistake_but_a_missed_review(store: Store) -> None:
    unwritten = [(n, "unwritten", None) for n in PAIRWISE] + checks(names=COSINE)
    assert grade_at(store, T0, unwritten, digest="stub") == ()  # the untouched stub: nothing to review
    grade_at(store, T0 + 60, checks(ONE_SIDE_FAILS), digest="a")
    grade_at(store, T0 + 120, checks(), digest="b")
    (missed,) = grade_at(store, T0 + 3 * DAY, unwritten, digest="drill, handed in untouched")
    assert missed.rating == AGAIN


def test_a_hint_taken_before_the_mistake_existed_does_not_count(store: Store) -> None:
    store.take_hint("ex01", 4, now=T0 - 30 * DAY)  # when first solving it, long ago
    grade_at(store, T0, checks(ONE_SIDE_FAILS), digest="a")  # a new mistake, in a drill
    (first,) = grade_at(store, T0 + 600, checks(), digest="b")
    assert first.rating == GOOD


def test_grading_the_same_code_again_is_not_a_review(store: Store) -> None:
    grade_at(store, T0, checks(ONE_SIDE_FAILS), digest="a")
    grade_at(store, T0 + 60, checks(), digest="b")
    before = only_item(store, "normalised one side only")
    assert grade_at(store, T0 + 5 * DAY, checks(), digest="b") == ()  # grade all over an unchanged file
    assert only_item(store, "normalised one side only") == before


def test_a_grading_that_does_not_run_an_items_checks_does_not_review_it(store: Store) -> None:
    grade_at(store, T0, checks(ONE_SIDE_FAILS), digest="a")
    skipped = [(n, "skipped", None) for n in PAIRWISE] + checks(names=COSINE)
    assert grade_at(store, T0 + 60, skipped, digest="b") == ()
    # Checks gone from the exercise (renamed): the grading as a whole stands in for them.
    (stand_in,) = grade_at(store, T0 + 120, checks(names=("renamed check", *COSINE)), digest="c")
    assert stand_in.rating == GOOD


def test_a_mistake_seen_on_a_new_check_adds_that_check(store: Store) -> None:
    grade_at(store, T0, checks({PAIRWISE[0]: "normalised one side only"}), digest="a")
    grade_at(store, T0 + 60, checks(ONE_SIDE_FAILS), digest="b")
    assert only_item(store, "normalised one side only").checks == PAIRWISE


def test_items_are_derived_again_from_the_gradings_exactly(store: Store) -> None:
    grade_at(store, T0, checks({**ONE_SIDE_FAILS, COSINE[1]: None}), digest="a")
    store.take_hint("ex01", 4, now=T0 + 100)
    grade_at(store, T0 + 200, checks(), digest="b")
    grade_at(store, T0 + 3 * DAY, checks(ONE_SIDE_FAILS), digest="c")
    grade_at(store, T0 + 4 * DAY, checks(), digest="d")
    live = sorted(map(dict, store.conn.execute("SELECT * FROM review_item")), key=lambda r: r["part"])
    with store.transaction() as c:
        review_items.rebuild(c)
    again = sorted(map(dict, store.conn.execute("SELECT * FROM review_item")), key=lambda r: r["part"])
    for row in (*live, *again):
        row.pop("id")
    assert again == live


# --- the store: migration and rebuild ---------------------------------------------------

# The store's schema in the release before review items (format 1), verbatim.
V1_SCHEMA = """
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
    via TEXT NOT NULL
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
    PRIMARY KEY (drill, position)
);
"""
V1_TABLES = ("meta", "exercise", "attempt", "drill", "drill_problem")


def write_v1_store(path: Path) -> dict[str, list[tuple]]:
    """A store as the current release writes it: ex01 failed twice then solved (a hint taken),
    ex02 solved at once, one drill. Returns every row of every table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.executescript(V1_SCHEMA)
    db.executemany("INSERT INTO meta VALUES (?, ?)", [("created", str(T0)), ("course_title", "Tiny course")])
    db.executemany(
        "INSERT INTO exercise VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ("ex01", T0, T0 + 7200, 20.0, 20.0, 3, 1, None, T0 + 7200, 20.0, 3),
            ("ex02", T0, T0 + 60, 20.0, 20.0, 1, 0, None, T0 + 60, 20.0, 4),
        ],
    )
    db.executemany(
        "INSERT INTO attempt (exercise, at, score, max_score, seed, seconds, via) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            ("ex01", T0 + 10, 0.0, 20.0, 1, 0.5, "check"),
            ("ex01", T0 + 3600, 12.0, 20.0, 2, 0.5, "watch"),
            ("ex01", T0 + 7200, 20.0, 20.0, 3, 0.5, "check"),
            ("ex02", T0 + 60, 20.0, 20.0, 4, 0.5, "all"),
        ],
    )
    db.execute("INSERT INTO drill VALUES (1, ?, 20, '/tmp/ws', 5, 'submitted', ?)", (T0 + 100, T0 + 900))
    db.execute("INSERT INTO drill_problem VALUES (1, 0, 'ex02', 'ex02_copy', 20.0, 20.0)")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    rows = {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in V1_TABLES}
    db.close()
    return rows


def v1_rows(path: Path) -> dict[str, list[tuple]]:
    db = sqlite3.connect(path)
    try:
        out = {}
        for t in V1_TABLES:
            cols = [r[1] for r in db.execute(f"PRAGMA table_info({t})")]
            old = [c for c in cols if c not in ("digest", "item")]
            out[t] = sorted(db.execute(f"SELECT {', '.join(old)} FROM {t}").fetchall(), key=repr)
        return out
    finally:
        db.close()


def store_path(root: Path) -> Path:
    import os

    return Path(os.environ["GRADE_STATE_DIR"]) / "courses" / course_key(load_course(root)) / "progress.db"


def test_a_store_of_the_current_release_is_migrated_keeping_every_row(course_dir: Path) -> None:
    path = store_path(course_dir)
    before = write_v1_store(path)
    with Store.open(load_course(course_dir)) as s:
        assert s.notices == []  # migrated in place, not rebuilt
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        (item,) = review_items.items(s.conn)
        reviews = [r["rating"] for r in s.conn.execute("SELECT rating FROM review ORDER BY at")]
        hints = s.conn.execute("SELECT exercise, at FROM hint").fetchall()
    after = v1_rows(path)
    for table in ("exercise", "attempt", "drill", "drill_problem"):
        assert after[table] == before[table], table
    assert set(before["meta"]) <= set(after["meta"])
    # ex01's history became one item: the exercise as a whole (checks were not kept then),
    # created at its first failure, then passed after the hint taken.
    # The 0 first (most often the untouched stub) is no mistake; the 12/20 is.
    assert (item.exercise, item.kind, item.part, item.created) == ("ex01", "exercise", "", T0 + 3600)
    assert reviews == [AGAIN, HARD]
    assert [tuple(h) for h in hints] == [("ex01", T0 + 7200)]  # the hint's time is unknown: dated at the solve


def test_the_migration_is_all_or_nothing(course_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = store_path(course_dir)
    before = write_v1_store(path)

    def fail(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO review_item (exercise, part, kind, checks, created, card, due) VALUES ('x', 'y', 'z', '[]', 0, '{}', 0)")
        raise sqlite3.OperationalError("disk I/O error")  # mid-migration

    with monkeypatch.context() as m, pytest.raises(store_module.StoreUnavailable):
        m.setattr(review_items, "rebuild", fail)
        Store.open(load_course(course_dir))
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == set(V1_TABLES)  # no half-made table, no added column
    assert [r[1] for r in db.execute("PRAGMA table_info(attempt)")][-1] == "via"
    db.close()
    assert v1_rows(path) == before
    with Store.open(load_course(course_dir)) as s:  # the next run migrates
        assert len(review_items.items(s.conn)) == 1
    assert v1_rows(path)["attempt"] == before["attempt"]


def test_a_store_that_must_be_rebuilt_derives_its_reviews_from_the_gradings(course_dir: Path) -> None:
    path = store_path(course_dir)
    with Store.open(load_course(course_dir)) as s:
        grade_at(s, T0, checks(ONE_SIDE_FAILS), digest="a")
        grade_at(s, T0 + 60, checks(), digest="b")
        items = review_items.items(s.conn)
        s.conn.execute("PRAGMA user_version = 42")  # unreadable by this version: moved aside, salvaged
    with Store.open(load_course(course_dir)) as s:
        assert any("could not be used" in n for n in s.notices)
        assert len(s.attempts("ex01")) == 2
        rebuilt = review_items.items(s.conn)
    assert [(i.part, i.due, i.checks, i.last_passed) for i in rebuilt] == [(i.part, i.due, i.checks, i.last_passed) for i in items]
    assert any(p.name.endswith(".bak.db") for p in path.parent.iterdir())


# --- grade drill --interview --------------------------------------------------------------


def test_an_interview_mixes_due_reviews_with_unseen_problems_by_topic(tmp_path: Path) -> None:
    from grader.learner.drills import choose_interview
    from grader.learner.store import ExerciseProgress

    topics = {"ex01": ["vectors"], "ex02": ["vectors"], "ex03": ["graphs"], "ex04": ["vectors"], "ex05": ["graphs"]}
    course = load_course(make_course(tmp_path / "c", tuple(topics), topics))
    progress = {"ex01": ExerciseProgress("ex01", first_opened=T0, first_solved=T0, attempts=2),
                "ex02": ExerciseProgress("ex02", first_opened=T0, first_solved=T0, attempts=1)}

    def item(n: int, exercise: str, due: float) -> review_items.Item:
        return review_items.Item(n, exercise, f"mistake {n}", "mistake", ("c",), T0, due, T0, T0, 1, 0)

    due = [item(1, "ex02", T0 - 5 * DAY), item(2, "ex01", T0 - DAY), item(3, "ex02", T0 - 1)]
    minutes = {ex.id: ex.minutes for ex in course.exercises}
    pick = choose_interview(course, progress, {}, due, minutes=4 * minutes["ex01"], seed=1)
    ids = [ex.id for ex in pick.exercises]
    # Most overdue review first, then an unseen problem on the reviews' topic, in turns.
    assert ids == ["ex02", "ex04", "ex01", ids[3]] and ids[3] in ("ex03", "ex05")
    assert {k: v.id for k, v in pick.items.items()} == {"ex02": 1, "ex01": 2}
    short = choose_interview(course, progress, {}, due, minutes=1, seed=1)
    assert [ex.id for ex in short.exercises] == ["ex02"]  # always one problem
    graphs = choose_interview(course, progress, {}, due, topics=("graphs",), minutes=600, seed=1)
    assert {ex.id for ex in graphs.exercises} == {"ex03", "ex05"} and graphs.items == {}
    assert any("no reviews are due" in n for n in graphs.notes)


# --- grade review, end to end -------------------------------------------------------------


def grade(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def learner_file(root: Path) -> Path:
    return root / "exercises" / FOLDER / "cosine.py"


class Clock:
    """The store's clock, moved by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = time.time()
        monkeypatch.setattr(store_module, "current_time", lambda: self.now)


def snapshot(root: Path) -> dict[str, list[tuple]]:
    db = sqlite3.connect(store_path(root))
    try:
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in ("review_item", "review", "attempt", "drill", "drill_problem")}
    finally:
        db.close()


def test_grade_review_with_nothing_failed_says_so(course_dir: Path) -> None:
    assert grade("ex01").exit_code == 1  # the untouched stub: not written yet is no mistake
    assert "Nothing to review" in grade("review").output
    learner_file(course_dir).write_text(REFERENCE)
    assert grade("ex01").exit_code == 0
    result = grade("review")
    assert result.exit_code == 0 and "Nothing to review" in result.output
    assert "Reviews due" not in grade("list").output


def test_grade_review_end_to_end(course_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.cli import drill as drill_cli

    clock = Clock(monkeypatch)
    learner_file(course_dir).write_text(ONE_SIDE)
    assert grade("ex01").exit_code == 1
    waiting = grade("review")
    assert "come up once you have solved" in waiting.output and "Reviews due" not in grade().output

    learner_file(course_dir).write_text(REFERENCE)
    assert grade("ex01").exit_code == 0
    clock.now += 0.5 * DAY
    early = grade("review")
    assert "No reviews due. The next one: ex01" in early.output and "due in" in early.output

    clock.now += 3 * DAY
    with Store.open(load_course(course_dir)) as s:
        n_due = review_items.count_due(s.conn, clock.now)
    assert n_due >= 1 and f"Reviews due: {n_due} · grade review" in grade().output  # grade alone, and grade list
    listed = grade("review", "--list")
    assert listed.exit_code == 0
    assert "normalised one side only" in listed.output and "the mistake" in listed.output and "days ago" in listed.output
    with Store.open(load_course(course_dir)) as s:
        first = review_items.due(s.conn, clock.now)[0]

    # Ctrl-C during the countdown: the drill's clock keeps running, nothing is graded or reviewed.
    before = snapshot(course_dir)

    real_sleep = time.sleep

    def ctrl_c(seconds: float) -> None:
        if sys._getframe(1).f_code is drill_cli._wait.__code__:  # the countdown, not a subprocess's poll
            raise KeyboardInterrupt
        real_sleep(seconds)

    with monkeypatch.context() as m:
        m.setattr(drill_cli.time, "sleep", ctrl_c)
        opened = grade("review", "--wait", "--workspace", str(tmp_path / "ws"))
    assert opened.exit_code == 0, opened.output
    assert f"Reviewing 1: ex01 · {first.label}" in opened.output
    assert "This is a review of a mistake you made before" in opened.output
    assert "The drill is still running" in opened.output and "grade drill --submit" in opened.output
    after = snapshot(course_dir)
    assert after["review_item"] == before["review_item"] and after["review"] == before["review"]
    assert after["attempt"] == before["attempt"]
    (drill,) = [d for d in after["drill"] if d[5] == "active"]
    ex = load_course(course_dir).resolve("ex01")
    assert drill[2] == ex.minutes  # the review's clock: the exercise's own time, still running
    assert [(p[2], p[6]) for p in after["drill_problem"]] == [("ex01", first.id)]
    assert learner_file(course_dir).read_text() == REFERENCE  # the course work is untouched

    busy = grade("review")
    assert busy.exit_code == 1 and "A drill is in progress" in busy.output

    # Hand in a fixed copy: graded as a drill, the item's checks first on the card, reviewed.
    (tmp_path / "ws" / FOLDER / "cosine.py").write_text(REFERENCE)
    handed = grade("drill", "--submit")
    assert handed.exit_code == 0, handed.output
    card = [line.strip() for line in handed.output.splitlines() if line.strip().startswith("✓")]
    assert card[0].split("  ")[0].lstrip("✓ ").strip() in first.checks
    assert f"Review · ex01 · {first.label}: remembered. Next review in" in handed.output
    with Store.open(load_course(course_dir)) as s:
        reviewed = review_items.item(s.conn, first.id)
        assert s.progress("ex01").attempts == 2  # a drill is not course progress
        assert [a["via"] for a in s.attempts("ex01", drills=True)] == ["check", "check", "drill"]
    assert reviewed is not None and reviewed.due > first.due + DAY and reviewed.reviews == first.reviews + 1


def test_grade_drill_interview_includes_due_reviews(course_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    with Store.open(load_course(course_dir)) as s:
        grade_at(s, clock.now, checks(ONE_SIDE_FAILS), digest="a")
        grade_at(s, clock.now + 60, checks(), digest="b")
    clock.now += 10 * DAY
    refused = grade("drill", "--interview", "30", "--minutes", "20")
    assert refused.exit_code == 2 and "--interview MINUTES" in refused.output
    started = grade("drill", "--interview", "30", "--workspace", str(tmp_path / "ws"), "--detach")
    assert started.exit_code == 0, started.output
    assert "30 minutes" in started.output and "This is a review of a mistake you made before: normalised one side only" in started.output
    with Store.open(load_course(course_dir)) as s:
        drill = s.active_drill()
        assert drill is not None and [p.item for p in drill.problems] == [only_item(s, "normalised one side only").id]


def test_review_texts_are_plain_words() -> None:
    from grader.cli import review as review_cli

    texts = [v for k, v in vars(review_cli).items() if k.isupper() and isinstance(v, str)]
    for text in texts:
        assert "FSRS" not in text and "card" not in text.lower() and "item" not in text.lower(), text
    assert json.dumps(texts)  # constants, printable as they are
