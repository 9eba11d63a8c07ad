"""Where an environment's hosts come from: the target seam.

Two targets implement one interface: the local target runs the hosts as podman containers on this machine
(`LocalHosts`), the Terraform target has a cloud's stack create them and reads them from its outputs. The
`Deployer` picks one from the environment file, once; its workflows (up, plan, status, restart, destroy) then hold
no local-vs-cloud branch. A new target (another container runtime, a bare-metal inventory) is one more class here.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Protocol

from .errors import Declined, DeployError
from .health import check_heartbeat, check_heartbeat_on_host
from .localhosts import LocalHosts
from .render import LocalSubstitutes, RenderResult, render_inventory, render_terraform, terraform_secrets
from .secrets import Vault, ensure_ssh_key, resolve_vault
from .snapshots import Snapshot
from .spec import azure_self_signed
from .stackoutputs import (
    SENSITIVE_OUTPUTS,
    dns_record_lines,
    dns_records,
    forget_outputs,
    load_outputs,
    outputs_file,
    save_outputs,
)
from .statemoves import STATE_MOVES, pending_moves
from .terraform import PlanSummary, ResourceChange, TerraformRunner
from .topology import local_entrypoints, local_hosts, local_transport

if TYPE_CHECKING:
    from .deploy import Deployer, UpResult

# Modules holding no data: what `destroy` removes when data is to survive (the DNS records go with the load balancer
# they point at, and the CDN with the origin it fetches from).
STATELESS_MODULES = ("app", "worker", "load_balancer", "dns", "cdn", "bastion")

# Set to 1, a cloud target runs the offline substitutes too when no image registry answers: only for the simulated
# clouds (tests/simcloud, a test double), whose hosts reach no registry and no vendor repository. Never for a real
# deployment: the substitutes are test doubles (docs/clouds.md, "The whole `up` on a simulated cloud").
CLOUD_SUBSTITUTES_ENV = "OPENEDX_DEPLOY_CLOUD_SUBSTITUTES"


class Target(Protocol):
    """What a target does for the Deployer's workflows."""

    @property
    def runs_substitutes(self) -> bool:
        """Whether the offline substitutes (the image's test double, MariaDB) can stand in on this target."""
        ...

    # Whether the environment has a cloud's data services: disk and database snapshots, object storage (buckets).
    has_cloud_storage: bool
    # Whether Ansible runs under Mitogen's strategy unless OPENEDX_DEPLOY_MITOGEN=0 (ansible.mitogen_env): proven on
    # the local podman hosts, not yet over SSH through a bastion.
    mitogen_by_default: bool

    def ensure_hosts(
        self, result: UpResult, secrets: dict[str, str], vault: Vault, substitutes: LocalSubstitutes | None
    ) -> dict[str, Any] | None:
        """Create or update the hosts (`up`); returns the stack outputs the inventory was rendered from, if any."""
        ...

    def plan_hosts(self, secrets: dict[str, str], vault: Vault, report: dict[str, Any]) -> tuple[list[str], bool]:
        """What `up` would change about the hosts (filling `report`): (pending changes, whether the hosts exist)."""
        ...

    def ensure_access(self, secrets: dict[str, str]) -> None:
        """Make the running hosts reachable the way the inventory reaches them, before Ansible runs (the local
        hosts over SSH: their login user, key and host key; a cloud's hosts have theirs from cloud-init)."""
        ...

    def outputs(self) -> dict[str, Any] | None:
        """The stack outputs of a deployed environment (None where the target has no stack)."""
        ...

    def heartbeat_targets(self, outputs: dict[str, Any] | None) -> list[tuple[str, bool]]:
        """Where /heartbeat is checked, each with whether to verify the certificate."""
        ...

    def status_rows(self) -> list[dict[str, Any]]: ...

    def deployed(self) -> bool:
        """Whether anything of the environment exists to destroy; answered without cloud credentials where the
        target can (a local Terraform state, the podman hosts)."""
        ...

    def destroy(self, include_data: bool) -> dict[str, Any]: ...


def target_for(deployer: Deployer) -> Target:
    """The one place that tells the local target from the clouds."""
    if deployer.spec.cloud == "local":
        return LocalTarget(deployer)
    return TerraformTarget(deployer)


def _row(host: str, groups: str, state: str, address: str) -> dict[str, Any]:
    return {"host": host, "groups": groups, "state": state, "address": address, "heartbeat": "", "stores": {}}


