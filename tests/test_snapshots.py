"""Cloud snapshots: boto3 code against moto (EC2 volumes, RDS), GCP and Azure code against fakes of their clients.

The fakes (`FakeGcp*`, `FakeAzure*`, `FakeDocDbRds`) are test doubles with the method names and result shapes of
google-cloud-compute's `DisksClient`/`SnapshotsClient`, azure-mgmt-compute's `ComputeManagementClient` and the
RDS client's DocumentDB calls (moto does not serve DocumentDB). The resources they hold carry the names, tags and
labels the Terraform modules give them (see docs/backups.md).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from google.api_core.exceptions import Forbidden
from moto import mock_aws

from openedx_deploy import snapshots
from openedx_deploy.errors import DeployError, UsageError
from openedx_deploy.snapshots import (
    SnapshotClients,
    aws_snapshots,
    azure_snapshots,
    gcp_snapshots,
    list_snapshots,
    snapshot_name,
    take_snapshots,
)
from openedx_deploy.spec import parse_spec

DOMAINS = {"lms": "learn.example.org", "studio": "studio.example.org", "mfe": "apps.example.org"}
NOW = datetime(2026, 3, 10, 12, 30, 5, tzinfo=UTC)
REASON = "pre-upgrade-ulmo-to-verawood"

GCP_NAME = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
GCP_LABEL = re.compile(r"[a-z0-9_-]{0,63}")
RDS_ID = re.compile(r"[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)")
AZURE_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,78}[a-zA-Z0-9_]")


def spec_for(cloud: str, size: str = "standard", **extra: Any) -> Any:
    return parse_spec({"name": "demo", "cloud": cloud, "size": size, "domains": DOMAINS, **extra})


# --- AWS (moto) ----------------------------------------------------------------------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    # One AMI instead of moto's default catalogue: every mock_aws start would otherwise create ~1300 snapshots.
    amis = tmp_path / "amis.json"
    amis.write_text(
        json.dumps(
            [
                {
                    "ami_id": "ami-0debian12aaaaaaaa",
                    "name": "debian-12-amd64-20260101-2000",
                    "owner_id": "136693071363",
                    "public": True,
                    "virtualization_type": "hvm",
                    "architecture": "x86_64",
                    "state": "available",
                    "root_device_type": "ebs",
                    "root_device_name": "/dev/xvda",
                    "creation_date": "2026-01-01T20:00:00.000Z",
                }
            ]
        )
    )
    monkeypatch.setenv("MOTO_AMIS_PATH", str(amis))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with mock_aws():
        yield SimpleNamespace(
            ec2=boto3.client("ec2", region_name="us-east-1"), rds=boto3.client("rds", region_name="us-east-1")
        )


def aws_host(ec2: Any, environment: str, tier: str, index: int = 1) -> tuple[str, str]:
    """An instance tagged as modules/aws/app_hosts tags it (stack tags + tier + Name); returns (id, root volume)."""
    image = "ami-0debian12aaaaaaaa"
    tags = [
        {"Key": "environment", "Value": environment},
        {"Key": "managed-by", "Value": "openedx-deploy"},
        {"Key": "openedx-deploy:tier", "Value": tier},
        {"Key": "Name", "Value": f"{environment}-{tier}-{index}"},
    ]
    instance = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, TagSpecifications=[{"ResourceType": "instance", "Tags": tags}]
    )["Instances"][0]
    return instance["InstanceId"], instance["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]


def rds_mysql(rds: Any, environment: str) -> None:
    """The RDS instance modules/aws/mysql creates: identifier <name>-mysql, stack tags plus component and Name."""
    rds.create_db_instance(
        DBInstanceIdentifier=f"{environment}-mysql",
        Engine="mysql",
        DBInstanceClass="db.m6g.large",
        AllocatedStorage=100,
        MasterUsername="admin",
        MasterUserPassword="not-a-real-password",
        Tags=[
            {"Key": "environment", "Value": environment},
            {"Key": "openedx-deploy:component", "Value": "mysql"},
            {"Key": "Name", "Value": f"{environment}-mysql"},
        ],
    )


def tags_of(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


def test_aws_snapshots_data_host_volumes_and_managed_mysql_with_tags(aws: Any) -> None:
    spec = spec_for("aws", tags={"team": "learning"})  # standard: MySQL managed, MongoDB and search on hosts
    _, mongodb_volume = aws_host(aws.ec2, "demo", "mongodb")
    _, search_volume = aws_host(aws.ec2, "demo", "search")
    aws_host(aws.ec2, "demo", "app")  # no data on app hosts outside single
    aws_host(aws.ec2, "demo", "worker")
    aws_host(aws.ec2, "other", "mongodb")  # another environment in the same account
    rds_mysql(aws.rds, "demo")

    taken = aws_snapshots(spec, REASON, aws.ec2, aws.rds, now=NOW)

    assert [(s.kind, s.source) for s in taken] == [
        ("ebs-volume", mongodb_volume),
        ("ebs-volume", search_volume),
        ("rds-mysql", "demo-mysql"),
    ]
    volumes = aws.ec2.describe_snapshots(OwnerIds=["self"], Filters=[{"Name": "tag:reason", "Values": [REASON]}])[
        "Snapshots"
    ]
    assert sorted(v["VolumeId"] for v in volumes) == sorted([mongodb_volume, search_volume])
    for volume in volumes:
        tags = tags_of(volume["Tags"])
        assert tags["environment"] == "demo"
        assert tags["reason"] == REASON
        assert tags["created"] == "2026-03-10T12:30:05Z"
        assert tags["team"] == "learning"
        assert tags["source"] in ("demo-mongodb-1", "demo-search-1")
        assert tags["Name"] == f"{tags['source']}-{REASON}-20260310t123005z"
    db = aws.rds.describe_db_snapshots(DBInstanceIdentifier="demo-mysql", SnapshotType="manual")["DBSnapshots"]
    assert [d["DBSnapshotIdentifier"] for d in db] == [f"demo-mysql-{REASON}-20260310t123005z"]
    assert RDS_ID.fullmatch(db[0]["DBSnapshotIdentifier"])
    assert {"environment": "demo", "reason": REASON, "source": "demo-mysql"}.items() <= tags_of(
        db[0]["TagList"]
    ).items()


def test_aws_single_snapshots_the_app_host_and_skips_rds_when_mysql_is_self_hosted(aws: Any) -> None:
    spec = spec_for("aws", size="single")
    _, app_volume = aws_host(aws.ec2, "demo", "app")
    taken = aws_snapshots(spec, "nightly", aws.ec2, aws.rds, now=NOW)
    assert [(s.kind, s.source) for s in taken] == [("ebs-volume", app_volume)]
    assert aws.rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"] == []


def test_aws_missing_rds_instance_is_named(aws: Any) -> None:
    with pytest.raises(DeployError, match=r"RDS instance demo-mysql failed.*DBInstanceNotFound"):
        aws_snapshots(spec_for("aws"), REASON, aws.ec2, aws.rds, now=NOW)


class FakeDocDbRds:
    """The RDS client's DocumentDB cluster-snapshot calls (moto serves RDS but not DocumentDB)."""

    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []
        self.waited: list[tuple[str, dict[str, Any]]] = []

    def create_db_cluster_snapshot(self, **kwargs: Any) -> dict[str, Any]:
        self.created.append(kwargs)
        return {"DBClusterSnapshot": {"DBClusterSnapshotIdentifier": kwargs["DBClusterSnapshotIdentifier"]}}

    def get_waiter(self, name: str) -> Any:
        return SimpleNamespace(wait=lambda **kwargs: self.waited.append((name, kwargs)))

    def create_db_snapshot(self, **kwargs: Any) -> dict[str, Any]:
        return {}


