"""The Ansible adapter: runs a playbook through ansible-runner and reports progress and what changed.

Everything Ansible-specific stays here so the workflows see only `PlaybookResult`, and tests can swap the runner.
Secrets reach Ansible only through the vault password file; `no_log` in the roles keeps them out of events.

Every run is appended to build/<name>/logs/ansible.log (runlog.py: 0600, every secret value of the environment
replaced by `<redacted>`, whether or not a task had `no_log`): what ansible-playbook printed (each task's result per
host, failures, the recap), at the verbosity of `-v`. The events ansible-runner keeps under artifacts/ are redacted
the same way, and the files where it keeps output or environment unredacted are removed after each run.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import sysconfig
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .ansiblecollections import collections_env
from .errors import DeployError
from .runlog import Redactor, open_log, timestamp

Progress = Callable[[str, str], None]  # (host, task name)
MITOGEN_ENV = "OPENEDX_DEPLOY_MITOGEN"
# The hosts' Python (Debian 12, Ubuntu 24.04): Ansible's interpreter, so that nothing runs discovery.
PYTHON_INTERPRETER = "/usr/bin/python3"
ENV_FILES = ("envvars", "extravars", "cmdline", "passwords", "settings", "ssh_key")
LOG_FILE = "ansible.log"


def path_with_own_scripts(path: str) -> str:
    """PATH with the scripts directory of this install's Python first. ansible-runner starts `ansible-playbook` by
    name, from PATH: a pipx install puts only `openedx-deploy` on PATH, not its venv's bin/ (a run failed with rc 127,
    command not found), and an Ansible found elsewhere on PATH would be another version than the one installed with
    the tool. The tool's own Ansible comes first, whatever else is on PATH."""
    scripts = sysconfig.get_path("scripts")
    return os.pathsep.join([scripts, *(p for p in path.split(os.pathsep) if p and p != scripts)])


def mitogen_env(default: bool = False) -> dict[str, str]:
    """Ansible settings that run playbooks under Mitogen's strategy: with `default` (the local target's hosts) unless
    OPENEDX_DEPLOY_MITOGEN=0, without it only when OPENEDX_DEPLOY_MITOGEN=1. Asked for but not installed is an error,
    not a silent fall-back to the slower linear strategy.

    Mitogen keeps one Python interpreter per host for the whole run instead of copying and starting each module
    afresh: a no-op `up` of the single-host local environment took 112.8 s instead of 157.4 s (docs/ansible.md).
    A fresh host converges under it because the common role installs python3-apt before the first apt task (the
    apt module's own install re-spawns Python, which Mitogen's in-process execution does not do). Cloud hosts
    (SSH through a bastion) stay on the linear strategy until it is proven there. It redirects the short
    transport names only (`ssh`, `podman`), which is why inventories name those.
    """
    asked = os.environ.get(MITOGEN_ENV, "").strip().lower()
    if not (asked in ("1", "true", "yes") or (default and asked not in ("0", "false", "no"))):
        return {}
    found = importlib.util.find_spec("ansible_mitogen")
    if found is None or found.origin is None:
        raise DeployError(
            f"{MITOGEN_ENV}=1 asks for Mitogen, but ansible_mitogen is not importable (pip install mitogen)"
        )
    strategies = Path(found.origin).parent / "plugins" / "strategy"
    return {"ANSIBLE_STRATEGY_PLUGINS": str(strategies), "ANSIBLE_STRATEGY": "mitogen_linear"}


@dataclass
class PlaybookResult:
    status: str
    rc: int
    changed: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    unreachable: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # "host: task: message", for the error report
    changed_tasks: list[str] = field(default_factory=list)  # "host: role : task" of each change (check mode: would)
    log: Path | None = None  # the run log this run was appended to

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.failed and not self.unreachable

    @property
    def changed_total(self) -> int:
        return sum(self.changed.values())


