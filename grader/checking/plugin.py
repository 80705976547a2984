"""The pytest side of grading: fixtures for checks and a collector of results.

An instance of :class:`GradingPlugin` is passed to ``pytest.main(plugins=[...])`` in the
trusted process. It provides ``submission`` (the proxy to the learner's worker),
``reference`` (the solution module, trusted), ``rng`` and ``seed``; reads ``points``
and ``visibility`` marks; and turns each check's ``call`` report (and setup/teardown
errors) into a :class:`CheckResult` with a message written for the learner.

:func:`run_in_process` is the one way checks are run (lean pytest, this plugin only), by
``grade exNN`` and by the nbgrader notebooks' cells (:mod:`grader.checking.notebook`) alike;
:func:`check_rng` the one derivation of a check's random inputs.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from grader.checking.expect import CheckFailure, describe, describe_call
from grader.checking.expect import _active as active_submissions
from grader.checking.misconceptions import Consistency, Misconception, Ran, agrees_on, matching
from grader.checking.proxy import Submission
from grader.checking.results import CheckResult
from grader.sandbox.failures import ImportFailed, NotCalledAgain, NotImplementedYet, SubmissionFailure
from grader.sandbox.messages import IMPORT_CRASHED

SETUP_ERROR = "this check could not be prepared, so it earned no points: {error}"
CHECK_ERROR = (
    "the check stopped while examining what your code returned ({error}). "
    "Compare the types and shapes you return with the docstring in the stub."
)
PRINTED = "your code printed:\n{text}"
LOOKS_LIKE = "This looks like a known mistake ({name}): {feedback}"
# Several known mistakes agree with the learner on every check that ran: each is said, none chosen.
LOOKS_LIKE_ONE_OF = (
    "This looks like one of these known mistakes, which give the same outputs as your code on every "
    "input the checks tried ({names}):\n{each}"
)
ONE_OF = "one of: {names}"
ONE_OF_EACH = "- {name}: {feedback}"
# For the instructor: a variant that matched this check but not another one that ran.
RULED_OUT = "known mistake '{name}' reproduces this check but not '{check}', so it is not named"
DIAGNOSIS_FAILED = "misconception consistency check failed: {error!r}"
PROBE_LABEL = "inputs made to tell known mistakes apart"  # the probes' rng label, and the detail's word
# After "one of": what would decide between them, from each mistake's `tell_apart` where it has one.
TELL_APART = "What would tell them apart:"
TELL_APART_EACH = "- {name}: {tell}"
TELL_APART_NONE = "No input tried here tells them apart; read both and check your code for each."
# A check that uses this fixture races the reference: its failure is about time, and its outputs
# are already judged by the race. Its calls (a million edges in ex11) are replayed only when the
# race itself failed (matching, as before), never as evidence for or against a name elsewhere.
RACE_FIXTURE = "reference_process"
# One line per check: the import failure itself is told once, above the checks (ExerciseResult.import_failure).
IMPORT_NOT_RUN = "not run: {file} could not be imported ({summary}); the error is shown above the checks."
SUMMARY_CHARS = 200
# How an import stopped by a limit or a crash is said, between the file and the reason.
IMPORT_CRASHED_SAID = IMPORT_CRASHED.removeprefix("{file}").removesuffix("{reason}")


_RUNNER_DIRS = (f"{os.sep}_pytest{os.sep}", f"{os.sep}pluggy{os.sep}")
_GRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # the grader package


def _where(exc: BaseException) -> str:
    """Where in the checks an exception passed (the message is already the learner's output).

    Walks the frames without reading any source, skipping pytest's and the grader's own."""
    frames = [
        f"{frame.f_code.co_filename}:{lineno} in {frame.f_code.co_name}"
        for frame, lineno in traceback.walk_tb(exc.__traceback__)
        if not frame.f_code.co_filename.startswith(_GRADER_DIR)
        and not any(d in frame.f_code.co_filename for d in _RUNNER_DIRS)
    ]
    return "\n".join([*frames[-3:], type(exc).__name__])


def _traceback(excinfo: Any) -> str:
    """The full traceback, for a check that broke (the instructor's to fix)."""
    exc = getattr(excinfo, "value", None)
    return "".join(traceback.format_exception(exc)) if isinstance(exc, BaseException) else ""


def check_name(item: pytest.Item) -> str:
    """``test_zero_rows_give_zero[float32]`` -> ``zero rows give zero [float32]``."""
    base = item.originalname if hasattr(item, "originalname") else item.name
    words = base.removeprefix("test_").replace("_", " ")
    callspec = getattr(item, "callspec", None)
    return f"{words} [{callspec.id}]" if callspec else words


def check_rng(seed: int, check: str) -> np.random.Generator:
    """The ``rng`` a check receives: from the run's seed and the check's pytest name (``test_x[float32]``).

    Per check, so a check's inputs do not depend on which checks ran before it; the one
    derivation for ``grade exNN``, batch, Gradescope and the nbgrader notebooks alike.
    """
    return np.random.default_rng([seed, zlib.crc32(check.encode())])


class GradingPlugin:
    def __init__(
        self,
        *,
        submission: Submission,
        seed: int,
        reference: Callable[[], Any],
        misconceptions: Callable[[], list[Misconception]],
        default_visibility: str = "visible",
        prefer_misconception: str | None = None,
        exercise_dir: Any = None,
        reference_process: Callable[[], Submission] | None = None,
        progress: Callable[[int, int, str], None] | None = None,
    ) -> None:
        self._progress = progress
        self._done = 0
        self._prefer = prefer_misconception
        self._exercise_dir = exercise_dir
        self._reference_process = reference_process
        self._submission = submission
        self._seed = seed
        self._reference = reference
        self._misconceptions = misconceptions
        self.default_visibility = default_visibility
        self.results: dict[str, CheckResult] = {}
        self.collection_errors: list[str] = []
        self._excinfo: dict[tuple[str, str], Any] = {}
        self._started: dict[str, float] = {}
        # Per check that ran: the learner's calls and the outcome, for the diagnosis after the last check.
        self._ran: dict[str, Ran] = {}
        self._races: set[str] = set()
        self._called: dict[str, set[str]] = {}  # check -> the functions it called: what a name there is about
        self._found: dict[str, list[Misconception]] = {}  # failing check -> the variants matching it alone
        self._probe_calls: list[Any] | None = None  # the learner's calls on the probes, once run
        self._deferred: dict[str, list[Any]] = {}  # failing race -> its calls, matched at the end

    # -- fixtures ---------------------------------------------------------------
    @pytest.fixture
    def submission(self) -> Submission:
        return self._submission

    @pytest.fixture(scope="session")
    def reference(self) -> Any:
        return self._reference()

    @pytest.fixture(scope="session")
    def exercise_dir(self) -> Any:
        """The exercise's folder (for data files the checks read themselves)."""
        return self._exercise_dir

    @pytest.fixture(scope="session")
    def reference_process(self) -> Any:
        """The reference running in a worker like the learner's: the fair baseline for timing."""
        if self._reference_process is None:
            pytest.skip("no reference process in this run")
        proxy = self._reference_process()
        yield proxy
        proxy.backend.close()

    @pytest.fixture
    def seed(self) -> int:
        return self._seed

    @pytest.fixture
    def rng(self, request: pytest.FixtureRequest) -> np.random.Generator:
        return check_rng(self._seed, request.node.name)

    # -- hooks -----------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        # With the terminal plugin off, tbstyle defaults to "long", which re-reads sources and
        # prints every argument (arrays, tensors): seconds per failure. A check file that does
        # not load gets a native traceback (the instructor's to read); see below for checks.
        config.option.tbstyle = "native"
        config.addinivalue_line("markers", "points(n): how many points the check is worth")
        config.addinivalue_line("markers", "visibility(level): visible, hidden, after_due_date, after_published")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(str(report.longrepr))

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            mark = item.get_closest_marker("points")
            vis = item.get_closest_marker("visibility")
            self.results[item.nodeid] = CheckResult(
                name=check_name(item),
                test_id=item.name,
                score=0.0,
                max_score=float(mark.args[0]) if mark and mark.args else 0.0,
                status="failed",
                visibility=vis.args[0] if vis and vis.args else self.default_visibility,
            )

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # A failing check still gets a formatted traceback that nothing prints: "native" reads
        # the source of ~20 pytest frames (~1 ms a failure, more on a cold start). "value"
        # keeps only the message; the instructor's detail is taken from the exception itself.
        session.config.option.tbstyle = "value"

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        for item in items:
            self.results.pop(item.nodeid, None)

    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        # A fresh worker for the next check, started while pytest finishes this one.
        reset = getattr(self._submission.backend, "reset", None)
        if reset is not None and nextitem is not None:
            reset()

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self._progress is not None:
            self._done += 1
            self._progress(self._done, len(self.results), check_name(item))
        self._submission.calls = []
        if RACE_FIXTURE in getattr(item, "fixturenames", ()):
            self._races.add(item.nodeid)
        active_submissions[:] = [self._submission]
        self._started[item.nodeid] = time.perf_counter()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
        report = yield
        if call.excinfo is not None:
            self._excinfo[(item.nodeid, call.when)] = call.excinfo
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = self.results.get(report.nodeid)
        if result is None:
            return
        excinfo = self._excinfo.pop((report.nodeid, report.when), None)
        if report.skipped:
            # e.g. a speed check that needs a GPU: not run, so not counted either way
            result.status, result.score = "skipped", 0.0
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            result.output = reason.removeprefix("Skipped: ")
        elif report.when == "call":
            result.seconds = time.perf_counter() - self._started.get(report.nodeid, time.perf_counter())
            self._called[report.nodeid] = {c.name for c in self._submission.calls}
            if report.nodeid not in self._races:  # the list itself: setup gives the next check a new one
                self._ran[report.nodeid] = Ran(report.nodeid, self._submission.calls, report.passed)
            if report.passed:
                result.status, result.score = "passed", result.max_score
            else:
                result.status, result.score = "failed", 0.0
                result.output, result.detail = self._explain(excinfo, report)
                stage = getattr(excinfo.value, "stage", None) if excinfo is not None else None
                result.failed_at = stage if isinstance(stage, str) else ""
                self._look_for_misconception(report.nodeid, result)
        elif report.failed:
            # A setup or teardown error: no points, said as an error, never as a pass.
            result.status, result.score = "error", 0.0
            error = excinfo.exconly() if excinfo is not None else str(report.longrepr)
            if excinfo is not None and isinstance(excinfo.value, ImportFailed):
                result.output, result.detail = self._not_imported(excinfo.value), excinfo.value.reason
            elif excinfo is not None and isinstance(excinfo.value, SubmissionFailure):
                result.output = excinfo.value.reason
                result.detail = _where(excinfo.value)
            else:
                result.output = SETUP_ERROR.format(error=error.strip().splitlines()[-1] if error.strip() else "unknown")
                result.detail = _traceback(excinfo) or str(report.longrepr)
        if report.when == "teardown":
            active_submissions[:] = []

    # -- messages ----------------------------------------------------------------
    def _explain(self, excinfo: Any, report: pytest.TestReport) -> tuple[str, str]:
        if excinfo is None:
            return "the check failed", str(report.longrepr)
        exc = excinfo.value
        # The learner's mistake (a failed comparison, an exception in their code): the
        # instructor needs where in the check, not pytest's frames.
        detail = _where(exc)
        if isinstance(exc, CheckFailure):
            return str(exc), detail
        calls = self._submission.calls
        if isinstance(exc, ImportFailed):
            return self._not_imported(exc), exc.reason
        if isinstance(exc, NotCalledAgain):  # nothing was called: no call to describe
            return exc.reason, detail
        if isinstance(exc, SubmissionFailure):
            record = next((c for c in reversed(calls) if c.failure is exc), None)
            call = ""
            if record is not None:
                # A stub's failure needs no argument dump: only what was called.
                call = describe_call(record).split("\n")[0] if isinstance(exc, NotImplementedYet) else describe_call(record)
            text = (call + "\n" if call else "") + exc.reason
            if exc.output.strip():
                text += "\n" + PRINTED.format(text=_indent(exc.output.strip()[-2000:]))
            return text, detail
        error = f"{type(exc).__name__}: {exc}"
        last = calls[-1] if calls else None
        text = CHECK_ERROR.format(error=error)
        if last is not None and last.failure is None:
            text = describe_call(last) + f"\nreturned {describe(last.result)}\n" + text
        return text, _traceback(excinfo) or detail

    def _not_imported(self, exc: ImportFailed) -> str:
        """The one line a check says when the learner's module could not be imported: the
        failure's last line (the exception, for a traceback) names it; the card shows it whole."""
        last = next((line.strip() for line in reversed(exc.reason.splitlines()) if line.strip()), "")
        _, said, why = last.partition(IMPORT_CRASHED_SAID)
        last = why if said else last  # "<file> could not be imported: <why>": the line says the rest
        if len(last) > SUMMARY_CHARS:
            last = last[: SUMMARY_CHARS - 1] + "…"
        return IMPORT_NOT_RUN.format(file=self._submission.backend.label, summary=last)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self._diagnose()

    def _look_for_misconception(self, nodeid: str, result: CheckResult) -> None:
        """The variants that reproduce this failing check; named only once every check has run.
        A race's calls are large (a million edges in ex11): matched after the others, and only
        against the variants some other failing check found, when there are any."""
        if nodeid in self._races:
            self._deferred[nodeid] = self._submission.calls
            return
        self._match(nodeid, result, self._submission.calls, None)

    def _match(self, nodeid: str, result: CheckResult, calls: list[Any], only: set[int] | None) -> None:
        try:
            variants = [v for v in self._misconceptions() if only is None or id(v) in only]
            if not variants:
                return
            found = matching(calls, variants, self._reference())
        except Exception as exc:  # a broken variant must not cost the learner their card
            result.detail += f"\nmisconception matching failed: {exc!r}"
            return
        if found:
            self._found[nodeid] = found

    def _diagnose(self) -> None:
        """Name, on each failing check, the variants that matched it and agree with the learner on
        every other check that ran too (passing ones included): a wrong name is worse than none.
        No replay at all unless some failing check matched a variant."""
        found_elsewhere = {id(v) for found in self._found.values() for v in found}
        for nodeid, calls in self._deferred.items():
            self._match(nodeid, self.results[nodeid], calls, found_elsewhere or None)
        if not self._found:
            return
        matched: dict[int, set[str]] = {}
        for nodeid, found in self._found.items():
            for v in found:
                matched.setdefault(id(v), set()).add(nodeid)
        try:
            consistency = Consistency(list(self._ran.values()), self._reference())
            ruled_out: dict[tuple[str, int], str | None] = {}
            for nodeid, found in self._found.items():
                called = self._called.get(nodeid, set())
                for v in found:  # judged on what it is named for here: its functions this check called
                    functions = called & set(v.functions)
                    ruled_out[nodeid, id(v)] = consistency.ruled_out_by(v, functions, matched[id(v)])
        except Exception as exc:  # never a name the replays could not confirm
            for nodeid in self._found:
                self.results[nodeid].detail += "\n" + DIAGNOSIS_FAILED.format(error=exc)
            return
        for nodeid, found in self._found.items():
            result = self.results[nodeid]
            for v in found:
                by = ruled_out[nodeid, id(v)]
                if by is not None:
                    check = self.results[by].name if by in self.results else by
                    result.detail += "\n" + RULED_OUT.format(name=v.name, check=check)
            left = [v for v in found if ruled_out[nodeid, id(v)] is None]
            if len(left) > 1:
                left = self._probe(result, left)
            self._name(result, left)

    def _probe(self, result: CheckResult, left: list[Misconception]) -> list[Misconception]:
        """Several variants fit everything that ran: run the exercise's probes (inputs made to tell
        lookalikes apart) through the learner's code, and keep the variants that agree with it
        there too. Never all of them ruled out: then the probes told nothing about this learner."""
        if self._probe_calls is None:
            self._probe_calls = []
            probes = getattr(self._misconceptions(), "probes", None)
            if probes is not None:
                start = len(self._submission.calls)
                try:
                    for name, args, kwargs in probes(check_rng(self._seed, PROBE_LABEL)):
                        try:
                            getattr(self._submission, name)(*args, **kwargs)
                        except Exception:  # noqa: S112  (the learner's failure is recorded on the call)
                            continue
                except Exception as exc:  # a broken probe costs no learner their card
                    result.detail += "\n" + DIAGNOSIS_FAILED.format(error=exc)
                self._probe_calls = self._submission.calls[start:]
        if not self._probe_calls:
            return left
        try:
            kept = [v for v in left if agrees_on(v, self._probe_calls, self._reference())]
        except Exception as exc:
            result.detail += "\n" + DIAGNOSIS_FAILED.format(error=exc)
            return left
        for v in left:
            if v not in kept:
                result.detail += "\n" + RULED_OUT.format(name=v.name, check=PROBE_LABEL)
        return kept or left

    def _name(self, result: CheckResult, left: list[Misconception]) -> None:
        if not left:
            return
        # drill and verify ask for a particular variant: named first, and in the field, when the data allow it
        left.sort(key=lambda v: v.name != self._prefer)
        result.misconceptions = [v.name for v in left]
        if len(left) == 1:
            result.misconception = left[0].name
            result.output += "\n" + LOOKS_LIKE.format(name=left[0].name, feedback=left[0].feedback)
            return
        result.misconception = self._prefer if left[0].name == self._prefer else None
        each = "\n".join(ONE_OF_EACH.format(name=v.name, feedback=v.feedback) for v in left)
        names = ONE_OF.format(names=", ".join(v.name for v in left))
        result.output += "\n" + LOOKS_LIKE_ONE_OF.format(names=names, each=each) + "\n" + tell_apart(left)


def tell_apart(left: list[Misconception]) -> str:
    """What would decide between lookalike mistakes: each one's ``tell_apart``, or that nothing tried does."""
    tells = [TELL_APART_EACH.format(name=v.name, tell=v.tell_apart) for v in left if v.tell_apart]
    return "\n".join([TELL_APART, *tells]) if tells else TELL_APART_NONE


# pytest, lean: only the plugins grading needs. Every plugin module imported is start-up time
# on `grade ex01`, and some cost more: unraisableexception's gc.collect() at exit takes ~0.5 s
# with torch loaded; capture redirects the process's fds around every phase of every check
# (~7 ms of a 55 ms grading), though checks are the course's code and print nothing (the
# learner's output is caught in the worker). Checks say what failed through expect(), so no
# assertion rewriting; and a conftest.py dropped beside the checks must never run in the
# grader's process.
PYTEST_ARGS = (
    "-p", "no:cacheprovider", "-p", "no:stepwise", "-p", "no:terminal", "-p", "no:pastebin",
    "-p", "no:nose", "-p", "no:doctest", "-p", "no:junitxml", "-p", "no:unraisableexception",
    "-p", "no:threadexception", "-p", "no:debugging", "-p", "no:faulthandler", "-p", "no:tmpdir",
    "-p", "no:legacypath", "-p", "no:setuponly", "-p", "no:setupplan", "-p", "no:python_path",
    "-p", "no:logging", "-p", "no:capture", "--assert=plain", "--noconftest", "--import-mode=importlib", "-c", os.devnull,
    "-W", "ignore::pytest.PytestAssertRewriteWarning",
)


def run_in_process(
    paths: list[str], plugin: GradingPlugin, *, rootdir: str | os.PathLike[str], extra: list[str] | tuple[str, ...] = ()
) -> int:
    """Run the checks at ``paths`` (files, or ``file::check`` node ids) in this process with
    ``plugin`` as their only plugin; pytest's exit code. ``grade exNN`` and the nbgrader
    notebooks' cells both run their checks through here."""
    args = [*paths, *PYTEST_ARGS, "--rootdir", str(rootdir), *extra]
    previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    before = set(sys.modules)
    try:
        return pytest.main(args, plugins=[plugin])
    finally:
        if previous is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous
        _forget_checks(before, rootdir)


def _forget_checks(before: set[str], rootdir: str | os.PathLike[str]) -> None:
    """Drop the check modules this run imported. pytest's importlib mode names a module by its
    path under the rootdir ("checks.test_cosine" in every copy of a course) and returns whatever
    sys.modules holds under that name: a later grading of another copy, in this process, would
    otherwise run these checks instead of its own."""
    root = os.path.realpath(rootdir) + os.sep
    for name in set(sys.modules) - before:
        file = getattr(sys.modules.get(name), "__file__", None)
        if file and os.path.realpath(file).startswith(root):
            sys.modules.pop(name, None)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())
