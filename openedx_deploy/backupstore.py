"""Where an environment's backups live, and the catalogue of them: the cloud's backups bucket (Terraform output
`buckets.backups`) or, for the local target, `<workdir>/backups/<env>/`; one backup is one `<backup_id>/` prefix.

A backup's `manifest.json` is written last, so only backups that finished are listed; prefixes without one are
incomplete and pruned after a day. The SDK of a cloud is imported only when its store is first used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from .errors import DeployError, UsageError
from .extras import gcp_project, require_cloud_sdk
from .paths import Workdir, private_dirs
from .spec import EnvironmentSpec

MANIFEST = "manifest.json"
LOCAL_BACKUPS_DIR = "backups"  # under the working directory, one directory per environment
INCOMPLETE_GRACE = timedelta(days=1)  # a backup without a manifest this old was interrupted, not still running
REASON_MAX = 63  # the GCP label value limit, so a reason fits every cloud's tags as it fits backup IDs

_STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_BACKUP_ID = re.compile(r"(?P<stamp>\d{8}T\d{6}Z)-(?P<reason>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)")
_PART_SUFFIX = ".part"  # DirectoryStore writes `.<name>.<random>.part` beside the target, then renames it


class BackupStore(Protocol):
    """Object storage for backups: flat keys such as `20260102T030405Z-nightly/mysql.sql.gz`."""

    location: str

    def put_file(self, local: Path, key: str) -> None: ...

    def get_file(self, key: str, local: Path) -> None: ...

    def list_keys(self, prefix: str = "") -> list[str]: ...

    def delete(self, keys: Sequence[str]) -> None: ...


def _check_key(key: str) -> str:
    """Keys are relative '/'-separated paths: nothing may climb out of a directory store or the bucket's layout."""
    if not key or any(part in ("", ".", "..") for part in key.split("/")):
        raise DeployError(f"invalid backup key {key!r}: use a relative path such as <backup_id>/mysql.sql.gz")
    return key


# --- stores ------------------------------------------------------------------------------------------------------


