"""The cloud SDKs are optional extras (`openedx-deploy[aws]`, `[gcp]`, `[azure]`, `[all]`): the core tool renders every
cloud and deploys the local target without them. Code that calls a cloud's API asks for its extra here first, so a
missing SDK is a message naming the extra to install, not an ImportError."""

from __future__ import annotations

from importlib.util import find_spec

from .errors import UsageError

# The modules each extra brings, as this package imports them (keep in step with pyproject.toml's extras).
CLOUD_SDK_MODULES: dict[str, tuple[str, ...]] = {
    "aws": ("boto3", "botocore"),
    "gcp": ("google.auth", "google.cloud.compute_v1", "google.cloud.storage"),
    "azure": ("azure.identity", "azure.mgmt.compute", "azure.storage.blob"),
}


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
    missing = [m for m in modules if not _importable(m)]
    if missing:
        raise UsageError(
            f"talking to {cloud} needs the `{cloud}` extra, which is not installed ({', '.join(missing)} missing): "
            f"pipx install 'openedx-deploy[{cloud}]' (or `pipx inject openedx-deploy "
            f"'openedx-deploy[{cloud}]'`; with pip: pip install 'openedx-deploy[{cloud}]')"
        )
