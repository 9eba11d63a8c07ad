"""issue 14: every run is logged under build/<name>/logs/ with the secrets redacted, the summary names the logs, and
-v reaches Ansible and Terraform. The whole command through the CLI, on the real adapters (AnsibleRunner,
TerraformRunner) with the tools underneath faked: ansible_runner.run, and a script as the Terraform binary.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fakes import FakeTerraform, healthy

from openedx_deploy import deploy, secrets
from openedx_deploy.cli import cli
from openedx_deploy.output import Output
from openedx_deploy.paths import Workdir
from openedx_deploy.preflight import PreflightReport
from openedx_deploy.spec import parse_spec

PASSWORD = "run-log-test"
# The Terraform binary: prints the secret it was given on stderr (and in its TF_LOG when -v asks for one) and answers
# `output -json` with the stack outputs the inventory needs.
TERRAFORM = """#!/bin/sh
echo "TF_LOG=${TF_LOG:-unset} mysql admin password $TF_VAR_mysql_admin_password" >&2
[ -n "$TF_LOG_PATH" ] && echo "[$TF_LOG] sent $TF_VAR_redis_auth_token" >> "$TF_LOG_PATH"
case "$1" in
  plan) touch tfplan ;;
  show) echo '{"resource_changes": [{"address": "module.stack.x", "change": {"actions": ["create"]}}]}' ;;
  output) cat "$(dirname "$0")/outputs.json" ;;
esac
exit 0
"""


class FakeAnsibleRunnerModule:
    """ansible_runner.run: one task on one host whose output carries every secret it is told to leak (a role that
    forgot no_log), then an optional failure; records the options it was called with."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.leak: list[str] = []
        self.fail = False

    def run(self, **options: Any) -> SimpleNamespace:
        self.calls.append(options)
        handler = options["event_handler"]
        for value in self.leak:
            handler({"event": "runner_on_ok", "stdout": f"ok: [demo-app-1] => {json.dumps({'msg': value})}"})
        if self.fail:
            data = {"host": "demo-app-1", "task": "Configure MySQL", "res": {"msg": f"denied for {self.leak[0]}"}}
            handler({"event": "runner_on_failed", "stdout": f"fatal: [demo-app-1]: {data['res']}", "event_data": data})
            return SimpleNamespace(status="failed", rc=2, stats={"failures": {"demo-app-1": 1}})
        return SimpleNamespace(status="successful", rc=0, stats={"changed": {"demo-app-1": 3}})


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, FakeAnsibleRunnerModule]:
    import ansible_runner

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(secrets.PASSWORD_ENV, PASSWORD)
    for name in ("OPENEDX_DEPLOY_YES", "OPENEDX_DEPLOY_OUTPUT", "OPENEDX_DEPLOY_HOME", "OPENEDX_DEPLOY_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OPENEDX_DEPLOY_VERBOSE", raising=False)
    binary = tmp_path / "bin" / "terraform"
    binary.parent.mkdir()
    binary.write_text(TERRAFORM)
    binary.chmod(0o755)
    outputs = {name: {"value": value} for name, value in FakeTerraform.OUTPUTS.items()}
    (binary.parent / "outputs.json").write_text(json.dumps(outputs))
    monkeypatch.setenv("OPENEDX_DEPLOY_TERRAFORM", str(binary))
    fake = FakeAnsibleRunnerModule()
    monkeypatch.setattr(ansible_runner, "run", fake.run)

    class RealAdapters(deploy.Deployer):
        """The real Terraform and Ansible adapters, as the CLI makes them; only preflight and /heartbeat faked."""

        def __init__(self, spec: Any, workdir: Any, out: Any, **adapters: Any) -> None:
            super().__init__(
                spec, workdir, out, preflight=lambda s: PreflightReport(s.cloud), heartbeat=healthy, **adapters
            )

    monkeypatch.setattr(deploy, "Deployer", RealAdapters)
    work = tmp_path / "work"
    init = ["--workdir", str(work), "init", "demo", "--cloud", "aws", "--domain", "learn.example.org"]
    assert CliRunner().invoke(cli, init).exit_code == 0
    fake.leak = list(secrets.load_secrets(Workdir(work).secrets_file("demo"), secrets.Vault(PASSWORD)).values())
    return work, fake


