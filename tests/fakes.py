"""Test doubles of the adapters in openedx_deploy (localhosts, ansible, terraform, the heartbeat check), shared by
the workflow unit tests. The real adapters have their own tests against podman, ansible-runner and Terraform, and
the slow end-to-end test (tests/test_local_up.py) runs the commands for real.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from openedx_deploy.ansible import PlaybookResult
from openedx_deploy.health import Heartbeat
from openedx_deploy.terraform import PlanSummary, ResourceChange


class FakeHosts:
    def __init__(self) -> None:
        self.running: dict[str, str] = {}
        self.groups: dict[str, tuple[str, ...]] = {}  # recorded at creation, as the real hosts' labels are
        self.calls: list[str] = []
        self.notes: list[str] = []

    def ensure_hosts(self, hosts: Any, network: str) -> list[str]:
        self.calls.append("ensure_hosts")
        created = [h.name for h in hosts if h.name not in self.running]
        for index, host in enumerate(hosts):
            self.running.setdefault(host.name, f"10.89.0.{index + 2}")
            self.groups.setdefault(host.name, tuple(host.groups))
        return created

    def addresses(self, network: str) -> dict[str, str]:
        return dict(self.running)

    def state(self, name: str) -> str:
        return "running" if name in self.running else "absent"

    def containers(self) -> dict[str, dict[str, str]]:
        return {name: {} for name in self.running}

    def remove(self, network: str, include_data: bool = False, keep: Any = ()) -> dict[str, list[str]]:
        data = {"mysql", "mongodb", "redis", "search"}
        kept = sorted(n for n in self.running if n in keep or (not include_data and data & set(self.groups[n])))
        removed = sorted(n for n in self.running if n not in kept)
        for name in removed:
            del self.running[name]
        return {"removed": removed, "kept": kept}


class FakeAnsible:
    def __init__(self, changed: int = 7) -> None:
        self.changed, self.runs = changed, []  # type: ignore[var-annotated]

    def run_playbook(
        self, playbook: Path, inventory: Path, password: Path, check: bool = False, **_: Any
    ) -> PlaybookResult:
        assert password.is_file() and oct(password.stat().st_mode & 0o777) == "0o600"
        self.runs.append({"playbook": playbook.name, "inventory": inventory, "check": check})
        result = PlaybookResult(status="successful", rc=0, changed={"host": self.changed})
        self.changed = 0  # converged: the next run changes nothing
        return result


class FakeTerraform:
    OUTPUTS: ClassVar[dict[str, Any]] = {
        "host_groups": {
            "app": [{"name": "demo-app-1", "address": "10.40.1.10", "public_address": "198.51.100.7"}],
            "worker": [{"name": "demo-worker-1", "address": "10.40.1.20", "public_address": ""}],
            "mysql": [],
            "redis": [],
            "mongodb": [{"name": "demo-mongodb-1", "address": "10.40.2.10", "public_address": ""}],
            "search": [{"name": "demo-search-1", "address": "10.40.2.11", "public_address": ""}],
        },
        "endpoints": {"mysql": {"host": "db.internal", "port": 3306, "managed": True}},
        "buckets": {"uploads": "demo-uploads"},
        "load_balancer": {"address": "", "dns_name": "demo-lb.example.net"},
        "storage_identity": "role",
        "ssh_user": "openedx",
    }
    # Where the real adapter logs each run; the fake runs nothing, so it writes nothing there.
    log_path = Path("build/demo/logs/terraform.log")

    def __init__(self, applied: bool = False, removals: Sequence[tuple[str, str]] = ()) -> None:
        """`applied`: the state already holds the stack (an `up` from elsewhere); `removals`: (address, "destroy" or
        "replace") the next plan of `up` has, until applied."""
        self.log: list[tuple[str, Any]] = []
        self.applied = applied
        self.removals = [ResourceChange(address, action) for address, action in removals]

    def init(self) -> None:
        self.log.append(("init", None))

    def plan(self, secrets: Any = None, destroy: bool = False, targets: Any = None) -> PlanSummary:
        self.log.append(("plan", {"secrets": dict(secrets or {}), "destroy": destroy, "targets": targets}))
        if destroy:
            return PlanSummary(destroy=12, resources=["delete x"])
        if self.removals:
            replaced = sum(c.action == "replace" for c in self.removals)
            resources = [f"{'delete/create' if c.action == 'replace' else 'delete'} {c.address}" for c in self.removals]
            return PlanSummary(add=replaced, destroy=len(self.removals), resources=resources, removals=self.removals)
        return PlanSummary(add=0 if self.applied else 12, resources=[] if self.applied else ["create x"])

    def apply(self, secrets: Any = None) -> None:
        self.log.append(("apply", None))
        self.applied, self.removals = True, []

    def discard_plan(self) -> None:
        self.log.append(("discard_plan", None))

    def state_is_absent(self) -> bool:
        """A local state file that does not exist: nothing applied yet (answered without running Terraform)."""
        return not self.applied

    def move_state(self, moves: Any) -> None:
        self.log.append(("move_state", list(moves)))

    def state_resources(self) -> list[str]:
        self.log.append(("state_resources", None))
        return ["module.stack.module.app.aws_instance.this[0]"] if self.applied else []

    def outputs(self) -> dict[str, Any]:
        """`terraform output -json`: nothing before the first apply, as Terraform answers ({})."""
        self.log.append(("outputs", None))
        return self.OUTPUTS if self.applied else {}


def healthy(target: str, domain: str, verify: bool, **_: Any) -> Heartbeat:
    return Heartbeat(target, domain, 200, {"mysql": "ok", "redis": "ok"})


def use_fake_adapters(monkeypatch: Any, **adapters: Any) -> None:
    """Makes every Deployer the CLI builds use these adapters (preflight, terraform, ansible, heartbeat, ...) in
    place of the real ones; what the CLI passes itself (its confirm) is kept."""
    from openedx_deploy import deploy

    class FakeDeployer(deploy.Deployer):
        def __init__(self, spec: Any, workdir: Any, out: Any, **given: Any) -> None:
            super().__init__(spec, workdir, out, **{**given, **adapters})

    monkeypatch.setattr(deploy, "Deployer", FakeDeployer)
