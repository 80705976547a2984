"""``grade batch --executor dask``: the same grading, one Dask task per (learner, exercise).

The client (the instructor's ``grade batch``) stages submissions and owns the gradebook, as
with the local pool; Dask workers only run :func:`grader.instructor.batch.grade_task` and send back the
:class:`~grader.instructor.gradebook.Row`. Tasks and rows travel by pickle, which is fine: that is between
trusted grader processes. The learner's code still runs only in the sandboxed worker process
that :func:`grader.grading.runner.grade` starts on the Dask worker's machine.

What travels with each task, so that no shared filesystem is needed:

- the learner's staged files, as bytes (the ``source`` kept in the row stays the staged folder
  on the instructor's machine, so its replay command works there);
- the exercise's folder and its solutions folder, scattered once per exercise. A worker that
  sees the same tree (same path, same content hash: shared storage, or a LocalCluster) grades
  from it in place; any other worker unpacks the shipped copy once, keyed by its hash.

GPU routing: an exercise whose ``requires`` names ``gpu`` is submitted with
``resources={"GPU": 1}``; one that names ``triton`` is too when the cluster has a GPU worker
(for its speed points), and otherwise runs anywhere (Triton's interpreter on a CPU). Tasks
that need a GPU when no worker declares one are not submitted: they are reported as waiting
and stay out of the gradebook, so a rerun with a GPU worker grades only them.

Worker loss: Dask reschedules a task whose worker died on another worker; after the
scheduler's ``allowed-failures`` deaths it gives up with ``KilledWorker``, and that submission
gets an error row saying how many grading workers it killed. The batch goes on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.course import Exercise
from grader.errors import UsageError
from grader.instructor.batch import Task, grade_task_full
from grader.instructor.gradebook import Row

INSTALL = (
    "--executor dask needs Dask's distributed scheduler, which is not installed here. "
    "Install it with: pip install 'grade[dask]'  (or: pip install 'dask[distributed]')"
)
NO_GPU_WORKER = "waiting for a GPU worker: no worker in the cluster declares a GPU resource (dask worker --resources GPU=1)"
KILLED = (
    "this submission killed {n} grading workers (each time the Dask worker grading it died, and it "
    "was retried on another); it was not graded. Review it by hand, or replay it with: {replay}"
)
NOT_RUN = "the cluster could not grade this submission ({error}); it is not in the gradebook, a rerun tries again"
CONNECT = "could not reach the Dask scheduler at {address} ({error})"
POLL_SECONDS = 0.05
GPU = "GPU"
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".git"}


def require_dask() -> None:
    """Raise a UsageError that says how to install Dask when it is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise UsageError(INSTALL) from None


# --- what a task carries ------------------------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    if not root.is_dir():
        return files
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part in SKIPPED_PARTS for part in rel.parts) or p.suffix == ".pyc" or not p.is_file():
            continue
        files[rel.as_posix()] = p.read_bytes()
    return files


def _digest(trees: Iterable[dict[str, bytes]]) -> str:
    h = hashlib.sha256()
    for tree in trees:
        for name in sorted(tree):
            h.update(name.encode() + b"\0" + hashlib.sha256(tree[name]).digest())
        h.update(b"\1")
    return h.hexdigest()


@dataclass(frozen=True)
class ExerciseBundle:
    """An exercise's folder and solutions folder, as shipped to workers without the course."""

    directory: dict[str, bytes]
    solutions: dict[str, bytes]
    sha256: str

    @classmethod
    def of(cls, ex: Exercise) -> ExerciseBundle:
        directory, solutions = _tree(ex.directory), _tree(ex.solution_directory)
        return cls(directory, solutions, _digest([directory, solutions]))


_local_trees: dict[tuple[str, str], str] = {}  # (directory, solutions) -> content hash, per worker process
_grading = threading.Lock()  # pytest and the zygotes are per process: one grading at a time per worker


def _exercise_here(ex: Exercise, bundle: ExerciseBundle) -> Exercise:
    """``ex`` where this worker sees the same tree at the same path, else an unpacked copy."""
    key = (str(ex.directory), str(ex.solution_directory))
    if key not in _local_trees:
        _local_trees[key] = _digest([_tree(ex.directory), _tree(ex.solution_directory)]) if ex.directory.is_dir() else ""
    if _local_trees[key] == bundle.sha256:
        return ex
    root = Path(tempfile.gettempdir()) / f"grade-course-{bundle.sha256[:16]}"
    directory, solutions = root / "exercises" / ex.folder, root / "solutions" / ex.folder
    if not root.is_dir():
        # Unpacked beside it, then renamed: two worker processes on one machine may race here.
        partial = Path(tempfile.mkdtemp(prefix=root.name + "-", dir=root.parent))
        for folder, tree in (("exercises", bundle.directory), ("solutions", bundle.solutions)):
            for name, data in tree.items():
                (partial / folder / ex.folder / name).parent.mkdir(parents=True, exist_ok=True)
                (partial / folder / ex.folder / name).write_bytes(data)
        try:
            partial.rename(root)
        except OSError:  # another process got there first, with the same content
            shutil.rmtree(partial, ignore_errors=True)
    return dataclasses.replace(ex, directory=directory, solution_directory=solutions)


