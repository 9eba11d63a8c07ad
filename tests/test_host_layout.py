"""The directories the roles keep on a host hang from shared bases that the common role makes root:root 0755 before
any other role runs (`common_base_directories`). Ansible's file module gives every missing parent it creates the mode
of the directory it was asked for: the first 0700 (images, jobs) or 0750 (app data) directory made under a missing
base closed that base to nginx, and every static and media file answered 403 (found by the end-to-end test's check of
a static CSS file through the proxy)."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
ROLES = REPO / "roles"


def defaults(role: str) -> dict[str, object]:
    return yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()) or {}


BASES = [str(base) for base in defaults("common")["common_base_directories"]]  # type: ignore[union-attr]


def test_what_nginx_serves_from_disk_lies_under_an_open_base() -> None:
    proxy = defaults("proxy")
    for name in ("proxy_static_root", "proxy_media_root"):
        path = str(proxy[name])
        assert any(path.startswith(base + "/") for base in BASES), f"{name} {path} is not under {BASES}"


def test_every_role_directory_under_var_lib_lies_under_a_base() -> None:
    """A role that keeps a directory under /var/lib/openedx* uses one of the bases, so the base exists, open, before
    that role creates its first directory there."""
    found = 0
    for role in sorted(p.name for p in ROLES.iterdir() if (p / "defaults" / "main.yml").is_file()):
        for name, value in defaults(role).items():
            if isinstance(value, str) and value.startswith("/var/lib/openedx") and name.endswith(("_dir", "_root")):
                found += 1
                assert any(value.startswith(base + "/") for base in BASES), f"{role}: {name} {value} not under {BASES}"
    assert found >= 8, "the roles' data, media, static, image and job directories were not found"


def test_common_runs_first_on_every_host() -> None:
    site = yaml.safe_load((REPO / "playbooks" / "site.yml").read_text())
    first = site[0]
    assert first["hosts"] == "all"
    role = first["roles"][0]
    assert (role["role"] if isinstance(role, dict) else role) == "common"


def test_the_files_the_platform_writes_lie_where_backups_archive_and_hosts_share() -> None:
    """`backup` archives common_shared_files_path on the first app host (roles/common/tasks/files_backup.yml), and
    the app and worker hosts of a multi-host environment share that directory (the local target's volume at
    localhosts.SHARED_DIR, a cloud's network file system). A data or media directory a container writes that moved
    outside it would be neither backed up nor seen by the other hosts."""
    from openedx_deploy.localhosts import SHARED_DIR

    shared = str(defaults("common")["common_shared_files_path"])
    assert shared == SHARED_DIR
    backup = yaml.safe_load((ROLES / "common" / "tasks" / "files_backup.yml").read_text())
    (archive,) = [task for task in backup if "--create" in task.get("ansible.builtin.command", {}).get("argv", [])]
    assert "--directory={{ common_shared_files_path }}" in archive["ansible.builtin.command"]["argv"]
    found = 0
    for role in ("openedx_app", "workers", "openedx_jobs"):
        for name, value in defaults(role).items():
            if name.endswith(("_data_dir", "_media_dir", "_media_private_dir")):
                found += 1
                assert str(value).startswith(shared + "/"), f"{role}: {name} {value} is not under {shared}"
    assert found == 9, "the app, worker and job roles' data and media directories were not all found"
