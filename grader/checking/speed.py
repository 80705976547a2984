"""Speed checks: the learner's function against the reference, both timed by the grader.

Changes when how speed is judged changes. The rules that make a time trustworthy:

- every round draws fresh inputs, so nothing can be cached across rounds or retries;
- learner and reference run in interleaved rounds (the order alternates), each timed by the
  grader around the call, never by the code being timed;
- while one runs, every process of the other is frozen (SIGSTOP, confirmed from /proc), so
  threads the learner left behind cannot slow the reference;
- before anything is timed, a worker that still has a thread or a child from its last call
  is killed and replaced;
- the check verifies each round's output (``judge``) before its time counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grader.checking.expect import stage

# What a speed check verifies before its time counts: a failure there is not slowness.
VALUES_FIRST = "the values it returned"
GIVE_UP = 4.0  # a round this many times over the limit ends the race: more would not change the verdict


@dataclass(frozen=True)
class Round:
    seconds: float
    reference_seconds: float

    @property
    def ratio(self) -> float:
        return self.seconds / max(self.reference_seconds, 1e-9)


@dataclass
class Race:
    limit: float
    rounds: list[Round] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return any(r.ratio <= self.limit for r in self.rounds)

    @property
    def best(self) -> Round:
        return min(self.rounds, key=lambda r: r.ratio)


def race(
    submission: Any,
    reference_process: Any,
    name: str,
    make_args: Callable[[], tuple[Any, ...]],
    *,
    limit: float,
    rounds: int = 5,
    judge: Callable[[Any, Any, tuple[Any, ...]], None] | None = None,
) -> Race:
    """Time ``name`` on both sides over up to ``rounds`` rounds; stop at the first round within
    ``limit`` times the reference (or far beyond it). ``judge(learner_out, reference_out, args)``
    raises when the learner's output is wrong."""
    result = Race(limit)
    for i in range(rounds):
        args = make_args()
        sides = {"learner": (submission, reference_process), "reference": (reference_process, submission)}
        order = ("reference", "learner") if i % 2 == 0 else ("learner", "reference")
        timed: dict[str, tuple[Any, float]] = {}
        for who in order:
            runner, other = sides[who]
            runner.settle()
            other.settle()
            with other.frozen():
                timed[who] = runner.timed(name, *args)
        (out, seconds), (ref_out, ref_seconds) = timed["learner"], timed["reference"]
        if judge is not None:
            with stage(VALUES_FIRST):
                judge(out, ref_out, args)
        result.rounds.append(Round(seconds, ref_seconds))
        if seconds <= limit * ref_seconds or seconds > GIVE_UP * limit * ref_seconds:
            break
    return result
