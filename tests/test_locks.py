"""One operation per environment at a time, one secret set, one vault password per working directory, and a
working directory that keeps its secrets and dumps out of version control."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from openedx_deploy import secrets
from openedx_deploy.cli import cli
from openedx_deploy.context import LOCKING_COMMANDS
from openedx_deploy.locks import EnvironmentLock, EnvironmentLocked
from openedx_deploy.paths import WORKDIR_GITIGNORE, Workdir

PASSWORD = "lock-test-vault-password"
# Fresh interpreters, not fork: forking a pytest process that already runs threads (earlier tests leave some) can
# deadlock the child on a lock one of those threads held.
SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in (secrets.PASSWORD_ENV, secrets.PASSWORD_FILE_ENV, "OPENEDX_DEPLOY_ENV"):
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    return work


def run(workdir: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--workdir", str(workdir), *args], env=env)


def hold(workdir: Path, name: str = "demo", command: str = "up") -> EnvironmentLock:
    return EnvironmentLock(Workdir(workdir).lock_file(name), name, command).acquire()


# ----------------------------------------------------------------------------------------------------
# The lock


@pytest.mark.parametrize("command", ["render", "destroy", "backup", "upgrade", "up", "plan", "restart"])
def test_a_second_command_on_a_locked_environment_says_who_holds_it(workdir: Path, command: str) -> None:
    assert run(workdir, "init", "demo", "--cloud", "local").exit_code == 0
    lock = hold(workdir, command="up")
    try:
        args = {"upgrade": ["--to", "verawood"], "backup": []}.get(command, [])
        result = run(workdir, "--yes", command, "-e", "demo", *args)
    finally:
        lock.release()
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert f"environment demo is locked by pid {os.getpid()} (up), started at 20" in result.output
    assert "Traceback" not in result.output


def test_init_of_a_locked_environment_is_refused_before_writing(workdir: Path) -> None:
    lock = hold(workdir, command="render")
    try:
        result = run(workdir, "init", "demo", "--cloud", "local")
    finally:
        lock.release()
    assert result.exit_code == 1 and "locked by pid" in result.output
    assert not (workdir / "environments").exists()


def test_the_lock_is_released_when_the_command_ends_and_is_per_environment(workdir: Path) -> None:
    env = {secrets.PASSWORD_ENV: PASSWORD}
    assert run(workdir, "init", "demo", "--cloud", "local", env=env).exit_code == 0
    assert run(workdir, "init", "other", "--cloud", "local", env=env).exit_code == 0
    assert run(workdir, "render", "-e", "demo", env=env).exit_code == 0
    hold(workdir).release()  # render let go of it
    lock = hold(workdir, "other")
    try:
        assert run(workdir, "render", "-e", "demo", env=env).exit_code == 0  # another environment's lock
        assert run(workdir, "validate", "-e", "other", env=env).exit_code == 0  # read-only commands do not lock
    finally:
        lock.release()
    record = json.loads((workdir / ".openedx-deploy" / "locks" / "demo.lock").read_text())
    assert record["command"] == "render" and record["pid"] == os.getpid()


def test_a_failed_command_releases_the_lock(workdir: Path) -> None:
    assert run(workdir, "init", "demo", "--cloud", "local").exit_code == 0
    (workdir / "environments" / "demo.secrets.yml").write_bytes(secrets.VAULT_HEADER + b"\nbroken\n")
    assert run(workdir, "render", "-e", "demo").exit_code == 1
    hold(workdir).release()


def test_lock_in_another_process_is_reported(workdir: Path) -> None:
    ready, done = SPAWN.Event(), SPAWN.Event()
    holder = SPAWN.Process(target=_hold_in_child, args=(str(workdir), ready, done))
    holder.start()
    try:
        assert ready.wait(120)
        with pytest.raises(EnvironmentLocked, match=rf"locked by pid {holder.pid} \(destroy\)"):
            hold(workdir)
    finally:
        done.set()
        holder.join(30)
    hold(workdir).release()  # the holder exited: the kernel released its lock


def _hold_in_child(workdir: str, ready: object, done: object) -> None:
    EnvironmentLock(Workdir(Path(workdir)).lock_file("demo"), "demo", "destroy").acquire()
    ready.set()  # type: ignore[attr-defined]
    done.wait(120)  # type: ignore[attr-defined]


def test_every_changing_command_locks() -> None:
    names = {command for command in cli.commands}  # type: ignore[attr-defined]
    assert {"init", "render", "up", "destroy", "upgrade", "backup", "restore"} <= LOCKING_COMMANDS <= names


# ----------------------------------------------------------------------------------------------------
# Secrets: generated once, atomically


def _generate(args: tuple[str, str]) -> dict[str, str]:
    path, password = args
    values, _ = secrets.ensure_secrets(Path(path), secrets.Vault(password))
    return values


def test_concurrent_generation_gives_one_secret_set(tmp_path: Path) -> None:
    path = tmp_path / "environments" / "demo.secrets.yml"
    with SPAWN.Pool(4) as pool:
        results = pool.map_async(_generate, [(str(path), PASSWORD)] * 8).get(timeout=300)
    assert all(result == results[0] for result in results), "two processes generated different secrets"
    assert secrets.load_secrets(path, secrets.Vault(PASSWORD)) == results[0]
    assert [p.name for p in path.parent.iterdir()] == ["demo.secrets.yml"], "a temporary file was left behind"


def test_an_interrupted_write_leaves_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "demo.secrets.yml"
    vault = secrets.Vault(PASSWORD)
    secrets.write_secrets(path, vault, {"a": "1"})
    before = path.read_bytes()

    def crash(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(secrets.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        secrets.write_secrets(path, vault, {"a": "2"})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["demo.secrets.yml"]


# ----------------------------------------------------------------------------------------------------
# One vault password per working directory


def test_init_never_creates_a_second_password_while_secrets_exist(workdir: Path) -> None:
    assert run(workdir, "init", "demo", "--cloud", "local").exit_code == 0
    (workdir / ".openedx-deploy" / "vault-password").unlink()
    result = run(workdir, "init", "other", "--cloud", "local")
    assert result.exit_code == 2, result.output
    assert "demo.secrets.yml" in result.output and "vault-password" in result.output
    assert not (workdir / ".openedx-deploy" / "vault-password").exists()
    assert not (workdir / "environments" / "other.yml").exists()


def test_init_refuses_a_password_that_does_not_open_existing_secrets(workdir: Path) -> None:
    assert run(workdir, "init", "demo", "--cloud", "local").exit_code == 0
    result = run(workdir, "init", "other", "--cloud", "local", env={secrets.PASSWORD_ENV: "another"})
    assert result.exit_code == 2, result.output
    assert "two vault passwords" in result.output
    (workdir / ".openedx-deploy" / "vault-password").unlink()
    result = run(workdir, "init", "other", "--cloud", "local", env={secrets.PASSWORD_ENV: "another"})
    assert result.exit_code == 2 and "encrypted with another vault password" in result.output
    assert not (workdir / "environments" / "other.yml").exists()


def test_init_with_the_same_password_from_both_sources_is_fine(workdir: Path) -> None:
    assert run(workdir, "init", "demo", "--cloud", "local").exit_code == 0
    password = (workdir / ".openedx-deploy" / "vault-password").read_text().strip()
    assert run(workdir, "init", "other", "--cloud", "local", env={secrets.PASSWORD_ENV: password}).exit_code == 0


def test_concurrent_password_creation_gives_one_password(tmp_path: Path) -> None:
    path = tmp_path / "vault-password"
    with SPAWN.Pool(4) as pool:
        passwords = pool.map_async(_create, [str(path)] * 8).get(timeout=300)
    assert len(set(passwords)) == 1 and path.read_text().strip() == passwords[0]
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def _create(path: str) -> str:
    vault = secrets.resolve_vault(Path(path), create=True)
    return vault._password


# ----------------------------------------------------------------------------------------------------
# Out of version control


def test_init_writes_a_gitignore_covering_secrets_dumps_and_rendered_files(workdir: Path) -> None:
    assert run(workdir, "init", "demo", "--cloud", "local").exit_code == 0
    text = (workdir / ".gitignore").read_text()
    assert text == WORKDIR_GITIGNORE
    for entry in ("/build/", "/backups/", "/.openedx-deploy/", "/inventories/"):
        assert entry in text.splitlines()


def test_init_leaves_an_existing_gitignore_and_says_what_it_misses(workdir: Path) -> None:
    (workdir / ".gitignore").write_text("/build/\n")
    result = run(workdir, "init", "demo", "--cloud", "local")
    assert result.exit_code == 0
    assert (workdir / ".gitignore").read_text() == "/build/\n"
    assert "backups/" in result.output and ".openedx-deploy/" in result.output


def test_the_gitignore_keeps_them_out_of_git(workdir: Path) -> None:
    """With git itself: `git add -A` in a fresh working directory stages the environment files, not the rest."""
    import shutil
    import subprocess

    if not shutil.which("git"):
        pytest.skip("no git binary on PATH")
    assert run(workdir, "init", "demo", "--cloud", "local").exit_code == 0
    for name in ("backups/demo/20260101T000000Z-manual/mysql.sql.gz", "build/demo/terraform/tfplan"):
        (workdir / name).parent.mkdir(parents=True, exist_ok=True)
        (workdir / name).write_text("learner records")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
    subprocess.run(["git", "init", "-q"], cwd=workdir, check=True, env=env)
    subprocess.run(["git", "add", "-A"], cwd=workdir, check=True, env=env)
    staged = subprocess.run(
        ["git", "diff", "--cached", "--name-only"], cwd=workdir, check=True, env=env, capture_output=True, text=True
    ).stdout.split()
    assert sorted(staged) == [".gitignore", "environments/demo.secrets.yml", "environments/demo.yml"]


def test_the_repository_gitignore_covers_local_backups_and_plans() -> None:
    lines = (Path(__file__).parent.parent / ".gitignore").read_text().splitlines()
    assert "/backups/" in lines and "tfplan" in lines