class LocalTarget:
    """Podman containers running systemd on this machine, laid out by topology.local_hosts."""

    runs_substitutes = True
    has_cloud_storage = False  # uploads stay on the hosts' file system (localhosts.SHARED_DIR); no snapshots
    mitogen_by_default = True  # fresh and converged hosts, the whole end-to-end suite (docs/ansible.md)

    def __init__(self, deployer: Deployer) -> None:
        self.d = deployer
        self.spec = deployer.spec

    @property
    def network(self) -> str:
        return str(local_hosts(self.spec)["network"])

    def _hosts(self) -> LocalHosts:
        return self.d.hosts_adapter(self.spec.name)

    def ensure_hosts(
        self, result: UpResult, secrets: dict[str, str], vault: Vault, substitutes: LocalSubstitutes | None
    ) -> dict[str, Any] | None:
        with self.d.phase(result, "hosts", "starting the podman hosts"):
            hosts = self._hosts()
            result.hosts_created = hosts.ensure_hosts(LocalHosts.from_layout(local_hosts(self.spec)), self.network)
            for note in hosts.notes:
                self.d.out.info(f"  {note}")
            self.ensure_access(secrets)
        return None

    def ensure_access(self, secrets: dict[str, str]) -> None:
        if local_transport() != "ssh":
            return
        hosts = self._hosts()
        public_key = ensure_ssh_key(self.d.workdir.local_ssh_key(self.spec.name))
        for host in LocalHosts.from_layout(local_hosts(self.spec)):
            if hosts.state(host.name) == "running":
                hosts.grant_ssh(host, self.network, self.spec.ssh.user, public_key, secrets["ssh_host_key"])

    def plan_hosts(self, secrets: dict[str, str], vault: Vault, report: dict[str, Any]) -> tuple[list[str], bool]:
        hosts = self._hosts()
        pending = []
        for host in LocalHosts.from_layout(local_hosts(self.spec)):
            state = hosts.state(host.name)
            if state != "running":
                pending.append(f"start host {host.name} (now {state})")
        if not pending:
            self.ensure_access(secrets)  # check mode reaches the hosts as `up` does
        return pending, not pending

    def outputs(self) -> dict[str, Any] | None:
        return None

    def heartbeat_targets(self, outputs: dict[str, Any] | None) -> list[tuple[str, bool]]:
        """The load balancer host, else each app host's proxy; self-signed, so not verified."""
        addresses = self._hosts().addresses(self.network)
        return [(addresses[name], False) for name in local_entrypoints(self.spec) if addresses.get(name)]

    def status_rows(self) -> list[dict[str, Any]]:
        hosts = self._hosts()
        addresses = hosts.addresses(self.network)
        entrypoints = set(local_entrypoints(self.spec))
        rows = []
        for host in local_hosts(self.spec)["hosts"]:
            name = host["name"]
            row = _row(name, ",".join(host["groups"]), hosts.state(name), addresses.get(name, ""))
            if (name in entrypoints or "app" in host["groups"]) and row["state"] == "running" and row["address"]:
                if name in entrypoints:
                    beat = check_heartbeat(row["address"], self.spec.domains.lms, verify_tls=False)
                else:
                    # An app host behind the local load balancer admits its web port from that host alone.
                    beat = check_heartbeat_on_host(
                        lambda *argv, host=name: hosts.podman.run("exec", host, *argv, check=False, timeout=60),
                        name,
                        self.spec.domains.lms,
                    )
                row["heartbeat"] = "healthy" if beat.healthy else str(beat.status or beat.error)
                row["stores"] = beat.stores
            rows.append(row)
        return rows

    def deployed(self) -> bool:
        return bool(self._hosts().containers())

    def destroy(self, include_data: bool) -> dict[str, Any]:
        # Which hosts hold data is decided from what each host recorded when it was created, not from the current
        # layout: a data host that a layout change dropped is still a data host.
        return self._hosts().remove(self.network, include_data=include_data)


