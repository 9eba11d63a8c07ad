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
from .errors import DeployError, UsageError
from .health import Heartbeat, require_healthy, wait_healthy
from .localhosts import LocalHosts
from .output import Output
from .paths import Workdir, assets_root
from .preflight import PreflightReport, run_preflight
from .render import LocalSubstitutes, RenderResult, render_environment
from .secrets import Vault, ensure_secrets, resolve_vault
from .snapshots import Snapshot, take_snapshots
from .spec import EnvironmentSpec
from .stackoutputs import cdn_urls, load_outputs, vault_outputs
from .targets import Target, target_for
from .terraform import TerraformRunner
from .topology import SHARED_FILES_GROUPS, shares_files

OFFLINE_ENV = "OPENEDX_DEPLOY_OFFLINE"
DOUBLE_IMAGE = "localhost/openedx-double:test"


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
    # The stack's dns_records output (stackoutputs.dns_records): created in a zone, or to create by hand.
    dns_records: list[dict[str, str]] = field(default_factory=list)
    substitutes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)

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
        self._terraform = terraform or (lambda root: TerraformRunner(root, progress=out.step, verbosity=out.verbose))
        self._ansible = ansible or self._default_ansible
        # The run logs (build/NAME/logs/) the adapters appended to, in order: the summary names them.
        self.logs: list[Path] = []
        self.hosts_adapter = hosts
        self._offline = offline
        self._double_archive = double_archive
        self._heartbeat = heartbeat
        self._snapshotter = snapshotter
        self.confirm = confirm  # a yes/no question to the operator; the default answers no (nobody to ask)
        self._offline_answer: bool | None = None
        # The one choice of local or cloud: every workflow below goes through the target.
        self.target: Target = target_for(self)

    def with_spec(self, spec: EnvironmentSpec) -> Deployer:
        """The same adapters for another version of this environment's spec (an upgrade's target release)."""
        clone = copy.copy(self)
        clone.spec = spec
        clone.target = target_for(clone)
        return clone

    def offline(self) -> bool:
        if self._offline_answer is None:
            self._offline_answer = self._offline()
        return self._offline_answer

    def _default_ansible(self, artifacts: Path) -> AnsibleRunner:
        env = {"CONTAINERS_CONF": str(assets_root("testhosts") / "testhosts" / "containers.conf")}
        return AnsibleRunner(
            artifacts,
            assets_root("roles") / "roles",
            extra_env=env,
            verbosity=self.out.verbose,
            mitogen=self.target.mitogen_by_default,
        )

    def terraform_adapter(self, root: Path, *, runs: bool = True) -> TerraformRunner:
        """The Terraform adapter for a rendered root module; its run log is named in the summary. With runs=False the
        caller may not run Terraform at all (it asks the state file first) and names the log itself if it does."""
        runner = self._terraform(root)
        if runs:
            self.note_log(runner.log_path)
        return runner

    def note_log(self, path: Path | None) -> None:
        if path is not None and path not in self.logs:
            self.logs.append(path)

    def log_names(self) -> list[str]:
        return [str(path) for path in self.logs]

    def secret_values(self, vault: Vault) -> list[str]:
        """Every secret value of the environment, which the run logs redact: the secrets file's, and the sensitive
        Terraform outputs the inventory's vault carries (a managed Redis's credential) when they are cached."""
        _, secrets = self.vault_and_secrets()
        return [*secrets.values(), *vault_outputs(load_outputs(self.workdir, self.spec.name, vault)).values()]

    def vault_and_secrets(self) -> tuple[Vault, dict[str, str]]:
        vault = resolve_vault(self.workdir.default_vault_password_file)
        secrets, _ = ensure_secrets(self.workdir.secrets_file(self.spec.name), vault)
        return vault, secrets

    @contextmanager
    def phase(self, result: UpResult, name: str, message: str) -> Iterator[None]:
        started = time.monotonic()
        with self.out.activity(f"[{name}] {message}"):
            yield
        result.seconds[name] = round(time.monotonic() - started, 1)

    # --- up ------------------------------------------------------------------------------------------------------

    def up(self) -> UpResult:
        spec = self.spec
        result = UpResult(environment=spec.name, cloud=spec.cloud)
        with self.phase(result, "preflight", f"checking {spec.cloud} before creating anything"):
            report = self.run_preflight()
            result.preflight = [{"check": c.name, "ok": c.ok, "detail": c.detail} for c in report.checks]
            for check in report.checks:
                self.out.info(f"  ok  {check.name}: {check.detail}")
        vault, secrets = self.vault_and_secrets()
        substitutes = self._substitutes(result)
        with self.phase(result, "render", "rendering Terraform and the inventory"):
            self.report_render(render_environment(spec, self.workdir, secrets, vault, substitutes))
        outputs = self.target.ensure_hosts(result, secrets, vault, substitutes)
        with self.phase(result, "ansible", "converging every host (playbooks/site.yml)"):
            played = self._run_site(vault)
            result.ansible_changed = played.changed
        with self.phase(result, "health", "checking /heartbeat through the proxy"):
            beats = self.health(outputs, wait=True)
            result.heartbeats = [_beat_dict(b) for b in beats]
            require_healthy(beats, "the platform is up")
        result.urls = {name: f"https://{domain}" for name, domain in self.spec.domains.model_dump().items()}
        cdn = cdn_urls(outputs)
        if cdn:
            # Where browsers fetch the static files (STATIC_URL_BASE): the stack's cdn output.
            result.urls["cdn"] = cdn["static_url"]
        result.logs = self.log_names()
        return result

    def uses_substitutes(self) -> bool:
        """Whether this environment runs the offline substitutes: a target that can, with no image registry."""
        return self.target.runs_substitutes and self.offline()

    def _substitutes(self, result: UpResult) -> LocalSubstitutes | None:
        """Offline, a target that runs them (the local one; a simulated cloud) uses what can run here instead of the
        real thing, and says so."""
        if not self.uses_substitutes():
            return None
        what = "offline (no image registry): substitutes for the Open edX image, MySQL, MongoDB and Meilisearch"
        with self.phase(result, "substitutes", what):
            substitutes = LocalSubstitutes(image=DOUBLE_IMAGE, image_archive=self._double_archive())
            result.substitutes = [
                "Open edX image -> its contract test double, loaded from an image archive",
                *(["MySQL 8.4 -> MariaDB (Debian)"] if self.spec.store_mode("mysql") == "self_hosted" else []),
                "Meilisearch -> its contract test double, installed as the release binary from the controller",
                "MongoDB -> left out (only its vendor serves packages)",
            ]
            # A cloud's stack gives NFS shared files outside single (EFS, Filestore, Azure Files): no NFS offline.
            if self.target.has_cloud_storage and shares_files(self.spec, SHARED_FILES_GROUPS):
                result.substitutes.append(
                    "shared files (the stack's NFS file system) -> not mounted: the hosts bring /var/lib/openedx"
                )
            for line in result.substitutes:
                self.out.info(f"  offline substitute: {line}")
        return substitutes

    # --- plan ----------------------------------------------------------------------------------------------------

    def plan(self) -> dict[str, Any]:
        """What `up` would change, without changing it: hosts to create, the Terraform plan, Ansible check mode."""
        spec = self.spec
        result = UpResult(environment=spec.name, cloud=spec.cloud)
        vault, secrets = self.vault_and_secrets()
        render_environment(spec, self.workdir, secrets, vault, self._substitutes(result))
        report: dict[str, Any] = {"substitutes": result.substitutes}
        pending, hosts_exist = self.target.plan_hosts(secrets, vault, report)
        if hosts_exist:
            played = self._run_site(vault, check=True)
            report["ansible_changed"] = played.changed
            report["ansible_changes"] = played.changed_tasks
            pending += [f"ansible: {count} change(s) on {host}" for host, count in played.changed.items() if count]
        else:
            report["ansible_changed"] = report["ansible_changes"] = None
            pending.append("ansible: every host is converged once the hosts exist")
        report["pending"] = pending
        report["logs"] = self.log_names()
        return report

    def report_render(self, rendered: RenderResult) -> None:
        for path in rendered.written:
            self.out.debug(f"  wrote {path}")
        self.out.info(f"  {len(rendered.written)} file(s) written, {len(rendered.unchanged)} unchanged")

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
                secrets=self.secret_values(vault),
            )
        self.note_log(played.log)
        return played if allow_failure else require_success(played, f"playbooks/{playbook}")

    def prepare(self, substitutes: LocalSubstitutes | None = None) -> tuple[Vault, dict[str, Any] | None]:
        """For commands acting on a deployed environment: the vault, and the inventory rendered afresh (from the
        Terraform outputs on a cloud: `terraform_outputs()`). Returns (vault, outputs)."""
        vault, secrets = self.vault_and_secrets()
        if substitutes is None:
            substitutes = self._substitutes(UpResult(environment=self.spec.name, cloud=self.spec.cloud))
        outputs = self.terraform_outputs()  # cached for render_environment, which reads the cache
        render_environment(self.spec, self.workdir, secrets, vault, substitutes)
        self.target.ensure_access(secrets)
        return vault, outputs

    def terraform_outputs(self) -> dict[str, Any] | None:
        """A cloud environment's Terraform outputs (None for the local target, which has none): the cache `up`
        writes, else `terraform output -json` in the rendered root module, initialised with the environment's
        backend, which then refreshes the cache. DeployError when the state has none: never deployed, or
        destroyed."""
        return self.target.outputs()

    def health(self, outputs: dict[str, Any] | None, wait: bool = False) -> list[Heartbeat]:
        """/heartbeat through each entry point (the load balancer, else each app host's proxy); `wait` polls
        until healthy or the heartbeat adapter's timeout, else one answer each."""
        options: dict[str, Any] = {} if wait else {"timeout": 0}
        targets = self.target.heartbeat_targets(outputs)
        return [self._heartbeat(t, self.spec.domains.lms, verify, **options) for t, verify in targets]

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
            "logs": self.log_names(),
        }

    # --- status --------------------------------------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        return self.target.status_rows()

    # --- destroy -------------------------------------------------------------------------------------------------

    def destroy(self, include_data: bool) -> dict[str, Any]:
        spec = self.spec
        # An environment never deployed has no data to lose (and its check needs no cloud credentials).
        if spec.size == "single" and not include_data and self.target.deployed():
            raise UsageError(
                "the single profile keeps its data stores on the one app host: removing it removes the data. "
                "Back it up (`openedx-deploy backup`), then run destroy with --include-data"
            )
        # The cloud refuses to delete what deletion_protection protects (databases, buckets that hold objects, the
        # single profile's app host): refused here, before any snapshot, rather than half-way through the destroy.
        if include_data and spec.deletion_protection and self.target.has_cloud_storage and self.target.deployed():
            raise UsageError(
                "deletion_protection is on in the environment file, so the cloud refuses to delete the databases, "
                "the buckets that hold data and (single) the app host: destroy --include-data would stop half-way. "
                "Set `deletion_protection: false` in the environment file and run `up` (it lifts the protection), "
                "then run destroy --include-data"
            )
        return {**self.target.destroy(include_data), "logs": self.log_names()}

    def run_preflight(self) -> PreflightReport:
        return self._preflight(self.spec)

    def take_snapshots(self, reason: str) -> list[Snapshot]:
        return self._snapshotter(self.spec, reason)


def _beat_dict(beat: Heartbeat) -> dict[str, Any]:
    return {
        "target": beat.target,
        "status": beat.status,
        "healthy": beat.healthy,
        "stores": beat.stores,
        "error": beat.error,
    }