class DirectoryStore:
    """The local target's store: a directory of the operator's machine, private to its owner."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*_check_key(key).split("/"))

    def put_file(self, local: Path, key: str) -> None:
        target = self._path(key)
        # Every directory from backups/ down is private.
        private_dirs(self.root.parent, self.root.name, *target.parent.relative_to(self.root).parts)
        # Copy beside the target, then rename: a reader never sees half a file. mkstemp creates it 0600.
        handle, part = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=_PART_SUFFIX)
        try:
            with os.fdopen(handle, "wb") as out, local.open("rb") as source:
                shutil.copyfileobj(source, out)
            os.replace(part, target)
        except BaseException:
            Path(part).unlink(missing_ok=True)
            raise

    def get_file(self, key: str, local: Path) -> None:
        source = self._path(key)
        if not source.is_file():
            raise DeployError(f"{key} is not in {self.location}")
        local.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, local)

    def list_keys(self, prefix: str = "") -> list[str]:
        if not self.root.is_dir():
            return []
        keys = (
            path.relative_to(self.root).as_posix()
            for path in self.root.rglob("*")
            if path.is_file() and not (path.name.startswith(".") and path.name.endswith(_PART_SUFFIX))
        )
        return sorted(key for key in keys if key.startswith(prefix))

    def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            path = self._path(key)
            path.unlink(missing_ok=True)
            # Drop directories left empty, so a pruned backup leaves no prefix behind.
            parent = path.parent
            while parent != self.root and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent


class S3Store:
    """An S3 bucket (boto3). `client` is an S3 client; by default one for `region` from the usual credentials."""

    def __init__(self, bucket: str, *, client: Any = None, region: str | None = None) -> None:
        self.bucket = bucket
        self.location = f"s3://{bucket}/"
        self._client = client
        self._region = region

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("s3", region_name=self._region)
        return self._client

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("404", "NoSuchKey"):
                raise DeployError(f"{action}: not found in {self.location}") from None
            raise DeployError(f"{action} in {self.location} failed: {exc}") from None
        except BotoCoreError as exc:
            raise DeployError(f"{action} in {self.location} failed: {exc}") from None

    def put_file(self, local: Path, key: str) -> None:
        with self._errors(f"uploading {_check_key(key)}"):
            # upload_file switches to multipart for large dumps; the bucket's default encryption (SSE-KMS) applies.
            self.client.upload_file(str(local), self.bucket, key)

    def get_file(self, key: str, local: Path) -> None:
        local.parent.mkdir(parents=True, exist_ok=True)
        with self._errors(f"downloading {_check_key(key)}"):
            self.client.download_file(self.bucket, key, str(local))

    def list_keys(self, prefix: str = "") -> list[str]:
        keys: list[str] = []
        with self._errors(f"listing {prefix or 'keys'}"):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def delete(self, keys: Sequence[str]) -> None:
        keys = [_check_key(key) for key in keys]
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
            batch = keys[start : start + 1000]
            with self._errors(f"deleting {batch[0]}"):
                answer = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
                )
            failed = answer.get("Errors", [])
            if failed:
                detail = ", ".join(f"{e.get('Key')} ({e.get('Code')})" for e in failed)
                raise DeployError(f"deleting from {self.location} failed for {detail}")


class GcsStore:
    """A Cloud Storage bucket (google-cloud-storage). `client` is a `storage.Client`; by default one from ADC."""

    def __init__(self, bucket: str, *, client: Any = None, project: str | None = None) -> None:
        self.bucket_name = bucket
        self.location = f"gs://{bucket}/"
        self._client = client
        self._project = project

    @property
    def client(self) -> Any:
        if self._client is None:
            from google.cloud.storage import Client

            self._client = Client(project=self._project)
        return self._client

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        from google.api_core.exceptions import GoogleAPIError, NotFound
        from google.auth.exceptions import GoogleAuthError

        try:
            yield
        except NotFound:
            raise DeployError(f"{action}: not found in {self.location}") from None
        except (GoogleAPIError, GoogleAuthError) as exc:
            raise DeployError(f"{action} in {self.location} failed: {exc}") from None

    def put_file(self, local: Path, key: str) -> None:
        with self._errors(f"uploading {_check_key(key)}"):
            self.client.bucket(self.bucket_name).blob(key).upload_from_filename(str(local))

    def get_file(self, key: str, local: Path) -> None:
        local.parent.mkdir(parents=True, exist_ok=True)
        with self._errors(f"downloading {_check_key(key)}"):
            self.client.bucket(self.bucket_name).blob(key).download_to_filename(str(local))

    def list_keys(self, prefix: str = "") -> list[str]:
        with self._errors(f"listing {prefix or 'keys'}"):
            return sorted(blob.name for blob in self.client.list_blobs(self.bucket_name, prefix=prefix))

    def delete(self, keys: Sequence[str]) -> None:
        bucket = self.client.bucket(self.bucket_name)
        for key in keys:
            with self._errors(f"deleting {_check_key(key)}"):
                bucket.blob(key).delete()


class AzureBlobStore:
    """A blob container (azure-storage-blob) in storage account `account`. `client` is a `ContainerClient`; by
    default one authenticated with DefaultAzureCredential (the account refuses shared keys by default)."""

    def __init__(self, account: str, container: str, *, client: Any = None) -> None:
        self.account = account
        self.container = container
        self.location = f"azure://{account}/{container}/"
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            from azure.identity import DefaultAzureCredential
            from azure.storage.blob import ContainerClient

            self._client = ContainerClient(
                account_url=f"https://{self.account}.blob.core.windows.net",
                container_name=self.container,
                credential=DefaultAzureCredential(exclude_interactive_browser_credential=True),
            )
        return self._client

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        from azure.core.exceptions import AzureError, ClientAuthenticationError, ResourceNotFoundError

        try:
            yield
        except ResourceNotFoundError:
            raise DeployError(f"{action}: not found in {self.location}") from None
        except ClientAuthenticationError as exc:
            raise DeployError(
                f"{action} in {self.location} failed: no usable Azure credentials "
                f"(run `az login`, or set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET): {exc}"
            ) from None
        except AzureError as exc:
            raise DeployError(f"{action} in {self.location} failed: {exc}") from None

    def put_file(self, local: Path, key: str) -> None:
        with self._errors(f"uploading {_check_key(key)}"), local.open("rb") as data:
            self.client.upload_blob(name=key, data=data, overwrite=True)

    def get_file(self, key: str, local: Path) -> None:
        local.parent.mkdir(parents=True, exist_ok=True)
        with self._errors(f"downloading {_check_key(key)}"):
            downloader = self.client.download_blob(key)
            with local.open("wb") as out:
                downloader.readinto(out)

    def list_keys(self, prefix: str = "") -> list[str]:
        with self._errors(f"listing {prefix or 'keys'}"):
            return sorted(blob.name for blob in self.client.list_blobs(name_starts_with=prefix or None))

    def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            with self._errors(f"deleting {_check_key(key)}"):
                self.client.delete_blob(key)


def local_backup_dir(workdir: Workdir, name: str) -> Path:
    """The local target's backup directory for environment `name`."""
    return workdir.root / LOCAL_BACKUPS_DIR / name


