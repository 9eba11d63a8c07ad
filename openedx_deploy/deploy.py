"""The deploy workflows behind `up`, `status` and `destroy`, composed from the adapters.

up: validate -> preflight -> render -> hosts (Terraform, or podman for the local target) -> inventory from the
outputs -> playbooks/site.yml -> heartbeat through the proxy -> summary. Every phase is idempotent, so an `up`
interrupted anywhere completes when run again, and a second `up` changes nothing. A Terraform plan that destroys or
replaces anything is shown and applied only once confirmed (`--yes` confirms).

The commands after `up` read a cloud's Terraform outputs from the cache `up` writes (build/NAME/terraform/
outputs.json), else from the Terraform state itself (`terraform output -json`): a fresh checkout with remote state,
a CI job, needs no file from the machine that ran `up`.
"""

from __future__ import annotations

import copy
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .ansible import AnsibleRunner, PlaybookResult, require_success
from .errors import Declined, DeployError, UsageError
from .health import Heartbeat, check_heartbeat, require_healthy, wait_healthy
from .localhosts import LocalHosts
from .output import Output
from .paths import Workdir, assets_root
from .preflight import PreflightReport, run_preflight
from .render import (
    SENSITIVE_OUTPUTS,
    LocalSubstitutes,
    RenderResult,
    forget_outputs,
    load_outputs,
    local_entrypoints,
    local_hosts,
    outputs_file,
    render_environment,
    render_inventory,
    render_terraform,
    save_outputs,
)
from .secrets import Vault, ensure_secrets, resolve_vault, ssh_host_public_key
from .snapshots import Snapshot, take_snapshots
from .spec import EnvironmentSpec
from .terraform import PlanSummary, ResourceChange, TerraformRunner

OFFLINE_ENV = "OPENEDX_DEPLOY_OFFLINE"
DOUBLE_IMAGE = "localhost/openedx-double:test"
# Modules holding no data: what `destroy` removes when data is to survive.
STATELESS_MODULES = ("app", "worker", "load_balancer", "bastion")


@dataclass
class UpResult:
    environment: str
    cloud: str
    preflight: list[dict[str, Any]] = field(default_factory=list)
    hosts_created: list[str] = field(default_factory=list)
    terraform: dict[str, Any] | None = None
    ansible_changed: dict[str, int] = field(default_factory=dict)
    heartbeats: list[dict[str, Any]] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)
    substitutes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def changed_total(self) -> int:
        return sum(self.ansible_changed.values())


def registry_reachable(host: str = "registry-1.docker.io", timeout: float = 3) -> bool:
    """Whether the public image registry answers: decides real images or the offline substitutes."""
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def offline_mode() -> bool:
    override = os.environ.get(OFFLINE_ENV, "").lower()
    if override in ("1", "true", "yes"):
        return True
    if override in ("0", "false", "no"):
        return False
    return not registry_reachable()


def build_double_archive() -> str:
    """The contract test double of the Open edX image, as an image archive (built once, cached by content)."""
    script = assets_root("scripts") / "scripts" / "build-double-image"
    # Through bash: an install may not keep the executable bit.
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise DeployError(f"building the Open edX test double failed: {result.stderr.strip()[-2000:]}")
    return result.stdout.strip().splitlines()[-1]


@contextmanager
def vault_password_file(vault: Vault) -> Iterator[Path]:
    """A 0600 file with the vault password for ansible-runner, removed when the run ends."""
    with tempfile.TemporaryDirectory(prefix="openedx-deploy-") as directory:
        path = Path(directory) / "vault-password"
        vault.write_password_file(path)
        yield path


