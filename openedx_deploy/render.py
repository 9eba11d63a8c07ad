"""Turns a resolved spec into files: the Terraform root module and the Ansible inventory.

Rendering is deterministic (same spec, same secrets, same Terraform outputs -> byte-identical files) and writes no
secret in plain text: secrets reach Terraform as TF_VAR_* at run time and Ansible through an encrypted vault file.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, SpecError
from .paths import Workdir, assets_root
from .releases import load_catalog
from .secrets import Vault, public_jwk_set, ssh_host_public_key, write_encrypted_if_changed
from .spec import EnvironmentSpec, read_public_key_file
from .templating import templates

NETWORK_CIDR = "10.40.0.0/16"
DATA_GROUPS = ("mysql", "mongodb", "redis", "search")
# load_balancer: the local target's HAProxy host (sizes other than single); a cloud's load balancer is no host.
GROUPS = ("app", "worker", "load_balancer", *DATA_GROUPS)
# Each local environment's podman network gets a fixed /24 of this range, chosen from its name, so the rendered
# inventory can name the network the app hosts' proxies trust. It is podman's own address pool
# (containers.conf default_subnet_pools), which podman hands out only after 10.89.0.0/16 is used up.
LOCAL_SUBNET_POOL = ipaddress.ip_network("10.90.0.0/15")
OUTPUTS_FILE = "outputs.json"
# The cache of the sensitive outputs, ansible-vault encrypted beside OUTPUTS_FILE: no secret is kept in plain text.
SECRET_OUTPUTS_FILE = "outputs.secret.yml"  # noqa: S105 - a file name, not a password
STACK_OUTPUTS = (
    "host_groups",
    "endpoints",
    "buckets",
    "load_balancer",
    "storage_identity",
    "ssh_user",
    "bastion",
    "redis_credential",
)
# Outputs that are secrets: the password clients use for a managed Redis, which Memorystore and Azure Cache generate
# themselves (on AWS the AUTH token passed in). It reaches the inventory's vault as vault_redis_credential.
SENSITIVE_OUTPUTS = ("redis_credential",)
# ssh_host_public_key is no secret, but Terraform cannot derive it offline (no tls provider) and render has no
# secrets to put it in tfvars: it travels beside its private half (Deployer._terraform_secrets).
TERRAFORM_SECRETS = ("mysql_admin_password", "redis_auth_token", "ssh_host_key", "ssh_host_public_key")
# Beside hosts.yml: the environment's pinned host key for the bastion and every host (docs/clouds.md).
KNOWN_HOSTS_FILE = "known_hosts"
# Where the rendered root module keeps its copy of the project's modules, so build/<name>/terraform is
# self-contained and does not depend on where the package is installed.
VENDORED = "modules-src"
DEFAULT_PORTS = {"mysql": 3306, "mongodb": 27017, "redis": 6379}
SEARCH_PORTS = {"meilisearch": 7700, "elasticsearch": 9200, "opensearch": 9200}


@dataclass(frozen=True)
class LocalSubstitutes:
    """What the local target uses offline instead of the real thing (TEST-HARNESS: no registry, no vendor repos).

    The Open edX image becomes its contract test double, loaded from an image archive (the air-gapped path);
    MySQL runs as Debian's MariaDB; MongoDB and search, whose packages only their vendors serve, are left out.
    """

    image: str
    image_archive: str
    mysql_flavor: str = "mariadb"
    left_out: tuple[str, ...] = ("mongodb", "search")


@dataclass(frozen=True)
class HealthCheck:
    """How a load balancer judges an app host by its /heartbeat: seconds between checks, failed checks before it
    stops sending requests, passed checks before it sends them again, and the seconds it lets requests in flight
    finish (connection draining)."""

    interval_s: int
    unhealthy_threshold: int
    healthy_threshold: int
    draining_s: int

    @property
    def drain_seconds(self) -> int:
        """From the drain flag (/heartbeat answers 503) until no request is left on the host."""
        return self.unhealthy_threshold * self.interval_s + self.draining_s

    @property
    def resume_seconds(self) -> int:
        """From the flag's removal until the load balancer counts the host healthy again (1 s for the check)."""
        return self.healthy_threshold * self.interval_s + 1


