"""A no-op earns nothing (issue 14): each submission in tests/hostile/noop/ is the reference with one
entry point replaced by code that does nothing useful, graded through the real worker, and must
earn no more than the same file with that entry point left unwritten.

The other entry points keep the reference's own version of the replaced function (renamed
``_real_<name>``), so what the file earns comes from the replaced function alone. A file's
docstring names what it replaces, and optionally a check it must fail (for code that is not a
no-op but must lose that check's points):

    EXPECT: exNN function
    EXPECT: exNN function fails check_name_fragment
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from grader.course import load_course
from grader.grading.runner import grade

from .helpers import ROOT

NOOPS = sorted((Path(__file__).parent / "hostile" / "noop").glob("*.py"))
UNWRITTEN = '''

def {name}(*args, **kwargs):
    raise NotImplementedError
'''


def grade_with(ex, tmp_path: Path, name: str, body: str, tag: str):
    folder = tmp_path / tag / ex.folder
    folder.mkdir(parents=True)
    reference = re.sub(rf"\b{name}\b", f"_real_{name}", ex.reference_path.read_text())
    (folder / ex.files.learner[0]).write_text(reference + "\n\n" + body)
    return grade(ex, seed=7, source=folder)


def test_every_no_op_the_issue_found_is_here():
    assert {p.name.split("_")[0] for p in NOOPS} == {"ex01", "ex02", "ex08", "ex10", "ex12", "ex13", "ex14"}


@pytest.mark.parametrize("path", NOOPS, ids=[p.stem for p in NOOPS])
def test_a_no_op_earns_no_more_than_the_function_left_unwritten(path, tmp_path):
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    match = re.search(r"EXPECT: (ex\d+) (\w+)(?: fails (\w+))?", doc)
    assert match, f"{path.name} has no EXPECT line"
    ex = load_course(ROOT).resolve(match.group(1))
    name, must_fail = match.group(2), match.group(3)
    noop = grade_with(ex, tmp_path, name, path.read_text(), "noop")
    if must_fail:
        failed = [c for c in noop.checks if must_fail in c.test_id]
        assert failed and all(not c.passed and c.score == 0 for c in failed), [(c.test_id, c.status) for c in failed]
        assert noop.score < ex.points
        return
    unwritten = grade_with(ex, tmp_path, name, UNWRITTEN.format(name=name), "unwritten")
    gained = {c.name for c in noop.checks if c.passed} - {c.name for c in unwritten.checks if c.passed}
    assert noop.score <= unwritten.score < ex.points and not gained, (noop.score, unwritten.score, gained)
