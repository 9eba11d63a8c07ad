"""`backup` and `restore`: the data an environment cannot rebuild, in its own backup storage.

A backup is a prefix `<id>/` in the environment's backup storage (backupstore.py): the MySQL and MongoDB dumps the
playbooks fetch from the self-hosted stores, encrypted on the controller before they are stored (backupcrypt.py,
with the environment's `backup_encryption_key`), the vault-encrypted secrets file as it is, and `manifest.json`,
written last so an interrupted backup is never offered for restore. Backups taken before encryption (dumps without
the `.enc` suffix) still restore. Managed databases and disks are covered by cloud snapshots
(snapshots.py), the search index is rebuilt rather than dumped. The platform's files (its data and media
directories: ORA2 uploads, profile images, transcripts, ...) are archived from the first app host, which holds them all
(the one host in single, the shared volume or network file system elsewhere); what a cloud keeps in its uploads
bucket is kept by bucket versioning.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .backupcrypt import ALGORITHM, SUFFIX, decrypt_file, encrypt_file
from .backupstore import (
    BackupStore,
    list_backups,
    new_backup_id,
    prune,
    read_manifest,
    store_for,
    write_manifest,
)
from .deploy import Deployer
from .errors import DeployError, UsageError
from .health import require_healthy
from .paths import private_dirs
from .profiles import Store
from .render import host_groups
from .secrets import load_secrets, resolve_vault
from .snapshots import Snapshot, take_snapshots
from .spec import EnvironmentSpec, load_spec

MYSQL_DUMP = "mysql.sql.gz"
MONGODB_DUMP = "mongodb.archive.gz"
DUMPS: tuple[tuple[Store, str], ...] = (("mysql", MYSQL_DUMP), ("mongodb", MONGODB_DUMP))
# The platform's files (roles/common tasks_from files_backup: /var/lib/openedx of the first app host, logs left out).
FILES_ARCHIVE = "files.tar.gz"
# What the backup playbook fetches, each encrypted before it is stored and restored when present.
ARCHIVES = (*(dump for _store, dump in DUMPS), FILES_ARCHIVE)
SECRETS_COPY = "secrets.vault.yml"
# The search index holds nothing the databases do not: after a restore it is rebuilt with these (cms container).
SEARCH_REBUILD = (
    "python manage.py cms reindex_studio --experimental",
    "python manage.py cms reindex_course --active",
)

StoreFactory = Callable[[EnvironmentSpec, Any, "dict[str, Any] | None"], BackupStore]
Snapshotter = Callable[..., "list[Snapshot]"]


def private_directory(base: Path, *parts: str) -> Path:
    """A fresh, empty directory base/parts..., it and every directory from `base` down to it 0700: database
    dumps pass through it in plain text."""
    shutil.rmtree(base.joinpath(*parts), ignore_errors=True)
    return private_dirs(base, *parts)


def make_files_private(directory: Path) -> None:
    """Every file under `directory` 0600 (what the playbook fetched was written with the default umask)."""
    for path in directory.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.chmod(path, 0o600)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Backups:
    """Backup and restore of one environment, through its Deployer (inventory, playbooks, health)."""

    def __init__(
        self,
        deployer: Deployer,
        store_factory: StoreFactory = store_for,
        snapshotter: Snapshotter = take_snapshots,
    ) -> None:
        self.deployer = deployer
        self.spec = deployer.spec
        self.workdir = deployer.workdir
        self.out = deployer.out
        self._store_factory = store_factory
        self._snapshotter = snapshotter

    def store(self, spec: EnvironmentSpec | None = None) -> BackupStore:
        spec = spec or self.spec
        deployer = self.deployer if spec.name == self.spec.name else self.deployer.with_spec(spec)
        return self._store_factory(spec, self.workdir, deployer.terraform_outputs())

    def list(self) -> list[dict[str, Any]]:
        return [{"id": b.id, "created": b.created.isoformat(), "reason": b.reason} for b in list_backups(self.store())]

    # --- backup --------------------------------------------------------------------------------------------------

    def backup(self, reason: str = "manual") -> dict[str, Any]:
        spec = self.spec
        vault, outputs = self.deployer.prepare()
        store = self._store_factory(spec, self.workdir, outputs)
        backup_id = new_backup_id(reason)
        staging = private_directory(self.workdir.build_dir(spec.name), "backups", backup_id)
        try:
            self.out.info(f"[backup] {backup_id}: dumping the self-hosted data stores")
            self.deployer.run_playbook("backup.yml", vault, extravars={"openedx_backup_dir": str(staging)})
            make_files_private(staging)
            key = load_secrets(self.workdir.secrets_file(spec.name), vault)["backup_encryption_key"]
            for name in ARCHIVES:
                if (staging / name).is_file():
                    encrypt_file(staging / name, staging / f"{name}{SUFFIX}", key)
                    (staging / name).unlink()
            shutil.copyfile(self.workdir.secrets_file(spec.name), staging / SECRETS_COPY)
            make_files_private(staging)
            snapshots: list[Snapshot] = []
            if self.deployer.target.has_cloud_storage:
                self.out.info("[backup] cloud snapshots of the data disks and managed databases")
                snapshots = self._snapshotter(spec, reason)
            files = {
                path.name: {"bytes": path.stat().st_size, "sha256": sha256_of(path)}
                for path in sorted(staging.iterdir())
            }
            manifest = self._manifest(backup_id, reason, files, outputs, snapshots)
            self.out.info(f"[backup] uploading {len(files)} file(s) to {store.location}")
            for name in files:
                store.put_file(staging / name, f"{backup_id}/{name}")
            write_manifest(store, backup_id, manifest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        pruned = prune(store, spec.mysql.backup_retention_days)
        for old in pruned:
            self.out.info(f"[backup] removed {old} (older than {spec.mysql.backup_retention_days} days)")
        return {**manifest, "location": store.location, "pruned": pruned}

    def _manifest(
        self,
        backup_id: str,
        reason: str,
        files: dict[str, dict[str, Any]],
        outputs: dict[str, Any] | None,
        snapshots: Sequence[Snapshot],
    ) -> dict[str, Any]:
        spec = self.spec
        stores: dict[str, dict[str, Any]] = {}
        for store, dump in DUMPS:
            mode = spec.store_mode(store)
            kinds = [s.id for s in snapshots if s.source and store in s.kind]
            if f"{dump}{SUFFIX}" in files:
                stores[store] = {"method": "dump", "file": f"{dump}{SUFFIX}", "encryption": ALGORITHM}
            elif mode == "managed":
                stores[store] = {
                    "method": "cloud snapshot" if kinds else "the managed service's own backups",
                    "snapshots": kinds,
                    "retention_days": spec.mysql.backup_retention_days if store == "mysql" else None,
                }
            else:
                stores[store] = {"method": "none", "why": f"{store} is not deployed in this environment"}
        stores["search"] = {"method": "rebuild", "commands": list(SEARCH_REBUILD)}
        if spec.broker == "rabbitmq":
            # The broker holds no platform data of its own: its vhost and users come back from the environment file
            # and secrets on converge (roles/rabbitmq); tasks queued at the backup's time are not kept, as with Redis.
            managed = spec.rabbitmq.mode == "managed"
            stores["broker"] = {
                "method": "none" if managed else "recreated",
                "why": "Amazon MQ keeps its user and vhost itself; queued tasks are not kept"
                if managed
                else "the rabbitmq role recreates the vhost and users on converge; queued tasks are not kept",
            }
        if f"{FILES_ARCHIVE}{SUFFIX}" in files:
            stores["files"] = {
                "method": "archive",
                "file": f"{FILES_ARCHIVE}{SUFFIX}",
                "encryption": ALGORITHM,
                "holds": "/var/lib/openedx of the first app host: the lms and cms data directories (ORA2 uploads, "
                "course imports), the media and private media; logs left out",
            }
        if self.deployer.target.has_cloud_storage:
            buckets = (outputs or {}).get("buckets", {})
            stores["uploads"] = {
                "method": "bucket versioning" if spec.storage.versioning else "none",
                "bucket": buckets.get("uploads", ""),
                "restore_to": "the object versions current at `created`",
            }
        stores["secrets"] = {"method": "encrypted copy", "file": SECRETS_COPY}
        return {
            "id": backup_id,
            "environment": spec.name,
            "cloud": spec.cloud,
            "release": spec.release,
            "reason": reason,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": files,
            # The dumps' key: never in the backup in plain text (the secrets copy is vault-encrypted).
            "encryption": {"algorithm": ALGORITHM, "key": "backup_encryption_key in the environment's secrets file"},
            "stores": stores,
            "snapshots": [{"kind": s.kind, "id": s.id, "source": s.source, "tags": dict(s.tags)} for s in snapshots],
        }

    # --- restore -------------------------------------------------------------------------------------------------

    def restore(self, backup_id: str, source: str | None = None, with_secrets: bool = False) -> dict[str, Any]:
        """Restores `backup_id` ("latest" for the newest) of this environment, or of environment `source`, into
        this environment, then converges it and checks its heartbeat."""
        spec = self.spec
        source_spec = spec if source in (None, spec.name) else load_spec(self.workdir.environment_file(str(source)))
        store = self.store(source_spec)
        if backup_id == "latest":
            known = list_backups(store)
            if not known:
                raise UsageError(f"{source_spec.name} has no complete backup in {store.location}")
            backup_id = known[-1].id
        manifest = read_manifest(store, backup_id)
        if manifest.get("release") != spec.release:
            raise UsageError(
                f"backup {backup_id} holds {manifest.get('release')} data and {spec.name} runs {spec.release}: "
                "restore into an environment on the same release (then upgrade it)"
            )
        files: dict[str, dict[str, Any]] = manifest.get("files", {})
        plain = [name.removesuffix(SUFFIX) for name in files]
        self._refuse_unrestorable(plain)
        staging = private_directory(self.workdir.build_dir(spec.name), "restore", backup_id)
        try:
            self.out.info(f"[restore] downloading {backup_id} from {store.location}")
            for name, meta in files.items():
                store.get_file(f"{backup_id}/{name}", staging / name)
                if sha256_of(staging / name) != meta["sha256"]:
                    raise DeployError(f"{backup_id}/{name} does not match its checksum in the manifest")
            self._decrypt_dumps(staging, backup_id, files)
            if with_secrets:
                shutil.copyfile(staging / SECRETS_COPY, self.workdir.secrets_file(spec.name))
                self.out.info("[restore] secrets replaced by the backup's (same vault password required)")
            vault, outputs = self.deployer.prepare()
            restored = [name for name in ARCHIVES if name in plain]
            self.out.info(f"[restore] stopping the platform and loading {', '.join(restored) or 'nothing'}")
            self.deployer.run_playbook(
                "restore.yml",
                vault,
                extravars={"openedx_restore_dir": str(staging), "openedx_restore_files": restored},
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.out.info("[restore] converging the environment (site.yml) and checking /heartbeat")
        self.deployer.run_playbook("site.yml", vault)
        beats = self.deployer.health(outputs, wait=True)
        require_healthy(beats, "restored")
        return {
            "restored": backup_id,
            "from": source_spec.name,
            "files": restored,
            "secrets": with_secrets,
            "search": manifest.get("stores", {}).get("search", {}),
        }

    def _decrypt_dumps(self, staging: Path, backup_id: str, files: dict[str, Any]) -> None:
        """Decrypts the backup's encrypted dumps in place, with the key in the backup's own (vault-encrypted) copy of
        its environment's secrets: a restore into another environment, or after the secrets file was lost, needs
        only the working directory's vault password."""
        encrypted = [name for name in files if name.endswith(SUFFIX)]
        if not encrypted:
            return  # a backup from before encryption
        if SECRETS_COPY not in files:
            raise DeployError(f"backup {backup_id} has encrypted dumps but no copy of the secrets that hold their key")
        vault = resolve_vault(self.workdir.default_vault_password_file)
        key = load_secrets(staging / SECRETS_COPY, vault).get("backup_encryption_key", "")
        for name in encrypted:
            decrypt_file(staging / name, staging / name.removesuffix(SUFFIX), key)
            (staging / name).unlink()

    def _refuse_unrestorable(self, files: Sequence[str]) -> None:
        """A dump needs a self-hosted store to load into; loading into a managed database is not built yet."""
        groups = host_groups(self.spec, self.deployer.terraform_outputs())
        for store, dump in DUMPS:
            if dump in files and self.spec.store_mode(store) == "managed":
                raise DeployError(
                    f"the backup has a {store} dump and {self.spec.name} uses a managed {store}: restore the "
                    "cloud snapshot instead (loading a dump into a managed database is not supported yet)"
                )
            if dump in files and not groups.get(store):
                raise DeployError(f"the backup has a {store} dump and {self.spec.name} has no {store} host")
