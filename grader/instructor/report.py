"""``grade report``: one self-contained HTML page about a class's gradebook.

Per exercise: the distribution of scores, the failure rate of each check, the misconceptions
matched most often; then the slowest submissions, the ones that could not be graded, and the
pairs flagged as near-identical. Plots are drawn with matplotlib (Agg, no display needed) and
embedded as base64 PNG data URIs, so the page is one file that opens anywhere, offline.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import UsageError
from grader.instructor.gradebook import atomic_write, load_rows

NO_MATPLOTLIB = (
    "grade report draws its plots with matplotlib, which is not installed: "
    "pip install 'grade[instructor]' (or pip install matplotlib)"
)
NO_ROWS = "{path} has no graded rows yet: run grade batch first"
SLOWEST = 10
COLOURS = {"bar": "#3b6ea8", "fail": "#c0392b", "misc": "#8e44ad", "ok": "#27ae60"}


@dataclass
class ExerciseStats:
    id: str
    rows: list[dict[str, Any]]
    max_score: float = 0.0
    checks: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (failed, graded)
    misconceptions: Counter[str] = field(default_factory=Counter)

    @property
    def scores(self) -> list[float]:
        return [r["score"] for r in self.rows]


def _stats(rows: list[dict[str, Any]]) -> list[ExerciseStats]:
    by_ex: dict[str, ExerciseStats] = {}
    for r in rows:
        st = by_ex.setdefault(r["exercise"], ExerciseStats(r["exercise"], []))
        st.rows.append(r)
        st.max_score = max(st.max_score, float(r["max_score"]))
        for c in r.get("checks", []):
            failed, graded = st.checks.get(c["name"], (0, 0))
            st.checks[c["name"]] = (failed + (c.get("status") != "passed"), graded + 1)
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
    ax.set_title(f"{st.id}: scores of {len(st.rows)} submissions")
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


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1000px; color: #222; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } .muted { color: #666; }
table { border-collapse: collapse; margin: 0.6rem 0 1.4rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; display: block; margin: 0.6rem 0; }
section { border-top: 2px solid #3b6ea8; margin-top: 2rem; padding-top: 0.5rem; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; } .card { background: #f4f7fb; padding: 0.6rem 1rem; border-radius: 6px; }
.card b { display: block; font-size: 1.4rem; }
"""

# Marks the page once its images have decoded (a check a browser can do and a person can read).
SCRIPT = """
window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute('data-images', ok + '/' + imgs.length);
  if (ok < imgs.length) { document.getElementById('broken').textContent = (imgs.length - ok) + ' plot(s) failed to load.'; }
});
"""


def _table(head: list[str], rows: list[list[Any]], numeric: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    out = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for r in rows:
        cells = "".join(
            f"<td class='num'>{html.escape(str(v))}</td>" if i in numeric else f"<td>{html.escape(str(v))}</td>" for i, v in enumerate(r)
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</table>")
    return "\n".join(out)


def render(document: dict[str, Any], rows: list[dict[str, Any]], *, source: str = "") -> str:
    stats = _stats(rows)
    learners = sorted({r["learner"] for r in rows})
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(document.get('course') or 'grade')} · class report</title>",
        f"<style>{STYLE}</style><script>{SCRIPT}</script></head><body>",
        f"<h1>{html.escape(document.get('course') or 'Class report')}</h1>",
        f"<p class='muted'>{len(learners)} learners · {len(rows)} graded submissions · from {html.escape(source)} · "
        f"{_dt.datetime.now().strftime('%Y-%m-%d %H:%M')}</p><p id='broken'></p>",
        "<div class='cards'>",
    ]
    for st in stats:
        scores = st.scores
        full = sum(1 for r in st.rows if r.get("outcome") == "full")
        parts.append(
            f"<div class='card'>{html.escape(st.id)}<b>{statistics.mean(scores):.1f} / {st.max_score:g}</b>"
            f"mean · median {statistics.median(scores):g} · {100 * full / len(scores):.0f}% full marks</div>"
        )
    parts.append("</div>")
    for st in stats:
        plots = _plots(st)
        parts.append(f"<section><h2>{html.escape(st.id)}</h2>")
        outcomes = Counter(r.get("outcome", "") for r in st.rows)
        parts.append("<p>" + " · ".join(f"{html.escape(k)}: {v}" for k, v in sorted(outcomes.items())) + "</p>")
        parts.append(f"<h3>Score distribution</h3><img alt='score distribution of {html.escape(st.id)}' src='{plots['scores']}'>")
        if "checks" in plots:
            parts.append(f"<h3>Failure rate per check</h3><img alt='failure rate per check of {html.escape(st.id)}' src='{plots['checks']}'>")
            ordered = sorted(st.checks.items(), key=lambda kv: -kv[1][0] / max(kv[1][1], 1))
            parts.append(_table(["check", "failed", "of", "rate"], [[n, f, g, f"{100 * f / max(g, 1):.0f}%"] for n, (f, g) in ordered], {1, 2, 3}))
        parts.append("<h3>Misconceptions most often matched</h3>")
        if st.misconceptions:
            parts.append(f"<img alt='misconceptions of {html.escape(st.id)}' src='{plots['misconceptions']}'>")
            learners_with: Counter[str] = Counter()
            for r in st.rows:
                for name in {c["misconception"] for c in r.get("checks", []) if c.get("misconception") and c.get("status") != "passed"}:
                    learners_with[name] += 1
            parts.append(_table(["misconception", "learners", "failing checks"], [[n, learners_with[n], c] for n, c in st.misconceptions.most_common()], {1, 2}))
        else:
            parts.append("<p class='muted'>none matched</p>")
        parts.append("</section>")
    slow = sorted(rows, key=lambda r: -float(r.get("seconds", 0)))[:SLOWEST]
    parts.append("<section><h2>Slowest submissions</h2>")
    parts.append(_table(["learner", "exercise", "seconds", "score", "reason"], [
        [r["learner"], r["exercise"], f"{float(r.get('seconds', 0)):.2f}", f"{r['score']:g}/{r['max_score']:g}", r.get("reason", "")[:160]] for r in slow
    ], {2, 3}))
    errors = [r for r in rows if r.get("outcome") == "error"]
    parts.append("<h2>Not graded</h2>")
    parts.append(_table(["learner", "exercise", "reason"], [[r["learner"], r["exercise"], r.get("reason", "")[:300]] for r in errors]) if errors else "<p class='muted'>every submission was graded</p>")
    sims = document.get("similarity", [])
    parts.append("<h2>Near-identical submissions (for review)</h2>")
    parts.append(_table(["exercise", "learner", "learner", "similarity"], [[s["exercise"], s["a"], s["b"], f"{100 * s['ratio']:.0f}%"] for s in sims], {3}) if sims else "<p class='muted'>none flagged</p>")
    parts.append("</section></body></html>")
    return "\n".join(parts)


def write_report(grades: Path, out: Path) -> int:
    """Write the page for ``grades`` (JSON export or .sqlite) to ``out``; returns the number of plots."""
    document = load_rows(grades)
    rows = document.get("rows", [])
    if not rows:
        raise UsageError(NO_ROWS.format(path=grades))
    page = render(document, rows, source=grades.name)
    atomic_write(out, page)
    return page.count("<img ")