# The numbers of each cloud's terraform/modules/<cloud>/load_balancer (tests/test_render.py reads them there) and
# of roles/load_balancer/defaults for the local HAProxy (tests/test_load_balancer.py):
# - aws: target group health_check interval 15, unhealthy_threshold 3, healthy_threshold 2; deregistration_delay
#   60 (the ALB's; the NLB of acme/self_signed checks HTTPS /heartbeat with the same thresholds);
# - gcp: google_compute_health_check check_interval_sec 10, unhealthy 3, healthy 2; connection_draining 30;
# - azure: Application Gateway probe interval 15, unhealthy_threshold 3, healthy after one passed probe;
#   connection_draining drain_timeout_sec 60;
# - local: HAProxy `inter 1s fall 2 rise 2`, and 1 s for the requests in flight (it retries GETs elsewhere).
LB_HEALTH_CHECKS = {
    "aws": HealthCheck(interval_s=15, unhealthy_threshold=3, healthy_threshold=2, draining_s=60),
    "gcp": HealthCheck(interval_s=10, unhealthy_threshold=3, healthy_threshold=2, draining_s=30),
    "azure": HealthCheck(interval_s=15, unhealthy_threshold=3, healthy_threshold=1, draining_s=60),
    "local": HealthCheck(interval_s=1, unhealthy_threshold=2, healthy_threshold=2, draining_s=1),
}


@dataclass
class RenderResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)

    def record(self, path: Path, changed: bool) -> None:
        (self.written if changed else self.unchanged).append(path)


def _write_if_changed(path: Path, text: str, result: RenderResult) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    changed = not path.exists() or path.read_text() != text
    if changed:
        path.write_text(text)
    result.record(path, changed)


def _dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, default_flow_style=False, sort_keys=True, width=4096)


def _dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


# --- Terraform ---------------------------------------------------------------------------------------------------


def read_public_key(spec: EnvironmentSpec) -> str:
    """The SSH public key text (not a secret); empty when the file is missing (reported as waiting). Checked again
    as it is read, since the file may have changed since the spec was validated: only a public key is ever copied."""
    path = Path(spec.ssh.public_key_file).expanduser()
    if not path.exists():
        return ""
    try:
        return read_public_key_file(path)
    except (ValueError, OSError) as exc:
        raise SpecError([Problem("ssh.public_key_file", f"{spec.ssh.public_key_file} {exc}")]) from None


