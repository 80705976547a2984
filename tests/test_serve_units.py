"""The pieces of ``grade serve`` that need no server: the visibility tiers, the archive checks, the
rate limit, and a stored grading read back into the same card (issue 17)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import zipfile

import click
import pytest

from grader.checking.results import CheckResult, ExerciseResult
from grader.grading.card import score_card
from grader.grading.visibility import WITHHELD, for_learner, withheld
from grader.instructor.serve.limits import RateLimiter, Rejected, learner_files_from_zip

from .helpers import ex01

DUE = dt.datetime(2026, 12, 20, 23, 59, tzinfo=dt.timezone.utc)
BEFORE, AFTER = DUE - dt.timedelta(hours=1), DUE + dt.timedelta(seconds=1)
SECRET_OUTPUT = "called top_k_similar(query=[0.25, 0.5], k=3)\nexpected [4, 1, 0], got [0, 1, 4]"


def graded() -> ExerciseResult:
    result = ExerciseResult(exercise="ex01", title="Cosine similarity", seed=7, max_score=7.0)
    result.checks = [
        CheckResult("cosine matches", "test_cos", 2.0, 2.0, "passed"),
        CheckResult("pairwise rows", "test_pair", 0.0, 2.0, "failed", output="called pairwise_cosine(A, B)\nwrong\nThis looks like a known mistake (normalised one side only): divide both",
                    misconception="normalised one side only", misconceptions=["normalised one side only"],
                    detail="Traceback (instructor)"),
        CheckResult("top k order", "test_topk", 0.0, 2.0, "failed",
                    output=SECRET_OUTPUT + "\nThis looks like a known mistake (least similar first): sort descending",
                    visibility="hidden", misconception="least similar first", misconceptions=["least similar first"],
                    detail="Traceback (instructor)", seconds=0.4),
        CheckResult("single rows", "test_single", 0.0, 1.0, "failed", output="called pairwise_cosine(a1, b1)",
                    visibility="after_due_date"),
    ]
    result.printed = "A = [[0.25, 0.5]]"
    return result


def test_hidden_checks_keep_name_points_and_status_only():
    seen = for_learner(graded(), due=DUE, now=BEFORE)
    top = seen.checks[2]
    assert (top.name, top.score, top.max_score, top.status) == ("top k order", 0.0, 2.0, "failed")
    assert top.output == WITHHELD and top.misconception is None and top.misconceptions == [] and top.detail == ""
    assert seen.printed == ""  # it may have been printed while the hidden check ran
    # The visible check is untouched, and the original result too.
    assert seen.checks[1] == graded().checks[1]
    assert graded().checks[2].misconception == "least similar first"


def test_a_field_added_to_checks_later_does_not_reach_the_learner():
    extra = [f.name for f in dataclasses.fields(CheckResult) if f.name not in
             {"name", "test_id", "score", "max_score", "status", "output", "visibility"}]
    result = graded()
    for f in extra:  # every other field given a value on the hidden check
        kind = type(getattr(result.checks[2], f))
        if kind is str:
            setattr(result.checks[2], f, "leaked")
    seen = for_learner(result, due=DUE, now=BEFORE).checks[2]
    assert all(getattr(seen, f) != "leaked" for f in extra)


def test_after_due_date_checks_open_once_the_date_has_passed():
    before = for_learner(graded(), due=DUE, now=BEFORE).checks[3]
    assert before.output != "called pairwise_cosine(a1, b1)" and "after the due date (2026-12-20T23:59+00:00)" in before.output
    assert for_learner(graded(), due=DUE, now=AFTER).checks[3].output == "called pairwise_cosine(a1, b1)"
    assert withheld(graded().checks[3], due=None, now=AFTER)  # no due date: nothing says when to show it
    assert withheld(dataclasses.replace(graded().checks[0], visibility="after_published"), due=DUE, now=AFTER)


def test_the_learners_card_names_no_mistake_and_shows_no_input_of_a_hidden_check():
    for verbose in (False, True):
        card = click.unstyle(score_card(for_learner(graded(), due=DUE, now=BEFORE), verbose=verbose))
        assert "least similar first" not in card and "sort descending" not in card and "0.25" not in card
        assert "top k order" in card and "0/2" in card
        assert "normalised one side only" in card  # named by a visible check
        full = click.unstyle(score_card(graded(), verbose=verbose))
        assert "least similar first" in full  # the instructor's card (no filter) has it


def test_failing_hidden_checks_are_said_as_withheld_not_as_no_known_mistake():
    result = graded()
    result.checks[1] = dataclasses.replace(result.checks[1], status="passed", score=2.0, output="", misconception=None,
                                           misconceptions=[])
    card = click.unstyle(score_card(for_learner(result, due=DUE, now=BEFORE)))
    assert "2 checks your instructor keeps hidden fail (3 points lost)" in card
    assert "no known mistake" not in card.lower()


def test_an_ungraded_hidden_check_still_says_why_it_did_not_run():
    result = graded()
    result.checks[2] = dataclasses.replace(result.checks[2], status="skipped", output="needs a CUDA GPU", score=0.0)
    assert for_learner(result, due=DUE, now=BEFORE).checks[2].output == "needs a CUDA GPU"


def test_a_stored_grading_reads_back_into_the_same_card():
    result = graded()
    result.notes = ["top_k_similar uses sorted, which this exercise does not allow."]
    result.isolation = {"seccomp": "off: not installed"}
    result.checks.append(CheckResult("speed", "test_speed", 0.0, 3.0, "skipped", output="needs a GPU"))
    back = ExerciseResult.from_json(result.to_json(instructor=True))
    for verbose in (False, True):
        assert score_card(back, verbose=verbose) == score_card(result, verbose=verbose)
    assert back.graded_max == result.graded_max and back.checks[2].detail == "Traceback (instructor)"


# --- limits -----------------------------------------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_the_exercises_files_are_read_and_anything_else_refused():
    ex = ex01()
    assert learner_files_from_zip(_zip({"cosine.py": b"x = 1\n"}), ex, upload_limit=65536) == {"cosine.py": b"x = 1\n"}
    # A folder entry is fine; a second file, a misnamed one, a dot path are not.
    assert learner_files_from_zip(_zip({"cosine.py": b"", "sub/": b""}), ex, upload_limit=65536) == {"cosine.py": b""}
    for entries, words in [
        ({"cosine.py": b"", "notes.txt": b""}, "Not one of them: notes.txt"),
        ({"Cosine.py": b""}, "Missing: cosine.py"),
        ({"./cosine.py": b""}, "not a plain relative path"),
        ({"a\\..\\cosine.py": b""}, "not a plain relative path"),
        ({"C:/cosine.py": b""}, "not a plain relative path"),
    ]:
        with pytest.raises(Rejected) as refused:
            learner_files_from_zip(_zip(entries), ex, upload_limit=65536)
        assert refused.value.status == 400 and words in refused.value.message


def test_the_rate_is_per_learner_over_a_sliding_minute():
    limiter = RateLimiter(2)
    limiter.take("a", now=0.0)
    limiter.take("a", now=10.0)
    limiter.take("b", now=10.0)  # someone else's minute
    with pytest.raises(Rejected) as refused:
        limiter.take("a", now=30.0)
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "30"
    limiter.take("a", now=60.5)  # the first one has left the minute


# --- the queue's recovery ---------------------------------------------------------------------------


def test_recovery_records_a_stored_grading_once_and_requeues_an_unfinished_one(tmp_path):
    import json

    from grader.course import load_course
    from grader.instructor.batch import derive_seed
    from grader.instructor.gradebook import Gradebook, Row
    from grader.instructor.serve.queue import Queue

    from .instructor_support import SECRET, make_course

    course = load_course(make_course(tmp_path / "course"))
    ex = course.resolve("ex01")
    state, book = tmp_path / "state", tmp_path / "state" / "gradebook.sqlite"
    state.mkdir()
    q = Queue(course, state, gradebook=book)
    first = q.accept("ann", ex, {"cosine.py": b"x = 1\n"})
    second = q.accept("ann", ex, {"cosine.py": b"x = 2\n"}, seed=99)
    assert (first.attempt, second.attempt) == (1, 2)
    assert (first.seed, second.seed) == (derive_seed(SECRET, "ann", "ex01", 1), 99)
    assert [s.id for s in q.claim(5)] == [first.id, second.id]
    # A crash after the first one's grading was stored, before it reached the gradebook;
    # the second was being graded; a third never got its row committed.
    row = Row("ann", "ex01", 1, first.seed, 20.0, 20.0, "full", "full marks", [], 0.5, "src", "cosine.py", "sha", "x = 1\n")
    q.db.execute("UPDATE submissions SET row = ? WHERE id = ?", (json.dumps(dataclasses.asdict(row)), first.id))
    (q.spool / ".incoming-abc").mkdir()
    (q.spool / "0123orphan").mkdir()
    q.close()
    again = Queue(course, state, gradebook=book)
    recovered = again.recover()
    assert (recovered.recorded, recovered.requeued, recovered.queued, recovered.removed) == (1, 1, 1, 2)
    assert again.get(first.id).status == "done" and again.get(second.id).status == "queued"
    assert sorted(p.name for p in again.spool.iterdir()) == sorted([first.id, second.id])
    with Gradebook(book) as gb:
        assert [(r.learner, r.attempt, r.score, r.graded_at) for r in gb.rows()] == [("ann", 1, 20.0, row.graded_at)]
    assert again.recover().recorded == 0  # nothing left to do the second time
    third = again.accept("ann", ex, {"cosine.py": b"x = 3\n"})
    assert third.attempt == 3
    again.close()


def test_a_course_without_a_secret_gets_one_kept_in_the_service_state(tmp_path, monkeypatch):
    from grader.course import load_course
    from grader.instructor.serve.queue import Queue

    from .conftest import one_exercise_course

    monkeypatch.delenv("GRADE_SECRET", raising=False)
    course = load_course(one_exercise_course(tmp_path / "course"))
    assert course.secret is None
    (tmp_path / "state").mkdir()
    made = Queue(course, tmp_path / "state", gradebook=tmp_path / "state" / "g.sqlite")
    secret = made.secret
    made.close()
    kept = Queue(course, tmp_path / "state", gradebook=tmp_path / "state" / "g.sqlite")
    assert secret and len(secret) >= 24 and kept.secret == secret
    kept.close()