def up(work: Path, *options: str) -> Result:
    return CliRunner().invoke(cli, ["--workdir", str(work), "up", "-e", "demo", "--yes", *options])


def test_up_logs_terraform_and_ansible_redacted_and_names_both_logs(
    world: tuple[Path, FakeAnsibleRunnerModule],
) -> None:
    work, fake = world
    result = up(work, "--output", "json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    logs = work / "build" / "demo" / "logs"
    assert json.loads(result.stdout)["logs"] == [str(logs / "terraform.log"), str(logs / "ansible.log")]
    terraform_log, ansible_log = (logs / "terraform.log").read_text(), (logs / "ansible.log").read_text()
    assert "mysql admin password <redacted>" in terraform_log
    assert ansible_log.count('{"msg": "<redacted>"}') == len(fake.leak) == len(secrets.SECRET_NAMES)
    for value in fake.leak:
        assert value not in terraform_log and value not in ansible_log
    assert fake.calls[0]["verbosity"] is None and "TF_LOG=unset" in terraform_log
    text = up(work)
    assert text.exit_code == 0, text.output
    assert f"Run log (secrets redacted): {logs / 'terraform.log'}, {logs / 'ansible.log'}" in text.stdout


@pytest.mark.parametrize(
    ("before", "after", "ansible", "tf_log"),
    [(["-v"], [], 1, "INFO"), ([], ["-vv"], 2, "DEBUG"), (["-v"], ["-vv"], 3, "DEBUG")],
)
def test_v_before_or_after_the_command_reaches_ansible_and_terraform(
    world: tuple[Path, FakeAnsibleRunnerModule], before: list[str], after: list[str], ansible: int, tf_log: str
) -> None:
    work, fake = world
    result = CliRunner().invoke(cli, [*before, "--workdir", str(work), "up", "-e", "demo", "--yes", *after])
    assert result.exit_code == 0, result.output
    assert fake.calls[0]["verbosity"] == ansible
    terraform_log = (work / "build" / "demo" / "logs" / "terraform.log").read_text()
    assert f"TF_LOG={tf_log} mysql admin password <redacted>" in terraform_log
    assert f"-- TF_LOG={tf_log}\n[{tf_log}] sent <redacted>" in terraform_log
    assert f"[{tf_log}] sent" not in result.output, "Terraform's log reached the terminal"
    ansible_log = (work / "build" / "demo" / "logs" / "ansible.log").read_text()
    assert ansible_log.splitlines()[0].endswith(" -" + "v" * ansible)


def test_a_failed_playbook_names_the_log_and_leaks_nothing(world: tuple[Path, FakeAnsibleRunnerModule]) -> None:
    work, fake = world
    fake.fail = True
    result = up(work, "--output", "json")
    assert result.exit_code == 1
    message = json.loads(result.stdout)["message"]
    log = work / "build" / "demo" / "logs" / "ansible.log"
    assert "Configure MySQL: denied for <redacted>" in message
    assert f"(the whole run, secrets redacted: {log})" in message and f"{log})" in result.stderr
    assert not any(value in result.output for value in fake.leak)
    assert "fatal: [demo-app-1]" in log.read_text()


def test_the_default_adapters_get_the_verbosity_and_their_logs_are_recorded(tmp_path: Path) -> None:
    spec = parse_spec({"name": "demo", "cloud": "aws", "domains": {"lms": "learn.example.org"}})
    workdir = Workdir(tmp_path)
    deployer = deploy.Deployer(spec, workdir, Output(verbose=2))
    ansible = deployer._default_ansible(workdir.build_dir("demo") / "ansible")
    terraform = deployer.terraform_adapter(workdir.terraform_dir("demo"))
    assert ansible.verbosity == 2 and terraform.verbosity == 2
    assert (
        ansible.log_path
        == terraform.log_path.parent / "ansible.log"
        == workdir.build_dir("demo") / "logs" / ("ansible.log")
    )
    assert deployer.log_names() == [str(terraform.log_path)]
