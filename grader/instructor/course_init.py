"""``grade init``: a new course from nothing, and the learner README it keeps generated from course.yaml.

Changes when what a new course starts with changes: ``course.yaml`` (a title, no exercise yet),
empty ``exercises/`` and ``solutions/``, a ``.gitignore`` that keeps learners' state, gradebooks
and reports out of the repository, a CI workflow that runs ``grade verify``, and a README for
learners whose exercise table is written from course.yaml (``grade new`` refreshes it). Every
text here comes from the course's own title and exercises: the engine knows no subject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from grader.course import COURSE_FILE, Course, Exercise, find_course_root, load_course
from grader.errors import UsageError

GITIGNORE_FILE = ".gitignore"
README_FILE = "README.md"
WORKFLOW_FILE = ".github/workflows/verify.yml"
FOLDERS = ("exercises", "solutions")

ALREADY_A_COURSE = "{path} already exists: {root} is a course already (grade new adds an exercise to it)"
WOULD_OVERWRITE = "grade init would overwrite {paths} in {root}; start the course in a new or empty folder"
INSIDE_A_COURSE = "{root} is inside the course {outer}: start a new course outside it"
NOT_A_FOLDER = "{root} exists and is not a folder"
DEFAULT_TITLE = "My course"

COURSE_YAML = """# The course: its title, its exercises in teaching order (grade new adds each one here),
# and defaults for all of them. grade verify proves every exercise.
title: {title}
exercises: []
# defaults:
#   minutes: 30              # a drill's time per exercise
#   limits: {{cpu_seconds: 10, wall_seconds: 20, memory_mb: 1024}}
"""

# Learners' state, gradebooks and reports hold people's grades: none of it belongs in the repository.
GITIGNORE = """# Learners' progress (grade keeps it in .grade/ inside the course folder)
.grade/
# Gradebooks (grade batch), their exports and the learners' files they were graded from
*.sqlite
*.sqlite-journal
*.sqlite-wal
*.sqlite-shm
grades*.csv
grades*.json
*.files/
submissions/
# Class reports (grade report)
reports/
*.report.html
# What grade publish writes
dist/
# Python
__pycache__/
*.py[cod]
.pytest_cache/
"""

WORKFLOW = """# Proves every exercise on each push: each reference earns full marks on several seeds, each
# stub earns nothing, each known mistake loses marks and is recognised (grade verify).
name: verify
on:
  push:
  pull_request:
jobs:
  verify:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      # The grader, as this course installs it (a version, a git URL or a wheel). Exercises that
      # need torch: first pip install torch --index-url https://download.pytorch.org/whl/cpu
      - name: Install the grader
        run: python -m pip install '{grader_spec}'
      - name: Prove every exercise
        run: grade verify
"""

README = """# {title}

Exercises graded on your own machine: `grade` runs each exercise's checks on your code and
prints what is right, what is wrong and why, with a hint when you ask for one.

Install the grader once (Python 3.10 or newer), then work in this folder:

```bash
pip install '{grader_spec}'
{commands}
```

Each exercise is a folder under `exercises/`: read its `README.md`, write your code in the file
it names, and grade it again until it earns full marks. `grade --help` lists every command.

## Exercises

{table}
"""

# The README's commands, as (command, what it does); {example} is the course's first exercise.
COMMANDS = (
    ("grade", "the course at a glance: each exercise, your best score, what to do next"),
    ("grade {example}", "grade one exercise (its number works too)"),
    ("grade hint {example}", "the next hint, one at a time"),
)
TABLE_START = "<!-- exercises: written by grade from course.yaml; grade new updates this table -->"
TABLE_END = "<!-- end of exercises -->"
NO_EXERCISES = "No exercises yet."
TABLE_HEAD = "| exercise | title | topics | level | minutes |\n| --- | --- | --- | --- | --- |"


@dataclass(frozen=True)
class NewCourse:
    """What ``grade init`` wrote."""

    root: Path
    title: str
    written: tuple[Path, ...]  # every file and folder, relative to root, in writing order


def default_title(root: Path) -> str:
    """A title from the folder's name: ``ml_course`` -> ``Ml course``."""
    words = re.sub(r"[_\-.]+", " ", root.name).strip()
    return words[:1].upper() + words[1:] if words else DEFAULT_TITLE


