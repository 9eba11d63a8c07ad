"""`backup`, `restore` and `upgrade` with fake adapters: the order of steps, the refusals, and the rollback.

ScriptedAnsible and FakeHosts are test doubles of the Ansible and podman adapters (the real ones have their own
tests; tests/test_local_up.py runs these commands for real on podman hosts with the Open edX image's double).
The backup storage is the real DirectoryStore of the local target.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakes import FakeHosts, healthy

from openedx_deploy import secrets
from openedx_deploy.ansible import PlaybookResult
from openedx_deploy.backup import FILES_ARCHIVE, MYSQL_DUMP, SECRETS_COPY, Backups
from openedx_deploy.backupcrypt import MAGIC, decrypt_file
from openedx_deploy.backupstore import list_backups, read_manifest, store_for
from openedx_deploy.commands.environment import environment_file_text
from openedx_deploy.deploy import Deployer
from openedx_deploy.errors import DeployError, UsageError
from openedx_deploy.health import Heartbeat
from openedx_deploy.output import Output
from openedx_deploy.paths import Workdir
from openedx_deploy.preflight import PreflightReport
from openedx_deploy.spec import load_spec, parse_spec
from openedx_deploy.upgrade import Upgrader, record_release, target_spec_data

DUMP = b"-- a MySQL dump\n"
FILES = b"a tar of /var/lib/openedx\n"


class ScriptedAnsible:
    """Records each playbook with the release its inventory held at that moment; fails the ones told to; writes
    the dump and the files archive a backup's playbook would fetch."""

    def __init__(self, workdir: Workdir, fail: dict[str, str] | None = None) -> None:
        self.workdir, self.fail, self.runs = workdir, dict(fail or {}), []  # type: ignore[var-annotated]

    def run_playbook(self, playbook: Path, inventory: Path, password: Path, **options: Any) -> PlaybookResult:
        facts = yaml.safe_load((inventory / "group_vars/all/main.yml").read_text())
        extravars = dict(options.get("extravars") or {})
        self.runs.append((playbook.name, facts["openedx_release"], extravars))
        if playbook.name == "backup.yml":
            (Path(extravars["openedx_backup_dir"]) / MYSQL_DUMP).write_bytes(DUMP)
            (Path(extravars["openedx_backup_dir"]) / FILES_ARCHIVE).write_bytes(FILES)
        if playbook.name == "restore.yml":
            assert (Path(extravars["openedx_restore_dir"]) / MYSQL_DUMP).read_bytes() == DUMP
            assert (Path(extravars["openedx_restore_dir"]) / FILES_ARCHIVE).read_bytes() == FILES
        if playbook.name in self.fail:
            return PlaybookResult(status="failed", rc=2, failures=[self.fail.pop(playbook.name)])
        return PlaybookResult(status="successful", rc=0, changed={"demo-1": 1})

    def names(self) -> list[str]:
        return [name for name, _release, _vars in self.runs]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workdir:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(secrets.PASSWORD_ENV, "upgrade-test")
    work = Workdir(tmp_path / "work")
    work.environments.mkdir(parents=True)
    text = environment_file_text("demo", "local", "ulmo", "single", None)
    work.environment_file("demo").write_text(text)
    return work


def make(workdir: Workdir, ansible: ScriptedAnsible, name: str = "demo") -> Deployer:
    hosts = FakeHosts()
    hosts.running[f"{name}-1"] = "10.89.0.2"
    return Deployer(
        load_spec(workdir.environment_file(name)),
        workdir,
        Output(),
        preflight=lambda s: PreflightReport(s.cloud),
        hosts=lambda n: hosts,
        ansible=lambda artifacts: ansible,
        offline=lambda: True,
        double_archive=lambda: "/cache/openedx-double.tar",
        heartbeat=healthy,
    )


# --- backup and restore --------------------------------------------------------------------------------------------