def test_aws_managed_mongodb_gets_a_documentdb_cluster_snapshot_and_is_waited_for(aws: Any) -> None:
    spec = spec_for("aws", mongodb={"mode": "managed"})
    rds = FakeDocDbRds()
    taken = aws_snapshots(spec, REASON, aws.ec2, rds, now=NOW)
    assert [s.kind for s in taken] == ["rds-mysql", "docdb-mongodb"]
    (call,) = rds.created
    assert call["DBClusterIdentifier"] == "demo-docdb"
    assert call["DBClusterSnapshotIdentifier"] == f"demo-docdb-{REASON}-20260310t123005z"
    assert {"Key": "environment", "Value": "demo"} in call["Tags"]
    assert {"Key": "reason", "Value": REASON} in call["Tags"]
    assert [name for name, _ in rds.waited] == ["db_snapshot_available", "db_cluster_snapshot_available"]


def test_aws_list_snapshots_finds_them_by_reason(aws: Any) -> None:
    spec = spec_for("aws")
    aws_host(aws.ec2, "demo", "mongodb")
    rds_mysql(aws.rds, "demo")
    clients = SnapshotClients(ec2=aws.ec2, rds=aws.rds)
    taken = take_snapshots(spec, REASON, clients=clients, now=NOW)
    take_snapshots(spec, "nightly", clients=clients, now=NOW.replace(hour=13))

    assert {s.id for s in list_snapshots(spec, REASON, clients=clients)} == {s.id for s in taken}
    assert len(list_snapshots(spec, clients=clients)) == 4
    assert list_snapshots(spec, "never", clients=clients) == []


