"""``grade serve``'s HTML pages: a learner's own attempts and cards, the instructor's live gradebook and report.

Changes when a page, or how a browser logs in, changes. A browser logs in with its token through
a form (POST, never in the address: addresses end up in logs and histories); the service answers
with a random session id in an HttpOnly, SameSite=Strict cookie (Secure behind HTTPS), kept in
memory for 12 hours (a restart logs everyone out). The session stands for the token: revoking
the token ends the session too. Cards are the API's (:mod:`.views`, the tiers applied for a
learner) without their terminal colours; the report is ``grade report``'s page, drawn from the
gradebook when asked. Templates (jinja2, autoescaped) are in ``templates/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import click

from grader.grading.protocol import DONE, FAILED, INSTRUCTOR
from grader.instructor.serve.roster import Member, token_hash
from grader.instructor.serve.views import scores_reply, submission_reply

PATHS = {
    "home": "/", "login": "/login", "logout": "/logout", "me": "/me", "instructor": "/instructor",
    "report": "/instructor/report", "submission": "/submissions/{id}",
}
COOKIE = "grade_session"
SESSION_SECONDS = 12 * 3600
MAX_FORM = 4096
SHOWN_ROWS = 500  # the gradebook page's rows at most (the report and the exports have all of them)
REFRESH = 15  # seconds between the instructor page's reloads: it is the live gradebook

BAD_LOGIN = "That token is not on this course's roster (or it was revoked). Ask your instructor for a new one."
INSTRUCTORS_ONLY = "This page is for the course's instructors."
NO_SUCH_SUBMISSION = "No such submission of yours."
NO_ROWS_YET = "The gradebook has no graded submission yet: the report is drawn once there is one."
COUNTS = "{queued} waiting · {grading} being graded · {done} graded · {failed} failed"
# No script on these pages; the report's own page carries one small inline script.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'"
REPORT_CSP = CSP + "; script-src 'unsafe-inline'"


@dataclass
class _Session:
    token_sha256: str
    expires: float


class Sessions:
    """Browser sessions: a random id (its hash kept here) standing for a token's hash, for a while."""

    def __init__(self) -> None:
        self._by_hash: dict[str, _Session] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(session_id: str) -> str:
        return hashlib.sha256(session_id.encode()).hexdigest()

    def open(self, token_sha256: str) -> str:
        session_id = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._by_hash = {k: s for k, s in self._by_hash.items() if s.expires > now}  # forget the expired
            self._by_hash[self._key(session_id)] = _Session(token_sha256, now + SESSION_SECONDS)
        return session_id

    def token_hash(self, session_id: str | None) -> str | None:
        if not session_id or len(session_id) > 256:
            return None
        with self._lock:
            found = self._by_hash.get(self._key(session_id))
        return found.token_sha256 if found and found.expires > time.monotonic() else None

    def close(self, session_id: str | None) -> None:
        if session_id:
            with self._lock:
                self._by_hash.pop(self._key(session_id), None)


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("grader.instructor.serve", "templates"), autoescape=True)


