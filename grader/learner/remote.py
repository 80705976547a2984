"""The learner's client of the grading service (``grade serve``): the token, a submission and its card, the best scores.

Changes when how the learner's side talks to the service changes: where the token is kept,
the timeouts, what each HTTP failure tells the learner. The addresses, headers and fields are
:mod:`grader.grading.protocol`'s, shared with the server.

httpx, not urllib: a poll is held open by the server for up to ``MAX_WAIT`` seconds while a
connection must fail within 2 s, and httpx times the connect, the upload and the reply apart
(urllib has one socket timeout for all); its one exception family makes "could not reach" one
branch; and the polls reuse one connection. It is imported only when a course names a server,
and only after the learner has seen the local result, so ``grade ex07`` offline never pays for it.

The token is a password: it is sent only in the Authorization header, kept in a file only its
owner can read, and never printed, logged or put in an error message.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from grader.errors import EXIT_USAGE, GradeError
from grader.grading import protocol

if TYPE_CHECKING:
    import httpx


CONNECT_SECONDS = 2.0  # a server that does not accept a connection in 2 s is not there for us
REQUEST_SECONDS = 30.0  # any one request's upload or reply, but a held poll
TOTAL_SECONDS = 180.0  # a submission, from upload to card: past it, the server keeps it and grades it later
SCORES_SECONDS = 5.0  # grade list waits this long for the best scores, then shows this machine's
POLL_SLACK = 10.0  # a held poll's reply may come this long after the wait it asked for
ERROR_TEXT_CHARS = 200  # of the server's own explanation, quoted after ours

TOKENS_FILE = "tokens.json"

# One line each, said where the learner reads the result: what happened, then what to do.
NOT_LOGGED_IN = "You are not logged in to {server}: run grade login (your instructor gave you a token)."
BAD_TOKEN = "{server} did not accept your token: run grade login to sign in again."
UNREACHABLE = "{server} could not be reached ({reason})."
TIMED_OUT = "{server} did not answer within {seconds:g} s."
UNKNOWN_EXERCISE = "{server} does not know {exercise}: your copy of the course may not match the server's; ask your instructor."
UNKNOWN_SUBMISSION = "{server} no longer knows submission {id}: grade {exercise} again."
NOT_A_SERVICE = "{server} does not look like a grading service (404 at {path}): check server: in course.yaml with your instructor."
TOO_LARGE = "Your files are too large for {server} ({size}): hand in only {names}, without large data in them."
TOO_MANY = "{server} limits how often you hand in: try again {when}."
BUSY = "{server} is busy or down for maintenance: try again {when}."
SERVER_FAILED = "{server} failed ({status}): try again later, and tell your instructor if it goes on."
REFUSED = "{server} refused ({status})."
REDIRECTED = "{server} answered with a redirect to {where}: the course's server: address may be out of date; tell your instructor."
NOT_UNDERSTOOD = "{server}'s answer was not understood ({what}): your copy of grade may be older than the server's."
GRADING_FAILED = "{server} could not grade submission {id}{why}: tell your instructor."
STILL_GRADING = (
    "{server} has your submission ({id}) but had not graded it after {seconds:g} s: it counts once graded "
    "(grade list shows the server's scores)."
)
SAYS = " The server says: {text}"
WHEN_SECONDS = "in {n} s"
WHEN_MINUTES = "in about {n} minutes"
WHEN_UNKNOWN = "in a few minutes"
LOGIN_REFUSED = "{server} did not accept that token: check it with your instructor. Nothing was kept."
NOTHING_KEPT = " Nothing was kept: grade login again once it answers."
EMPTY_TOKEN = "no token given: paste the token your instructor gave you"
BAD_TOKEN_CHARS = "that does not look like a token (it holds spaces or control characters): paste it again"

# What the learner's terminal may receive from the server's card: text and colours, no other escapes.
_SGR = re.compile(r"\x1b\[[0-9;]*m")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class RemoteError(GradeError):
    """The service could not give what was asked: ``line`` says why to the learner, in one line.

    ``kind`` is what went wrong, for the caller's decisions: ``no_token``, ``unauthorized``,
    ``unreachable``, ``timeout``, ``unknown``, ``too_large``, ``too_many``, ``busy``,
    ``server``, ``refused``, ``protocol``, ``failed`` (the server could not grade it) or
    ``pending`` (still queued when the wait ran out).
    """

    exit_code = EXIT_USAGE

    def __init__(self, kind: str, line: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(line)
        self.kind, self.line, self.status, self.retry_after = kind, line, status, retry_after


@dataclass(frozen=True)
class Graded:
    """The server's grading of one submission: the card as the learner reads it, the result as JSON."""

    id: str
    exercise: str
    card: str
    result: dict[str, Any]
    attempt: int | None = None

    @property
    def full_marks(self) -> bool:
        return bool(self.result.get("full_marks"))


