"""The Ansible adapter against real ansible-runner runs on localhost (connection local, nothing installed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openedx_deploy.ansible import MITOGEN_ENV, AnsibleRunner, mitogen_env, require_success
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
    - name: Fail on request
      ansible.builtin.fail:
        msg: asked to fail
      when: fail_now | default(false)
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
    assert first.changed == {"probe": 1}
    assert marker.read_text() == SECRET  # the inventory's vault was decrypted with the password file
    assert ("probe", "Write the marker") in seen
    second = runner.run_playbook(playbook, inventory, password_file, {"marker": str(marker)})
    assert second.ok and second.changed_total == 0
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


def test_mitogen_strategy_is_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MITOGEN_ENV, raising=False)
    assert mitogen_env() == {}
    monkeypatch.setenv(MITOGEN_ENV, "1")
    settings = mitogen_env()
    assert settings["ANSIBLE_STRATEGY"] == "mitogen_linear"
    assert (Path(settings["ANSIBLE_STRATEGY_PLUGINS"]) / "mitogen_linear.py").is_file()


def test_mitogen_asked_for_but_missing_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.setenv(MITOGEN_ENV, "1")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ansible_mitogen" else real_find_spec(name, *a)
    )
    with pytest.raises(DeployError, match="ansible_mitogen is not importable"):
        mitogen_env()