# --- GCP (fakes of google-cloud-compute clients) -------------------------------------------------------------------


def gcp_disk(name: str, zone: str, **labels: str) -> Any:
    return SimpleNamespace(
        name=name,
        zone=f"https://www.googleapis.com/compute/v1/projects/demo-project/zones/{zone}",
        labels=labels,
    )


class FakeGcpOperation:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.waited_for: float | None = None

    def result(self, timeout: float | None = None) -> Any:
        self.waited_for = timeout
        if self.error:
            raise self.error
        return None


class FakeGcpDisks:
    """Stands in for compute_v1.DisksClient: aggregated_list yields (scope, scoped list) pairs like its pager."""

    def __init__(self, disks: list[Any], fail: str | None = None) -> None:
        self.disks, self.fail = disks, fail
        self.list_requests: list[Any] = []
        self.created: list[dict[str, Any]] = []
        self.operations: list[FakeGcpOperation] = []

    def aggregated_list(self, request: Any) -> list[tuple[str, Any]]:
        self.list_requests.append(request)
        zones = sorted({d.zone.rsplit("/", 1)[-1] for d in self.disks})
        return [
            (f"zones/{z}", SimpleNamespace(disks=[d for d in self.disks if d.zone.endswith(f"/{z}")])) for z in zones
        ]

    def create_snapshot(self, *, project: str, zone: str, disk: str, snapshot_resource: Any) -> FakeGcpOperation:
        self.created.append({"project": project, "zone": zone, "disk": disk, "snapshot": snapshot_resource})
        operation = FakeGcpOperation(Forbidden(f"no permission on {disk}") if disk == self.fail else None)
        self.operations.append(operation)
        return operation


def gcp_environment() -> list[Any]:
    # Boot disks carry the stack labels plus the host's role (modules/gcp/app_hosts, initialize_params.labels).
    common = {"environment": "demo", "managed_by": "openedx-deploy"}
    return [
        gcp_disk("demo-search-1", "us-central1-a", **common, role="search", search_engine="meilisearch"),
        gcp_disk("demo-mongodb-1", "us-central1-b", **common, role="mongodb", mongodb_version="7-0"),
        gcp_disk("demo-app-1", "us-central1-a", **common, role="app"),
        gcp_disk("demo-worker-1", "us-central1-a", **common, role="worker"),
        # The filter should have kept this out; the code checks the label again anyway.
        gcp_disk("other-mongodb-1", "us-central1-a", environment="other", role="mongodb"),
    ]


