"""Where things live: the project's assets (terraform/, playbooks/, roles/) and an environment's working files."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import UsageError

PACKAGE_DIR = Path(__file__).resolve().parent

# An environment name: it becomes a file name, directory names and the prefix of every cloud resource, so it is a
# name and never a path (no '/', no '..'). The spec's `name:` follows the same rule.
ENVIRONMENT_NAME = re.compile(r"[a-z][a-z0-9-]{1,30}")

# What a working directory keeps out of version control: rendered files (Terraform state and plans among them),
# local backups (database dumps), the vault password and lock files. Written by `init` into a fresh working
# directory that has no .gitignore.
WORKDIR_GITIGNORE = """\
# Written by `openedx-deploy init`: what must never reach version control.
# Rendered files, Terraform plans and local state (they hold database passwords):
/build/
# Local backups: database dumps with every learner's record:
/backups/
# The vault password and the locks:
/.openedx-deploy/
# Rendered inventories: re-created by `render`; their vault.yml holds every secret (encrypted):
/inventories/
"""
WORKDIR_IGNORED = ("build/", "backups/", ".openedx-deploy/")


def check_environment_name(name: str) -> str:
    """`name` if it is an environment name, else UsageError (exit 2) saying what one looks like."""
    if not isinstance(name, str) or not ENVIRONMENT_NAME.fullmatch(name) or name.endswith("-"):
        raise UsageError(
            f"{name!r} is not an environment name: a lowercase letter, then 1-30 lowercase letters, digits or "
            "hyphens, not ending in a hyphen (e.g. prod); give the name, not a path: environments/NAME.yml is found "
            "from it"
        )
    return name


def private_dirs(base: Path, *parts: str) -> Path:
    """base/parts..., created where missing, it and every directory from `base` down to it 0700 (mkdir's
    parents=True would give the upper ones the umask's mode): for files that hold data or secrets in plain text."""
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    for depth in range(len(parts) + 1):
        os.chmod(base.joinpath(*parts[:depth]), 0o700)
    return path


def _packaged_assets() -> Path | None:
    """The assets a built wheel carries (setup.py copies them to openedx_deploy/_assets), if this install has them."""
    packaged = resources.files("openedx_deploy") / "_assets"
    # A wheel installs as plain files, so the Traversable is a real directory; a zipped install has no Path.
    return Path(str(packaged)) if isinstance(packaged, Path) and packaged.is_dir() else None


def assets_root(needs: str = "terraform") -> Path:
    """The directory holding terraform/, playbooks/, roles/, scripts/ and testhosts/.

    In order: OPENEDX_DEPLOY_ASSETS (an operator's own copy), the copy an installed wheel carries, the checkout
    an editable install (`pip install -e .`) points at.
    """
    override = os.environ.get("OPENEDX_DEPLOY_ASSETS")
    root = Path(override).resolve() if override else (_packaged_assets() or PACKAGE_DIR.parent)
    if not (root / needs).is_dir():
        if override:
            raise UsageError(f"OPENEDX_DEPLOY_ASSETS={override} has no {needs}/ directory; point it at a checkout")
        raise UsageError(
            f"cannot find the {needs}/ directory under {root}: this install of openedx-deploy is incomplete; "
            "install it from a built wheel (`pipx install openedx_deploy-*.whl`) or a checkout (`pip install -e .`)"
        )
    return root


@dataclass(frozen=True)
class Workdir:
    """The operator's working directory: environment files in, rendered files out."""

    root: Path

    @property
    def environments(self) -> Path:
        return self.root / "environments"

    # Every per-environment path goes through check_environment_name: no name can reach outside its own files.

    def environment_file(self, name: str) -> Path:
        return self.environments / f"{check_environment_name(name)}.yml"

    def secrets_file(self, name: str) -> Path:
        return self.environments / f"{check_environment_name(name)}.secrets.yml"

    def secrets_files(self) -> list[Path]:
        """Every environment's secrets file in this working directory."""
        return sorted(self.environments.glob("*.secrets.yml")) if self.environments.is_dir() else []

    def build_dir(self, name: str) -> Path:
        return self.root / "build" / check_environment_name(name)

    def terraform_dir(self, name: str) -> Path:
        return self.build_dir(name) / "terraform"

    def loadtest_dir(self, name: str, run: str) -> Path:
        """One `loadtest` run's files (Locust's statistics and log, the plot), beside the run logs."""
        return self.build_dir(name) / "loadtests" / run

    def inventory_dir(self, name: str) -> Path:
        return self.root / "inventories" / check_environment_name(name)

    def local_ssh_key(self, name: str) -> Path:
        """The private key a local environment's hosts accept over SSH (OPENEDX_DEPLOY_LOCAL_TRANSPORT=ssh); its
        public half beside it, `.pub`. Made by the local target on first use, mode 0600."""
        return self.build_dir(name) / "ssh" / "id_ed25519"

    def lock_file(self, name: str) -> Path:
        return self.root / ".openedx-deploy" / "locks" / f"{check_environment_name(name)}.lock"

    @property
    def gitignore(self) -> Path:
        return self.root / ".gitignore"

    def ensure_gitignore(self) -> list[str]:
        """Write WORKDIR_GITIGNORE when the working directory has no .gitignore; returns the entries an existing
        one does not mention (it is the operator's file: reported, not edited)."""
        if not self.gitignore.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            self.gitignore.write_text(WORKDIR_GITIGNORE)
            return []
        try:
            lines = {line.strip().strip("/") for line in self.gitignore.read_text(errors="replace").splitlines()}
        except OSError:
            return list(WORKDIR_IGNORED)
        return [entry for entry in WORKDIR_IGNORED if entry.strip("/") not in lines]

    @property
    def default_vault_password_file(self) -> Path:
        return self.root / ".openedx-deploy" / "vault-password"
