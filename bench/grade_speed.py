"""How long `grade` takes, start to score card, against the floors and the incumbents.

Measured in one run on this machine (medians of --repeat runs):
  floors        python -c "import numpy", python -c "import torch", pytest on six trivial tests
  grade ex01    the untouched stub (0 marks) and the reference (full marks), numpy exercise
  grade ex09    a torch exercise, first grade from a cold process
  re-grade      a second grading in the same process, as `grade watch` does (warm zygote)
  nbgrader      `nbgrader autograde` of the same exercise and checks (the notebook that
                `grade publish` writes), when nbgrader is installed (pip install '.[bench]')
  otter-grader  `otter run` and `otter check` of the same exercise, checks ported case for
                case (bench/_otter.py), when otter is installed (the bench extra, or its own
                environment: see bench/_otter.py)

Targets (issue 8): grade ex01 <= 0.5 s and >= 8x faster than nbgrader's single-learner
autograde (and otter-grader, which the issue puts at 9.5 s); first torch grade within 1.3x of the import-torch floor; re-grades < 0.5 s.

Run: python bench/grade_speed.py [--repeat N] [--no-nbgrader] [--no-otter]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from _common import ROOT, median_time, run_command, table

# What a learner types: the console script, where installed.
GRADE = [shutil.which("grade")] if shutil.which("grade") else [sys.executable, "-m", "grader"]


def floors(repeat: int) -> list[tuple[str, float, str]]:
    tmp = Path(tempfile.mkdtemp())
    (tmp / "test_six.py").write_text("".join(f"def test_{i}():\n    assert {i} == {i}\n" for i in range(6)))
    rows = [
        ("python -c 'import numpy'", run_command([sys.executable, "-c", "import numpy"], repeat), "floor"),
        ("python -c 'import torch'", run_command([sys.executable, "-c", "import torch"], repeat), "floor"),
        ("pytest, six trivial tests", run_command([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp)], repeat, cwd=tmp), "floor"),
        (
            "pytest, six tests, no plugin autoload",
            run_command([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp)], repeat, cwd=tmp, env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}),
            "floor",
        ),
    ]
    shutil.rmtree(tmp)
    return rows


def grade_rows(repeat: int) -> tuple[list[tuple[str, float, str]], dict[str, float]]:
    stub = run_command([*GRADE, "--course", str(ROOT), "ex01"], repeat)
    ref = run_command([*GRADE, "--course", str(ROOT), "ex01", "--file", str(ROOT / "solutions/ex01_cosine_similarity")], repeat)
    torch_first = run_command([*GRADE, "--course", str(ROOT), "ex09", "--file", str(ROOT / "solutions/ex09_attention")], max(3, repeat // 2))
    warm = warm_regrade(repeat)
    figures = {"stub": stub, "reference": ref, "torch": torch_first, "warm_numpy": warm["ex01"], "warm_torch": warm["ex09"]}
    return [
        ("grade ex01 (stub, 11 checks fail)", stub, "target <= 0.5 s"),
        ("grade ex01 (reference, 11 checks pass)", ref, "target <= 0.5 s"),
        ("grade ex09 (torch, reference, cold)", torch_first, "target <= 1.3x import torch"),
        ("re-grade ex01 in a warm process (watch)", warm["ex01"], "target < 0.5 s"),
        ("re-grade ex09 in a warm process (watch)", warm["ex09"], "target < 0.5 s"),
    ], figures


def warm_regrade(repeat: int) -> dict[str, float]:
    """Time a second grading in one process, as `grade watch` does after a save."""
    code = f"""
import json, sys, time
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from grader.course import load_course
from grader.grading.runner import grade
course = load_course(Path({str(ROOT)!r}))
out = {{}}
for name, sol in (("ex01", "ex01_cosine_similarity"), ("ex09", "ex09_attention")):
    ex = course.resolve(name)
    src = Path({str(ROOT)!r}) / "solutions" / sol
    grade(ex, source=src)
    times = []
    for _ in range({repeat}):
        t = time.perf_counter(); grade(ex, source=src); times.append(time.perf_counter() - t)
    out[name] = sorted(times)[len(times) // 2]
print(json.dumps(out))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def nbgrader_row(repeat: int) -> tuple[str, float, str] | None:
    """nbgrader autograde of ex01: the source notebook `grade publish` writes, the reference as the submission."""
    if shutil.which("nbgrader") is None:
        return None
    tmp = Path(tempfile.mkdtemp())
    subprocess.run([*GRADE, "--course", str(ROOT), "publish", str(tmp / "out"), "-e", "ex01", "--only", "nbgrader"], check=True, capture_output=True)
    notebooks = sorted((tmp / "out").rglob("*.ipynb"))
    source_nb = next(p for p in notebooks if "source" in p.parts)
    course = tmp / "nbcourse"
    (course / "source" / "ps1").mkdir(parents=True)
    shutil.copy(source_nb, course / "source" / "ps1" / source_nb.name)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.root = '.'\nc.CourseDirectory.course_id = 'bench'\n"
        "c.Exchange.root = '.exchange'\nc.ExecutePreprocessor.timeout = 120\n"
    )
    run = lambda *args: subprocess.run(["nbgrader", *args], cwd=course, check=True, capture_output=True)  # noqa: E731
    run("db", "assignment", "add", "ps1")
    run("db", "student", "add", "learner")
    run("generate_assignment", "ps1", "--force")
    submitted = course / "submitted" / "learner" / "ps1"
    submitted.mkdir(parents=True)
    # The release notebook answered with the solution cells of the source: a correct submission.
    shutil.copy(course / "source" / "ps1" / source_nb.name, submitted / source_nb.name)
    seconds = median_time(lambda: run("autograde", "ps1", "--student", "learner", "--force"), repeat=max(3, repeat // 2), warmup=1)
    shutil.rmtree(tmp, ignore_errors=True)
    return ("nbgrader autograde ex01 (one learner)", seconds, "incumbent")


def _one(row: tuple[str, float, str] | None) -> list[tuple[str, float, str]] | None:
    return [row] if row else None


def incumbent(
    name: str, measure: Callable[[], list[tuple[str, float, str]] | None], ours: float, target: str | None, missing: str
) -> None:
    """Time an incumbent (None: not installed) and print its ratio to `grade ex01`."""
    try:
        rows = measure()
    except (subprocess.CalledProcessError, StopIteration, RuntimeError) as exc:
        print(f"\n  {name} baseline failed: {exc}")
        return
    if not rows:
        print(f"\n  {name} not installed: {missing}")
        return
    table(rows, "incumbent")
    for label, seconds, _ in rows:
        goal = f" (target >= {target})" if target else ""
        print(f"\n  {label.split(' ex01')[0]} / grade ex01 (reference) = {seconds / ours:.1f}x{goal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-nbgrader", action="store_true")
    parser.add_argument("--no-otter", action="store_true")
    args = parser.parse_args()
    floor_rows = floors(args.repeat)
    table(floor_rows, "floors")
    rows, fig = grade_rows(args.repeat)
    table(rows, "grade")
    torch_floor = floor_rows[1][1]
    print(f"\n  first torch grade / import torch = {fig['torch'] / torch_floor:.2f} (target <= 1.3)")
    if not args.no_nbgrader:
        incumbent("nbgrader", lambda: _one(nbgrader_row(args.repeat)), fig["reference"], "8x",
                  "pip install '.[bench]' for the baseline")
    if not args.no_otter:
        from _otter import otter_rows

        incumbent("otter-grader", lambda: otter_rows(args.repeat), fig["reference"], None,
                  "pip install '.[bench]', or see bench/_otter.py for its own environment")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
