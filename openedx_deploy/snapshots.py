"""Cloud snapshots of an environment's data, taken through the SDKs before upgrades and `destroy --include-data`.

The disks of the hosts that hold self-hosted data (the app host in `single`) on every cloud, plus the managed
databases the AWS API can snapshot (RDS MySQL, DocumentDB). Resources are found by the names and tags the
Terraform modules give them (docs/backups.md lists which); every snapshot is tagged `environment`, `reason`,
`created` and `source`, plus the environment's own `tags`. Clients are injectable: tests pass moto or fakes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from .backupstore import reason_slug
from .errors import DeployError
from .extras import azure_subscription, gcp_project, require_cloud_sdk
from .spec import EnvironmentSpec
from .topology import azure_resource_group, azure_snapshot_group, data_host_roles, docdb_identifier, rds_identifier

SnapshotKind = Literal["ebs-volume", "rds-mysql", "docdb-mongodb", "gcp-disk", "azure-disk"]

# Tag/label keys the stacks and modules put on the resources (terraform/stacks/*/main.tf, terraform/modules/*).
ENVIRONMENT_TAG = "environment"  # every cloud: merged into local.tags / local.labels by each stack
AWS_TIER_TAG = "openedx-deploy:tier"  # modules/aws/app_hosts: the module's `tier` (app, worker, mysql, ...)
ROLE_TAG = "role"  # GCP label and Azure tag from modules/{gcp,azure}/app_hosts: the module's `role`

# Snapshot name limits: GCP resource names, RDS identifiers, Azure resource names.
_NAME_MAX = {"aws": 255, "gcp": 63, "azure": 80}
_WAIT_SECONDS = 3600


@dataclass(frozen=True)
class Snapshot:
    """One snapshot: the cloud's ID for it (a name on GCP and Azure) and what it was taken of."""

    cloud: str
    kind: SnapshotKind
    id: str
    source: str
    tags: dict[str, str]


@dataclass
class SnapshotClients:
    """SDK clients for one cloud; anything left None is built from the default credentials when needed."""

    ec2: Any = None
    rds: Any = None
    gcp_project: str | None = None
    gcp_disks: Any = None  # compute_v1.DisksClient
    gcp_snapshots: Any = None  # compute_v1.SnapshotsClient (list_snapshots only)
    azure_compute: Any = None  # azure.mgmt.compute.ComputeManagementClient
    azure_subscription: str | None = None  # the subscription azure_compute works in


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%dt%H%M%Sz")  # lowercase: valid in GCP names and labels


def snapshot_name(source: str, reason: str, now: datetime, max_length: int) -> str:
    """`<source>-<reason>-<time>`; the reason is shortened to fit `max_length` (it is whole in the tags)."""
    stamp = _stamp(now)
    room = max_length - len(source) - len(stamp) - 2
    short = reason_slug(reason)[: max(room, 0)].rstrip("-")
    head = source[: max_length - len(stamp) - 1].rstrip("-")
    return "-".join(part for part in (head, short, stamp) if part)


def snapshot_tags(spec: EnvironmentSpec, reason: str, now: datetime, source: str) -> dict[str, str]:
    created = _stamp(now) if spec.cloud == "gcp" else now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        **spec.tags,
        ENVIRONMENT_TAG: spec.name,
        "reason": reason_slug(reason),
        "created": created,  # GCP label values allow no ':' or capitals, hence the compact form there
        "source": source,
    }


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


# --- AWS ---------------------------------------------------------------------------------------------------------


def _aws_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _from_aws_tags(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags or []}


@contextmanager
def _aws_errors(what: str) -> Iterator[None]:
    from botocore.exceptions import BotoCoreError, ClientError, WaiterError

    try:
        yield
    except (ClientError, BotoCoreError, WaiterError) as exc:
        raise DeployError(f"AWS snapshot of {what} failed: {exc}") from None


