"""The ``grade`` command: a thin click group, one module per subcommand.

``grade ex07`` is short for ``grade check ex07``: any first word that is not a
subcommand is taken as an exercise name, except a word close to a subcommand's name
that names no exercise of the course (``grade hnt``): that one gets "did you mean".
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from grader.errors import EXIT_INTERNAL, GradeError, UsageError

# Subcommand modules, imported only when their command runs: `grade ex01` must start fast.
LAZY_COMMANDS = {
    "check": "check", "verify": "verify", "list": "listing", "hint": "hint", "watch": "watch",
    "reset": "reset", "solution": "solution", "drill": "drill", "all": "grade_all",
    "new": "new", "publish": "publish", "batch": "batch", "report": "report", "review": "review",
    "init": "init",
    "serve": "serve", "roster": "roster",
    "login": "login",
}

# A first word that is no command and no exercise, but close to a command: most likely a typo.
UNKNOWN_COMMAND = "unknown command '{word}': did you mean 'grade {command}'?"
NOT_A_COMMAND_EITHER = "'{word}' is not a command either: grade --help lists them."
THIS_COURSE = "This course: {title} ({exercises}), in {root}."
_IMPLICIT_WORD = "grade.implicit_exercise_word"  # ctx.meta key: the word taken as an exercise name


class ExerciseFirstGroup(click.Group):
    """A group where an unknown first word means ``check WORD``, with lazily imported commands."""

    default_command = "check"

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in LAZY_COMMANDS:
            import importlib

            module = importlib.import_module(f"{__name__}.{LAZY_COMMANDS[name]}")
            self.add_command(module.command, name)
        return self.commands.get(name)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[Any, Any, list[str]]:
        if args and args[0] not in self.list_commands(ctx) and not args[0].startswith("-"):
            import difflib

            close = difflib.get_close_matches(args[0].lower(), self.list_commands(ctx), n=1)
            # Only a word close to a command costs a look at the course: `grade ex07` stays fast.
            if close and not _is_exercise(ctx, args[0]):
                raise UsageError(UNKNOWN_COMMAND.format(word=args[0], command=close[0]))
            ctx.meta[_IMPLICIT_WORD] = args[0]
            args = [self.default_command, *args]
        return super().resolve_command(ctx, args)

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_help_text(ctx, formatter)
        about = _this_course(ctx)
        if about:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(about)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage("grade", "[--course DIR] EXERCISE [OPTIONS] | COMMAND [ARGS]...")

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GradeError as exc:
            from grader.course import NoSuchExercise

            message = str(exc)
            word = ctx.meta.get(_IMPLICIT_WORD)
            if isinstance(exc, NoSuchExercise) and word is not None and exc.name == word:
                message += "\n  " + NOT_A_COMMAND_EITHER.format(word=word)
            click.echo(click.style("error: ", fg="red", bold=True) + message, err=True)
            ctx.exit(exc.exit_code)


def _is_exercise(ctx: click.Context, word: str) -> bool:
    """Whether ``word`` names an exercise of this invocation's course (a broken course: let check say so)."""
    from grader.course import NoSuchExercise, find_course_root, load_course

    try:
        root = find_course_root(ctx.params.get("course_dir"))
    except UsageError:
        return False
    try:
        load_course(root).resolve(word)
    except NoSuchExercise:
        return False
    except GradeError:
        return True
    return True


def _this_course(ctx: click.Context) -> str:
    """A line about the course ``grade`` runs in, for the help page; empty outside any course."""
    from grader.course import find_course_root, load_course
    from grader.course.wording import count

    try:
        course = load_course(find_course_root(ctx.params.get("course_dir")))
    except GradeError:
        return ""
    return THIS_COURSE.format(title=course.title, exercises=count(len(course.exercises), "exercise"), root=course.root)


@click.group(cls=ExerciseFirstGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--course",
    "course_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="GRADE_COURSE",
    is_eager=True,  # read before --help, which names the course it describes
    help="The course folder (holding course.yaml). Default: the nearest one at or above the current folder.",
)
@click.version_option(package_name="grade", prog_name="grade", message="%(prog)s %(version)s")
@click.pass_context
def main(ctx: click.Context, course_dir: Path | None) -> None:
    """Grade the exercises of a course and learn from the feedback.

    \b
    Learners:     grade ex01          grade one exercise (also: grade 1, or a word of its title)
                  grade ex01 --seed N replay a run exactly
    Instructors:  grade init DIR      start a new course in DIR
                  grade new ex01      add an exercise (a small working one to rewrite)
                  grade verify        prove every reference, stub and misconception

    Exit status: 0 full marks, 1 not yet, 2 usage error, 3 broken course file, 4 grader error.
    """
    ctx.ensure_object(dict)
    ctx.obj["course_dir"] = course_dir
    if ctx.invoked_subcommand is None:
        from grader.cli.listing import default

        default(ctx)


def load(ctx: click.Context) -> Any:
    """The course for this invocation (found like git finds a repository)."""
    from grader.course import find_course_root, load_course

    course_dir = ctx.find_root().obj.get("course_dir")
    root = find_course_root(course_dir)
    return load_course(root)


def all_commands() -> dict[str, click.Command]:
    """Every subcommand, imported (for help listings and tests)."""
    ctx = click.Context(main)
    return {name: cmd for name in main.list_commands(ctx) if (cmd := main.get_command(ctx, name)) is not None}


# Set by a command whose work is all done and saved when it returns (`grade ex07`): the
# console entry point may then leave without the interpreter's teardown, which with numpy
# and pytest loaded costs ~0.1 s, a fifth of a grading.
FAST_EXIT: list[bool] = []


def _fast_exit(code: int) -> None:
    from grader.sandbox import shutdown_now

    sys.stdout.flush()
    sys.stderr.flush()
    shutdown_now()
    os._exit(code)


def run() -> None:
    try:
        main(prog_name="grade")
    except SystemExit as exc:
        if FAST_EXIT:
            _fast_exit(exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1))
        raise
    except GradeError as exc:  # raised outside a command's invoke
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug in the grader: say so plainly, never a bare traceback
        import traceback

        click.echo("grade hit an internal error; please report it with the lines below.", err=True)
        traceback.print_exception(exc)
        sys.exit(EXIT_INTERNAL)
