"""The simulated Google Cloud APIs (tests/simcloud/gcpapi.py), driven by the tool's own code and the real SDK clients
(google-auth, google-cloud-compute, google-cloud-storage) through the simulation's HTTPS proxy, CA and service-account
key: preflight, snapshots and backups work as on GCP, and what Google refuses is refused.

Fast: one server for the module (a subprocess, killed through its pid file at the end), no podman, no root.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import certifi
import pytest
import requests
from google.api_core.exceptions import BadRequest, Conflict, NotFound, Unauthorized
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request as AuthRequest
from google.cloud import compute_v1, storage
from google.oauth2 import service_account
from simcloud import gcpapi

from openedx_deploy import backupstore, preflight, snapshots
from openedx_deploy.errors import DeployError
from openedx_deploy.spec import parse_spec

PROJECT = "sim-project"
DOMAINS = {"lms": "learn.example.org", "studio": "studio.example.org", "mfe": "apps.example.org"}
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
IMAGE = "projects/debian-cloud/global/images/family/debian-12"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The simulated APIs of PROJECT, and the tool's environment pointing at them; yields the API's directory."""
    directory = tmp_path_factory.mktemp("gcpapi")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("GOOGLE_PROJECT", "CLOUDSDK_CORE_PROJECT", "CURL_CA_BUNDLE", "ALL_PROXY", "all_proxy"):
            patch.delenv(name, raising=False)
        try:
            for name, value in gcpapi.start_gcp_api(directory, PROJECT).items():
                patch.setenv(name, value)
            yield directory
        finally:
            pid_file = directory / "api.pid"
            if pid_file.exists():
                os.killpg(int(pid_file.read_text()), signal.SIGTERM)


def gcp_spec(**extra: Any) -> Any:
    return parse_spec({"name": "demo", "cloud": "gcp", "size": "standard", "domains": DOMAINS, **extra})


def insert_disk(zone: str, name: str, **fields: Any) -> compute_v1.Disk:
    """A disk made as the hook makes one (DisksClient.insert, awaited), read back."""
    disks = compute_v1.DisksClient()
    disk = compute_v1.Disk(name=name, type_=f"zones/{zone}/diskTypes/pd-balanced", **fields)
    operation = disks.insert(project=PROJECT, zone=zone, disk_resource=disk)
    operation.result(timeout=30)
    assert operation.status == compute_v1.Operation.Status.DONE
    return disks.get(project=PROJECT, zone=zone, disk=name)


@pytest.mark.parametrize(
    ("extra", "image", "vcpus"),
    [
        ({}, "debian-cloud/global/images/debian-12-bookworm-v", 10),
        (
            {"size": "single", "region": "europe-west1", "zones": ["europe-west1-c"], "os_image": "ubuntu-24.04"},
            "ubuntu-os-cloud/global/images/ubuntu-2404-noble-amd64-v",
            4,
        ),
    ],
)
def test_preflight_passes_in_a_simulated_region(api: Path, extra: dict[str, Any], image: str, vcpus: int) -> None:
    report = preflight.preflight_gcp(gcp_spec(**extra))
    assert report.failures == []
    assert {check.name for check in report.checks} == {
        "credentials",
        "region",
        "zones",
        "machine_types",
        "image",
        "quota",
    }
    assert report.facts["project"] == PROJECT
    assert re.fullmatch(rf"https://www\.googleapis\.com/compute/v1/projects/{image}\d{{8}}", report.facts["image_id"])
    assert report.facts["planned_vcpus"] == vcpus  # the machine types' guestCpus, as the API answers them
    quota = next(check for check in report.checks if check.name == "quota")
    assert quota.detail.startswith(f"{vcpus} vCPUs planned, 24 free of 24 in ")


def test_preflight_refuses_an_absent_region_zone_and_machine_type(api: Path) -> None:
    absent_zone = gcp_spec().model_copy(update={"zones": ["us-central1-z"]})
    failed = {check.name: check.detail for check in preflight.preflight_gcp(absent_zone).failures}
    assert set(failed) == {"zones", "machine_types"}
    assert failed["zones"] == "missing us-central1-z"
    assert "e2-standard-4 in us-central1-z" in failed["machine_types"]

    typo = gcp_spec(tiers={"worker": {"machine_type": "z9-imaginary"}})
    failed = {check.name: check.detail for check in preflight.preflight_gcp(typo).failures}
    assert failed == {"machine_types": "not offered: z9-imaginary in us-central1-a"}

    not_simulated = gcp_spec(region="us-east4", zones=["us-east4-a"])  # a real region, not in the simulation
    assert [check.name for check in preflight.preflight_gcp(not_simulated).failures] == ["region"]


