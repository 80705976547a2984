"""What a Gradescope autograder's ``run_autograder`` runs: ``python -m grader.instructor.autograder EXERCISE``.

It finds the learner's files anywhere in the submission folder (Gradescope keeps the
uploaded layout; a notebook's code cells count as the module), stages them, and grades
them with the same runner as ``grade EXERCISE``, writing Gradescope's ``results.json``.
Changes when Gradescope's contract changes. Whatever goes wrong, a ``results.json`` is left behind with a reason, so the
learner sees a message rather than "The autograder failed to execute correctly".
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

NOT_FOUND = (
    "We could not find {name} in your submission (it holds: {listing}). Upload {name}, "
    "or a notebook whose code cells define {entry_points}, and submit again."
)
NOT_GRADED = "Your submission could not be graded: {error}. Your instructor can see this message."


def _fallback(results: Path, message: str, max_score: float) -> None:
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps({
        "score": 0.0,
        "output": message,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [{"name": "submission found and graded", "score": 0.0, "max_score": max_score, "status": "failed", "output": message, "visibility": "visible"}],
    }, indent=2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.instructor.autograder", description=__doc__.splitlines()[0])
    parser.add_argument("exercise")
    parser.add_argument("--submission", type=Path, default=Path("/autograder/submission"))
    parser.add_argument("--results", type=Path, default=Path("/autograder/results/results.json"))
    parser.add_argument("--course", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)

    import click

    from grader.course import load_course
    from grader.errors import GradeError
    from grader.grading.card import score_card
    from grader.grading.runner import grade
    from grader.instructor.batch import locate, stage

    max_score = 0.0
    try:
        course = load_course(args.course)
        ex = course.resolve(args.exercise)
        max_score = float(ex.points)
        located = locate(ex, args.submission, sole_exercise=True) if args.submission.is_dir() else None
        if located is None:
            listing = ", ".join(p.name for p in sorted(args.submission.glob("*"))[:20]) if args.submission.is_dir() else "nothing"
            _fallback(args.results, NOT_FOUND.format(name=ex.files.learner[0], listing=listing or "nothing", entry_points=", ".join(ex.entry_points)), max_score)
            return 0
        with tempfile.TemporaryDirectory(prefix="grade-submission-") as tmp:
            staged = Path(tmp) / ex.folder
            stage(ex, located, staged)
            args.results.unlink(missing_ok=True)
            result = grade(ex, source=staged, require_isolation=not course.allow_weak_isolation)
            args.results.parent.mkdir(parents=True, exist_ok=True)
            args.results.write_text(json.dumps(result.to_gradescope(), indent=2))
            click.echo(score_card(result))  # the autograder's log, for the instructor
    except GradeError as exc:
        _fallback(args.results, NOT_GRADED.format(error=exc), max_score)
    except Exception as exc:  # never leave Gradescope without results.json
        _fallback(args.results, NOT_GRADED.format(error=f"{type(exc).__name__}: {exc}"), max_score)
    if not args.results.is_file():
        _fallback(args.results, NOT_GRADED.format(error="the grader wrote no results"), max_score)
    return 0


if __name__ == "__main__":
    sys.exit(main())