def test_backup_stores_dump_and_encrypted_secrets_with_manifest_last(workdir: Workdir) -> None:
    ansible = ScriptedAnsible(workdir)
    manifest = Backups(make(workdir, ansible)).backup("nightly")
    store = store_for(load_spec(workdir.environment_file("demo")), workdir, None)
    assert [b.id for b in list_backups(store)] == [manifest["id"]]
    assert manifest["id"].endswith("-nightly") and manifest["release"] == "ulmo"
    stored = read_manifest(store, manifest["id"])
    # The dump is stored encrypted, never in plain text; it decrypts with the environment's key.
    assert MYSQL_DUMP not in stored["files"]
    kept = workdir.root / "backups" / "demo" / manifest["id"] / f"{MYSQL_DUMP}.enc"
    assert stored["files"][f"{MYSQL_DUMP}.enc"]["sha256"] == hashlib.sha256(kept.read_bytes()).hexdigest()
    assert kept.read_bytes().startswith(MAGIC) and DUMP not in kept.read_bytes()
    key = secrets.load_secrets(workdir.secrets_file("demo"), secrets.resolve_vault(workdir.default_vault_password_file))
    decrypt_file(kept, workdir.root / "plain", key["backup_encryption_key"])
    assert (workdir.root / "plain").read_bytes() == DUMP
    assert stored["stores"]["mysql"]["method"] == "dump"
    assert stored["stores"]["mysql"]["file"] == f"{MYSQL_DUMP}.enc"
    assert stored["stores"]["search"]["method"] == "rebuild"
    # The platform's files: archived, stored encrypted as the dumps are.
    assert FILES_ARCHIVE not in stored["files"] and stored["stores"]["files"]["file"] == f"{FILES_ARCHIVE}.enc"
    archive = (workdir.root / "backups" / "demo" / manifest["id"] / f"{FILES_ARCHIVE}.enc").read_bytes()
    assert archive.startswith(MAGIC) and FILES not in archive
    # MongoDB is left out offline: the manifest says so rather than claiming a dump.
    assert stored["stores"]["mongodb"]["method"] == "none"
    copy = workdir.root / "backups" / "demo" / manifest["id"] / SECRETS_COPY
    assert copy.read_bytes() == workdir.secrets_file("demo").read_bytes()
    assert copy.read_bytes().startswith(b"$ANSIBLE_VAULT")
    assert ansible.names() == ["backup.yml"]
    assert not (workdir.build_dir("demo") / "backups" / manifest["id"]).exists(), "staging must be cleaned up"


def test_restore_from_another_environment_loads_its_dump_then_converges(workdir: Workdir) -> None:
    source = ScriptedAnsible(workdir)
    backup_id = Backups(make(workdir, source)).backup("e2e")["id"]
    workdir.environment_file("other").write_text(environment_file_text("other", "local", "ulmo", "single", None))
    target = ScriptedAnsible(workdir)
    summary = Backups(make(workdir, target, "other")).restore("latest", source="demo")
    assert summary["restored"] == backup_id and summary["files"] == [MYSQL_DUMP, FILES_ARCHIVE]
    assert target.names() == ["restore.yml", "site.yml"]
    assert target.runs[0][2]["openedx_restore_files"] == [MYSQL_DUMP, FILES_ARCHIVE]


def test_restore_refuses_a_corrupted_file_before_touching_the_databases(workdir: Workdir) -> None:
    backup_id = Backups(make(workdir, ScriptedAnsible(workdir))).backup("e2e")["id"]
    (workdir.root / "backups" / "demo" / backup_id / f"{MYSQL_DUMP}.enc").write_bytes(b"tampered")
    ansible = ScriptedAnsible(workdir)
    with pytest.raises(DeployError, match="checksum"):
        Backups(make(workdir, ansible)).restore(backup_id)
    assert "restore.yml" not in ansible.names()


def test_restore_decrypts_with_the_key_in_the_backups_own_secrets_copy(workdir: Workdir) -> None:
    """The environment's secrets file rotated (or lost and regenerated) after the backup: the backup's copy of the
    secrets still opens its dumps."""
    backup_id = Backups(make(workdir, ScriptedAnsible(workdir))).backup("e2e")["id"]
    workdir.secrets_file("demo").unlink()
    ansible = ScriptedAnsible(workdir)
    Backups(make(workdir, ansible)).restore(backup_id)  # ScriptedAnsible checks restore.yml gets the plain dump
    assert ansible.names() == ["restore.yml", "site.yml"]


