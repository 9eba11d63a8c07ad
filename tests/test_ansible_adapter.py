"""The Ansible adapter against real ansible-runner runs on localhost (connection local, nothing installed)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from openedx_deploy.ansible import MITOGEN_ENV, AnsibleRunner, mitogen_env, path_with_own_scripts, require_success
from openedx_deploy.errors import DeployError
from openedx_deploy.secrets import Vault

SECRET = "s3cr3t-from-the-vault"
PLAYBOOK = """
- name: Adapter probe
  hosts: probe
  gather_facts: false
  tasks:
    - name: Write the marker
      ansible.builtin.copy:
        dest: "{{ marker }}"
        content: "{{ vault_value }}"
        mode: "0600"
      no_log: true
    # A loop with no_log: Ansible prints each item's line, and the task's own result holds no `changed`.
    - name: Write the numbered markers
      ansible.builtin.copy:
        dest: "{{ marker }}.{{ item }}"
        content: "{{ vault_value }}"
        mode: "0600"
      loop: [1, 2]
      no_log: true
    - name: Fail on request
      ansible.builtin.fail:
        msg: asked to fail
      when: fail_now | default(false)
"""
# A role that forgot no_log: the run log and the artifacts must not depend on it.
LEAKY = """
- name: Leaky probe
  hosts: probe
  gather_facts: false
  tasks:
    - name: Print the secret
      ansible.builtin.debug:
        msg: "the value is {{ vault_value }}"
    - name: Fail with the secret
      ansible.builtin.fail:
        msg: "failing with {{ vault_value }}"
"""


@pytest.fixture
def probe(tmp_path: Path) -> tuple[AnsibleRunner, Path, Path, Path]:
    playbook = tmp_path / "probe.yml"
    playbook.write_text(PLAYBOOK)
    inventory = tmp_path / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(
        "all:\n  hosts:\n    probe:\n      ansible_connection: local\n"
        "      ansible_python_interpreter: '{{ ansible_playbook_python }}'\n"
    )
    vault = Vault("adapter-test")
    (inventory / "group_vars" / "all" / "vault.yml").write_bytes(vault.encrypt(f"vault_value: {SECRET}\n"))
    password_file = tmp_path / "vault-pass"
    vault.write_password_file(password_file)
    return AnsibleRunner(tmp_path / "artifacts", tmp_path / "roles"), playbook, inventory, password_file


def test_runs_count_changes_report_progress_and_keep_secrets_out(
    probe: tuple[AnsibleRunner, Path, Path, Path], tmp_path: Path
) -> None:
    runner, playbook, inventory, password_file = probe
    marker = tmp_path / "marker"
    seen: list[tuple[str, str]] = []
    first = runner.run_playbook(
        playbook, inventory, password_file, {"marker": str(marker)}, progress=lambda h, t: seen.append((h, t))
    )
    assert first.ok, first.failures
    assert first.changed == {"probe": 2}
    # What `plan` lists task by task: each changed task once, a looped one too.
    assert first.changed_tasks == ["probe: Write the marker", "probe: Write the numbered markers"]
    assert marker.read_text() == SECRET  # the inventory's vault was decrypted with the password file
    assert ("probe", "Write the marker") in seen
    second = runner.run_playbook(playbook, inventory, password_file, {"marker": str(marker)})
    assert second.ok and second.changed_total == 0 and second.changed_tasks == []
    for path in (tmp_path / "artifacts").rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), f"secret in ansible-runner artifact {path}"


def test_failures_become_a_deploy_error_naming_host_and_task(
    probe: tuple[AnsibleRunner, Path, Path, Path], tmp_path: Path
) -> None:
    runner, playbook, inventory, password_file = probe
    result = runner.run_playbook(playbook, inventory, password_file, {"marker": str(tmp_path / "m"), "fail_now": True})
    assert not result.ok
    with pytest.raises(DeployError, match="probe: Fail on request: asked to fail"):
        require_success(result, "site playbook")


def test_wrong_vault_password_fails(probe: tuple[AnsibleRunner, Path, Path, Path], tmp_path: Path) -> None:
    runner, playbook, inventory, _ = probe
    wrong = tmp_path / "wrong-pass"
    Vault("not-the-password").write_password_file(wrong)
    result = runner.run_playbook(playbook, inventory, wrong, {"marker": str(tmp_path / "m")})
    assert not result.ok


def test_a_run_does_not_inherit_the_extravars_or_environment_of_the_one_before(
    probe: tuple[AnsibleRunner, Path, Path, Path], tmp_path: Path
) -> None:
    """ansible-runner keeps env/extravars and env/envvars of its first run and replays them unless told not to: a
    `restart`'s openedx_restart=true would then force every later `up` to restart the platform."""
    runner, playbook, inventory, password_file = probe
    marker = tmp_path / "marker"
    runner.extra_env = {"OPENEDX_DEPLOY_PROBE": "first"}
    first = runner.run_playbook(playbook, inventory, password_file, {"marker": str(marker), "fail_now": True})
    assert not first.ok and any("asked to fail" in f for f in first.failures)
    runner.extra_env = {"OPENEDX_DEPLOY_PROBE": "second"}
    probe_env = tmp_path / "probe-env.yml"
    probe_env.write_text(
        "- name: Environment probe\n  hosts: probe\n  gather_facts: false\n  tasks:\n"
        "    - name: Check the environment and extravars\n      ansible.builtin.assert:\n        that:\n"
        "          - lookup('env', 'OPENEDX_DEPLOY_PROBE') == 'second'\n          - fail_now is not defined\n"
    )
    second = runner.run_playbook(probe_env, inventory, password_file)
    assert second.ok, second.failures
    assert not (tmp_path / "artifacts" / "env" / "extravars").exists()


