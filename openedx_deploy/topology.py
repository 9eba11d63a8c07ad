"""The environment's topology, decided once: which hosts belong to which group, how many, under which names; the
port each component listens on and which group may reach it; whether a load balancer stands in front of the app
hosts; and the names the stacks give the resources that other commands look up (snapshots, backups).

Everything else reads it: the renderer (inventory, Terraform inputs, the local host layout), preflight (VMs and
quota), the topology graph, the firewall rules the common role applies, snapshots and backups. The stacks receive
explicit host counts (`data_host_counts`) and only place hosts. To add a component (a data store, a broker), add
its group, port and reach rule here, a module per cloud, a role, and its entry in docs/contracts.md.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import profiles
from .errors import UsageError
from .spec import EnvironmentSpec

# --- Groups and addresses ----------------------------------------------------------------------------------------

DATA_GROUPS = ("mysql", "mongodb", "redis", "search")
# The self-hosted Celery broker (`broker: rabbitmq`): beside the data groups, not among them: it holds no data a
# backup or snapshot keeps, has no managed mode and no `endpoints` entry; on a cloud it gets a VM of its own like a
# self-hosted store (the stacks' `data_host_counts.rabbitmq`; docs/rabbitmq.md).
BROKER_GROUPS = ("rabbitmq",)
# load_balancer: the local target's HAProxy host (sizes other than single); a cloud's load balancer is no host.
GROUPS = ("app", "worker", "load_balancer", *DATA_GROUPS, *BROKER_GROUPS)
# The groups whose hosts share /var/lib/openedx outside single (the lms and cms data directories and the media, where
# a course import Studio saves for its worker, uploads and ORA2 files land): the local target's podman volume, a
# cloud's network file system (the stacks' `shared_files` output; docs/openedx-settings.md, "Several hosts").
SHARED_FILES_GROUPS = ("app", "worker")
NETWORK_CIDR = "10.40.0.0/16"
# Each local environment's podman network gets a fixed /24 of this range, chosen from its name, so the rendered
# inventory can name the network the app hosts' proxies trust. It is podman's own address pool
# (containers.conf default_subnet_pools), which podman hands out only after 10.89.0.0/16 is used up.
LOCAL_SUBNET_POOL = ipaddress.ip_network("10.90.0.0/15")
# A local host's address in its environment's /24: the offset of its kind plus its index. podman's gateway is .1;
# ranges of 20 hold the most hosts of a kind the spec allows (tiers.*.count <= 20, replica sets smaller).
LOCAL_HOST_OFFSETS = {"lb": 5, "data": 10, "app": 40, "worker": 70}


def local_network_cidr(environment: str) -> str:
    """The subnet of a local environment's podman network: a /24 of LOCAL_SUBNET_POOL picked by the name's hash."""
    subnets = 2 ** (24 - LOCAL_SUBNET_POOL.prefixlen)
    index = int(hashlib.sha256(environment.encode()).hexdigest(), 16) % subnets
    subnet = ipaddress.ip_network((int(LOCAL_SUBNET_POOL.network_address) + index * 256, 24))
    return str(subnet)


def network_cidr(spec: EnvironmentSpec) -> str:
    """The private network the hosts share: the cloud network's range, or the local environment's podman subnet."""
    return local_network_cidr(spec.name) if spec.cloud == "local" else NETWORK_CIDR


# --- Ports and who reaches them ----------------------------------------------------------------------------------

STORE_PORTS = {"mysql": 3306, "mongodb": 27017, "redis": 6379}
SEARCH_PORTS = {"meilisearch": 7700, "elasticsearch": 9200, "opensearch": 9200}
# AMQP over TLS (the rabbitmq role listens with TLS only on its private address once the environment has its CA).
BROKER_PORTS = {"rabbitmq": 5671}
# The one user an Amazon MQ for RabbitMQ broker is created with (modules/aws/rabbitmq's `admin_user`): Amazon MQ
# accepts one user at creation and no `guest`; both services log in as it (docs/rabbitmq.md, "Amazon MQ").
AMAZON_MQ_USER = "openedx"
WEB_PORTS = (80, 443)
SSH_PORT = 22
# The app containers on an app host, each bound to loopback behind the host's nginx (roles/openedx_app for lms and
# cms, roles/mfe, roles/notes). The role's own ports: roles/openedx_app/vars/main.yml.
APP_CONTAINER_PORTS = {"lms": 8000, "cms": 8010, "mfe": 8002, "notes": 8120}


def store_port(spec: EnvironmentSpec, store: str) -> int:
    """The port the apps reach a data store on (a managed endpoint's own port comes from the stack's outputs)."""
    return SEARCH_PORTS[spec.search.engine] if store == "search" else STORE_PORTS[store]


@dataclass(frozen=True)
class Reach:
    """A host in `group` opens `ports` to the hosts of `from_groups`; with none of them in the inventory (no local
    load balancer host), to `fallback_cidrs`. The common role turns these into nftables rules."""

    name: str
    group: str
    ports: tuple[int, ...]
    from_groups: tuple[str, ...]
    fallback_cidrs: tuple[str, ...] = ()

    def as_fact(self) -> dict[str, Any]:
        fact: dict[str, Any] = {
            "name": self.name,
            "group": self.group,
            "ports": list(self.ports),
            "from_groups": list(self.from_groups),
        }
        if self.fallback_cidrs:
            fact["fallback_cidrs"] = list(self.fallback_cidrs)
        return fact


# Which group may reach which port. A store's own group is among its clients where its members talk to each other
# (MySQL replication, MongoDB replica sets, Elasticsearch/OpenSearch clusters: 9300 is their transport).
REACH = (
    Reach("mysql", "mysql", (STORE_PORTS["mysql"],), ("app", "worker", "mysql")),
    Reach("redis", "redis", (STORE_PORTS["redis"],), ("app", "worker")),
    # The broker's clients are the web processes (which send tasks) and the workers (which consume them); no one else.
    Reach("rabbitmq", "rabbitmq", (BROKER_PORTS["rabbitmq"],), ("app", "worker")),
    Reach("mongodb", "mongodb", (STORE_PORTS["mongodb"],), ("app", "worker", "mongodb")),
    Reach("meilisearch", "search", (SEARCH_PORTS["meilisearch"],), ("app", "worker")),
    Reach("elasticsearch", "search", (SEARCH_PORTS["elasticsearch"],), ("app", "worker", "search")),
    Reach("elasticsearch-transport", "search", (9300,), ("search",)),
    # Behind a load balancer host the app hosts' web ports admit it alone; without one (a single local host, or a
    # cloud whose load balancer is no host), anyone: the cloud's own firewall (security groups) then decides.
    Reach("web", "app", WEB_PORTS, ("load_balancer",), ("0.0.0.0/0", "::/0")),
)


def firewall_services() -> list[dict[str, Any]]:
    """REACH as the common role's `common_firewall_services`."""
    return [rule.as_fact() for rule in REACH]


