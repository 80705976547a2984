"""The course model: ``course.yaml`` and one ``exercise.yaml`` per exercise, typed.

Changes when a key of course.yaml or exercise.yaml is added or its rules change.

Every problem in a course file becomes a :class:`CourseError` that names the file, the
line, the field and what was expected; unknown keys are errors, as in exercism's
metadata, so a typo never silently drops a setting.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import difflib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.course.yamlio import Marks, load_yaml
from grader.errors import CourseError, UsageError

COURSE_FILE = "course.yaml"
EXERCISE_FILE = "exercise.yaml"
DIFFICULTIES = ("easy", "medium", "hard")
REQUIREMENTS = ("numpy", "torch", "triton", "gpu")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
_FOLDER_RE = re.compile(r"^ex(\d{2,3})_([a-z0-9_]+)$")

# The keys each mapping may hold: an unknown key is reported before anything else (a typo such
# as `titel:` must be named at its line, not surface as "missing required field 'title'").
COURSE_KEYS = ("title", "exercises", "solutions", "secret", "allow_weak_isolation", "defaults", "server", "due")
DEFAULTS_KEYS = ("visibility", "minutes", "limits")
EXERCISE_KEYS = (
    "id", "title", "difficulty", "topics", "files", "entry_points", "points", "hints", "requires", "limits",
    "forbidden", "aliases", "minutes", "visibility", "hidden_points", "kernel_rules",
)
FILES_KEYS = ("learner", "checks", "data")

UNKNOWN_FIELD = "unknown field '{key}'"
DID_YOU_MEAN = "did you mean '{match}'? "
KNOWN_FIELDS = "known fields here: {known}"
NO_SUCH_EXERCISE = "no exercise called '{name}' in this course. Exercises: {known}"
NO_EXERCISES_YET = "no exercise called '{name}': this course has no exercises yet (grade new adds one)"
MISSING_LISTED_FILE = "'{name}' is listed but {path} does not exist"
BAD_SERVER = "expected the grading service's address, such as https://grade.example.edu, got {value!r}"
BAD_DUE = (
    "expected a date and time such as 2026-12-20T23:59:00+00:00 (or a date, 2026-12-20, meaning its end "
    "in UTC), got {value!r}"
)
DUE_UNKNOWN_EXERCISE = "'{name}' is not an exercise of this course: due dates are given by exercise id or folder"


@dataclass(frozen=True)
class Limits:
    """Resource limits for the learner's worker process."""

    cpu_seconds: float = 10.0  # per call, measured by the grader
    wall_seconds: float = 20.0  # per call, measured by the grader
    memory_mb: int = 1024  # RLIMIT_DATA: heap and private mappings
    address_space_mb: int = 8192  # RLIMIT_AS: loose, torch maps ~3 GB at import
    open_files: int = 64
    file_size_mb: int = 16
    output_kb: int = 1024  # all that the learner's code prints, stdout and stderr
    result_mb: int = 256  # the size of what one call may send back

    def merged(self, overrides: dict[str, Any]) -> Limits:
        return dataclasses.replace(self, **overrides)


@dataclass(frozen=True)
class KernelRules:
    """What a kernel exercise's code may do outside its ``@triton.jit`` kernels (``kernel_rules``).

    The static scan (:mod:`grader.sandbox.kernel_scan`) refuses everything else, naming the line.
    Each list given in exercise.yaml replaces its default here."""

    imports: tuple[str, ...] = ("__future__", "typing", "math", "torch", "triton", "triton.language")
    # dotted names that may be called or read; they give plain values and never take a tensor
    calls: tuple[str, ...] = (
        "torch.float16", "torch.float32", "torch.cuda.is_available",
        "triton.jit", "triton.autotune", "triton.heuristics", "triton.Config", "triton.cdiv", "triton.next_power_of_2",
    )
    # dotted names that return a new tensor (and may take one as a template: torch.empty_like(a))
    allocate: tuple[str, ...] = ("torch.empty", "torch.empty_like", "torch.zeros", "torch.zeros_like")
    # what code may read of a tensor: each must give plain values (sizes, strides, dtypes), never data
    tensor_attributes: tuple[str, ...] = (
        "shape", "dtype", "device", "ndim", "dim", "size", "stride", "is_contiguous", "numel", "element_size", "is_cuda",
    )
    builtins: tuple[str, ...] = (
        "len", "int", "float", "bool", "str", "tuple", "list", "dict", "isinstance", "min", "max", "abs", "range",
        "zip", "enumerate", "print", "ValueError", "TypeError", "RuntimeError", "ImportError", "NotImplementedError",
        "AssertionError", "Exception",
    )


