"""Turns a resolved spec into files: the Terraform root module and the Ansible inventory.

Rendering is deterministic (same spec, same secrets, same Terraform outputs -> byte-identical files) and writes no
secret in plain text: secrets reach Terraform as TF_VAR_* at run time and Ansible through an encrypted vault file.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem, SpecError
from .paths import Workdir, assets_root
from .releases import load_catalog
from .secrets import Vault, derived_secrets, public_jwk_set, ssh_host_public_key, write_encrypted_if_changed
from .spec import EnvironmentSpec, read_public_key_file
from .stackoutputs import SENSITIVE_OUTPUTS, STACK_OUTPUTS, cdn_urls, load_outputs, shared_files, vault_outputs
from .templating import templates
from .topology import (
    AMAZON_MQ_USER,
    BROKER_GROUPS,
    BROKER_PORTS,
    DATA_GROUPS,
    GROUPS,
    NETWORK_CIDR,
    SHARED_FILES_GROUPS,
    data_host_counts,
    firewall_services,
    load_balancing,
    local_hosts,
    local_transport,
    network_cidr,
    replication_vars,
    shares_files,
    store_port,
)

# The root module's secret variables (TF_VAR_* at run time, never in tfvars), each from the environment's secrets.
# ssh_host_public_key is no secret, but Terraform cannot derive it offline (no tls provider) and render has no
# secrets to put it in tfvars: it travels beside its private half.
_TERRAFORM_SECRET_VALUES: dict[str, Callable[[Mapping[str, str]], str]] = {
    "mysql_admin_password": lambda s: s["mysql_root_password"],
    "redis_auth_token": lambda s: s["redis_password"],
    "rabbitmq_admin_password": lambda s: s["rabbitmq_admin_password"],
    "ssh_host_key": lambda s: s["ssh_host_key"],
    "ssh_host_public_key": lambda s: ssh_host_public_key(s["ssh_host_key"]),
}
TERRAFORM_SECRETS = tuple(_TERRAFORM_SECRET_VALUES)


def terraform_secrets(secrets: Mapping[str, str]) -> dict[str, str]:
    """The values of TERRAFORM_SECRETS, as `up`, `plan` and `destroy` pass them to Terraform."""
    return {name: value(secrets) for name, value in _TERRAFORM_SECRET_VALUES.items()}


# Beside hosts.yml: the environment's pinned host key for the bastion and every host (docs/clouds.md). `.txt`, one of
# the extensions Ansible skips in an inventory directory: a plain `known_hosts` was parsed as an inventory source
# on every run (a warning, and an error where unparsed inventories fail). LEGACY_KNOWN_HOSTS_FILE: the old name,
# removed when found.
KNOWN_HOSTS_FILE = "known_hosts.txt"
LEGACY_KNOWN_HOSTS_FILE = "known_hosts"
# ssh options that accept a host only with the key known_hosts pins. `inventory_dir` keeps the inventory relocatable.
PINNED_SSH_ARGS = '-o UserKnownHostsFile="{{ inventory_dir }}/' + KNOWN_HOSTS_FILE + '" -o StrictHostKeyChecking=yes'
# Where the rendered root module keeps its copy of the project's modules, so build/<name>/terraform is
# self-contained and does not depend on where the package is installed.
VENDORED = "modules-src"


# The Meilisearch contract test double: one Python script the search role installs where the release binary goes.
MEILISEARCH_DOUBLE = "tests/double/meilisearch"


def meilisearch_double() -> str:
    """The controller's path of the Meilisearch test double (shipped with the package, as the image double is)."""
    return str(assets_root(MEILISEARCH_DOUBLE) / MEILISEARCH_DOUBLE / "meilisearch")


