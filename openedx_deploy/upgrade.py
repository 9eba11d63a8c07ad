"""`upgrade`: one named release forward, with a backup first and a rollback when a gate fails.

Order: refuse a skip or a downgrade (before anything) -> preflight (heartbeat green, disk space, backup storage
reachable) -> the steps the catalog lists for the target release (backup, data-store steps, migrations once,
rolling restart of the app hosts one at a time behind the load balancer, each gated on /heartbeat, then the
workers drained and restarted) -> the environment file records the new release.

A failure once the images started changing rolls back: the previous release's image and configuration go back
on the hosts (rolling again, so the hosts that never changed do not restart), and the database is restored from
the pre-upgrade backup only when migrations ran and the operator agrees (or passed --rollback-data).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .backup import Backups
from .deploy import Deployer
from .errors import DeployError, UsageError
from .health import require_healthy
from .releases import Release, load_catalog
from .render import LocalSubstitutes, host_groups
from .secrets import Vault
from .spec import EnvironmentSpec, parse_spec


@dataclass
class UpgradeResult:
    environment: str
    from_release: str
    to_release: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    backup: str | None = None
    rolled_back: bool = False
    data_restored: bool = False
    ok: bool = False


class StepSkipped(Exception):
    """A catalog step that does not apply to this environment (the reason is reported)."""


def target_spec_data(path: Path, release: str, image: str | None, image_archive: str | None) -> dict[str, Any]:
    """The environment file's content with the new release (and image, when the operator names one)."""
    data: dict[str, Any] = dict(yaml.safe_load(path.read_text(encoding="utf-8")))
    data["release"] = release
    if image:
        repository, _, tag = image.rpartition(":")
        if not repository or "/" in tag:
            raise UsageError(f"--image {image!r}: give REPOSITORY:TAG")
        registry, _, name = repository.partition("/")
        # An archive's image is loaded, never pulled: its name is used whole, without a registry.
        split = not image_archive and name and ("." in registry or ":" in registry or registry == "localhost")
        data["image"] = {
            "registry": registry if split else None,
            "repository": name if split else repository,
            "tag": tag,
            "archive": image_archive,
        }
    elif image_archive:
        raise UsageError("--image-archive needs --image: the name the archive's image carries")
    elif "image" in data:
        raise UsageError(
            f"{path.name} pins its own image; name the image built for {release} with --image "
            "(and --image-archive for an air-gapped host)"
        )
    return data


def record_release(path: Path, release: str, image: dict[str, Any] | None) -> None:
    """Writes the release now running (and the image named for it) into the environment file as an edit of the
    document: comments, blank lines, key order and quoting stay as the operator wrote them. The new text is read
    back through the environment file's own loader before it replaces the file (atomically)."""
    from .roundtrip import edit_document, set_mapping, set_top_level
    from .spec import parse_document

    # An empty value is left out: its default is the same (a registry is none where an archive is named).
    wanted_image = {key: value for key, value in image.items() if value} if image is not None else None
    before, _marks = parse_document(path.read_text(encoding="utf-8"), str(path))
    untouched = {key: value for key, value in dict(before or {}).items() if key not in ("release", "image")}

    def edit(document: Any) -> None:
        set_top_level(document, "release", release, after="cloud")
        if wanted_image is not None:
            set_mapping(document, "image", wanted_image)

    def check(text: str) -> None:
        data, _marks = parse_document(text, f"{path} as edited")
        if not isinstance(data, dict) or data.get("release") != release:
            raise DeployError(f"{path}: the edit did not record release {release}; set `release: {release}` by hand")
        if wanted_image is not None and data.get("image") != wanted_image:
            raise DeployError(f"{path}: the edit did not record the image; set `image: {wanted_image}` by hand")
        if {key: value for key, value in data.items() if key not in ("release", "image")} != untouched:
            raise DeployError(f"{path}: the edit would have changed other fields; set `release: {release}` by hand")

    edit_document(path, edit, check)


