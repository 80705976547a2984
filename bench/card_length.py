"""The score card's length for every known mistake of the course (issue 15).

Each exercise's misconception variants are graded in-process, as ``grade verify`` does (the
reference with the variant's functions swapped in, one seed), and each card is rendered
unstyled twice: in full (``grade EXERCISE -v``, the card as it was) and at the default
verbosity. Per exercise and overall: the median and worst line count of each, the share of
variants whose default card names exactly their own mistake (and the share told an honest "one
of" that includes it), and the score each misconception earns (what one mistake costs: issue 15
asks at most 60% unless it breaks every part). One run; no timing.
"""

from __future__ import annotations

import argparse
import statistics
import sys

import click
from _common import ROOT

sys.path.insert(0, str(ROOT))

from grader.checking.misconceptions import load_misconceptions, load_module  # noqa: E402
from grader.checking.proxy import LocalBackend  # noqa: E402
from grader.checking.results import ExerciseResult  # noqa: E402
from grader.course import load_course  # noqa: E402
from grader.grading.card import score_card  # noqa: E402
from grader.grading.runner import grade  # noqa: E402

TARGET = 40  # lines, at the default verbosity
ROW = "{label:<8} {n:>3}  {old_med:>6} {old_max:>6}  {new_med:>6} {new_max:>6}  {own:>6} {one_of:>6} {cost:>6}"
MAX_COST = 0.6


def names_own(result: ExerciseResult, name: str) -> bool:
    """The card names this mistake and no other: every failing check's named mistakes are it."""
    named = {m for c in result.checks if not c.passed for m in (c.misconceptions or ([c.misconception] if c.misconception else []))}
    return named == {name}


def one_of_with_own(result: ExerciseResult, name: str) -> bool:
    """Not named alone, but every naming failing check says "one of" with this mistake among them."""
    lists = [c.misconceptions for c in result.checks if not c.passed and c.misconceptions]
    return bool(lists) and all(name in names for names in lists) and any(len(names) > 1 for names in lists)


def lines(card: str) -> int:
    return len(click.unstyle(card).splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", nargs="*", help="exercise ids (default: all)")
    parser.add_argument("--show", help="print the cards of this misconception (exercise:name)")
    parser.add_argument("--scores", action="store_true", help="print the score each misconception earns")
    args = parser.parse_args()
    course = load_course(ROOT)
    rows: list[tuple[str, list[int], list[int], list[bool], list[bool], list[float]]] = []
    scores: list[tuple[str, str, float, float, str]] = []
    for ex in course.exercises:
        if args.only and ex.id not in args.only:
            continue
        if not ex.misconceptions_path.is_file():
            continue
        reference = load_module(ex.reference_path, "reference")
        old, new, own, one_of, cost = [], [], [], [], []
        for v in load_misconceptions(ex.misconceptions_path):
            backend = LocalBackend(v.namespace(reference), label=f"misconception '{v.name}'")
            result = grade(ex, seed=args.seed, backend=backend)
            full, short = score_card(result, verbose=True), score_card(result)
            old.append(lines(full))
            new.append(lines(short))
            own.append(names_own(result, v.name))
            one_of.append(one_of_with_own(result, v.name))
            cost.append(1 - result.score / result.graded_max if result.graded_max else 0.0)
            scores.append((ex.id, v.name, result.score, result.graded_max, getattr(v, "breaks_every_part", "")))
            if args.show == f"{ex.id}:{v.name}":
                print(click.unstyle(full), "\n" + "=" * 60 + "\n" + click.unstyle(short))
        rows.append((ex.id, old, new, own, one_of, cost))
    print(f"card length in lines, seed {args.seed}; -v = the full card (as before), default = issue 15's card;")
    print("own = named exactly its own mistake; one-of = an honest 'one of' with it; cost = worst share of points lost")
    print(ROW.format(label="exercise", n="n", old_med="-v med", old_max="worst", new_med="med", new_max="worst",
                     own="own", one_of="one-of", cost="cost"))

    def row(label: str, old: list[int], new: list[int], own: list[bool], one_of: list[bool], cost: list[float]) -> str:
        return ROW.format(
            label=label, n=len(old), old_med=f"{statistics.median(old):g}", old_max=max(old),
            new_med=f"{statistics.median(new):g}", new_max=max(new), own=f"{sum(own) / len(own):.0%}",
            one_of=f"{sum(one_of) / len(one_of):.0%}", cost=f"{max(cost):.0%}",
        )

    for r in rows:
        print(row(*r))
    every = [[x for r in rows for x in r[k]] for k in range(1, 6)]
    print(row("all", *every))
    every_old, every_new = every[0], every[1]
    over = sum(x > TARGET for x in every_new)
    print(f"default cards over {TARGET} lines: {over} of {len(every_new)}; "
          f"median ratio default/-v {statistics.median(every_new) / statistics.median(every_old):.2f}")
    costly = [s for s in scores if s[3] and 1 - s[2] / s[3] > MAX_COST]
    print(f"misconceptions costing over {MAX_COST:.0%}: {len(costly)} of {len(scores)} "
          f"({sum(bool(s[4]) for s in costly)} of them declared to break every part)")
    if args.scores:
        for ex_id, name, score, graded, breaks in scores:
            said = f"  (breaks every part: {breaks})" if breaks else ""
            print(f"  {ex_id}  {name:<44} {score:g}/{graded:g}  cost {1 - score / graded if graded else 0:.0%}{said}")


if __name__ == "__main__":
    main()
