"""The grading service's HTTP contract, shared by ``grade serve`` and the learner's client.

Changes when an address, a header or a field of the service's JSON changes: the server
(instructor/serve) and the client (learner/remote) both read them from here, so neither
spells a path twice.

Every request carries ``Authorization: Bearer <token>`` (the learner's token from
``grade login`` or ``GRADE_TOKEN``). Errors are JSON ``{"error": "<text for the learner>"}``
with a 4xx/5xx status; 429 and 503 carry ``Retry-After`` (seconds).

- ``GET  WHOAMI``      -> ``{"name": str, "role": "learner" | "instructor"}``
- ``POST SUBMIT``      body: a zip archive (``ZIP_TYPE``) of the exercise's learner files, by
                          their names in exercise.yaml; query ``seed`` (optional, replays an
                          earlier grading's inputs). Written to disk before the reply:
                          202 ``{"id": str, "status": "queued", "poll": SUBMISSION path}``.
- ``GET  SUBMISSION``  query ``wait`` (seconds to hold the reply until graded, at most
                          ``MAX_WAIT``), ``verbose`` (0/1) -> ``{"id", "exercise", "status",
                          "attempt", "card", "result"}``; ``card`` is the score card's text with the
                          visibility tiers applied (None until graded), ``result`` the same
                          grading as ``ExerciseResult.to_json()`` with the tiers applied; when
                          ``status`` is ``failed`` (the service could not grade it, its machine's
                          fault; graded again when the service restarts), ``error`` says so.
- ``GET  SCORES``      -> ``{"name": str, "exercises": {id: {"best": float, "max": float,
                          "attempts": int, "full_marks": bool}}}``; an instructor may ask about a
                          learner with query ``learner`` (a learner asking so gets 403).
"""

from __future__ import annotations

API = "/api/v1"
WHOAMI = API + "/whoami"
SUBMIT = API + "/exercises/{exercise}/submissions"
SUBMISSION = API + "/submissions/{id}"
SCORES = API + "/scores"

AUTH_HEADER = "Authorization"
AUTH_SCHEME = "Bearer"
TOKEN_ENV = "GRADE_TOKEN"
ZIP_TYPE = "application/zip"
MAX_WAIT = 60.0  # seconds a poll may be held open

QUEUED, GRADING, DONE, FAILED = "queued", "grading", "done", "failed"
STATUSES = (QUEUED, GRADING, DONE, FAILED)
LEARNER, INSTRUCTOR = "learner", "instructor"
