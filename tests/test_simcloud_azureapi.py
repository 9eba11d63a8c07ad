"""The simulated Azure APIs (tests/simcloud/azureapi.py), driven by the tool's own code and the real SDK clients
(azure-identity, azure-mgmt-compute, azure-storage-blob; azure-core for the Resource Manager calls no installed SDK
makes) through the simulation's HTTPS proxy, CA and service principal: preflight, snapshots and backups work as on
Azure, and what Azure refuses is refused.

Fast: one server for the module (a subprocess, killed through its pid file at the end), no podman, no root. Each
test makes the resource groups it needs and deletes them, so the regional vCPU usage preflight reads is its own.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import certifi
import pytest
import requests
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.identity import DefaultAzureCredential
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as compute_models
from azure.storage.blob import ContainerClient
from simcloud import azureapi

from openedx_deploy import backupstore, preflight, snapshots, topology
from openedx_deploy.errors import DeployError
from openedx_deploy.spec import parse_spec

SUBSCRIPTION = "5e0b8d7a-3c1f-4a2b-9d6e-0f1e2d3c4b5a"
DOMAINS = {"lms": "learn.example.org", "studio": "studio.example.org", "mfe": "apps.example.org"}
# What a developer's shell may hold that would steer azure-identity, MSAL or requests elsewhere.
FOREIGN = (
    "AZURE_AUTHORITY_HOST",
    "AZURE_TOKEN_CREDENTIALS",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_USERNAME",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_REGIONAL_AUTHORITY_NAME",
    "MSAL_FORCE_REGION",
    "IDENTITY_ENDPOINT",
    "MSI_ENDPOINT",
    "ARM_SUBSCRIPTION_ID",
    "CURL_CA_BUNDLE",
    "ALL_PROXY",
    "all_proxy",
)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The simulated APIs of SUBSCRIPTION, and the tool's environment pointing at them; yields the API's directory."""
    directory = tmp_path_factory.mktemp("azureapi")
    with pytest.MonkeyPatch.context() as patch:
        for name in FOREIGN:
            patch.delenv(name, raising=False)
        try:
            for name, value in azureapi.start_azure_api(directory, SUBSCRIPTION).items():
                patch.setenv(name, value)
            yield directory
        finally:
            pid_file = directory / "api.pid"
            if pid_file.exists():
                os.killpg(int(pid_file.read_text()), signal.SIGTERM)


@pytest.fixture
def compute(api: Path) -> ComputeManagementClient:
    return ComputeManagementClient(DefaultAzureCredential(exclude_interactive_browser_credential=True), SUBSCRIPTION)


def azure_spec(**extra: Any) -> Any:
    return parse_spec({"name": "demo", "cloud": "azure", "size": "standard", "domains": DOMAINS, **extra})


def log(api: Path) -> str:
    return (api / "azure-api.log").read_text()


def group_path(group: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}"


def make_group(group: str, location: str = "eastus") -> None:
    azureapi.arm("PUT", group_path(group), {"location": location}, api_version="2021-04-01")


def delete_group(group: str) -> None:
    azureapi.arm("DELETE", group_path(group), api_version="2021-04-01")


def account_path(group: str, account: str) -> str:
    return f"{group_path(group)}/providers/Microsoft.Storage/storageAccounts/{account}"


