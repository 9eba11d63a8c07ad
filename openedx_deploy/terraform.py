"""The Terraform adapter: the one module that touches python-terraform (unmaintained, so kept behind this class).

Secrets reach Terraform only as TF_VAR_* environment variables for the duration of a call: never in a var file,
never on a command line. Flags are spelled out per command because python-terraform's convenience methods add
flags newer Terraform versions removed (`destroy -force`).

Plan files and local state hold those secrets in plain text, so Terraform runs with umask 077 (what it creates is
0600, directories 0700), existing state files are made 0600, and a plan file lives only between `plan` and `apply`
(removed after apply, when there is nothing to apply, and at the latest when the process exits).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged, Terraform

from .errors import DeployError

PLAN_FILE = "tfplan"
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


@contextmanager
def _secret_env(variables: Mapping[str, str]) -> Iterator[None]:
    saved = {f"TF_VAR_{k}": os.environ.get(f"TF_VAR_{k}") for k in variables}
    os.environ.update({f"TF_VAR_{k}": v for k, v in variables.items()})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class TerraformRunner:
    """Runs Terraform in a rendered root module (build/<name>/terraform)."""

    def __init__(self, working_dir: Path, plugin_dir: Path | None = None, binary: str = "terraform") -> None:
        self.working_dir = working_dir
        self.plugin_dir = plugin_dir
        self._tf = Terraform(working_dir=str(working_dir), terraform_bin_path=binary)
        self._nothing_planned = False
        os.environ.setdefault("TF_IN_AUTOMATION", "1")
        os.environ.setdefault("CHECKPOINT_DISABLE", "1")

    @property
    def plan_path(self) -> Path:
        return self.working_dir / PLAN_FILE

    def discard_plan(self) -> None:
        """Remove the saved plan: it holds the secrets of the resources it plans in plain text."""
        self.plan_path.unlink(missing_ok=True)
        _PLANS_TO_REMOVE.discard(self.plan_path)

    def _run(self, command: str, *args: str, secrets: Mapping[str, str] | None = None, **options: Any) -> str:
        make_private(self.working_dir)
        try:
            with _secret_env(secrets or {}), _private_umask():
                rc, out, err = self._tf.cmd(command, *args, no_color=IsFlagged, **options)
        finally:
            make_private(self.working_dir)
        if rc != 0:
            raise DeployError(f"terraform {command} failed in {self.working_dir}:\n{(err or out or '').strip()}")
        return str(out or "")

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
        options: dict[str, Any] = {"input": False, "out": PLAN_FILE, "lock_timeout": "120s"}
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
            self._run("apply", PLAN_FILE, secrets=secrets, input=False, lock_timeout="120s")
        finally:
            self.discard_plan()

    def outputs(self) -> dict[str, Any]:
        """`terraform output -json`, values only: {} when the state has no outputs (never applied, or destroyed).
        Needs `init` first in a fresh working directory (the backend is read through it)."""
        raw = json.loads(self._run("output", json=IsFlagged) or "{}")
        return {name: value.get("value") for name, value in raw.items()}