def terraform_variables(spec: EnvironmentSpec, ssh_public_key: str) -> dict[str, Any]:
    """The stack inputs of docs/contracts.md section 2, the same names for every cloud (plus GCP's project_id)."""
    tiers = spec.tiers
    tags = {"environment": spec.name, "managed-by": "openedx-deploy", **spec.tags}
    return {
        "environment": spec.name,
        "region": spec.region,
        "zones": list(spec.zones),
        "profile": spec.size,
        "os_image": spec.os_image,
        "network_cidr": NETWORK_CIDR,
        "ssh_user": spec.ssh.user,
        "ssh_public_key": ssh_public_key,
        "ssh_allowed_cidrs": list(spec.ssh.allowed_cidrs),
        "app_count": tiers.app.count,
        "app_machine_type": tiers.app.machine_type,
        "app_disk_gb": tiers.app.disk_gb,
        "worker_count": tiers.worker.count,
        "worker_machine_type": tiers.worker.machine_type,
        "worker_disk_gb": tiers.worker.disk_gb,
        "mysql_mode": spec.mysql.mode,
        "mysql_version": spec.mysql.version,
        "mysql_machine_type": spec.mysql.machine_type,
        "mysql_disk_gb": spec.mysql.disk_gb,
        "mysql_ha": spec.mysql.ha,
        "mysql_read_replica": spec.mysql.read_replica,
        "mysql_backup_retention_days": spec.mysql.backup_retention_days,
        "mongodb_mode": spec.mongodb.mode,
        "mongodb_version": spec.mongodb.version,
        "mongodb_count": spec.mongodb.count,
        "mongodb_machine_type": spec.mongodb.machine_type,
        "mongodb_disk_gb": spec.mongodb.disk_gb,
        "redis_mode": spec.redis.mode,
        "redis_version": spec.redis.version,
        "redis_machine_type": spec.redis.machine_type,
        "redis_ha": spec.redis.ha,
        "search_engine": spec.search.engine,
        "search_mode": spec.search.mode,
        "search_version": spec.search.version,
        "search_count": spec.search.count,
        "search_machine_type": spec.search.machine_type,
        "search_disk_gb": spec.search.disk_gb,
        "storage_bucket_prefix": spec.storage.bucket_prefix,
        "storage_versioning": spec.storage.versioning,
        "tls_mode": spec.tls.mode,
        "lms_domain": spec.domains.lms,
        "studio_domain": spec.domains.studio,
        "mfe_domain": spec.domains.mfe,
        "tls_certificate_file": spec.tls.certificate_file or "",
        "tls_private_key_file": spec.tls.private_key_file or "",
        "deletion_protection": spec.deletion_protection,
        "tags": dict(sorted(tags.items())),
        # GCP's own stack input, which its provider block reads too; "" leaves it to GOOGLE_PROJECT or gcloud.
        **({"project_id": spec.project or ""} if spec.cloud == "gcp" else {}),
    }


def provider_variables(spec: EnvironmentSpec) -> dict[str, str]:
    """Root-module variables only the provider block reads (not stack inputs): Azure's subscription, from the
    environment file; "" leaves it to ARM_SUBSCRIPTION_ID or the Azure CLI."""
    return {"subscription_id": spec.subscription_id or ""} if spec.cloud == "azure" else {}


def backend_config(spec: EnvironmentSpec) -> dict[str, Any]:
    """Settings for `terraform init -backend-config=backend.json`: where the state lives, per backend type."""
    state = spec.state
    # One layout on every remote backend: <prefix>/<environment>/terraform.tfstate.
    prefix = f"{state.prefix or 'openedx-deploy'}/{spec.name}"
    key = f"{prefix}/terraform.tfstate"
    if state.backend == "s3":
        return {
            "bucket": state.bucket,
            "key": key,
            "region": state.region,
            "encrypt": True,
            # Unless the environment file names one, the table terraform/modules/aws/state_backend creates beside
            # the bucket: <bucket>-lock.
            "dynamodb_table": state.lock_table or f"{state.bucket}-lock",
        }
    if state.backend == "gcs":
        return {"bucket": state.bucket, "prefix": prefix}
    if state.backend == "azurerm":
        return {
            "resource_group_name": state.resource_group,
            "storage_account_name": state.storage_account,
            "container_name": state.container,
            "key": key,
        }
    return {"path": "terraform.tfstate"}


def _vendor_terraform(cloud: str, destination: Path) -> None:
    """Copy the cloud's stack and modules beside the root module (examples and caches left out)."""
    source = assets_root() / "terraform"
    ignore = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "examples", "*.tfstate*", "README.md")
    for part in (f"stacks/{cloud}", f"modules/{cloud}"):
        target = destination / part
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source / part, target, ignore=ignore)


