"""Backup storage: DirectoryStore on tmp_path, S3Store against moto, GcsStore and AzureBlobStore against fakes of
their client objects, and the catalogue (IDs, manifests written last, listing, pruning) over every store.

`FakeGcs*` and `FakeAzure*` are test doubles with the method names and result shapes of google-cloud-storage's
`Client`/`Bucket`/`Blob` and azure-storage-blob's `ContainerClient`; the product builds the real clients.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from azure.core.exceptions import ResourceNotFoundError
from google.api_core.exceptions import NotFound
from moto import mock_aws

from openedx_deploy import backupstore
from openedx_deploy.backupstore import (
    AzureBlobStore,
    BackupStore,
    DirectoryStore,
    GcsStore,
    S3Store,
    list_backups,
    new_backup_id,
    prune,
    read_manifest,
    store_for,
    write_manifest,
)
from openedx_deploy.errors import DeployError, UsageError
from openedx_deploy.paths import Workdir
from openedx_deploy.spec import parse_spec

DOMAINS = {"lms": "learn.example.org", "studio": "studio.example.org", "mfe": "apps.example.org"}
NOW = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)


def spec_for(cloud: str) -> Any:
    return parse_spec({"name": "demo", "cloud": cloud, "size": "standard", "domains": DOMAINS})


# --- fakes of the GCS and Azure Blob client objects ----------------------------------------------------------------


class FakeGcsBlob:
    def __init__(self, bucket: FakeGcsBucket, name: str) -> None:
        self.bucket, self.name = bucket, name

    def upload_from_filename(self, filename: str) -> None:
        self.bucket.calls.append(("upload_from_filename", self.name, filename))
        self.bucket.objects[self.name] = Path(filename).read_bytes()

    def download_to_filename(self, filename: str) -> None:
        self.bucket.calls.append(("download_to_filename", self.name, filename))
        if self.name not in self.bucket.objects:
            raise NotFound(f"No such object: {self.bucket.name}/{self.name}")
        Path(filename).write_bytes(self.bucket.objects[self.name])

    def delete(self) -> None:
        self.bucket.calls.append(("delete", self.name))
        if self.name not in self.bucket.objects:
            raise NotFound(f"No such object: {self.bucket.name}/{self.name}")
        del self.bucket.objects[self.name]


class FakeGcsBucket:
    def __init__(self, name: str) -> None:
        self.name = name
        self.objects: dict[str, bytes] = {}
        self.calls: list[tuple[str, ...]] = []

    def blob(self, name: str) -> FakeGcsBlob:
        return FakeGcsBlob(self, name)


class FakeGcsClient:
    """Stands in for google.cloud.storage.Client with one bucket."""

    def __init__(self, bucket: str) -> None:
        self.buckets = {bucket: FakeGcsBucket(bucket)}
        self.listed: list[tuple[str, str | None]] = []

    def bucket(self, name: str) -> FakeGcsBucket:
        return self.buckets[name]

    def list_blobs(self, bucket_or_name: str, prefix: str | None = None) -> Iterator[Any]:
        self.listed.append((bucket_or_name, prefix))
        for name in list(self.buckets[bucket_or_name].objects):
            if name.startswith(prefix or ""):
                yield SimpleNamespace(name=name)


class FakeAzureDownloader:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def readinto(self, stream: Any) -> int:
        stream.write(self.data)
        return len(self.data)


class FakeAzureContainerClient:
    """Stands in for azure.storage.blob.ContainerClient."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.calls: list[tuple[Any, ...]] = []

    def upload_blob(self, name: str, data: Any, overwrite: bool = False, **_: Any) -> None:
        self.calls.append(("upload_blob", name, overwrite))
        if name in self.blobs and not overwrite:
            raise AssertionError("the real client would raise ResourceExistsError")
        self.blobs[name] = data.read()

    def download_blob(self, blob: str, **_: Any) -> FakeAzureDownloader:
        self.calls.append(("download_blob", blob))
        if blob not in self.blobs:
            raise ResourceNotFoundError(f"The specified blob does not exist: {blob}")
        return FakeAzureDownloader(self.blobs[blob])

    def list_blobs(self, name_starts_with: str | None = None, **_: Any) -> list[Any]:
        self.calls.append(("list_blobs", name_starts_with))
        return [SimpleNamespace(name=n) for n in self.blobs if n.startswith(name_starts_with or "")]

    def delete_blob(self, blob: str, **_: Any) -> None:
        self.calls.append(("delete_blob", blob))
        if blob not in self.blobs:
            raise ResourceNotFoundError(f"The specified blob does not exist: {blob}")
        del self.blobs[blob]


