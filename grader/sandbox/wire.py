"""Framing of messages on a pipe: a small JSON envelope plus one encoded value.

Changes when the framing between the grader and its workers changes.

Frame: u64 envelope length, envelope JSON, u64 payload-header length, payload header,
u64 blob count, then for each blob its u64 length and bytes. Lengths are checked
against caps before anything is allocated, so a hostile sender cannot make the trusted
side allocate without bound.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import Any

_U64 = struct.Struct(">Q")
MAX_ENVELOPE = 1 << 20
MAX_BLOBS = 4096
# The exit status of a worker whose own code failed (learner code broke the interpreter under
# it), as opposed to the learner's sys.exit(n): both sides of the protocol read it from here.
BROKEN_STATUS = 70
# How an isolation layer's report begins when the layer holds ("not needed": no privileges to drop).
LAYER_HOLDS = ("on", "not needed")


class WireError(Exception):
    """The other side sent something that is not a frame."""


def pack(envelope: dict[str, Any], header: bytes = b"null", blobs: list[bytes] | tuple[bytes, ...] = ()) -> bytes:
    env = json.dumps(envelope).encode()
    parts = [_U64.pack(len(env)), env, _U64.pack(len(header)), header, _U64.pack(len(blobs))]
    for b in blobs:
        parts.append(_U64.pack(len(b)))
        parts.append(b)
    return b"".join(parts)


def unpack(read_exact: Callable[[int], bytes], max_bytes: int) -> tuple[dict[str, Any], bytes, list[bytes]]:
    """Read one frame with ``read_exact(n)``; refuse frames larger than ``max_bytes``."""
    budget = max_bytes

    def length(cap: int) -> int:
        (n,) = _U64.unpack(read_exact(8))
        if n > cap:
            raise WireError(f"a part of {n} bytes exceeds the limit of {cap} bytes")
        return n

    env_bytes = read_exact(length(MAX_ENVELOPE))
    try:
        envelope = json.loads(env_bytes)
    except ValueError:
        raise WireError("malformed envelope") from None
    if not isinstance(envelope, dict):
        raise WireError("malformed envelope")
    header = read_exact(length(budget))
    budget -= len(header)
    count = length(MAX_BLOBS)
    blobs = []
    for _ in range(count):
        n = length(budget)
        budget -= n
        blobs.append(read_exact(n))
    return envelope, header, blobs