def render_terraform(spec: EnvironmentSpec, workdir: Workdir, result: RenderResult) -> None:
    out = workdir.terraform_dir(spec.name)
    out.mkdir(parents=True, exist_ok=True)
    if spec.cloud == "local":
        _write_if_changed(out / "local-hosts.json", _dump_json(local_hosts(spec)), result)
        return
    _vendor_terraform(spec.cloud, out / VENDORED)
    public_key = read_public_key(spec)
    if not public_key:
        result.waiting.append(f"ssh.public_key_file {spec.ssh.public_key_file} not found: `up` needs it")
    variables = terraform_variables(spec, public_key)
    provider_only = provider_variables(spec)
    keys = sorted(variables)
    main_tf = templates.get_template("terraform/main.tf.j2").render(
        name=spec.name,
        cloud=spec.cloud,
        backend=spec.state.backend,
        stack_source=f"{VENDORED}/stacks/{spec.cloud}",
        variables=keys,
        provider_variables=sorted(provider_only),
        secret_variables=TERRAFORM_SECRETS,
        outputs=STACK_OUTPUTS,
        sensitive_outputs=SENSITIVE_OUTPUTS,
        width=max(len(k) for k in (*keys, *TERRAFORM_SECRETS)),
    )
    _write_if_changed(out / "main.tf", main_tf, result)
    _write_if_changed(out / "terraform.tfvars.json", _dump_json(variables | provider_only), result)
    _write_if_changed(out / "backend.json", _dump_json(backend_config(spec)), result)
    result.waiting.append("hosts, endpoints and buckets come from Terraform outputs: `up` fills the inventory")


# --- Hosts and inventory -----------------------------------------------------------------------------------------


def local_network_cidr(environment: str) -> str:
    """The subnet of a local environment's podman network: a /24 of LOCAL_SUBNET_POOL picked by the name's hash."""
    subnets = 2 ** (24 - LOCAL_SUBNET_POOL.prefixlen)
    index = int(hashlib.sha256(environment.encode()).hexdigest(), 16) % subnets
    subnet = ipaddress.ip_network((int(LOCAL_SUBNET_POOL.network_address) + index * 256, 24))
    return str(subnet)


def local_hosts(spec: EnvironmentSpec) -> dict[str, Any]:
    """The local target's hosts: podman containers running systemd, laid out like a cloud environment, with a
    load balancer host (HAProxy) in front of the app hosts except in the single profile."""
    hosts: list[dict[str, Any]] = []

    def add(name: str, groups: list[str]) -> None:
        runs_containers = bool({"app", "worker"} & set(groups))
        hosts.append({"name": f"{spec.name}-{name}", "groups": groups, "runs_containers": runs_containers})

    if spec.size == "single":
        add("1", ["app", "worker", *DATA_GROUPS])
    else:
        # data-1 carries every store; further data hosts add MongoDB replica-set members / search nodes.
        for index in range(1, max(spec.mongodb.count, spec.search.count, 1) + 1):
            replicated = [g for g in ("mongodb", "search") if getattr(spec, g).count >= index]
            add(f"data-{index}", (["mysql", "redis"] if index == 1 else []) + replicated)
        for index in range(1, spec.tiers.app.count + 1):
            add(f"app-{index}", ["app"])
        for index in range(1, spec.tiers.worker.count + 1):
            add(f"worker-{index}", ["worker"])
        add("lb", ["load_balancer"])
    return {"network": f"{spec.name}-net", "subnet": local_network_cidr(spec.name), "hosts": hosts}


def local_entrypoints(spec: EnvironmentSpec) -> list[str]:
    """The local hosts whose address serves the platform (HTTPS for the three domains): the load balancer host
    when the environment has one, else the app hosts (their own nginx terminates TLS)."""
    hosts = local_hosts(spec)["hosts"]
    balancers = [h["name"] for h in hosts if "load_balancer" in h["groups"]]
    return balancers or [h["name"] for h in hosts if "app" in h["groups"]]