def store_for(spec: EnvironmentSpec, workdir: Workdir, outputs: dict[str, Any] | None) -> BackupStore:
    """The environment's backup store: its `buckets.backups` bucket on a cloud, a directory for the local target.

    `outputs` are the Terraform output values saved by `up` (None before the first `up`, and for the local target).
    """
    if spec.cloud == "local":
        return DirectoryStore(local_backup_dir(workdir, spec.name))
    require_cloud_sdk(spec.cloud)
    if outputs is None:
        raise DeployError(
            f"{spec.name} has no Terraform outputs yet, so its backups bucket is unknown: "
            f"run `openedx-deploy up -e {spec.name}` first"
        )
    buckets = outputs.get("buckets")
    backups = buckets.get("backups") if isinstance(buckets, dict) else None
    if not isinstance(backups, str) or not backups:
        raise DeployError(
            f"the Terraform outputs of {spec.name} have no buckets.backups: run `openedx-deploy up -e {spec.name}` "
            "to bring them up to date"
        )
    if spec.cloud == "aws":
        return S3Store(backups, region=spec.region)
    if spec.cloud == "gcp":
        return GcsStore(backups, project=gcp_project(spec.project))
    # The Azure stack gives "<storage account>/<container>": a container name alone does not locate it.
    account, _, container = backups.partition("/")
    if not account or not container or "/" in container:
        raise DeployError(f"buckets.backups of {spec.name} is {backups!r}, expected <storage account>/<container>")
    return AzureBlobStore(account, container)


# --- the catalogue -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupInfo:
    """A complete backup: its ID, when it was started (UTC) and why."""

    id: str
    created: datetime
    reason: str


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    # A naive time is taken as UTC: IDs and retention are all in UTC.
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def reason_slug(reason: str, max_length: int = REASON_MAX) -> str:
    """`reason` as lowercase letters, digits and single hyphens, at most `max_length` long (valid in backup IDs,
    snapshot names and tags on every cloud)."""
    slug = re.sub(r"[^a-z0-9]+", "-", reason.lower()).strip("-")[:max_length].rstrip("-")
    if not slug:
        raise UsageError(f"backup reason {reason!r} needs at least one letter or digit (such as pre-upgrade)")
    return slug


def new_backup_id(reason: str, now: datetime | None = None) -> str:
    """`YYYYMMDDTHHMMSSZ-<reason>`: IDs sort by the time the backup started."""
    return f"{_utc(now).strftime(_STAMP_FORMAT)}-{reason_slug(reason)}"


