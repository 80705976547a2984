"""How the grader's texts count things: "1 point", "2 points", "1 exercise", "no exercises".

Changes when a counted word needs a plural that is not the word plus "s". It sits in the course
layer, the lowest one texts are written in, so every layer above can use it.
"""

from __future__ import annotations

IRREGULAR = {"is": "are", "was": "were", "has": "have", "this": "these"}


def plural(n: float, word: str, many: str | None = None) -> str:
    """``word`` as it goes with ``n``: singular for exactly one, else ``many`` (default: word + s)."""
    if n == 1:
        return word
    return many or IRREGULAR.get(word) or word + "s"


def count(n: float, word: str, many: str | None = None) -> str:
    """``n`` and its ``word``: "1 point", "0 points", "2.5 points"."""
    return f"{n:g} {plural(n, word, many)}"