def load_balancing(spec: EnvironmentSpec) -> dict[str, Any]:
    """Facts about the load balancer in front of the app hosts, read by the rolling replacement (playbooks/app.yml).

    openedx_load_balanced: whether one health-checks the app hosts' /heartbeat (AWS and Azure always; GCP with
    a certificate it can hold, tls.mode cloud or provided, as terraform/stacks/gcp decides; local outside the single
    profile). openedx_lb_drain_seconds / openedx_lb_resume_seconds: LB_HEALTH_CHECKS, 0 without a load balancer.
    """
    if spec.cloud == "local":
        balanced = spec.size != "single"
    elif spec.cloud == "gcp":
        balanced = spec.tls.mode in ("cloud", "provided")
    else:
        balanced = True
    check = LB_HEALTH_CHECKS[spec.cloud]
    return {
        "openedx_load_balanced": balanced,
        "openedx_lb_drain_seconds": check.drain_seconds if balanced else 0,
        "openedx_lb_resume_seconds": check.resume_seconds if balanced else 0,
    }


def host_groups(
    spec: EnvironmentSpec, outputs: Mapping[str, Any] | None, substitutes: LocalSubstitutes | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """Hosts per inventory group: from the local host list, or from the stack's `host_groups` output."""
    groups: dict[str, dict[str, dict[str, Any]]] = {group: {} for group in GROUPS}
    if spec.cloud == "local":
        left_out = substitutes.left_out if substitutes else ()
        for host in local_hosts(spec)["hosts"]:
            for group in host["groups"]:
                if group not in left_out:
                    # The short name: Ansible routes it to containers.podman.podman, and Mitogen to its own transport.
                    groups[group][host["name"]] = {"ansible_connection": "podman"}
        return groups
    if not outputs:
        return groups
    ssh_user = outputs.get("ssh_user", spec.ssh.user)
    jump = bastion_ssh_args(outputs)
    for group, members in outputs.get("host_groups", {}).items():
        for member in members:
            groups.setdefault(group, {})[member["name"]] = {
                "ansible_host": member["address"] if jump else member.get("public_address") or member["address"],
                "ansible_user": ssh_user,
                "openedx_private_address": member["address"],
            } | (_through_bastion(jump) if jump else {})
    # Single profile: self-hosted stores run on the one app host (the stack creates no data VM).
    if spec.size == "single":
        for group in DATA_GROUPS:
            if getattr(spec, group).mode == "self_hosted" and not groups[group]:
                groups[group] = dict(groups["app"])
    return groups


def _bastion(outputs: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The stack's `bastion` output when the stack created one (its address is "" otherwise)."""
    bastion = (outputs or {}).get("bastion")
    return bastion if isinstance(bastion, Mapping) and bastion.get("address") else None


def bastion_ssh_args(outputs: Mapping[str, Any] | None) -> str | None:
    """SSH options that reach a private host through the bastion, both hops checked against the inventory's
    known_hosts (the pinned host key). ProxyCommand rather than ProxyJump: ssh starts the ProxyJump hop without
    the command line's -o options, so that hop would fall back to ~/.ssh/known_hosts. The key is the agent's or
    ssh's default (the spec names no private key file). `inventory_dir` keeps the inventory relocatable."""
    bastion = _bastion(outputs)
    if bastion is None:
        return None
    pinned = '-o UserKnownHostsFile="{{ inventory_dir }}/' + KNOWN_HOSTS_FILE + '" -o StrictHostKeyChecking=yes'
    jump = f"ssh -W %h:%p {pinned} {bastion['ssh_user']}@{bastion['address']}"
    return f"{pinned} -o 'ProxyCommand={jump}'"


def _through_bastion(ssh_args: str) -> dict[str, Any]:
    # ansible_host_key_checking: the runner turns host key checking off for hosts without a pinned key
    # (ANSIBLE_HOST_KEY_CHECKING=false), and Ansible would then put StrictHostKeyChecking=no before these options.
    return {"ansible_ssh_common_args": ssh_args, "ansible_host_key_checking": True}


def known_hosts(outputs: Mapping[str, Any] | None, host_public_key: str) -> str | None:
    """known_hosts pinning the environment's host key for the bastion's address and every host's private address
    (exact addresses, the names ssh looks up), or None without a bastion."""
    bastion = _bastion(outputs)
    if bastion is None or outputs is None:
        return None
    addresses = [bastion["address"]] + [
        member["address"] for members in outputs.get("host_groups", {}).values() for member in members
    ]
    key = " ".join(host_public_key.split()[:2])
    return "".join(f"{address} {key}\n" for address in dict.fromkeys(addresses))


def inventory_hosts(groups: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    def members(name: str) -> dict[str, Any]:
        return {"hosts": dict(sorted(groups.get(name, {}).items()))} if groups.get(name) else {}

    return {
        "all": {
            "children": {
                "app": members("app"),
                "worker": members("worker"),
                "load_balancer": members("load_balancer"),
                "data": {"children": {group: members(group) for group in DATA_GROUPS}},
            }
        }
    }


def storage_facts(spec: EnvironmentSpec, outputs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The object storage the apps use: the bucket (container) names, and on Azure the storage account.

    The Azure stack gives each bucket as `<storage account>/<container>`, since a container name alone does not
    locate it (docs/clouds-azure.md); the roles take the account and the container names apart.
    """
    buckets = {str(k): str(v) for k, v in ((outputs or {}).get("buckets") or {}).items()}
    account = ""
    if spec.cloud == "azure":
        accounts = {value.partition("/")[0] for value in buckets.values() if "/" in value}
        account = accounts.pop() if len(accounts) == 1 else ""
        if account:
            buckets = {k: v.partition("/")[2] if v.startswith(f"{account}/") else v for k, v in buckets.items()}
    return {
        "cloud": spec.cloud,
        "buckets": buckets,
        "account": account,
        "identity": (outputs or {}).get("storage_identity"),
    }


def _endpoint(
    spec: EnvironmentSpec, store: str, outputs: Mapping[str, Any] | None, groups: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """Where the apps reach a data store: the managed endpoint, or the store group's hosts."""
    mode = getattr(spec, store).mode
    port = SEARCH_PORTS[spec.search.engine] if store == "search" else DEFAULT_PORTS[store]
    found = dict((outputs or {}).get("endpoints", {}).get(store) or {})
    if found.get("host"):
        return {"mode": mode, "host": found["host"], "port": found.get("port", port), "tls": found.get("tls", False)}
    return {"mode": mode, "hosts": sorted(groups.get(store, {})), "port": port, "tls": False}


def group_vars(
    spec: EnvironmentSpec,
    outputs: Mapping[str, Any] | None,
    groups: Mapping[str, Mapping[str, Any]],
    jwt_public_jwk_set: str,
    substitutes: LocalSubstitutes | None = None,
) -> dict[str, Any]:
    """The project-wide facts the playbooks read; roles get their own variables mapped from these."""
    release = load_catalog().get(spec.release)
    image = spec.image
    registry_prefix = f"{image.registry}/" if image.registry else ""
    facts: dict[str, Any] = {
        "openedx_environment": spec.name,
        "openedx_cloud": spec.cloud,
        "openedx_region": spec.region,
        "openedx_profile": spec.size,
        "openedx_release": release.name,
        "openedx_release_git_tag": release.git_tag,
        "openedx_forum_backend": release.forum_backend,
        "openedx_domains": {"lms": spec.domains.lms, "studio": spec.domains.studio, "mfe": spec.domains.mfe},
        "openedx_image": f"{registry_prefix}{image.repository}:{image.tag}",
        # The registry the images are pulled from (and logged in to); the references above start with it.
        "openedx_image_registry": image.registry,
        "openedx_image_archive": image.archive,
        "openedx_mfe_image": f"{registry_prefix}{release.mfe_image.repository}:{release.mfe_image.tag}",
        "openedx_notes_image": f"{registry_prefix}{release.notes_image.repository}:{release.notes_image.tag}",
        "openedx_mysql": {
            **_endpoint(spec, "mysql", outputs, groups),
            "flavor": spec.mysql.flavor,
            "version": spec.mysql.version,
        },
        "openedx_mongodb": {**_endpoint(spec, "mongodb", outputs, groups), "version": spec.mongodb.version},
        "openedx_redis": {**_endpoint(spec, "redis", outputs, groups), "version": spec.redis.version},
        "openedx_search": {
            **_endpoint(spec, "search", outputs, groups),
            "engine": spec.search.engine,
            "version": spec.search.version,
        },
        "openedx_storage": storage_facts(spec, outputs),
        "openedx_tls": {
            "mode": spec.tls.mode,
            "email": spec.tls.email,
            "certificate_file": spec.tls.certificate_file,
            "private_key_file": spec.tls.private_key_file,
        },
        # The certificate of the local load balancer host (HAProxy), when there is one: see below.
        "openedx_lb_tls": None,
        # The private network: the app hosts' proxies believe X-Forwarded-* from it behind a load balancer.
        "openedx_network_cidr": local_network_cidr(spec.name) if spec.cloud == "local" else NETWORK_CIDR,
        **load_balancing(spec),
        "openedx_smtp": spec.smtp.model_dump(),
        "openedx_mirrors": spec.mirrors.model_dump(),
        "openedx_ssh_allowed_cidrs": list(spec.ssh.allowed_cidrs),
        "openedx_load_balancer": (outputs or {}).get("load_balancer"),
        "openedx_jwt_public_jwk_set": jwt_public_jwk_set,
    }
    if spec.cloud == "local" and facts["openedx_load_balanced"]:
        # As behind a cloud load balancer, TLS ends at the local one: the app hosts' nginx runs in tls mode
        # `cloud` (plain HTTP, X-Forwarded-* believed from openedx_network_cidr only) and the load balancer host
        # holds the environment's certificate (self-signed, or the operator's files in tls.mode provided).
        facts["openedx_lb_tls"] = {
            "mode": spec.tls.mode,
            "certificate_file": spec.tls.certificate_file,
            "private_key_file": spec.tls.private_key_file,
        }
        facts["openedx_tls"] = {"mode": "cloud", "email": None, "certificate_file": None, "private_key_file": None}
    if substitutes:
        facts.update(
            openedx_image=substitutes.image,
            openedx_mfe_image=substitutes.image,
            openedx_notes_image=substitutes.image,
            openedx_image_archive=substitutes.image_archive,
            # The double serves every role from one image; this selects its MFE server for the mfe role.
            openedx_mfe_env={"OPENEDX_DOUBLE_SERVICE": "mfe"},
            openedx_substitutes=sorted(
                ["open edx image: contract test double", f"mysql: {substitutes.mysql_flavor}"]
                + [f"{store}: left out" for store in substitutes.left_out]
            ),
        )
        facts["openedx_mysql"]["flavor"] = substitutes.mysql_flavor
        for store in substitutes.left_out:
            facts[f"openedx_{store}"]["enabled"] = False
    return facts


def render_inventory(
    spec: EnvironmentSpec,
    workdir: Workdir,
    secrets: Mapping[str, str],
    vault: Vault,
    result: RenderResult,
    outputs: Mapping[str, Any] | None = None,
    substitutes: LocalSubstitutes | None = None,
) -> None:
    out = workdir.inventory_dir(spec.name)
    groups = host_groups(spec, outputs, substitutes)
    _write_if_changed(out / "hosts.yml", "---\n" + _dump_yaml(inventory_hosts(groups)), result)
    facts = group_vars(spec, outputs, groups, public_jwk_set(secrets["jwt_private_key"]), substitutes)
    _write_if_changed(out / "group_vars" / "all" / "main.yml", "---\n" + _dump_yaml(facts), result)
    pinned = known_hosts(outputs, ssh_host_public_key(secrets["ssh_host_key"])) if _bastion(outputs) else None
    if pinned is not None:
        _write_if_changed(out / KNOWN_HOSTS_FILE, pinned, result)
    else:
        (out / KNOWN_HOSTS_FILE).unlink(missing_ok=True)
    vault_text = "---\n" + _dump_yaml({f"vault_{k}": v for k, v in sorted(secrets.items())} | vault_outputs(outputs))
    vault_path = out / "group_vars" / "all" / "vault.yml"
    result.record(vault_path, write_encrypted_if_changed(vault_path, vault, vault_text))
    waiting = spec.cloud != "local" and not outputs
    readme = templates.get_template("inventory/README.md.j2").render(
        name=spec.name, cloud=spec.cloud, groups=GROUPS, waiting=waiting
    )
    _write_if_changed(out / "README.md", readme, result)


def vault_outputs(outputs: Mapping[str, Any] | None) -> dict[str, str]:
    """The sensitive outputs that are set, for the inventory's vault: vault_<output name>."""
    found = outputs or {}
    return {f"vault_{name}": str(found[name]) for name in SENSITIVE_OUTPUTS if found.get(name)}


def outputs_file(workdir: Workdir, name: str) -> Path:
    """The local cache of the environment's Terraform outputs: written by `up` (and by a command that read them
    from the state when it was missing), removed by `destroy`. The state is the record; this saves a Terraform run."""
    return workdir.terraform_dir(name) / OUTPUTS_FILE


def secret_outputs_file(workdir: Workdir, name: str) -> Path:
    """The encrypted cache of the sensitive outputs (SENSITIVE_OUTPUTS), beside outputs_file()."""
    return workdir.terraform_dir(name) / SECRET_OUTPUTS_FILE


def load_outputs(workdir: Workdir, name: str, vault: Vault | None = None) -> dict[str, Any] | None:
    """Terraform outputs cached by the last `up` (`terraform output -json`, values only), if any. Only the cache:
    `Deployer.terraform_outputs()` falls back to the state. With the vault, the sensitive outputs too."""
    path = outputs_file(workdir, name)
    if not path.is_file():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text())
    secret_path = secret_outputs_file(workdir, name)
    if vault is not None and secret_path.is_file():
        sensitive = yaml.safe_load(vault.decrypt(secret_path.read_bytes(), secret_path)) or {}
        loaded.update({k: v for k, v in sensitive.items() if k in SENSITIVE_OUTPUTS})
    return loaded


def save_outputs(workdir: Workdir, name: str, outputs: Mapping[str, Any], vault: Vault | None) -> None:
    """Cache the outputs: the sensitive ones that are set encrypted with the vault (needed only then), the others as
    JSON. Never a secret in plain text."""
    path = outputs_file(workdir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_dump_json({k: v for k, v in outputs.items() if k not in SENSITIVE_OUTPUTS}))
    sensitive = {k: outputs[k] for k in SENSITIVE_OUTPUTS if outputs.get(k)}
    secret_path = secret_outputs_file(workdir, name)
    if not sensitive:
        secret_path.unlink(missing_ok=True)
        return
    if vault is None:
        raise ValueError("sensitive outputs are cached only encrypted: a vault is needed")
    write_encrypted_if_changed(secret_path, vault, "---\n" + _dump_yaml(sensitive))


def forget_outputs(workdir: Workdir, name: str) -> None:
    """Remove the cached outputs (after `destroy`: they name what is gone)."""
    outputs_file(workdir, name).unlink(missing_ok=True)
    secret_outputs_file(workdir, name).unlink(missing_ok=True)


def render_environment(
    spec: EnvironmentSpec,
    workdir: Workdir,
    secrets: Mapping[str, str],
    vault: Vault,
    substitutes: LocalSubstitutes | None = None,
) -> RenderResult:
    result = RenderResult()
    render_terraform(spec, workdir, result)
    render_inventory(spec, workdir, secrets, vault, result, load_outputs(workdir, spec.name, vault), substitutes)
    return result
