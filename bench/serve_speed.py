"""`grade serve` under a class: submit-to-card time, what the service adds to one grading, and its
throughput against `grade batch` on the same submissions, all in one run on this machine.

A copy of the course holding ex01 alone is served on loopback (`--jobs J`, a rate limit and a
queue no learner here reaches). N learners, each with a roster token of their own, submit ex01
at the same moment (threads; three in four hand in the reference, one in four the stub) and
each waits for its card with `?wait=` polls. Then:

- submit-to-card time per submission: median and 95th percentile over every round's N;
- one grading alone (nothing else queued), `--repeat` times, interleaved with the same
  grading in a warm process of its own (batch's `grade_task_full`, as a `grade batch` pool
  worker runs it, timed around the call): the difference of the medians is what the service
  adds to one grading (target: at most +50 ms). The result's `execution_time` is shown too;
- throughput: N submissions over the span from the first submit to the last card, against
  `grade batch --jobs J` of the same N submissions (its whole command, start-up included;
  and, start-up excluded, each further submission: batch of N minus batch of 1, over N - 1),
  in alternating rounds (target: >= 80% of batch);
- accepted submissions (202) against the rows in the service's gradebook (must be equal).

The server is warmed (its pool's J spawned processes each grade once) before anything is
timed: a service runs for hours, so its start is not a submission's cost.

Run: python bench/serve_speed.py [--learners 20] [--jobs 2] [--repeat 9] [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import ROOT, machine

sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from grader.grading.protocol import AUTH_HEADER, AUTH_SCHEME, DONE, FAILED, SUBMISSION, SUBMIT, WHOAMI, ZIP_TYPE  # noqa: E402

EX = "ex01_cosine_similarity"
REFERENCE = (ROOT / "solutions" / EX / "cosine.py").read_text()
STUB = (ROOT / "exercises" / EX / "cosine.py").read_text()
COURSE_YAML = """title: serve benchmark
secret: serve-bench
exercises:
  - {ex}
defaults:
  limits: {{cpu_seconds: 10, wall_seconds: 20, memory_mb: 1024}}
"""
START_SECONDS = 120.0
GRADE = [sys.executable, "-m", "grader"]

# A warm process grading one submission per line of stdin, as a `grade batch` pool worker
# does (grade_task_full), timed around the call; it answers the seconds.
WARM_GRADER = """
import sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from grader.course import load_course
from grader.instructor.batch import Task, grade_task_full
course = load_course(Path({course!r}))
ex = course.resolve("ex01")
source = Path({source!r})
code = (source / "cosine.py").read_text()
for n, line in enumerate(sys.stdin):
    task = Task("solo", ex, n + 1, 12345 + n, source, "cosine.py", code, require_isolation=True)
    t = time.perf_counter()
    row, whole = grade_task_full(task)
    seconds = time.perf_counter() - t
    print(seconds, row.score, flush=True)
"""


def learner_code(i: int) -> str:
    return STUB if i % 4 == 3 else REFERENCE


def zipped(code: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("cosine.py", code)
    return buffer.getvalue()


def make_course(root: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for top in ("exercises", "solutions"):
        shutil.copytree(ROOT / top / EX, root / top / EX, ignore=ignore)
    (root / "course.yaml").write_text(COURSE_YAML.format(ex=EX), encoding="utf-8")


def make_class(folder: Path, n: int) -> None:
    """`grade batch`'s layout: one folder per learner, the exercise's folder inside."""
    for i in range(n):
        d = folder / f"learner{i:03d}" / EX
        d.mkdir(parents=True)
        (d / "cosine.py").write_text(learner_code(i))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def auth(token: str) -> dict[str, str]:
    return {AUTH_HEADER: f"{AUTH_SCHEME} {token}"}


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def start_server(course: Path, jobs: int, learners: int, token: str) -> Server:
    port = free_port()
    log = course.parent / "serve.log"
    cmd = [*GRADE, "--course", str(course), "serve", "--port", str(port), "--jobs", str(jobs), "--rate", "10000",
           "--queue-size", str(max(1000, 10 * learners)), "--log-level", "warning"]
    env = {k: v for k, v in os.environ.items() if k not in ("GRADE_COURSE", "GRADE_SECRET")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, cwd=course, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + START_SECONDS
    while True:
        if process.poll() is not None:
            raise SystemExit(f"grade serve exited with status {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(server.url + WHOAMI, headers=auth(token), timeout=2).status_code == 200:
                return server
        if time.monotonic() > deadline:
            server.stop()
            raise SystemExit(f"grade serve did not answer in {START_SECONDS:.0f} s:\n{log.read_text()}")
        time.sleep(0.1)


@dataclass
class Outcome:
    submitted: float  # perf_counter at the submit
    carded: float  # perf_counter once the card came back
    status: str
    accepted: bool
    execution_time: float | None = None
    score: float | None = None

    @property
    def seconds(self) -> float:
        return self.carded - self.submitted


def submit_and_wait(client: httpx.Client, url: str, token: str, archive: bytes) -> Outcome:
    """One learner's submission, from the POST to the card (polls held open with wait)."""
    start = time.perf_counter()
    reply = client.post(url + SUBMIT.format(exercise="ex01"), content=archive, headers={**auth(token), "Content-Type": ZIP_TYPE})
    if reply.status_code != 202:
        return Outcome(start, time.perf_counter(), f"refused {reply.status_code}: {reply.text[:200]}", accepted=False)
    sid = reply.json()["id"]
    while True:
        got = client.get(url + SUBMISSION.format(id=sid), params={"wait": 60}, headers=auth(token))
        got.raise_for_status()
        data: dict[str, Any] = got.json()
        if data["status"] in (DONE, FAILED):
            end = time.perf_counter()
            result = data.get("result") or {}
            return Outcome(start, end, data["status"], accepted=True, execution_time=result.get("execution_time"),
                           score=result.get("score"))


