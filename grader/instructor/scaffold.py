"""``grade new``: a new exercise with every file ``grade verify`` expects, listed in course.yaml.

The scaffold is a small working exercise (normalising a vector) rather than empty
templates, so ``grade verify exNN`` passes the moment it is created: the author replaces
a proven example piece by piece and re-runs verify, instead of debugging a blank page.
Every place to rewrite says ``TODO``.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from grader.course import COURSE_FILE, DIFFICULTIES, EXERCISE_FILE, Course, load_course
from grader.errors import CourseError, UsageError
from grader.instructor.course_init import refresh_readme

ID_RE = re.compile(r"^ex(\d{2,3})$")

BAD_ID = "'{id}' is not an exercise id: use ex followed by two or three digits, for example ex16"
ID_TAKEN = "{id} already exists: {folder}. Pick another number."
FOLDER_EXISTS = "{path} already exists; remove it or pick another id"
BAD_NAME = "'{name}' is not a Python identifier (letters, digits and _, not starting with a digit)"
NO_LIST = (
    "{path}: could not find the block list under 'exercises:' to add {folder} to. "
    "Add the line '  - {folder}' there yourself."
)


def slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
    return slug[:40].rstrip("_") or "exercise"


@dataclass(frozen=True)
class Scaffold:
    id: str
    folder: str
    module: str
    entry: str
    exercise_dir: Path
    solution_dir: Path
    readme_updated: bool = False  # the course README's exercise table (grade init's) now lists it


EXERCISE_YAML = """id: {id}
title: {title_yaml}
difficulty: {difficulty}
topics: [{topics}]
minutes: 30
files:
  learner: [{module}.py]
  checks: [checks/test_{module}.py]
entry_points: [{entry}]
points: 10                 # must equal the sum of @points in the checks
requires: [numpy]
hints:                     # TODO: from a nudge to the method, one at a time
  - "TODO first hint. (Example: the length of x is np.linalg.norm(x).)"
  - "TODO second hint. (Example: divide every element by that length.)"
  - "TODO third hint. (Example: x / np.linalg.norm(x) keeps x's dtype.)"
"""

README = """# {title}

TODO: the problem, its maths with shapes, and why it matters.