# Built-ins that reach attributes by computed name, run text as code, or open the process: an
# allow-list that named them would allow anything.
NEVER_ALLOWED_BUILTINS = frozenset(
    "getattr setattr delattr hasattr eval exec compile __import__ globals locals vars open input breakpoint "
    "memoryview type object super id dir help classmethod staticmethod property exit quit".split()
)
LIMITS_KEYS = tuple(f.name for f in dataclasses.fields(Limits))
KERNEL_RULES_KEYS = tuple(f.name for f in dataclasses.fields(KernelRules))
_DOTTED_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass(frozen=True)
class ExerciseFiles:
    learner: tuple[str, ...]
    checks: tuple[str, ...]
    data: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exercise:
    """One exercise, as declared by its ``exercise.yaml``."""

    id: str
    title: str
    difficulty: str
    topics: tuple[str, ...]
    files: ExerciseFiles
    entry_points: tuple[str, ...]
    points: int
    hints: tuple[str, ...]
    requires: tuple[str, ...]
    limits: Limits
    forbidden: tuple[str, ...]
    aliases: tuple[str, ...]
    minutes: int
    visibility: str
    directory: Path  # exercises/exNN_slug
    solution_directory: Path  # solutions/exNN_slug
    # Written by `grade publish` into a learner bundle: points carried by checks that stay
    # with the instructor (hidden, or needing the reference), so the card can say so.
    hidden_points: int = 0
    kernel_rules: KernelRules | None = None  # a kernel exercise: what code outside its kernels may do
    learner_line: int | None = None  # where exercise.yaml lists files.learner, for the error naming a missing one

    @property
    def folder(self) -> str:
        return self.directory.name

    @property
    def slug(self) -> str:
        return self.folder.split("_", 1)[1]

    @property
    def number(self) -> int:
        return int(self.id[2:])

    @property
    def learner_paths(self) -> list[Path]:
        return [self.directory / f for f in self.files.learner]

    def missing_learner_files(self) -> list[str]:
        """The learner files (as listed in exercise.yaml) that are not on disk now."""
        return [name for name in self.files.learner if not (self.directory / name).is_file()]

    def require_learner_files(self) -> None:
        """Raise the CourseError naming the first listed learner file that does not exist: the
        instructor's tree (verify, publish) must hold every stub, where a learner's need not."""
        for name in self.missing_learner_files():
            raise CourseError(
                self.directory / EXERCISE_FILE, MISSING_LISTED_FILE.format(name=name, path=self.directory / name),
                line=self.learner_line, field="files.learner",
            )

    @property
    def check_paths(self) -> list[Path]:
        return [self.directory / f for f in self.files.checks]

    @property
    def module_name(self) -> str:
        """The learner's main module: the first learner file, without ``.py``."""
        return Path(self.files.learner[0]).stem

    @property
    def reference_path(self) -> Path:
        return self.solution_directory / self.files.learner[0]

    @property
    def misconceptions_path(self) -> Path:
        return self.solution_directory / "misconceptions.py"

    def names(self) -> set[str]:
        """Every word that resolves to this exercise."""
        return {
            self.id,
            str(self.number),
            f"{self.number:02d}",
            self.folder,
            self.slug,
            *self.aliases,
        }


@dataclass(frozen=True)
class Course:
    title: str
    root: Path
    exercises: tuple[Exercise, ...]
    solutions_dir: Path
    secret: str | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    # Gradebook gradings (batch, Gradescope) normally refuse to run without every isolation layer.
    allow_weak_isolation: bool = False
    # The grading service a published bundle sends submissions to (grade serve), if any.
    server: str | None = None
    # Due dates by exercise id (timezone-aware, UTC when the file gives none): after_due_date checks
    # show their feedback only after their exercise's date.
    due: dict[str, dt.datetime] = field(default_factory=dict)

    def due_date(self, exercise: Exercise | str) -> dt.datetime | None:
        """The exercise's due date, or None when course.yaml sets none."""
        return self.due.get(exercise if isinstance(exercise, str) else exercise.id)

    def require_learner_files(self, exercises: Iterable[Exercise] | None = None) -> None:
        """Raise a CourseError unless every learner file of ``exercises`` (all by default) exists."""
        for ex in self.exercises if exercises is None else exercises:
            ex.require_learner_files()

    def resolve(self, name: str) -> Exercise:
        """Find an exercise by id (``ex07``), number (``7``), slug, folder or alias."""
        key = name.strip().lower().rstrip("/")
        key = Path(key).name if "/" in key else key
        for ex in self.exercises:
            if key in {n.lower() for n in ex.names()}:
                return ex
        partial = [
            ex for ex in self.exercises if key and (key in ex.slug or key in ex.title.lower())
        ]
        if len(partial) == 1:
            return partial[0]
        known = ", ".join(f"{ex.id} ({ex.slug})" for ex in self.exercises)
        if partial:
            options = ", ".join(ex.id for ex in partial)
            raise UsageError(f"'{name}' could mean {options}; say which with its id.")
        if not self.exercises:
            raise NoSuchExercise(name, NO_EXERCISES_YET.format(name=name))
        raise NoSuchExercise(name, NO_SUCH_EXERCISE.format(name=name, known=known))


