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
from grader.errors import UsageError
from grader.instructor.publish.bundle import publish_learner_bundle
from grader.instructor.publish.gradescope import write_gradescope
from grader.instructor.publish.nbgrader import notebook_seeds, write_nbgrader
from grader.instructor.publish.plan import CheckSpec, ExercisePlan, plan_exercise

__all__ = ["PRODUCTS", "CheckSpec", "ExercisePlan", "Publication", "publish"]

LEARNER_DIR, GRADESCOPE_DIR, NBGRADER_DIR = "learner", "gradescope", "nbgrader"
PRODUCTS = (LEARNER_DIR, GRADESCOPE_DIR, NBGRADER_DIR)
OUT_NOT_EMPTY = "{out} exists and is not empty; pass --force to replace what grade publish wrote there"


@dataclass
class Publication:
    """What one ``grade publish`` wrote: the plans it followed and where each product is."""

    out: Path
    plans: list[ExercisePlan]
    learner: Path | None = None
    gradescope: list[Path] = field(default_factory=list)
    notebooks: list[Path] = field(default_factory=list)


def _prepare_out(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            raise UsageError(OUT_NOT_EMPTY.format(out=out))
        for product in PRODUCTS:
            target = out / product
            if target.is_dir():
                shutil.rmtree(target)
    out.mkdir(parents=True, exist_ok=True)


def publish(
    course: Course,
    out: Path,
    *,
    exercises: list[Exercise] | None = None,
    products: Iterable[str] = PRODUCTS,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Publication:
    """Write the products into ``out``; refuses to leave a bundle that leaks answers."""
    say = progress or (lambda _: None)
    products = set(products)
    exercises = list(exercises or course.exercises)
    _prepare_out(out, force)
    plans = []
    for ex in exercises:
        say(f"reading the checks of {ex.id}")
        plans.append(plan_exercise(ex))
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