def aws_snapshots(
    spec: EnvironmentSpec, reason: str, ec2: Any, rds: Any, *, now: datetime | None = None, wait: bool = True
) -> list[Snapshot]:
    """EBS snapshots of the data hosts' volumes, an RDS snapshot of managed MySQL and a DocumentDB cluster
    snapshot of managed MongoDB. With `wait`, returns once every snapshot is complete (a database cannot be
    deleted while its snapshot is being taken)."""
    now = _utc(now)
    taken: list[Snapshot] = []
    roles = data_host_roles(spec)
    reservations: list[dict[str, Any]] = []
    if roles:  # every store managed: no data hosts (and EC2 refuses a filter without values)
        with _aws_errors(f"the {', '.join(roles)} hosts of {spec.name}"):
            reservations = ec2.describe_instances(
                Filters=[
                    {"Name": f"tag:{ENVIRONMENT_TAG}", "Values": [spec.name]},
                    {"Name": f"tag:{AWS_TIER_TAG}", "Values": roles},
                    {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
                ]
            )["Reservations"]
    instances = sorted(
        (i for r in reservations for i in r["Instances"]), key=lambda i: _from_aws_tags(i.get("Tags")).get("Name", "")
    )
    for instance in instances:
        host = _from_aws_tags(instance.get("Tags")).get("Name", instance["InstanceId"])
        for mapping in instance.get("BlockDeviceMappings", []):
            volume = mapping.get("Ebs", {}).get("VolumeId")
            if not volume:
                continue
            tags = snapshot_tags(spec, reason, now, host)
            tags["Name"] = snapshot_name(host, reason, now, _NAME_MAX["aws"])
            with _aws_errors(f"volume {volume} ({mapping.get('DeviceName', '?')} of {host})"):
                made = ec2.create_snapshot(
                    VolumeId=volume,
                    Description=f"{spec.name}: {host} {mapping.get('DeviceName', '')} before {reason_slug(reason)}",
                    TagSpecifications=[{"ResourceType": "snapshot", "Tags": _aws_tags(tags)}],
                )
            taken.append(Snapshot("aws", "ebs-volume", made["SnapshotId"], volume, tags))
    if spec.mysql.mode == "managed":
        instance_id = rds_identifier(spec)
        tags = snapshot_tags(spec, reason, now, instance_id)
        snapshot_id = snapshot_name(instance_id, reason, now, _NAME_MAX["aws"])
        with _aws_errors(f"RDS instance {instance_id}"):
            rds.create_db_snapshot(
                DBSnapshotIdentifier=snapshot_id, DBInstanceIdentifier=instance_id, Tags=_aws_tags(tags)
            )
        taken.append(Snapshot("aws", "rds-mysql", snapshot_id, instance_id, tags))
    if spec.mongodb.mode == "managed":
        cluster_id = docdb_identifier(spec)
        tags = snapshot_tags(spec, reason, now, cluster_id)
        snapshot_id = snapshot_name(cluster_id, reason, now, _NAME_MAX["aws"])
        with _aws_errors(f"DocumentDB cluster {cluster_id}"):
            rds.create_db_cluster_snapshot(
                DBClusterSnapshotIdentifier=snapshot_id, DBClusterIdentifier=cluster_id, Tags=_aws_tags(tags)
            )
        taken.append(Snapshot("aws", "docdb-mongodb", snapshot_id, cluster_id, tags))
    if wait:
        _aws_wait(ec2, rds, taken)
    return taken


def _aws_wait(ec2: Any, rds: Any, taken: list[Snapshot]) -> None:
    config = {"Delay": 15, "MaxAttempts": _WAIT_SECONDS // 15}
    volumes = [s.id for s in taken if s.kind == "ebs-volume"]
    if volumes:
        with _aws_errors(f"volumes (waiting for {', '.join(volumes)})"):
            ec2.get_waiter("snapshot_completed").wait(SnapshotIds=volumes, WaiterConfig=config)
    for snapshot in taken:
        if snapshot.kind == "rds-mysql":
            with _aws_errors(f"RDS instance {snapshot.source} (waiting for {snapshot.id})"):
                rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier=snapshot.id, WaiterConfig=config)
        elif snapshot.kind == "docdb-mongodb":
            with _aws_errors(f"DocumentDB cluster {snapshot.source} (waiting for {snapshot.id})"):
                rds.get_waiter("db_cluster_snapshot_available").wait(
                    DBClusterSnapshotIdentifier=snapshot.id, WaiterConfig=config
                )


def _aws_list(spec: EnvironmentSpec, reason: str | None, ec2: Any, rds: Any) -> list[Snapshot]:
    wanted = {ENVIRONMENT_TAG: spec.name, **({"reason": reason_slug(reason)} if reason else {})}
    found: list[Snapshot] = []
    with _aws_errors(f"volumes of {spec.name} (listing)"):
        pages = ec2.get_paginator("describe_snapshots").paginate(
            OwnerIds=["self"], Filters=[{"Name": f"tag:{k}", "Values": [v]} for k, v in wanted.items()]
        )
        for page in pages:
            for item in page["Snapshots"]:
                found.append(
                    Snapshot(
                        "aws", "ebs-volume", item["SnapshotId"], item["VolumeId"], _from_aws_tags(item.get("Tags"))
                    )
                )
    if spec.mysql.mode == "managed":
        with _aws_errors(f"RDS instance {rds_identifier(spec)} (listing)"):
            items = rds.describe_db_snapshots(DBInstanceIdentifier=rds_identifier(spec), SnapshotType="manual")
        for item in items["DBSnapshots"]:
            tags = _from_aws_tags(item.get("TagList"))
            if wanted.items() <= tags.items():
                found.append(
                    Snapshot("aws", "rds-mysql", item["DBSnapshotIdentifier"], item["DBInstanceIdentifier"], tags)
                )
    if spec.mongodb.mode == "managed":
        with _aws_errors(f"DocumentDB cluster {docdb_identifier(spec)} (listing)"):
            items = rds.describe_db_cluster_snapshots(DBClusterIdentifier=docdb_identifier(spec), SnapshotType="manual")
        for item in items["DBClusterSnapshots"]:
            tags = _from_aws_tags(item.get("TagList"))
            if wanted.items() <= tags.items():
                found.append(
                    Snapshot(
                        "aws", "docdb-mongodb", item["DBClusterSnapshotIdentifier"], item["DBClusterIdentifier"], tags
                    )
                )
    return found


# --- GCP ---------------------------------------------------------------------------------------------------------


@contextmanager
def _gcp_errors(what: str) -> Iterator[None]:
    from google.api_core.exceptions import GoogleAPIError
    from google.auth.exceptions import GoogleAuthError

    try:
        yield
    except (GoogleAPIError, GoogleAuthError) as exc:
        raise DeployError(f"GCP snapshot of {what} failed: {exc}") from None


def gcp_snapshots(
    spec: EnvironmentSpec, reason: str, disks_client: Any, project: str, *, now: datetime | None = None
) -> list[Snapshot]:
    """Snapshots of the persistent disks labelled `environment=<name>` whose `role` label is a data host's role.

    Managed Cloud SQL and Memorystore are not snapshotted here (their own backups cover them: docs/backups.md).
    """
    from google.cloud import compute_v1

    now = _utc(now)
    roles = data_host_roles(spec)
    request = compute_v1.AggregatedListDisksRequest(project=project, filter=f"labels.{ENVIRONMENT_TAG} = {spec.name}")
    with _gcp_errors(f"the {', '.join(roles)} disks of {spec.name} in project {project} (listing)"):
        disks = [
            disk
            for _scope, scoped in disks_client.aggregated_list(request=request)
            for disk in scoped.disks
            if disk.labels.get(ENVIRONMENT_TAG) == spec.name and disk.labels.get(ROLE_TAG) in roles
        ]
    taken: list[Snapshot] = []
    for disk in sorted(disks, key=lambda d: d.name):
        zone = disk.zone.rsplit("/", 1)[-1]
        tags = snapshot_tags(spec, reason, now, disk.name)
        name = snapshot_name(disk.name, reason, now, _NAME_MAX["gcp"])
        resource = compute_v1.Snapshot(
            name=name,
            labels=tags,
            description=f"{spec.name}: disk {disk.name} before {reason_slug(reason)}",
        )
        with _gcp_errors(f"disk {disk.name} in {zone}"):
            operation = disks_client.create_snapshot(
                project=project, zone=zone, disk=disk.name, snapshot_resource=resource
            )
            operation.result(timeout=_WAIT_SECONDS)  # raises on a failed operation
        taken.append(Snapshot("gcp", "gcp-disk", name, f"zones/{zone}/disks/{disk.name}", tags))
    return taken


def _gcp_list(spec: EnvironmentSpec, reason: str | None, snapshots_client: Any, project: str) -> list[Snapshot]:
    from google.cloud import compute_v1

    wanted = f"labels.{ENVIRONMENT_TAG} = {spec.name}"
    if reason:
        wanted += f" AND labels.reason = {reason_slug(reason)}"
    with _gcp_errors(f"disks of {spec.name} in project {project} (listing)"):
        items = list(snapshots_client.list(request=compute_v1.ListSnapshotsRequest(project=project, filter=wanted)))
    return [
        Snapshot("gcp", "gcp-disk", item.name, item.source_disk, dict(item.labels))
        for item in items
        if item.labels.get(ENVIRONMENT_TAG) == spec.name
        and (not reason or item.labels.get("reason") == reason_slug(reason))
    ]


# --- Azure -------------------------------------------------------------------------------------------------------


@contextmanager
def _azure_errors(what: str) -> Iterator[None]:
    from azure.core.exceptions import AzureError

    try:
        yield
    except AzureError as exc:
        raise DeployError(f"Azure snapshot of {what} failed: {exc}") from None


# Resource groups through ARM's REST API (the compute client's pipeline; azure-mgmt-resource is not a dependency).
AZURE_RESOURCE_GROUPS_API = "2021-04-01"


def azure_snapshots(
    spec: EnvironmentSpec, reason: str, compute_client: Any, subscription: str, *, now: datetime | None = None
) -> list[Snapshot]:
    """Incremental snapshots of the managed disks (OS and data) of the VMs in the environment's resource group
    tagged `environment=<name>` and with a data host's `role` tag, into the snapshot group (azure_snapshot_group),
    which this makes when it is missing, so that `destroy` keeps them.

    Managed MySQL Flexible Server and Cosmos DB are not snapshotted here (their own backups: docs/backups.md).
    """
    from azure.mgmt.compute.models import CreationData
    from azure.mgmt.compute.models import Snapshot as AzureSnapshot

    # azure-mgmt-compute before 39 takes creation_data and incremental as keywords; 39 moved them under
    # `properties` and still accepts them flattened, though its annotations list only `properties`.
    make_snapshot: Any = AzureSnapshot
    now = _utc(now)
    roles = data_host_roles(spec)
    group, target = azure_resource_group(spec), azure_snapshot_group(spec)
    with _azure_errors(f"the {', '.join(roles)} VMs of {spec.name} in resource group {group} (listing)"):
        machines = [
            vm
            for vm in compute_client.virtual_machines.list(resource_group_name=group)
            if (vm.tags or {}).get(ENVIRONMENT_TAG) == spec.name and (vm.tags or {}).get(ROLE_TAG) in roles
        ]
    if machines:
        _azure_snapshot_group(spec, compute_client, subscription)
    taken: list[Snapshot] = []
    for vm in sorted(machines, key=lambda vm: vm.name):
        profile = vm.storage_profile
        disks = [profile.os_disk, *(profile.data_disks or [])]
        for disk in disks:
            if disk is None or disk.managed_disk is None or not disk.managed_disk.id:
                continue
            disk_name = disk.name or disk.managed_disk.id.rsplit("/", 1)[-1]
            tags = snapshot_tags(spec, reason, now, disk_name)
            name = snapshot_name(disk_name, reason, now, _NAME_MAX["azure"])
            resource = make_snapshot(
                location=vm.location,
                creation_data=CreationData(create_option="Copy", source_resource_id=disk.managed_disk.id),
                incremental=True,  # pays only for changed blocks; Azure's recommendation for disk backups
                tags=tags,
            )
            with _azure_errors(f"disk {disk_name} of VM {vm.name}"):
                made = compute_client.snapshots.begin_create_or_update(target, name, resource).result()
            taken.append(Snapshot("azure", "azure-disk", made.id or name, disk.managed_disk.id, tags))
    return taken


def _azure_snapshot_group(spec: EnvironmentSpec, compute_client: Any, subscription: str) -> None:
    """Creates (or keeps: PUT is idempotent) the snapshot group in the environment's region, tagged as its own."""
    from azure.core.rest import HttpRequest

    group = azure_snapshot_group(spec)
    request = HttpRequest(
        "PUT",
        f"/subscriptions/{subscription}/resourcegroups/{group}",
        params={"api-version": AZURE_RESOURCE_GROUPS_API},
        json={
            "location": spec.region,
            "tags": {**spec.tags, ENVIRONMENT_TAG: spec.name, "managed_by": "openedx-deploy"},
        },
    )
    with _azure_errors(f"resource group {group} (creating it for the snapshots)"):
        compute_client.send_request(request).raise_for_status()


def _azure_list(spec: EnvironmentSpec, reason: str | None, compute_client: Any) -> list[Snapshot]:
    """Snapshots in the snapshot group and, from before it existed, in the environment's own group; a group that
    does not exist (yet, or any more) holds none."""
    from azure.core.exceptions import ResourceNotFoundError

    items = []
    for group in (azure_snapshot_group(spec), azure_resource_group(spec)):
        with _azure_errors(f"disks of {spec.name} in resource group {group} (listing)"):
            try:
                items += list(compute_client.snapshots.list_by_resource_group(group))
            except ResourceNotFoundError:
                continue
    found = []
    for item in items:
        tags = dict(item.tags or {})
        if tags.get(ENVIRONMENT_TAG) != spec.name or (reason and tags.get("reason") != reason_slug(reason)):
            continue
        source = item.creation_data.source_resource_id if item.creation_data else ""
        found.append(Snapshot("azure", "azure-disk", item.id, source or "", tags))
    return found


# --- dispatch ----------------------------------------------------------------------------------------------------


def _complete_clients(spec: EnvironmentSpec, clients: SnapshotClients | None, listing: bool) -> SnapshotClients:
    """Fill in the clients the cloud needs from the default credentials (never for `local`)."""
    clients = clients or SnapshotClients()
    require_cloud_sdk(spec.cloud)
    if spec.cloud == "aws":
        if clients.ec2 is None or clients.rds is None:
            import boto3

            clients.ec2 = clients.ec2 or boto3.client("ec2", region_name=spec.region)
            clients.rds = clients.rds or boto3.client("rds", region_name=spec.region)
    elif spec.cloud == "gcp":
        needed = clients.gcp_snapshots if listing else clients.gcp_disks
        if needed is None or clients.gcp_project is None:
            import google.auth
            from google.auth.exceptions import DefaultCredentialsError
            from google.cloud import compute_v1

            try:
                credentials, project = google.auth.default()
            except DefaultCredentialsError as exc:
                raise DeployError(
                    "no Google credentials found: set GOOGLE_APPLICATION_CREDENTIALS or run "
                    f"`gcloud auth application-default login` ({exc})"
                ) from None
            clients.gcp_project = clients.gcp_project or gcp_project(spec.project, project)
            if not clients.gcp_project:
                raise DeployError(
                    "no Google Cloud project: set `project` in the environment file (or GOOGLE_CLOUD_PROJECT)"
                )
            clients.gcp_disks = clients.gcp_disks or compute_v1.DisksClient(credentials=credentials)
            clients.gcp_snapshots = clients.gcp_snapshots or compute_v1.SnapshotsClient(credentials=credentials)
    elif spec.cloud == "azure":
        clients.azure_subscription = clients.azure_subscription or azure_subscription(spec.subscription_id)
        if not clients.azure_subscription:
            raise DeployError(
                "no Azure subscription: set `subscription_id` in the environment file (or AZURE_SUBSCRIPTION_ID)"
            )
        if clients.azure_compute is None:
            from azure.identity import DefaultAzureCredential
            from azure.mgmt.compute import ComputeManagementClient

            credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
            clients.azure_compute = ComputeManagementClient(credential, clients.azure_subscription)
    return clients


def take_snapshots(
    spec: EnvironmentSpec,
    reason: str,
    *,
    clients: SnapshotClients | None = None,
    now: datetime | None = None,
    wait: bool = True,
) -> list[Snapshot]:
    """Snapshot the environment's data on its cloud, tagged with `reason` (e.g. pre-upgrade-ulmo-to-verawood).

    The local target has no cloud snapshots: returns []. On GCP and Azure each snapshot is awaited; on AWS, only
    with `wait`.
    """
    reason_slug(reason)  # refuse an empty reason before anything is created
    if spec.cloud == "local":
        return []
    clients = _complete_clients(spec, clients, listing=False)
    if spec.cloud == "aws":
        return aws_snapshots(spec, reason, clients.ec2, clients.rds, now=now, wait=wait)
    if spec.cloud == "gcp":
        assert clients.gcp_project is not None
        return gcp_snapshots(spec, reason, clients.gcp_disks, clients.gcp_project, now=now)
    assert clients.azure_subscription is not None
    return azure_snapshots(spec, reason, clients.azure_compute, clients.azure_subscription, now=now)


def list_snapshots(
    spec: EnvironmentSpec, reason: str | None = None, *, clients: SnapshotClients | None = None
) -> list[Snapshot]:
    """The environment's snapshots (all, or those taken for `reason`), found by their tags."""
    if spec.cloud == "local":
        return []
    clients = _complete_clients(spec, clients, listing=True)
    if spec.cloud == "aws":
        found = _aws_list(spec, reason, clients.ec2, clients.rds)
    elif spec.cloud == "gcp":
        assert clients.gcp_project is not None
        found = _gcp_list(spec, reason, clients.gcp_snapshots, clients.gcp_project)
    else:
        found = _azure_list(spec, reason, clients.azure_compute)
    return sorted(found, key=lambda s: (s.tags.get("created", ""), s.kind, s.id))
