"""The state every command shares: the working directory, output mode, and prompt policy."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.shell_completion import CompletionItem

from .output import Output
from .paths import Workdir

if TYPE_CHECKING:
    from .spec import EnvironmentSpec


@dataclass
class AppContext:
    workdir: Workdir
    out: Output
    yes: bool = False

    def load(self, name: str) -> EnvironmentSpec:
        from .spec import load_spec  # pydantic and the release catalog: not needed for --help

        return load_spec(self.workdir.environment_file(name))


pass_app = click.make_pass_decorator(AppContext)


def environment_names(workdir: Path) -> list[str]:
    """The environments a working directory holds: environments/NAME.yml, not their NAME.secrets.yml."""
    directory = workdir / "environments"
    if not directory.is_dir():
        return []
    return sorted(p.stem for p in directory.glob("*.yml") if not p.name.endswith(".secrets.yml"))


def complete_environment(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Shell completion of `-e`: the environments of the working directory the command line names (--workdir
    before or after the subcommand), else OPENEDX_DEPLOY_HOME's, else the current directory's."""
    workdir = ctx.meta.get("openedx_deploy.workdir") or ctx.find_root().params.get("workdir")
    root = Path(workdir or os.environ.get("OPENEDX_DEPLOY_HOME") or ".")
    return [CompletionItem(name) for name in environment_names(root) if name.startswith(incomplete)]


env_option = click.option(
    "-e",
    "--env",
    "env_name",
    required=True,
    envvar="OPENEDX_DEPLOY_ENV",
    show_envvar=True,
    metavar="NAME",
    shell_complete=complete_environment,
    help="environment name (environments/NAME.yml)",
)


def resolve_workdir(path: str | None) -> Workdir:
    return Workdir(Path(path or ".").resolve())