def mode(path: Path) -> str:
    return oct(path.stat().st_mode & 0o777)


def test_a_secret_a_task_prints_without_no_log_is_redacted_from_the_log_and_the_artifacts(
    probe: tuple[AnsibleRunner, Path, Path, Path], tmp_path: Path
) -> None:
    """issue 14: build/<name>/logs/ansible.log has Ansible's output at the verbosity of -v, every secret redacted."""
    _, _, inventory, password_file = probe
    leaky = tmp_path / "leaky.yml"
    leaky.write_text(LEAKY)
    runner = AnsibleRunner(tmp_path / "build" / "demo" / "ansible", tmp_path / "roles", verbosity=3)
    result = runner.run_playbook(leaky, inventory, password_file, secrets=[SECRET, "another-secret-value"])
    assert not result.ok and result.log == tmp_path / "build" / "demo" / "logs" / "ansible.log"
    log = result.log.read_text()
    assert SECRET not in log
    assert '"msg": "the value is <redacted>"' in log and "failing with <redacted>" in log
    assert "task path:" in log, "-vvv reached ansible-playbook"
    assert "\x1b[" not in log, "colour codes in the log"
    assert log.splitlines()[0].endswith(
        f"ansible-playbook leaky.yml -i {inventory} --vault-password-file {password_file} -vvv"
    )
    assert log.splitlines()[-1] == "-- status failed, rc 2"
    assert mode(result.log) == "0o600" and mode(result.log.parent) == "0o700"
    with pytest.raises(DeployError) as raised:
        require_success(result, "playbooks/leaky.yml")
    assert "failing with <redacted>" in str(raised.value) and str(result.log) in str(raised.value)
    assert SECRET not in str(raised.value)
    for path in (tmp_path / "build").rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), f"secret in {path}"
    kept = {path.name for path in (tmp_path / "build" / "demo" / "ansible" / "artifacts").glob("*/*")}
    assert "job_events" in kept and not kept & {"stdout", "stderr", "command"}, kept
    runner.run_playbook(leaky, inventory, password_file, secrets=[SECRET])
    assert result.log.read_text().count("== ") == 2, "each run is appended"


class FakeAnsibleRunner:
    """ansible_runner.run: emits the events it is given to the event handler, records what it was called with."""

    def __init__(self, events: list[dict[str, Any]], status: str = "successful", rc: int = 0) -> None:
        self.events, self.status, self.rc = events, status, rc
        self.calls: list[dict[str, Any]] = []
        self.kept: list[dict[str, Any]] = []  # what ansible-runner writes to artifacts/job_events after the handler

    def run(self, **options: Any) -> SimpleNamespace:
        self.calls.append(options)
        for event in self.events:
            event = json.loads(json.dumps(event))
            options["event_handler"](event)
            self.kept.append(event)
        failed = {"demo-app-1": 1} if self.status == "failed" else {}
        return SimpleNamespace(status=self.status, rc=self.rc, stats={"changed": {"demo-app-1": 1}, "failures": failed})


