"""The `openedx-deploy` command: global options, the command groups, and the one place errors are printed.

Global options are accepted before or after the subcommand (`openedx-deploy --yes up -e demo` and
`openedx-deploy up -e demo --yes` mean the same). Precedence: a flag on the command line (after the subcommand wins
over before it) > its environment variable > the default.

Startup stays fast (`--help`, `--version`, shell completion): the command modules import the heavy libraries
(pydantic, Ansible, Jinja, the cloud SDKs, rich) inside the commands, not at import time.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

import click
from click.core import ParameterSource

from . import __version__
from .commands import capacity, environment, lifecycle, releases
from .context import AppContext, resolve_workdir
from .errors import Declined, DeployError, SpecError, UsageError
from .output import Output

if TYPE_CHECKING:
    from .commands.documents import ErrorDocument, ErrorKind, Problem

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C
INTERRUPTED = "interrupted; run the same command again to resume"
ABORTED = "aborted at a prompt, nothing was done (--yes answers yes, for pipelines)"
OUTPUT_ENV = "OPENEDX_DEPLOY_OUTPUT"
META_PREFIX = "openedx_deploy."


def _global_options(on_subcommand: bool) -> list[click.Option]:
    """The options every command takes, before or after the subcommand: the same names, types, environment
    variables and help in both places. After the subcommand only a value typed on the command line counts (the
    environment variable was already read before it), and it replaces the one given before."""
    extra: dict[str, Any] = {"expose_value": False, "callback": _override} if on_subcommand else {}
    return [
        click.Option(
            ["--workdir"],
            envvar="OPENEDX_DEPLOY_HOME",
            show_envvar=True,
            type=click.Path(file_okay=False),
            metavar="DIR",
            help="working directory holding environments/ (default: the current directory)",
            **extra,
        ),
        click.Option(
            ["--output", "output_mode"],
            type=click.Choice(["text", "json"]),
            default="text",
            envvar=OUTPUT_ENV,
            show_envvar=True,
            show_default=True,
            help="text for people; json for pipelines: one document on stdout, prompts and progress on stderr",
            **extra,
        ),
        click.Option(
            ["--yes", "-y"],
            is_flag=True,
            envvar="OPENEDX_DEPLOY_YES",
            show_envvar=True,
            help="never prompt; answer yes (for CI)",
            **extra,
        ),
        click.Option(
            ["-v", "--verbose"],
            count=True,
            envvar="OPENEDX_DEPLOY_VERBOSE",
            show_envvar=True,
            help=(
                "more detail (repeat for more): -v lists the files written on stderr, runs ansible-playbook -v and "
                "Terraform with TF_LOG=INFO; -vv: ansible-playbook -vv, TF_LOG=DEBUG; -vvv, -vvvv: Ansible's "
                "connection detail. Ansible's and Terraform's output goes to build/NAME/logs/ (secrets redacted), "
                "not the terminal"
            ),
            **extra,
        ),
    ]


def _override(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A global option given after the subcommand: it replaces the value the group resolved."""
    assert param.name is not None
    if ctx.get_parameter_source(param.name) is not ParameterSource.COMMANDLINE:
        return value
    ctx.meta[META_PREFIX + param.name] = value  # shell completion reads it: no AppContext exists then
    app = ctx.find_object(AppContext)
    if app is None:
        return value
    if param.name == "workdir":
        app.workdir = resolve_workdir(value)
    elif param.name == "output_mode":
        app.out.mode = value
    elif param.name == "yes":
        app.yes = bool(value)
    elif param.name == "verbose":
        root = ctx.find_root()
        given_before = root.get_parameter_source("verbose") is ParameterSource.COMMANDLINE
        app.out.verbose = (root.params.get("verbose", 0) if given_before else 0) + value
    return value