def grader_requirement() -> str:
    """How CI and learners install this grader: the installed version's pip requirement."""
    try:
        return f"grade=={metadata.version('grade')}"
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "grade"


def example_id(exercises: tuple[Exercise, ...] | list[Exercise]) -> str:
    """The exercise the READMEs use in their examples: the course's first, or a placeholder."""
    return exercises[0].id if exercises else "ex01"


def exercise_table(course: Course) -> str:
    """The README's exercise table, between the markers ``grade new`` finds again."""
    if not course.exercises:
        body = NO_EXERCISES
    else:
        rows = [
            f"| {ex.id} | {ex.title} | {', '.join(ex.topics)} | {ex.difficulty} | {ex.minutes} |" for ex in course.exercises
        ]
        body = "\n".join([TABLE_HEAD, *rows])
    return f"{TABLE_START}\n{body}\n{TABLE_END}"


def learner_readme(course: Course, grader_spec: str) -> str:
    example = example_id(course.exercises)
    commands = [(c.format(example=example), what) for c, what in COMMANDS]
    width = max(len(c) for c, _ in commands) + 3
    lines = "\n".join(f"{c.ljust(width)}# {what}" for c, what in commands)
    return README.format(title=course.title, grader_spec=grader_spec, commands=lines, table=exercise_table(course))


def refresh_readme(course: Course) -> bool:
    """Rewrite the exercise table of the course's README from course.yaml; False when it has no markers.

    Only the text between the markers changes: the rest is the instructor's to edit.
    """
    path = course.root / README_FILE
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    start, end = text.find(TABLE_START), text.find(TABLE_END)
    if start < 0 or end < start:
        return False
    path.write_text(text[:start] + exercise_table(course) + text[end + len(TABLE_END):], encoding="utf-8")
    return True


def _yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def create_course(root: Path, *, title: str | None = None, grader_spec: str | None = None) -> NewCourse:
    """Write a new, empty course into ``root`` (created if needed); refuses to overwrite anything."""
    root = root.expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise UsageError(NOT_A_FOLDER.format(root=root))
    if (root / COURSE_FILE).exists():
        raise UsageError(ALREADY_A_COURSE.format(path=root / COURSE_FILE, root=root))
    try:
        outer = find_course_root(root.parent)
    except UsageError:
        outer = None
    if outer is not None:
        raise UsageError(INSIDE_A_COURSE.format(root=root, outer=outer))
    files = (COURSE_FILE, README_FILE, GITIGNORE_FILE, WORKFLOW_FILE)
    taken = [name for name in (*files, *FOLDERS) if (root / name).exists() and not _empty_folder(root / name)]
    if taken:
        raise UsageError(WOULD_OVERWRITE.format(paths=", ".join(taken), root=root))
    title = " ".join((title or "").split()) or default_title(root)
    spec = grader_spec or grader_requirement()
    root.mkdir(parents=True, exist_ok=True)
    for folder in FOLDERS:
        (root / folder).mkdir(exist_ok=True)
    (root / COURSE_FILE).write_text(COURSE_YAML.format(title=_yaml_string(title)), encoding="utf-8")
    (root / GITIGNORE_FILE).write_text(GITIGNORE, encoding="utf-8")
    (root / WORKFLOW_FILE).parent.mkdir(parents=True, exist_ok=True)
    (root / WORKFLOW_FILE).write_text(WORKFLOW.format(grader_spec=spec), encoding="utf-8")
    course = load_course(root)  # what init wrote must load: it is the course every later command reads
    (root / README_FILE).write_text(learner_readme(course, spec), encoding="utf-8")
    written = (Path(COURSE_FILE), *(Path(f) for f in FOLDERS), Path(README_FILE), Path(GITIGNORE_FILE), Path(WORKFLOW_FILE))
    return NewCourse(root, course.title, written)


def _empty_folder(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())