# --- Load balancer -----------------------------------------------------------------------------------------------


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


def load_balanced(spec: EnvironmentSpec) -> bool:
    """Whether a load balancer health-checks the app hosts' /heartbeat: AWS and Azure always; GCP with a certificate
    it can hold (tls.mode cloud or provided, as terraform/stacks/gcp decides); local outside the single profile."""
    if spec.cloud == "local":
        return spec.size != "single"
    if spec.cloud == "gcp":
        return spec.tls.mode in ("cloud", "provided")
    return True


def load_balancing(spec: EnvironmentSpec) -> dict[str, Any]:
    """Facts about the load balancer in front of the app hosts, read by the rolling replacement (playbooks/app.yml):
    openedx_load_balanced, and openedx_lb_drain_seconds / openedx_lb_resume_seconds (LB_HEALTH_CHECKS, 0 without
    a load balancer)."""
    balanced = load_balanced(spec)
    check = LB_HEALTH_CHECKS[spec.cloud]
    return {
        "openedx_load_balanced": balanced,
        "openedx_lb_drain_seconds": check.drain_seconds if balanced else 0,
        "openedx_lb_resume_seconds": check.resume_seconds if balanced else 0,
    }


def gapless_gap(spec: EnvironmentSpec) -> str | None:
    """Why a rolling restart or upgrade of this environment cannot keep serving every request, or None when it can:
    that takes a load balancer and a second app host to send requests to while one is replaced."""
    if not load_balanced(spec):
        return "no load balancer health-checks the app hosts, so requests reach each host while it restarts" + (
            " (on GCP one comes with tls.mode cloud or provided)" if spec.cloud == "gcp" else ""
        )
    if spec.tiers.app.count < 2:
        return (
            "it has one app host, so requests fail while that host restarts; "
            "set `tiers: {app: {count: 2}}` in the environment file and run `up` to restart without a gap"
        )
    return None


# --- Hosts -------------------------------------------------------------------------------------------------------