@dataclass(frozen=True)
class ServerScore:
    """One exercise's best on the server (protocol.SCORES)."""

    best: float
    max: float
    attempts: int
    full_marks: bool


@dataclass(frozen=True)
class Identity:
    """Who the server knows the token as (protocol.WHOAMI)."""

    name: str
    role: str

    @property
    def instructor(self) -> bool:
        return self.role == protocol.INSTRUCTOR


# --- the token ------------------------------------------------------------------------


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/grade`` (``~/.config/grade`` by default): the learner's, not the course's."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "grade"


def tokens_path() -> Path:
    return config_dir() / TOKENS_FILE


def _read_tokens() -> dict[str, str]:
    try:
        data = json.loads(tokens_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def _write_tokens(tokens: dict[str, str]) -> Path:
    """Replace the tokens file whole: written beside it as 0600, then renamed; its folder 0700."""
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)  # made earlier by someone else's umask: still the learner's alone
    path = folder / TOKENS_FILE
    tmp = folder / f".{TOKENS_FILE}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(tokens, f, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def stored_token(server: str) -> str | None:
    return _read_tokens().get(server)


TOKEN_ENV = protocol.TOKEN_ENV


def env_token() -> str | None:
    """``GRADE_TOKEN``, when set: it wins over the kept token (CI, a shared machine)."""
    return os.environ.get(TOKEN_ENV, "").strip() or None


def token_for(server: str) -> str | None:
    """The token for ``server``: ``GRADE_TOKEN`` when set, else the one ``grade login`` kept."""
    return env_token() or stored_token(server)


def save_token(server: str, token: str) -> Path:
    tokens = _read_tokens()
    tokens[server] = token
    return _write_tokens(tokens)


def forget_token(server: str) -> bool:
    """Remove the kept token of ``server``; whether there was one."""
    tokens = _read_tokens()
    if tokens.pop(server, None) is None:
        return False
    _write_tokens(tokens)
    return True


def check_token_text(token: str) -> str:
    """The token as typed or pasted, trimmed; a UsageError-like RemoteError when it cannot be one."""
    token = token.strip()
    if not token:
        raise RemoteError("bad_token", EMPTY_TOKEN)
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in token):
        raise RemoteError("bad_token", BAD_TOKEN_CHARS)
    return token


# --- talking to the service -----------------------------------------------------------


def host_of(server: str) -> str:
    """The server as the learner's lines name it: its host (and port), not the whole address."""
    return urlsplit(server).netloc or server


def safe_text(text: str) -> str:
    """The server's text for the learner's terminal: colours kept, every other control sequence dropped."""
    kept = []
    for piece in re.split(f"({_SGR.pattern})", text):
        kept.append(piece if _SGR.fullmatch(piece) else _CONTROL.sub("", piece.replace("\r\n", "\n").replace("\t", "    ")))
    return "".join(kept)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def when_text(seconds: float | None) -> str:
    if seconds is None:
        return WHEN_UNKNOWN
    if seconds < 90:
        return WHEN_SECONDS.format(n=max(1, round(seconds)))
    return WHEN_MINUTES.format(n=round(seconds / 60))