def burst(url: str, tokens: list[str], archives: list[bytes]) -> list[Outcome]:
    """Every learner submits at the same moment (a barrier), each on a connection of its own."""
    outcomes: list[Outcome | None] = [None] * len(tokens)
    barrier = threading.Barrier(len(tokens))
    errors: list[BaseException] = []

    def learner(i: int) -> None:
        try:
            with httpx.Client(timeout=120) as client:
                client.get(url + WHOAMI, headers=auth(tokens[i]))  # the connection is open before the barrier
                barrier.wait()
                outcomes[i] = submit_and_wait(client, url, tokens[i], archives[i])
        except BaseException as exc:  # reported below: a lost learner must not hang the benchmark
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=learner, args=(i,)) for i in range(len(tokens))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"a learner's submission failed: {errors[0]!r}")
    return [o for o in outcomes if o is not None]


def time_batch(course: Path, submissions: Path, jobs: int, db: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run([*GRADE, "--course", str(course), "batch", str(submissions), "--db", str(db), "--jobs", str(jobs),
                           "-e", "ex01"], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"grade batch failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds


def batch_rows(db: Path) -> int:
    from grader.instructor.gradebook import Gradebook

    with Gradebook(db) as book:
        return len(book.rows())


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile, linear between the closest ranks (numpy's default)."""
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


@dataclass
class Tally:
    accepted: int = 0
    refused: list[str] = field(default_factory=list)
    failed: int = 0

    def add(self, outcomes: list[Outcome]) -> None:
        for o in outcomes:
            if o.accepted:
                self.accepted += 1
                self.failed += o.status == FAILED
            else:
                self.refused.append(o.status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=20, help="learners submitting at once (1-200)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="the server's and batch's --jobs (default: the cores)")
    parser.add_argument("--repeat", type=int, default=9, help="gradings alone, through the server and in a warm process")
    parser.add_argument("--rounds", type=int, default=3, help="bursts of N submissions, each against a grade batch of N")
    args = parser.parse_args()
    if not 1 <= args.learners <= 200:
        parser.error("--learners must be from 1 to 200")
    n, jobs = args.learners, max(1, args.jobs)
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    course = work / "course"
    make_course(course)
    make_class(work / "class", n)
    make_class(work / "one", 1)
    solo_source = work / "solo"
    solo_source.mkdir()
    (solo_source / "cosine.py").write_text(REFERENCE)

    from grader.instructor.serve.roster import INSTRUCTOR, course_roster

    roster = course_roster(course)
    instructor = roster.add("bench-instructor", role=INSTRUCTOR)
    tokens = [roster.add(f"learner{i:03d}") for i in range(n)]
    solo = roster.add("solo")
    archives = [zipped(learner_code(i)) for i in range(n)]
    tally = Tally()

    server = start_server(course, jobs, n, instructor)
    warm: subprocess.Popen[str] | None = None
    try:
        # Warm-up: each of the pool's spawned processes grades once (2 x J at once reaches all of them).
        k = min(n, 2 * jobs)
        tally.add(burst(server.url, tokens[:k], [zipped(REFERENCE)] * k))

        # One grading alone, interleaved with the same grading in a warm process of its own.
        warm = subprocess.Popen([sys.executable, "-c", WARM_GRADER.format(root=str(ROOT), course=str(course), source=str(solo_source))],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=work)
        assert warm.stdin and warm.stdout

        def warm_grade() -> float:
            assert warm and warm.stdin and warm.stdout
            warm.stdin.write("\n")
            warm.stdin.flush()
            line = warm.stdout.readline()
            if not line:
                raise SystemExit("the warm grading process ended")
            return float(line.split()[0])

        for _ in range(2):
            warm_grade()
        alone: list[Outcome] = []
        in_process: list[float] = []
        with httpx.Client(timeout=120) as client:
            client.get(server.url + WHOAMI, headers=auth(solo))
            submit_and_wait(client, server.url, solo, zipped(REFERENCE))  # warm-up of this path
            tally.accepted += 1
            for _ in range(args.repeat):
                alone.append(submit_and_wait(client, server.url, solo, zipped(REFERENCE)))
                in_process.append(warm_grade())
        tally.add(alone)
        warm.stdin.close()
        warm.wait(timeout=60)

        # Throughput: rounds of a burst of N against grade batch of the same N (and of 1: its start-up).
        latencies: list[float] = []
        rounds: list[dict[str, float]] = []
        time_batch(course, work / "one", jobs, work / "warmup.sqlite")  # bytecode and page cache, as for the server
        for r in range(args.rounds):
            outcomes = burst(server.url, tokens, archives)
            tally.add(outcomes)
            span = max(o.carded for o in outcomes) - min(o.submitted for o in outcomes)
            latencies += [o.seconds for o in outcomes]
            db = work / f"batch-{r}.sqlite"
            whole = time_batch(course, work / "class", jobs, db)
            one = time_batch(course, work / "one", jobs, work / f"batch-one-{r}.sqlite")
            rows = batch_rows(db)
            rounds.append({"serve": span, "batch": whole, "batch1": one, "batch_rows": rows,
                           "median": statistics.median(o.seconds for o in outcomes)})
    finally:
        if warm is not None and warm.poll() is None:
            warm.kill()
        server.stop()

    from grader.instructor.gradebook import Gradebook
    from grader.instructor.serve.state import GRADEBOOK, STATE_DIR

    with Gradebook(course / STATE_DIR / GRADEBOOK) as book:
        book_rows = book.rows()
    distinct = len({(r.learner, r.exercise, r.attempt) for r in book_rows})

    load_after = os.getloadavg()
    print(f"\ngrade serve, ex01, {n} learners, --jobs {jobs}  ({machine()})")
    print(f"  load average before / after: {load_before[0]:.2f} / {load_after[0]:.2f} (1 min), "
          f"{load_before[1]:.2f} / {load_after[1]:.2f} (5 min)")
    print(f"\n  submit to card, {len(latencies)} submissions in {args.rounds} bursts of {n}:")
    print(f"    median {ms(statistics.median(latencies))}   95th percentile {ms(percentile(latencies, 95))}   "
          f"worst {ms(max(latencies))}")
    for i, rd in enumerate(rounds):
        print(f"    round {i + 1}: median {ms(rd['median'])}, all {n} carded in {rd['serve']:.2f} s")

    served = statistics.median(o.seconds for o in alone)
    graded = statistics.median(in_process)
    executions = [o.execution_time for o in alone if o.execution_time is not None]
    print(f"\n  one grading alone (reference, {args.repeat} interleaved repeats, medians):")
    print(f"    through the server, submit to card    {ms(served)}   (min {ms(min(o.seconds for o in alone))})")
    print(f"    in a warm process (grade_task_full)   {ms(graded)}   (min {ms(min(in_process))})")
    if executions:
        print(f"    the result's execution_time           {ms(statistics.median(executions))}")
    print(f"    what the service adds                 {(served - graded) * 1000:+7.1f} ms   (target <= +50 ms)")

    serve_rates = [n / rd["serve"] for rd in rounds]
    batch_rates = [n / rd["batch"] for rd in rounds]
    further = [(rd["batch"] - rd["batch1"]) / (n - 1) for rd in rounds] if n > 1 else []
    ratios = [s / b for s, b in zip(serve_rates, batch_rates)]
    print(f"\n  throughput, {n} submissions (medians of {args.rounds} rounds):")
    print(f"    grade serve (first submit to last card)       {statistics.median(serve_rates):6.2f} /s   "
          f"{statistics.median(rd['serve'] for rd in rounds) / n * 1000:6.1f} ms a submission")
    print(f"    grade batch --jobs {jobs} (whole command)          {statistics.median(batch_rates):6.2f} /s   "
          f"{statistics.median(rd['batch'] for rd in rounds) / n * 1000:6.1f} ms a submission")
    if further:
        print(f"    grade batch, each further submission          {1 / statistics.median(further):6.2f} /s   "
              f"{statistics.median(further) * 1000:6.1f} ms (batch of {n} minus batch of 1, over {n - 1})")
    print(f"    serve / batch: {statistics.median(ratios) * 100:.0f}% (rounds: {', '.join(f'{x * 100:.0f}%' for x in ratios)}; "
          f"target >= 80%)")
    if further:
        print(f"    serve / batch's further submissions: {statistics.median(further) * n / statistics.median(rd['serve'] for rd in rounds) * 100:.0f}%")

    print("\n  bookkeeping:")
    print(f"    accepted (202) {tally.accepted}, refused {len(tally.refused)}, failed {tally.failed}; "
          f"gradebook rows {len(book_rows)} ({distinct} distinct learner/exercise/attempt): "
          f"{'equal' if distinct == len(book_rows) == tally.accepted else 'NOT EQUAL'}")
    print(f"    grade batch rows per round: {', '.join(str(int(rd['batch_rows'])) for rd in rounds)} (of {n})")
    if tally.refused:
        print(f"    refused: {tally.refused[:3]}")
    print(json.dumps({"learners": n, "jobs": jobs, "latencies": latencies, "alone": [o.seconds for o in alone],
                      "in_process": in_process, "rounds": rounds}), file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