class DeployGroup(click.Group):
    """Adds the global options to every subcommand, and prints every failure once: `Error: ...` on stderr (with
    `--output json`, also the error document on stdout) and the exit code of its kind."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        cmd.params.extend(_global_options(on_subcommand=True))
        super().add_command(cmd, name)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode:
            return super().main(argv, prog_name, complete_var, standalone_mode, **extra)
        with _terminate_interrupts():
            try:
                code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
            except DeployError as error:
                source = error.source if isinstance(error, SpecError) else None
                _fail(argv, self, _error_kind(error), str(error), _problems(error), error.exit_code, source)
            except click.ClickException as error:
                _fail_click(argv, self, error)
            except click.Abort as error:
                if isinstance(error.__cause__, KeyboardInterrupt):
                    _fail(argv, self, "interrupted", INTERRUPTED, [], EXIT_INTERRUPTED)
                _fail(argv, self, "aborted", ABORTED, [], 1)
            except KeyboardInterrupt:
                _fail(argv, self, "interrupted", INTERRUPTED, [], EXIT_INTERRUPTED)
        sys.exit(code if isinstance(code, int) else 0)


@contextmanager
def _terminate_interrupts() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, `kill`) stops a run as Ctrl-C does: reported as an interruption, not a silent
    death, so the pipeline's log says to run the command again."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.group(
    cls=DeployGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
    epilog=(
        "Global options (--workdir, --output, --yes, -v) go before or after the command. "
        'Shell completion: see the README (eval "$(_OPENEDX_DEPLOY_COMPLETE=bash_source openedx-deploy)").'
    ),
)
@click.version_option(__version__, prog_name="openedx-deploy")
@click.pass_context
def cli(ctx: click.Context, workdir: str | None, output_mode: str, yes: bool, verbose: int) -> None:
    """Deploy the Open edX platform to AWS, GCP, Azure or local podman hosts from one environment file.

    \b
    Examples:
      openedx-deploy init demo --cloud local
      openedx-deploy up -e demo --yes
      openedx-deploy status -e demo --output json
    """
    ctx.obj = AppContext(workdir=resolve_workdir(workdir), out=Output(mode=output_mode, verbose=verbose), yes=yes)


cli.params.extend(_global_options(on_subcommand=False))

for module in (environment, releases, lifecycle, capacity):
    for command in module.COMMANDS:
        cli.add_command(command)


# --- failures ----------------------------------------------------------------------------------------------------


def _option_value(argv: Sequence[str], names: Sequence[str]) -> str | None:
    """The last value given on the command line for an option (`--output json` or `--output=json`)."""
    value = None
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        for name in names:
            if arg == name and index + 1 < len(argv):
                value = argv[index + 1]
            elif arg.startswith(name + "="):
                value = arg.partition("=")[2]
    return value


def _json_wanted(argv: Sequence[str]) -> bool:
    """Whether the failure is reported as JSON: the command line decides (where the option did not get parsed, a
    usage error before it), then the environment variable."""
    return (_option_value(argv, ["--output"]) or os.environ.get(OUTPUT_ENV, "text")) == "json"


def _command_name(argv: Sequence[str], group: click.Group) -> str | None:
    """The subcommand the command line names, if it names one that exists."""
    takes_value = {"--workdir", "--output"}
    skip = False
    for token in argv:
        if skip:
            skip = False
            continue
        if token in takes_value:
            skip = True
        elif not token.startswith("-"):
            return token if token in group.commands else None
    return None


def _error_kind(error: DeployError) -> ErrorKind:
    from .preflight import PreflightError

    if isinstance(error, SpecError):
        return "spec"
    if isinstance(error, PreflightError):
        return "preflight"
    if isinstance(error, UsageError):
        return "usage"
    if isinstance(error, Declined):
        return "aborted"
    return "failure"


def _problems(error: DeployError) -> list[Problem]:
    from .commands.documents import Problem
    from .preflight import PreflightError

    if isinstance(error, SpecError):
        return [Problem(field=p.field, message=p.message, line=p.line, column=p.column) for p in error.problems]
    if isinstance(error, PreflightError):
        return [Problem(field=check.name, message=check.detail) for check in error.report.failures]
    return []


def _fail_click(argv: Sequence[str], group: click.Group, error: click.ClickException) -> NoReturn:
    """A usage error click found (unknown option, missing or bad value): click's own report for people, the
    error document for pipelines."""
    from .commands.documents import Problem

    if not _json_wanted(argv):
        error.show()
        sys.exit(error.exit_code)
    where: str | None = None
    if isinstance(error, click.NoSuchOption):
        where = error.option_name
    elif isinstance(error, click.BadParameter | click.MissingParameter) and error.param is not None:
        where = "/".join(error.param.opts) if isinstance(error.param, click.Option) else error.param.human_readable_name
    message = error.format_message()
    _fail(argv, group, "usage", message, [Problem(field=where, message=message)], error.exit_code)


def _fail(
    argv: Sequence[str],
    group: click.Group,
    kind: ErrorKind,
    message: str,
    problems: list[Problem],
    exit_code: int,
    source: str | None = None,
) -> NoReturn:
    if _json_wanted(argv):
        document = _error_document(_command_name(argv, group), kind, message, problems, exit_code)
        Output(mode="json").result(document)
    click.echo(f"Error: {message}", err=True)
    for problem in problems:
        if problem.field and kind == "spec":  # the other kinds' messages already name each problem
            click.echo(f"  {_where(source, problem)}{problem.field}: {problem.message}", err=True)
    sys.exit(exit_code)


def _where(source: str | None, problem: Problem) -> str:
    """`FILE:LINE:COLUMN: ` as compilers print it (editors and terminals jump there), the file relative to the
    current directory when it is under it; empty when the problem has no place in a file."""
    if source is None or problem.line is None:
        return ""
    path = Path(source)
    try:
        here = Path.cwd()
    except OSError:  # the current directory was removed
        here = None
    if here is not None and path.is_absolute() and path.is_relative_to(here):
        path = path.relative_to(here)
    return f"{path}:{problem.line}:{problem.column}: "


def _error_document(
    command: str | None, kind: ErrorKind, message: str, problems: list[Problem], exit_code: int
) -> ErrorDocument:
    from .commands.documents import ErrorDocument

    return ErrorDocument(command=command, kind=kind, message=message, problems=problems, exit_code=exit_code)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="openedx-deploy")
