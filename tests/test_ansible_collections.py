"""The collections the roles use, without the `ansible` distribution (openedx_deploy/ansiblecollections.py): only
their trees are taken from the wheel, once, and a missing collection or a failed download is an error naming the
way out."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from openedx_deploy import ansiblecollections
from openedx_deploy.ansiblecollections import COLLECTIONS, collections_env, extract, provide
from openedx_deploy.errors import DeployError

REPO = Path(__file__).resolve().parents[1]


def fake_ansible_wheel(directory: Path, names: tuple[str, ...] = COLLECTIONS) -> Path:
    wheel = directory / f"ansible-{ansiblecollections.ANSIBLE_VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name in (*names, "cisco.ios", "fortinet.fortios"):
            namespace, collection = name.split(".")
            archive.writestr(f"ansible_collections/{namespace}/{collection}/MANIFEST.json", "{}")
            archive.writestr(f"ansible_collections/{namespace}/{collection}/plugins/modules/m.py", "# module\n")
        archive.writestr("ansible-12.3.0.dist-info/METADATA", "Name: ansible\n")
    return wheel


def test_only_the_collections_the_roles_use_are_extracted(tmp_path: Path) -> None:
    extract(fake_ansible_wheel(tmp_path), tmp_path / "out")
    found = {f"{p.parent.name}.{p.name}" for p in (tmp_path / "out" / "ansible_collections").glob("*/*")}
    assert found == set(COLLECTIONS)


def test_a_collection_the_wheel_lacks_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match=r"no collection community\.mysql"):
        extract(fake_ansible_wheel(tmp_path, ("ansible.posix",)), tmp_path / "out", ("community.mysql",))


def test_downloaded_once_then_read_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ansiblecollections, "importable", lambda *a: False)
    downloads: list[Path] = []

    def download(into: Path) -> None:
        downloads.append(into)
        fake_ansible_wheel(into)

    first = provide(tmp_path, download)
    assert first == provide(tmp_path, download) == tmp_path / "collections" / "ansible-12.3.0"
    assert len(downloads) == 1 and not downloads[0].exists(), "the download is removed once extracted"
    assert (first / "ansible_collections" / "containers" / "podman" / "MANIFEST.json").is_file()
    assert not (first / "ansible_collections" / "cisco").exists()
    monkeypatch.setenv("OPENEDX_DEPLOY_CACHE", str(tmp_path))
    monkeypatch.setenv("ANSIBLE_COLLECTIONS_PATH", "/srv/mine")
    assert collections_env() == {"ANSIBLE_COLLECTIONS_PATH": f"{first}:/srv/mine"}


def test_a_failed_download_names_the_way_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ansiblecollections, "importable", lambda *a: False)
    monkeypatch.setattr(ansiblecollections.sys, "executable", "/bin/false")
    with pytest.raises(DeployError, match=r"pipx inject openedx-deploy ansible==12\.3\.0"):
        provide(tmp_path)
    assert not (tmp_path / "collections" / "ansible-12.3.0").exists()


def test_installed_collections_need_nothing(tmp_path: Path) -> None:
    """The test venv has the `ansible` distribution (the `test` extra): no download, Ansible's own search."""
    assert collections_env(tmp_path) == {}
    assert not (tmp_path / "collections").exists()


def test_every_collection_the_project_names_is_provided() -> None:
    named: set[str] = set()
    pattern = re.compile(r"\b(ansible\.posix|community\.[a-z_]+|containers\.podman)\.[a-z_]+")
    for top in ("roles", "playbooks"):
        for path in (REPO / top).rglob("*"):
            if path.is_file() and path.suffix in (".yml", ".yaml", ".py", ".j2"):
                named.update(m.group(1) for m in pattern.finditer(path.read_text(errors="replace")))
    assert named, "found no collection names: the pattern is wrong"
    assert named <= set(COLLECTIONS), f"named but not provided: {sorted(named - set(COLLECTIONS))}"
