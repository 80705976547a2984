"""The learner bundle (``OUT/learner``) and the scan that keeps answers out of it.

Changes when what learners receive changes: stubs, statements, data, the public part of the
checks, ``hidden_points`` in each ``exercise.yaml``, the bundle's README; or when what counts
as a leak changes. The bundle holds the grader package and a ``pyproject.toml`` (so
``pip install -e .`` works) and *no* reference code or instructor-only check in any form:
:func:`publish_learner_bundle` writes it aside, scans it with :func:`find_leaks` and moves it
into place only when the scan finds nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from grader.course import COURSE_FILE, EXERCISE_FILE, Course, Exercise
from grader.errors import UsageError
from grader.instructor.publish.course_files import TORCH_SPEC, copy_grader, course_yaml, needs_torch, yaml_dump
from grader.instructor.publish.plan import ExercisePlan

BUNDLE_EXERCISE_HEADER = "# Published by grade publish. hidden_points: the points graded only by the instructor's checks.\n"
LEAK_FOUND = (
    "refusing to publish: {where} in the learner bundle would contain {what}. If a public check computes "
    "the answer itself (a helper that repeats the reference), mark the checks that use it "
    "@visibility(\"hidden\") so they stay with the instructor."
)


LEARNER_README = """# {title}

Your copy of the course. Install it once (Python 3.10 or newer):

```bash
{install}
```

Then open an exercise folder, read its `README.md`, write your code in the stub and run

```bash
grade {example}        # or: {also}
```

`grade` runs the course's public checks on your code and prints what is right, what is wrong
and why. Some points are graded only by your instructor's hidden checks when you hand in:
the score card says how many, so a card where every check passes can still end below full
marks. `grade list` shows your progress, `grade hint {example}` a hint.
{service}
{table}
"""
# With a grading service (course.yaml server:): how the hidden checks reach the learner's card.
SERVICE_README = """
This course has a grading service, {server}. Log in once with the token your instructor gave
you (`grade login`); from then on `grade {example}` also sends your file there, and prints its
card, which grades every check (the hidden ones as points and pass/fail). `grade {example} --local`
stays on your machine.
"""
TABLE_HEAD = "| exercise | title | points here | points graded by your instructor |\n| --- | --- | --- | --- |"
NO_EXERCISES = "No exercises yet."


def write_learner_bundle(course: Course, plans: list[ExercisePlan], dest: Path) -> None:
    dest.mkdir(parents=True)
    exercises = [p.exercise for p in plans]
    header = "# Published by grade publish for learners.\n"
    (dest / COURSE_FILE).write_text(course_yaml(course, exercises, header, service=True), encoding="utf-8")
    copy_grader(dest, course.title)
    for plan in plans:
        ex = plan.exercise
        target = dest / "exercises" / ex.folder
        target.mkdir(parents=True)
        for name in (*ex.files.learner, *ex.files.data, "README.md"):
            src = ex.directory / name
            if src.is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, target / name)
        for relative, text in plan.public_sources.items():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            (target / relative).write_text(text, encoding="utf-8")
        from grader.course.yamlio import load_yaml

        data, _ = load_yaml(ex.directory / EXERCISE_FILE)
        data.setdefault("files", {})["checks"] = list(plan.public_sources)
        data["hidden_points"] = int(round(plan.hidden_points))
        data.pop("visibility", None) if data.get("visibility") == ex.visibility else None
        (target / EXERCISE_FILE).write_text(yaml_dump(data, BUNDLE_EXERCISE_HEADER), encoding="utf-8")
    install = (f"pip install {TORCH_SPEC} && " if needs_torch(exercises) else "") + "pip install -e ."
    rows = [f"| {p.exercise.id} | {p.exercise.title} | {p.public_points:g} | {p.hidden_points:g} |" for p in plans]
    table = "\n".join([TABLE_HEAD, *rows]) if rows else NO_EXERCISES
    first = exercises[0] if exercises else None
    # The examples name this course's own first exercise: the grader knows no subject.
    example = first.id if first else "ex01"
    also = f"grade {first.number}, grade {first.slug}" if first else "grade 1"
    service = SERVICE_README.format(server=course.server, example=example) if course.server else ""
    readme = LEARNER_README.format(title=course.title, install=install, table=table, example=example, also=also, service=service)
    (dest / "README.md").write_text(readme, encoding="utf-8")


def reference_fingerprints(ex: Exercise) -> list[str]:
    """Lines of the reference that nothing the author wrote for learners has: their presence is a leak.

    Lines that the stub, the statement or the hints already show (an import, a signature,
    ``rng = np.random.default_rng(seed)`` quoted in a hint) were handed out on purpose.
    """
    if not ex.reference_path.is_file():
        return []
    shown = [ex.directory / "README.md", ex.directory / EXERCISE_FILE, *ex.learner_paths]
    handed_out = "\n".join(p.read_text(encoding="utf-8") for p in shown if p.is_file())
    out = []
    for line in ex.reference_path.read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if len(s) >= 24 and s not in handed_out and not s.startswith(("#", '"""', "def ", "from ", "import ")):
            out.append(s)
    return out


def find_leaks(bundle: Path, plans: list[ExercisePlan]) -> list[tuple[str, str]]:
    """(what, where) for every trace of reference code or an instructor-only check in ``bundle``.

    Each exercise's reference lines and hidden check names are looked for in its own folder
    and in the bundle's top-level files: a common idiom such as ``np.linalg.svd(A)`` in
    another exercise's public check is not a leak of this one.
    """
    found = []
    for path in sorted(bundle.rglob("*")):
        rel = path.relative_to(bundle).as_posix()
        if path.is_file() and (rel.startswith("solutions/") or (rel.startswith("exercises/") and path.name == "misconceptions.py")):
            found.append(("a solutions file", rel))
    top_level = [p for p in bundle.iterdir() if p.is_file()]
    for plan in plans:
        ex = plan.exercise
        needles: list[tuple[str, re.Pattern[str]]] = []
        for spec in plan.checks:
            if not spec.public:
                needles.append((f"the instructor-only check {ex.id}:{spec.function}", re.compile(rf"\b{re.escape(spec.function)}\b")))
        for line in reference_fingerprints(ex):
            needles.append((f"this line of {ex.id}'s reference: {line}", re.compile(re.escape(line))))
        folder = bundle / "exercises" / ex.folder
        for path in [*top_level, *sorted(p for p in folder.rglob("*") if p.is_file())]:
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            for what, pattern in needles:
                if pattern.search(text):
                    found.append((what, path.relative_to(bundle).as_posix()))
    return found


def publish_learner_bundle(course: Course, plans: list[ExercisePlan], dest: Path) -> Path:
    """Write the bundle into ``dest``, whole or not at all; refuses one that leaks answers."""
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        staging = Path(tmp) / dest.name
        write_learner_bundle(course, plans, staging)
        leaks = find_leaks(staging, plans)
        if leaks:
            what, where = leaks[0]
            raise UsageError(LEAK_FOUND.format(what=what, where=where))
        os.replace(staging, dest)  # the bundle appears whole or not at all
    return dest
