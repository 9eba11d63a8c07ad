"""The CLI through click's CliRunner: init, validate, render, releases, and the commands not ready yet."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from openedx_deploy import secrets
from openedx_deploy.cli import cli

VAULT_PASSWORD = "cli-test-vault-password"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no real SSH key or config leaks in
    monkeypatch.delenv(secrets.PASSWORD_ENV, raising=False)
    monkeypatch.delenv(secrets.PASSWORD_FILE_ENV, raising=False)
    monkeypatch.delenv("OPENEDX_DEPLOY_ENV", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    return work


def run(workdir: Path, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["--workdir", str(workdir), *args], env=env, input=input, catch_exceptions=False)


def all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def secret_values(workdir: Path, name: str = "demo") -> list[str]:
    vault = secrets.resolve_vault(workdir / ".openedx-deploy" / "vault-password")
    return list(secrets.load_secrets(workdir / "environments" / f"{name}.secrets.yml", vault).values())


def test_init_writes_commented_file_and_encrypted_secrets(workdir: Path) -> None:
    result = run(workdir, "init", "demo", "--cloud", "aws", "--domain", "learn.example.org")
    assert result.exit_code == 0, result.output
    env_file = workdir / "environments" / "demo.yml"
    text = env_file.read_text()
    assert text.startswith("# Open edX environment")
    data = yaml.safe_load(text)
    assert data["cloud"] == "aws" and data["domains"]["studio"] == "studio.learn.example.org"
    secrets_file = workdir / "environments" / "demo.secrets.yml"
    assert secrets_file.read_bytes().startswith(b"$ANSIBLE_VAULT;1.1;AES256")
    password_file = workdir / ".openedx-deploy" / "vault-password"
    assert oct(password_file.stat().st_mode & 0o777) == "0o600"
    for value in secret_values(workdir):
        assert value not in result.output


def test_init_again_keeps_an_agreeing_file_and_refuses_a_disagreeing_one(workdir: Path) -> None:
    """The README's deploy command runs `init` then `up`: run again (after an interrupted `up`), `init` must keep
    the environment, edits included, and never overwrite a file that says something else."""
    assert run(workdir, "init", "demo", "--cloud", "local").exit_code == 0
    env_file, secrets_file = workdir / "environments" / "demo.yml", workdir / "environments" / "demo.secrets.yml"
    env_file.write_text(env_file.read_text() + "# the operator's own note\n")
    before = env_file.read_bytes(), secrets_file.read_bytes()

    kept = run(workdir, "--output", "json", "init", "demo", "--cloud", "local", "--size", "single")
    assert kept.exit_code == 0, kept.output
    document = json.loads(kept.stdout)
    assert document["created"] is False and document["secrets_generated"] == []
    assert (env_file.read_bytes(), secrets_file.read_bytes()) == before

    for args, differs in (
        (["--cloud", "aws"], "cloud local (not aws)"),
        (["--cloud", "local", "--size", "ha"], "size single (not ha)"),
        (["--cloud", "local", "--domain", "learn.example.org"], "(not learn.example.org)"),
    ):
        result = run(workdir, "init", "demo", *args)
        assert result.exit_code == 2, args
        assert "exists with" in result.output and differs in result.output
        assert (env_file.read_bytes(), secrets_file.read_bytes()) == before


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["init", "Bad_Name", "--cloud", "aws"], "name"),
        (["init", "demo", "--cloud", "aws", "--domain", "not a host!"], "domains"),
        (["init", "demo", "--cloud", "aws", "--release", "quince"], "release"),
    ],
)
def test_init_bad_input_names_the_field_and_writes_nothing(workdir: Path, args: list[str], field: str) -> None:
    result = run(workdir, *args)
    assert result.exit_code == 2, result.output
    assert field in result.output
    assert all_files(workdir) == []


def test_init_unknown_cloud_is_a_usage_error(workdir: Path) -> None:
    result = run(workdir, "init", "demo", "--cloud", "openstack")
    assert result.exit_code == 2
    assert "--cloud" in result.output
    assert all_files(workdir) == []


def test_init_with_password_from_environment_creates_no_password_file(workdir: Path) -> None:
    result = run(workdir, "init", "demo", "--cloud", "gcp", env={secrets.PASSWORD_ENV: VAULT_PASSWORD})
    assert result.exit_code == 0, result.output
    assert not (workdir / ".openedx-deploy" / "vault-password").exists()  # (the directory holds the locks)
    vault = secrets.Vault(VAULT_PASSWORD)
    assert secrets.load_secrets(workdir / "environments" / "demo.secrets.yml", vault)


def test_validate_ok_and_json(workdir: Path) -> None:
    run(workdir, "init", "demo", "--cloud", "azure")
    result = run(workdir, "validate", "-e", "demo")
    assert result.exit_code == 0 and "valid" in result.output
    document = json.loads(run(workdir, "--output", "json", "validate", "-e", "demo").stdout)
    assert document["ok"] is True
    assert document["environment"]["cloud"] == "azure"
    assert document["environment"]["release"]


def test_validate_reports_every_problem_with_its_field(workdir: Path) -> None:
    run(workdir, "init", "demo", "--cloud", "aws")
    env_file = workdir / "environments" / "demo.yml"
    data = yaml.safe_load(env_file.read_text())
    data["size"] = "huge"
    data["tls"] = {"mode": "provided"}
    data["domains"]["lms"] = "bad host"
    env_file.write_text(yaml.safe_dump(data))
    result = run(workdir, "validate", "-e", "demo")
    assert result.exit_code == 2
    assert "size" in result.output and "domains.lms" in result.output
    document = json.loads(run(workdir, "--output", "json", "validate", "-e", "demo").stdout)
    assert document["ok"] is False
    fields = {p["field"] for p in document["problems"]}
    assert {"size", "domains.lms"} <= fields


def test_validate_refuses_a_cdn_on_the_local_target_with_exit_2(workdir: Path) -> None:
    """The local target has no CDN (nginx on the app host serves /static/ and /media/): `cdn.enabled: true` is a bad
    file, refused before anything is rendered, naming the field."""
    run(workdir, "init", "demo", "--cloud", "local")
    env_file = workdir / "environments" / "demo.yml"
    env_file.write_text(env_file.read_text() + "cdn:\n  enabled: true\n")
    result = run(workdir, "validate", "-e", "demo")
    assert result.exit_code == 2, result.output
    assert "cdn.enabled: the local target has no CDN" in result.output
    rendered = run(workdir, "render", "-e", "demo")
    assert rendered.exit_code == 2 and "cdn.enabled" in rendered.output
    assert not (workdir / "build").exists()


def test_validate_names_the_line_and_column_of_each_problem(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(workdir, "init", "demo", "--cloud", "local")
    env_file = workdir / "environments" / "demo.yml"
    text = env_file.read_text().replace("size: single\n", "size: single\nmysql:\n  mode: sometimes\n")
    env_file.write_text(text)
    line = text.splitlines().index("  mode: sometimes") + 1
    monkeypatch.chdir(workdir)
    result = run(workdir, "validate", "-e", "demo")
    assert result.exit_code == 2
    assert f"  environments/demo.yml:{line}:3: mysql.mode: must be one of managed, self_hosted" in result.output
    document = json.loads(run(workdir, "--output", "json", "validate", "-e", "demo").stdout)
    assert [(p["field"], p["line"], p["column"]) for p in document["problems"]] == [("mysql.mode", line, 3)]


def test_validate_missing_environment_says_to_init(workdir: Path) -> None:
    result = run(workdir, "validate", "-e", "nope")
    assert result.exit_code == 2
    assert "init" in result.output


def test_render_writes_terraform_and_inventory_without_secrets(workdir: Path) -> None:
    run(workdir, "init", "demo", "--cloud", "aws")
    result = run(workdir, "render", "-e", "demo")
    assert result.exit_code == 0, result.output
    tf = workdir / "build" / "demo" / "terraform"
    assert (tf / "main.tf").is_file() and (tf / "terraform.tfvars.json").is_file()
    assert "waits for up" in result.output
    inventory = workdir / "inventories" / "demo"
    assert (inventory / "hosts.yml").is_file()
    assert (inventory / "group_vars" / "all" / "vault.yml").read_bytes().startswith(b"$ANSIBLE_VAULT")
    values = secret_values(workdir)
    for path in all_files(workdir / "build") + all_files(inventory):
        content = path.read_bytes()
        for value in values:
            assert value.encode() not in content, f"a secret leaked into {path}"
    for value in values:
        assert value not in result.output


def test_render_json_output_is_one_document(workdir: Path) -> None:
    run(workdir, "init", "demo", "--cloud", "local")
    result = run(workdir, "--output", "json", "render", "-e", "demo")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["ok"] is True and document["written"]
    again = json.loads(run(workdir, "--output", "json", "render", "-e", "demo").stdout)
    assert again["written"] == [] and sorted(again["unchanged"]) == sorted(document["written"])


def test_releases_table_and_json(workdir: Path) -> None:
    result = run(workdir, "releases")
    assert result.exit_code == 0
    for name in ("teak", "ulmo", "verawood"):
        assert name in result.output
    rows = json.loads(run(workdir, "--output", "json", "releases").stdout)["releases"]
    assert [row["name"] for row in rows] == ["teak", "ulmo", "verawood"]


def test_backup_list_of_a_new_environment_is_empty(workdir: Path) -> None:
    run(workdir, "init", "demo", "--cloud", "local")
    result = run(workdir, "--output", "json", "backup", "-e", "demo", "--list")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["backups"] == []


def test_restore_asks_first_and_refuses_without_a_backup(workdir: Path) -> None:
    run(workdir, "init", "demo", "--cloud", "local")
    declined = run(workdir, "restore", "-e", "demo", "--backup", "latest", input="n\n")
    assert declined.exit_code == 1 and "Replace the databases of demo" in declined.output
    result = run(workdir, "--yes", "restore", "-e", "demo", "--backup", "latest")
    assert result.exit_code == 2 and "has no complete backup" in result.output


def test_upgrade_skipping_a_release_is_refused_first(workdir: Path) -> None:
    run(workdir, "init", "demo", "--cloud", "local", "--release", "ulmo")
    env_file = workdir / "environments" / "demo.yml"
    before = env_file.read_bytes()
    result = run(workdir, "upgrade", "-e", "demo", "--to", "teak")
    assert result.exit_code == 2
    assert "downgrad" in result.output
    assert env_file.read_bytes() == before


def test_env_name_from_environment_variable(workdir: Path) -> None:
    run(workdir, "init", "demo", "--cloud", "local")
    result = run(workdir, "validate", env={"OPENEDX_DEPLOY_ENV": "demo"})
    assert result.exit_code == 0, result.output


def test_workdir_from_openedx_deploy_home(workdir: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["init", "demo", "--cloud", "local"], env={"OPENEDX_DEPLOY_HOME": str(workdir)})
    assert result.exit_code == 0, result.output
    assert (workdir / "environments" / "demo.yml").is_file()
    assert os.getcwd() != str(workdir)
