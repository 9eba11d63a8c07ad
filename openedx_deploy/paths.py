"""Where things live: the project's assets (terraform/, playbooks/, roles/) and an environment's working files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

PACKAGE_DIR = Path(__file__).resolve().parent


def assets_root(needs: str = "terraform") -> Path:
    """The directory holding terraform/, playbooks/ and roles/: the checkout the package was installed from.

    OPENEDX_DEPLOY_ASSETS overrides it (a packaged install that ships the assets elsewhere).
    """
    override = os.environ.get("OPENEDX_DEPLOY_ASSETS")
    root = Path(override).resolve() if override else PACKAGE_DIR.parent
    if not (root / needs).is_dir():
        raise UsageError(
            f"cannot find the {needs}/ directory under {root}; install openedx-deploy from its "
            "checkout (`pip install -e .`) or set OPENEDX_DEPLOY_ASSETS to that checkout"
        )
    return root


@dataclass(frozen=True)
class Workdir:
    """The operator's working directory: environment files in, rendered files out."""

    root: Path

    @property
    def environments(self) -> Path:
        return self.root / "environments"

    def environment_file(self, name: str) -> Path:
        return self.environments / f"{name}.yml"

    def secrets_file(self, name: str) -> Path:
        return self.environments / f"{name}.secrets.yml"

    def build_dir(self, name: str) -> Path:
        return self.root / "build" / name

    def terraform_dir(self, name: str) -> Path:
        return self.build_dir(name) / "terraform"

    def inventory_dir(self, name: str) -> Path:
        return self.root / "inventories" / name

    @property
    def default_vault_password_file(self) -> Path:
        return self.root / ".openedx-deploy" / "vault-password"
