"""Batch grading throughput: `grade batch` against `nbgrader autograde`, same class, same checks.

A class of N learners hands in ex01: a third the reference, the rest the course's own
misconceptions written out as learner code (every submission is graded in full). We time
`grade batch --jobs 1` and `--jobs 2` (memory: peak RSS of the whole process tree), and,
when nbgrader is installed (pip install '.[bench]'), `nbgrader autograde` of the same
class from the notebooks `grade publish` writes.

Target (issue 8): >= 20x nbgrader's per-submission throughput; scaling with --jobs up to
the cores; memory flat in the class size.

Run: python bench/batch_speed.py [--learners 20] [--no-nbgrader]
"""

from __future__ import annotations

import argparse
import inspect
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from _common import ROOT, machine

GRADE = [sys.executable, "-m", "grader", "--course", str(ROOT)]
REFERENCE = (ROOT / "solutions/ex01_cosine_similarity/cosine.py").read_text()


def variants() -> list[str]:
    """Learner files: the reference, and each misconception spliced into it."""
    sys.path.insert(0, str(ROOT))
    from grader.checking.misconceptions import load_misconceptions

    out = [REFERENCE]
    for m in load_misconceptions(ROOT / "solutions/ex01_cosine_similarity/misconceptions.py"):
        extra = "\n\n".join(textwrap.dedent(inspect.getsource(fn)).split("\n", 1)[1] for fn in m.functions.values())
        out.append(REFERENCE + "\n\n" + extra)
    return out


def make_class(folder: Path, n: int) -> None:
    files = variants()
    for i in range(n):
        d = folder / f"learner{i:03d}" / "ex01_cosine_similarity"
        d.mkdir(parents=True)
        (d / "cosine.py").write_text(files[i % len(files)] if i % 3 else files[0])


def time_batch(submissions: Path, jobs: int, work: Path) -> tuple[float, float]:
    out = work / f"grades-j{jobs}.csv"
    start = time.perf_counter()
    subprocess.run([*GRADE, "batch", str(submissions), "--out", str(out), "--jobs", str(jobs), "-e", "ex01"],
                   check=False, capture_output=True, env={**__import__("os").environ, "GRADE_SECRET": "bench"})
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak_mb


def time_nbgrader(n: int, work: Path) -> float | None:
    if shutil.which("nbgrader") is None:
        return None
    subprocess.run([*GRADE, "publish", str(work / "pub"), "-e", "ex01", "--only", "nbgrader"], check=True, capture_output=True)
    source_nb = next((work / "pub").rglob("*.ipynb"))
    course = work / "nbcourse"
    (course / "source" / "ps1").mkdir(parents=True)
    shutil.copy(source_nb, course / "source" / "ps1" / source_nb.name)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.root = '.'\nc.CourseDirectory.course_id = 'bench'\nc.Exchange.root = '.exchange'\n"
    )
    run = lambda *a: subprocess.run(["nbgrader", *a], cwd=course, check=True, capture_output=True)  # noqa: E731
    run("db", "assignment", "add", "ps1")
    for i in range(n):
        run("db", "student", "add", f"learner{i:03d}")
        d = course / "submitted" / f"learner{i:03d}" / "ps1"
        d.mkdir(parents=True)
        shutil.copy(source_nb, d / source_nb.name)
    run("generate_assignment", "ps1", "--force")
    start = time.perf_counter()
    run("autograde", "ps1", "--force")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--no-nbgrader", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    sizes = (args.learners, args.learners * 4)
    times: dict[tuple[int, int], tuple[float, float]] = {}
    for n in sizes:
        make_class(work / f"class{n}", n)
        for jobs in (1, 2):
            times[n, jobs] = time_batch(work / f"class{n}", jobs, work)
    print(f"\nbatch grading, ex01  ({machine()})")
    for n in sizes:
        for jobs in (1, 2):
            seconds, peak = times[n, jobs]
            print(f"  {n:4d} learners, --jobs {jobs}: {seconds:6.2f} s, {seconds / n * 1000:6.1f} ms per submission, peak RSS of a process {peak:.0f} MB")
        print(f"  {n:4d} learners, scaling --jobs 1 -> 2: {times[n, 1][0] / times[n, 2][0]:.2f}x")
    for jobs in (1, 2):
        # The class grown by 3n learners, over its cost: throughput once started.
        marginal = (times[sizes[1], jobs][0] - times[sizes[0], jobs][0]) / (sizes[1] - sizes[0])
        print(f"  each further submission, --jobs {jobs}: {marginal * 1000:6.1f} ms")
    rows = [(jobs, *times[args.learners, jobs]) for jobs in (1, 2)]
    if not args.no_nbgrader:
        nb = time_nbgrader(args.learners, work)
        if nb is None:
            print("  nbgrader not installed: pip install '.[bench]' for the baseline")
        else:
            per_nb = nb / args.learners
            best = min(r[1] for r in rows) / args.learners
            print(f"  nbgrader autograde: {nb:6.2f} s, {per_nb * 1000:6.1f} ms per submission")
            print(f"  grade batch (best, {args.learners} learners) vs nbgrader per submission: {per_nb / best:.1f}x faster (target >= 20x)")
    print(json.dumps({"learners": args.learners, "batch": rows}), file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
