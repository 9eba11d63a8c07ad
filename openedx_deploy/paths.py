"""Where things live: the project's assets (terraform/, playbooks/, roles/) and an environment's working files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import UsageError

PACKAGE_DIR = Path(__file__).resolve().parent


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
