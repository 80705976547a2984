"""``grade batch --executor dask`` on a LocalCluster of separate processes on loopback.

The gradebook must be the one the local process pool writes for the same seeds: with all
workers alive, with a worker killed mid-batch, and from shipped copies of the files.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from grader.course import load_course
from grader.errors import UsageError
from grader.instructor.batch import Task, run_batch
from grader.instructor.dask_executor import (
    INSTALL,
    DaskExecutor,
    ExerciseBundle,
    grade_remote,
    learner_payload,
    needs_gpu,
    require_dask,
)
from grader.instructor.gradebook import Gradebook, Row

from .instructor_support import CLASS, make_class, make_course

HAS_DASK = importlib.util.find_spec("distributed") is not None
needs_dask = pytest.mark.skipif(not HAS_DASK, reason="Dask is not installed: pip install 'grade[dask]'")
GRADE = [sys.executable, "-c", "from grader.cli import run; run()"]
# Quick ones (no hangs), including a crash, a staging error (unreadable zip) and an archive.
LEARNERS = ("correct_01", "correct_02", "correct_03", "misc_raw_dot", "partial_topk", "crash_raises", "crash_sys_exit", "bad_zip")


def comparable(rows: list[Row]) -> dict[tuple[str, str, int], dict[str, Any]]:
    """Rows without what legitimately differs between two runs: timings, staging folders, and
    the instructor-only traceback text (its frames depend on the process that ran pytest)."""
    out = {}
    for r in rows:
        d = dataclasses.asdict(r)
        for key in ("seconds", "graded_at", "source"):
            d.pop(key, None)
        d["checks"] = [{k: v for k, v in c.items() if k not in ("seconds", "detail")} for c in d["checks"]]
        out[(r.learner, r.exercise, r.attempt)] = d
    return out


def book(db: Path) -> dict[tuple[str, str, int], dict[str, Any]]:
    with Gradebook(db) as b:
        return comparable(b.rows())


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("dask")
    root = make_course(base / "course")
    make_class(base / "subs", {k: CLASS[k] for k in LEARNERS})
    course = load_course(root)
    local = run_batch(course, base / "subs", base / "local.sqlite", jobs=2)
    assert local.graded == len(LEARNERS)
    return {"base": base, "root": root, "course": course, "local": book(base / "local.sqlite")}


@pytest.fixture(scope="module")
def cluster() -> Any:
    if not HAS_DASK:
        pytest.skip("Dask is not installed: pip install 'grade[dask]'")
    import dask
    from distributed import Client, LocalCluster

    # A task is tried on 2 workers before KilledWorker (default 4): the killer test stays short.
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        lc = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
        client = Client(lc)
    yield lc, client
    client.close()
    lc.close()


def test_without_dask_the_message_says_how_to_install(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from grader.cli import main

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now raises ImportError
    with pytest.raises(UsageError) as err:
        require_dask()
    assert str(err.value) == INSTALL and "pip install 'grade[dask]'" in INSTALL
    result = CliRunner().invoke(main, ["batch", str(tmp_path), "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2 and "pip install 'grade[dask]'" in result.output


@needs_dask
def test_dask_gradebook_is_the_local_one(setup, cluster):
    db = setup["base"] / "dask.sqlite"
    summary = run_batch(setup["course"], setup["base"] / "subs", db, executor=DaskExecutor(client=cluster[1]))
    assert summary.graded == len(LEARNERS) and not summary.waiting
    assert book(db) == setup["local"]
    again = run_batch(setup["course"], setup["base"] / "subs", db, executor=DaskExecutor(client=cluster[1]))
    assert again.graded == 0 and again.skipped == len(LEARNERS)  # resumable as before


@needs_dask
@pytest.mark.slow
def test_a_worker_killed_mid_batch_changes_nothing(setup, cluster):
    lc, client = cluster
    client.wait_for_workers(2, timeout=60)
    pids = client.run(os.getpid)
    killed: list[tuple[str, ...]] = []

    def kill_one(_row: Row) -> None:
        if killed:
            return
        # A worker with a submission in hand dies: Dask must grade that one elsewhere.
        busy = {w: keys for w, keys in client.processing().items() if any(str(k).startswith("grade-") for k in keys)}
        if busy:
            worker, keys = next(iter(busy.items()))
            os.kill(pids[worker], signal.SIGKILL)
            killed.append(tuple(map(str, keys)))

    db = setup["base"] / "killed.sqlite"
    summary = run_batch(setup["course"], setup["base"] / "subs", db, executor=DaskExecutor(client=client), on_row=kill_one)
    assert killed and summary.graded == len(LEARNERS) and not summary.waiting
    assert book(db) == setup["local"]
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it; the next test needs both


def kill_worker_for_killer(task: Task, files: dict[str, bytes], bundle: ExerciseBundle) -> Row:
    """Run on the workers: as if grading "killer" took down the grading process each time."""
    if task.learner == "killer":
        os._exit(1)
    return grade_remote(task, files, bundle)


@needs_dask
@pytest.mark.slow
def test_a_submission_that_kills_workers_is_marked_and_the_batch_completes(setup, cluster, tmp_path):
    lc, client = cluster
    client.wait_for_workers(2, timeout=60)
    make_class(tmp_path / "subs", {"killer": CLASS["correct_01"], **{k: CLASS[k] for k in ("correct_02", "misc_raw_dot")}})
    db = tmp_path / "g.sqlite"
    summary = run_batch(setup["course"], tmp_path / "subs", db, executor=DaskExecutor(client=client, grade=kill_worker_for_killer))
    assert summary.graded == 3 and summary.errors == 1 and not summary.waiting
    rows = book(db)
    killer = rows[("killer", "ex01", 1)]
    assert killer["outcome"] == "error" and killer["score"] == 0
    assert "this submission killed 2 grading workers" in killer["reason"]
    assert rows[("correct_02", "ex01", 1)]["outcome"] == "full"
    assert rows[("misc_raw_dot", "ex01", 1)] == setup["local"][("misc_raw_dot", "ex01", 1)]
    client.wait_for_workers(2, timeout=60)


def _gpu_course(base: Path) -> Path:
    root = make_course(base / "course")
    yaml = root / "exercises" / "ex01_cosine_similarity" / "exercise.yaml"
    yaml.write_text(yaml.read_text().replace("requires: [numpy]", "requires: [numpy, gpu]"))
    return root


@needs_dask
@pytest.mark.filterwarnings("ignore:Port .* is already in use")  # the first cluster's metrics port, on loopback too
def test_gpu_exercises_wait_for_a_gpu_worker_then_go_only_there(setup, cluster, tmp_path):
    from distributed import Client, LocalCluster

    course = load_course(_gpu_course(tmp_path))
    assert needs_gpu(course.resolve("ex01"), cluster_has_gpu=False)
    make_class(tmp_path / "subs", {k: CLASS[k] for k in ("correct_01", "misc_raw_dot")})
    db = tmp_path / "g.sqlite"
    waiting = run_batch(course, tmp_path / "subs", db, executor=DaskExecutor(client=cluster[1]))
    assert waiting.graded == 0 and waiting.errors == 0
    assert [(lr, why[:26]) for lr, _, why in waiting.waiting] == [("correct_01", "waiting for a GPU worker: "), ("misc_raw_dot", "waiting for a GPU worker: ")]
    assert book(db) == {}  # not failures: nothing is recorded, a rerun grades them
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                      resources={"GPU": 1}) as gpu_cluster, Client(gpu_cluster) as client:
        done = run_batch(course, tmp_path / "subs", db, executor=DaskExecutor(client=client))
    assert done.graded == 2 and not done.waiting
    assert book(db)[("correct_01", "ex01", 1)]["outcome"] == "full"


def test_triton_goes_to_gpu_workers_only_when_the_cluster_has_one(setup):
    ex = setup["course"].resolve("ex01")
    triton = dataclasses.replace(ex, requires=("torch", "triton"))
    assert needs_gpu(triton, cluster_has_gpu=True) and not needs_gpu(triton, cluster_has_gpu=False)
    assert not needs_gpu(ex, cluster_has_gpu=True)


def test_a_worker_without_the_course_or_the_staged_files_grades_from_what_was_shipped(setup, tmp_path, monkeypatch):
    """No shared storage: the task carries the learner's files and the exercise's tree."""
    from grader.instructor import dask_executor

    with Gradebook(setup["base"] / "local.sqlite") as b:
        row = next(r for r in b.rows() if r.learner == "misc_raw_dot")
    ex = setup["course"].resolve("ex01")
    staged = tmp_path / "staged"
    shutil.copytree(row.source, staged)
    task = Task(row.learner, ex, row.attempt, row.seed, staged, row.origin, row.code)
    files, bundle = learner_payload(task), ExerciseBundle.of(ex)
    shutil.rmtree(staged)  # the worker's machine has no copy of the staged folder...
    # ...and no course at this path: it unpacks the shipped tree instead.
    monkeypatch.setitem(dask_executor._local_trees, (str(ex.directory), str(ex.solution_directory)), "not here")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where a worker unpacks it: here, not /tmp
    unpacked: list[Path] = []
    real = dask_executor._exercise_here

    def spy(e: Any, b: ExerciseBundle) -> Any:
        unpacked.append(real(e, b).directory)
        return real(e, b)

    monkeypatch.setattr(dask_executor, "_exercise_here", spy)
    shipped = grade_remote(task, files, bundle)
    assert unpacked and unpacked[0].is_relative_to(tmp_path) and (unpacked[0] / "checks").is_dir()
    assert shipped.source == str(staged)
    assert comparable([shipped]) == {k: v for k, v in setup["local"].items() if k[0] == "misc_raw_dot"}


@needs_dask
@pytest.mark.slow
def test_the_command_an_instructor_types(setup, cluster, tmp_path):
    lc, client = cluster
    client.wait_for_workers(2, timeout=60)
    env = {k: v for k, v in os.environ.items() if k not in ("GRADE_COURSE", "GRADE_SECRET")}
    started = time.perf_counter()
    run = subprocess.run(
        [*GRADE, "batch", str(setup["base"] / "subs"), "--json", str(tmp_path / "g.json"), "--executor", "dask", "--scheduler", lc.scheduler_address],
        cwd=setup["root"], capture_output=True, text=True, timeout=300, env=env,
    )
    assert run.returncode == 1, run.stdout + run.stderr  # bad_zip could not be graded, as locally
    assert run.stdout.startswith(f"{len(LEARNERS)} graded now"), run.stdout
    assert time.perf_counter() - started < 120
    rows = json.loads((tmp_path / "g.json").read_text())["rows"]
    assert {r["learner"]: r["score"] for r in rows} == {k[0]: v["score"] for k, v in setup["local"].items()}
    config = tmp_path / "dask.yaml"
    config.write_text(f"scheduler-address: {lc.scheduler_address}\n")
    again = subprocess.run(
        [*GRADE, "batch", str(setup["base"] / "subs"), "--db", str(tmp_path / "again.sqlite"), "--executor", "dask", "--dask-config", str(config)],
        cwd=setup["root"], capture_output=True, text=True, timeout=300, env=env,
    )
    assert again.returncode == 1 and again.stdout.startswith(f"{len(LEARNERS)} graded now"), again.stdout + again.stderr
    assert book(tmp_path / "again.sqlite") == setup["local"]
    wrong = subprocess.run([*GRADE, "batch", str(setup["base"] / "subs"), "--scheduler", lc.scheduler_address], cwd=setup["root"],
                           capture_output=True, text=True, timeout=60, env=env)
    assert wrong.returncode == 2 and "--executor dask" in wrong.stderr