def _size_text(n: int) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / (1024 * 1024):.1f} MB"


class Client:
    """One conversation with the service at ``server`` (a base URL, without the trailing slash)."""

    def __init__(self, server: str, token: str | None, *, connect: float = CONNECT_SECONDS, request: float = REQUEST_SECONDS) -> None:
        self.server, self.token = server.rstrip("/"), token
        self.host = host_of(self.server)
        self.connect, self.request = connect, request
        self._http: httpx.Client | None = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def _client(self) -> httpx.Client:
        if self._http is None:
            import httpx

            headers = {"User-Agent": "grade"}
            if self.token:
                headers[protocol.AUTH_HEADER] = f"{protocol.AUTH_SCHEME} {self.token}"
            self._http = httpx.Client(
                base_url=self.server, headers=headers, follow_redirects=False,
                timeout=httpx.Timeout(self.request, connect=self.connect),
            )
        return self._http

    def _request(self, method: str, path: str, *, read: float | None = None, **kwargs: Any) -> httpx.Response:
        """One request; every way it can fail to come back is a RemoteError with its line."""
        import httpx

        timeout = httpx.Timeout(self.request, connect=self.connect, read=read if read is not None else self.request)
        try:
            return self._client().request(method, path, timeout=timeout, **kwargs)
        except httpx.TimeoutException as exc:
            if isinstance(exc, httpx.ConnectTimeout):
                raise RemoteError("unreachable", UNREACHABLE.format(server=self.host, reason="no answer to connect")) from None
            seconds = read if read is not None else self.request
            raise RemoteError("timeout", TIMED_OUT.format(server=self.host, seconds=seconds)) from None
        except httpx.TransportError as exc:
            raise RemoteError("unreachable", UNREACHABLE.format(server=self.host, reason=_reason(exc))) from None

    def _fail(self, response: httpx.Response, *, exercise: str = "", submission: str = "", names: Sequence[str] = (),
              size: int = 0) -> RemoteError:
        """The one line a refusal means for the learner (with the server's own words when it gave some)."""
        status = response.status_code
        retry = _retry_after(response.headers.get("Retry-After"))
        said = _error_text(response)
        says = SAYS.format(text=said) if said else ""
        host = self.host
        if status == 401:
            return RemoteError("unauthorized", BAD_TOKEN.format(server=host), status=status)
        if status == 404 and submission:
            return RemoteError("unknown", UNKNOWN_SUBMISSION.format(server=host, id=submission, exercise=exercise), status=status)
        if status == 404 and exercise:
            return RemoteError("unknown", UNKNOWN_EXERCISE.format(server=host, exercise=exercise), status=status)
        if status == 404:
            return RemoteError("protocol", NOT_A_SERVICE.format(server=host, path=response.request.url.path), status=status)
        if status == 413:
            shown = ", ".join(names) or "the exercise's files"
            return RemoteError("too_large", TOO_LARGE.format(server=host, size=_size_text(size), names=shown) + says, status=status)
        if status == 429:
            return RemoteError("too_many", TOO_MANY.format(server=host, when=when_text(retry)), status=status, retry_after=retry)
        if status == 503:
            return RemoteError("busy", BUSY.format(server=host, when=when_text(retry)), status=status, retry_after=retry)
        if status >= 500:
            return RemoteError("server", SERVER_FAILED.format(server=host, status=status) + says, status=status)
        if 300 <= status < 400:
            where = response.headers.get("Location", "elsewhere")
            return RemoteError("protocol", REDIRECTED.format(server=host, where=safe_text(where)[:ERROR_TEXT_CHARS]), status=status)
        return RemoteError("refused", REFUSED.format(server=host, status=status) + says, status=status)

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise RemoteError("protocol", NOT_UNDERSTOOD.format(server=self.host, what="not a JSON object"))
        return data

    def _require_token(self) -> None:
        if not self.token:
            raise RemoteError("no_token", NOT_LOGGED_IN.format(server=self.host))

    def whoami(self) -> Identity:
        self._require_token()
        response = self._request("GET", protocol.WHOAMI)
        if response.status_code != 200:
            raise self._fail(response)
        data = self._json(response)
        if not isinstance(data.get("name"), str):
            raise RemoteError("protocol", NOT_UNDERSTOOD.format(server=self.host, what="no name"))
        return Identity(name=data["name"], role=str(data.get("role", protocol.LEARNER)))

    def submit(self, exercise: str, archive: bytes, *, seed: int | None = None, names: Sequence[str] = ()) -> str:
        """Upload one zip of the exercise's learner files; the submission's id (the server has it on disk)."""
        self._require_token()
        params = {"seed": str(seed)} if seed is not None else {}
        response = self._request(
            "POST", protocol.SUBMIT.format(exercise=exercise), content=archive, params=params,
            headers={"Content-Type": protocol.ZIP_TYPE},
        )
        if response.status_code not in (200, 201, 202):
            raise self._fail(response, exercise=exercise, names=names, size=len(archive))
        data = self._json(response)
        if not isinstance(data.get("id"), str) or not data["id"]:
            raise RemoteError("protocol", NOT_UNDERSTOOD.format(server=self.host, what="no submission id"))
        return data["id"]

    def wait(self, submission: str, *, exercise: str = "", verbose: bool = False, total: float = TOTAL_SECONDS) -> Graded:
        """Poll until the submission is graded (or failed), at most ``total`` seconds."""
        from urllib.parse import quote

        deadline = time.monotonic() + total
        path = protocol.SUBMISSION.format(id=quote(submission, safe=""))
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RemoteError("pending", STILL_GRADING.format(server=self.host, id=submission, seconds=total))
            hold = max(0.0, min(protocol.MAX_WAIT, left))
            params = {"wait": f"{hold:g}", "verbose": "1" if verbose else "0"}
            response = self._request("GET", path, params=params, read=hold + POLL_SLACK)
            if response.status_code != 200:
                raise self._fail(response, exercise=exercise, submission=submission)
            data = self._json(response)
            status = data.get("status")
            if status == protocol.DONE:
                return self._graded(submission, data)
            if status == protocol.FAILED:
                why = _error_text_of(data.get("error"))
                raise RemoteError("failed", GRADING_FAILED.format(server=self.host, id=submission, why=f" ({why})" if why else ""))
            if status not in protocol.STATUSES:
                raise RemoteError("protocol", NOT_UNDERSTOOD.format(server=self.host, what=f"status {str(status)[:40]!r}"))
            if hold < 1.0:  # a server that answers at once while still grading: do not spin
                time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    def _graded(self, submission: str, data: dict[str, Any]) -> Graded:
        card, result = data.get("card"), data.get("result")
        if not isinstance(card, str) or not isinstance(result, dict):
            raise RemoteError("protocol", NOT_UNDERSTOOD.format(server=self.host, what="a graded submission without its card"))
        attempt = data.get("attempt")
        return Graded(
            id=submission, exercise=str(data.get("exercise") or result.get("exercise") or ""), card=safe_text(card),
            result=result, attempt=attempt if isinstance(attempt, int) else None,
        )

    def scores(self) -> dict[str, ServerScore]:
        self._require_token()
        response = self._request("GET", protocol.SCORES)
        if response.status_code != 200:
            raise self._fail(response)
        exercises = self._json(response).get("exercises")
        if not isinstance(exercises, dict):
            raise RemoteError("protocol", NOT_UNDERSTOOD.format(server=self.host, what="no exercises"))
        out = {}
        for ex_id, row in exercises.items():
            try:
                out[str(ex_id)] = ServerScore(
                    best=float(row["best"]), max=float(row["max"]), attempts=int(row.get("attempts", 0)),
                    full_marks=bool(row.get("full_marks")),
                )
            except (KeyError, TypeError, ValueError):
                continue  # one row not understood: the others still show
        return out


