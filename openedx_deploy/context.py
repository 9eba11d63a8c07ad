"""The state every command shares: the working directory, output mode, prompt policy, and the environment lock."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.shell_completion import CompletionItem

from .errors import UsageError
from .locks import EnvironmentLock
from .output import Output
from .paths import Workdir, check_environment_name

if TYPE_CHECKING:
    from .spec import EnvironmentSpec

# Commands that change an environment (its files, secrets, hosts or data): each holds the environment's lock for
# its whole run, so two of them never interleave. Read-only ones (validate, status, graph, releases) do not.
# `loadtest` changes nothing but holds it too: its figures would measure a change under way, or another load test.
LOCKING_COMMANDS = frozenset(
    {"init", "render", "plan", "up", "upgrade", "backup", "restore", "restart", "destroy", "loadtest"}
)


@dataclass
class AppContext:
    workdir: Workdir
    out: Output
    yes: bool = False
    locks: dict[str, EnvironmentLock] = field(default_factory=dict)

    def load(self, name: str) -> EnvironmentSpec:
        """The environment's validated spec; for a command that changes the environment, also its lock (held until
        the command ends) and its private build directory. Nothing is written before the spec validates."""
        from .spec import load_spec  # pydantic and the release catalog: not needed for --help

        spec = load_spec(self.workdir.environment_file(name))
        ctx = click.get_current_context(silent=True)
        if ctx is not None and ctx.command.name in LOCKING_COMMANDS:
            self.lock(name, ctx.command.name)
        return spec

    def lock(self, name: str, command: str) -> None:
        """Take the environment's lock for the rest of the current command (released when its context closes)."""
        if name in self.locks and self.locks[name].held:
            return
        lock = EnvironmentLock(self.workdir.lock_file(name), name, command).acquire()
        self.locks[name] = lock
        ctx = click.get_current_context(silent=True)
        if ctx is not None:
            ctx.call_on_close(lock.release)
        build = self.workdir.build_dir(name)
        if build.is_dir():
            # Terraform plans and state and backup dumps pass through it; those writers make it 0700 too, this
            # covers a directory an older version created.
            os.chmod(build, 0o700)

    def confirm(self, question: str) -> bool:
        """A yes/no question on stderr: --yes answers yes; with no terminal to ask (a pipeline) the answer is no,
        without waiting on stdin, and the caller says what --yes would have done."""
        if self.yes:
            return True
        if not interactive():
            return False
        return click.confirm(question, default=False, err=True)


def interactive() -> bool:
    """Whether someone can answer a prompt: stdin is a terminal."""
    return sys.stdin is not None and sys.stdin.isatty()


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


def _environment_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return value
    try:
        return check_environment_name(value)
    except UsageError as error:
        raise click.BadParameter(str(error), ctx=ctx, param=param) from None


env_option = click.option(
    "-e",
    "--env",
    "env_name",
    required=True,
    envvar="OPENEDX_DEPLOY_ENV",
    show_envvar=True,
    metavar="NAME",
    shell_complete=complete_environment,
    callback=_environment_name,
    help="environment name (environments/NAME.yml)",
)


def resolve_workdir(path: str | None) -> Workdir:
    return Workdir(Path(path or ".").resolve())
