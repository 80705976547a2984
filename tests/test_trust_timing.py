"""Speed is measured where the learner cannot reach (issue 14): each timing attack in
tests/hostile/timing/ scores what its control (the same slow code without the trick) scores.

A file's docstring says what it expects:

    EXPECT: exNN check_fragment "reason"   that check scores 0 and its message says reason
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from grader.course import load_course
from grader.grading.runner import grade

from .helpers import ROOT

TIMING = sorted((Path(__file__).parent / "hostile" / "timing").glob("*.py"))


def expectation(path: Path) -> tuple[str, str, str]:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    match = re.search(r'EXPECT: (ex\d+) (\w+) "([^"]*)"', doc)
    assert match, f"{path.name} has no EXPECT line"
    return match.group(1), match.group(2), match.group(3)


def test_every_timing_attack_has_its_control():
    attacks = {p.stem for p in TIMING if "control" not in p.stem}
    controls = {p.stem for p in TIMING if "control" in p.stem}
    assert attacks and controls
    for control in controls:
        prefix = control.removesuffix("_control").split("_")[0]
        assert any(a.startswith(prefix) for a in attacks), control


@pytest.mark.slow
@pytest.mark.parametrize("path", TIMING, ids=[p.stem for p in TIMING])
def test_a_timing_trick_earns_no_speed_points(path, tmp_path):
    exercise_id, check, reason = expectation(path)
    ex = load_course(ROOT).resolve(exercise_id)
    submission = tmp_path / ex.folder
    submission.mkdir()
    shutil.copy(path, submission / ex.files.learner[0])
    result = grade(ex, seed=11, source=submission, only=[check])
    assert len(result.checks) == 1, [c.test_id for c in result.checks]
    (c,) = result.checks
    assert c.score == 0 and c.status != "passed", c.output
    assert reason.lower() in c.output.lower(), f"expected {reason!r} in:\n{c.output}"


def test_a_frozen_worker_runs_no_thread_until_thawed(tmp_path):
    """The freeze the speed checks rely on, seen from /proc: every thread of a spinning worker stops."""
    import time

    from grader.sandbox import trusted

    from .helpers import ex01

    module = tmp_path / "cosine.py"
    module.write_text(
        "import threading\n"
        "def spin():\n    while True:\n        pass\n"
        "for _ in range(3):\n    threading.Thread(target=spin, daemon=True).start()\n"
    )
    worker = trusted.worker_for(ex01(), [("cosine.py", module)])
    try:
        worker.start()
        worker.ensure_ready()
        assert worker.pid is not None
        assert worker.freeze()
        states = trusted._group_task_states(worker.pid)
        assert len(states) == 4 and set(states) <= set("Tt"), states
        cpu = worker._cpu_seconds()
        time.sleep(0.3)
        assert worker._cpu_seconds() == cpu  # frozen: not one tick more
        worker.thaw()
        time.sleep(0.3)
        assert worker._cpu_seconds() > cpu
    finally:
        worker.close()