def data_host_counts(spec: EnvironmentSpec) -> dict[str, int]:
    """The self-hosted data-store VMs of a cloud environment, per store, and the broker's: the stacks'
    `data_host_counts` input.

    None in `single` (every self-hosted store, and RabbitMQ, runs on the app host) and none for a managed store.
    MySQL gets a second host, a replica of the first (mysql_replication_role in the inventory), with `ha` or
    `read_replica`; Redis one (no play replicates Redis, so more would be unused); MongoDB and search their `count`;
    RabbitMQ one with `broker: rabbitmq`, self-hosted (a single node, as locally: docs/rabbitmq.md).
    """
    counts = dict.fromkeys((*DATA_GROUPS, *BROKER_GROUPS), 0)
    if spec.size == "single":
        return counts
    if spec.broker == "rabbitmq" and spec.rabbitmq.mode == "self_hosted":
        counts["rabbitmq"] = 1
    for store in spec.self_hosted_stores():
        if store == "mysql":
            counts[store] = 2 if spec.mysql.ha or spec.mysql.read_replica else 1
        elif store == "redis":
            counts[store] = 1
        else:
            counts[store] = getattr(spec, store).count
    return counts


def cloud_host_names(spec: EnvironmentSpec, group: str) -> list[str]:
    """The host names a cloud stack gives the VMs of a group: <environment>-<group>-<n> (modules/*/app_hosts)."""
    counts = {"app": spec.tiers.app.count, "worker": spec.tiers.worker.count, **data_host_counts(spec)}
    return [f"{spec.name}-{group}-{i}" for i in range(1, counts.get(group, 0) + 1)]


@dataclass(frozen=True)
class VmNeed:
    """VMs of one machine type the environment asks for (managed stores are not VMs)."""

    machine_type: str
    count: int


def planned_vms(spec: EnvironmentSpec) -> list[VmNeed]:
    """The VMs a cloud environment creates, per tier or store, for preflight's quota and machine-type checks."""
    needs = [VmNeed(spec.tiers.app.machine_type, spec.tiers.app.count)]
    needs.append(VmNeed(spec.tiers.worker.machine_type, spec.tiers.worker.count))
    for store, count in data_host_counts(spec).items():
        # The broker's too: `rabbitmq.machine_type`, its VM's size (by default the profile's data-host size).
        needs.append(VmNeed(getattr(spec, store).machine_type, count))
    if spec.cloud in profiles.BASTION_MACHINE_TYPES and spec.ssh.allowed_cidrs:
        # The bastion: a size the region may not offer (Azure restricts small sizes per subscription) counts too.
        needs.append(VmNeed(profiles.BASTION_MACHINE_TYPES[spec.cloud], 1))
    return [need for need in needs if need.count]


def shares_files(spec: EnvironmentSpec, groups: Sequence[str]) -> bool:
    """Whether a host in these groups mounts the environment's shared files at /var/lib/openedx: an app or worker
    host outside single (the one host of single has nothing to share)."""
    return spec.size != "single" and bool(set(SHARED_FILES_GROUPS) & set(groups))


def local_hosts(spec: EnvironmentSpec) -> dict[str, Any]:
    """The local target's hosts: podman containers running systemd, laid out like a cloud environment, with a
    load balancer host (HAProxy) in front of the app hosts except in the single profile.

    data-1 carries MySQL and Redis (no replica locally) and the first MongoDB and search members; further data
    hosts add replica-set members and search nodes. With `broker: rabbitmq`, RabbitMQ runs beside Redis (data-1, or
    the one host of `single`): the two hold the same kind of short-lived Celery state, both are single-node locally,
    and the host already admits only the app and worker hosts to its ports, so no host is added for it.
    """
    broker = list(BROKER_GROUPS) if spec.broker == "rabbitmq" else []
    hosts: list[dict[str, Any]] = []
    subnet = ipaddress.ip_network(local_network_cidr(spec.name))

    def add(name: str, groups: list[str], offset: int) -> None:
        runs_containers = bool({"app", "worker"} & set(groups))
        hosts.append(
            {
                "name": f"{spec.name}-{name}",
                "groups": groups,
                "runs_containers": runs_containers,
                # Outside single the app and worker hosts share their data and media directories (a podman volume,
                # localhosts.SHARED_DIR): a file Studio writes on an app host is there for the workers.
                "shares_files": shares_files(spec, groups),
                "address": str(subnet.network_address + offset),
            }
        )

    # Each host's address is fixed by its name, as a cloud's outputs fix a VM's (LOCAL_HOST_OFFSETS): the inventory
    # names it before the host exists, and a layout change never moves another host.
    if spec.size == "single":
        add("1", ["app", "worker", *DATA_GROUPS, *broker], LOCAL_HOST_OFFSETS["data"])
    else:
        for index in range(1, max(spec.mongodb.count, spec.search.count, 1) + 1):
            replicated = [g for g in ("mongodb", "search") if getattr(spec, g).count >= index]
            groups = (["mysql", "redis", *broker] if index == 1 else []) + replicated
            add(f"data-{index}", groups, LOCAL_HOST_OFFSETS["data"] + index)
        for index in range(1, spec.tiers.app.count + 1):
            add(f"app-{index}", ["app"], LOCAL_HOST_OFFSETS["app"] + index)
        for index in range(1, spec.tiers.worker.count + 1):
            add(f"worker-{index}", ["worker"], LOCAL_HOST_OFFSETS["worker"] + index)
        add("lb", ["load_balancer"], LOCAL_HOST_OFFSETS["lb"])
    return {"network": f"{spec.name}-net", "subnet": str(subnet), "hosts": hosts}


