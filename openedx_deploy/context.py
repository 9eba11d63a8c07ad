"""The state every command shares: the working directory, output mode, and prompt policy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from .output import Output
from .paths import Workdir
from .spec import EnvironmentSpec, load_spec


@dataclass
class AppContext:
    workdir: Workdir
    out: Output
    yes: bool = False

    def load(self, name: str) -> EnvironmentSpec:
        return load_spec(self.workdir.environment_file(name))


pass_app = click.make_pass_decorator(AppContext)


env_option = click.option(
    "-e",
    "--env",
    "env_name",
    required=True,
    envvar="OPENEDX_DEPLOY_ENV",
    metavar="NAME",
    help="environment name (environments/NAME.yml); env OPENEDX_DEPLOY_ENV",
)


def resolve_workdir(path: str | None) -> Workdir:
    return Workdir(Path(path or ".").resolve())