def test_restore_refuses_a_dump_whose_key_is_not_in_the_backup(workdir: Workdir) -> None:
    """A backup whose secrets copy was swapped for another environment's: the dump does not decrypt, and nothing
    reaches the databases."""
    backup_id = Backups(make(workdir, ScriptedAnsible(workdir))).backup("e2e")["id"]
    other = workdir.secrets_file("other")
    secrets.ensure_secrets(other, secrets.resolve_vault(workdir.default_vault_password_file))
    copy = workdir.root / "backups" / "demo" / backup_id / SECRETS_COPY
    copy.write_bytes(other.read_bytes())
    manifest_path = workdir.root / "backups" / "demo" / backup_id / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"][SECRETS_COPY]["sha256"] = hashlib.sha256(copy.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    ansible = ScriptedAnsible(workdir)
    with pytest.raises(DeployError, match="does not decrypt"):
        Backups(make(workdir, ansible)).restore(backup_id)
    assert "restore.yml" not in ansible.names()
    assert not (workdir.build_dir("demo") / "restore" / backup_id).exists(), "plain text must not stay behind"


def test_restore_refuses_another_release(workdir: Workdir) -> None:
    backup_id = Backups(make(workdir, ScriptedAnsible(workdir))).backup("e2e")["id"]
    record_release(workdir.environment_file("demo"), "verawood", None)
    with pytest.raises(UsageError, match="holds ulmo data"):
        Backups(make(workdir, ScriptedAnsible(workdir))).restore(backup_id)


# --- upgrade ---------------------------------------------------------------------------------------------------


def test_upgrade_refuses_a_skip_or_downgrade_before_any_change(workdir: Workdir) -> None:
    before = workdir.environment_file("demo").read_text()
    ansible = ScriptedAnsible(workdir)
    with pytest.raises(UsageError, match="downgrading is not supported"):
        Upgrader(make(workdir, ansible)).run("teak")
    assert ansible.runs == [] and workdir.environment_file("demo").read_text() == before
    assert not workdir.build_dir("demo").exists()


def test_upgrade_runs_the_catalog_steps_in_order_and_records_the_release(workdir: Workdir) -> None:
    ansible = ScriptedAnsible(workdir)
    result = Upgrader(make(workdir, ansible)).run("verawood")
    assert result.ok and result.backup and result.backup.endswith("pre-upgrade-ulmo-to-verawood")
    assert [(name, release) for name, release, _ in ansible.runs] == [
        ("upgrade-preflight.yml", "ulmo"),
        ("backup.yml", "ulmo"),
        # Meilisearch 1.8 -> 1.36 (offline, its test double): the new series on an empty database, the old one kept.
        ("upgrade-search.yml", "verawood"),
        ("jobs.yml", "verawood"),  # migrations once, with the new image; the jobs also rebuild the search indexes
        ("app.yml", "verawood"),
        ("workers.yml", "verawood"),
    ]
    assert ansible.runs[4][2] == {"openedx_app_serial": 1}, "app hosts are replaced one at a time"
    statuses = {step["step"]: step["status"] for step in result.steps}
    assert statuses["mongodb_fcv"] == statuses["forum_mysql_only"] == "skipped"
    assert statuses["search_upgrade"] == "done"
    text = workdir.environment_file("demo").read_text()
    assert "release: verawood" in text and "release: ulmo" not in text
    assert text.startswith("#"), "the file's comments survive"


def test_failed_gate_rolls_back_to_the_old_release_and_keeps_the_data(workdir: Workdir) -> None:
    ansible = ScriptedAnsible(workdir, fail={"app.yml": "demo-1: Wait for the LMS heartbeat: 503"})
    with pytest.raises(DeployError) as raised:
        Upgrader(make(workdir, ansible)).run("verawood")
    message = str(raised.value)
    assert "failed at rolling_restart" in message and "serves ulmo again" in message
    assert "keeps verawood's schema" in message  # migrations ran; the data was not rolled back unasked
    assert [(name, release) for name, release, _ in ansible.runs][-2:] == [("app.yml", "ulmo"), ("workers.yml", "ulmo")]
    assert "restore.yml" not in ansible.names()
    assert "release: ulmo" in workdir.environment_file("demo").read_text()


def test_rollback_restores_the_database_when_asked(workdir: Workdir) -> None:
    ansible = ScriptedAnsible(workdir, fail={"app.yml": "gate failed"})
    with pytest.raises(DeployError, match="database was restored"):
        Upgrader(make(workdir, ansible)).run("verawood", rollback_data=True)
    assert ansible.names()[-2:] == ["restore.yml", "site.yml"]
    assert ansible.runs[-2][1] == "ulmo"


