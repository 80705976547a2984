"""The project stays ruff clean (the rules in pyproject.toml), so a stray import fails CI."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT


def test_ruff_finds_nothing_to_fix():
    pytest.importorskip("ruff", reason="ruff comes with the test extra: pip install -e '.[test]'")
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