class NoSuchExercise(UsageError):
    """No exercise of the course answers to ``name`` (the command line may add that no command does either)."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(message)


# --- validation -------------------------------------------------------------------

_TYPE_WORDS = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}


class _Reader:
    """Reads typed fields out of one YAML mapping, collecting line numbers for errors."""

    def __init__(self, path: Path, data: Any, marks: Marks, prefix: str = "", known: tuple[str, ...] = ()) -> None:
        self.path, self.marks, self.prefix = path, marks, prefix
        if not isinstance(data, dict):
            raise CourseError(path, "expected a mapping of fields", line=marks.get(prefix, 1), field=prefix or None)
        self.data: dict[str, Any] = data
        self.used: set[str] = set()
        self.known = known
        for key in data:
            if known and key not in known:
                raise self.unknown(key, known)

    def _name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def error(self, key: str, message: str, hint: str | None = None) -> CourseError:
        name = self._name(key)
        return CourseError(self.path, message, line=self.marks.get(name), field=name, hint=hint)

    def get(self, key: str, kind: type, default: Any = dataclasses.MISSING) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is dataclasses.MISSING:
                return self._missing(key, kind)
            return default
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(key, f"expected {_TYPE_WORDS.get(kind, kind.__name__)}, got {value!r}")
        return value

    def _missing(self, key: str, kind: type) -> Any:
        raise CourseError(
            self.path,
            f"missing required field '{self._name(key)}' ({_TYPE_WORDS.get(kind, kind.__name__)})",
            line=self.marks.get(self.prefix, 1) if self.prefix else 1,
            field=self._name(key),
        )

    def strings(self, key: str, default: Any = dataclasses.MISSING, *, choices: tuple[str, ...] = ()) -> tuple[str, ...]:
        self.used.add(key)
        if key not in self.data:
            if default is dataclasses.MISSING:
                self._missing(key, list)
            return tuple(default)
        value = self.data[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, f"expected a list of text, got {value!r}")
        for v in value:
            if choices and v not in choices:
                raise self.error(key, f"'{v}' is not one of {', '.join(choices)}")
        return tuple(value)

    def choice(self, key: str, choices: tuple[str, ...], default: Any = dataclasses.MISSING) -> str:
        value = self.get(key, str, default)
        if value not in choices:
            raise self.error(key, f"'{value}' is not one of {', '.join(choices)}")
        return value

    def sub(self, key: str, known: tuple[str, ...] = ()) -> _Reader:
        self.used.add(key)
        return _Reader(self.path, self.data.get(key, {}), self.marks, self._name(key), known)

    def unknown(self, key: str, known: Iterable[str]) -> CourseError:
        """The error for an unknown ``key``, at its line, with the closest known one when there is one."""
        known = sorted(known)
        close = difflib.get_close_matches(str(key), known, n=1)
        hint = (DID_YOU_MEAN.format(match=close[0]) if close else "") + KNOWN_FIELDS.format(known=", ".join(known))
        return self.error(key, UNKNOWN_FIELD.format(key=key), hint=hint)

    def finish(self) -> None:
        for key in self.data:
            if key not in self.used:
                raise self.unknown(key, self.known or self.used)


def _limits(reader: _Reader, base: Limits) -> Limits:
    overrides: dict[str, Any] = {}
    for f in dataclasses.fields(Limits):
        kind = float if f.type in ("float", float) else int
        if f.name in reader.data:
            value = reader.get(f.name, kind)
            if value <= 0:
                raise reader.error(f.name, f"must be positive, got {value}")
            overrides[f.name] = value
        reader.used.add(f.name)
    reader.finish()
    return base.merged(overrides)


def _kernel_rules(reader: _Reader, requires: tuple[str, ...]) -> KernelRules:
    """``kernel_rules:`` checked name by name, so a typo is an error at its line, not a hole."""
    if "triton" not in requires:
        raise CourseError(
            reader.path, "kernel_rules are for Triton exercises: add triton to requires",
            line=reader.marks.get(reader.prefix), field=reader.prefix,
        )
    defaults = KernelRules()
    values: dict[str, tuple[str, ...]] = {}
    for f in dataclasses.fields(KernelRules):
        names = reader.strings(f.name, getattr(defaults, f.name))
        for i, name in enumerate(names):
            where = f"{f.name}[{i}]"
            if not _DOTTED_RE.match(name):
                raise reader.error(where, f"'{name}' is not a dotted Python name")
            if f.name in ("tensor_attributes", "builtins") and "." in name:
                raise reader.error(where, f"'{name}' must be a single name")
            if any(part.startswith("__") and part != "__future__" for part in name.split(".")):
                raise reader.error(where, f"'{name}': names with double underscores reach Python's machinery")
            if f.name == "builtins" and name in NEVER_ALLOWED_BUILTINS:
                raise reader.error(where, f"'{name}' can never be allowed: with it, code can reach anything")
            if f.name == "builtins" and not hasattr(builtins, name):
                raise reader.error(where, f"'{name}' is not a Python built-in")
        values[f.name] = names
    for key in ("calls", "allocate"):
        for i, name in enumerate(values[key]):
            root = name.split(".")[0]
            if not any(m == root or m.startswith(root + ".") for m in values["imports"]):
                raise reader.error(f"{key}[{i}]", f"'{name}': its module {root} is not in kernel_rules.imports")
    reader.finish()
    return KernelRules(**values)


def _relative_file(reader: _Reader, key: str, value: str) -> str:
    if Path(value).is_absolute() or ".." in Path(value).parts:
        raise reader.error(key, f"'{value}' must be a path inside the exercise folder")
    return value


def load_exercise(directory: Path, solutions_root: Path, defaults: dict[str, Any], base_limits: Limits) -> Exercise:
    path = directory / EXERCISE_FILE
    data, marks = load_yaml(path)
    r = _Reader(path, data, marks, known=EXERCISE_KEYS)
    match = _FOLDER_RE.match(directory.name)
    if not match:
        raise CourseError(path, f"folder '{directory.name}' must be named exNN_slug (for example ex01_first_steps)")
    ex_id = r.get("id", str)
    if ex_id != f"ex{match.group(1)}":
        raise r.error("id", f"'{ex_id}' does not match the folder '{directory.name}'", hint=f"use id: ex{match.group(1)}")
    title = r.get("title", str)
    difficulty = r.choice("difficulty", DIFFICULTIES)
    topics = r.strings("topics")
    fr = r.sub("files", FILES_KEYS)
    learner = tuple(_relative_file(fr, "learner", f) for f in fr.strings("learner"))
    checks = tuple(_relative_file(fr, "checks", f) for f in fr.strings("checks"))
    data_files = tuple(_relative_file(fr, "data", f) for f in fr.strings("data", ()))
    fr.finish()
    if not learner:
        raise fr.error("learner", "list at least one file the learner edits")
    # The learner's own files are theirs to delete: one missing must not lock them out of the
    # whole course (grade reset brings it back). The instructor's commands insist on them
    # through Course.require_learner_files; the checks and data are the course's own.
    for key, names in (("checks", checks), ("data", data_files)):
        for name in names:
            if not (directory / name).is_file():
                raise fr.error(key, MISSING_LISTED_FILE.format(name=name, path=directory / name))
    for name in learner:
        if not name.endswith(".py"):
            raise fr.error("learner", f"'{name}' must be a Python file")
    entry_points = r.strings("entry_points")
    points = r.get("points", int)
    if points <= 0:
        raise r.error("points", f"must be positive, got {points}")
    hints = r.strings("hints")
    requires = r.strings("requires", ("numpy",), choices=REQUIREMENTS)
    limits_base = base_limits
    limits = _limits(r.sub("limits", LIMITS_KEYS), limits_base) if "limits" in data else limits_base
    r.used.add("limits")
    forbidden = r.strings("forbidden", ())
    aliases = r.strings("aliases", ())
    minutes = r.get("minutes", int, defaults.get("minutes", 30))
    visibility = r.choice("visibility", VISIBILITIES, defaults.get("visibility", "visible"))
    hidden_points = r.get("hidden_points", int, 0)
    if not 0 <= hidden_points <= points:
        raise r.error("hidden_points", f"must be between 0 and points ({points}), got {hidden_points}")
    kernel_rules = _kernel_rules(r.sub("kernel_rules", KERNEL_RULES_KEYS), requires) if "kernel_rules" in data else None
    r.used.add("kernel_rules")
    r.finish()
    return Exercise(
        id=ex_id,
        title=title,
        difficulty=difficulty,
        topics=topics,
        files=ExerciseFiles(learner, checks, data_files),
        entry_points=entry_points,
        points=points,
        hints=hints,
        requires=requires,
        limits=limits,
        forbidden=forbidden,
        aliases=aliases,
        minutes=minutes,
        visibility=visibility,
        directory=directory,
        solution_directory=solutions_root / directory.name,
        hidden_points=hidden_points,
        kernel_rules=kernel_rules,
        learner_line=marks.get("files.learner"),
    )


def load_course(root: Path) -> Course:
    """Load ``root/course.yaml`` and every exercise it lists, in order."""
    root = root.resolve()
    path = root / COURSE_FILE
    data, marks = load_yaml(path)
    r = _Reader(path, data, marks, known=COURSE_KEYS)
    title = r.get("title", str)
    if "exercises" in data and data["exercises"] is None:
        data["exercises"] = []  # `exercises:` with nothing under it: a course with no exercise yet
    names = r.strings("exercises")
    solutions = r.get("solutions", str, "solutions")
    secret = r.get("secret", str, None)
    allow_weak_isolation = r.get("allow_weak_isolation", bool, False)
    server = r.get("server", str, None)
    if server is not None and not re.match(r"^https?://[^\s/]+", server):
        raise r.error("server", BAD_SERVER.format(value=server))
    due_given = r.get("due", dict, {})
    dr = r.sub("defaults", DEFAULTS_KEYS)
    defaults: dict[str, Any] = {}
    limits = Limits()
    if "limits" in dr.data:
        limits = _limits(dr.sub("limits", LIMITS_KEYS), limits)
    dr.used.add("limits")
    if "visibility" in dr.data:
        defaults["visibility"] = dr.choice("visibility", VISIBILITIES)
    if "minutes" in dr.data:
        defaults["minutes"] = dr.get("minutes", int)
    dr.finish()
    r.finish()
    seen: set[str] = set()
    exercises = []
    for i, name in enumerate(names):
        if name in seen:
            raise r.error(f"exercises[{i}]".replace(".", ""), f"'{name}' is listed twice")
        seen.add(name)
        directory = root / "exercises" / name
        if not (directory / EXERCISE_FILE).is_file():
            raise CourseError(
                path,
                f"'{name}' is listed but {directory / EXERCISE_FILE} does not exist",
                line=marks.get(f"exercises[{i}]"),
                field=f"exercises[{i}]",
            )
        exercises.append(load_exercise(directory, root / solutions, defaults, limits))
    due = _due_dates(r, due_given, exercises)
    return Course(
        title=title,
        root=root,
        exercises=tuple(exercises),
        solutions_dir=root / solutions,
        secret=secret,
        defaults=defaults,
        allow_weak_isolation=allow_weak_isolation,
        server=server.rstrip("/") if server else None,
        due=due,
    )


def _due_dates(r: _Reader, given: dict[Any, Any], exercises: list[Exercise]) -> dict[str, dt.datetime]:
    """``due:`` read into timezone-aware datetimes by exercise id (an exercise named by id or folder)."""
    by_name = {name: ex.id for ex in exercises for name in (ex.id, ex.directory.name)}
    due: dict[str, dt.datetime] = {}
    for name, value in given.items():
        key = f"due.{name}"
        if str(name) not in by_name:
            raise CourseError(r.path, DUE_UNKNOWN_EXERCISE.format(name=name), line=r.marks.get(key), field=key)
        when: dt.datetime | None = None
        if isinstance(value, dt.datetime):
            when = value
        elif isinstance(value, dt.date):
            when = dt.datetime.combine(value, dt.time(23, 59, 59))
        elif isinstance(value, str):
            try:
                when = dt.datetime.fromisoformat(value)
            except ValueError:
                when = None
        if when is None:
            raise CourseError(r.path, BAD_DUE.format(value=value), line=r.marks.get(key), field=key)
        due[by_name[str(name)]] = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
    return due


def find_course_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` holding ``course.yaml``, as git finds .git."""
    env = os.environ.get("GRADE_COURSE")
    if start is None and env:
        start = Path(env)
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / COURSE_FILE).is_file():
            return candidate
    raise UsageError(
        f"no {COURSE_FILE} found in {here} or any folder above it. "
        "Run grade inside a course folder, or pass --course DIR."
    )
