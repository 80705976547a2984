"""``grade publish``: from the instructor's tree (the single source of truth) to what others get.

Changes when the set of products or the order of their writing changes; each product changes
in its own module. Three products, each from the same files:

- **learner bundle** (``OUT/learner``, :mod:`.bundle`): stubs, statements, data, ``course.yaml``
  without the secret, the grader package and a ``pyproject.toml``, and the *public* checks
  only. No reference code and no hidden check ships in any form.
- **Gradescope autograders** (``OUT/gradescope/exNN_slug.zip``, :mod:`.gradescope`): the whole
  exercise with its reference, ``setup.sh`` and ``run_autograder``.
- **nbgrader source notebooks** (``OUT/nbgrader/source/exNN_slug/exNN_slug.ipynb``,
  :mod:`.nbgrader`): the solution between ``### BEGIN SOLUTION`` markers and one graded test
  cell per check, the instructor-only ones between ``### BEGIN HIDDEN TESTS`` markers.

Which checks are public, and what each is worth, is read once per exercise (:mod:`.plan`) and
every product follows that plan. ``grade publish`` records the points of the instructor's
checks in the bundle's ``exercise.yaml`` as ``hidden_points``, and ``grade exNN`` in the bundle
says how many points are left for them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from grader.course import Course, Exercise
from grader.course.wording import count
from grader.errors import UsageError
from grader.instructor.publish.bundle import publish_learner_bundle
from grader.instructor.publish.gradescope import write_gradescope
from grader.instructor.publish.nbgrader import notebook_seeds, write_nbgrader
from grader.instructor.publish.plan import CheckSpec, ExercisePlan, plan_exercise

__all__ = ["PRODUCTS", "CheckSpec", "ExercisePlan", "Publication", "publish", "without_public_checks"]

LEARNER_DIR, GRADESCOPE_DIR, NBGRADER_DIR = "learner", "gradescope", "nbgrader"
PRODUCTS = (LEARNER_DIR, GRADESCOPE_DIR, NBGRADER_DIR)
OUT_NOT_EMPTY = "{out} exists and is not empty; pass --force to replace what grade publish wrote there"
# A bundle exercise with no public check would tell its learners "every check you can run passes (0/10)".
NO_PUBLIC_CHECK = (
    "refusing to publish: the learners of {which} would have no check to run. {details}. Make a check public "
    "(visibility 'visible', without the reference fixture), or pass --allow-no-public to publish anyway."
)
NO_PUBLIC_DETAIL = "{id}: all {points} graded by the instructor ({why})"


@dataclass
class Publication:
    """What one ``grade publish`` wrote: the plans it followed and where each product is."""

    out: Path
    plans: list[ExercisePlan]
    learner: Path | None = None
    gradescope: list[Path] = field(default_factory=list)
    notebooks: list[Path] = field(default_factory=list)


def _out_is_free(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()) and not force:
        raise UsageError(OUT_NOT_EMPTY.format(out=out))


def _prepare_out(out: Path) -> None:
    for product in PRODUCTS:
        target = out / product
        if target.is_dir():
            shutil.rmtree(target)
    out.mkdir(parents=True, exist_ok=True)


def without_public_checks(plans: list[ExercisePlan]) -> list[ExercisePlan]:
    """The exercises whose learners would have no check to run in the bundle."""
    return [p for p in plans if not any(c.public for c in p.checks)]


def _refuse_no_public(plans: list[ExercisePlan]) -> None:
    empty = without_public_checks(plans)
    if not empty:
        return
    details = "; ".join(
        NO_PUBLIC_DETAIL.format(
            id=p.exercise.id, points=count(p.hidden_points, "point"),
            why=", ".join(sorted({c.why_hidden for c in p.checks})) or "it has no checks",
        )
        for p in empty
    )
    raise UsageError(NO_PUBLIC_CHECK.format(which=", ".join(p.exercise.id for p in empty), details=details))


def publish(
    course: Course,
    out: Path,
    *,
    exercises: list[Exercise] | None = None,
    products: Iterable[str] = PRODUCTS,
    force: bool = False,
    allow_no_public: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Publication:
    """Write the products into ``out``; refuses to leave a bundle that leaks answers, or (unless
    ``allow_no_public``) one holding an exercise whose learners would have no check to run."""
    say = progress or (lambda _: None)
    products = set(products)
    exercises = list(exercises or course.exercises)
    _out_is_free(out, force)
    plans = []
    for ex in exercises:
        say(f"reading the checks of {ex.id}")
        plans.append(plan_exercise(ex))
    if products & {LEARNER_DIR, NBGRADER_DIR} and not allow_no_public:
        _refuse_no_public(plans)  # before anything is written or replaced
    _prepare_out(out)
    pub = Publication(out=out, plans=plans)
    if LEARNER_DIR in products:
        say("writing the learner bundle")
        pub.learner = publish_learner_bundle(course, plans, out / LEARNER_DIR)
    if GRADESCOPE_DIR in products:
        for plan in plans:
            say(f"writing the Gradescope autograder of {plan.exercise.id}")
            pub.gradescope.append(write_gradescope(course, plan, out / GRADESCOPE_DIR))
    if NBGRADER_DIR in products:
        say("writing the nbgrader notebooks")
        pub.notebooks = write_nbgrader(plans, out / NBGRADER_DIR, notebook_seeds(course))
    return pub