def make_account(group: str, account: str) -> Any:
    """A storage account as the hook makes one (azure-mgmt-storage's StorageAccounts.begin_create, over ARM)."""
    body = {"location": "eastus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}
    return azureapi.arm("PUT", account_path(group, account), body)


def make_vm(
    compute: ComputeManagementClient,
    group: str,
    name: str,
    tags: dict[str, str],
    *,
    location: str = "eastus",
    size: str = "Standard_E2s_v5",
    os_disk: str | None = None,
    data_gb: int | None = None,
) -> Any:
    """A VM as the hook makes one: with an existing managed disk attached as its OS disk, or FromImage (the OS disk
    made with it, deleted with it) and an empty data disk."""
    m = compute_models
    if os_disk:
        managed = m.ManagedDiskParameters(id=os_disk)
        storage = m.StorageProfile(os_disk=m.OSDisk(create_option="Attach", managed_disk=managed, os_type="Linux"))
        os_profile = None
    else:
        image = m.ImageReference(publisher="Debian", offer="debian-12", sku="12-gen2", version="latest")
        managed = m.ManagedDiskParameters(storage_account_type="Premium_LRS")
        disk = m.OSDisk(create_option="FromImage", name=f"{name}-os", managed_disk=managed, delete_option="Delete")
        data = [m.DataDisk(lun=0, create_option="Empty", disk_size_gb=data_gb, name=f"{name}-data")] if data_gb else []
        storage = m.StorageProfile(image_reference=image, os_disk=disk, data_disks=data)
        ssh = m.SshConfiguration(public_keys=[m.SshPublicKey(path="/home/openedx/.ssh/authorized_keys", key_data="k")])
        linux = m.LinuxConfiguration(disable_password_authentication=True, ssh=ssh)
        os_profile = m.OSProfile(computer_name=name, admin_username="openedx", linux_configuration=linux)
    nic = m.NetworkInterfaceReference(id=f"{group_path(group)}/providers/Microsoft.Network/networkInterfaces/{name}")
    vm = m.VirtualMachine(
        location=location,
        zones=["1"],
        tags=tags,
        hardware_profile=m.HardwareProfile(vm_size=size),
        storage_profile=storage,
        os_profile=os_profile,
        network_profile=m.NetworkProfile(network_interfaces=[nic]),
    )
    return compute.virtual_machines.begin_create_or_update(group, name, vm).result()


def image_disk(compute: ComputeManagementClient, group: str, name: str, location: str = "eastus") -> Any:
    """A managed disk from the newest Debian 12 image, as the hook registers a VM's OS disk."""
    newest = list(compute.virtual_machine_images.list(location, "Debian", "debian-12", "12-gen2"))[-1]
    creation = compute_models.CreationData(
        create_option="FromImage", image_reference=compute_models.ImageDiskReference(id=newest.id)
    )
    disk = compute_models.Disk(location=location, zones=["1"], creation_data=creation)
    return compute.disks.begin_create_or_update(group, name, disk).result()


@pytest.mark.parametrize(
    ("extra", "image", "vcpus"),
    [
        ({}, "Debian:debian-12:12-gen2:0.20261111.1234", 10),
        (
            {"size": "single", "region": "westeurope", "zones": ["2"], "os_image": "ubuntu-24.04"},
            "Canonical:ubuntu-24_04-lts:server:24.04.202611130",
            4,
        ),
    ],
)
def test_preflight_passes_in_a_simulated_region(api: Path, extra: dict[str, Any], image: str, vcpus: int) -> None:
    report = preflight.preflight_azure(azure_spec(**extra))
    assert report.failures == []
    assert {check.name for check in report.checks} == {
        "credentials",
        "region",
        "zones",
        "machine_types",
        "image",
        "quota",
    }
    assert report.facts["image_id"] == image  # the newest version the API lists
    assert report.facts["planned_vcpus"] == vcpus  # the SKUs' vCPUs capability, as the API answers it
    quota = next(check for check in report.checks if check.name == "quota")
    assert quota.detail == f"{vcpus} vCPUs planned, 20 free of 20 regional vCPUs"
    # The SKU list is paged (nextLink), and the token came from the tenant through EnvironmentCredential.
    assert re.search(r"/providers/Microsoft\.Compute/skus\?[^ ]*skiptoken=\d+", log(api))
    assert re.search(r'POST /[0-9a-f-]{36}/oauth2/v2\.0/token HTTP/1\.1" 200', log(api))


def test_preflight_refuses_a_size_and_region_not_offered(api: Path) -> None:
    typo = azure_spec(tiers={"worker": {"machine_type": "Standard_Z9s_v9"}})
    failed = {check.name: check.detail for check in preflight.preflight_azure(typo).failures}
    assert failed == {"machine_types": "not offered: Standard_Z9s_v9 in zone 1"}

    not_simulated = azure_spec(region="northeurope")  # a real region, not in the simulation
    failed = {check.name: check.detail for check in preflight.preflight_azure(not_simulated).failures}
    assert failed == {"region": "northeurope offers no virtual machines to this subscription"}


def test_vms_count_against_the_regional_quota(api: Path, compute: ComputeManagementClient) -> None:
    make_group("quota-rg", "westeurope")
    try:
        for index in range(2):
            make_vm(compute, "quota-rg", f"big-{index}", {}, location="westeurope", size="Standard_D8s_v5")
        usage = {u.name.value: (u.current_value, u.limit) for u in compute.usage.list("westeurope")}
        assert usage["cores"] == (16, 20) and usage["standardDSv5Family"] == (16, 10)
        spec = azure_spec(region="westeurope")
        failed = {check.name: check.detail for check in preflight.preflight_azure(spec).failures}
        assert failed == {"quota": "10 vCPUs planned, 4 free of 20 regional vCPUs"}
        with pytest.raises(HttpResponseError, match="exceeding approved Total Regional Cores quota") as beyond:
            make_vm(compute, "quota-rg", "one-more", {}, location="westeurope", size="Standard_E8s_v5")
        assert beyond.value.error is not None and beyond.value.error.code == "OperationNotAllowed"
        with pytest.raises(HttpResponseError, match="SkuNotAvailable"):
            make_vm(compute, "quota-rg", "imaginary", {}, location="westeurope", size="Standard_Z9s_v9")
        assert [vm.name for vm in compute.virtual_machines.list("quota-rg")] == ["big-0", "big-1"]
    finally:
        delete_group("quota-rg")
    assert {u.name.value: u.current_value for u in compute.usage.list("westeurope")}["cores"] == 0


def test_the_environments_own_running_vms_are_not_counted_twice(api: Path, compute: ComputeManagementClient) -> None:
    """A second `up` (or one after a destroy that kept the data hosts): the environment's VMs that run already are in
    the region's usage and in the plan, so only the others need headroom. Another group's VMs still count."""
    spec = azure_spec(region="westeurope")
    group = topology.azure_resource_group(spec)
    make_group(group, "westeurope")
    make_group("other-rg", "westeurope")
    try:
        for index in range(2):  # 8 of the 10 planned vCPUs run already, and use 8 of the 20
            make_vm(compute, group, f"own-{index}", {}, location="westeurope", size="Standard_E4s_v5")
        quota = next(check for check in preflight.preflight_azure(spec).checks if check.name == "quota")
        assert (quota.ok, quota.detail) == (
            True,
            "10 vCPUs planned (8 of them already running), 12 free of 20 regional vCPUs",
        )
        for name, size in (
            ("theirs", "Standard_D8s_v5"),
            ("theirs-2", "Standard_D2s_v5"),
            ("theirs-3", "Standard_B2s"),
        ):
            make_vm(compute, "other-rg", name, {}, location="westeurope", size=size)  # the other 12 of the 20
        failed = {check.name: check.detail for check in preflight.preflight_azure(spec).failures}
        assert failed == {"quota": "10 vCPUs planned (8 of them already running), 0 free of 20 regional vCPUs"}
    finally:
        delete_group(group)
        delete_group("other-rg")


def test_snapshots_of_the_data_disks_are_taken_and_listed(api: Path, compute: ComputeManagementClient) -> None:
    spec = azure_spec(name="snapdemo")
    group, roles = topology.azure_resource_group(spec), topology.data_host_roles(spec)
    assert roles == ["mongodb", "search"]
    make_group(group)
    try:
        disk = image_disk(compute, group, "snapdemo-mongodb-os")
        assert (disk.provisioning_state, disk.disk_size_gb, disk.disk_state) == ("Succeeded", 30, "Unattached")
        mongodb = make_vm(
            compute, group, "snapdemo-mongodb", {"environment": "snapdemo", "role": "mongodb"}, os_disk=disk.id
        )
        search = make_vm(compute, group, "snapdemo-search", {"environment": "snapdemo", "role": roles[1]}, data_gb=64)
        make_vm(compute, group, "snapdemo-app", {"environment": "snapdemo", "role": "app"})  # holds no data
        make_vm(compute, group, "other-mongodb", {"environment": "other", "role": "mongodb"})
        assert mongodb.provisioning_state == "Succeeded"  # after the poller read the Azure-AsyncOperation
        assert compute.disks.get(group, "snapdemo-mongodb-os").managed_by == mongodb.id
        made = [search.storage_profile.os_disk.managed_disk.id, search.storage_profile.data_disks[0].managed_disk.id]
        assert made == [
            f"{group_path(group)}/providers/Microsoft.Compute/disks/snapdemo-search-{d}" for d in ("os", "data")
        ]

        now = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
        taken = snapshots.azure_snapshots(spec, "pre-upgrade", compute, SUBSCRIPTION, now=now)
        assert [s.source for s in taken] == [disk.id, *made]
        target = topology.azure_snapshot_group(spec)  # made by the tool, kept by destroy
        assert all(s.id.startswith(f"{group_path(target)}/providers/Microsoft.Compute/snapshots/") for s in taken)
        made_group = azureapi.arm("GET", group_path(target), api_version="2021-04-01")
        assert (made_group["location"], made_group["tags"]["environment"]) == ("eastus", "snapdemo")
        clients = snapshots.SnapshotClients(azure_compute=compute, azure_subscription=SUBSCRIPTION)
        found = snapshots.list_snapshots(spec, clients=clients)
        assert sorted(s.id for s in found) == sorted(s.id for s in taken)
        vm_pages = rf"{group}/providers/Microsoft\.Compute/virtualMachines\?[^ ]*skiptoken=3"
        assert re.search(vm_pages, log(api))  # four VMs listed: two pages, three VMs a page
        assert snapshots.list_snapshots(spec, "another-reason", clients=clients) == []
        first = compute.snapshots.get(target, taken[0].id.rsplit("/", 1)[1])
        assert (first.creation_data.source_resource_id, first.incremental, first.disk_size_gb) == (disk.id, True, 30)
        assert first.provisioning_state == "Succeeded" and first.tags["environment"] == "snapdemo"
        assert len(re.findall(r"GET [^ ]*/DiskOperations/[^ ]* HTTP/1\.1\" 200", log(api))) >= 4  # polled

        # A disk still attached is kept; deleting its VM detaches it (a FromImage disk with deleteOption Delete goes).
        with pytest.raises(ResourceExistsError, match="is attached to VM"):
            compute.disks.begin_delete(group, "snapdemo-mongodb-os").result()
        compute.virtual_machines.begin_delete(group, "snapdemo-mongodb").result()
        compute.virtual_machines.begin_delete(group, "snapdemo-search").result()
        assert compute.disks.get(group, "snapdemo-mongodb-os").disk_state == "Unattached"
        with pytest.raises(ResourceNotFoundError):
            compute.disks.get(group, "snapdemo-search-os")
        assert compute.disks.get(group, "snapdemo-search-data").managed_by is None  # detached, as by default
        compute.disks.begin_delete(group, "snapdemo-mongodb-os").result()
        # A new snapshot of a deleted disk is refused as DiskRP refuses it.
        copy = compute_models.CreationData(create_option="Copy", source_resource_id=disk.id)
        with pytest.raises(ResourceNotFoundError, match="Resource snapdemo-mongodb-os is not found"):
            compute.snapshots.begin_create_or_update(
                target, "of-nothing", compute_models.Snapshot(location="eastus", creation_data=copy)
            ).result()
    finally:
        delete_group(group)
    # The snapshots outlive the environment's group, in the tool's own; then that goes too.
    assert len(snapshots.list_snapshots(spec, clients=clients)) == 3
    delete_group(topology.azure_snapshot_group(spec))
    assert snapshots.list_snapshots(spec, clients=clients) == []


def test_resource_manager_refuses_what_azure_refuses(api: Path, compute: ComputeManagementClient) -> None:
    make_group("where-rg")
    try:
        disk = image_disk(compute, "where-rg", "where-os")
        elsewhere = compute_models.Snapshot(
            location="westeurope",
            creation_data=compute_models.CreationData(create_option="Copy", source_resource_id=disk.id),
        )
        with pytest.raises(ResourceNotFoundError, match="Resource where-os is not found"):  # DiskRP looks regionally
            compute.snapshots.begin_create_or_update("where-rg", "where-os-copy", elsewhere).result()
        with pytest.raises(HttpResponseError, match="is invalid according to its validation rule"):
            image_disk(compute, "where-rg", "-not-a-name")
        holder = make_vm(compute, "where-rg", "holder", {}, os_disk=disk.id)
        with pytest.raises(ResourceExistsError, match="is attached to VM"):  # one VM holds a disk
            make_vm(compute, "where-rg", "second", {}, os_disk=holder.storage_profile.os_disk.managed_disk.id)

        # A VM refused halfway (its data disk lacks a size) leaves nothing behind, not even its OS disk.
        m = compute_models
        image = m.ImageReference(publisher="Debian", offer="debian-12", sku="12-gen2", version="latest")
        storage = m.StorageProfile(
            image_reference=image,
            os_disk=m.OSDisk(create_option="FromImage", name="half-os"),
            data_disks=[m.DataDisk(lun=0, create_option="Empty")],
        )
        half = m.VirtualMachine(
            location="eastus",
            hardware_profile=m.HardwareProfile(vm_size="Standard_B2s"),
            storage_profile=storage,
            os_profile=m.OSProfile(computer_name="half", admin_username="openedx"),
        )
        with pytest.raises(HttpResponseError, match=r"Required parameter 'dataDisks\.diskSizeGB' is missing"):
            compute.virtual_machines.begin_create_or_update("where-rg", "half", half).result()
        with pytest.raises(ResourceNotFoundError):
            compute.disks.get("where-rg", "half-os")
        half.hardware_profile = None
        with pytest.raises(HttpResponseError, match=r"Required parameter 'hardwareProfile\.vmSize' is missing"):
            compute.virtual_machines.begin_create_or_update("where-rg", "half", half).result()
        half.hardware_profile = m.HardwareProfile(vm_size="Standard_B2s")
        storage.image_reference = m.ImageReference(publisher="Debian", offer="debian-13", sku="13", version="latest")
        with pytest.raises(ResourceNotFoundError, match="PlatformImageNotFound"):
            compute.virtual_machines.begin_create_or_update("where-rg", "half", half).result()
    finally:
        delete_group("where-rg")


def test_backups_go_to_a_container_and_come_back(api: Path, tmp_path: Path) -> None:
    group = "backups-rg"
    make_group(group)
    make_group("second-rg")
    try:
        account = make_account(group, "simbackups")
        assert account["properties"]["primaryEndpoints"]["blob"] == "https://simbackups.blob.core.windows.net/"
        assert account["properties"]["provisioningState"] == "Succeeded"  # the Location monitor was polled
        assert re.search(r"GET [^ ]*/Microsoft\.Storage/locations/eastus/asyncoperations/[^ ]*monitor=true", log(api))
        containers = f"{account_path(group, 'simbackups')}/blobServices/default/containers"
        container = azureapi.arm("PUT", f"{containers}/backups", {"properties": {}})
        assert container["type"] == "Microsoft.Storage/storageAccounts/blobServices/containers"

        store = backupstore.AzureBlobStore("simbackups", "backups")
        small, big = tmp_path / "config.tar", tmp_path / "mysql.sql.gz"
        small.write_bytes(b"config\n" * 100)
        big.write_bytes(os.urandom(64 * 2**20 + 4096))  # above the SDK's 64 MiB single put: Put Block, Put Block List
        keys = [
            "demo/20261120/config.tar",
            "demo/20261120/mysql.sql.gz",
            "demo/20261121/config.tar",
            "other/config.tar",
        ]
        for key in keys:
            store.put_file(big if key.endswith(".gz") else small, key)
        text = log(api)
        assert len(re.findall(r"PUT /backups/demo/20261120/mysql\.sql\.gz\?comp=block&blockid=", text)) == 17
        assert "PUT /backups/demo/20261120/mysql.sql.gz?comp=blocklist" in text
        assert store.list_keys("demo/") == keys[:3]
        assert store.list_keys() == keys
        listings = re.findall(r"GET /backups\?restype=container&comp=list([^ ]*)", log(api))
        assert sum("marker=" in query for query in listings) == 2  # two blobs a page: each listing took two pages
        store.get_file(keys[1], tmp_path / "back" / "mysql.sql.gz")
        assert (tmp_path / "back" / "mysql.sql.gz").read_bytes() == big.read_bytes()
        ranged = re.findall(r'GET /backups/demo/20261120/mysql\.sql\.gz HTTP/1\.1" 206', log(api))
        assert len(ranged) == 10  # 32 MiB, then 4 MiB ranges
        store.get_file(keys[0], tmp_path / "back" / "config.tar")
        assert (tmp_path / "back" / "config.tar").read_bytes() == small.read_bytes()

        store.delete(keys)
        assert store.list_keys() == []
        with pytest.raises(DeployError, match="not found"):
            store.get_file(keys[0], tmp_path / "gone")
        store.client.delete_container()  # the Blob service's Delete Container
        with pytest.raises(DeployError, match="not found"):
            store.list_keys()
        with pytest.raises(ResourceExistsError, match="StorageAccountInAnotherResourceGroup"):
            make_account("second-rg", "simbackups")  # a name is global
        with pytest.raises(HttpResponseError, match="AccountNameInvalid"):
            make_account(group, "Sim_Backups")
    finally:
        delete_group(group)
        delete_group("second-rg")
    # The account is gone with its group: its name no longer resolves (the SDK would retry that for a minute).
    with pytest.raises(requests.exceptions.ProxyError, match="502"):
        requests.get("https://simbackups.blob.core.windows.net/backups?restype=container&comp=list", timeout=30)


def test_blob_storage_refuses_what_azure_refuses(api: Path) -> None:
    group = "blobrules-rg"
    make_group(group)
    try:
        make_account(group, "simrules")
        credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
        client = ContainerClient("https://simrules.blob.core.windows.net", "rules", credential=credential)
        with pytest.raises(ResourceNotFoundError, match="ContainerNotFound"):
            client.upload_blob("a.txt", b"a")
        client.create_container()
        with pytest.raises(ResourceExistsError, match="ContainerAlreadyExists"):
            client.create_container()
        client.upload_blob("a.txt", b"first")
        with pytest.raises(ResourceExistsError, match="BlobAlreadyExists"):
            client.upload_blob("a.txt", b"again")  # overwrite=False sends If-None-Match: *
        assert client.download_blob("a.txt").readall() == b"first"
        assert client.download_blob("a.txt", offset=1, length=3).readall() == b"irs"
        with pytest.raises(ResourceNotFoundError, match="BlobNotFound"):
            client.download_blob("b.txt")
        client.upload_blob("empty.txt", b"")
        assert client.download_blob("empty.txt").readall() == b""  # a range of nothing: 416, then a plain GET
        bad_name = ContainerClient("https://simrules.blob.core.windows.net", "Bad_Name", credential=credential)
        with pytest.raises(HttpResponseError, match="InvalidResourceName"):
            bad_name.create_container()
    finally:
        delete_group(group)


def test_tokens_are_only_for_the_issued_principal(api: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def token_with(**env: str) -> Any:
        with monkeypatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            return DefaultAzureCredential(exclude_interactive_browser_credential=True).get_token(
                "https://management.azure.com/.default"
            )

    started = time.monotonic()
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215: Invalid client secret provided"):
        token_with(AZURE_CLIENT_SECRET="not-the-secret")
    with pytest.raises(ClientAuthenticationError, match="AADSTS700016"):
        token_with(AZURE_CLIENT_ID="00000000-0000-0000-0000-000000000001")
    with pytest.raises(ClientAuthenticationError, match="Unable to get authority configuration"):
        token_with(AZURE_TENANT_ID="00000000-0000-0000-0000-000000000002")  # its OpenID configuration: AADSTS90002
    assert time.monotonic() - started < 10  # the chain stopped at EnvironmentCredential: no managed identity probe
    assert re.search(
        r'GET /0{8}-0{4}-0{4}-0{4}-0{11}2/v2\.0/\.well-known/openid-configuration HTTP/1\.1" 400', log(api)
    )
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-the-secret")
    with pytest.raises(preflight.PreflightError) as failed:
        preflight.azure_compute_client(SUBSCRIPTION)
    assert [check.name for check in failed.value.report.failures] == ["credentials"]


def test_each_api_takes_only_its_audience(api: Path) -> None:
    credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
    management = credential.get_token("https://management.azure.com/.default").token
    storage = credential.get_token("https://storage.azure.com/.default").token
    usages = f"https://{azureapi.ARM}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/locations/eastus/usages"
    version = {"api-version": "2026-04-01"}
    anonymous = requests.get(usages, params=version, timeout=30)
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "AuthenticationFailed")
    for_storage = requests.get(usages, params=version, headers={"Authorization": f"Bearer {storage}"}, timeout=30)
    assert (for_storage.status_code, for_storage.json()["error"]["code"]) == (401, "InvalidAuthenticationTokenAudience")
    made_up = requests.get(usages, params=version, headers={"Authorization": "Bearer eyJ.made.up"}, timeout=30)
    assert (made_up.status_code, made_up.json()["error"]["code"]) == (401, "InvalidAuthenticationToken")
    no_version = requests.get(usages, headers={"Authorization": f"Bearer {management}"}, timeout=30)
    assert no_version.json()["error"]["code"] == "MissingApiVersionParameter"
    assert requests.get(usages, params=version, headers={"Authorization": f"Bearer {management}"}, timeout=30).ok

    make_group("audience-rg")
    try:
        make_account("audience-rg", "simaudience")
        listing = "https://simaudience.blob.core.windows.net/x?restype=container&comp=list"
        headers = {"Authorization": f"Bearer {management}", "x-ms-version": "2026-10-06"}
        wrong = requests.get(listing, headers=headers, timeout=30)
        assert (wrong.status_code, wrong.headers["x-ms-error-code"]) == (401, "InvalidAuthenticationInfo")
        assert "<AuthenticationErrorDetail>Audience validation failed. Audience did not match." in wrong.text
        assert "resource_id=https://storage.azure.com" in wrong.headers["WWW-Authenticate"]
        right = requests.get(listing, headers=headers | {"Authorization": f"Bearer {storage}"}, timeout=30)
        assert (right.status_code, right.headers["x-ms-error-code"]) == (404, "ContainerNotFound")
    finally:
        delete_group("audience-rg")


def test_another_subscription_and_unknown_resources_are_not_found(api: Path, compute: ComputeManagementClient) -> None:
    credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
    elsewhere = ComputeManagementClient(credential, "0badc0de-0000-0000-0000-000000000000")
    with pytest.raises(ResourceNotFoundError, match="SubscriptionNotFound"):
        list(elsewhere.usage.list("eastus"))
    with pytest.raises(ResourceNotFoundError, match="ResourceGroupNotFound"):
        list(compute.snapshots.list_by_resource_group("no-such-rg"))
    make_group("lookup-rg")
    try:
        with pytest.raises(ResourceNotFoundError, match="ResourceNotFound"):
            compute.virtual_machines.get("lookup-rg", "no-such-vm")
    finally:
        delete_group("lookup-rg")
    with pytest.raises(ResourceNotFoundError, match="ResourceGroupNotFound"):
        azureapi.arm("GET", group_path("lookup-rg"), api_version="2021-04-01")


def test_the_proxy_reaches_only_the_simulated_apis(api: Path) -> None:
    with pytest.raises(requests.exceptions.ProxyError, match="403"):
        requests.get("https://www.example.com/", timeout=30)
    with pytest.raises(requests.exceptions.ProxyError, match="502"):  # no such storage account: no such name
        requests.get("https://nosuchaccount.blob.core.windows.net/x", timeout=30)
    # TLS ends here with the simulation's certificate: a client trusting only the public CAs refuses it.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"https://{azureapi.LOGIN}/", verify=certifi.where(), timeout=30)


def test_the_hooks_provider_keeps_a_group_holding_what_terraform_does_not_manage(
    api: Path, compute: ComputeManagementClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The simulated azurerm provider (hook.py) refuses to delete a resource group that still holds resources
    Terraform does not manage (prevent_deletion_if_contains_resources, on by default since azurerm 3.0): a snapshot
    in the stack's group, where the tool once took its final snapshots, would stop `destroy --include-data`."""
    from simcloud import hook

    monkeypatch.setattr(hook, "SUBSCRIPTION", SUBSCRIPTION)
    simulation = hook.Simulation(tmp_path, "unit", hook.DEFAULT_INTERNET, podman=object())
    state: dict[str, Any] = {kind: {} for kind in hook.STATE_KINDS}
    group = simulation.azurerm_resource_group_create({"name": "keep-rg", "location": "eastus", "tags": {}}, state)
    disk = image_disk(compute, "keep-rg", "keep-os")
    copy = compute_models.CreationData(create_option="Copy", source_resource_id=disk.id)
    compute.snapshots.begin_create_or_update(
        "keep-rg", "keep-final", compute_models.Snapshot(location="eastus", creation_data=copy)
    ).result()
    compute.disks.begin_delete("keep-rg", "keep-os").result()
    with pytest.raises(hook.Refused, match=r"still contains Resources.*snapshots/keep-final"):
        simulation.azurerm_resource_group_delete(group | {"name": "keep-rg"}, state)
    compute.snapshots.begin_delete("keep-rg", "keep-final").result()
    simulation.azurerm_resource_group_delete(group | {"name": "keep-rg"}, state)
    with pytest.raises(ResourceNotFoundError):
        azureapi.arm("GET", group_path("keep-rg"), api_version="2021-04-01")