def _reason(exc: Exception) -> str:
    """Why a connection failed, in a few words (never the request: it holds no token, but keep it short)."""
    text = str(exc).strip() or type(exc).__name__
    for words, said in (
        ("refused", "connection refused"), ("Name or service not known", "unknown host"),
        ("nodename nor servname", "unknown host"), ("getaddrinfo", "unknown host"), ("CERTIFICATE", "its certificate is not trusted"),
        ("timed out", "no answer"), ("unreachable", "network unreachable"),
    ):
        if words.lower() in text.lower():
            return said
    return safe_text(text.splitlines()[0])[:80]


def _error_text_of(value: Any) -> str:
    return safe_text(value).replace("\n", " ").strip()[:ERROR_TEXT_CHARS] if isinstance(value, str) else ""


def _error_text(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    return _error_text_of(data.get("error")) if isinstance(data, dict) else ""


# --- what the learner's commands call -------------------------------------------------


def zip_bytes(files: Sequence[tuple[str, bytes]]) -> bytes:
    """The learner's files in one zip, in memory, by their names in exercise.yaml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()


def login(server: str, token: str) -> tuple[Identity, Path]:
    """Check ``token`` against the service, then keep it; nothing is kept when the service refuses it."""
    token = check_token_text(token)
    with Client(server, token) as client:
        try:
            who = client.whoami()
        except RemoteError as exc:
            if exc.kind == "unauthorized":
                raise RemoteError(exc.kind, LOGIN_REFUSED.format(server=client.host), status=exc.status) from None
            raise RemoteError(exc.kind, exc.line + NOTHING_KEPT, status=exc.status) from None
    return who, save_token(server, token)


def best_scores(server: str, *, timeout: float = SCORES_SECONDS) -> dict[str, ServerScore]:
    """The learner's best score of each exercise on the server (RemoteError when it cannot say)."""
    with Client(server, token_for(server), request=timeout) as client:
        return client.scores()


class Submission:
    """One hand-in: the files read when the grading starts (what the local card is about is what is
    sent), sent once the local result is printed. :meth:`outcome` returns the server's grading or
    raises the RemoteError that says why there is none.

    Sent after the local grading, not beside it: in a thread, the import of httpx and the upload
    took the CPU from the local grading and delayed the learner's first line by about 0.2 s (0.66 s
    instead of 0.45 s for ex01 on a busy 2-core machine), for little gain in the server's card.
    """

    def __init__(self, server: str, exercise: str, files: Sequence[tuple[str, bytes]], seed: int | None = None) -> None:
        self.server, self.exercise, self.files, self.seed = server, exercise, list(files), seed
        self.token = token_for(server)
        self.id: str | None = None

    @classmethod
    def start(cls, server: str, exercise: str, files: Sequence[tuple[str, Path]], *, seed: int | None = None) -> Submission:
        return cls(server, exercise, [(name, path.read_bytes()) for name, path in files], seed)

    @property
    def can_send(self) -> bool:
        """False when it is known already that nothing can be sent (no token)."""
        return bool(self.token)

    def outcome(self, *, verbose: bool = False, total: float = TOTAL_SECONDS) -> Graded:
        """Upload, then wait for the server's card and result, at most about ``total`` seconds in all."""
        if not self.token:
            raise RemoteError("no_token", NOT_LOGGED_IN.format(server=host_of(self.server)))
        started = time.monotonic()
        with Client(self.server, self.token) as client:
            names = [n for n, _ in self.files]
            self.id = client.submit(self.exercise, zip_bytes(self.files), seed=self.seed, names=names)
            left = max(1.0, total - (time.monotonic() - started))
            return client.wait(self.id, exercise=self.exercise, verbose=verbose, total=left)
