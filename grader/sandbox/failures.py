"""What can go wrong when a check calls the learner's code.

Changes when a new way for a call to fail is told apart.

Each is raised by the ``submission`` proxy in the trusted process and turned into the
check's failure message by the results collector. All texts are plain data that the
grader composed; the learner's own text (exception messages, tracebacks, prints) is
carried as strings and shown, never evaluated.
"""

from __future__ import annotations


class SubmissionFailure(Exception):
    """A call into the learner's code did not return a usable value."""

    def __init__(self, reason: str, *, output: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.output = output  # what the learner's code printed around the failure


class LearnerRaised(SubmissionFailure):
    """The learner's function raised an exception (it arrives as names and text)."""

    def __init__(self, type_name: str, mro: list[str], message: str, traceback: str, *, output: str = "") -> None:
        self.type_name, self.mro, self.message, self.traceback = type_name, mro, message, traceback
        super().__init__(f"{type_name}: {message}", output=output)

    def is_a(self, name: str) -> bool:
        """Whether the learner's exception is (a subclass of) the named built-in class."""
        return name in self.mro or name == self.type_name


class NotImplementedYet(SubmissionFailure):
    """The stub is still a stub."""


class WorkerStopped(SubmissionFailure):
    """The learner's process was stopped or died: limits, crashes, exits, floods."""

    def __init__(self, reason: str, *, output: str = "", exit_status: int | None = None) -> None:
        super().__init__(reason, output=output)
        self.exit_status = exit_status


class ImportFailed(SubmissionFailure):
    """The learner's module could not be imported at all."""


class MissingFunction(SubmissionFailure):
    """An entry point the check needs is not defined."""


class BadResult(SubmissionFailure):
    """A result that cannot be decoded, or of a type the grader refuses."""


class ForbiddenCall(SubmissionFailure):
    """The learner's function uses a call that the exercise forbids."""


class TimeLimit(WorkerStopped):
    """A call ran past its wall-clock or CPU limit: the function hangs, or is far too slow."""


class NotCalledAgain(TimeLimit):
    """An entry point stopped for time earlier in the grading, failed at once instead of being
    called again: a function that hangs would cost its limit on every check that calls it."""
