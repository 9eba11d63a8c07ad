"""Offline checks over the roles that fail when a secret protection regresses:

- every task whose arguments carry a secret has `no_log: true`;
- every template that renders a secret (directly or through the templates it includes) is written by a task with
  `no_log: true` and an explicit mode that no other user can read;
- no systemd unit or command line carries a secret (`podman run --env NAME=secret` is visible in `ps` to every user
  of the host).

A secret is a variable whose name says it is one (`*_password`, `*_secret`, `*_secret_key`, `*_api_key`,
`*_master_key`, `*_private_key`, `*_account_key`, `vault_*`, the MongoDB keyfile); names of paths and files to
secrets (`*_path`, `*_file`, `*_dir`) are not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.playbook.task import Task

ROLES = Path(__file__).resolve().parents[1] / "roles"
SECRET_NAME = re.compile(
    r"^(vault_\w+|\w*password|\w*_secret|\w*secret_key|\w*_api_key|\w*master_key|\w*private_key|\w*account_key"
    r"|mongodb_keyfile|_jwt_secret)$"
)
NOT_A_SECRET = re.compile(r"(_path|_file|_dir|_url|_user|_users)$")
# Names that match the pattern but hold no secret, each with the reason.
NOT_SECRETS = {
    "mongodb_update_passwords": "when to update passwords (on_create/always), not a password",
}
# Ansible's own task keywords (the rest of a task's keys is its module), and those that never carry a value to it.
TASK_KEYWORDS = set(Task.fattributes) | {"listen", "block", "rescue", "always"}
KEYWORDS = TASK_KEYWORDS - {"vars", "environment", "args", "loop"}
WORLD_READABLE = 0o004


def secret_references(text: str) -> set[str]:
    found = set()
    for expression in re.findall(r"{[{%](.*?)[}%]}", text, re.S):
        for word in re.findall(r"\b[a-z_][a-z0-9_]*\b", expression):
            if SECRET_NAME.match(word) and not NOT_A_SECRET.search(word) and word not in NOT_SECRETS:
                found.add(word)
    return found


def tasks_in(node: Any) -> Iterator[dict[str, Any]]:
    for task in node or []:
        if not isinstance(task, dict):
            continue
        for section in ("block", "rescue", "always"):
            if section in task:
                yield from tasks_in(task[section])
        if "block" not in task:
            yield task


def role_tasks() -> Iterator[tuple[str, Path, dict[str, Any]]]:
    for path in sorted(ROLES.glob("*/tasks/*.yml")) + sorted(ROLES.glob("*/handlers/*.yml")):
        for task in tasks_in(yaml.safe_load(path.read_text())):
            yield path.parts[-3], path, task


def module_of(task: dict[str, Any]) -> str:
    modules = [key for key in task if key not in TASK_KEYWORDS and not key.startswith("with_")]
    assert len(modules) == 1, f"cannot tell the module of task {task.get('name')!r}: {modules}"
    return modules[0]


def template_secrets(role: str, name: str, seen: frozenset[str] = frozenset()) -> set[str]:
    """The secrets a role template renders, following `include 'x.j2'` and template lookups within the role."""
    directory = ROLES / role / "templates"
    text = (directory / name).read_text()
    found = secret_references(text)
    included = set(re.findall(r"['\"]([\w.-]+\.j2)['\"]", text))
    if "lookup('ansible.builtin.template'" in text or 'lookup("ansible.builtin.template"' in text:
        included |= {p.name for p in directory.glob("*.j2")}  # a computed name: any template of the role
    for other in sorted(included - seen - {name}):
        if (directory / other).is_file():
            found |= template_secrets(role, other, seen | {name})
    return found


def task_id(path: Path, task: dict[str, Any]) -> str:
    return f"{path.relative_to(ROLES)}: {task.get('name')!r}"


def test_every_task_that_handles_a_secret_has_no_log() -> None:
    missing = []
    for _role, path, task in role_tasks():
        arguments = {k: v for k, v in task.items() if k not in KEYWORDS}
        if secret_references(yaml.safe_dump(arguments)) and task.get("no_log") is not True:
            missing.append(task_id(path, task))
    assert not missing, "tasks that carry a secret without `no_log: true`:\n" + "\n".join(missing)


def secret_templates() -> list[tuple[str, Path, dict[str, Any], str]]:
    found = []
    for role, path, task in role_tasks():
        module = module_of(task)
        if not module.endswith("template"):
            continue
        arguments = task[module]
        sources = (
            [item["src"] for item in task.get("loop", [])] if "{{" in str(arguments["src"]) else [arguments["src"]]
        )
        for source in sources:
            if template_secrets(role, source):
                found.append((role, path, task, source))
    return found


def test_the_secret_template_check_sees_the_known_secret_files() -> None:
    """The check below is only as good as its reach: these files are known to hold secrets."""
    sources = {(role, source) for role, _path, _task, source in secret_templates()}
    assert {("openedx_config", "settings.yml.j2"), ("redis", "redis.conf.j2")} <= sources


@pytest.mark.parametrize(
    ("role", "path", "task", "source"),
    [pytest.param(*row, id=f"{row[0]}/{row[3]}") for row in secret_templates()],
)
def test_secret_bearing_files_are_private_and_unlogged(
    role: str, path: Path, task: dict[str, Any], source: str
) -> None:
    arguments = task[module_of(task)]
    assert task.get("no_log") is True, f"{task_id(path, task)} renders {source} with secrets: needs `no_log: true`"
    mode = str(arguments.get("mode", ""))
    if mode.startswith("{{"):
        variable = mode.strip("{} ")
        defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())
        mode = str(defaults[variable])
    assert re.fullmatch(r"0?[0-7]{3,4}", mode), f"{task_id(path, task)}: mode {mode!r} must be explicit octal"
    assert not int(mode, 8) & WORLD_READABLE, f"{task_id(path, task)} writes {source} world-readable ({mode})"


def test_no_unit_file_or_command_line_carries_a_secret() -> None:
    """A unit's ExecStart is a command line: `ps` shows it to every user of the host."""
    offenders = []
    for unit in sorted(ROLES.glob("*/templates/*.service.j2")):
        found = template_secrets(unit.parts[-3], unit.name)
        if found:
            offenders.append(f"{unit.relative_to(ROLES)}: {sorted(found)}")
    for role, path, task in role_tasks():
        module = module_of(task)
        if module.split(".")[-1] in ("command", "shell", "raw"):
            argv = (
                task[module]
                if isinstance(task[module], str)
                else yaml.safe_dump(task[module].get("argv") or task[module].get("cmd", ""))
            )
            found = secret_references(str(argv))
            if found:
                offenders.append(f"{task_id(path, task)} ({role}): {sorted(found)} on a command line")
    assert not offenders, "secrets on command lines:\n" + "\n".join(offenders)