def page_routes(service: Any) -> list[Any]:
    """The pages' routes, over the same roster, queue and gradebook as the API."""
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, RedirectResponse, Response
    from starlette.routing import Route

    from grader.instructor.gradebook import Gradebook, load_rows
    from grader.instructor.report import render

    course, queue, roster = service.course, service.queue, service.roster
    sessions = Sessions()
    templates = _environment()
    report_lock = threading.Lock()  # matplotlib's pyplot is one state per process

    def page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = templates.get_template(template).render(course=course.title, paths=PATHS, **values)
        return HTMLResponse(html, status_code=status, headers=_private(CSP))

    async def who(request: Request) -> Member | None:
        digest = sessions.token_hash(request.cookies.get(COOKIE))
        return await run_in_threadpool(roster.member_by_hash, digest) if digest else None

    def to_login() -> Response:
        return RedirectResponse(PATHS["login"], status_code=303)

    async def home(request: Request) -> Response:
        member = await who(request)
        if member is None:
            return to_login()
        return RedirectResponse(PATHS["instructor"] if member.role == INSTRUCTOR else PATHS["me"], status_code=303)

    async def login_form(request: Request) -> Response:
        if await who(request) is not None:
            return RedirectResponse(PATHS["home"], status_code=303)
        return page("login.html", title="log in")

    async def login(request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM:
                return page("login.html", status=413, title="log in", error=BAD_LOGIN)
        token = urllib.parse.parse_qs(body.decode("utf-8", errors="replace")).get("token", [""])[0].strip()
        member = await run_in_threadpool(roster.authenticate, token) if token else None
        if member is None:
            return page("login.html", status=401, title="log in", error=BAD_LOGIN)
        response = RedirectResponse(PATHS["home"], status_code=303)
        response.set_cookie(COOKIE, sessions.open(token_hash(token)), max_age=SESSION_SECONDS, path="/", httponly=True,
                            samesite="strict", secure=request.url.scheme == "https")
        return response

    async def logout(request: Request) -> Response:
        sessions.close(request.cookies.get(COOKIE))
        response = to_login()
        response.delete_cookie(COOKIE, path="/")
        return response

    async def me(request: Request) -> Response:
        member = await who(request)
        if member is None:
            return to_login()

        def build() -> dict[str, Any]:
            subs = queue.of_learner(member.name)
            now = dt.datetime.now(dt.timezone.utc)
            scores = scores_reply(member.name, subs, course)["exercises"]
            rows = [{"id": ex.id, "title": ex.title, "best": f"{scores[ex.id]['best']:g}", "max": f"{scores[ex.id]['max']:g}",
                     "attempts": scores[ex.id]["attempts"], "full_marks": scores[ex.id]["full_marks"]} for ex in course.exercises]
            attempts = []
            for sub in reversed(subs):
                reply = submission_reply(sub, course, role=member.role, now=now)
                attempts.append({
                    "exercise": sub.exercise, "attempt": sub.attempt, "status": sub.status, "received": sub.received[:19],
                    "score": f"{sub.score:g}/{sub.max_score:g}" if sub.status == DONE and sub.score is not None else "",
                    "card": click.unstyle(reply["card"]) if reply["card"] else "", "error": reply.get("error", ""),
                    "link": PATHS["submission"].format(id=sub.id),
                })
            return {"scores": rows, "attempts": attempts}

        return page("learner.html", title="your attempts", who=member, **await run_in_threadpool(build))

    async def one(request: Request) -> Response:
        member = await who(request)
        if member is None:
            return to_login()
        sub = await run_in_threadpool(queue.get, request.path_params["id"])
        if sub is None or (member.role != INSTRUCTOR and sub.learner != member.name):
            return page("message.html", status=404, title="not found", who=member, message=NO_SUCH_SUBMISSION)
        reply = await run_in_threadpool(lambda: submission_reply(sub, course, role=member.role, verbose=True))
        back = PATHS["instructor"] if member.role == INSTRUCTOR else PATHS["me"]
        return page("submission.html", title=f"{sub.exercise} attempt {sub.attempt}", who=member, sub=sub, back=back,
                    card=click.unstyle(reply["card"]) if reply["card"] else "", error=reply.get("error", ""))

    async def instructor(request: Request) -> Response:
        member = await who(request)
        if member is None:
            return to_login()
        if member.role != INSTRUCTOR:
            return page("message.html", status=403, title="instructors only", who=member, message=INSTRUCTORS_ONLY)

        def build() -> dict[str, Any]:
            with Gradebook(service.gradebook) as book:
                graded = book.rows()
            graded.sort(key=lambda r: r.graded_at, reverse=True)
            rows = [{"learner": r.learner, "exercise": r.exercise, "attempt": r.attempt, "outcome": r.outcome,
                     "score": f"{r.score:g}/{r.max_score:g}", "reason": r.reason.splitlines()[0][:200] if r.reason else "",
                     "graded_at": r.graded_at} for r in graded[:SHOWN_ROWS]]
            counts = queue.counts()
            subs = [{"received": s.received[:19], "learner": s.learner, "exercise": s.exercise, "attempt": s.attempt,
                     "status": s.status, "error": s.error.splitlines()[0][:200] if s.status == FAILED and s.error else "",
                     "score": f"{s.score:g}/{s.max_score:g}" if s.score is not None and s.max_score is not None else "",
                     "link": PATHS["submission"].format(id=s.id)} for s in queue.recent(100)]
            return {"rows": rows, "submissions": subs, "gradebook": service.gradebook.name,
                    "counts": COUNTS.format(queued=counts.get("queued", 0), grading=counts.get("grading", 0),
                                            done=counts.get("done", 0), failed=counts.get("failed", 0)),
                    "when": dt.datetime.now().strftime("%H:%M:%S")}

        return page("instructor.html", title="gradebook", who=member, refresh=REFRESH, **await run_in_threadpool(build))

    async def report(request: Request) -> Response:
        member = await who(request)
        if member is None:
            return to_login()
        if member.role != INSTRUCTOR:
            return page("message.html", status=403, title="instructors only", who=member, message=INSTRUCTORS_ONLY)

        def build() -> str | None:
            document = load_rows(service.gradebook)
            if not document.get("rows"):
                return None
            with report_lock:
                return str(render(document, document["rows"], source=service.gradebook.name))

        html = await run_in_threadpool(build)
        if html is None:
            return page("message.html", title="report", who=member, message=NO_ROWS_YET)
        return HTMLResponse(html, headers=_private(REPORT_CSP))

    return [
        Route(PATHS["home"], home, methods=["GET"]),
        Route(PATHS["login"], login_form, methods=["GET"]),
        Route(PATHS["login"], login, methods=["POST"]),
        Route(PATHS["logout"], logout, methods=["POST"]),
        Route(PATHS["me"], me, methods=["GET"]),
        Route(PATHS["instructor"], instructor, methods=["GET"]),
        Route(PATHS["report"], report, methods=["GET"]),
        Route(PATHS["submission"], one, methods=["GET"]),
    ]


def _private(csp: str) -> dict[str, str]:
    """Headers of a page holding grades: never cached, never framed, no script but its own."""
    return {"Cache-Control": "no-store", "Content-Security-Policy": csp, "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