# How Ansible reaches the local hosts: `podman` (podman exec, the default) or `ssh` (each host's sshd on its address,
# with the environment's host key pinned and a login user with sudo, as a cloud's hosts are reached; docs/ansible.md).
LOCAL_TRANSPORT_ENV = "OPENEDX_DEPLOY_LOCAL_TRANSPORT"
LOCAL_TRANSPORTS = ("podman", "ssh")


def local_transport() -> str:
    """The local hosts' transport, from OPENEDX_DEPLOY_LOCAL_TRANSPORT (default podman); another value is refused."""
    value = os.environ.get(LOCAL_TRANSPORT_ENV, "").strip() or "podman"
    if value not in LOCAL_TRANSPORTS:
        raise UsageError(f"{LOCAL_TRANSPORT_ENV}={value}: use one of {', '.join(LOCAL_TRANSPORTS)}")
    return value


def local_group_hosts(spec: EnvironmentSpec, group: str) -> list[str]:
    return [h["name"] for h in local_hosts(spec)["hosts"] if group in h["groups"]]


def local_entrypoints(spec: EnvironmentSpec) -> list[str]:
    """The local hosts whose address serves the platform (HTTPS for the three domains): the load balancer host
    when the environment has one, else the app hosts (their own nginx terminates TLS)."""
    return local_group_hosts(spec, "load_balancer") or local_group_hosts(spec, "app")


def host_names(spec: EnvironmentSpec, group: str) -> list[str]:
    """The hosts of a group, local or cloud, as the environment will have them."""
    return local_group_hosts(spec, group) if spec.cloud == "local" else cloud_host_names(spec, group)


def replication_vars(groups: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Host variables that make a self-hosted MySQL's second host a replica of the first (roles/mysql
    replication.yml): the first host in name order is the primary the apps use (`openedx_mysql_address`)."""
    members = sorted(groups.get("mysql", {}))
    if len(members) < 2:
        return {}
    primary, *replicas = members
    return {
        primary: {"mysql_replication_role": "primary"},
        **{r: {"mysql_replication_role": "replica", "mysql_replication_primary": primary} for r in replicas},
    }


# --- Resource names the stacks give, looked up by other commands -------------------------------------------------


def rds_identifier(spec: EnvironmentSpec) -> str:
    """modules/aws/mysql: `identifier = "${var.name}-mysql"`, the stack passing the environment name."""
    return f"{spec.name}-mysql"


def docdb_identifier(spec: EnvironmentSpec) -> str:
    """modules/aws/mongodb: `cluster_identifier = "${var.name}-docdb"`."""
    return f"{spec.name}-docdb"


def azure_resource_group(spec: EnvironmentSpec) -> str:
    """The resource group the Azure stack creates (`azurerm_resource_group.this` in terraform/stacks/azure)."""
    return f"{spec.name}-openedx"


def azure_snapshot_group(spec: EnvironmentSpec) -> str:
    """The resource group the tool keeps the environment's disk snapshots in. The tool makes it, not the stack: the
    stack's group goes with `destroy`, and the azurerm provider refuses to delete a group that still holds resources
    Terraform does not manage (`prevent_deletion_if_contains_resources`, on by default), so final snapshots taken
    into it would stop `destroy --include-data`, or (with that check off) be deleted with it."""
    return f"{azure_resource_group(spec)}-snapshots"


def data_host_roles(spec: EnvironmentSpec) -> list[str]:
    """The host roles (AWS tier tag, GCP/Azure role) whose disks hold the environment's self-hosted data."""
    if spec.size == "single":
        return ["app"]  # every self-hosted store runs on the one app host
    return list(spec.self_hosted_stores())