class Deployer:
    """One environment's workflows. Adapters come from factories so tests can swap them."""

    def __init__(
        self,
        spec: EnvironmentSpec,
        workdir: Workdir,
        out: Output,
        preflight: Callable[[EnvironmentSpec], PreflightReport] = run_preflight,
        terraform: Callable[[Path], TerraformRunner] | None = None,
        ansible: Callable[[Path], AnsibleRunner] | None = None,
        hosts: Callable[[str], LocalHosts] = LocalHosts,
        offline: Callable[[], bool] = offline_mode,
        double_archive: Callable[[], str] = build_double_archive,
        heartbeat: Callable[..., Heartbeat] = wait_healthy,
        snapshotter: Callable[..., list[Snapshot]] = take_snapshots,
        confirm: Callable[[str], bool] = lambda _question: False,
    ) -> None:
        self.spec, self.workdir, self.out = spec, workdir, out
        self._preflight = preflight
        self._terraform = terraform or (lambda root: TerraformRunner(root))
        self._ansible = ansible or self._default_ansible
        self._hosts = hosts
        self._offline = offline
        self._double_archive = double_archive
        self._heartbeat = heartbeat
        self._snapshotter = snapshotter
        self._confirm = confirm  # a yes/no question to the operator; the default answers no (nobody to ask)
        self._offline_answer: bool | None = None

    def with_spec(self, spec: EnvironmentSpec) -> Deployer:
        """The same adapters for another version of this environment's spec (an upgrade's target release)."""
        clone = copy.copy(self)
        clone.spec = spec
        return clone

    def offline(self) -> bool:
        if self._offline_answer is None:
            self._offline_answer = self._offline()
        return self._offline_answer

    def _default_ansible(self, artifacts: Path) -> AnsibleRunner:
        env = {"CONTAINERS_CONF": str(assets_root("testhosts") / "testhosts" / "containers.conf")}
        return AnsibleRunner(artifacts, assets_root("roles") / "roles", extra_env=env)

    @property
    def network(self) -> str:
        return str(local_hosts(self.spec)["network"])

    def _vault(self) -> tuple[Vault, dict[str, str]]:
        vault = resolve_vault(self.workdir.default_vault_password_file)
        secrets, _ = ensure_secrets(self.workdir.secrets_file(self.spec.name), vault)
        return vault, secrets

    def _terraform_secrets(self, secrets: dict[str, str]) -> dict[str, str]:
        return {
            "mysql_admin_password": secrets["mysql_root_password"],
            "redis_auth_token": secrets["redis_password"],
            "ssh_host_key": secrets["ssh_host_key"],
            "ssh_host_public_key": ssh_host_public_key(secrets["ssh_host_key"]),
        }

    @contextmanager
    def _phase(self, result: UpResult, name: str, message: str) -> Iterator[None]:
        started = time.monotonic()
        with self.out.activity(f"[{name}] {message}"):
            yield
        result.seconds[name] = round(time.monotonic() - started, 1)

    # --- up ------------------------------------------------------------------------------------------------------

    def up(self) -> UpResult:
        spec = self.spec
        result = UpResult(environment=spec.name, cloud=spec.cloud)
        with self._phase(result, "preflight", f"checking {spec.cloud} before creating anything"):
            report = self._preflight(spec)
            result.preflight = [{"check": c.name, "ok": c.ok, "detail": c.detail} for c in report.checks]
            for check in report.checks:
                self.out.info(f"  ok  {check.name}: {check.detail}")
        vault, secrets = self._vault()
        substitutes = self._substitutes(result)
        with self._phase(result, "render", "rendering Terraform and the inventory"):
            self._report_render(render_environment(spec, self.workdir, secrets, vault, substitutes))
        outputs: dict[str, Any] | None = None
        if spec.cloud == "local":
            with self._phase(result, "hosts", "starting the podman hosts"):
                hosts = self._hosts(spec.name)
                result.hosts_created = hosts.ensure_hosts(LocalHosts.from_layout(local_hosts(spec)), self.network)
                for note in hosts.notes:
                    self.out.info(f"  {note}")
        else:
            with self._phase(result, "terraform", "terraform init / plan / apply"):
                result.terraform, outputs = self._apply_terraform(secrets, vault)
            with self._phase(result, "inventory", "inventory from the Terraform outputs"):
                render_result = RenderResult()
                render_inventory(spec, self.workdir, secrets, vault, render_result, outputs)
                self._report_render(render_result)
        with self._phase(result, "ansible", "converging every host (playbooks/site.yml)"):
            played = self._run_site(vault)
            result.ansible_changed = played.changed
        with self._phase(result, "health", "checking /heartbeat through the proxy"):
            beats = self.health(outputs, wait=True)
            result.heartbeats = [_beat_dict(b) for b in beats]
            require_healthy(beats, "the platform is up")
        result.urls = {name: f"https://{domain}" for name, domain in self.spec.domains.model_dump().items()}
        return result

    def _substitutes(self, result: UpResult) -> LocalSubstitutes | None:
        """Offline, the local target uses what can run here instead of the real thing, and says so."""
        if self.spec.cloud != "local" or not self.offline():
            return None
        what = "offline (no image registry): substitutes for the Open edX image, MySQL, MongoDB and search"
        with self._phase(result, "substitutes", what):
            substitutes = LocalSubstitutes(image=DOUBLE_IMAGE, image_archive=self._double_archive())
            result.substitutes = [
                "Open edX image -> its contract test double, loaded from an image archive",
                "MySQL 8.4 -> MariaDB (Debian)",
                "MongoDB and search -> left out (only their vendors serve packages)",
            ]
            for line in result.substitutes:
                self.out.info(f"  offline substitute: {line}")
        return substitutes

    # --- plan ----------------------------------------------------------------------------------------------------

    def plan(self) -> dict[str, Any]:
        """What `up` would change, without changing it: hosts to create, the Terraform plan, Ansible check mode."""
        spec = self.spec
        result = UpResult(environment=spec.name, cloud=spec.cloud)
        vault, secrets = self._vault()
        render_environment(spec, self.workdir, secrets, vault, self._substitutes(result))
        pending: list[str] = []
        report: dict[str, Any] = {"substitutes": result.substitutes}
        hosts_exist = True
        if spec.cloud == "local":
            hosts = self._hosts(spec.name)
            for host in LocalHosts.from_layout(local_hosts(spec)):
                state = hosts.state(host.name)
                if state != "running":
                    pending.append(f"start host {host.name} (now {state})")
                    hosts_exist = False
        else:
            self._preflight(spec)
            runner = self._terraform(self.workdir.terraform_dir(spec.name))
            runner.init()
            plan = runner.plan(secrets=self._terraform_secrets(secrets))
            report["terraform"] = _plan_dict(plan)
            pending += plan.resources
            outputs = load_outputs(self.workdir, spec.name, vault)
            if outputs is None:
                outputs = self._outputs_from_state(runner, vault)
                if outputs is not None:  # the inventory was rendered without them: check mode needs the hosts
                    render_inventory(spec, self.workdir, secrets, vault, RenderResult(), outputs)
            hosts_exist = outputs is not None and not plan.add
        if hosts_exist:
            played = self._run_site(vault, check=True)
            report["ansible_changed"] = played.changed
            pending += [f"ansible: {count} change(s) on {host}" for host, count in played.changed.items() if count]
        else:
            report["ansible_changed"] = None
            pending.append("ansible: every host is converged once the hosts exist")
        report["pending"] = pending
        return report

    def _report_render(self, rendered: RenderResult) -> None:
        for path in rendered.written:
            self.out.debug(f"  wrote {path}")
        self.out.info(f"  {len(rendered.written)} file(s) written, {len(rendered.unchanged)} unchanged")

    def _apply_terraform(self, secrets: dict[str, str], vault: Vault) -> tuple[dict[str, Any], dict[str, Any]]:
        """Init, plan, apply when needed (a plan that destroys or replaces anything only once confirmed); saves the
        outputs for later commands. Returns (plan summary, outputs)."""
        root = self.workdir.terraform_dir(self.spec.name)
        runner = self._terraform(root)
        runner.init()
        plan = runner.plan(secrets=self._terraform_secrets(secrets))
        self.out.info(f"  plan: {plan.add} to add, {plan.change} to change, {plan.destroy} to destroy")
        if plan.removals:
            self._confirm_removals(runner, plan.removals)
        if plan.has_changes:
            runner.apply(secrets=self._terraform_secrets(secrets))
        outputs = runner.outputs()
        save_outputs(self.workdir, self.spec.name, outputs, vault)
        return _plan_dict(plan), outputs

    def _confirm_removals(self, runner: TerraformRunner, removals: list[ResourceChange]) -> None:
        """Shows what the plan destroys or replaces (stderr) and asks before applying it; declined, or nobody to ask
        and no --yes: the plan is removed unapplied and `up` stops (Declined)."""
        name, count = self.spec.name, len(removals)
        self.out.warn(f"The Terraform plan of {name} destroys or replaces {count} resource(s):")
        for change in removals:
            self.out.warn(f"  {change.action:8} {change.address}")
        try:
            accepted = self._confirm(f"Apply the plan of {name}, destroying or replacing {count} resource(s)?")
        except BaseException:
            runner.discard_plan()
            raise
        if not accepted:
            runner.discard_plan()
            raise Declined(
                f"nothing was applied: the Terraform plan of {name} destroys or replaces {count} resource(s) "
                f"({', '.join(f'{c.action} {c.address}' for c in removals[:3])}{', ...' if count > 3 else ''}) "
                "and that was not confirmed (declined, or no terminal to ask); check the plan, then run `up` again "
                "with --yes (OPENEDX_DEPLOY_YES=1) to apply it"
            )

    def _run_site(self, vault: Vault, check: bool = False) -> PlaybookResult:
        return self.run_playbook("site.yml", vault, check=check)

    def run_playbook(
        self,
        playbook: str,
        vault: Vault,
        *,
        extravars: dict[str, Any] | None = None,
        check: bool = False,
        allow_failure: bool = False,
    ) -> PlaybookResult:
        """Runs playbooks/`playbook` against the environment's inventory, reporting the current task."""
        runner = self._ansible(self.workdir.build_dir(self.spec.name) / "ansible")
        last: list[str] = []

        def progress(host: str, task: str) -> None:
            if task != (last[0] if last else None):
                last[:] = [task]
                self.out.step(f"{task} ({host})")

        with vault_password_file(vault) as password_file:
            played = runner.run_playbook(
                assets_root("playbooks") / "playbooks" / playbook,
                self.workdir.inventory_dir(self.spec.name),
                password_file,
                extravars=extravars,
                check=check,
                progress=progress,
            )
        return played if allow_failure else require_success(played, f"playbooks/{playbook}")

    def prepare(self, substitutes: LocalSubstitutes | None = None) -> tuple[Vault, dict[str, Any] | None]:
        """For commands acting on a deployed environment: the vault, and the inventory rendered afresh (from the
        Terraform outputs on a cloud: `terraform_outputs()`). Returns (vault, outputs)."""
        vault, secrets = self._vault()
        if substitutes is None:
            substitutes = self._substitutes(UpResult(environment=self.spec.name, cloud=self.spec.cloud))
        outputs = self.terraform_outputs()  # cached for render_environment, which reads the cache
        render_environment(self.spec, self.workdir, secrets, vault, substitutes)
        return vault, outputs

    def terraform_outputs(self) -> dict[str, Any] | None:
        """A cloud environment's Terraform outputs (None for the local target, which has none): the cache `up`
        writes, else `terraform output -json` in the rendered root module, initialised with the environment's
        backend, which then refreshes the cache. DeployError when the state has none: never deployed, or
        destroyed."""
        if self.spec.cloud == "local":
            return None
        cached = load_outputs(self.workdir, self.spec.name)
        if cached is not None:
            return cached
        # A fresh checkout has no rendered root module: render it (deterministic, and `up` would write the same).
        render_terraform(self.spec, self.workdir, RenderResult())
        runner = self._terraform(self.workdir.terraform_dir(self.spec.name))
        with self.out.activity(f"[outputs] no {outputs_file(self.workdir, self.spec.name)}: reading Terraform's state"):
            runner.init()
            outputs = self._outputs_from_state(runner)
        if outputs is None:
            raise DeployError(
                f"{self.spec.name} has not been deployed yet: its Terraform state ({self.spec.state.backend} backend) "
                f"has no outputs and there is no {outputs_file(self.workdir, self.spec.name)}: run `up`"
            )
        return outputs

    def _outputs_from_state(self, runner: TerraformRunner, vault: Vault | None = None) -> dict[str, Any] | None:
        """`terraform output -json` from an initialised root module, cached when the state has the stack's outputs;
        None when it has none (never applied, destroyed, or a first `up` stopped before Terraform finished)."""
        outputs = runner.outputs()
        if "host_groups" not in outputs:
            return None
        if vault is None and any(outputs.get(name) for name in SENSITIVE_OUTPUTS):
            # The vault encrypts the cache of the sensitive outputs (a managed Redis's credential).
            vault = resolve_vault(self.workdir.default_vault_password_file)
        save_outputs(self.workdir, self.spec.name, outputs, vault)
        return outputs

    def health(self, outputs: dict[str, Any] | None, wait: bool = False) -> list[Heartbeat]:
        """/heartbeat through each entry point (the load balancer, else each app host's proxy); `wait` polls
        until healthy or the heartbeat adapter's timeout, else one answer each."""
        options: dict[str, Any] = {} if wait else {"timeout": 0}
        return [self._heartbeat(t, self.spec.domains.lms, verify, **options) for t, verify in self._targets(outputs)]

    def _targets(self, outputs: dict[str, Any] | None = None) -> list[tuple[str, bool]]:
        """Where /heartbeat is checked: the local load balancer host (else each local app host's proxy), or the
        cloud's load balancer / app hosts (from the Terraform `outputs`)."""
        if self.spec.cloud == "local":
            addresses = self._hosts(self.spec.name).addresses(self.network)
            return [(addresses[name], False) for name in local_entrypoints(self.spec) if addresses.get(name)]
        assert outputs is not None, "a cloud environment's heartbeat targets come from its Terraform outputs"
        balancer = outputs.get("load_balancer") or {}
        target = balancer.get("dns_name") or balancer.get("address")
        verify = self.spec.tls.mode in ("cloud", "provided", "acme")
        if target:
            return [(target, verify)]
        return [(h.get("public_address") or h["address"], verify) for h in outputs["host_groups"]["app"]]

    # --- restart -------------------------------------------------------------------------------------------------

    def restart(self) -> dict[str, Any]:
        """Rolling restart: the app hosts one at a time, each drained from the load balancer and gated on its
        /heartbeat, then the workers (a warm shutdown lets running tasks finish)."""
        vault, outputs = self.prepare()
        restart = {"openedx_restart": True}
        app = self.run_playbook("app.yml", vault, extravars={**restart, "openedx_app_serial": 1})
        workers = self.run_playbook("workers.yml", vault, extravars=restart)
        beats = self.health(outputs, wait=True)
        require_healthy(beats, "restarted")
        return {
            "changed": {**app.changed, **{h: app.changed.get(h, 0) + n for h, n in workers.changed.items()}},
            "heartbeats": [_beat_dict(b) for b in beats],
        }

    # --- status --------------------------------------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        if self.spec.cloud == "local":
            hosts = self._hosts(self.spec.name)
            addresses = hosts.addresses(self.network)
            entrypoints = set(local_entrypoints(self.spec))
            for host in local_hosts(self.spec)["hosts"]:
                name = host["name"]
                row = {
                    "host": name,
                    "groups": ",".join(host["groups"]),
                    "state": hosts.state(name),
                    "address": addresses.get(name, ""),
                    "heartbeat": "",
                    "stores": {},
                }
                if (name in entrypoints or "app" in host["groups"]) and row["state"] == "running" and row["address"]:
                    # An app host behind the local load balancer serves plain HTTP to it.
                    tls = name in entrypoints
                    beat = check_heartbeat(
                        row["address"], self.spec.domains.lms, verify_tls=False, port=443 if tls else 80, tls=tls
                    )
                    row["heartbeat"] = "healthy" if beat.healthy else str(beat.status or beat.error)
                    row["stores"] = beat.stores
                rows.append(row)
            return rows
        outputs = self.terraform_outputs()
        assert outputs is not None  # a cloud's; terraform_outputs() raised if it had none
        for group, members in sorted(outputs.get("host_groups", {}).items()):
            for member in members:
                rows.append(
                    {
                        "host": member["name"],
                        "groups": group,
                        "state": "provisioned",
                        "address": member["address"],
                        "heartbeat": "",
                        "stores": {},
                    }
                )
        for target, verify in self._targets(outputs):
            beat = check_heartbeat(target, self.spec.domains.lms, verify_tls=verify)
            rows.append(
                {
                    "host": target,
                    "groups": "load_balancer",
                    "state": "serving" if beat.status else "down",
                    "address": target,
                    "heartbeat": "healthy" if beat.healthy else str(beat.status or beat.error),
                    "stores": beat.stores,
                }
            )
        return rows

    # --- destroy -------------------------------------------------------------------------------------------------

    def destroy(self, include_data: bool) -> dict[str, Any]:
        spec = self.spec
        if spec.size == "single" and not include_data:
            raise UsageError(
                "the single profile keeps its data stores on the one app host: removing it removes the data. "
                "Back it up (`openedx-deploy backup`), then run destroy with --include-data"
            )
        if spec.cloud == "local":
            # Which hosts hold data is decided from what each host recorded when it was created, not from the
            # current layout: a data host that a layout change dropped is still a data host.
            return self._hosts(spec.name).remove(self.network, include_data=include_data)
        _, secrets = self._vault()
        snapshots: list[Snapshot] = []
        if include_data:
            self.out.info("[destroy] final snapshots of the data disks and managed databases")
            snapshots = self._snapshotter(spec, "final-before-destroy")
        runner = self._terraform(self.workdir.terraform_dir(spec.name))
        runner.init()
        targets = None if include_data else [f"module.stack.module.{m}" for m in STATELESS_MODULES]
        plan = runner.plan(secrets=self._terraform_secrets(secrets), destroy=True, targets=targets)
        runner.apply(secrets=self._terraform_secrets(secrets))
        # The cached outputs name what was just destroyed: the next command reads them from the state again.
        forget_outputs(self.workdir, spec.name)
        return {
            "terraform": _plan_dict(plan),
            "kept": [] if include_data else ["data stores", "buckets", "network"],
            "snapshots": [{"kind": s.kind, "id": s.id, "source": s.source} for s in snapshots],
        }


def _beat_dict(beat: Heartbeat) -> dict[str, Any]:
    return {
        "target": beat.target,
        "status": beat.status,
        "healthy": beat.healthy,
        "stores": beat.stores,
        "error": beat.error,
    }


def _plan_dict(plan: PlanSummary) -> dict[str, Any]:
    return {"add": plan.add, "change": plan.change, "destroy": plan.destroy, "resources": plan.resources}