def test_gcp_snapshots_data_disks_with_labels_and_valid_names() -> None:
    disks = FakeGcpDisks(gcp_environment())
    taken = gcp_snapshots(spec_for("gcp", tags={"team": "learning"}), REASON, disks, "demo-project", now=NOW)

    (request,) = disks.list_requests
    assert request.project == "demo-project"
    assert request.filter == "labels.environment = demo"
    assert [(c["project"], c["zone"], c["disk"]) for c in disks.created] == [
        ("demo-project", "us-central1-b", "demo-mongodb-1"),
        ("demo-project", "us-central1-a", "demo-search-1"),
    ]
    for call in disks.created:
        resource = call["snapshot"]
        assert GCP_NAME.fullmatch(resource.name)
        assert resource.name == f"{call['disk']}-{REASON}-20260310t123005z"
        labels = dict(resource.labels)
        assert labels == {
            "team": "learning",
            "environment": "demo",
            "reason": REASON,
            "created": "20260310t123005z",
            "source": call["disk"],
        }
        assert all(GCP_LABEL.fullmatch(k) and GCP_LABEL.fullmatch(v) for k, v in labels.items())
    assert all(op.waited_for for op in disks.operations)  # each operation is awaited
    assert [s.source for s in taken] == [
        "zones/us-central1-b/disks/demo-mongodb-1",
        "zones/us-central1-a/disks/demo-search-1",
    ]
    assert [s.id for s in taken] == [c["snapshot"].name for c in disks.created]


def test_gcp_single_snapshots_the_app_host_disk() -> None:
    disks = FakeGcpDisks(gcp_environment())
    gcp_snapshots(spec_for("gcp", size="single"), "nightly", disks, "demo-project", now=NOW)
    assert [c["disk"] for c in disks.created] == ["demo-app-1"]


def test_gcp_long_names_fit_in_63_characters_and_keep_the_whole_reason_in_the_label() -> None:
    name = "a" + "b" * 29 + "c"  # the longest environment name the spec allows
    spec = parse_spec({"name": name, "cloud": "gcp", "size": "standard", "domains": DOMAINS})
    disks = FakeGcpDisks([gcp_disk(f"{name}-mongodb-3", "us-central1-a", environment=name, role="mongodb")])
    reason = "pre-upgrade-" + "x" * 60
    (taken,) = gcp_snapshots(spec, reason, disks, "p", now=NOW)
    assert len(taken.id) <= 63 and GCP_NAME.fullmatch(taken.id)
    assert taken.id.startswith(f"{name}-mongodb-3-pre-") and taken.id.endswith("-20260310t123005z")
    assert taken.tags["reason"] == snapshots.reason_slug(reason)
    assert len(taken.tags["reason"]) == 63


def test_gcp_api_error_becomes_a_deploy_error_naming_the_disk() -> None:
    disks = FakeGcpDisks(gcp_environment(), fail="demo-search-1")
    with pytest.raises(DeployError, match=r"GCP snapshot of disk demo-search-1 in us-central1-a failed.*permission"):
        gcp_snapshots(spec_for("gcp"), REASON, disks, "demo-project", now=NOW)


