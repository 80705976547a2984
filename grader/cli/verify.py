"""``grade verify [EXERCISE...]``: prove every exercise's checks (for instructors and CI)."""

from __future__ import annotations

import json

import click

from grader.course.wording import count, plural

FAILED = "verify failed for {ids}"
ALL_VERIFIED = "all {n} exercises verified"
ONE_VERIFIED = "1 exercise verified"
NOTHING_TO_VERIFY = "no exercises to verify yet: grade new adds one"

@click.command("verify")
@click.argument("exercises", nargs=-1)
@click.option("--seeds", "n_seeds", type=click.IntRange(1, 50), default=3, show_default=True, help="How many seeds to grade the reference with.")
@click.option("--random-seeds", is_flag=True, help="Draw fresh seeds instead of the fixed 1, 2, 3... (they are printed).")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Print every finding, not only the failures.")
@click.pass_context
def command(ctx: click.Context, exercises: tuple[str, ...], n_seeds: int, random_seeds: bool, as_json: bool, verbose: bool) -> None:
    """Prove each exercise (all of them by default): the reference earns full marks on
    several seeds, the stub earns zero, every misconception loses marks and is
    recognised, points add up, hints exist, and no stray files.

    Exits 0 when everything holds, 1 otherwise.
    """
    from grader.cli import load
    from grader.instructor.verify import choose_seeds, verify_exercise

    course = load(ctx)
    targets = [course.resolve(n) for n in exercises] if exercises else list(course.exercises)
    course.require_learner_files(targets)  # a learner may lack a stub; the instructor's tree may not
    seeds = choose_seeds(n_seeds, fresh=random_seeds)
    reports = []
    for ex in targets:
        if not as_json:
            click.echo(click.style(f"{ex.id} · {ex.title}", bold=True) + click.style(f"  (seeds {', '.join(map(str, seeds))})", dim=True))

        def show(finding, _quiet=as_json) -> None:
            if _quiet or (finding.ok and not verbose):
                return
            mark = click.style("✓", fg="green") if finding.ok else click.style("✗", fg="red")
            click.echo(f"  {mark} {finding.what}")
            if not finding.ok and finding.detail:
                for line in finding.detail.splitlines()[:60]:
                    click.echo("      " + line)

        report = verify_exercise(ex, seeds=seeds, progress=show)
        reports.append(report)
        if not as_json:
            verdict = click.style("ok", fg="green") if report.ok else click.style("FAILED", fg="red", bold=True)
            held = sum(f.ok for f in report.findings)
            click.echo(f"  {verdict} ({held}/{count(len(report.findings), 'finding')} {plural(held, 'holds', 'hold')})")
    if as_json:
        click.echo(json.dumps([
            {"exercise": r.exercise.id, "ok": r.ok, "findings": [f.__dict__ for f in r.findings]} for r in reports
        ], indent=2))
    bad = [r.exercise.id for r in reports if not r.ok]
    if not as_json:
        if bad:
            click.echo(click.style(FAILED.format(ids=", ".join(bad)), fg="red"))
        else:
            done = ALL_VERIFIED if len(reports) > 1 else (ONE_VERIFIED if reports else NOTHING_TO_VERIFY)
            click.echo(click.style(done.format(n=len(reports)), fg="green"))
    ctx.exit(1 if bad else 0)
