"""Ships the assets the tool runs (Terraform, playbooks, roles, test-host and double build files) inside the wheel.

They live at the top of the checkout, where operators and reviewers read them; a built wheel carries a copy under
``openedx_deploy/_assets/`` with the same layout, found through ``openedx_deploy.paths.assets_root()``. An editable
install (``pip install -e .``) copies nothing: the checkout itself is the asset root.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# Relative to the checkout; the same relative paths under _assets/. Keep in step with MANIFEST.in.
ASSET_DIRS = (
    "terraform",
    "playbooks",
    "roles",
    "scripts",
    "testhosts",
    "tests/double/openedx",
    "tests/double/meilisearch",
)
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".terraform", ".terraform.lock.hcl", "*.tfstate*")


class BuildPyWithAssets(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "openedx_deploy" / "_assets"
        for relative in ASSET_DIRS:
            source = HERE / relative
            if not source.is_dir():
                raise SystemExit(f"openedx-deploy build: asset directory {relative}/ is missing from the source tree")
            shutil.rmtree(target / relative, ignore_errors=True)
            shutil.copytree(source, target / relative, ignore=IGNORED)


setup(cmdclass={"build_py": BuildPyWithAssets})
