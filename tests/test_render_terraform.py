"""The rendered root module of every cloud x size profile passes offline `terraform validate`.

This is where the renderer's variables meet the stacks' declarations: a variable the renderer writes that a stack
does not declare (or the reverse, a required one it forgets) fails here. Providers are the schema-serving double
from ../shared/tools/terraform-schema-provider (real provider schemas, validate only; no plan or apply).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from openedx_deploy import render, secrets
from openedx_deploy.paths import Workdir
from openedx_deploy.spec import parse_spec

PLUGIN_DIR = Path(os.environ.get("TF_PLUGIN_DIR", Path.home() / ".cache/openedx-deploy/tf-plugins"))


def _require_terraform() -> str:
    binary = shutil.which("terraform")
    missing = None if binary else "no terraform binary on PATH"
    if binary and not PLUGIN_DIR.is_dir():
        missing = f"no offline provider plugin dir at {PLUGIN_DIR} (scripts/bootstrap makes it)"
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{missing}: CI must run this test")
        pytest.skip(f"{missing}: run scripts/bootstrap")
    assert binary
    return binary


@pytest.mark.parametrize("size", ["single", "standard", "ha"])
@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_rendered_root_module_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cloud: str, size: str) -> None:
    terraform = _require_terraform()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    spec = parse_spec(
        {
            "name": "demo",
            "cloud": cloud,
            "size": size,
            "domains": {"lms": "learn.example.org", "studio": "studio.example.org", "mfe": "apps.example.org"},
        }
    )
    values = {name: "x" for name in secrets.SECRET_NAMES} | {"jwt_private_key": secrets.generate_jwk()}
    render.render_environment(spec, Workdir(tmp_path), values, secrets.Vault("p"))
    root = tmp_path / "build" / "demo" / "terraform"
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_PLUGIN_CACHE_DIR": ""}
    init = subprocess.run(
        [terraform, "init", "-backend=false", f"-plugin-dir={PLUGIN_DIR}", "-no-color", "-input=false"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    validate = subprocess.run(
        [terraform, "validate", "-no-color"], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "The configuration is valid" in validate.stdout
