"""`grade report`: a self-contained HTML page, checked by rendering it in headless Chromium."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.instructor.gradebook import Gradebook, Row

GRADE = [sys.executable, "-c", "from grader.cli import run; run()"]
CHECKS = [("cosine of two vectors", 2), ("zero vector gives zero", 2), ("pairwise matches", 4), ("top k order", 2)]
MISCONCEPTIONS = ["raw dot product", "least similar first", None]


def _chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "chrome") if shutil.which(n)), None)


def fake_gradebook(path: Path, learners: int = 40) -> Path:
    """A gradebook with varied rows, written through the real Gradebook API (no grading)."""
    rnd = random.Random(7)
    with Gradebook(path.with_suffix(".sqlite")) as book:
        for i in range(learners):
            for ex, scale in (("ex01", 1.0), ("ex02", 1.5)):
                checks = []
                for name, pts in CHECKS:
                    ok = rnd.random() < 0.7
                    misconception = None if ok else rnd.choice(MISCONCEPTIONS)
                    checks.append({"name": name, "id": "test_" + name.replace(" ", "_"), "score": pts * scale if ok else 0.0,
                                   "max_score": pts * scale, "status": "passed" if ok else "failed", "misconception": misconception})
                score = sum(c["score"] for c in checks)
                total = sum(c["max_score"] for c in checks)
                outcome = "full" if score == total else ("zero" if score == 0 else "partial")
                if i == 5:
                    outcome, checks, score = "error", [], 0.0
                book.add(Row(learner=f"learner_{i:02d}", exercise=ex, attempt=1, seed=1000 + i, score=score, max_score=total,
                             outcome=outcome, reason="full marks" if outcome == "full" else "something <b>failed</b>",
                             checks=checks, seconds=rnd.uniform(0.5, 4.0), source=f"/tmp/x/{i}", origin=f"learner_{i:02d}/cosine.py",
                             code_sha256="0" * 64, code=""))
        book.set_similarity("ex01", 1, [("learner_01", "learner_02", 0.97)])
        book.export_json(path, course="A <test> course")
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("matplotlib", reason="grade report needs matplotlib (pip install 'grade[instructor]')")
    base = tmp_path_factory.mktemp("report")
    grades = fake_gradebook(base / "grades.json")
    run = subprocess.run([*GRADE, "report", str(grades), "--html", str(base / "report.html")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "6 plots" in run.stdout
    return base / "report.html"


def test_the_report_is_one_self_contained_page(report):
    page = report.read_text()
    assert page.count("src='data:image/png;base64,") == 6  # 2 exercises x (scores, checks, misconceptions)
    assert "http://" not in page and "https://" not in page  # nothing to fetch: opens offline
    for heading in ("Score distribution", "Failure rate per check", "Misconceptions most often matched", "Slowest submissions", "Not graded", "Near-identical"):
        assert heading in page
    assert "raw dot product" in page and "learner_01" in page
    assert "&lt;b&gt;failed&lt;/b&gt;" in page and "A &lt;test&gt; course" in page  # learner text is escaped


def test_report_reads_the_sqlite_gradebook_too(report, tmp_path):
    pytest.importorskip("matplotlib")
    grades = fake_gradebook(tmp_path / "grades.json", learners=5)
    run = subprocess.run([*GRADE, "report", str(grades.with_suffix(".sqlite")), "--html", str(tmp_path / "r.html")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "r.html").read_text().count("data:image/png") >= 4


def test_report_explains_a_file_that_is_not_a_gradebook(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"rows": []}))
    run = subprocess.run([*GRADE, "report", str(tmp_path / "x.json")], capture_output=True, text=True)
    assert run.returncode == 2 and "not a gradebook" in run.stderr


def test_the_report_renders_in_headless_chromium(report, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("Chromium is not installed (apt-get install -y chromium): the rendering check needs it")
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*flags, "--virtual-time-budget=5000", "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120)
    assert 'data-images="6/6"' in dom.stdout, dom.stderr[-2000:]  # every embedded PNG decoded
    shot = tmp_path / "shot.png"
    subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1200,1600", report.as_uri()], capture_output=True, text=True, timeout=120)
    assert shot.is_file()
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    assert pixels[..., :3].std() > 0.05, "the screenshot is blank"
    # Something other than white and black text: the plots' colours are on screen.
    rgb = pixels[..., :3]
    coloured = ((rgb.max(axis=-1) - rgb.min(axis=-1)) > 0.2).mean()
    assert coloured > 0.01


# --- where the page goes without --html -----------------------------------------------------------


def _report_cli(*args: str, cwd: Path):
    from click.testing import CliRunner

    from grader.cli import main

    old = Path.cwd()
    try:
        import os

        os.chdir(cwd)
        return CliRunner(env={"GRADE_COURSE": None}).invoke(main, ["report", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


def test_without_html_the_page_goes_beside_a_gradebook_outside_any_course(tmp_path):
    pytest.importorskip("matplotlib")
    grades = fake_gradebook(tmp_path / "class" / "grades.json", learners=3)
    (tmp_path / "elsewhere").mkdir()
    run = _report_cli(str(grades), cwd=tmp_path / "elsewhere")
    assert run.exit_code == 0, run.output
    page = (tmp_path / "class" / "grades.report.html").resolve()
    assert f"wrote {page} (" in run.output and "outside any course folder" in run.output
    assert page.is_file() and not (tmp_path / "elsewhere" / "report.html").exists()


def test_without_html_a_gradebook_inside_a_course_reports_into_its_ignored_reports_folder(tmp_path):
    pytest.importorskip("matplotlib")
    course = tmp_path / "course"
    course.mkdir()
    (course / "course.yaml").write_text("title: T\nexercises: []\n")
    grades = fake_gradebook(course / "grades.json", learners=3)
    run = _report_cli(str(grades), cwd=course)
    assert run.exit_code == 0, run.output
    page = (course / "reports" / "grades.html").resolve()
    assert f"wrote {page}" in run.output and "is ignored by git" in run.output
    assert page.is_file() and not (course / "report.html").exists()
    assert (course / "reports" / ".gitignore").read_text().splitlines()[-1] == "*"
    if shutil.which("git"):  # git itself agrees, whatever the course's own .gitignore says
        subprocess.run(["git", "init", "-q", str(course)], check=True)
        ignored = subprocess.run(["git", "-C", str(course), "check-ignore", "-q", "reports/grades.html"])
        assert ignored.returncode == 0


def test_the_page_is_laid_out_by_an_autoescaping_template():
    jinja2 = pytest.importorskip("jinja2")
    from grader.instructor.report import TEMPLATE, _environment

    env = _environment()
    assert env.autoescape is True and TEMPLATE in env.list_templates()
    assert isinstance(env.loader, jinja2.PackageLoader)


def test_checks_not_run_are_in_no_total_nor_failure_rate():
    """Rows with a check not run where they were graded (a speed check without a GPU): the card
    is out of the graded points and names the ungraded ones; the check has no failure rate. A row
    exported before ``ungraded_points`` existed (its skipped points still in max_score) reads the same."""
    pytest.importorskip("matplotlib")
    from grader.instructor.report import page_data

    def row(learner: str, score: float, status: str, **extra: float) -> dict:
        checks = [{"name": "right", "max_score": 8.0, "score": score, "status": status},
                  {"name": "fast on a GPU", "max_score": 2.0, "score": 0.0, "status": extra.pop("speed", "ungraded")}]
        return {"learner": learner, "exercise": "ex15", "score": score, "outcome": "full" if score else "zero",
                "checks": checks, "seconds": 1.0, "reason": "", **extra}

    broken = {"learner": "broken", "exercise": "ex15", "score": 0.0, "max_score": 10.0, "outcome": "error", "checks": []}
    rows = [row("new", 8.0, "passed", max_score=8.0, ungraded_points=2.0),
            row("old", 0.0, "failed", max_score=10.0, speed="skipped"), broken]
    page = page_data({"course": "C"}, rows)
    assert (page["cards"][0]["max"], page["cards"][0]["ungraded"]) == ("8", "2 points ungraded")
    assert [c[0] for c in page["exercises"][0]["checks"]] == ["right"]
    assert sorted(r[3] for r in page["slowest"]) == ["0/10", "0/8", "8/8"]  # the error row graded nothing
