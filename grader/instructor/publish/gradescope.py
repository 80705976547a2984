"""The Gradescope autograders (``OUT/gradescope/exNN_slug.zip``, one per exercise).

Changes when what Gradescope runs changes: ``setup.sh`` (a virtual environment with the
course installed, the CPU build of torch where needed), ``run_autograder`` (which hands the
submission to :mod:`grader.instructor.autograder`), the zip's README and layout. Each zip holds
the whole exercise with its reference: it is the instructor's, uploaded to Gradescope.
"""

from __future__ import annotations

import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

from grader.course import COURSE_FILE, Course
from grader.instructor.publish.course_files import TORCH_SPEC, copy_grader, course_yaml, needs_torch
from grader.instructor.publish.plan import ExercisePlan

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image; this folder is
# /autograder/source. Everything goes into a virtual environment that run_autograder uses.
set -euo pipefail
cd "$(dirname "$0")"
VENV="${{GRADE_VENV:-/autograder/venv}}"
if ! python3 -m venv --help >/dev/null 2>&1; then
    apt-get update -q && apt-get install -y -q python3 python3-venv python3-pip
fi
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
{torch}"$VENV/bin/python" -m pip install -q -e '.[notebooks]'  # learners may hand in notebooks: nbformat and IPython read them
"$VENV/bin/python" -c "import grader.course as c, pathlib; c.load_course(pathlib.Path('.'))"
"""

TORCH_LINE = """# The CPU build of torch: the default one pulls gigabytes of CUDA libraries.
"$VENV/bin/python" -m pip install -q {spec} --index-url "${{TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}}"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this once per submission: find the learner's files in the submission,
# grade them with `grade ... --gradescope`, and leave results.json for Gradescope to read.
# Every path can be moved by an environment variable, so it can be tried on any machine.
set -uo pipefail
ROOT="${{GRADE_AUTOGRADER_ROOT:-/autograder}}"
SOURCE="${{GRADE_SOURCE_DIR:-$ROOT/source}}"
SUBMISSION="${{GRADE_SUBMISSION_DIR:-$ROOT/submission}}"
RESULTS="${{GRADE_RESULTS_DIR:-$ROOT/results}}"
PYTHON="${{GRADE_PYTHON:-$ROOT/venv/bin/python}}"
[ -x "$PYTHON" ] || PYTHON=python3
mkdir -p "$RESULTS"
cd "$SOURCE"
"$PYTHON" -m grader.instructor.autograder {exercise} --submission "$SUBMISSION" --results "$RESULTS/results.json"
exit 0
"""

GRADESCOPE_README = """# {id} · {title}: Gradescope autograder

Upload this zip as the autograder of a Gradescope programming assignment ("Ubuntu" base
image). Learners upload `{module}` (or a notebook whose code cells define it). Each
submission is graded with a fresh seed, shown in the results, so that you can replay it:
`grade {id} --file <their file> --seed N`.
"""


def _write_executable(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _zip_folder(folder: Path, zip_path: Path) -> None:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo.from_file(path, path.relative_to(folder).as_posix())
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())


def write_gradescope(course: Course, plan: ExercisePlan, dest_dir: Path) -> Path:
    """The autograder zip of one exercise, written into ``dest_dir``; its path."""
    ex = plan.exercise
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / COURSE_FILE).write_text(course_yaml(course, [ex], "# Gradescope autograder for one exercise.\n"), encoding="utf-8")
        copy_grader(root)
        shutil.copytree(ex.directory, root / "exercises" / ex.folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        if ex.solution_directory.is_dir():
            shutil.copytree(ex.solution_directory, root / "solutions" / ex.folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        torch = TORCH_LINE.format(spec=TORCH_SPEC) if needs_torch([ex]) else ""
        _write_executable(root / "setup.sh", SETUP_SH.format(torch=torch))
        _write_executable(root / "run_autograder", RUN_AUTOGRADER.format(exercise=ex.id))
        (root / "README.md").write_text(GRADESCOPE_README.format(id=ex.id, title=ex.title, module=ex.files.learner[0]), encoding="utf-8")
        zip_path = dest_dir / f"{ex.folder}.zip"
        _zip_folder(root, zip_path)
    return zip_path
