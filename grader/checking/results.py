"""The one data structure every output is rendered from: score card, JSON, Gradescope.

Changes when a result gains a field or an output format.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CheckResult:
    name: str  # the behaviour checked, in words
    test_id: str  # the check function (with parameters), stable across runs
    score: float
    max_score: float
    status: str  # passed | failed | error
    output: str = ""  # for the learner
    visibility: str = "visible"
    misconception: str | None = None
    seconds: float = 0.0
    detail: str = ""  # for the instructor (tracebacks from the check itself)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class ExerciseResult:
    exercise: str
    title: str
    seed: int
    max_score: float
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
    def skipped_points(self) -> float:
        return sum(c.max_score for c in self.checks if c.status == "skipped")

    @property
    def full_marks(self) -> bool:
        ran = [c for c in self.checks if c.status != "skipped"]
        return bool(ran) and all(c.passed for c in ran) and self.score >= self.max_score - self.skipped_points

    def to_json(self, *, instructor: bool = False) -> dict[str, Any]:
        tests = []
        for c in self.checks:
            row = {k: v for k, v in asdict(c).items() if instructor or k != "detail"}
            row.pop("test_id")
            row["id"] = c.test_id
            tests.append(row)
        return {
            "exercise": self.exercise,
            "title": self.title,
            "score": self.score,
            "max_score": self.max_score,
            "seed": self.seed,
            "execution_time": round(self.seconds, 3),
            "file": self.file,
            "notes": self.notes,
            "import_failure": self.import_failure,
            "isolation": self.isolation,
            "tests": tests,
        }

    def to_gradescope(self) -> dict[str, Any]:
        """Gradescope's autograder ``results.json``."""
        return {
            "score": self.score,
            "execution_time": round(self.seconds, 3),
            "output": f"{self.exercise} {self.title}: seed {self.seed}" + (f"\n\n{self.import_failure}" if self.import_failure else ""),
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [
                {
                    "name": c.name,
                    "number": f"{self.exercise}.{i + 1}",
                    "score": c.score,
                    "max_score": c.max_score,
                    "status": "passed" if c.passed else "failed",
                    "output": c.output,
                    "visibility": c.visibility,
                    "tags": [self.exercise] + ([c.misconception] if c.misconception else []),
                }
                for i, c in enumerate(self.checks)
                if c.status != "skipped"
            ],
        }