def parse_backup_id(backup_id: str) -> BackupInfo | None:
    """The time and reason in a backup ID, or None when `backup_id` is not one."""
    match = _BACKUP_ID.fullmatch(backup_id)
    if match is None:
        return None
    try:
        created = datetime.strptime(match["stamp"], _STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:  # the right shape but no such time (month 13)
        return None
    return BackupInfo(backup_id, created, match["reason"])


def _require_id(backup_id: str) -> BackupInfo:
    info = parse_backup_id(backup_id)
    if info is None:
        raise UsageError(f"{backup_id!r} is not a backup ID (YYYYMMDDTHHMMSSZ-reason, as `backup list` shows)")
    return info


def _by_backup(store: BackupStore) -> dict[str, list[str]]:
    """Every key of the store under a backup-ID prefix, by backup ID; other keys are not ours and are left alone."""
    found: dict[str, list[str]] = {}
    for key in store.list_keys(""):
        head, sep, _rest = key.partition("/")
        if sep and parse_backup_id(head) is not None:
            found.setdefault(head, []).append(key)
    return found


def list_backups(store: BackupStore) -> list[BackupInfo]:
    """The complete backups (those with a manifest.json), oldest first."""
    complete = [
        info
        for backup_id, keys in _by_backup(store).items()
        if f"{backup_id}/{MANIFEST}" in keys and (info := parse_backup_id(backup_id)) is not None
    ]
    return sorted(complete, key=lambda info: (info.created, info.id))


def read_manifest(store: BackupStore, backup_id: str) -> dict[str, Any]:
    """The manifest of a complete backup; DeployError when there is none (no such backup, or an incomplete one)."""
    _require_id(backup_id)
    key = f"{backup_id}/{MANIFEST}"
    if key not in store.list_keys(f"{backup_id}/"):
        raise DeployError(f"no complete backup {backup_id} in {store.location} (it has no {MANIFEST})")
    with tempfile.TemporaryDirectory(prefix="openedx-deploy-manifest-") as scratch:
        local = Path(scratch) / MANIFEST
        store.get_file(key, local)
        try:
            manifest = json.loads(local.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DeployError(f"{key} in {store.location} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise DeployError(f"{key} in {store.location} is not a JSON object")
    return manifest


def write_manifest(store: BackupStore, backup_id: str, manifest: dict[str, Any]) -> None:
    """Mark backup `backup_id` complete: call this after every other file of it is stored."""
    _require_id(backup_id)
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    with tempfile.TemporaryDirectory(prefix="openedx-deploy-manifest-") as scratch:
        local = Path(scratch) / MANIFEST
        local.write_text(text, encoding="utf-8")
        store.put_file(local, f"{backup_id}/{MANIFEST}")


def prune(store: BackupStore, retention_days: int, keep_min: int = 3, now: datetime | None = None) -> list[str]:
    """Delete complete backups older than `retention_days`, always keeping the newest `keep_min` of them, and
    incomplete ones (no manifest) older than a day. Returns the deleted backup IDs, oldest first."""
    if retention_days < 0 or keep_min < 0:
        raise UsageError("retention_days and keep_min must be 0 or more")
    now = _utc(now)
    cutoff = now - timedelta(days=retention_days)
    backups = _by_backup(store)
    complete = sorted(
        (backup_id for backup_id, keys in backups.items() if f"{backup_id}/{MANIFEST}" in keys),
        key=lambda backup_id: _require_id(backup_id).created,
        reverse=True,
    )
    doomed = [backup_id for backup_id in complete[keep_min:] if _require_id(backup_id).created < cutoff]
    doomed += [
        backup_id
        for backup_id in backups
        if backup_id not in complete and _require_id(backup_id).created < now - INCOMPLETE_GRACE
    ]
    for backup_id in doomed:
        keys = backups[backup_id]
        manifest = f"{backup_id}/{MANIFEST}"
        # The manifest goes first: a prune interrupted halfway leaves an incomplete backup, never a listed broken one.
        if manifest in keys:
            store.delete([manifest])
        store.delete([key for key in keys if key != manifest])
    return sorted(doomed, key=lambda backup_id: (_require_id(backup_id).created, backup_id))