class AnsibleRunner:
    """Runs playbooks with ansible-runner; artifacts go to `artifacts_dir` (one directory per environment,
    build/<name>/ansible), the run log to `log_dir` (default: build/<name>/logs). `verbosity` is the count of -v
    ansible-playbook gets; `mitogen` makes Mitogen's strategy the default (the local target's hosts)."""

    def __init__(
        self,
        artifacts_dir: Path,
        roles_path: Path,
        extra_env: Mapping[str, str] | None = None,
        verbosity: int = 0,
        log_dir: Path | None = None,
        mitogen: bool = False,
    ) -> None:
        self.artifacts_dir = artifacts_dir
        self.mitogen = mitogen  # Mitogen's strategy unless OPENEDX_DEPLOY_MITOGEN=0 (see mitogen_env)
        self.roles_path = roles_path
        self.extra_env = dict(extra_env or {})
        self.verbosity = verbosity
        self.log_path = (log_dir or artifacts_dir.parent / "logs") / LOG_FILE

    def run_playbook(
        self,
        playbook: Path,
        inventory: Path,
        vault_password_file: Path | None = None,
        extravars: Mapping[str, Any] | None = None,
        check: bool = False,
        limit: str | None = None,
        tags: str | None = None,
        progress: Progress | None = None,
        secrets: Iterable[str] = (),
    ) -> PlaybookResult:
        """Runs one playbook, appending it to the run log; `secrets` are the values redacted from the log and from
        the events ansible-runner keeps (every secret of the environment)."""
        import ansible_runner

        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        cmdline = []
        if vault_password_file:
            cmdline += ["--vault-password-file", str(vault_password_file)]
        if check:
            cmdline += ["--check", "--diff"]
        result = PlaybookResult(status="unknown", rc=-1, log=self.log_path)
        env = {
            "PATH": path_with_own_scripts(os.environ.get("PATH", os.defpath)),
            "ANSIBLE_ROLES_PATH": str(self.roles_path),
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_NOCOLOR": "true",  # ansible-runner gives it a terminal: without this, the log has colour codes
            "ANSIBLE_PIPELINING": "true",
            # site.yml is some 17 plays; facts are gathered once per host per run, not again in each play.
            "ANSIBLE_GATHERING": "smart",
            "ANSIBLE_HOST_KEY_CHECKING": os.environ.get("ANSIBLE_HOST_KEY_CHECKING", "false"),
            # Every host this tool makes runs Debian 12 or Ubuntu 24.04, whose Python is /usr/bin/python3: what
            # discovery would find. Named, because under Mitogen discovery runs again for every task (a second
            # `up` of one local host: 79 s with discovery, docs/ansible.md).
            "ANSIBLE_PYTHON_INTERPRETER": os.environ.get("ANSIBLE_PYTHON_INTERPRETER", PYTHON_INTERPRETER),
            **mitogen_env(self.mitogen),
            **collections_env(),
            **self.extra_env,
        }
        # ansible-runner writes env/envvars, env/extravars and env/cmdline into its private data dir only when they
        # do not exist yet, and then reads them on every later run: a restart's extravars (openedx_restart) would
        # replay into each later `up`, and the first run's environment would override this one's. Nothing is
        # written there, and what an older run left is removed.
        for name in ENV_FILES:
            (self.artifacts_dir / "env" / name).unlink(missing_ok=True)
        options = [*cmdline, *(["--limit", limit] if limit else []), *(["--tags", tags] if tags else [])]
        options += [f"-{'v' * self.verbosity}"] if self.verbosity else []
        with open_log(self.log_path) as log:
            log.write(" ".join([f"== {timestamp()} ansible-playbook {playbook.name} -i {inventory}", *options]) + "\n")
            try:
                with _signal_handlers_kept():
                    run = ansible_runner.run(
                        private_data_dir=str(self.artifacts_dir),
                        suppress_env_files=True,
                        playbook=str(playbook),
                        inventory=str(inventory),
                        cmdline=" ".join(cmdline) or None,
                        extravars=dict(extravars or {}),
                        envvars=env,
                        limit=limit,
                        tags=tags,
                        event_handler=_event_handler(result, Redactor(secrets), log, progress),
                        verbosity=self.verbosity or None,
                        quiet=True,
                        rotate_artifacts=5,
                    )
            except BaseException as error:
                log.write(f"-- stopped: {type(error).__name__}\n")
                raise
            finally:
                _remove_unredacted(self.artifacts_dir / "artifacts")
            log.write(f"-- status {run.status}, rc {run.rc}\n")
        if run.status == "canceled":
            # ansible-runner turns Ctrl-C (SIGINT) and SIGTERM into a cancelled run with rc 254: it is the
            # operator's interruption, not a failed playbook.
            raise KeyboardInterrupt
        stats = run.stats or {}
        result.status, result.rc = run.status, run.rc
        result.changed = dict(stats.get("changed", {}))
        result.failed = dict(stats.get("failures", {}))
        result.unreachable = dict(stats.get("dark", {}))
        return result


