"""What every published product copies out of the instructor's tree, stripped of what is theirs alone.

Changes when the parts of the course that travel with a product change: the grader package
and its ``pyproject.toml`` (so ``pip install -e .`` works there), a ``course.yaml`` keeping only
the keys learners may see (never the secret; the learner bundle's also names the grading
service, ``server:``, and its exercises' ``due:`` dates), and the torch build an exercise needs.
The learner bundle and the Gradescope autograder both ship a runnable copy of the course this way.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from grader.course import COURSE_FILE, Course, Exercise

COURSE_KEYS_FOR_LEARNERS = ("title", "exercises", "defaults")  # secret, solutions: instructor only
PACKAGE_FILES = ("pyproject.toml",)
TORCH_SPEC = "torch==2.13.0"
# The shipped pyproject.toml describes the course it ships with, never the subject of the course
# the grader was developed beside.
COURSE_DESCRIPTION = "{title}: exercises graded by grade, with feedback that teaches."
PLAIN_DESCRIPTION = "grade: exercises graded by hidden checks, with feedback that teaches."
_DESCRIPTION_RE = re.compile(r"^description\s*=\s*\".*\"\s*$", re.MULTILINE)


def yaml_dump(data: Any, header: str = "") -> str:
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110, default_flow_style=None)


def copy_grader(dest: Path, course_title: str | None = None) -> None:
    """The grader package and the project files that install it, into ``dest``, described as ``course_title``'s."""
    package = Path(__file__).resolve().parents[2]  # grader/, from grader/instructor/publish/
    shutil.copytree(package, dest / "grader", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
    project = package.parent
    for name in PACKAGE_FILES:
        if (project / name).is_file():
            shutil.copy2(project / name, dest / name)
    pyproject = dest / "pyproject.toml"
    if pyproject.is_file():
        description = COURSE_DESCRIPTION.format(title=course_title) if course_title else PLAIN_DESCRIPTION
        line = "description = " + json.dumps(description, ensure_ascii=False)  # a JSON string is a TOML basic string
        text = _DESCRIPTION_RE.sub(lambda _: line, pyproject.read_text(encoding="utf-8"), count=1)
        pyproject.write_text(text, encoding="utf-8")


def course_yaml(course: Course, exercises: list[Exercise], header: str, *, service: bool = False) -> str:
    """``course.yaml`` for ``exercises`` only, without the instructor's keys; with ``service``
    (the learner bundle), also the grading service's address and these exercises' due dates."""
    from grader.course.yamlio import load_yaml

    data, _ = load_yaml(course.root / COURSE_FILE)
    kept = {k: v for k, v in data.items() if k in COURSE_KEYS_FOR_LEARNERS}
    kept["exercises"] = [ex.folder for ex in exercises]
    if service and course.server:
        kept["server"] = course.server
    due = {ex.id: course.due[ex.id].isoformat() for ex in exercises if ex.id in course.due}
    if service and due:  # only the published exercises': a date for one not shipped would not load
        kept["due"] = due
    return yaml_dump(kept, header)


def needs_torch(exercises: Iterable[Exercise]) -> bool:
    return any({"torch", "triton"} & set(ex.requires) for ex in exercises)
