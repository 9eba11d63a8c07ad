"""The `openedx-deploy` command: global options, the command groups, and the one place errors are printed."""

from __future__ import annotations

import click

from . import __version__
from .commands import environment, lifecycle, releases
from .context import AppContext, resolve_workdir
from .errors import DeployError, SpecError
from .output import Output


class DeployGroup(click.Group):
    """Catches the domain error once, for every command: `Error: ...` on stderr, the error's exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except DeployError as error:
            _report(error, ctx.obj if isinstance(ctx.obj, AppContext) else None)
            ctx.exit(error.exit_code)


@click.group(cls=DeployGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="openedx-deploy")
@click.option(
    "--workdir",
    envvar="OPENEDX_DEPLOY_HOME",
    type=click.Path(file_okay=False),
    default=None,
    help="working directory holding environments/ (env OPENEDX_DEPLOY_HOME; default: current directory)",
)
@click.option(
    "--output",
    "output_mode",
    type=click.Choice(["text", "json"]),
    default="text",
    envvar="OPENEDX_DEPLOY_OUTPUT",
    show_default=True,
    help="text for people, json for pipelines (one document on stdout)",
)
@click.option("--yes", "-y", is_flag=True, envvar="OPENEDX_DEPLOY_YES", help="never prompt; answer yes (for CI)")
@click.option("-v", "--verbose", count=True, help="more detail on stderr")
@click.pass_context
def cli(ctx: click.Context, workdir: str | None, output_mode: str, yes: bool, verbose: int) -> None:
    """Deploy the Open edX platform to AWS, GCP, Azure or local podman hosts from one environment file."""
    ctx.obj = AppContext(workdir=resolve_workdir(workdir), out=Output(mode=output_mode, verbose=verbose), yes=yes)


for module in (environment, releases, lifecycle):
    for command in module.COMMANDS:
        cli.add_command(command)


def _report(error: DeployError, app: AppContext | None) -> None:
    out = app.out if app else Output()
    problems = error.problems if isinstance(error, SpecError) else []
    if out.json:
        out.result(
            {
                "ok": False,
                "error": str(error),
                "problems": [{"field": p.field, "message": p.message} for p in problems],
            }
        )
    click.echo(f"Error: {error}", err=True)
    for problem in problems:
        click.echo(f"  {problem.field}: {problem.message}", err=True)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="openedx-deploy")