def test_the_checks_find_a_planted_regression(tmp_path: Path) -> None:
    """The patterns catch what they are for: a password in module arguments and in a unit's command line."""
    task = {"name": "x", "community.mysql.mysql_user": {"password": "{{ mysql_app_password }}"}}
    assert secret_references(yaml.safe_dump(task)) == {"mysql_app_password"}
    assert secret_references('--env "DB={{ notes_db_password }}"') == {"notes_db_password"}
    assert not secret_references("{{ _proxy_private_key_path }} {{ mongodb_keyfile_path }} {{ mysql_app_user }}")


HARDENING_FLAGS = ("--security-opt=no-new-privileges", "--cap-drop=all")


def podman_runs() -> list[tuple[str, str]]:
    """(template, the podman run command with its continuation lines) for every container a role starts."""
    found = []
    for template in sorted(ROLES.glob("*/templates/*.j2")):
        lines = template.read_text().splitlines()
        for index, line in enumerate(lines):
            if re.search(r"\bpodman run\b", line):
                command = [line]
                while command[-1].rstrip().endswith("\\") and index + len(command) < len(lines):
                    command.append(lines[index + len(command)])
                found.append((str(template.relative_to(ROLES)), "\n".join(command)))
    return found


def test_every_container_runs_without_new_privileges_or_capabilities() -> None:
    runs = podman_runs()
    assert {t.split("/")[0] for t, _ in runs} >= {"openedx_app", "workers", "mfe", "notes", "openedx_jobs"}
    missing = [f"{t}: {flag}" for t, command in runs for flag in HARDENING_FLAGS if flag not in command]
    assert not missing, "podman run without its hardening flags:\n" + "\n".join(missing)


# `--env NAME=value` or `-e NAME` (but not `--env-file`) in a podman command.
INLINE_ENV = re.compile(r"\s(--env(?!-file)|-e)[\s=]")


def test_units_pass_the_container_environment_as_a_root_only_file() -> None:
    """An inline `--env NAME=value` puts the value on the unit's command line, which `ps` shows every user and systemd
    expands (% specifiers, $VARIABLES) and unquotes; each unit names an --env-file instead (its role writes it root
    only, without logging it: tests/test_container_environment.py)."""
    assert INLINE_ENV.search(' \\\n  --env "DB={{ notes_db_password }}" \\') and INLINE_ENV.search(" -e X=1")
    assert not INLINE_ENV.search(" --env-file /etc/openedx-deploy/openedx-lms.env")
    units = [(t, command) for t, command in podman_runs() if t.endswith(".service.j2")]
    assert {t.split("/")[0] for t, _ in units} >= {"openedx_app", "workers", "mfe", "notes"}
    inline = [t for t, command in units if INLINE_ENV.search(command)]
    assert not inline, "units passing the container environment inline:\n" + "\n".join(inline)
    without_file = [t for t, command in units if "--env-file " not in command]
    assert not without_file, "units without an --env-file:\n" + "\n".join(without_file)
