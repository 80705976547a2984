"""Helpers for the platform's tests: grade ex01 with a learner file written on the fly."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from grader.checking.results import ExerciseResult
from grader.course import Exercise, Limits, load_course
from grader.grading.runner import grade

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = (ROOT / "solutions/ex01_cosine_similarity/cosine.py").read_text()
FAST_LIMITS = Limits(cpu_seconds=2, wall_seconds=3, memory_mb=512, output_kb=256)


def ex01(limits: Limits = FAST_LIMITS) -> Exercise:
    ex = load_course(ROOT).resolve("ex01")
    return dataclasses.replace(ex, limits=limits)


def grade_source(
    tmp_path: Path, source: str, *, seed: int = 7, limits: Limits = FAST_LIMITS, only: list[str] | None = None
) -> ExerciseResult:
    path = tmp_path / "cosine.py"
    path.write_text(textwrap.dedent(source))
    return grade(ex01(limits), seed=seed, source=path, only=only)


def by_name(result: ExerciseResult) -> dict[str, object]:
    return {c.test_id: c for c in result.checks}


def reference_with(replacement: str) -> str:
    """The reference with extra code appended (later definitions win)."""
    return REFERENCE + "\n\n" + textwrap.dedent(replacement)


def learner_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, root: Path) -> None:
    """A learner's commands run on ``root``, with their state under ``tmp_path``, never the machine's."""
    monkeypatch.setenv("GRADE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("GRADE_COURSE", str(root))
