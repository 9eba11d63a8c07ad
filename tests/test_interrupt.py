"""Ctrl-C during a run: the real Ansible adapter reports it as an interruption (not a failed playbook with rc 254)
and gives Ctrl-C back afterwards; the CLI says to run the same command again and exits 130."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakes import FakeHosts, healthy

from openedx_deploy import deploy, secrets
from openedx_deploy.ansible import AnsibleRunner
from openedx_deploy.cli import cli
from openedx_deploy.preflight import PreflightReport

SLEEPER = """
- name: Long task
  hosts: probe
  gather_facts: false
  tasks:
    - name: Sleep
      ansible.builtin.command: sleep 60
      changed_when: false
"""


def test_ctrl_c_cancels_the_playbook_and_raises_keyboard_interrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ansible-runner starts ansible-playbook from PATH: the one installed beside this Python.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    playbook = tmp_path / "sleeper.yml"
    playbook.write_text(SLEEPER)
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    (inventory / "hosts.yml").write_text(
        "all:\n  hosts:\n    probe:\n      ansible_connection: local\n"
        "      ansible_python_interpreter: '{{ ansible_playbook_python }}'\n"
    )
    before = signal.getsignal(signal.SIGINT)
    sent: list[float] = []

    def ctrl_c_once_the_task_runs(host: str, task: str) -> None:
        if task == "Sleep" and not sent:
            sent.append(time.monotonic())
            # As a terminal's Ctrl-C: SIGINT to this process, while ansible-runner's handler is installed.
            threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()

    runner = AnsibleRunner(tmp_path / "artifacts", tmp_path / "roles")
    with pytest.raises(KeyboardInterrupt):
        runner.run_playbook(playbook, inventory, progress=ctrl_c_once_the_task_runs)
    assert sent, "the playbook never started its task"
    waited = time.monotonic() - sent[0]
    print(f"interrupted {waited:.1f} s after the task started")
    assert waited < 30, "the 60 s task ran on: the interruption did not stop it"
    assert signal.getsignal(signal.SIGINT) is before, "ansible-runner's SIGINT handler was left installed"


class InterruptedAnsible:
    """The Ansible adapter as it behaves when the operator presses Ctrl-C mid-playbook."""

    def run_playbook(self, *_: Any, **__: Any) -> Any:
        raise KeyboardInterrupt


@pytest.fixture
def local_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(secrets.PASSWORD_ENV, "interrupt-test")
    for name in ("OPENEDX_DEPLOY_ENV", "OPENEDX_DEPLOY_OUTPUT", "OPENEDX_DEPLOY_YES", "OPENEDX_DEPLOY_HOME"):
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "work"
    result = CliRunner().invoke(cli, ["--workdir", str(work), "init", "demo", "--cloud", "local"])
    assert result.exit_code == 0, result.output

    class Interrupted(deploy.Deployer):
        def __init__(self, spec: Any, workdir: Any, out: Any, **adapters: Any) -> None:
            super().__init__(
                spec,
                workdir,
                out,
                preflight=lambda s: PreflightReport(s.cloud),
                hosts=lambda name: FakeHosts(),
                ansible=lambda artifacts: InterruptedAnsible(),
                offline=lambda: False,
                heartbeat=healthy,
            )

    monkeypatch.setattr(deploy, "Deployer", Interrupted)
    return work


def test_ctrl_c_during_up_reports_an_interruption_and_exit_130(local_env: Path) -> None:
    result = CliRunner().invoke(cli, ["up", "-e", "demo", "--yes", "--workdir", str(local_env)])
    assert result.exit_code == 130, result.output
    assert "interrupted; run the same command again to resume" in result.stderr
    assert "failed" not in result.output and "254" not in result.output


def test_ctrl_c_during_up_in_json_is_an_interrupted_error_document(local_env: Path) -> None:
    result = CliRunner().invoke(cli, ["up", "-e", "demo", "--yes", "--output", "json", "--workdir", str(local_env)])
    assert result.exit_code == 130
    document = json.loads(result.stdout)
    assert document["ok"] is False and document["command"] == "up"
    assert document["kind"] == "interrupted" and document["exit_code"] == 130
    assert "run the same command again" in document["message"]


class TerminatedAnsible:
    """The Ansible adapter while the process receives SIGTERM (a cancelled CI job)."""

    def run_playbook(self, *_: Any, **__: Any) -> Any:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler interrupts this
        raise AssertionError("SIGTERM did not interrupt the run")


def test_sigterm_during_up_is_an_interruption_too(local_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(InterruptedAnsible, "run_playbook", TerminatedAnsible.run_playbook)
    before = signal.getsignal(signal.SIGTERM)
    result = CliRunner().invoke(cli, ["up", "-e", "demo", "--yes", "--workdir", str(local_env)])
    assert result.exit_code == 130, result.output
    assert "interrupted; run the same command again to resume" in result.stderr
    assert signal.getsignal(signal.SIGTERM) is before, "the CLI left its SIGTERM handler installed"