def test_rollback_asks_before_restoring_the_database(workdir: Workdir) -> None:
    questions: list[str] = []
    ansible = ScriptedAnsible(workdir, fail={"app.yml": "gate failed"})
    with pytest.raises(DeployError):
        Upgrader(make(workdir, ansible), confirm=lambda q: questions.append(q) or True).run("verawood")
    assert questions and "Restore the database" in questions[0]
    assert "restore.yml" in ansible.names()


def test_failure_before_images_change_does_not_roll_back(workdir: Workdir) -> None:
    ansible = ScriptedAnsible(workdir, fail={"backup.yml": "disk full"})
    with pytest.raises(DeployError, match="before any host changed"):
        Upgrader(make(workdir, ansible)).run("verawood")
    assert ansible.names() == ["upgrade-preflight.yml", "backup.yml"]


def test_unhealthy_platform_is_not_upgraded(workdir: Workdir) -> None:
    ansible = ScriptedAnsible(workdir)
    deployer = make(workdir, ansible)
    deployer._heartbeat = lambda t, d, v, **_: Heartbeat(t, d, 503, {"mysql": "ok", "redis": "error"})
    with pytest.raises(DeployError, match="must be serving"):
        Upgrader(deployer).run("verawood")
    assert ansible.runs == []


def test_pinned_image_needs_an_image_for_the_new_release(workdir: Workdir) -> None:
    path = workdir.environment_file("demo")
    path.write_text(path.read_text() + "image: {repository: example/openedx, tag: ulmo-custom}\n")
    with pytest.raises(UsageError, match="--image"):
        target_spec_data(path, "verawood", None, None)
    data = target_spec_data(path, "verawood", "registry.example.org/example/openedx:verawood-custom", None)
    assert data["image"] == {
        "registry": "registry.example.org",
        "repository": "example/openedx",
        "tag": "verawood-custom",
        "archive": None,
    }
    archived = target_spec_data(path, "verawood", "localhost/openedx-double:broken", "/images/broken.tar")
    assert archived["image"]["registry"] is None and archived["image"]["repository"] == "localhost/openedx-double"
    assert parse_spec(archived).image.archive == "/images/broken.tar"
    record_release(path, "verawood", data["image"])
    reread = yaml.safe_load(path.read_text())
    assert reread["release"] == "verawood" and reread["image"]["tag"] == "verawood-custom"


# --- the environment file as a document: record_release edits it in place -------------------------------------------

PINNED = """\
# Open edX environment "demo", pinned to our own image.

name: demo
cloud: local   # podman on this machine
release: "ulmo"  # what runs

# The image we build ourselves.
image:
  registry: registry.example.org   # our registry

  # the repository and tag CI pushes
  repository: 'example/openedx'
  tag: "ulmo-custom"

# Package mirrors for the air-gapped lab.
mirrors: {apt: "http://mirror.internal/debian"}
ssh:
  allowed_cidrs:
    - 203.0.113.0/24   # office
tags: {cost-center: "1234"}
"""


def test_recording_the_release_changes_that_line_only(workdir: Workdir) -> None:
    path = workdir.environment_file("demo")
    before = path.read_text()
    record_release(path, "verawood", None)
    assert path.read_text() == before.replace("\nrelease: ulmo\n", "\nrelease: verawood\n")
    assert load_spec(path).release == "verawood"


def test_a_blank_line_in_the_image_block_leaves_one_readable_image(workdir: Workdir) -> None:
    """The regular-expression edit stopped at the blank line: the old `tag:` stayed below the new block, a duplicate
    key, and the file no longer loaded after a successful upgrade."""
    path = workdir.environment_file("demo")
    path.write_text(PINNED)
    record_release(
        path,
        "verawood",
        {
            "registry": "registry.example.org",
            "repository": "example/openedx",
            "tag": "verawood-custom",
            "archive": None,
        },
    )
    spec = load_spec(path)  # loads: no duplicate key
    assert (spec.release, spec.image.reference) == ("verawood", "registry.example.org/example/openedx:verawood-custom")
    assert path.read_text() == PINNED.replace('release: "ulmo"', 'release: "verawood"').replace(
        'tag: "ulmo-custom"', 'tag: "verawood-custom"'
    ), "only the two values changed: comments, blank lines, quoting, order and indentation are kept"


