"""What a request to ``grade serve`` may not do: upload size, archive shape, submissions per minute.

Changes when a limit or its message changes. Everything here runs before a submission is
accepted, on bytes held in memory: a refused request leaves no spool file and no row. Each
refusal is a :class:`Rejected` carrying the HTTP status and the text for the learner.
"""

from __future__ import annotations

import io
import math
import stat
import threading
import time
import zipfile
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from grader.course import Exercise

MAX_ENTRIES = 64  # an exercise has a handful of learner files
BOMB_RATIO = 100  # an entry unpacking to this many times its packed size (past BOMB_MIN bytes) is refused
BOMB_MIN = 256 * 1024
UNPACKED_FACTOR = 8  # the unpacked total may be this many times the upload limit
QUEUE_RETRY_AFTER = 15  # seconds: a full queue drains at a grading every second or so per job

TOO_LARGE = "the upload is larger than this service accepts ({limit} KB): hand in only the exercise's files"
NOT_A_ZIP = "the upload is not a zip archive of the exercise's files ({error})"
TOO_MANY_ENTRIES = "the archive holds {n} entries; at most {limit} are accepted"
UNPACKS_TOO_LARGE = "the archive unpacks to more than {limit} KB; this service accepts no more"
BOMB = "the archive entry {name} unpacks to {ratio:.0f} times its packed size: refused as a zip bomb"
LIES = "the archive entry {name} unpacks to more than its header says: refused"
UNSAFE_PATH = "the archive entry {name!r} is not a plain relative path inside the archive (absolute, '..', or odd characters)"
LINK = "the archive entry {name} is a symbolic link: only regular files are accepted"
DUPLICATE = "the archive holds {name} twice"
WRONG_FILES = "{exercise} takes exactly its learner files, by these names: {expected}. {problems}"
UNEXPECTED = "Not one of them: {names}."
MISSING = "Missing: {names}."
RATE = "more than {rate} submissions in a minute: try again in {seconds} s"
QUEUE_FULL = "the grading queue is full ({size} waiting): try again in {seconds} s"


@dataclass
class Rejected(Exception):
    """A request refused before anything was written: its status, its text, its headers."""

    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


async def read_limited(chunks: AsyncIterator[bytes], declared: str | None, limit: int) -> bytes:
    """The request body, refused (413) past ``limit`` bytes by its Content-Length or as it arrives."""
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise Rejected(413, TOO_LARGE.format(limit=limit // 1024))
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:  # a body longer than it said, or with no length at all
            raise Rejected(413, TOO_LARGE.format(limit=limit // 1024))
    return bytes(body)


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return (
        bool(name) and not name.startswith("/") and "\\" not in name and "\0" not in name
        and not (len(parts[0]) >= 2 and parts[0][1] == ":")  # C:... a drive letter
        and all(p not in ("", ".", "..") for p in parts)
    )


def learner_files_from_zip(data: bytes, exercise: Exercise, *, upload_limit: int) -> dict[str, bytes]:
    """The exercise's learner files from a zip archive, by their exercise.yaml names; Rejected
    (400, or 413 for size) for anything else: not a zip, too many entries, a zip bomb, a path
    leaving the archive, a link, or not exactly the exercise's learner files."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise Rejected(400, NOT_A_ZIP.format(error=exc)) from None
    if len(infos) > MAX_ENTRIES:
        raise Rejected(400, TOO_MANY_ENTRIES.format(n=len(infos), limit=MAX_ENTRIES))
    limit = UNPACKED_FACTOR * upload_limit
    if sum(i.file_size for i in infos) > limit:
        raise Rejected(413, UNPACKS_TOO_LARGE.format(limit=limit // 1024))
    entries: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename
        if not _safe_name(name.rstrip("/") if info.is_dir() else name):
            raise Rejected(400, UNSAFE_PATH.format(name=name))
        if stat.S_ISLNK(info.external_attr >> 16):
            raise Rejected(400, LINK.format(name=name))
        if info.is_dir():
            continue
        if info.file_size > BOMB_MIN and info.file_size > BOMB_RATIO * max(info.compress_size, 1):
            raise Rejected(400, BOMB.format(name=name, ratio=info.file_size / max(info.compress_size, 1)))
        if name in entries:
            raise Rejected(400, DUPLICATE.format(name=name))
        entries[name] = info
    expected = list(exercise.files.learner)
    unexpected = sorted(set(entries) - set(expected))
    missing = [n for n in expected if n not in entries]
    if unexpected or missing:
        problems = [UNEXPECTED.format(names=", ".join(unexpected))] if unexpected else []
        problems += [MISSING.format(names=", ".join(missing))] if missing else []
        raise Rejected(400, WRONG_FILES.format(exercise=exercise.id, expected=", ".join(expected), problems=" ".join(problems)))
    files: dict[str, bytes] = {}
    total = 0
    for name in expected:
        info = entries[name]
        try:
            with archive.open(info) as member:
                content = member.read(info.file_size + 1)  # never more than the header promised, plus one to catch a lie
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
            raise Rejected(400, NOT_A_ZIP.format(error=exc)) from None
        if len(content) > info.file_size:
            raise Rejected(400, LIES.format(name=name))
        total += len(content)
        if total > limit:
            raise Rejected(413, UNPACKS_TOO_LARGE.format(limit=limit // 1024))
        files[name] = content
    return files


class RateLimiter:
    """At most ``rate`` requests per learner in any 60 seconds (kept in memory: a restart forgets)."""

    WINDOW = 60.0

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, learner: str, *, now: float | None = None) -> None:
        """Count one request of ``learner``, or raise Rejected(429) with Retry-After."""
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.setdefault(learner, deque())
            while seen and seen[0] <= now - self.WINDOW:
                seen.popleft()
            if len(seen) >= self.rate:
                seconds = max(1, math.ceil(seen[0] + self.WINDOW - now))
                raise Rejected(429, RATE.format(rate=self.rate, seconds=seconds), {"Retry-After": str(seconds)})
            seen.append(now)


def queue_full(size: int) -> Rejected:
    """The 503 for a full queue, with Retry-After."""
    return Rejected(503, QUEUE_FULL.format(size=size, seconds=QUEUE_RETRY_AFTER), {"Retry-After": str(QUEUE_RETRY_AFTER)})
