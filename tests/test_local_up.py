"""End to end: the README's deploy command on this machine, through the real CLI, podman hosts and Ansible.

Offline (as in CI) the local target runs the documented substitutes: the Open edX image's contract test double
loaded from an image archive, MariaDB for MySQL, no MongoDB or search. The command says so, and so does this test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
NAME = "e2e"
VAULT_PASSWORD = "e2e-test-vault-password"


def cli(workdir: Path, *args: str, timeout: int = 3600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENEDX_DEPLOY_VAULT_PASSWORD": VAULT_PASSWORD, "OPENEDX_DEPLOY_OFFLINE": "1"}
    command = [sys.executable, "-c", "from openedx_deploy.cli import main; main()", "--workdir", str(workdir), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    workdir = tmp_path_factory.mktemp("local-up")
    created = cli(workdir, "init", NAME, "--cloud", "local")
    assert created.returncode == 0, created.stderr
    yield workdir
    cli(workdir, "--yes", "destroy", "-e", NAME, "--include-data", timeout=600)


def test_up_brings_the_site_up_healthy(environment: Path) -> None:
    result = cli(environment, "--yes", "--output", "json", "up", "-e", NAME)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    document = json.loads(result.stdout)
    assert document["ok"] is True
    assert document["substitutes"], "offline runs must say which substitutes they use"
    beats = document["heartbeats"]
    assert beats and all(b["healthy"] for b in beats)
    assert beats[0]["stores"]["mysql"] == "ok" and beats[0]["stores"]["redis"] == "ok"


def test_no_secret_in_ansible_output(environment: Path) -> None:
    """Every event, stdout and log ansible-runner kept of the site run is free of every secret value."""
    from openedx_deploy.secrets import Vault, load_secrets

    values = load_secrets(environment / "environments" / f"{NAME}.secrets.yml", Vault(VAULT_PASSWORD))
    needles = {name: value for name, value in values.items() if len(value) >= 16}
    needles["jwt_private_key.d"] = json.loads(values["jwt_private_key"])["d"]
    artifacts = [p for p in (environment / "build" / NAME / "ansible").rglob("*") if p.is_file()]
    assert any(p.name == "stdout" for p in artifacts), "ansible-runner kept no output to check"
    for path in artifacts:
        text = path.read_text(errors="replace")
        leaked = [name for name, value in needles.items() if value in text]
        assert not leaked, f"{leaked} appear in {path}"


def test_status_shows_every_host_running_and_healthy(environment: Path) -> None:
    result = cli(environment, "--output", "json", "status", "-e", NAME)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["hosts"]
    assert rows and all(row["state"] == "running" for row in rows)
    assert [row["heartbeat"] for row in rows if "app" in row["groups"].split(",")] == ["healthy"]


def test_second_up_changes_nothing(environment: Path) -> None:
    result = cli(environment, "--yes", "--output", "json", "up", "-e", NAME)
    assert result.returncode == 0, result.stderr[-6000:]
    document = json.loads(result.stdout)
    assert document["changed_total"] == 0, document["ansible_changed"]
    assert document["hosts_created"] == []


def test_plan_reports_no_changes(environment: Path) -> None:
    result = cli(environment, "--output", "json", "plan", "-e", NAME)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert json.loads(result.stdout)["pending"] == []


def test_plan_exits_3_on_drift(environment: Path) -> None:
    """A hand edit on a host is drift: plan's Ansible check mode sees it and exits 3 for CI drift detection."""
    conf = REPO / "testhosts" / "containers.conf"
    edit = subprocess.run(
        ["podman", "exec", f"{NAME}-1", "sh", "-c", "echo '# drift' >> /etc/openedx/lms.yml"],
        env={**os.environ, "CONTAINERS_CONF": str(conf)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert edit.returncode == 0, edit.stderr
    result = cli(environment, "--output", "json", "plan", "-e", NAME)
    assert result.returncode == 3, result.stdout[-3000:] + result.stderr[-3000:]
    document = json.loads(result.stdout)
    assert document["changes_pending"] is True and any(f"{NAME}-1" in line for line in document["pending"])