@pytest.mark.parametrize(
    "text",
    [
        "---\n# markers\nname: demo\ncloud: local\nrelease: ulmo\n...\n",
        "name: demo\r\ncloud: local\r\nrelease: ulmo  # CRLF\r\n",
        "\ufeffname: demo\ncloud: local\nrelease: ulmo\n",
        "name: demo\ncloud: local\nrelease: ulmo",
        "name: demo\ncloud: local\nrelease: ulmo\nssh: &ssh {user: openedx}\n",
        "name: demo\ncloud: local\nrelease: ulmo\nzones:\n    - local\n"
        "ssh:\n    allowed_cidrs:\n        - 192.0.2.0/24\n",
    ],
    ids=["markers", "crlf", "bom", "no-final-newline", "unused-anchor", "indentation"],
)
def test_what_ruamel_would_drop_is_kept(workdir: Workdir, text: str) -> None:
    path = workdir.environment_file("demo")
    path.write_bytes(text.encode())
    record_release(path, "verawood", None)
    assert path.read_bytes().decode() == text.replace("release: ulmo", "release: verawood")


def test_an_image_that_drops_a_key_keeps_the_comments_after_it(workdir: Workdir) -> None:
    path = workdir.environment_file("demo")
    path.write_text(PINNED)
    record_release(
        path,
        "verawood",
        {"registry": None, "repository": "localhost/openedx-double", "tag": "v2", "archive": "/images/v2.tar"},
    )
    text = path.read_text()
    assert "registry" not in text and "# our registry" not in text
    assert "  # the repository and tag CI pushes\n  repository: 'localhost/openedx-double'\n" in text
    assert '  tag: "v2"\n  archive: /images/v2.tar\n\n# Package mirrors for the air-gapped lab.\n' in text
    image = load_spec(path).image
    assert (image.registry, image.archive, image.reference) == (None, "/images/v2.tar", "localhost/openedx-double:v2")


def test_the_recorded_file_loads_as_the_spec_the_upgrade_deployed(workdir: Workdir) -> None:
    path = workdir.environment_file("demo")
    for reference, archive in (
        ("registry.example.org:5000/example/openedx:verawood-1", None),
        ("docker.io/example/openedx:verawood-2", None),
        ("localhost/openedx-double:verawood-3", "/images/verawood-3.tar"),
    ):
        path.write_text(PINNED)
        data = target_spec_data(path, "verawood", reference, archive)
        deployed = parse_spec(data)
        record_release(path, "verawood", data["image"])
        assert load_spec(path) == deployed, reference


def test_a_file_without_release_or_image_gets_them_where_they_belong(workdir: Workdir) -> None:
    path = workdir.environment_file("demo")
    path.write_text("name: demo\ncloud: local  # here\n\n# Hosts.\nsize: single\n")
    record_release(
        path, "verawood", {"registry": "docker.io", "repository": "example/openedx", "tag": "v1", "archive": None}
    )
    assert path.read_text() == (
        "name: demo\ncloud: local  # here\nrelease: verawood\n\n# Hosts.\nsize: single\n"
        "image:\n  registry: docker.io\n  repository: example/openedx\n  tag: v1\n"
    )


def test_the_edit_replaces_the_file_atomically_with_its_mode(workdir: Workdir) -> None:
    path = workdir.environment_file("demo")
    path.chmod(0o640)
    record_release(path, "verawood", None)
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in path.parent.iterdir()) == ["demo.yml"], "no temporary file is left behind"
    link = path.parent / "linked.yml"
    link.symlink_to(path)
    record_release(link, "ulmo", None)
    assert link.is_symlink() and "release: ulmo" in path.read_text()


def test_an_edit_that_reads_back_wrong_leaves_the_file_alone(workdir: Workdir) -> None:
    from openedx_deploy.roundtrip import edit_document

    path = workdir.environment_file("demo")
    before = path.read_text()

    def refuse(text: str) -> None:
        raise DeployError("read back wrong")

    with pytest.raises(DeployError, match="read back wrong"):
        edit_document(path, lambda document: document.update(release="verawood"), refuse)
    assert path.read_text() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["demo.yml"]


def test_restart_replaces_app_hosts_one_at_a_time_then_workers(workdir: Workdir) -> None:
    ansible = ScriptedAnsible(workdir)
    summary = make(workdir, ansible).restart()
    assert [(name, extravars) for name, _release, extravars in ansible.runs] == [
        ("app.yml", {"openedx_restart": True, "openedx_app_serial": 1}),
        ("workers.yml", {"openedx_restart": True}),
    ]
    assert summary["heartbeats"] and all(beat["healthy"] for beat in summary["heartbeats"])
