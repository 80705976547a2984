"""The one data structure every output is rendered from: score card, JSON, Gradescope.

Changes when a result gains a field or an output format.

The totals have one definition, here: a check this machine did not run (pytest skipped it, e.g.
a speed check that needs a GPU) is *ungraded*. Its points are in no total: ``graded_max`` is
the points of the checks that ran (and the points of hidden checks, which the card names apart),
``full_marks`` means every graded point, and every output (card, ``--json``, Gradescope,
the gradebook) says ``score`` out of ``graded_max`` and lists the ungraded points beside it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from grader.course.wording import count, plural

UNGRADED = "ungraded"  # the status every output gives a check this machine did not run
NOT_RUN = ("skipped", UNGRADED)  # pytest's word (the plugin records it) and the outputs' word
UNGRADED_TAG = "ungraded"  # Gradescope: the tag of a check it did not grade
GRADESCOPE_UNGRADED = "{name} (ungraded)"
GRADESCOPE_UNGRADED_OUTPUT = "Not run on the grading machine, so its {points} {are} in no total: {reason}"
GRADESCOPE_UNGRADED_NOTE = "{points} {are} not graded here, and counted in no total: {reasons}"
# A check that failed before reaching what its name says (the values inside a speed check): the
# card's line under it, and the title elsewhere (Gradescope).
FAILED_FIRST = "failed on {stage} first, so not judged on what its name says"


@dataclass
class CheckResult:
    name: str  # the behaviour checked, in words
    test_id: str  # the check function (with parameters), stable across runs
    score: float
    max_score: float
    status: str  # passed | failed | error | skipped (not run here: ungraded, see NOT_RUN)
    output: str = ""  # for the learner
    visibility: str = "visible"
    misconception: str | None = None  # the known mistake named, when the checks that ran leave one (or drill's/verify's pick)
    # Every known mistake consistent with all the checks that ran; several when no input that ran tells them apart.
    misconceptions: list[str] = field(default_factory=list)
    seconds: float = 0.0
    detail: str = ""  # for the instructor (tracebacks from the check itself)
    # What the check was verifying when it failed, when that comes before what its name says.
    failed_at: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def title(self) -> str:
        """The name, saying where it failed when that is not what the name is about."""
        if self.failed_at and not self.passed:
            return f"{self.name} — " + FAILED_FIRST.format(stage=self.failed_at)
        return self.name

    @property
    def ungraded(self) -> bool:
        """Not run on this machine (e.g. it needs a GPU): its points count in no total."""
        return self.status in NOT_RUN


@dataclass
class ExerciseResult:
    exercise: str
    title: str
    seed: int
    max_score: float  # the exercise's points, graded here or not: the totals use graded_max
    checks: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0
    file: str = ""
    notes: list[str] = field(default_factory=list)  # said once, above the checks
    printed: str = ""  # what the learner's code printed that no failure claimed
    isolation: dict[str, str] = field(default_factory=dict)  # layer -> "on ..." / "off: reason"
    # Why the learner's module could not be imported: said once, above the checks, which refer to it.
    import_failure: str = ""

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def graded_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.ungraded]

    @property
    def ungraded(self) -> list[CheckResult]:
        """The checks this machine did not run: each with its points (max_score) and reason (output)."""
        return [c for c in self.checks if c.ungraded]

    @property
    def ungraded_points(self) -> float:
        return sum(c.max_score for c in self.ungraded)

    @property
    def skipped_points(self) -> float:
        """The older name of :attr:`ungraded_points`."""
        return self.ungraded_points

    @property
    def graded_max(self) -> float:
        """The most this grading can score: every point but the ungraded ones. Every total is out of this."""
        return self.max_score - self.ungraded_points

    @property
    def ungraded_reasons(self) -> list[str]:
        """Why the ungraded checks did not run, each reason once, in the checks' order."""
        return list(dict.fromkeys(c.output.strip() for c in self.ungraded if c.output.strip()))

    @property
    def full_marks(self) -> bool:
        """Every graded point earned (by at least one check that ran)."""
        ran = self.graded_checks
        return bool(ran) and all(c.passed for c in ran) and self.score >= self.graded_max

    def to_json(self, *, instructor: bool = False) -> dict[str, Any]:
        tests = []
        for c in self.checks:
            row = {k: v for k, v in asdict(c).items() if instructor or k != "detail"}
            row.pop("test_id")
            row["id"] = c.test_id
            if c.ungraded:
                row["status"] = UNGRADED
            tests.append(row)
        return {
            "exercise": self.exercise,
            "title": self.title,
            "score": self.score,
            "max_score": self.graded_max,
            "ungraded_points": self.ungraded_points,
            "full_marks": self.full_marks,
            "seed": self.seed,
            "execution_time": round(self.seconds, 3),
            "file": self.file,
            "notes": self.notes,
            "import_failure": self.import_failure,
            "isolation": self.isolation,
            "tests": tests,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExerciseResult:
        """The inverse of :meth:`to_json` (with or without the instructor's fields): a grading kept
        by a grading service, or sent by one, read back for its card or the learner's record. The
        data came from elsewhere: a missing or mistyped field takes its default, never an error."""
        checks = []
        for row in data.get("tests") or []:
            if not isinstance(row, dict):
                continue
            status = _text(row.get("status"), "failed")
            named = row.get("misconceptions")
            checks.append(CheckResult(
                name=_text(row.get("name")), test_id=_text(row.get("id", row.get("name"))),
                score=_number(row.get("score")), max_score=_number(row.get("max_score")),
                status=NOT_RUN[0] if status in NOT_RUN else status, output=_text(row.get("output")),
                visibility=_text(row.get("visibility"), "visible"),
                misconception=row["misconception"] if isinstance(row.get("misconception"), str) else None,
                misconceptions=[m for m in named if isinstance(m, str)] if isinstance(named, list) else [],
                seconds=_number(row.get("seconds")), detail=_text(row.get("detail")),
                failed_at=_text(row.get("failed_at")),
            ))
        notes, isolation = data.get("notes"), data.get("isolation")
        return cls(
            exercise=_text(data.get("exercise")), title=_text(data.get("title")), seed=int(_number(data.get("seed"))),
            # to_json's max_score is the points graded; the exercise's points include the ungraded ones
            max_score=_number(data.get("max_score")) + _number(data.get("ungraded_points")),
            checks=checks, seconds=_number(data.get("execution_time")), file=_text(data.get("file")),
            notes=[n for n in notes if isinstance(n, str)] if isinstance(notes, list) else [],
            isolation={str(k): str(v) for k, v in isolation.items()} if isinstance(isolation, dict) else {},
            import_failure=_text(data.get("import_failure")),
        )

    def to_gradescope(self) -> dict[str, Any]:
        """Gradescope's autograder ``results.json``.

        Gradescope totals the tests' ``max_score``, so an ungraded check is listed with a
        ``max_score`` of 0 (named and tagged as ungraded, its points and reason in its output),
        and the top-level ``score`` is given: both come to ``score`` out of ``graded_max``.
        """
        output = f"{self.exercise} {self.title}: seed {self.seed}"
        if self.ungraded:
            points = self.ungraded_points
            output += "\n\n" + GRADESCOPE_UNGRADED_NOTE.format(
                points=count(points, "point"), are=plural(points, "is"), reasons="; ".join(self.ungraded_reasons)
            )
        if self.import_failure:
            output += f"\n\n{self.import_failure}"
        return {
            "score": self.score,
            "execution_time": round(self.seconds, 3),
            "output": output,
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "extra_data": {"max_score": self.graded_max, "ungraded_points": self.ungraded_points},
            "tests": [self._gradescope_test(i, c) for i, c in enumerate(self.checks)],
        }

    def _gradescope_test(self, i: int, c: CheckResult) -> dict[str, Any]:
        test: dict[str, Any] = {
            "name": c.title,
            "number": f"{self.exercise}.{i + 1}",
            "score": c.score,
            "max_score": c.max_score,
            "status": "passed" if c.passed else "failed",
            "output": c.output,
            "visibility": c.visibility,
            "tags": [self.exercise] + ([c.misconception] if c.misconception else []),
        }
        if c.ungraded:
            # Neither passed nor failed: Gradescope knows only those two, so no status (a test out
            # of 0 points), and the name, the tag and the output say that it was not graded.
            del test["status"]
            test.update(
                name=GRADESCOPE_UNGRADED.format(name=c.name),
                score=0.0,
                max_score=0.0,
                output=GRADESCOPE_UNGRADED_OUTPUT.format(
                    points=count(c.max_score, "point"), are=plural(c.max_score, "is"), reason=c.output
                ),
                tags=[self.exercise, UNGRADED_TAG],
            )
        return test


def _text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
