"""``grade serve``'s web application: the HTTP contract of :mod:`grader.grading.protocol`, and its start.

Changes when a route, a reply's status or the service's start changes. :func:`create_app`
builds the Starlette application over a :class:`~.queue.Queue` and a backend (batch's local
process pool, or Dask); :func:`prepare` checks everything that can be wrong before the service
listens (isolation, Dask, the state folder) and :meth:`Service.run` serves with uvicorn until
Ctrl-C or SIGTERM, after which the gradings in flight are given time to finish and be recorded.

One process (uvicorn with one worker): the dispatcher is a thread of it, and the queue's SQLite
the one place where submissions live, so no second process may serve the same state folder.
Handlers are async; disk and SQLite work runs in Starlette's thread pool, and a poll held open
(``wait``) waits on an asyncio future set by the dispatcher, holding no thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.course import Course
from grader.errors import UsageError
from grader.grading.protocol import (
    AUTH_HEADER,
    AUTH_SCHEME,
    DONE,
    FAILED,
    INSTRUCTOR,
    MAX_WAIT,
    QUEUED,
    SCORES,
    SUBMISSION,
    SUBMIT,
    WHOAMI,
)
from grader.instructor.serve.limits import RateLimiter, Rejected, learner_files_from_zip, queue_full, read_limited
from grader.instructor.serve.queue import Backend, DaskBackend, Dispatcher, LocalBackend, Queue, Recovered
from grader.instructor.serve.roster import Member, Roster
from grader.instructor.serve.state import GRADEBOOK, ROSTER_DB, state_dir
from grader.instructor.serve.views import scores_reply, submission_reply

NO_TOKEN = (
    "this service needs your token: send 'Authorization: Bearer <token>' (grade login stores it; your "
    "instructor gives it to you)"
)
BAD_TOKEN = "this token is not on the course's roster (or was revoked): ask your instructor for a new one"
NO_EXERCISE = "no exercise '{name}' on this service: {error}"
NO_SUBMISSION = "no submission {id} of yours on this service"
BAD_SEED = "seed must be a whole number from 1 to {top}, got {value!r}"
BAD_NUMBER = "{name} must be a number, got {value!r}"
INSTRUCTORS_ONLY = "only an instructor may ask about another learner"
NOT_FOUND = "no such address on this service (the API is under /api/v1)"
NO_DASK_WITH_LOCAL = "--scheduler and --dask-config are for --executor dask"
NO_SERVER = (
    "grade serve runs on Starlette and uvicorn, which are not installed here ({missing}). "
    "Install them with: pip install 'grade[serve]'"
)
TOP_SEED = 2**31 - 1


@dataclass
class Options:
    """How ``grade serve`` runs (its command-line options)."""

    host: str = "127.0.0.1"
    port: int = 8000
    jobs: int = 1
    executor: str = "local"  # local | dask
    scheduler: str | None = None
    dask_config: Path | None = None
    queue_size: int = 100
    rate: int = 10  # submissions per learner per minute
    max_upload_kb: int = 512
    allow_weak_isolation: bool = False
    state: Path | None = None  # default <course>/.grade-serve
    db: Path | None = None  # default <state>/gradebook.sqlite
    log_level: str = "info"


@dataclass
class Service:
    """Everything ``grade serve`` needs, made and checked before it listens."""

    course: Course
    options: Options
    state: Path
    gradebook: Path
    roster: Roster
    queue: Queue
    backend: Backend
    recovered: Recovered
    app: Any = None
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def run(self) -> None:
        import uvicorn

        config = uvicorn.Config(self.app, host=self.options.host, port=self.options.port, log_level=self.options.log_level,
                                lifespan="on", proxy_headers=True, server_header=False)
        uvicorn.Server(config).run()


def require_server() -> None:
    """Raise a UsageError saying how to install what the service runs on, when it is missing."""
    import importlib.util

    missing = [m for m in ("starlette", "uvicorn", "jinja2") if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(NO_SERVER.format(missing=", ".join(missing)))


def prepare(course: Course, options: Options) -> Service:
    """Check and open everything (isolation, Dask, state, gradebook) and finish what a crash left."""
    require_server()
    if options.executor != "dask" and (options.scheduler or options.dask_config):
        raise UsageError(NO_DASK_WITH_LOCAL)
    require_isolation = not (options.allow_weak_isolation or course.allow_weak_isolation)
    if require_isolation and options.executor == "local":
        from grader.sandbox import check_isolation

        for ex in course.exercises:  # before listening: a machine that cannot isolate grades nothing
            check_isolation(ex)
    state = state_dir(course.root, options.state)
    gradebook = (options.db or state / GRADEBOOK).resolve()
    roster = Roster(state / ROSTER_DB)
    queue = Queue(course, state, gradebook=gradebook, queue_size=options.queue_size, require_isolation=require_isolation)
    recovered = queue.recover()  # before the backend starts: nothing is being graded yet
    backend: Backend
    if options.executor == "dask":
        from grader.instructor.dask_executor import require_dask

        require_dask()
        backend = DaskBackend(scheduler=options.scheduler, config=options.dask_config, jobs=options.jobs)
    else:
        backend = LocalBackend(options.jobs)
    service = Service(course, options, state, gradebook, roster, queue, backend, recovered,
                      url=f"http://{options.host}:{options.port}")
    service.app = create_app(service)
    return service


# --- the application ---------------------------------------------------------------------------


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Any:
    from starlette.responses import JSONResponse

    return JSONResponse({"error": message}, status_code=status, headers=headers)


def create_app(service: Service) -> Any:
    """The Starlette application serving ``service`` (its lifespan runs the dispatcher)."""
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    course, queue, roster = service.course, service.queue, service.roster
    limiter = RateLimiter(service.options.rate)
    upload_limit = service.options.max_upload_kb * 1024
    waiters: dict[str, list[asyncio.Future[None]]] = {}
    dispatcher = Dispatcher(queue, service.backend)

    async def member_of(request: Request) -> Member:
        scheme, _, token = request.headers.get(AUTH_HEADER, "").partition(" ")
        if scheme.lower() != AUTH_SCHEME.lower() or not token.strip():
            raise Rejected(401, NO_TOKEN, {"WWW-Authenticate": AUTH_SCHEME})
        member = await run_in_threadpool(roster.authenticate, token.strip())
        if member is None:
            raise Rejected(401, BAD_TOKEN, {"WWW-Authenticate": AUTH_SCHEME})
        return member

    def number(request: Request, name: str, default: float) -> float:
        value = request.query_params.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except ValueError:
            raise Rejected(400, BAD_NUMBER.format(name=name, value=value)) from None

    async def whoami(request: Request) -> JSONResponse:
        member = await member_of(request)
        return JSONResponse({"name": member.name, "role": member.role})

    async def submit(request: Request) -> JSONResponse:
        member = await member_of(request)
        name = request.path_params["exercise"]
        try:
            exercise = course.resolve(name)
        except UsageError as exc:
            raise Rejected(404, NO_EXERCISE.format(name=name, error=exc)) from None
        seed = None
        given = request.query_params.get("seed")
        if given not in (None, ""):
            if not given.isdigit() or not 1 <= int(given) <= TOP_SEED:
                raise Rejected(400, BAD_SEED.format(top=TOP_SEED, value=given))
            seed = int(given)
        limiter.take(member.name)  # every attempt counts: bad archives cost the service too
        waiting = await run_in_threadpool(queue.waiting)
        if waiting >= queue.queue_size:  # before reading the body; accept() asks again under its lock
            raise queue_full(waiting)
        body = await read_limited(request.stream(), request.headers.get("content-length"), upload_limit)
        files = await run_in_threadpool(learner_files_from_zip, body, exercise, upload_limit=upload_limit)
        sub = await run_in_threadpool(queue.accept, member.name, exercise, files, seed)
        dispatcher.wake.set()
        return JSONResponse({"id": sub.id, "status": QUEUED, "poll": SUBMISSION.format(id=sub.id)}, status_code=202)

    async def submission(request: Request) -> JSONResponse:
        member = await member_of(request)
        sid = request.path_params["id"]
        wait = min(max(number(request, "wait", 0.0), 0.0), MAX_WAIT)
        verbose = number(request, "verbose", 0.0) >= 1

        def mine() -> Any:
            sub = queue.get(sid)
            if sub is None or (member.role != INSTRUCTOR and sub.learner != member.name):
                raise Rejected(404, NO_SUBMISSION.format(id=sid))
            return sub

        sub = await run_in_threadpool(mine)
        if sub.status not in (DONE, FAILED) and wait > 0:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            waiters.setdefault(sid, []).append(future)
            try:
                sub = await run_in_threadpool(mine)  # it may have ended between the two looks
                if sub.status not in (DONE, FAILED):
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(future, timeout=wait)
                    sub = await run_in_threadpool(mine)
            finally:
                if future in waiters.get(sid, []):
                    waiters[sid].remove(future)
                    if not waiters[sid]:
                        waiters.pop(sid, None)
        reply = await run_in_threadpool(lambda: submission_reply(sub, course, role=member.role, verbose=verbose,
                                                                 now=dt.datetime.now(dt.timezone.utc)))
        return JSONResponse(reply)

    async def scores(request: Request) -> JSONResponse:
        member = await member_of(request)
        name = request.query_params.get("learner") or member.name
        if name != member.name and member.role != INSTRUCTOR:
            raise Rejected(403, INSTRUCTORS_ONLY)
        subs = await run_in_threadpool(queue.of_learner, name)
        return JSONResponse(scores_reply(name, subs, course))

    async def rejected(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Rejected)
        return _error(exc.status, exc.message, exc.headers)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return _error(exc.status_code, NOT_FOUND if exc.status_code == 404 else str(exc.detail), dict(exc.headers or {}))

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()

        def wake_waiters(sid: str) -> None:  # called in the loop's thread
            for future in waiters.pop(sid, []):
                if not future.done():
                    future.set_result(None)

        queue.listeners.append(lambda sid: loop.call_soon_threadsafe(wake_waiters, sid))
        dispatcher.start()
        try:
            yield
        finally:
            await run_in_threadpool(dispatcher.stop)
            queue.close()

    from grader.instructor.serve.pages import page_routes

    routes = [
        Route(WHOAMI, whoami, methods=["GET"]),
        Route(SUBMIT, submit, methods=["POST"]),
        Route(SUBMISSION, submission, methods=["GET"]),
        Route(SCORES, scores, methods=["GET"]),
        *page_routes(service),
    ]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={Rejected: rejected, HTTPException: http_error})
