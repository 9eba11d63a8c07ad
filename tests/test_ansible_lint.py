"""ansible-lint (production profile, .config/ansible-lint.yml) over the roles, playbooks and molecule scenarios."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
LINTED = ("roles", "playbooks", "molecule")


def ansible_lint() -> str:
    beside_python = Path(sys.executable).parent / "ansible-lint"
    found = str(beside_python) if beside_python.exists() else shutil.which("ansible-lint")
    if found is None:
        pytest.fail("ansible-lint is not installed: pip install -e '.[test]'")
    return found


def test_ansible_lint_production_profile() -> None:
    paths = [p for p in LINTED if (REPO_ROOT / p).is_dir()]
    assert "roles" in paths, "no roles/ directory to lint"
    env = dict(os.environ)
    # ansible-lint runs ansible-playbook --syntax-check: use the same venv's Ansible, and never contact Galaxy.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["ANSIBLE_ROLES_PATH"] = str(REPO_ROOT / "roles")
    env["NO_COLOR"] = "1"
    proc = subprocess.run(
        [ansible_lint(), "--config-file", ".config/ansible-lint.yml", "--profile", "production", "--offline", *paths],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"ansible-lint exit {proc.returncode}:\n{proc.stdout[-8000:]}\n{proc.stderr[-4000:]}"
