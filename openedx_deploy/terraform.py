"""The Terraform adapter: the one module that touches python-terraform (unmaintained, so kept behind this class).

Secrets reach Terraform only as TF_VAR_* variables in the environment of the child process: never in a var file,
never on a command line, never in this process's environment. python-terraform builds the command line; the child
runs here, so `plan` and `apply` stream Terraform's machine-readable UI (`-json`) into the live progress display,
line by line. Flags are spelled out per command because python-terraform's convenience methods add flags newer
Terraform versions removed (`destroy -force`). The binary is `terraform`, or OpenTofu's `tofu`, or any path, from
OPENEDX_DEPLOY_TERRAFORM.

Every call is logged, with its secrets redacted (runlog.py), to build/<name>/logs/terraform.log: the command, the
streamed UI messages and diagnostics, stderr, and the exit code; never the stdout of `show` or `output` (the plan and
the outputs hold secrets in plain text). `-v` sets TF_LOG in the child (INFO, `-vv` DEBUG); Terraform writes that log
to a private temporary file (TF_LOG_PATH), which goes into terraform.log redacted, never to the terminal. TF_LOG*
variables of the operator's own environment are not passed on: `-v` is the one way in, so the log is redacted.

Plan files and local state hold those secrets in plain text, so Terraform runs with umask 077 (what it creates is
0600, directories 0700), existing state files are made 0600, and a plan file lives only between `plan` and `apply`
(removed after apply, when there is nothing to apply, and at the latest when the process exits).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged, Terraform

from .errors import DeployError
from .runlog import Redactor, append_log, timestamp

PLAN_FILE = "tfplan"
BINARY_ENV = "OPENEDX_DEPLOY_TERRAFORM"
LOG_FILE = "terraform.log"
# TF_LOG by the count of -v; more than -vv is still DEBUG (TRACE adds the providers' whole RPC payloads).
TF_LOG_LEVELS = {1: "INFO", 2: "DEBUG"}
# The -json UI messages shown as progress (https://developer.hashicorp.com/terraform/internals/machine-readable-ui).
_PROGRESS_TYPES = ("planned_change", "change_summary", "apply_start", "apply_complete", "apply_errored", "diagnostic")
# Files Terraform writes that can hold secrets in plain text.
_SECRET_BEARING = (PLAN_FILE, "*.tfstate", "*.tfstate.*", "*.tfplan")
_PLANS_TO_REMOVE: set[Path] = set()


def _remove_plans_at_exit() -> None:
    for path in list(_PLANS_TO_REMOVE):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
    _PLANS_TO_REMOVE.clear()


atexit.register(_remove_plans_at_exit)


@contextmanager
def _private_umask() -> Iterator[None]:
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def make_private(working_dir: Path) -> None:
    """The root module's directory and its parent (build/NAME) 0700, and every state or plan file under it 0600
    (wherever the local backend's `path` put it, workspaces included)."""
    for directory in (working_dir.parent, working_dir):
        if directory.is_dir():
            os.chmod(directory, 0o700)
    if not working_dir.is_dir():
        return
    for pattern in _SECRET_BEARING:
        for path in working_dir.rglob(pattern):
            if path.is_file() and not path.is_symlink():
                os.chmod(path, 0o600)
                os.chmod(path.parent, 0o700)


@dataclass(frozen=True)
class ResourceChange:
    """A planned change that removes a resource: `destroy` (["delete"]) or `replace` (["delete", "create"] or
    ["create", "delete"]: the resource is destroyed and created anew, with what it held)."""

    address: str
    action: str


@dataclass
class PlanSummary:
    add: int = 0
    change: int = 0
    destroy: int = 0
    outputs_changed: bool = False
    resources: list[str] = field(default_factory=list)  # "create module.stack...aws_instance.this[0]"
    removals: list[ResourceChange] = field(default_factory=list)  # every destroy or replace, in plan order

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.destroy or self.outputs_changed)


def default_binary() -> str:
    """`terraform` unless OPENEDX_DEPLOY_TERRAFORM names another (`tofu`, or a path)."""
    return os.environ.get(BINARY_ENV) or "terraform"


def tf_log_level(verbosity: int) -> str | None:
    """The TF_LOG level the count of -v asks for: none, INFO (-v), DEBUG (-vv and more)."""
    return TF_LOG_LEVELS[min(verbosity, max(TF_LOG_LEVELS))] if verbosity > 0 else None


def _ui_message(line: str) -> dict[str, Any] | None:
    """One line of Terraform's -json UI as a message, or None when the line is not one."""
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) and "@message" in message else None


# What `terraform state list` says, exiting 1, when the backend has no state at all.
_NO_STATE = "No state file was found"


def _is_managed(address: str) -> bool:
    """Whether a `state list` address is a managed resource, not a data source: module.a.data.t.n is a data source,
    module.data.t.n (a module named data) and t.data["x.y"] (a resource named data) are not."""
    parts = re.sub(r"\[[^\]]*\]", "", address).split(".")
    while parts[:1] == ["module"]:
        parts = parts[2:]
    return parts[:1] != ["data"]