Example (replace it): write `{entry}(x)`, which returns the unit vector x / ‖x‖ pointing
the same way as the 1-D array `x` (never the zero vector), with `x`'s dtype.
"""

STUB = '''"""{title}."""

from __future__ import annotations

import numpy as np


def {entry}(x: np.ndarray) -> np.ndarray:
    """TODO state the maths with shapes. Example: x / ‖x‖ for a non-zero x: (d,) -> (d,), same dtype."""
    raise NotImplementedError
'''

REFERENCE = '''"""Reference solution for {id}: {title}."""

from __future__ import annotations

import numpy as np


def {entry}(x: np.ndarray) -> np.ndarray:
    """TODO state the maths with shapes. Example: x / ‖x‖ for a non-zero x: (d,) -> (d,), same dtype."""
    return x / np.linalg.norm(x)
'''

CHECKS = '''"""Checks for {id}: {title}. TODO: replace the example checks."""

import numpy as np

from grader.checking import expect, points, visibility


def vectors(rng, d, dtype=np.float64):
    """Non-degenerate inputs: an offset and a random length, so trivial answers cannot pass."""
    return ((rng.standard_normal(d) + 0.5) * rng.uniform(0.5, 20.0)).astype(dtype)


@points(4)
def test_matches_the_reference(submission, reference, rng):
    x = vectors(rng, 7)
    expect(submission.{entry}(x)).to_match(reference.{entry}(x))


@points(3)
def test_result_has_length_one(submission, rng):
    x = vectors(rng, 5)
    y = submission.{entry}(x)
    expect(y).to_have_shape(x.shape)
    expect(y).to_satisfy(bool(np.isclose(np.linalg.norm(y), 1.0, rtol=1e-9)), "a unit vector has length 1")


@points(2)
def test_float32_stays_float32(submission, reference, rng):
    x = vectors(rng, 6, np.float32)
    expect(submission.{entry}(x)).to_match(reference.{entry}(x))


@points(1)
@visibility("hidden")
def test_long_vectors(submission, reference, rng):
    x = vectors(rng, 1000)
    expect(submission.{entry}(x)).to_match(reference.{entry}(x))
'''

MISCONCEPTIONS = '''"""Known-wrong variants of {id}, each with the feedback it earns. TODO: replace the examples."""

import numpy as np

from grader.checking.misconceptions import Misconception, sibling_reference

ref = sibling_reference(__file__)

# A one-line function has one part: a wrong divisor makes every value wrong, and only the dtype
# check survives. Say so (grade verify asks why a mistake costs over 60%).
ONE_FORMULA = "the function is one formula, x / ‖x‖: a wrong divisor makes every value wrong"

squared = Misconception(
    "divided by the squared length",
    "you divided by ‖x‖² (x·x) instead of ‖x‖: take the square root, or use np.linalg.norm(x).",
    breaks_every_part=ONE_FORMULA,
)


@squared
def {entry}(x):
    return x / np.dot(x, x)


l1 = Misconception(
    "divided by the sum",
    "you divided by the sum of the entries (or of their absolute values): the length is the "
    "square root of the sum of squares.",
    breaks_every_part=ONE_FORMULA,
)


@l1
def {entry}(x):  # noqa: F811
    return x / np.abs(x).sum()


upcast = Misconception(
    "float32 turned into float64",
    "float32 inputs came back as float64: keep the input's dtype (cast back with .astype(x.dtype)).",
)


@upcast
def {entry}(x):  # noqa: F811
    return x.astype(np.float64) / np.linalg.norm(x.astype(np.float64))
'''


_FLOW_LIST_RE = re.compile(r"^exercises:\s*\[(?P<items>[^\]#]*)\]\s*(?P<comment>#.*)?$")


def add_to_course_yaml(path: Path, folder: str) -> None:
    """Append ``folder`` to the ``exercises:`` list, keeping the file's comments and layout.

    A block list gets one more ``  - folder`` line; a one-line flow list (``exercises: []``, as
    ``grade init`` writes it, or ``[ex01_a, ex02_b]``) becomes a block list holding it too.
    """
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        flow = _FLOW_LIST_RE.match(line.rstrip("\r\n"))
        if flow:
            items = [item.strip() for item in flow.group("items").split(",") if item.strip()]
            comment = f"  {flow.group('comment')}" if flow.group("comment") else ""
            lines[i] = f"exercises:{comment}\n" + "".join(f"  - {item}\n" for item in [*items, folder])
            path.write_text("".join(lines), encoding="utf-8")
            return
    start = next((i for i, line in enumerate(lines) if re.match(r"^exercises:\s*(#.*)?$", line)), None)
    if start is None:
        raise UsageError(NO_LIST.format(path=path, folder=folder))
    last, indent = start, "  "
    for i in range(start + 1, len(lines)):
        m = re.match(r"^(\s*)- ", lines[i])
        if m:
            last, indent = i, m.group(1)
        elif lines[i].strip() and not lines[i].lstrip().startswith("#"):
            break
    if lines[last] and not lines[last].endswith("\n"):
        lines[last] += "\n"
    lines.insert(last + 1, f"{indent}- {folder}\n")
    path.write_text("".join(lines), encoding="utf-8")


def _yaml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def create(
    course: Course,
    exercise_id: str,
    *,
    title: str,
    topics: tuple[str, ...],
    difficulty: str = "easy",
    module: str | None = None,
    entry: str | None = None,
) -> Scaffold:
    exercise_id = exercise_id.strip().lower()
    if not ID_RE.match(exercise_id):
        raise UsageError(BAD_ID.format(id=exercise_id))
    if difficulty not in DIFFICULTIES:
        raise UsageError(f"difficulty must be one of {', '.join(DIFFICULTIES)}")
    for ex in course.exercises:
        if ex.id == exercise_id:
            raise UsageError(ID_TAKEN.format(id=exercise_id, folder=ex.directory))
    slug = slugify(title)
    folder = f"{exercise_id}_{slug}"
    module = module or slug
    entry = entry or slug
    for name in (module, entry):
        if not name.isidentifier():
            raise UsageError(BAD_NAME.format(name=name))
    exercise_dir = course.root / "exercises" / folder
    solution_dir = course.solutions_dir / folder
    for path in (exercise_dir, solution_dir):
        if path.exists():
            raise UsageError(FOLDER_EXISTS.format(path=path))
    for other in (course.root / "exercises").glob(f"{exercise_id}_*"):
        raise UsageError(ID_TAKEN.format(id=exercise_id, folder=other))
    values = dict(
        id=exercise_id, title=title, title_yaml=_yaml_string(title), difficulty=difficulty,
        topics=", ".join(_yaml_string(t) for t in topics), module=module, entry=entry,
    )
    course_file = course.root / COURSE_FILE
    original = course_file.read_text(encoding="utf-8")
    try:
        (exercise_dir / "checks").mkdir(parents=True)
        solution_dir.mkdir(parents=True)
        (exercise_dir / EXERCISE_FILE).write_text(EXERCISE_YAML.format(**values), encoding="utf-8")
        (exercise_dir / "README.md").write_text(README.format(**values), encoding="utf-8")
        (exercise_dir / f"{module}.py").write_text(STUB.format(**values), encoding="utf-8")
        (exercise_dir / "checks" / f"test_{module}.py").write_text(CHECKS.format(**values), encoding="utf-8")
        (solution_dir / f"{module}.py").write_text(REFERENCE.format(**values), encoding="utf-8")
        (solution_dir / "misconceptions.py").write_text(MISCONCEPTIONS.format(**values), encoding="utf-8")
        add_to_course_yaml(course_file, folder)
        loaded = load_course(course.root)  # the course must still load; else undo everything
    except (OSError, CourseError, UsageError):
        course_file.write_text(original, encoding="utf-8")
        shutil.rmtree(exercise_dir, ignore_errors=True)
        shutil.rmtree(solution_dir, ignore_errors=True)
        raise
    readme = refresh_readme(loaded)
    return Scaffold(exercise_id, folder, module, entry, exercise_dir, solution_dir, readme)