# --- the stores ----------------------------------------------------------------------------------------------------


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def s3(aws_credentials: None) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="demo-openedx-backups")
        yield client


@pytest.fixture(params=["directory", "s3", "gcs", "azure"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BackupStore:
    """Every store kind: the catalogue must behave the same on each."""
    if request.param == "directory":
        return DirectoryStore(tmp_path / "backups" / "demo")
    if request.param == "s3":
        return S3Store("demo-openedx-backups", client=request.getfixturevalue("s3"))
    if request.param == "gcs":
        return GcsStore("demo-openedx-backups", client=FakeGcsClient("demo-openedx-backups"))
    return AzureBlobStore("demoopenedx", "backups", client=FakeAzureContainerClient())


def a_file(tmp_path: Path, text: str, name: str = "payload") -> Path:
    path = tmp_path / "src" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_every_store_round_trips_lists_by_prefix_and_deletes(store: BackupStore, tmp_path: Path) -> None:
    store.put_file(a_file(tmp_path, "dump"), "20260101T000000Z-nightly/mysql.sql.gz")
    store.put_file(a_file(tmp_path, "archive"), "20260101T000000Z-nightly/mongodb.archive.gz")
    store.put_file(a_file(tmp_path, "other"), "20260102T000000Z-nightly/mysql.sql.gz")

    assert store.list_keys("20260101T000000Z-nightly/") == [
        "20260101T000000Z-nightly/mongodb.archive.gz",
        "20260101T000000Z-nightly/mysql.sql.gz",
    ]
    assert len(store.list_keys("")) == 3
    out = tmp_path / "out" / "deep" / "mysql.sql.gz"
    store.get_file("20260101T000000Z-nightly/mysql.sql.gz", out)
    assert out.read_text() == "dump"

    store.put_file(a_file(tmp_path, "dump v2"), "20260101T000000Z-nightly/mysql.sql.gz")  # overwrite
    store.get_file("20260101T000000Z-nightly/mysql.sql.gz", out)
    assert out.read_text() == "dump v2"

    store.delete(["20260101T000000Z-nightly/mysql.sql.gz", "20260101T000000Z-nightly/mongodb.archive.gz"])
    assert store.list_keys("") == ["20260102T000000Z-nightly/mysql.sql.gz"]


def test_every_store_reports_a_missing_key_as_a_deploy_error(store: BackupStore, tmp_path: Path) -> None:
    with pytest.raises(DeployError, match=r"20260101T000000Z-x/none\.gz"):
        store.get_file("20260101T000000Z-x/none.gz", tmp_path / "none.gz")


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../outside", "a/../../b", "a//b", "a/./b", "dir/"])
def test_keys_that_climb_out_or_are_not_relative_paths_are_refused(
    store: BackupStore, tmp_path: Path, key: str
) -> None:
    with pytest.raises(DeployError, match="invalid backup key"):
        store.put_file(a_file(tmp_path, "x"), key)
    assert not (tmp_path / "outside").exists()


def test_directory_store_files_are_private_and_half_written_files_are_never_listed(tmp_path: Path) -> None:
    root = tmp_path / "backups" / "demo"
    store = DirectoryStore(root)
    store.put_file(a_file(tmp_path, "secret"), "20260101T000000Z-x/demo.secrets.yml")
    target = root / "20260101T000000Z-x" / "demo.secrets.yml"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) & 0o077 == 0
    (target.parent / ".mysql.sql.gz.abc123.part").write_text("half")  # what an interrupted copy leaves
    assert store.list_keys("") == ["20260101T000000Z-x/demo.secrets.yml"]
    assert store.location == str(root)


def test_directory_store_removes_emptied_directories_but_never_its_root(tmp_path: Path) -> None:
    root = tmp_path / "backups" / "demo"
    store = DirectoryStore(root)
    store.put_file(a_file(tmp_path, "x"), "20260101T000000Z-x/nested/file")
    store.delete(["20260101T000000Z-x/nested/file", "20260101T000000Z-x/not-there"])
    assert root.is_dir() and list(root.iterdir()) == []
    assert DirectoryStore(tmp_path / "never-created").list_keys("") == []


def test_s3_store_uses_the_bucket_and_deletes_in_batches_of_1000(s3: Any, tmp_path: Path) -> None:
    store = S3Store("demo-openedx-backups", client=s3)
    assert store.location == "s3://demo-openedx-backups/"
    store.put_file(a_file(tmp_path, "dump"), "20260101T000000Z-x/mysql.sql.gz")
    body = s3.get_object(Bucket="demo-openedx-backups", Key="20260101T000000Z-x/mysql.sql.gz")["Body"].read()
    assert body == b"dump"
    keys = [f"20260101T000000Z-x/part-{n:04d}" for n in range(1001)]
    for key in keys:
        s3.put_object(Bucket="demo-openedx-backups", Key=key, Body=b"")
    assert len(store.list_keys("20260101T000000Z-x/part-")) == 1001  # more than one ListObjectsV2 page
    store.delete(keys)
    assert store.list_keys("") == ["20260101T000000Z-x/mysql.sql.gz"]


def test_s3_store_names_the_bucket_when_it_does_not_exist(aws_credentials: None, tmp_path: Path) -> None:
    with mock_aws():
        store = S3Store("no-such-bucket", client=boto3.client("s3", region_name="us-east-1"))
        with pytest.raises(DeployError, match=r"s3://no-such-bucket/.*NoSuchBucket"):
            store.list_keys("")


def test_gcs_store_calls_the_client_with_bucket_keys_and_files(tmp_path: Path) -> None:
    client = FakeGcsClient("demo-openedx-backups")
    store = GcsStore("demo-openedx-backups", client=client)
    assert store.location == "gs://demo-openedx-backups/"
    source = a_file(tmp_path, "dump")
    store.put_file(source, "20260101T000000Z-x/mysql.sql.gz")
    store.list_keys("20260101T000000Z-x/")
    store.delete(["20260101T000000Z-x/mysql.sql.gz"])
    bucket = client.buckets["demo-openedx-backups"]
    assert bucket.calls == [
        ("upload_from_filename", "20260101T000000Z-x/mysql.sql.gz", str(source)),
        ("delete", "20260101T000000Z-x/mysql.sql.gz"),
    ]
    assert client.listed == [("demo-openedx-backups", "20260101T000000Z-x/")]
    with pytest.raises(DeployError, match=r"deleting 20260101T000000Z-x/mysql\.sql\.gz: not found in gs://"):
        store.delete(["20260101T000000Z-x/mysql.sql.gz"])


def test_azure_store_overwrites_lists_by_prefix_and_names_account_and_container(tmp_path: Path) -> None:
    client = FakeAzureContainerClient()
    store = AzureBlobStore("demoopenedx", "backups", client=client)
    assert store.location == "azure://demoopenedx/backups/"
    store.put_file(a_file(tmp_path, "dump"), "20260101T000000Z-x/mysql.sql.gz")
    store.list_keys("20260101T000000Z-x/")
    store.list_keys("")
    store.get_file("20260101T000000Z-x/mysql.sql.gz", tmp_path / "back")
    store.delete(["20260101T000000Z-x/mysql.sql.gz"])
    assert client.calls == [
        ("upload_blob", "20260101T000000Z-x/mysql.sql.gz", True),
        ("list_blobs", "20260101T000000Z-x/"),
        ("list_blobs", None),
        ("download_blob", "20260101T000000Z-x/mysql.sql.gz"),
        ("delete_blob", "20260101T000000Z-x/mysql.sql.gz"),
    ]
    assert (tmp_path / "back").read_bytes() == b"dump"


def test_cloud_clients_are_built_only_when_first_used() -> None:
    # Building a store must not look for credentials: `backup list` on a fresh machine fails where it is used.
    for lazy in (S3Store("b"), GcsStore("b"), AzureBlobStore("a", "c")):
        assert lazy._client is None


# --- store_for -----------------------------------------------------------------------------------------------------


def test_store_for_local_is_a_directory_under_the_workdir(tmp_path: Path) -> None:
    spec = parse_spec({"name": "demo", "cloud": "local"})
    chosen = store_for(spec, Workdir(tmp_path), None)
    assert isinstance(chosen, DirectoryStore)
    assert chosen.root == tmp_path / "backups" / "demo"


@pytest.mark.parametrize(
    ("cloud", "backups", "kind", "location"),
    [
        ("aws", "demo-openedx-backups", S3Store, "s3://demo-openedx-backups/"),
        ("gcp", "demo-openedx-backups", GcsStore, "gs://demo-openedx-backups/"),
        ("azure", "demoopenedx/backups", AzureBlobStore, "azure://demoopenedx/backups/"),
    ],
)
def test_store_for_a_cloud_uses_the_backups_bucket_output(
    tmp_path: Path, cloud: str, backups: str, kind: type, location: str
) -> None:
    outputs = {"buckets": {"uploads": "u", "exports": "e", "grades": "g", "backups": backups}}
    chosen = store_for(spec_for(cloud), Workdir(tmp_path), outputs)
    assert isinstance(chosen, kind)
    assert chosen.location == location


def test_store_for_a_cloud_without_outputs_says_to_run_up(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match=r"no Terraform outputs yet.*openedx-deploy up -e demo"):
        store_for(spec_for("aws"), Workdir(tmp_path), None)
    with pytest.raises(DeployError, match=r"no buckets\.backups"):
        store_for(spec_for("gcp"), Workdir(tmp_path), {"buckets": {"uploads": "u"}})
    with pytest.raises(DeployError, match="expected <storage account>/<container>"):
        store_for(spec_for("azure"), Workdir(tmp_path), {"buckets": {"backups": "backups"}})


# --- the catalogue -------------------------------------------------------------------------------------------------


def test_backup_ids_sort_by_time_and_carry_a_slug_of_the_reason() -> None:
    assert new_backup_id("nightly", NOW) == "20260310T120000Z-nightly"
    assert new_backup_id("Pre-upgrade: ulmo → verawood!", NOW) == "20260310T120000Z-pre-upgrade-ulmo-verawood"
    # An offset or a naive time (taken as UTC) both give the UTC time.
    assert new_backup_id("x", datetime(2026, 3, 10, 14, 0, tzinfo=timezone(timedelta(hours=2)))).startswith(
        "20260310T120000Z"
    )
    assert new_backup_id("x", datetime(2026, 3, 10, 12, 0)).startswith("20260310T120000Z")
    assert len(new_backup_id("a" * 200, NOW)) == len("20260310T120000Z-") + backupstore.REASON_MAX
    earlier, later = new_backup_id("zzz", NOW), new_backup_id("aaa", NOW + timedelta(seconds=1))
    assert sorted([later, earlier]) == [earlier, later]
    with pytest.raises(UsageError, match="letter or digit"):
        new_backup_id("!!!", NOW)
    assert new_backup_id("now") > "20260101"  # default: the current time


def complete_backup(
    store: BackupStore, tmp_path: Path, backup_id: str, files: Sequence[str] = ("mysql.sql.gz",)
) -> None:
    for name in files:
        store.put_file(a_file(tmp_path, name), f"{backup_id}/{name}")
    write_manifest(store, backup_id, {"id": backup_id, "files": list(files)})


def test_only_backups_with_a_manifest_are_listed_oldest_first(store: BackupStore, tmp_path: Path) -> None:
    complete_backup(store, tmp_path, "20260302T000000Z-nightly")
    complete_backup(store, tmp_path, "20260301T000000Z-pre-upgrade-ulmo-to-verawood")
    store.put_file(a_file(tmp_path, "half"), "20260303T000000Z-nightly/mysql.sql.gz")  # interrupted: no manifest
    store.put_file(a_file(tmp_path, "x"), "README.txt")  # not ours
    store.put_file(a_file(tmp_path, "x"), "not-an-id/manifest.json")

    listed = list_backups(store)
    assert [(b.id, b.reason) for b in listed] == [
        ("20260301T000000Z-pre-upgrade-ulmo-to-verawood", "pre-upgrade-ulmo-to-verawood"),
        ("20260302T000000Z-nightly", "nightly"),
    ]
    assert listed[0].created == datetime(2026, 3, 1, tzinfo=UTC)


def test_manifest_round_trips_and_an_incomplete_backup_has_none(store: BackupStore, tmp_path: Path) -> None:
    complete_backup(store, tmp_path, "20260302T000000Z-nightly", files=("mysql.sql.gz", "mongodb.archive.gz"))
    assert read_manifest(store, "20260302T000000Z-nightly") == {
        "id": "20260302T000000Z-nightly",
        "files": ["mysql.sql.gz", "mongodb.archive.gz"],
    }
    store.put_file(a_file(tmp_path, "half"), "20260303T000000Z-nightly/mysql.sql.gz")
    with pytest.raises(DeployError, match="no complete backup 20260303T000000Z-nightly"):
        read_manifest(store, "20260303T000000Z-nightly")
    with pytest.raises(UsageError, match="is not a backup ID"):
        read_manifest(store, "latest")
    with pytest.raises(UsageError, match="is not a backup ID"):
        write_manifest(store, "../x", {})


def test_a_manifest_that_is_not_a_json_object_is_refused(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path / "b")
    store.put_file(a_file(tmp_path, "[1, 2]"), "20260302T000000Z-x/manifest.json")
    with pytest.raises(DeployError, match="not a JSON object"):
        read_manifest(store, "20260302T000000Z-x")
    store.put_file(a_file(tmp_path, "{nope"), "20260302T000000Z-x/manifest.json")
    with pytest.raises(DeployError, match="not valid JSON"):
        read_manifest(store, "20260302T000000Z-x")


def test_write_manifest_writes_sorted_json_at_the_manifest_key(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path / "b")
    write_manifest(store, "20260302T000000Z-x", {"b": 1, "a": [1]})
    text = (tmp_path / "b" / "20260302T000000Z-x" / "manifest.json").read_text()
    assert json.loads(text) == {"a": [1], "b": 1}
    assert text.index('"a"') < text.index('"b"')


def test_prune_keeps_recent_backups_and_the_newest_keep_min(store: BackupStore, tmp_path: Path) -> None:
    ids = [new_backup_id("nightly", NOW - timedelta(days=age)) for age in (30, 20, 10, 9, 2, 1)]
    for backup_id in ids:
        complete_backup(store, tmp_path, backup_id, files=("mysql.sql.gz", "demo.secrets.yml"))

    deleted = prune(store, retention_days=7, keep_min=3, now=NOW)

    # Older than 7 days: 30, 20, 10 and 9 days; the newest three (9, 2, 1 days) are kept regardless.
    assert deleted == ids[:3]
    assert [b.id for b in list_backups(store)] == ids[3:]
    assert not any(key.startswith(tuple(deleted)) for key in store.list_keys(""))


def test_prune_never_drops_below_keep_min_even_when_all_are_expired(store: BackupStore, tmp_path: Path) -> None:
    ids = [new_backup_id("weekly", NOW - timedelta(days=age)) for age in (90, 60, 40)]
    for backup_id in ids:
        complete_backup(store, tmp_path, backup_id)
    assert prune(store, retention_days=7, keep_min=2, now=NOW) == ids[:1]
    assert prune(store, retention_days=7, keep_min=2, now=NOW) == []
    assert [b.id for b in list_backups(store)] == ids[1:]
    assert prune(store, retention_days=0, keep_min=0, now=NOW) == ids[1:]
    assert store.list_keys("") == []


def test_prune_removes_incomplete_backups_only_after_a_day(store: BackupStore, tmp_path: Path) -> None:
    stale = new_backup_id("nightly", NOW - timedelta(days=1, minutes=1))
    running = new_backup_id("nightly", NOW - timedelta(hours=23))
    for backup_id in (stale, running):
        store.put_file(a_file(tmp_path, "half"), f"{backup_id}/mysql.sql.gz")
    store.put_file(a_file(tmp_path, "x"), "README.txt")

    assert prune(store, retention_days=7, keep_min=3, now=NOW) == [stale]
    assert store.list_keys("") == [f"{running}/mysql.sql.gz", "README.txt"]


def test_prune_deletes_the_manifest_before_the_files(tmp_path: Path) -> None:
    """An interrupted prune must leave an incomplete backup (pruned later), never a listed one missing files."""

    class RecordingStore(DirectoryStore):
        def __init__(self, root: Path) -> None:
            super().__init__(root)
            self.deletes: list[list[str]] = []

        def delete(self, keys: Sequence[str]) -> None:
            self.deletes.append(list(keys))
            super().delete(keys)

    store = RecordingStore(tmp_path / "b")
    old = new_backup_id("nightly", NOW - timedelta(days=30))
    complete_backup(store, tmp_path, old, files=("a", "b"))
    prune(store, retention_days=7, keep_min=0, now=NOW)
    assert store.deletes == [[f"{old}/manifest.json"], [f"{old}/a", f"{old}/b"]]


def test_prune_refuses_negative_settings(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        prune(DirectoryStore(tmp_path), retention_days=-1)
    with pytest.raises(UsageError):
        prune(DirectoryStore(tmp_path), retention_days=7, keep_min=-1)


def test_azure_store_reads_into_the_local_file(tmp_path: Path) -> None:
    # The downloader writes through readinto(); a text-mode or unopened file would fail here.
    client = FakeAzureContainerClient()
    client.blobs["20260101T000000Z-x/big"] = os.urandom(4096)
    AzureBlobStore("a", "c", client=client).get_file("20260101T000000Z-x/big", tmp_path / "big")
    assert (tmp_path / "big").read_bytes() == client.blobs["20260101T000000Z-x/big"]


def test_the_local_store_keeps_every_directory_from_backups_down_private(tmp_path: Path) -> None:
    source = tmp_path / "dump.sql.gz"
    source.write_bytes(b"rows")
    store = DirectoryStore(tmp_path / "work" / "backups" / "demo")
    (tmp_path / "work").mkdir()
    store.put_file(source, "20261202T120000Z-e2e/mysql.sql.gz")
    for directory in ("backups", "backups/demo", "backups/demo/20261202T120000Z-e2e"):
        assert (tmp_path / "work" / directory).stat().st_mode & 0o777 == 0o700, directory
    assert (tmp_path / "work" / "backups/demo/20261202T120000Z-e2e/mysql.sql.gz").stat().st_mode & 0o777 == 0o600


def test_a_staging_directory_is_fresh_and_private_from_its_base_down(tmp_path: Path) -> None:
    from openedx_deploy.backup import private_directory

    base = tmp_path / "build" / "demo"
    stale = base / "backups" / "b1" / "old.sql"
    stale.parent.mkdir(parents=True)
    stale.write_text("rows")
    staging = private_directory(base, "backups", "b1")
    assert staging == base / "backups" / "b1" and list(staging.iterdir()) == []
    for directory in (base, base / "backups", staging):
        assert directory.stat().st_mode & 0o777 == 0o700, directory