def _diagnostic_text(message: dict[str, Any]) -> str:
    diagnostic = message.get("diagnostic") or {}
    summary, detail = diagnostic.get("summary", message.get("@message", "")), diagnostic.get("detail", "")
    return f"{summary}: {detail}" if detail else str(summary)


class TerraformRunner:
    """Runs Terraform in a rendered root module (build/<name>/terraform)."""

    def __init__(
        self,
        working_dir: Path,
        plugin_dir: Path | None = None,
        binary: str | None = None,
        progress: Callable[[str], None] | None = None,
        log_dir: Path | None = None,
        verbosity: int = 0,
    ) -> None:
        self.working_dir = working_dir
        self.plugin_dir = plugin_dir
        self.binary = binary or default_binary()
        self._tf = Terraform(working_dir=str(working_dir), terraform_bin_path=self.binary)
        self._progress = progress or (lambda _message: None)
        self.log_path = (log_dir or working_dir.parent / "logs") / LOG_FILE
        self.verbosity = verbosity
        self._nothing_planned = False

    @property
    def plan_path(self) -> Path:
        return self.working_dir / PLAN_FILE

    def discard_plan(self) -> None:
        """Remove the saved plan: it holds the secrets of the resources it plans in plain text."""
        self.plan_path.unlink(missing_ok=True)
        _PLANS_TO_REMOVE.discard(self.plan_path)

    def _run(self, command: str, *args: str, secrets: Mapping[str, str] | None = None, **options: Any) -> str:
        """Runs one Terraform command; its stdout, or DeployError with Terraform's own diagnostics. With `json`
        among the options of plan or apply, the UI is streamed to the progress display as it comes."""
        secrets = dict(secrets or {})
        redact = Redactor(secrets.values())
        stream = command in ("plan", "apply") and options.get("json") is IsFlagged
        argv = self._tf.generate_cmd_string(command, *args, no_color=IsFlagged, **options)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TF_LOG")},
            "TF_IN_AUTOMATION": os.environ.get("TF_IN_AUTOMATION", "1"),
            "CHECKPOINT_DISABLE": os.environ.get("CHECKPOINT_DISABLE", "1"),
            **{f"TF_VAR_{k}": v for k, v in secrets.items()},
        }
        level = tf_log_level(self.verbosity)
        make_private(self.working_dir)
        lines: list[str] = []
        errors: list[str] = []
        try:
            with (
                _private_umask(),
                tempfile.TemporaryFile() as stderr_file,
                tempfile.TemporaryDirectory(prefix="openedx-deploy-tf-log-") as tf_log_dir,
            ):
                tf_log = Path(tf_log_dir) / "tf.log"
                if level:
                    env |= {"TF_LOG": level, "TF_LOG_PATH": str(tf_log)}
                try:
                    child = subprocess.Popen(
                        argv, cwd=self.working_dir, env=env, stdout=subprocess.PIPE, stderr=stderr_file, text=True
                    )
                except FileNotFoundError:
                    raise DeployError(
                        f"no {self.binary} binary on PATH: install Terraform (or OpenTofu and set {BINARY_ENV}=tofu)"
                    ) from None
                assert child.stdout is not None
                out: list[str] = []
                try:
                    for line in child.stdout:
                        out.append(line)
                        message = _ui_message(line) if stream else None
                        if message is None:
                            continue
                        if message.get("type") == "diagnostic" and message.get("@level") == "error":
                            errors.append(_diagnostic_text(message))
                        if message.get("type") in _PROGRESS_TYPES:
                            text = redact(str(message["@message"]))
                            self._progress(f"terraform {command}: {text}")
                            # The log keeps a diagnostic whole: its detail says what to fix.
                            diagnostic = message.get("type") == "diagnostic"
                            lines.append(redact(_diagnostic_text(message)) if diagnostic else text)
                    rc = child.wait()
                except BaseException:
                    # Ctrl-C reached Terraform too (same process group): let it stop cleanly and release the lock.
                    try:
                        child.wait(timeout=120)
                    except subprocess.TimeoutExpired:
                        child.kill()
                    raise
                stderr_file.seek(0)
                err = stderr_file.read().decode(errors="replace")
                debug = tf_log.read_text(errors="replace") if level and tf_log.is_file() else ""
        finally:
            make_private(self.working_dir)
        stdout = "".join(out)
        logged = lines if stream else ([] if command in ("show", "output") else stdout.splitlines())
        self._log(argv, logged, redact(err), rc, (level, redact(debug)) if level else None)
        if rc != 0:
            detail = "\n".join(errors) or err or ("" if stream else stdout)
            raise DeployError(
                f"terraform {command} failed in {self.working_dir}:\n{redact(detail.strip())}\n"
                f"(the whole run: {self.log_path})"
            )
        return stdout

    def _log(
        self, argv: list[str], lines: list[str], stderr: str, rc: int, tf_log: tuple[str, str] | None = None
    ) -> None:
        """Appends the call, already redacted, to the run log (0600 in a 0700 directory: it names resources and
        addresses); `tf_log` is (level, what Terraform logged at it) when -v asked for TF_LOG."""
        text = f"== {timestamp()} {' '.join(argv[1:])} (in {self.working_dir})\n"
        text += "".join(f"{line}\n" for line in lines)
        if stderr.strip():
            text += f"-- stderr\n{stderr.rstrip()}\n"
        if tf_log is not None:
            text += f"-- TF_LOG={tf_log[0]}\n{tf_log[1].rstrip()}\n"
        text += f"-- exit code {rc}\n"
        append_log(self.log_path, text)

    def init(self) -> None:
        self._run(
            "init",
            input=False,
            backend_config="backend.json",
            plugin_dir=str(self.plugin_dir) if self.plugin_dir else None,
        )

    def plan(
        self,
        secrets: Mapping[str, str] | None = None,
        destroy: bool = False,
        targets: list[str] | None = None,
    ) -> PlanSummary:
        """Plans into `tfplan` (optionally a destroy, optionally limited to `targets`) and summarises it."""
        self._nothing_planned = False
        options: dict[str, Any] = {"input": False, "out": PLAN_FILE, "lock_timeout": "120s", "json": IsFlagged}
        if destroy:
            options["destroy"] = IsFlagged
        if targets:
            options["target"] = list(targets)
        _PLANS_TO_REMOVE.add(self.plan_path)
        try:
            self._run("plan", secrets=secrets, **options)
            shown = json.loads(self._run("show", PLAN_FILE, json=IsFlagged))
        except BaseException:
            self.discard_plan()
            raise
        summary = PlanSummary()
        for change in shown.get("resource_changes", []):
            actions = change.get("change", {}).get("actions", [])
            if actions in (["no-op"], ["read"]):
                continue
            if "create" in actions:
                summary.add += 1
            if "delete" in actions:
                summary.destroy += 1
                action = "destroy" if actions == ["delete"] else "replace"
                summary.removals.append(ResourceChange(str(change.get("address")), action))
            if actions == ["update"]:
                summary.change += 1
            summary.resources.append(f"{'/'.join(actions)} {change.get('address')}")
        summary.outputs_changed = any(c.get("actions") != ["no-op"] for c in shown.get("output_changes", {}).values())
        if not summary.has_changes:
            self.discard_plan()  # nothing to apply: no reason to keep its secrets on disk
            self._nothing_planned = True
        return summary

    def apply(self, secrets: Mapping[str, str] | None = None) -> None:
        """Applies the plan `plan()` saved: exactly what was shown, nothing planned anew; then removes it."""
        if not self.plan_path.is_file() and self._nothing_planned:
            return  # the last plan had no changes and was removed: applying it would change nothing
        if not self.plan_path.is_file():
            raise DeployError(f"no saved plan in {self.working_dir}: plan first (a plan is applied once, then removed)")
        try:
            self._run("apply", PLAN_FILE, secrets=secrets, input=False, lock_timeout="120s", json=IsFlagged)
        finally:
            self.discard_plan()

    def state_is_absent(self) -> bool:
        """Whether the root module keeps its state with the local backend and the state file does not exist: nothing
        was ever applied here. Answered from backend.json without Terraform (no `init`, no provider, no
        credentials); a remote backend is never answered here (False): ask `state_resources()`."""
        try:
            config = json.loads((self.working_dir / "backend.json").read_text())
        except (OSError, ValueError):
            return False
        path = config.get("path") if isinstance(config, dict) else None
        return isinstance(path, str) and not (self.working_dir / path).exists()

    def state_resources(self) -> list[str]:
        """Addresses of the managed resources the state holds (`terraform state list`, data sources left out); []
        for a state that holds none or does not exist. Needs `init` first. Reads the backend only: the providers
        are not configured, so no cloud credentials are needed beyond a remote backend's own."""
        try:
            listed = self._run("state list")
        except DeployError as exc:
            if _NO_STATE in str(exc):
                return []
            raise
        return [address for address in listed.split("\n") if address.strip() and _is_managed(address.strip())]

    def move_state(self, moves: Sequence[tuple[str, str]]) -> None:
        """`terraform state mv FROM TO` for each move, in order (statemoves.pending_moves picks them). Terraform
        keeps a backup of the state before each; a remote backend's lock is waited for as a plan's is."""
        for source, target in moves:
            self._progress(f"terraform state mv: {source} -> {target}")
            self._run("state mv", source, target, lock_timeout="120s")

    def outputs(self) -> dict[str, Any]:
        """`terraform output -json`, values only: {} when the state has no outputs (never applied, or destroyed).
        Needs `init` first in a fresh working directory (the backend is read through it)."""
        raw = json.loads(self._run("output", json=IsFlagged) or "{}")
        return {name: value.get("value") for name, value in raw.items()}
