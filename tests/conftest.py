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