class Upgrader:
    def __init__(
        self,
        deployer: Deployer,
        backups: Backups | None = None,
        confirm: Callable[[str], bool] = lambda _question: False,
    ) -> None:
        self.old = deployer
        self.out = deployer.out
        self.workdir = deployer.workdir
        self.backups = backups or Backups(deployer)
        self.confirm = confirm

    def run(
        self,
        to: str,
        image: str | None = None,
        image_archive: str | None = None,
        rollback_data: bool = False,
    ) -> UpgradeResult:
        old_spec = self.old.spec
        # Refused before anything else: a skip, a downgrade or an unknown release never gets further.
        target: Release = load_catalog().upgrade_path(old_spec.release, to)[-1]
        env_file = self.workdir.environment_file(old_spec.name)
        new_data = target_spec_data(env_file, to, image, image_archive)
        new_spec = parse_spec(new_data, source=f"{env_file} with release {to}")
        new = self.old.with_spec(new_spec)
        result = UpgradeResult(environment=old_spec.name, from_release=old_spec.release, to_release=to)
        substitutes = self._substitutes(image, image_archive)

        vault, outputs = self.old.prepare()
        with self._step(result, "preflight", "heartbeat green, disk space, backup storage reachable"):
            self._preflight(vault, outputs)

        state = {"migrated": False, "images_changed": False, "search": False}
        current = "preflight"
        try:
            for step in target.upgrade_steps:
                current = step.id
                with self._step(result, step.id, step.description):
                    self._run_step(step.id, result, new, new_spec, vault, substitutes, state)
            current = "health"
            with self._step(result, "health", "/heartbeat through the entry point"):
                require_healthy(new.health(outputs, wait=True), "upgraded")
        except DeployError as exc:
            if state["images_changed"] or state["search"]:
                self._rollback(result, vault, outputs, state, rollback_data)
                where = f"upgrade to {to} failed at {current}: {exc}"
                serving = f"rolled back: {old_spec.name} serves {old_spec.release} again"
                data = (
                    "; the database was restored from " + str(result.backup)
                    if result.data_restored
                    else (
                        f"; migrations had run: the database keeps {to}'s schema (restore {result.backup} with "
                        "`openedx-deploy restore` if the old release misbehaves)"
                        if state["migrated"]
                        else ""
                    )
                )
                raise DeployError(f"{where}. {serving}{data}") from exc
            raise DeployError(f"upgrade to {to} stopped at {current} before any host changed: {exc}") from exc
        try:
            record_release(env_file, to, new_data.get("image") if image else None)
        except DeployError as exc:
            raise DeployError(
                f"{old_spec.name} was upgraded to {to} and serves it, but {env_file} still names "
                f"{old_spec.release}: {exc}"
            ) from exc
        result.ok = True
        return result

    # --- steps ---------------------------------------------------------------------------------------------------

    def _run_step(
        self,
        step: str,
        result: UpgradeResult,
        new: Deployer,
        new_spec: EnvironmentSpec,
        vault: Vault,
        substitutes: LocalSubstitutes | None,
        state: dict[str, bool],
    ) -> None:
        old_spec = self.old.spec
        groups = host_groups(old_spec, self._outputs(), self._left_out())
        if step == "backup":
            manifest = self.backups.backup(reason=f"pre-upgrade-{old_spec.release}-to-{new_spec.release}")
            result.backup = manifest["id"]
        elif step == "mongodb_fcv":
            if not groups.get("mongodb"):
                raise StepSkipped("no self-hosted MongoDB in this environment")
            self.old.run_playbook("upgrade-mongodb-fcv.yml", vault)
        elif step in ("forum_to_mysql", "forum_mysql_only"):
            if not groups.get("mongodb") and old_spec.mongodb.mode != "managed":
                raise StepSkipped("no MongoDB in this environment: no forum data to move")
            self.old.run_playbook("upgrade-forum.yml", vault)
        elif step == "search_upgrade":
            if not groups.get("search") or new_spec.search.engine != "meilisearch":
                raise StepSkipped("no self-hosted Meilisearch in this environment")
            if old_spec.search.version == new_spec.search.version:
                raise StepSkipped(f"Meilisearch stays on {new_spec.search.version}")
            new.prepare(substitutes)
            state["search"] = True
            new.run_playbook("upgrade-search.yml", vault)
        elif step == "migrate":
            new.prepare(substitutes)
            state["images_changed"] = True  # the migration job pulls and runs the new image
            new.run_playbook("jobs.yml", vault)
            state["migrated"] = True
        elif step == "rolling_restart":
            new.prepare(substitutes)
            state["images_changed"] = True
            new.run_playbook("app.yml", vault, extravars={"openedx_app_serial": 1})
            new.run_playbook("workers.yml", vault)
        else:
            raise DeployError(f"the catalog names an upgrade step this version does not know: {step}")

    def _preflight(self, vault: Vault, outputs: dict[str, Any] | None) -> None:
        require_healthy(self.old.health(outputs), "before the upgrade the platform must be serving")
        self.old.run_playbook("upgrade-preflight.yml", vault)
        store = self.backups.store()
        store.list_keys("")  # raises when the backup storage cannot be reached

    def _rollback(
        self,
        result: UpgradeResult,
        vault: Vault,
        outputs: dict[str, Any] | None,
        state: dict[str, bool],
        rollback_data: bool,
    ) -> None:
        old_spec = self.old.spec
        self.out.info(f"[rollback] putting {old_spec.release}'s image and configuration back")
        result.rolled_back = True
        self.old.prepare()
        if state["search"]:
            self.old.run_playbook("upgrade-search.yml", vault, extravars={"openedx_search_rollback": True})
        if state["images_changed"]:
            self.old.run_playbook("app.yml", vault, extravars={"openedx_app_serial": 1})
            self.old.run_playbook("workers.yml", vault)
        if state["migrated"] and result.backup:
            question = (
                f"Migrations for {result.to_release} ran. Restore the database from {result.backup} "
                "(writes since then are lost)?"
            )
            if rollback_data or self.confirm(question):
                self.out.info(f"[rollback] restoring the databases from {result.backup}")
                self.backups.restore(result.backup)
                result.data_restored = True
        require_healthy(self.old.health(outputs, wait=True), "rolled back")

    # --- helpers -------------------------------------------------------------------------------------------------

    def _substitutes(self, image: str | None, image_archive: str | None) -> LocalSubstitutes | None:
        """Offline, the local target runs substitutes; an image the operator names replaces the double."""
        if not self.old.uses_substitutes():
            return None
        if image:
            return LocalSubstitutes(image=image, image_archive=image_archive or "")
        return None

    def _left_out(self) -> LocalSubstitutes | None:
        """The offline local target leaves stores out (its substitutes say which): their steps do not apply."""
        if self.old.uses_substitutes():
            return LocalSubstitutes(image="", image_archive="")
        return None

    def _outputs(self) -> dict[str, Any] | None:
        return self.old.terraform_outputs()

    @contextmanager
    def _step(self, result: UpgradeResult, step: str, description: str) -> Iterator[None]:
        started = time.monotonic()
        record: dict[str, Any] = {"step": step, "status": "done", "detail": ""}
        result.steps.append(record)
        try:
            with self.out.activity(f"[{step}] {description}"):
                yield
        except StepSkipped as skipped:
            record.update(status="skipped", detail=str(skipped))
            self.out.info(f"  skipped: {skipped}")
        except DeployError as exc:
            record.update(status="failed", detail=str(exc))
            raise
        finally:
            record["seconds"] = round(time.monotonic() - started, 1)