class TerraformTarget:
    """A cloud's stack (terraform/stacks/<cloud>) through the Terraform adapter; hosts come from its outputs."""

    has_cloud_storage = True
    mitogen_by_default = False  # SSH through a bastion: not yet proven under Mitogen

    def __init__(self, deployer: Deployer) -> None:
        self.d = deployer
        self.spec = deployer.spec
        # What `deployed()` found, and the runner it initialised, which `destroy` goes on with (a remote backend's
        # init takes a while).
        self._found: bool | None = None
        self._initialised: TerraformRunner | None = None

    def _runner(self, runs: bool = True) -> TerraformRunner:
        return self.d.terraform_adapter(self.d.workdir.terraform_dir(self.spec.name), runs=runs)

    def _init(self, runner: TerraformRunner) -> None:
        """`init`, then the state moves an older version of the stack left to make (statemoves.py), so that no plan
        destroys what only changed its address."""
        runner.init()
        self._move_state(runner)

    def _move_state(self, runner: TerraformRunner) -> None:
        if STATE_MOVES.get(self.spec.cloud):
            runner.move_state(pending_moves(self.spec.cloud, runner.state_resources()))

    @property
    def runs_substitutes(self) -> bool:
        """Only on a simulated cloud (CLOUD_SUBSTITUTES_ENV): a real cloud's hosts pull the real images."""
        return os.environ.get(CLOUD_SUBSTITUTES_ENV, "").lower() in ("1", "true", "yes")

    def ensure_hosts(
        self, result: UpResult, secrets: dict[str, str], vault: Vault, substitutes: LocalSubstitutes | None
    ) -> dict[str, Any] | None:
        with self.d.phase(result, "terraform", "terraform init / plan / apply"):
            result.terraform, outputs = self._apply(secrets, vault)
        with self.d.phase(result, "inventory", "inventory from the Terraform outputs"):
            render_result = RenderResult()
            render_inventory(self.spec, self.d.workdir, secrets, vault, render_result, outputs, substitutes)
            self.d.report_render(render_result)
        # Before Ansible: ACME (HTTP-01) and a Google-managed certificate wait for the names to resolve.
        result.dns_records = dns_records(outputs)
        lines = dns_record_lines(result.dns_records)
        manual = any(not record["zone"] for record in result.dns_records)
        for line in lines:
            (self.d.out.warn if manual else self.d.out.info)(f"  {line}")
        return outputs

    def _apply(self, secrets: dict[str, str], vault: Vault) -> tuple[dict[str, Any], dict[str, Any]]:
        """Init, plan, apply when needed (a plan that destroys or replaces anything only once confirmed); saves the
        outputs for later commands. Returns (plan summary, outputs)."""
        runner = self._runner()
        self._init(runner)
        tf_secrets = terraform_secrets(secrets)
        plan = runner.plan(secrets=tf_secrets)
        self.d.out.info(f"  plan: {plan.add} to add, {plan.change} to change, {plan.destroy} to destroy")
        if plan.removals:
            self._confirm_removals(runner, plan.removals)
        if plan.has_changes:
            runner.apply(secrets=tf_secrets)
        self.d.out.info(f"  terraform log (secrets redacted): {runner.log_path}")
        outputs = runner.outputs()
        save_outputs(self.d.workdir, self.spec.name, outputs, vault)
        return plan_dict(plan), outputs

    def _confirm_removals(self, runner: TerraformRunner, removals: list[ResourceChange]) -> None:
        """Shows what the plan destroys or replaces (stderr) and asks before applying it; declined, or nobody to ask
        and no --yes: the plan is removed unapplied and `up` stops (Declined)."""
        name, count, out = self.spec.name, len(removals), self.d.out
        out.warn(f"The Terraform plan of {name} destroys or replaces {count} resource(s):")
        for change in removals:
            out.warn(f"  {change.action:8} {change.address}")
        try:
            accepted = self.d.confirm(f"Apply the plan of {name}, destroying or replacing {count} resource(s)?")
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

    def ensure_access(self, secrets: dict[str, str]) -> None:
        """Nothing to do: cloud-init gave each host its login user, key and host key."""

    def plan_hosts(self, secrets: dict[str, str], vault: Vault, report: dict[str, Any]) -> tuple[list[str], bool]:
        self.d.run_preflight()
        runner = self._runner()
        self._init(runner)
        plan = runner.plan(secrets=terraform_secrets(secrets))
        report["terraform"] = plan_dict(plan)
        outputs = load_outputs(self.d.workdir, self.spec.name, vault)
        if outputs is None:
            outputs = self._outputs_from_state(runner, vault)
            if outputs is not None:  # the inventory was rendered without them: check mode needs the hosts
                render_inventory(self.spec, self.d.workdir, secrets, vault, RenderResult(), outputs)
        return list(plan.resources), outputs is not None and not plan.add

    def outputs(self) -> dict[str, Any]:
        """The cache `up` writes, else `terraform output -json` in the rendered root module, initialised with the
        environment's backend, which then refreshes the cache. DeployError when the state has none: never deployed,
        or destroyed."""
        workdir, name = self.d.workdir, self.spec.name
        cached = load_outputs(workdir, name)
        if cached is not None:
            return cached
        # A fresh checkout has no rendered root module: render it (deterministic, and `up` would write the same).
        render_terraform(self.spec, workdir, RenderResult())
        runner = self._runner()
        with self.d.out.activity(f"[outputs] no {outputs_file(workdir, name)}: reading Terraform's state"):
            runner.init()
            outputs = self._outputs_from_state(runner)
        if outputs is None:
            raise DeployError(
                f"{name} has not been deployed yet: its Terraform state ({self.spec.state.backend} backend) "
                f"has no outputs and there is no {outputs_file(workdir, name)}: run `up`"
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
            vault = resolve_vault(self.d.workdir.default_vault_password_file)
        save_outputs(self.d.workdir, self.spec.name, outputs, vault)
        return outputs

    def heartbeat_targets(self, outputs: dict[str, Any] | None) -> list[tuple[str, bool]]:
        """The cloud's load balancer, else each app host, verified unless the certificate is self-signed."""
        assert outputs is not None, "a cloud environment's heartbeat targets come from its Terraform outputs"
        balancer = outputs.get("load_balancer") or {}
        target = balancer.get("dns_name") or balancer.get("address")
        verify = self.spec.tls.mode in ("cloud", "provided", "acme") and not azure_self_signed(self.spec)
        if target:
            return [(target, verify)]
        return [(h.get("public_address") or h["address"], verify) for h in outputs["host_groups"]["app"]]

    def status_rows(self) -> list[dict[str, Any]]:
        outputs = self.outputs()
        rows = [
            _row(member["name"], group, "provisioned", member["address"])
            for group, members in sorted(outputs.get("host_groups", {}).items())
            for member in members
        ]
        for target, verify in self.heartbeat_targets(outputs):
            beat = check_heartbeat(target, self.spec.domains.lms, verify_tls=verify)
            row = _row(target, "load_balancer", "serving" if beat.status else "down", target)
            row["heartbeat"] = "healthy" if beat.healthy else str(beat.status or beat.error)
            row["stores"] = beat.stores
            rows.append(row)
        return rows

    def deployed(self) -> bool:
        """Whether the Terraform state holds any resource. A local state file that does not exist answers without
        Terraform; otherwise `init` and `terraform state list`, which read the backend only (a remote backend needs
        its own credentials, never the providers'). A fresh checkout gets the root module rendered first."""
        if self._found is None:
            workdir, name = self.d.workdir, self.spec.name
            if not (workdir.terraform_dir(name) / "main.tf").is_file():
                render_terraform(self.spec, workdir, RenderResult())
            # No state file answers without Terraform: the summary names no run log that nothing wrote to.
            runner = self._runner(runs=False)
            if runner.state_is_absent():
                self._found = False
            else:
                self.d.note_log(runner.log_path)
                runner.init()
                self._initialised = runner
                self._found = bool(runner.state_resources())
        return self._found

    def destroy(self, include_data: bool) -> dict[str, Any]:
        """Plan and apply the destroy (after final snapshots with include_data). An environment whose state holds
        nothing (never deployed, or destroyed already) is not planned: no provider is configured, so this needs no
        cloud credentials."""
        if not self.deployed():
            forget_outputs(self.d.workdir, self.spec.name)
            self.d.out.info(
                f"[destroy] {self.spec.name} has nothing deployed (its Terraform state holds no resource): "
                "nothing to destroy"
            )
            return {"terraform": None, "kept": [], "snapshots": [], "found": False}
        _, secrets = self.d.vault_and_secrets()
        snapshots: list[Snapshot] = []
        if include_data:
            self.d.out.info("[destroy] final snapshots of the data disks and managed databases")
            snapshots = self.d.take_snapshots("final-before-destroy")
        runner = self._initialised
        assert runner is not None, "deployed() initialised the root module it found resources in"
        self._move_state(runner)
        targets = None if include_data else [f"module.stack.module.{m}" for m in STATELESS_MODULES]
        tf_secrets = terraform_secrets(secrets)
        plan = runner.plan(secrets=tf_secrets, destroy=True, targets=targets)
        runner.apply(secrets=tf_secrets)
        # The cached outputs name what was just destroyed: the next command reads them from the state again.
        forget_outputs(self.d.workdir, self.spec.name)
        return {
            "terraform": plan_dict(plan),
            "kept": [] if include_data else ["data stores", "buckets", "shared files", "network"],
            "snapshots": [{"kind": s.kind, "id": s.id, "source": s.source} for s in snapshots],
        }


def plan_dict(plan: PlanSummary) -> dict[str, Any]:
    return {"add": plan.add, "change": plan.change, "destroy": plan.destroy, "resources": plan.resources}