class FakeGcpSnapshots:
    """Stands in for compute_v1.SnapshotsClient.list."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.requests: list[Any] = []

    def list(self, request: Any) -> list[Any]:
        self.requests.append(request)
        return self.items


def test_gcp_list_snapshots_filters_by_environment_and_reason() -> None:
    labels = {"environment": "demo", "reason": REASON, "created": "20260310t123005z"}
    items = [
        SimpleNamespace(name="demo-mongodb-1-x", source_disk="zones/a/disks/demo-mongodb-1", labels=labels),
        SimpleNamespace(
            name="demo-mongodb-1-y", source_disk="zones/a/disks/demo-mongodb-1", labels={**labels, "reason": "nightly"}
        ),
    ]
    fake = FakeGcpSnapshots(items)
    found = list_snapshots(
        spec_for("gcp"), REASON, clients=SnapshotClients(gcp_project="demo-project", gcp_snapshots=fake)
    )
    assert [s.id for s in found] == ["demo-mongodb-1-x"]
    assert fake.requests[0].filter == f"labels.environment = demo AND labels.reason = {REASON}"


# --- Azure (fakes of azure-mgmt-compute's client) ------------------------------------------------------------------


def azure_vm(name: str, role: str, environment: str = "demo") -> Any:
    """A VM as modules/azure/app_hosts makes it: tags = stack tags + role + Name, OS disk `<vm>-os`."""
    disk_id = f"/subscriptions/sub/resourceGroups/{environment}-openedx/providers/Microsoft.Compute/disks/{name}-os"
    return SimpleNamespace(
        name=name,
        location="eastus",
        tags={"environment": environment, "managed_by": "openedx-deploy", "role": role, "Name": name},
        storage_profile=SimpleNamespace(
            os_disk=SimpleNamespace(name=f"{name}-os", managed_disk=SimpleNamespace(id=disk_id)), data_disks=[]
        ),
    )


class FakeAzurePoller:
    def __init__(self, result: Any, error: Exception | None) -> None:
        self._result, self._error = result, error

    def result(self) -> Any:
        if self._error:
            raise self._error
        return self._result


class FakeAzureCompute:
    """Stands in for ComputeManagementClient: virtual_machines.list and snapshots.begin_create_or_update / list."""

    def __init__(self, vms: list[Any], fail: str | None = None) -> None:
        self.vms, self.fail = vms, fail
        self.listed_groups: list[str] = []
        self.created: list[tuple[str, str, Any]] = []
        self.groups: dict[str, Any] = {"demo-openedx": {"location": "eastus"}}  # what ARM has: the stack's group
        self.virtual_machines = SimpleNamespace(list=self._list_vms)
        self.snapshots = SimpleNamespace(begin_create_or_update=self._create, list_by_resource_group=self._stored)

    def send_request(self, request: Any) -> Any:
        """ARM's REST API through the client's pipeline: only a resource group PUT is expected."""
        prefix = "/subscriptions/sub/resourcegroups/"
        assert request.method == "PUT" and request.url.startswith(prefix), request
        assert "api-version=2021-04-01" in request.url, request.url
        self.groups[request.url[len(prefix) :].split("?")[0]] = json.loads(request.content)
        return SimpleNamespace(raise_for_status=lambda: None)

    def _list_vms(self, resource_group_name: str) -> list[Any]:
        self.listed_groups.append(resource_group_name)
        return [vm for vm in self.vms if vm.tags["environment"] + "-openedx" == resource_group_name]

    def _create(self, group: str, name: str, snapshot: Any) -> FakeAzurePoller:
        if group not in self.groups:
            raise ResourceNotFoundError(f"Resource group '{group}' could not be found.")
        self.created.append((group, name, snapshot))
        error = HttpResponseError(message="disk is busy") if self.fail and name.startswith(self.fail) else None
        sid = f"/subscriptions/sub/resourceGroups/{group}/providers/Microsoft.Compute/snapshots/{name}"
        return FakeAzurePoller(SimpleNamespace(id=sid), error)

    def _stored(self, group: str) -> list[Any]:
        if group not in self.groups:
            raise ResourceNotFoundError(f"Resource group '{group}' could not be found.")
        return [
            SimpleNamespace(id=f"/.../snapshots/{name}", tags=snap.tags, creation_data=snap.creation_data)
            for g, name, snap in self.created
            if g == group
        ]


def azure_environment() -> list[Any]:
    return [
        azure_vm("demo-search-1", "search"),
        azure_vm("demo-mongodb-1", "mongodb"),
        azure_vm("demo-app-1", "app"),
        azure_vm("demo-worker-1", "worker"),
    ]


def test_azure_snapshots_os_disks_of_data_vms_into_a_group_destroy_keeps() -> None:
    """Into `<name>-openedx-snapshots`, made first: the stack's group goes with destroy (and azurerm refuses to
    delete a group holding resources it does not manage), so final snapshots there would block or be lost."""
    compute = FakeAzureCompute(azure_environment())
    taken = azure_snapshots(spec_for("azure"), REASON, compute, "sub", now=NOW)

    assert compute.listed_groups == ["demo-openedx"]
    assert compute.groups["demo-openedx-snapshots"] == {
        "location": "eastus",
        "tags": {"environment": "demo", "managed_by": "openedx-deploy"},
    }
    assert [(group, name) for group, name, _ in compute.created] == [
        ("demo-openedx-snapshots", f"demo-mongodb-1-os-{REASON}-20260310t123005z"),
        ("demo-openedx-snapshots", f"demo-search-1-os-{REASON}-20260310t123005z"),
    ]
    for _, name, snapshot in compute.created:
        assert AZURE_NAME.fullmatch(name)
        assert snapshot.location == "eastus"
        assert snapshot.creation_data.create_option == "Copy"
        assert snapshot.creation_data.source_resource_id.endswith(f"/disks/{name.split(f'-{REASON}')[0]}")
        assert snapshot.incremental is True
        assert snapshot.tags == {
            "environment": "demo",
            "reason": REASON,
            "created": "2026-03-10T12:30:05Z",
            "source": name.split(f"-{REASON}")[0],
        }
    assert [s.id.rsplit("/", 1)[-1] for s in taken] == [name for _, name, _ in compute.created]
    assert all(s.source.startswith("/subscriptions/sub/resourceGroups/demo-openedx/") for s in taken)


def test_azure_error_becomes_a_deploy_error_naming_the_disk() -> None:
    compute = FakeAzureCompute(azure_environment(), fail="demo-search-1-os")
    with pytest.raises(DeployError, match="disk demo-search-1-os of VM demo-search-1 failed: disk is busy"):
        azure_snapshots(spec_for("azure"), REASON, compute, "sub", now=NOW)


def test_azure_list_snapshots_by_reason() -> None:
    compute = FakeAzureCompute(azure_environment())
    clients = SnapshotClients(azure_compute=compute, azure_subscription="sub")
    assert list_snapshots(spec_for("azure"), clients=clients) == []  # no snapshot group yet: none, no error
    take_snapshots(spec_for("azure"), REASON, clients=clients, now=NOW)
    take_snapshots(spec_for("azure"), "nightly", clients=clients, now=NOW)
    assert len(list_snapshots(spec_for("azure"), REASON, clients=clients)) == 2
    assert len(list_snapshots(spec_for("azure"), clients=clients)) == 4


# --- dispatch and names --------------------------------------------------------------------------------------------


def test_local_target_has_no_cloud_snapshots(tmp_path: Path) -> None:
    spec = parse_spec({"name": "demo", "cloud": "local"})
    assert take_snapshots(spec, REASON) == []
    assert list_snapshots(spec) == []


def test_take_snapshots_dispatches_to_the_cloud_with_the_given_clients() -> None:
    disks = FakeGcpDisks(gcp_environment())
    taken = take_snapshots(
        spec_for("gcp"), REASON, clients=SnapshotClients(gcp_project="demo-project", gcp_disks=disks), now=NOW
    )
    assert [s.cloud for s in taken] == ["gcp", "gcp"]


def test_an_empty_reason_is_refused_before_anything_is_created() -> None:
    compute = FakeAzureCompute(azure_environment())
    with pytest.raises(UsageError, match="letter or digit"):
        take_snapshots(
            spec_for("azure"), " -- ", clients=SnapshotClients(azure_compute=compute, azure_subscription="s")
        )
    assert compute.created == []


@pytest.mark.parametrize("max_length", [63, 80, 255])
def test_snapshot_names_keep_source_and_time_and_shorten_the_reason(max_length: int) -> None:
    source = "a" * 31 + "-mongodb-3"
    name = snapshot_name(source, "x" * 300, NOW, max_length)
    assert len(name) <= max_length
    assert name.startswith(source + "-x") and name.endswith("-20260310t123005z")
    assert "--" not in name
    assert snapshot_name(source, "reason", NOW, len(source) + 17) == f"{source}-20260310t123005z"
