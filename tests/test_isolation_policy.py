"""Isolation fails closed where scores are recorded for someone else (issue 14).

A layer is taken away with the sandbox's test switch (``disable_layers``), as a machine
without it would report it. With the layers required, the worker refuses before the learner's
module is imported, and the grader says which layer, why, and how to get it; without the
requirement (a learner grading their own work) grading goes on and the card warns.
"""

from __future__ import annotations

import click
import pytest

from grader.checking.results import ExerciseResult
from grader.errors import IsolationMissing
from grader.grading.card import score_card
from grader.grading.runner import grade
from grader.sandbox import trusted

from .helpers import REFERENCE, ex01

WEAKENED = ("landlock", "privileges")  # so that the probe below could write outside its scratch


def probe(tmp_path):
    """A learner module that leaves a mark outside its scratch folder the moment it is imported."""
    mark = tmp_path / "imported.txt"
    module = tmp_path / "cosine.py"
    module.write_text(REFERENCE + f"\n\nopen({str(mark)!r}, 'w').write('imported')\n")
    return module, mark


def test_a_required_layer_that_is_missing_stops_the_worker_before_the_import(tmp_path):
    module, mark = probe(tmp_path)
    worker = trusted.worker_for(ex01(), [("cosine.py", module)], require_isolation=True, disable_layers=WEAKENED)
    try:
        with pytest.raises(IsolationMissing) as caught:
            worker.connect()
    finally:
        worker.close()
    text = str(caught.value)
    assert "landlock" in text and "privileges" in text and "seccomp:" not in text
    assert "disabled by the grader's configuration" in text  # why
    assert "To get it: run Linux 5.13" in text  # how
    assert "--allow-weak-isolation" in text and "allow_weak_isolation: true" in text
    assert not mark.exists(), "the learner's module was imported without its isolation"


def test_without_the_requirement_the_same_worker_imports_the_module(tmp_path):
    """The control: the probe does leave its mark when nothing is required."""
    module, mark = probe(tmp_path)
    worker = trusted.worker_for(ex01(), [("cosine.py", module)], disable_layers=WEAKENED)
    try:
        worker.ensure_ready()
        assert {k: v for k, v in worker.layers.items() if k in WEAKENED} == dict.fromkeys(
            WEAKENED, "off: disabled by the grader's configuration"
        )
    finally:
        worker.close()
    assert mark.read_text() == "imported"


def test_a_grading_that_requires_isolation_runs_where_every_layer_holds(tmp_path):
    module = tmp_path / "cosine.py"
    module.write_text(REFERENCE)
    result = grade(ex01(), seed=3, source=module, require_isolation=True, only=["cosine_of_two_vectors"])
    assert result.checks and all(c.passed for c in result.checks)
    assert result.isolation and not trusted.weak_layers(result.isolation)


def test_the_card_warns_a_learner_whose_machine_lacks_a_layer():
    result = ExerciseResult(exercise="ex01", title="Cosine", seed=1, max_score=1.0)
    result.isolation = {"network namespace": "on", "seccomp": "off: pyseccomp is not installed", "privileges": "not needed (not root)"}
    card = click.unstyle(score_card(result))
    assert "isolation is weaker on this machine (seccomp off: pyseccomp is not installed)" in card
    assert "privileges" not in card  # a layer with nothing to do holds
    result.isolation["seccomp"] = "on"
    assert "isolation" not in click.unstyle(score_card(result))


def test_a_batch_grades_nothing_on_a_machine_without_a_layer_unless_told_to(monkeypatch, tmp_path):
    """Batch asks before it stages anything; the machine here has every layer, so the missing one
    is taken away in the same way as above, in the preflight batch runs."""
    from click.testing import CliRunner

    from grader.cli import main
    from grader.instructor import batch

    from .instructor_support import CLASS, make_course

    def without_seccomp(ex):
        worker = trusted.worker_for(ex, [], require_isolation=True, disable_layers=("seccomp",))
        try:
            worker.connect()
        finally:
            worker.close()

    monkeypatch.setattr(batch, "check_isolation", without_seccomp)
    course = make_course(tmp_path / "course")
    subs = tmp_path / "subs"
    (subs / "ada").mkdir(parents=True)
    (subs / "ada" / "cosine.py").write_text(CLASS["correct_01"][0])
    out = tmp_path / "grades.csv"
    args = ["--course", str(course), "batch", str(subs), "--out", str(out)]

    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2, refused.output
    assert "seccomp: off: disabled by the grader's configuration. To get it: install libseccomp" in refused.output
    assert not out.exists()

    allowed = CliRunner().invoke(main, [*args, "--allow-weak-isolation"])
    assert allowed.exit_code == 0, allowed.output
    assert "ada" in out.read_text()
