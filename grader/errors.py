"""Errors the grader raises about its own inputs (course files, usage).

Changes when a new exit status or kind of input error is needed.

Learner-code failures live in ``grader.sandbox.failures``; these are for the instructor's tree.
"""

from __future__ import annotations

from pathlib import Path

# Exit statuses of the `grade` command.
EXIT_FULL_MARKS = 0
EXIT_NOT_FULL = 1
EXIT_USAGE = 2
EXIT_COURSE = 3
EXIT_INTERNAL = 4


class GradeError(Exception):
    """Base class for errors the grader reports to a person, never with a traceback."""

    exit_code = EXIT_INTERNAL


class CourseError(GradeError):
    """A course or exercise file is broken: names the file, the line, the field."""

    exit_code = EXIT_COURSE

    def __init__(
        self,
        path: Path | str,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.field = field
        self.message = message
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: "
        if self.field:
            text += f"field '{self.field}': "
        text += self.message
        if self.hint:
            text += f"\n  {self.hint}"
        return text


class UsageError(GradeError):
    """The person asked for something that does not exist or cannot be done."""

    exit_code = EXIT_USAGE


class IsolationMissing(GradeError):
    """An isolation layer the grading requires could not be applied: nothing was graded."""

    exit_code = EXIT_USAGE
