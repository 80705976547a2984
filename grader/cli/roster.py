"""``grade roster add NAME | import FILE | list | revoke NAME``: who may submit to grade serve."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click

ACTIONS = ("add", "import", "list", "revoke")
NEEDS_NAME = "grade roster {action} needs a NAME"
NEEDS_FILE = "grade roster import needs a FILE: a CSV with a 'name' column, or one name per line"
TAKES_NOTHING = "grade roster list takes no NAME"
ISSUED = "token for {name} ({role}), shown once and stored nowhere: give it to them; they run grade login with it"
IMPORTED = "{issued} issued (name,token on standard output, shown once: save it now){skipped}"
SKIPPED = "; {n} already holding a working token, skipped: {names}"
REVOKED = "{name}'s token no longer works"
EMPTY = "nobody is on the roster yet: grade roster add NAME issues a token"
WROTE = "wrote {path} (readable by you only)"
OUT_EXISTS = "{path} already exists: give --out a new file (no token was issued)"


@click.command("roster")
@click.argument("action", type=click.Choice(ACTIONS))
@click.argument("target", required=False)
@click.option("--instructor", is_flag=True, help="With add or import: an instructor's token (sees every check and every learner).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="With import: write name,token to this file (created readable by you only) instead of standard output.")
@click.option("--state", type=click.Path(file_okay=False, path_type=Path),
              help="grade serve's state folder. Default: COURSE/.grade-serve")
@click.pass_context
def command(ctx: click.Context, action: str, target: str | None, instructor: bool, out: Path | None, state: Path | None) -> None:
    """Manage the tokens of grade serve: one per learner, random, shown once, kept only as a hash.

    \b
    grade roster add NAME            issue NAME a token (printed alone on standard output)
    grade roster add NAME --instructor
    grade roster import roster.csv   a token for each name (a 'name' column, or one per line)
    grade roster list                who is on the roster, and whose token was revoked
    grade roster revoke NAME         NAME's token stops working at once
    """
    from grader.cli import load
    from grader.instructor.serve.roster import INSTRUCTOR, LEARNER, course_roster, names_from_csv

    course = load(ctx)
    roster = course_roster(course.root, state)
    role = INSTRUCTOR if instructor else LEARNER
    if action == "list":
        if target:
            raise click.UsageError(TAKES_NOTHING)
        members = roster.members()
        if not members:
            click.echo(EMPTY)
        for m in members:
            said = f"revoked {m.revoked}" if m.revoked else "active"
            click.echo(f"{m.name}\t{m.role}\tsince {m.created}\t{said}")
        return
    if not target:
        raise click.UsageError(NEEDS_FILE if action == "import" else NEEDS_NAME.format(action=action))
    if action == "add":
        token = roster.add(target, role=role)
        click.echo(ISSUED.format(name=target, role=role), err=True)
        click.echo(token)  # alone on standard output: TOKEN=$(grade roster add NAME)
    elif action == "revoke":
        roster.revoke(target)
        click.echo(REVOKED.format(name=target))
    else:
        if out is not None and out.exists():  # before any token is issued: a token not written down is lost
            raise click.UsageError(OUT_EXISTS.format(path=out))
        issued, skipped = roster.add_many(names_from_csv(Path(target)), role=role)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["name", "token"])
        writer.writerows(issued)
        if out is not None:
            out.touch(mode=0o600, exist_ok=False)
            out.write_text(buffer.getvalue(), encoding="utf-8")
            click.echo(WROTE.format(path=out), err=True)
        else:
            click.echo(buffer.getvalue(), nl=False)
        more = SKIPPED.format(n=len(skipped), names=", ".join(skipped)) if skipped else ""
        click.echo(IMPORTED.format(issued=f"{len(issued)} {'token' if len(issued) == 1 else 'tokens'}", skipped=more), err=True)
