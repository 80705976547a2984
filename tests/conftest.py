"""Shared fixtures for the platform's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def course():
    from grader.course import load_course

    return load_course(ROOT)


def one_exercise_course(root: Path, title: str = "Mini") -> Path:
    """A copy of the course holding only ex01 (and its solution), to grade or break freely."""
    import shutil

    for part in ("exercises", "solutions"):
        shutil.copytree(ROOT / part / "ex01_cosine_similarity", root / part / "ex01_cosine_similarity")
    (root / "course.yaml").write_text(f"title: {title}\nexercises:\n  - ex01_cosine_similarity\n")
    return root
