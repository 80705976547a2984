"""``grade login``: keep the token the course's grading service knows you by (``--forget``: drop it)."""

from __future__ import annotations

import click

from grader.errors import UsageError

NO_SERVER = (
    "this course has no grading service (course.yaml names no server:), so there is nothing to log in to: "
    "grade EXERCISE grades on this machine"
)
PROMPT = "Token for {server} (from your instructor; it is not shown as you type)"
LOGGED_IN = "Logged in to {server} as {name}. Your token is kept in {path}, readable by you only."
INSTRUCTOR = "This token is an instructor's: grade EXERCISE hands in as {name}."
ENV_WINS = "Note: {env} is set in this shell, and grade uses it instead of the kept token."
FORGOTTEN = "Forgot your token for {server}: grade EXERCISE now grades on this machine only, until grade login."
NOTHING_TO_FORGET = "No token kept for {server}."


@click.command("login")
@click.option("--token", help="The token (by default you are asked for it, without it being shown).")
@click.option("--forget", is_flag=True, help="Remove the kept token of this course's server instead (log out).")
@click.pass_context
def command(ctx: click.Context, token: str | None, forget: bool) -> None:
    """Log in to the course's grading service with the token your instructor gave you.

    The token is checked with the server, then kept in your configuration folder
    ($XDG_CONFIG_HOME/grade/tokens.json, readable by you only); GRADE_TOKEN, when set,
    is used instead. grade EXERCISE then hands in to the server and prints its card.
    """
    from grader.cli import load
    from grader.learner import remote

    course = load(ctx)
    if not course.server:
        raise UsageError(NO_SERVER)
    host = remote.host_of(course.server)
    if forget:
        gone = remote.forget_token(course.server)
        click.echo((FORGOTTEN if gone else NOTHING_TO_FORGET).format(server=host))
        return
    if token is None:
        token = click.prompt(PROMPT.format(server=host), hide_input=True)
    who, path = remote.login(course.server, token)  # a refused token: a RemoteError, and nothing kept
    click.echo(click.style(LOGGED_IN.format(server=host, name=who.name, path=path), fg="green"))
    if who.instructor:
        click.echo(INSTRUCTOR.format(name=who.name))
    if remote.env_token():
        click.echo(ENV_WINS.format(env=remote.TOKEN_ENV))
