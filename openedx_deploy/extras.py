"""The cloud SDKs and the load test's engine are optional extras (`openedx-deploy[aws]`, `[gcp]`, `[azure]`, `[all]`,
`[loadtest]`): the core tool renders every cloud and deploys the local target without them. Code that needs one asks
for its extra here first, so a missing package is a message naming the extra to install, not an ImportError."""

from __future__ import annotations

from importlib.util import find_spec

from .errors import UsageError

# The modules each extra brings, as this package imports them (keep in step with pyproject.toml's extras).
CLOUD_SDK_MODULES: dict[str, tuple[str, ...]] = {
    "aws": ("boto3", "botocore"),
    "gcp": ("google.auth", "google.cloud.compute_v1", "google.cloud.storage"),
    "azure": ("azure.identity", "azure.mgmt.compute", "azure.storage.blob"),
}
LOADTEST_MODULES = ("locust", "matplotlib")


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