def learner_payload(task: Task) -> dict[str, bytes]:
    """The staged learner files of ``task`` (small: a few source files), to ship with it."""
    if task.error:
        return {}
    return {name: (task.source / name).read_bytes() for name in task.exercise.files.learner if (task.source / name).is_file()}


def grade_remote(task: Task, files: dict[str, bytes], bundle: ExerciseBundle) -> Row:
    """Run on a Dask worker: grade ``task`` from the shipped files; the row names the staged folder."""
    return grade_remote_full(task, files, bundle)[0]


def grade_remote_full(task: Task, files: dict[str, bytes], bundle: ExerciseBundle) -> tuple[Row, dict | None]:
    """:func:`grade_remote`, with the whole grading (see :func:`grader.instructor.batch.grade_task_full`)."""
    with _grading:
        exercise = _exercise_here(task.exercise, bundle)
        if task.error:
            return grade_task_full(dataclasses.replace(task, exercise=exercise))
        with tempfile.TemporaryDirectory(prefix="grade-submission-") as tmp:
            for name, data in files.items():
                (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
                (Path(tmp) / name).write_bytes(data)
            row, whole = grade_task_full(dataclasses.replace(task, exercise=exercise, source=Path(tmp)))
        # Tracebacks and messages name the paths graded here: put back the instructor's, so the
        # row is the one the local pool writes, and its paths mean something on that machine.
        moved = {tmp: str(task.source)}
        if exercise is not task.exercise:
            moved[str(exercise.directory)] = str(task.exercise.directory)
            moved[str(exercise.solution_directory)] = str(task.exercise.solution_directory)
        row.source = str(task.source)
        row.reason = _unmove(row.reason, moved)
        row.checks = _unmove(row.checks, moved)
        return row, _unmove(whole, moved)


def _unmove(value: Any, moved: dict[str, str]) -> Any:
    if isinstance(value, str):
        for here, there in moved.items():
            value = value.replace(here, there)
        return value
    if isinstance(value, list):
        return [_unmove(v, moved) for v in value]
    if isinstance(value, dict):
        return {k: _unmove(v, moved) for k, v in value.items()}
    return value


def _same(bundle: ExerciseBundle) -> ExerciseBundle:
    return bundle


# --- routing ------------------------------------------------------------------------------------


def needs_gpu(ex: Exercise, *, cluster_has_gpu: bool) -> bool:
    """Whether ``ex`` must go to a worker that declares a GPU (see the module docstring)."""
    return "gpu" in ex.requires or ("triton" in ex.requires and cluster_has_gpu)


def _gpu_workers(client: Any) -> int:
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    return sum(1 for w in workers.values() if (w.get("resources") or {}).get(GPU, 0) >= 1)


# --- the executor -------------------------------------------------------------------------------


@dataclass
class DaskExecutor:
    """Grades a batch's tasks on a Dask cluster.

    ``scheduler``: ``tcp://HOST:PORT``, or a scheduler file (``dask scheduler --scheduler-file``).
    ``config``: a Dask YAML config file (it may hold ``scheduler-address``). With neither, and no
    ``scheduler-address`` in Dask's own config, a local cluster of ``jobs`` processes on loopback.
    ``client``: an existing ``distributed.Client`` (tests), used as is and left open.
    """

    scheduler: str | None = None
    config: Path | None = None
    jobs: int = 1
    client: Any = None
    retries: int = 1  # an exception in the task (not a worker's death): one more try elsewhere
    grade: Callable[[Task, dict[str, bytes], ExerciseBundle], Row] = grade_remote
    waiting: list[tuple[str, str, str]] = field(default_factory=list)  # learner, exercise, why

    def connect(self) -> tuple[Any, Callable[[], None]]:
        """A client of the cluster and how to let it go (a local cluster when no scheduler is named)."""
        require_dask()
        import dask
        import yaml
        from distributed import Client, LocalCluster

        if self.client is not None:
            return self.client, lambda: None
        if self.config is not None:
            try:
                loaded = yaml.safe_load(self.config.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError) as exc:
                raise UsageError(f"{self.config}: not a readable Dask config file ({exc})") from None
            dask.config.update(dask.config.config, loaded, priority="new")
        address = self.scheduler or dask.config.get("scheduler-address", None)
        if address is None:
            cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
            client = Client(cluster)
            return client, lambda: (client.close(), cluster.close())
        try:
            if os.path.isfile(address):
                client = Client(scheduler_file=address, timeout="30s")
            else:
                client = Client(address, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(CONNECT.format(address=address, error=exc)) from None
        return client, client.close

    def __call__(self, tasks: Iterable[Task], record: Callable[[Row], None]) -> None:
        from distributed import as_completed

        tasks = list(tasks)
        if not tasks:
            return
        client, close = self.connect()
        try:
            has_gpu = _gpu_workers(client) > 0
            bundles: dict[str, Any] = {}
            futures: dict[Any, Task] = {}
            gpu_futures: set[Any] = set()
            for task in tasks:
                gpu = needs_gpu(task.exercise, cluster_has_gpu=has_gpu)
                if gpu and not has_gpu:
                    self.waiting.append((task.learner, task.exercise.id, NO_GPU_WORKER))
                    continue
                future = self._submit(client, task, bundles, gpu=gpu)
                futures[future] = task
                if gpu:
                    gpu_futures.add(future)
            outstanding = set(futures)
            suspects: list[Task] = []
            ready = as_completed(list(futures))
            last_check = time.monotonic()
            try:
                while outstanding:
                    batch = ready.next_batch(block=False) if ready.has_ready() else []
                    for future in batch:
                        if future in outstanding:
                            outstanding.discard(future)
                            if self._finish(future, futures[future], record):
                                suspects.append(futures[future])
                    if not batch:
                        time.sleep(POLL_SECONDS)
                    if outstanding & gpu_futures and time.monotonic() - last_check > 5:
                        # The GPU workers may all be gone: their tasks would wait for ever.
                        last_check = time.monotonic()
                        if _gpu_workers(client) == 0:
                            for future in outstanding & gpu_futures:
                                outstanding.discard(future)
                                future.cancel()
                                self.waiting.append((futures[future].learner, futures[future].exercise.id, NO_GPU_WORKER))
                # Dask blames every task that was on a worker when it died, bystanders included:
                # a suspect is tried again alone, and only if it kills workers alone is it marked.
                for task in suspects:
                    outstanding = {self._submit(client, task, bundles, gpu=needs_gpu(task.exercise, cluster_has_gpu=has_gpu))}
                    future = next(iter(outstanding))
                    while not future.done():
                        time.sleep(POLL_SECONDS)
                    outstanding.clear()
                    if self._finish(future, task, record):
                        record(_killed_row(task, self._deaths))
            except KeyboardInterrupt:
                # Stop the cluster's work; what already finished is valid and recorded.
                for future in outstanding:
                    if future.status == "finished":
                        record(future.result())
                    else:
                        future.cancel()
                raise
        finally:
            close()

    def _submit(self, client: Any, task: Task, bundles: dict[str, Any], *, gpu: bool) -> Any:
        ex = task.exercise
        if ex.id not in bundles:
            # Once per exercise, not once per learner; a task rather than scatter(): the
            # scheduler can recompute a task's result when the worker holding it dies.
            bundle = ExerciseBundle.of(ex)
            bundles[ex.id] = client.submit(_same, bundle, pure=False, key=f"course-{ex.id}-{bundle.sha256[:16]}")
        return client.submit(
            self.grade, task, learner_payload(task), bundles[ex.id], pure=False, retries=self.retries,
            key=f"grade-{task.learner}-{ex.id}-{task.attempt}-{os.urandom(4).hex()}",
            resources={GPU: 1} if gpu else None,
        )

    _deaths: int = 0  # how many workers the last KilledWorker says died

    def _finish(self, future: Any, task: Task, record: Callable[[Row], None]) -> bool:
        """Record ``future``'s row; True when its workers kept dying (Dask's KilledWorker)."""
        from distributed.scheduler import KilledWorker

        try:
            row = future.result()
        except KilledWorker as exc:
            self._deaths = exc.allowed_failures + 1
            return True
        except Exception as exc:  # the cluster's problem, not the learner's: no row, a rerun retries
            self.waiting.append((task.learner, task.exercise.id, NOT_RUN.format(error=f"{type(exc).__name__}: {exc}"[:300])))
            return False
        record(row)
        return False


def _killed_row(task: Task, n: int) -> Row:
    ex = task.exercise
    replay = f"grade {ex.id} --file {task.source} --seed {task.seed}"
    return Row(
        learner=task.learner, exercise=ex.id, attempt=task.attempt, seed=task.seed, score=0.0, max_score=float(ex.points),
        outcome="error", reason=KILLED.format(n=n, replay=replay), checks=[], seconds=0.0, source=str(task.source),
        origin=task.origin, code_sha256=hashlib.sha256(task.code.encode()).hexdigest(), code=task.code,
    )