# What ansible-runner keeps of a run, unredacted: `command` records the child's whole environment (this process's:
# cloud credentials, OPENEDX_DEPLOY_VAULT_PASSWORD), `stdout` and `stderr` the output lines outside events as
# printed. Its suppress_output_file option is lost in 2.4 (overwritten from env/settings), so they are removed after
# each run; the redacted log is the record of the output, the events (redacted) stay.
_UNREDACTED_ARTIFACTS = ("command", "stdout", "stderr")
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CHANGED_LINE = re.compile(r"^changed: \[", re.MULTILINE)


def _remove_unredacted(artifacts: Path) -> None:
    for name in _UNREDACTED_ARTIFACTS:
        for path in artifacts.glob(f"*/{name}"):
            path.unlink(missing_ok=True)


def _event_handler(
    result: PlaybookResult, redact: Redactor, log: TextIO, progress: Progress | None
) -> Callable[[dict[str, Any]], bool]:
    """ansible-runner's handler of each event: redacts it in place (ansible-runner keeps the event under artifacts/
    after the handler returns), appends what Ansible printed for it to the log, reports progress, and collects the
    failures."""

    named: set[tuple[Any, Any]] = set()  # (host, task uuid) of the changes in changed_tasks

    def on_event(event: dict[str, Any]) -> bool:
        redacted = redact.data(event)
        event.clear()
        event.update(redacted)
        printed = _ANSI_ESCAPE.sub("", str(event.get("stdout") or ""))
        if printed:
            log.write(printed + "\n")
        data = event.get("event_data", {})
        if event.get("event") == "runner_on_start" and progress:
            progress(str(data.get("host", "")), str(data.get("task", "")))
        # A loop's items each have an event (runner_item_on_ok) before the task's own; with no_log the task's own
        # result says nothing of a change, its items' printed lines do. Each changed task is named once per host.
        if event.get("event") in ("runner_on_ok", "runner_item_on_ok") and _reports_a_change(data, printed):
            task = (data.get("host"), data.get("task_uuid"))
            if task not in named:
                named.add(task)
                role = f"{data['role']} : " if data.get("role") else ""
                result.changed_tasks.append(f"{data.get('host')}: {role}{data.get('task')}")
        if event.get("event") == "runner_on_failed" and not data.get("ignore_errors"):
            message = data.get("res", {}).get("msg", "failed")
            result.failures.append(f"{data.get('host')}: {data.get('task')}: {message}")
        if event.get("event") == "runner_on_unreachable":
            result.failures.append(f"{data.get('host')}: unreachable: {data.get('res', {}).get('msg', '')}")
        return True

    return on_event


def _reports_a_change(data: dict[str, Any], printed: str) -> bool:
    """Whether a task's result (`data`, its event data; `printed`, what Ansible printed for it) is a change. A
    `no_log` task's result holds only `censored`, without `changed`; the line printed for it still says
    `changed: [host]`."""
    return bool(data.get("res", {}).get("changed")) or bool(_CHANGED_LINE.search(printed))


@contextmanager
def _signal_handlers_kept() -> Iterator[None]:
    """ansible-runner installs SIGINT and SIGTERM handlers that only cancel its run, and never puts the previous
    ones back: afterwards Ctrl-C would be ignored. This restores them when the run ends."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers: ansible-runner installs none there either
        return
    kept = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in kept.items():
            if handler is not None:
                signal.signal(number, handler)


def require_success(result: PlaybookResult, what: str) -> PlaybookResult:
    if not result.ok:
        detail = "; ".join(result.failures[:5]) or f"ansible-runner status {result.status}, rc {result.rc}"
        whole = f" (the whole run, secrets redacted: {result.log})" if result.log else ""
        raise DeployError(f"{what} failed: {detail}{whole}")
    return result
