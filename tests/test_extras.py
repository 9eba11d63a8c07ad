"""The cloud SDKs are extras: without one, every path that calls the cloud names the extra to install."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openedx_deploy import backupstore, extras, preflight, snapshots
from openedx_deploy.errors import UsageError
from openedx_deploy.paths import Workdir
from openedx_deploy.spec import parse_spec

DOMAINS = {"lms": "learn.example.org", "studio": "studio.example.org", "mfe": "apps.example.org"}


def spec_for(cloud: str) -> Any:
    return parse_spec({"name": f"extras-{cloud}", "cloud": cloud, "size": "standard", "domains": DOMAINS})


@pytest.fixture
def without(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Makes the named top-level packages look uninstalled to extras.require_cloud_sdk."""

    def hide(*packages: str) -> None:
        real = extras.find_spec

        def find_spec(name: str) -> Any:
            if name.split(".")[0] in packages:
                return None
            return real(name)

        monkeypatch.setattr(extras, "find_spec", find_spec)

    return hide


@pytest.mark.parametrize(("cloud", "package"), [("aws", "boto3"), ("gcp", "google"), ("azure", "azure")])
def test_preflight_names_the_missing_extra(without: Any, cloud: str, package: str) -> None:
    spec = spec_for(cloud)
    without(package)
    with pytest.raises(UsageError, match=rf"`{cloud}` extra.*openedx-deploy\[{cloud}\]"):
        preflight.run_preflight(spec)


@pytest.mark.parametrize(("cloud", "package"), [("aws", "botocore"), ("gcp", "google"), ("azure", "azure")])
def test_backup_store_and_snapshots_name_the_missing_extra(
    without: Any, tmp_path: Path, cloud: str, package: str
) -> None:
    spec = spec_for(cloud)
    without(package)
    outputs = {"buckets": {"backups": "account/backups" if cloud == "azure" else "backups"}}
    with pytest.raises(UsageError, match=rf"openedx-deploy\[{cloud}\]"):
        backupstore.store_for(spec, Workdir(tmp_path), outputs)
    with pytest.raises(UsageError, match=rf"openedx-deploy\[{cloud}\]"):
        snapshots._complete_clients(spec, None, listing=True)


def test_the_local_target_and_installed_sdks_need_nothing(tmp_path: Path) -> None:
    extras.require_cloud_sdk("local")
    for cloud in extras.CLOUD_SDK_MODULES:
        extras.require_cloud_sdk(cloud)  # the test venv has the `all` extra
