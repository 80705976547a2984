"""``grade report``: one self-contained HTML page about a class's gradebook.

Per exercise: the distribution of scores, the failure rate of each check, the misconceptions
matched most often; then the slowest submissions, the ones that could not be graded, and the
pairs flagged as near-identical. Plots are drawn with matplotlib (Agg, no display needed) and
embedded as base64 PNG data URIs, so the page is one file that opens anywhere, offline. The
numbers are computed here; ``templates/report.html`` (jinja2, autoescaped) lays them out.

Totals are the gradebook's: a row's ``max_score`` is the points graded in it, and the points of
checks that were not run on the grading machine are its ``ungraded_points``, said beside the total
and in no score, mean or failure rate (rows exported before that field are read the same way).

The page holds learners' grades, so by default it never lands where git would track it: beside
the gradebook when that is outside any course, else in the course's self-ignoring ``reports/``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.checking.results import NOT_RUN
from grader.course import find_course_root
from grader.course.wording import count, plural
from grader.errors import UsageError
from grader.instructor.gradebook import atomic_write, load_rows

NO_MATPLOTLIB = (
    "grade report draws its plots with matplotlib, which is not installed: "
    "pip install 'grade[instructor]' (or pip install matplotlib)"
)
NO_JINJA = (
    "grade report lays its page out with jinja2, which is not installed: "
    "pip install 'grade[instructor]' (or pip install jinja2)"
)
NO_ROWS = "{path} has no graded rows yet: run grade batch first"
REPORTS_DIR = "reports"  # inside a course: ignored by git through its own .gitignore
REPORT_NAME = "{stem}.report.html"  # outside any course: beside the gradebook
SELF_IGNORE = "# grade report's pages hold learners' grades: git ignores this whole folder.\n*\n"
SLOWEST = 10
UNGRADED = "{points} ungraded"  # beside an exercise's total: points of checks not run where it was graded
COLOURS = {"bar": "#3b6ea8", "fail": "#c0392b", "misc": "#8e44ad", "ok": "#27ae60"}


@dataclass
class ExerciseStats:
    id: str
    rows: list[dict[str, Any]]
    max_score: float = 0.0  # the points graded
    ungraded_points: float = 0.0  # the points of checks not run where it was graded, in no total
    checks: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (failed, graded)
    misconceptions: Counter[str] = field(default_factory=Counter)

    @property
    def scores(self) -> list[float]:
        return [r["score"] for r in self.rows]


def totals(row: dict[str, Any]) -> tuple[float, float]:
    """A row's (points graded, points ungraded). A row exported before ``ungraded_points`` existed
    counted the checks not run in its ``max_score``: they are taken out of it here."""
    if "ungraded_points" in row:
        return float(row["max_score"]), float(row["ungraded_points"])
    ungraded = sum(float(c.get("max_score", 0.0)) for c in row.get("checks", []) if c.get("status") in NOT_RUN)
    return float(row["max_score"]) - ungraded, ungraded


def _stats(rows: list[dict[str, Any]]) -> list[ExerciseStats]:
    by_ex: dict[str, ExerciseStats] = {}
    for r in rows:
        st = by_ex.setdefault(r["exercise"], ExerciseStats(r["exercise"], []))
        st.rows.append(r)
    for st in by_ex.values():
        # A row that could not be graded knows only the exercise's points, not what ran: the
        # graded rows say the total when there are any.
        graded = [r for r in st.rows if r.get("outcome") != "error"] or st.rows
        st.max_score = max(totals(r)[0] for r in graded)
        st.ungraded_points = max(totals(r)[1] for r in graded)
        for r in st.rows:
            for c in r.get("checks", []):
                if c.get("status") in NOT_RUN:
                    continue  # not run: neither failed nor graded
                failed, graded_n = st.checks.get(c["name"], (0, 0))
                st.checks[c["name"]] = (failed + (c.get("status") != "passed"), graded_n + 1)
                if c.get("misconception") and c.get("status") != "passed":
                    st.misconceptions[c["misconception"]] += 1
    return [by_ex[k] for k in sorted(by_ex)]


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _plots(st: ExerciseStats) -> dict[str, str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError(NO_MATPLOTLIB) from None
    out = {}
    fig, ax = plt.subplots(figsize=(6, 3))
    top = st.max_score or 1
    bins = [i * top / 10 for i in range(11)]
    ax.hist(st.scores, bins=bins, color=COLOURS["bar"], edgecolor="white")
    ax.set_xlabel(f"score (out of {top:g})")
    ax.set_ylabel("learners")
    ax.set_title(f"{st.id}: scores of {count(len(st.rows), 'submission')}")
    out["scores"] = _png(fig)
    if st.checks:
        names = sorted(st.checks, key=lambda n: st.checks[n][0] / max(st.checks[n][1], 1))
        rates = [100 * st.checks[n][0] / max(st.checks[n][1], 1) for n in names]
        fig, ax = plt.subplots(figsize=(7, 0.32 * len(names) + 1))
        ax.barh(names, rates, color=COLOURS["fail"])
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of submissions failing")
        ax.set_title(f"{st.id}: failure rate per check")
        ax.tick_params(axis="y", labelsize=8)
        out["checks"] = _png(fig)
    if st.misconceptions:
        common = st.misconceptions.most_common(8)[::-1]
        fig, ax = plt.subplots(figsize=(7, 0.35 * len(common) + 1))
        ax.barh([n for n, _ in common], [c for _, c in common], color=COLOURS["misc"])
        ax.set_xlabel("failing checks that matched it")
        ax.set_title(f"{st.id}: misconceptions matched")
        out["misconceptions"] = _png(fig)
    return out


TEMPLATE = "report.html"  # grader/instructor/templates/, autoescaped


def _environment() -> Any:
    try:
        import jinja2  # only here: `grade ex01` never pays for it
    except ImportError:
        raise UsageError(NO_JINJA) from None
    return jinja2.Environment(
        loader=jinja2.PackageLoader("grader.instructor", "templates"),
        autoescape=True,  # learners' names, reasons and check names are text, never markup
        keep_trailing_newline=False,
    )


def page_data(document: dict[str, Any], rows: list[dict[str, Any]], *, source: str = "") -> dict[str, Any]:
    """What the page shows, computed and formatted here; the template only lays it out."""
    stats = _stats(rows)
    learners = sorted({r["learner"] for r in rows})
    cards = []
    for st in stats:
        scores = st.scores
        full = sum(1 for r in st.rows if r.get("outcome") == "full")
        cards.append({
            "id": st.id, "mean": f"{statistics.mean(scores):.1f}", "max": f"{st.max_score:g}",
            "median": f"{statistics.median(scores):g}", "full": f"{100 * full / len(scores):.0f}",
            "ungraded": UNGRADED.format(points=count(st.ungraded_points, "point")) if st.ungraded_points else "",
        })
    exercises = []
    for st in stats:
        outcomes = Counter(r.get("outcome", "") for r in st.rows)
        ordered = sorted(st.checks.items(), key=lambda kv: -kv[1][0] / max(kv[1][1], 1))
        learners_with: Counter[str] = Counter()
        for r in st.rows:
            for name in {c["misconception"] for c in r.get("checks", []) if c.get("misconception") and c.get("status") != "passed"}:
                learners_with[name] += 1
        exercises.append({
            "id": st.id,
            "plots": _plots(st),
            "outcomes": " · ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())),
            "checks": [[n, f, g, f"{100 * f / max(g, 1):.0f}%"] for n, (f, g) in ordered],
            "misconceptions": [[n, learners_with[n], c] for n, c in st.misconceptions.most_common()],
        })
    slow = sorted(rows, key=lambda r: -float(r.get("seconds", 0)))[:SLOWEST]
    return {
        "course": document.get("course") or "",
        "learners": count(len(learners), "learner"),
        "submissions": f"{len(rows)} graded {plural(len(rows), 'submission')}",
        "source": source,
        "when": _dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "cards": cards,
        "exercises": exercises,
        "slowest": [
            [r["learner"], r["exercise"], f"{float(r.get('seconds', 0)):.2f}", f"{r['score']:g}/{totals(r)[0]:g}",
             r.get("reason", "")[:160]]
            for r in slow
        ],
        "not_graded": [[r["learner"], r["exercise"], r.get("reason", "")[:300]] for r in rows if r.get("outcome") == "error"],
        "similar": [[s["exercise"], s["a"], s["b"], f"{100 * s['ratio']:.0f}%"] for s in document.get("similarity", [])],
    }


def render(document: dict[str, Any], rows: list[dict[str, Any]], *, source: str = "") -> str:
    return _environment().get_template(TEMPLATE).render(page_data(document, rows, source=source))


@dataclass(frozen=True)
class Written:
    """Where ``grade report`` put the page, and why there."""

    path: Path
    plots: int
    ignored_folder: Path | None = None  # the course's reports/ folder (ignored by git), when the page went there


def default_output(grades: Path) -> tuple[Path, Path | None]:
    """Where the page goes without ``--html``: never into a course tree where git would track it.

    Beside the gradebook when that lies outside any course; inside a course, into its
    ``reports/`` folder, which ignores itself (its own ``.gitignore``), whatever the course's says.
    """
    grades = grades.resolve()
    try:
        root = find_course_root(grades.parent)
    except UsageError:
        return grades.parent / REPORT_NAME.format(stem=grades.stem), None
    folder = root / REPORTS_DIR
    return folder / f"{grades.stem}.html", folder


def _ignore_itself(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / ".gitignore"
    if not marker.exists():
        marker.write_text(SELF_IGNORE, encoding="utf-8")


def write_report(grades: Path, out: Path | None = None) -> Written:
    """Write the page for ``grades`` (JSON export or .sqlite) to ``out`` (default: :func:`default_output`)."""
    document = load_rows(grades)
    rows = document.get("rows", [])
    if not rows:
        raise UsageError(NO_ROWS.format(path=grades))
    page = render(document, rows, source=grades.name)
    ignored = None
    if out is None:
        out, ignored = default_output(grades)
        if ignored is not None:
            _ignore_itself(ignored)
    atomic_write(out, page)
    return Written(out.resolve(), page.count("<img "), ignored)