def test_snapshots_of_the_data_disks_are_taken_and_listed(api: Path) -> None:
    spec = gcp_spec(name="snapdemo")
    mongodb = insert_disk(
        "us-central1-a",
        "snapdemo-mongodb",
        size_gb=20,
        source_image=IMAGE,
        labels={"environment": "snapdemo", "role": "mongodb"},
    )
    search = insert_disk("us-central1-b", "snapdemo-search", labels={"environment": "snapdemo", "role": "search"})
    insert_disk("us-central1-a", "snapdemo-app", labels={"environment": "snapdemo", "role": "app"})  # no data
    insert_disk("us-central1-a", "other-mongodb", labels={"environment": "other", "role": "mongodb"})
    now = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)

    taken = snapshots.take_snapshots(spec, "pre-upgrade", now=now)
    assert [s.source for s in taken] == [
        "zones/us-central1-a/disks/snapdemo-mongodb",
        "zones/us-central1-b/disks/snapdemo-search",
    ]
    found = snapshots.list_snapshots(spec)
    assert {s.id for s in found} == {s.id for s in taken}
    assert {s.source for s in found} == {mongodb.self_link, search.self_link}
    assert {s.tags["source"] for s in found} == {"snapdemo-mongodb", "snapdemo-search"}
    assert snapshots.list_snapshots(spec, "another-reason") == []

    client = compute_v1.SnapshotsClient()
    first = client.get(project=PROJECT, snapshot=taken[0].id)
    assert (first.source_disk, first.disk_size_gb, first.status) == (mongodb.self_link, 20, "READY")
    assert first.storage_bytes > 0 and first.labels["reason"] == "pre-upgrade"
    paged = client.list(request=compute_v1.ListSnapshotsRequest(project=PROJECT, max_results=1))
    assert sorted(s.name for s in paged) == sorted(s.id for s in taken)  # one snapshot a page

    with pytest.raises(DeployError, match="already exists"):  # the same names again: 409
        snapshots.take_snapshots(spec, "pre-upgrade", now=now)
    client.delete(project=PROJECT, snapshot=taken[1].id).result(timeout=30)  # a global operation
    assert [s.id for s in snapshots.list_snapshots(spec)] == [taken[0].id]


def test_a_disk_is_named_as_google_requires_and_kept_while_in_use(api: Path) -> None:
    with pytest.raises(BadRequest, match=r"resource\.name"):
        insert_disk("us-central1-a", "Data_Disk")
    instance = f"projects/{PROJECT}/zones/us-central1-a/instances/inuse-app"
    insert_disk("us-central1-a", "inuse-data", size_gb=10, users=[instance])
    with pytest.raises(Conflict, match="already exists"):
        insert_disk("us-central1-a", "inuse-data")
    disks = compute_v1.DisksClient()
    with pytest.raises(BadRequest, match="already being used by"):
        disks.delete(project=PROJECT, zone="us-central1-a", disk="inuse-data")
    compute_v1.InstancesClient().detach_disk(
        project=PROJECT, zone="us-central1-a", instance="inuse-app", device_name="inuse-data"
    ).result(timeout=30)
    disks.delete(project=PROJECT, zone="us-central1-a", disk="inuse-data").result(timeout=30)
    with pytest.raises(NotFound):
        disks.get(project=PROJECT, zone="us-central1-a", disk="inuse-data")


def test_backups_go_to_a_bucket_and_come_back(api: Path, tmp_path: Path) -> None:
    bucket = storage.Client().create_bucket("sim-backups")
    store = backupstore.GcsStore("sim-backups", project=PROJECT)
    small, big = tmp_path / "config.tar", tmp_path / "mysql.sql.gz"
    small.write_bytes(b"config\n" * 100)
    big.write_bytes(os.urandom(9 * 2**20))  # above 8 MiB: a resumable upload
    keys = ["demo/20261120/config.tar", "demo/20261120/mysql.sql.gz", "demo/20261121/config.tar", "other/config.tar"]
    for key in keys:
        store.put_file(big if key.endswith(".gz") else small, key)
    assert store.list_keys("demo/") == keys[:3]
    assert store.list_keys() == keys
    listings = re.findall(r'"GET /storage/v1/b/sim-backups/o\?([^" ]*)', (api / "gcp-api.log").read_text())
    assert sum("pageToken=" in query for query in listings) == 2  # two objects a page: each listing took two
    store.get_file(keys[1], tmp_path / "back" / "mysql.sql.gz")
    assert (tmp_path / "back" / "mysql.sql.gz").read_bytes() == big.read_bytes()
    store.get_file(keys[0], tmp_path / "back" / "config.tar")
    assert (tmp_path / "back" / "config.tar").read_bytes() == small.read_bytes()
    log = (api / "gcp-api.log").read_text()
    assert "sim-backups/o?uploadType=resumable" in log and "sim-backups/o?uploadType=multipart" in log

    with pytest.raises(Conflict, match="not empty"):
        bucket.delete()
    store.delete(keys)
    assert store.list_keys() == []
    with pytest.raises(DeployError, match="not found"):
        store.get_file(keys[0], tmp_path / "gone")
    bucket.delete()
    with pytest.raises(NotFound):
        storage.Client().get_bucket("sim-backups")


