"""The cloud SDKs and the load test's engine are optional extras (`openedx-deploy[aws]`, `[gcp]`, `[azure]`, `[all]`,
`[loadtest]`): the core tool renders every cloud and deploys the local target without them. Code that needs one asks
for its extra here first, so a missing package is a message naming the extra to install, not an ImportError."""

from __future__ import annotations

import os
from importlib.util import find_spec

from .errors import UsageError

# The modules each extra brings, as this package imports them (keep in step with pyproject.toml's extras).
CLOUD_SDK_MODULES: dict[str, tuple[str, ...]] = {
    "aws": ("boto3", "botocore"),
    "gcp": ("google.auth", "google.cloud.compute_v1", "google.cloud.storage"),
    "azure": ("azure.identity", "azure.mgmt.compute", "azure.storage.blob"),
}
LOADTEST_MODULES = ("locust", "matplotlib")
GCP_PROJECT_ENVS = ("GOOGLE_CLOUD_PROJECT", "GOOGLE_PROJECT")
AZURE_SUBSCRIPTION_ENVS = ("AZURE_SUBSCRIPTION_ID", "ARM_SUBSCRIPTION_ID")


def gcp_project(configured: str | None, credentials_project: str | None = None) -> str | None:
    """The project the tool's own Google calls (preflight, snapshots, backups) work in: the environment file's
    `project`, which the stack and its provider block use, else GOOGLE_CLOUD_PROJECT / GOOGLE_PROJECT, else the
    credentials' own. A service account may manage a project other than its own: calls in the credentials' project
    would check and snapshot the wrong one."""
    ambient = next((os.environ[n] for n in GCP_PROJECT_ENVS if os.environ.get(n)), None)
    return configured or ambient or credentials_project


def azure_subscription(configured: str | None) -> str | None:
    """The subscription of the tool's own Azure calls: the environment file's `subscription_id` (the provider
    block's), else AZURE_SUBSCRIPTION_ID / ARM_SUBSCRIPTION_ID."""
    return configured or next((os.environ[n] for n in AZURE_SUBSCRIPTION_ENVS if os.environ.get(n)), None)


def _importable(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:  # a missing parent package (`google` for `google.cloud.storage`)
        return False


def require_cloud_sdk(cloud: str) -> None:
    """Raises a UsageError naming the extra when `cloud`'s SDK is not installed; nothing for the local target."""
    modules = CLOUD_SDK_MODULES.get(cloud)
    if modules is None:
        return
    _require_extra(cloud, modules, f"talking to {cloud}")


def require_loadtest() -> None:
    """Raises a UsageError naming the `loadtest` extra when Locust or matplotlib is not installed."""
    _require_extra("loadtest", LOADTEST_MODULES, "`loadtest`")


def _require_extra(extra: str, modules: tuple[str, ...], what: str) -> None:
    missing = [m for m in modules if not _importable(m)]
    if missing:
        raise UsageError(
            f"{what} needs the `{extra}` extra, which is not installed ({', '.join(missing)} missing): "
            f"pipx install 'openedx-deploy[{extra}]' (or `pipx inject openedx-deploy "
            f"'openedx-deploy[{extra}]'`; with pip: pip install 'openedx-deploy[{extra}]')"
        )