@dataclass(frozen=True)
class LocalSubstitutes:
    """What the local target uses offline instead of the real thing (TEST-HARNESS: no registry, no vendor repos).

    The Open edX image becomes its contract test double, loaded from an image archive (the air-gapped path);
    MySQL runs as Debian's MariaDB; Meilisearch, which only its GitHub releases serve, becomes its contract test
    double, installed from the controller as an air-gapped operator installs the binary
    (`search_meilisearch_local_binary`); MongoDB, whose packages only its vendor serves, is left out.
    """

    image: str
    image_archive: str
    mysql_flavor: str = "mariadb"
    left_out: tuple[str, ...] = ("mongodb",)
    search_binary: str = field(default_factory=meilisearch_double)


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
    """The stack inputs of docs/contracts.md section 2, the same names for every cloud (plus GCP's project_id and
    dns_managed_zone, and AWS's cdn_price_class)."""
    tiers = spec.tiers
    tags = {"environment": spec.name, "managed-by": "openedx-deploy", **spec.tags}
    return {
        "environment": spec.name,
        "region": spec.region,
        "zones": list(spec.zones),
        "profile": spec.size,
        "os_image": spec.os_image,
        "network_cidr": NETWORK_CIDR,
        "data_host_counts": data_host_counts(spec),
        "rabbitmq_mode": spec.rabbitmq.mode,
        "rabbitmq_machine_type": spec.rabbitmq.machine_type,
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
        "notes_domain": spec.domains.notes,
        "meilisearch_domain": spec.domains.meilisearch or "",
        # The public zone the stack points the domains at the load balancer in; "" leaves the records to the operator.
        "dns_zone": spec.dns.zone or "",
        # The CDN in front of /static/ and /media/; its name "" is the CDN's own (docs/cdn.md).
        "cdn_enabled": spec.cdn.enabled,
        "cdn_domain": spec.cdn.domain or "",
        "tls_certificate_file": spec.tls.certificate_file or "",
        "tls_private_key_file": spec.tls.private_key_file or "",
        "deletion_protection": spec.deletion_protection,
        "tags": dict(sorted(tags.items())),
        # Azure's Key Vault issuer of a `cloud` certificate; unset, the stack's default (Self: self-signed).
        **({"tls_certificate_issuer": spec.tls.issuer} if spec.cloud == "azure" and spec.tls.issuer else {}),
        # GCP's own stack input, which its provider block reads too; "" leaves it to GOOGLE_PROJECT or gcloud.
        **({"project_id": spec.project or ""} if spec.cloud == "gcp" else {}),
        # CloudFront's own input: the edge locations used and billed.
        **({"cdn_price_class": spec.cdn.price_class or "PriceClass_100"} if spec.cloud == "aws" else {}),
        # Cloud DNS knows a zone by a name of its own; "" lets the stack derive it from dns_zone (example-com).
        **({"dns_managed_zone": spec.dns.managed_zone or ""} if spec.cloud == "gcp" else {}),
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


def host_groups(
    spec: EnvironmentSpec,
    outputs: Mapping[str, Any] | None,
    substitutes: LocalSubstitutes | None = None,
    local_key_file: str = "",
) -> dict[str, dict[str, dict[str, Any]]]:
    """Hosts per inventory group: from the local host list, or from the stack's `host_groups` output.
    `local_key_file`: the private key the local hosts accept over SSH (OPENEDX_DEPLOY_LOCAL_TRANSPORT=ssh)."""
    groups: dict[str, dict[str, dict[str, Any]]] = {group: {} for group in GROUPS}
    left_out = substitutes.left_out if substitutes else ()
    if spec.cloud == "local":
        over_ssh = local_transport() == "ssh"
        for host in local_hosts(spec)["hosts"]:
            # podman: the short name, which Ansible routes to containers.podman.podman and Mitogen to its own
            # transport. ssh: the host's sshd, as a cloud host is reached (its login user, the pinned host key).
            access = (
                {
                    "ansible_host": host["address"],
                    "ansible_user": spec.ssh.user,
                    "ansible_ssh_private_key_file": local_key_file,
                    **_pinned_host_key(PINNED_SSH_ARGS),
                }
                if over_ssh
                else {"ansible_connection": "podman"}
            )
            for group in host["groups"]:
                if group not in left_out:
                    groups[group][host["name"]] = dict(access)
        return groups
    if not outputs:
        return groups
    ssh_user = outputs.get("ssh_user", spec.ssh.user)
    jump = bastion_ssh_args(outputs)
    for group, members in outputs.get("host_groups", {}).items():
        if group in left_out:  # a simulated cloud's substitutes (targets.CLOUD_SUBSTITUTES_ENV)
            continue
        for member in members:
            groups.setdefault(group, {})[member["name"]] = {
                "ansible_host": member["address"] if jump else member.get("public_address") or member["address"],
                "ansible_user": ssh_user,
                "openedx_private_address": member["address"],
            } | (_pinned_host_key(jump) if jump else {})
    # Single profile: self-hosted stores, and a RabbitMQ broker, run on the one app host (the stack creates no data
    # VM).
    if spec.size == "single":
        on_app = [g for g in DATA_GROUPS if getattr(spec, g).mode == "self_hosted"]
        on_app += list(BROKER_GROUPS) if spec.broker == "rabbitmq" and spec.rabbitmq.mode == "self_hosted" else []
        for group in on_app:
            if not groups[group] and group not in left_out:
                groups[group] = dict(groups["app"])
    # A self-hosted MySQL's second host replicates the first.
    for name, extra in replication_vars(groups).items():
        groups["mysql"][name] = {**groups["mysql"][name], **extra}
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
    jump = f"ssh -W %h:%p {PINNED_SSH_ARGS} {bastion['ssh_user']}@{bastion['address']}"
    return f"{PINNED_SSH_ARGS} -o 'ProxyCommand={jump}'"


def _pinned_host_key(ssh_args: str) -> dict[str, Any]:
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
    return known_hosts_lines(addresses, host_public_key)


def known_hosts_lines(addresses: list[str], host_public_key: str) -> str:
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
                **{group: members(group) for group in BROKER_GROUPS},
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
    port = store_port(spec, store)
    found = dict((outputs or {}).get("endpoints", {}).get(store) or {})
    if found.get("host"):
        endpoint = {
            "mode": mode,
            "host": found["host"],
            "port": found.get("port", port),
            "tls": found.get("tls", False),
        }
        # A managed MySQL's admin account: the jobs create the platform's databases and users through it. A managed
        # Redis's own CA, where its certificate chains to no public root (Memorystore): the clients verify with it.
        extra = {
            "mysql": {"admin_user": found.get("admin_user") or ""},
            "redis": {"ca_cert": found.get("ca_cert") or ""},
        }
        return endpoint | extra.get(store, {})
    return {"mode": mode, "hosts": sorted(groups.get(store, {})), "port": port, "tls": False}


def _broker(
    spec: EnvironmentSpec, outputs: Mapping[str, Any] | None, groups: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The Celery broker (docs/rabbitmq.md), resolved here so the group vars only map it: the environment's Redis;
    the rabbitmq group's host, its vhost and a user per service, verified against the data CA; or Amazon MQ's
    endpoint (the stack's `endpoints.rabbitmq`), its one user for both services on the default vhost, verified
    against public roots. `secrets` names each service's password in the vault (vault_<name>)."""
    if spec.broker != "rabbitmq":
        return {"kind": "redis", "mode": None, "hosts": [], "port": None}
    common = {"kind": "rabbitmq", "mode": spec.rabbitmq.mode, "queue_type": spec.rabbitmq.queue_type}
    if spec.rabbitmq.mode == "managed":
        found = dict((outputs or {}).get("endpoints", {}).get("rabbitmq") or {})
        return {
            **common,
            "hosts": [],
            "host": found.get("host") or "",
            "port": found.get("port") or BROKER_PORTS["rabbitmq"],
            "vhost": "/",
            "users": {"lms": AMAZON_MQ_USER, "cms": AMAZON_MQ_USER},
            "secrets": {"lms": "rabbitmq_admin_password", "cms": "rabbitmq_admin_password"},
            "ca": "public",
        }
    return {
        **common,
        "hosts": sorted(groups.get("rabbitmq", {})),
        "host": "",
        "port": BROKER_PORTS["rabbitmq"],
        "vhost": "openedx",
        "users": {"lms": "lms", "cms": "cms"},
        "secrets": {"lms": "rabbitmq_lms_password", "cms": "rabbitmq_cms_password"},
        "ca": "data",
    }


def shared_files_facts(spec: EnvironmentSpec, outputs: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What the common role mounts at /var/lib/openedx, and on which groups' hosts (topology.SHARED_FILES_GROUPS)."""
    found = shared_files(outputs)
    if found is None or not shares_files(spec, SHARED_FILES_GROUPS):
        return None
    return {"mount": found, "groups": list(SHARED_FILES_GROUPS)}


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
        # Every public host name; meilisearch is null unless the search engine is Meilisearch.
        "openedx_domains": spec.domains.model_dump(),
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
        "openedx_broker": _broker(spec, outputs, groups),
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
        "openedx_network_cidr": network_cidr(spec),
        **load_balancing(spec),
        # Which group reaches which port (topology.REACH): the common role's firewall rules.
        "openedx_firewall_services": firewall_services(),
        "openedx_smtp": spec.smtp.model_dump(),
        "openedx_mirrors": spec.mirrors.model_dump(),
        "openedx_ssh_allowed_cidrs": list(spec.ssh.allowed_cidrs),
        "openedx_load_balancer": (outputs or {}).get("load_balancer"),
        # The stack's `cdn` output: where browsers fetch /static/ and /media/ (None without a CDN, or before `up`).
        "openedx_cdn": cdn_urls(outputs),
        # The stack's `shared_files` output and the groups whose hosts mount it at /var/lib/openedx (the common role);
        # None in single, on the local target (its hosts get a podman volume there when made) and before `up`; and
        # with the offline substitutes (a simulated cloud: no NFS there, its hosts bring the directory themselves).
        "openedx_shared_files": None if substitutes else shared_files_facts(spec, outputs),
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
        search_double = "search" not in substitutes.left_out
        facts.update(
            openedx_image=substitutes.image,
            openedx_mfe_image=substitutes.image,
            openedx_notes_image=substitutes.image,
            openedx_image_archive=substitutes.image_archive,
            # The double serves every role from one image; this selects its MFE server for the mfe role.
            openedx_mfe_env={"OPENEDX_DOUBLE_SERVICE": "mfe"},
            openedx_substitutes=sorted(
                ["open edx image: contract test double", f"mysql: {substitutes.mysql_flavor}"]
                + (["meilisearch: contract test double"] if search_double else [])
                + [f"{store}: left out" for store in substitutes.left_out]
            ),
        )
        facts["openedx_mysql"]["flavor"] = substitutes.mysql_flavor
        if search_double:
            facts["openedx_search"]["local_binary"] = substitutes.search_binary
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
    groups = host_groups(spec, outputs, substitutes, str(workdir.local_ssh_key(spec.name)))
    _write_if_changed(out / "hosts.yml", "---\n" + _dump_yaml(inventory_hosts(groups)), result)
    facts = group_vars(spec, outputs, groups, public_jwk_set(secrets["jwt_private_key"]), substitutes)
    _write_if_changed(out / "group_vars" / "all" / "main.yml", "---\n" + _dump_yaml(facts), result)
    pinned = None
    if spec.cloud == "local" and local_transport() == "ssh":
        addresses = [host["address"] for host in local_hosts(spec)["hosts"]]
        pinned = known_hosts_lines(addresses, ssh_host_public_key(secrets["ssh_host_key"]))
    elif _bastion(outputs):
        pinned = known_hosts(outputs, ssh_host_public_key(secrets["ssh_host_key"]))
    if pinned is not None:
        _write_if_changed(out / KNOWN_HOSTS_FILE, pinned, result)
    else:
        (out / KNOWN_HOSTS_FILE).unlink(missing_ok=True)
    (out / LEGACY_KNOWN_HOSTS_FILE).unlink(missing_ok=True)
    stored_and_derived = {**secrets, **derived_secrets(secrets)}
    vault_text = "---\n" + _dump_yaml(
        {f"vault_{k}": v for k, v in sorted(stored_and_derived.items())} | vault_outputs(outputs)
    )
    vault_path = out / "group_vars" / "all" / "vault.yml"
    result.record(vault_path, write_encrypted_if_changed(vault_path, vault, vault_text))
    waiting = spec.cloud != "local" and not outputs
    readme = templates.get_template("inventory/README.md.j2").render(
        name=spec.name, cloud=spec.cloud, groups=GROUPS, waiting=waiting
    )
    _write_if_changed(out / "README.md", readme, result)


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