def test_a_resumable_upload_in_chunks_of_unknown_total(api: Path) -> None:
    bucket = storage.Client().create_bucket("sim-chunks")
    data = os.urandom(3 * 256 * 1024 + 1000)
    blob = bucket.blob("chunked.bin", chunk_size=256 * 1024)
    blob.upload_from_file(io.BytesIO(data))  # no size: resumable, "bytes A-B/*" until the short last chunk
    assert bucket.blob("chunked.bin").download_as_bytes() == data
    puts = re.findall(r'"PUT /upload/storage/v1/b/sim-chunks/o\?[^"]*" (\d+)', (api / "gcp-api.log").read_text())
    assert puts == ["308", "308", "308", "200"]


def test_only_a_key_the_simulation_issued_gets_a_token(api: Path, tmp_path: Path) -> None:
    issued_file = Path(os.environ["GOOGLE_APPLICATION_CREDENTIALS"])
    issued = service_account.Credentials.from_service_account_file(str(issued_file), scopes=[CLOUD_PLATFORM])
    issued.refresh(AuthRequest())
    assert issued.token.startswith("ya29.")

    foreign_file = tmp_path / "foreign.json"
    gcpapi.write_service_account_key(tmp_path / "elsewhere", foreign_file, PROJECT)  # same shape and account
    foreign = service_account.Credentials.from_service_account_file(str(foreign_file), scopes=[CLOUD_PLATFORM])
    with pytest.raises(RefreshError, match="invalid_grant: Invalid JWT Signature"):
        foreign.refresh(AuthRequest())
    forged = json.loads(issued_file.read_text()) | {"private_key": json.loads(foreign_file.read_text())["private_key"]}
    forged_creds = service_account.Credentials.from_service_account_info(forged, scopes=[CLOUD_PLATFORM])
    with pytest.raises(RefreshError, match="invalid_grant"):  # the issued key's id, signed by another key
        forged_creds.refresh(AuthRequest())

    # The compute client sends a self-signed JWT (AIP-4111) instead of a token: refused as well when foreign.
    unscoped = service_account.Credentials.from_service_account_file(str(foreign_file))
    with pytest.raises(Unauthorized):
        compute_v1.RegionsClient(credentials=unscoped).get(project=PROJECT, region="us-central1")
    anonymous = requests.get(f"https://{gcpapi.COMPUTE}/compute/v1/projects/{PROJECT}/regions/us-central1", timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["status"] == "UNAUTHENTICATED"


def test_another_project_is_not_found(api: Path) -> None:
    with pytest.raises(NotFound, match="projects/someone-else"):
        compute_v1.RegionsClient().get(project="someone-else", region="us-central1")
    with pytest.raises(NotFound):
        storage.Client().create_bucket("sim-elsewhere", project="someone-else")


@pytest.mark.parametrize("expression", ["labels.environment ~ demo", "labels.environment demo", "= demo"])
def test_a_bad_filter_is_refused(api: Path, expression: str) -> None:
    request = compute_v1.ListSnapshotsRequest(project=PROJECT, filter=expression)
    with pytest.raises(BadRequest, match="Invalid list filter expression"):
        list(compute_v1.SnapshotsClient().list(request=request))


def test_the_proxy_reaches_only_the_simulated_apis(api: Path) -> None:
    with pytest.raises(requests.exceptions.ProxyError, match="403"):
        requests.get("https://www.example.com/", timeout=30)
    # TLS ends here with the simulation's certificate: a client trusting only the public CAs refuses it.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"https://{gcpapi.STORAGE}/storage/v1/b/x", verify=certifi.where(), timeout=30)
