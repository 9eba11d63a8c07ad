"""The Ansible collections the roles use, without the `ansible` distribution's hundreds of others.

The tool depends on ansible-core only: the `ansible` distribution is ~470 MB of some 100 collections (issue 14,
docs/packaging.md), of which the roles, playbooks and the podman connection plugin use the few in COLLECTIONS. When
they are not importable already (an install with the `ansible` distribution, such as the test venv, has them), the
first Ansible run takes them from the pinned `ansible` wheel on the package index (`pip download`, the index pip is
configured with; no Ansible Galaxy), extracts only their trees under the cache directory, and every run reads them
from there (ANSIBLE_COLLECTIONS_PATH). Offline, `pipx inject openedx-deploy ansible==VERSION` (or a
`pip install` of it beside the tool) provides them instead.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from .errors import DeployError

# The release the collections are taken from; the test venv's `ansible` (the `test` extra) is the same major.
ANSIBLE_VERSION = "12.3.0"
# Every collection a role, playbook or plugin of this project names (grep roles/ playbooks/ for `<ns>.<name>.`).
COLLECTIONS = (
    "ansible.posix",
    "community.crypto",
    "community.general",
    "community.mongodb",
    "community.mysql",
    "community.rabbitmq",
    "containers.podman",
)
CACHE_ENV = "OPENEDX_DEPLOY_CACHE"


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "openedx-deploy")


def importable(names: tuple[str, ...] = COLLECTIONS) -> bool:
    """Whether every collection is installed beside ansible-core (the `ansible` distribution, or an operator's)."""
    try:
        return all(importlib.util.find_spec(f"ansible_collections.{name}") is not None for name in names)
    except ModuleNotFoundError:
        return False


def collections_dir(cache: Path | None = None) -> Path:
    """Where the extracted collections live: DIR/ansible_collections/<ns>/<name>, one directory per release."""
    return (cache or cache_root()) / "collections" / f"ansible-{ANSIBLE_VERSION}"


def extract(wheel: Path, target: Path, names: tuple[str, ...] = COLLECTIONS) -> None:
    """The trees of `names` from the `ansible` wheel into target/ansible_collections/, nothing else."""
    prefixes = tuple("ansible_collections/{}/{}/".format(*name.split(".")) for name in names)
    with zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.namelist() if m.startswith(prefixes) and ".." not in m.split("/")]
        found = {m for p in prefixes for m in members if m.startswith(p)}
        missing = [n for n, p in zip(names, prefixes, strict=True) if not any(m.startswith(p) for m in found)]
        if missing:
            raise DeployError(f"{wheel.name} has no collection {', '.join(missing)}")
        archive.extractall(target, members)


def pip_download(into: Path) -> None:
    """The pinned `ansible` wheel into `into`, from the index pip is configured with."""
    downloaded = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"),
            *("--dest", str(into), f"ansible=={ANSIBLE_VERSION}"),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if downloaded.returncode != 0:
        raise DeployError(
            f"the Ansible collections the roles use ({', '.join(COLLECTIONS)}) are not installed, and "
            f"`pip download ansible=={ANSIBLE_VERSION}` failed: {downloaded.stderr.strip()[-1500:]}. Install them "
            f"beside the tool: `pipx inject openedx-deploy ansible=={ANSIBLE_VERSION}`"
        )


def provide(cache: Path | None = None, download: Callable[[Path], None] = pip_download) -> Path | None:
    """The directory to put on ANSIBLE_COLLECTIONS_PATH, or None when the collections are importable already.
    Downloads and extracts them on first use; a half-done extraction is never used (renamed into place)."""
    if importable():
        return None
    target = collections_dir(cache)
    if (target / "ansible_collections").is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="download-", dir=target.parent) as work:
        download(Path(work))
        wheels = sorted(Path(work).glob("ansible-*.whl"))
        if not wheels:
            raise DeployError(f"no ansible=={ANSIBLE_VERSION} wheel was downloaded")
        staging = Path(work) / "tree"
        extract(wheels[0], staging)
        try:
            staging.rename(target)
        except OSError:
            if not (target / "ansible_collections").is_dir():  # unless another run got there first
                raise
    return target


def collections_env(cache: Path | None = None) -> dict[str, str]:
    """Ansible's setting for the collections: nothing when they are installed, else their extracted directory first
    (before any the operator set)."""
    found = provide(cache)
    if not found:
        return {}
    theirs = os.environ.get("ANSIBLE_COLLECTIONS_PATH")
    return {"ANSIBLE_COLLECTIONS_PATH": os.pathsep.join([str(found), *([theirs] if theirs else [])])}