def leaking_events(secret: str) -> list[dict[str, Any]]:
    multi_line = f"-----BEGIN KEY-----\n{secret}\n-----END KEY-----\n"
    return [
        {"event": "playbook_on_task_start", "stdout": "TASK [Configure] ****", "event_data": {"task": "Configure"}},
        {
            "event": "runner_on_ok",
            "stdout": f'ok: [demo-app-1] => {{"msg": "password={secret}", "key": {json.dumps(multi_line)}}}',
            "event_data": {"host": "demo-app-1", "res": {"msg": f"password={secret}", "key": multi_line}},
        },
        {
            "event": "runner_on_failed",
            "stdout": f'fatal: [demo-app-1]: FAILED! => {{"msg": "bad {secret}"}}',
            "event_data": {"host": "demo-app-1", "task": "Configure", "res": {"msg": f"bad {secret}"}},
        },
        {"event": "verbose", "stdout": f"<demo-app-1> EXEC mysql -p{secret}", "event_data": {}},
    ]


@pytest.mark.parametrize("verbosity", [0, 1, 3])
def test_every_event_is_logged_redacted_and_verbosity_reaches_ansible_runner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verbosity: int
) -> None:
    import ansible_runner

    secret = "Zm9vYmFyYmF6-not-in-any-no-log"
    fake = FakeAnsibleRunner(leaking_events(secret), status="failed", rc=2)
    monkeypatch.setattr(ansible_runner, "run", fake.run)
    runner = AnsibleRunner(tmp_path / "build" / "demo" / "ansible", tmp_path / "roles", verbosity=verbosity)
    result = runner.run_playbook(tmp_path / "site.yml", tmp_path / "inventory", secrets=[secret, "unused-secret"])
    assert fake.calls[0]["verbosity"] == (verbosity or None)
    log = (tmp_path / "build" / "demo" / "logs" / "ansible.log").read_text()
    assert secret not in log and log.count("<redacted>") == 4, log
    assert "TASK [Configure]" in log and "EXEC mysql -p<redacted>" in log
    assert secret not in json.dumps(fake.kept), "the events ansible-runner keeps are redacted too"
    assert result.failures == ["demo-app-1: Configure: bad <redacted>"]
    with pytest.raises(DeployError, match=r"bad <redacted> \(the whole run, secrets redacted: .*ansible.log\)"):
        require_success(result, "playbooks/site.yml")


def test_an_interrupted_run_is_logged_as_far_as_it_got(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ansible_runner

    fake = FakeAnsibleRunner(leaking_events("interrupted-secret-value")[:2], status="canceled", rc=254)
    monkeypatch.setattr(ansible_runner, "run", fake.run)
    runner = AnsibleRunner(tmp_path / "ansible", tmp_path / "roles")
    with pytest.raises(KeyboardInterrupt):
        runner.run_playbook(tmp_path / "site.yml", tmp_path / "inventory", secrets=["interrupted-secret-value"])
    log = (tmp_path / "logs" / "ansible.log").read_text()
    assert "password=<redacted>" in log and log.splitlines()[-1] == "-- status canceled, rc 254"


def test_mitogen_strategy_is_opt_in_for_cloud_hosts_and_opt_out_for_local_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MITOGEN_ENV, raising=False)
    assert mitogen_env() == {}  # cloud hosts: linear unless asked
    settings = mitogen_env(default=True)  # local hosts: Mitogen unless refused
    assert settings["ANSIBLE_STRATEGY"] == "mitogen_linear"
    assert (Path(settings["ANSIBLE_STRATEGY_PLUGINS"]) / "mitogen_linear.py").is_file()
    monkeypatch.setenv(MITOGEN_ENV, "1")
    assert mitogen_env() == settings
    monkeypatch.setenv(MITOGEN_ENV, "0")
    assert mitogen_env(default=True) == {}


def test_mitogen_asked_for_but_missing_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.setenv(MITOGEN_ENV, "1")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ansible_mitogen" else real_find_spec(name, *a)
    )
    with pytest.raises(DeployError, match="ansible_mitogen is not importable"):
        mitogen_env()


def test_ansible_playbook_is_the_one_installed_with_the_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ansible-runner finds `ansible-playbook` on PATH; pipx puts only `openedx-deploy` there (tests/test_pipx_deploy.py
    saw rc 127): the run's PATH starts with this Python's scripts directory, and the caller's PATH follows."""
    import sysconfig

    import ansible_runner

    fake = FakeAnsibleRunner([])
    monkeypatch.setattr(ansible_runner, "run", fake.run)
    scripts = sysconfig.get_path("scripts")
    monkeypatch.setenv("PATH", os.pathsep.join(["/opt/elsewhere/bin", scripts, "/usr/bin"]))
    AnsibleRunner(tmp_path / "ansible", tmp_path / "roles").run_playbook(tmp_path / "site.yml", tmp_path / "inventory")
    assert fake.calls[0]["envvars"]["PATH"].split(os.pathsep) == [scripts, "/opt/elsewhere/bin", "/usr/bin"]
    assert path_with_own_scripts("") == scripts
