"""Which build of the Open edX contract test double is running, and how it was built to behave.

scripts/build-double-image sets these through the Containerfile's ARGs (baked into ENV), so a test can tell two
images apart by what they answer, e.g. that the old image serves again after a rolled-back upgrade.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from openedx_double import config as cfg

VARIANT_ENV = "OPENEDX_DOUBLE_VARIANT"
BUILD_ENV = "OPENEDX_DOUBLE_BUILD"
HEARTBEAT_ENV = "OPENEDX_DOUBLE_HEARTBEAT"
# "fail": the LMS/CMS /heartbeat answers 503 whatever the stores say; migrations, jobs and workers still work.
HEARTBEAT_MODES = ("ok", "fail")

HEADER = "X-Openedx-Double-Image"
BODY_KEY = "double_image"
FAILED_HEARTBEAT_MESSAGE = "built to fail its heartbeat"


@dataclass(frozen=True)
class BuildInfo:
    variant: str = "default"
    build: str = "unknown"
    heartbeat: str = "ok"

    @property
    def fails_heartbeat(self) -> bool:
        return self.heartbeat == "fail"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    def header_value(self) -> str:
        return f"variant={self.variant}; build={self.build}; heartbeat={self.heartbeat}"


def build_info(environ: Mapping[str, str] | None = None) -> BuildInfo:
    """The build baked into the image; an unknown heartbeat mode refuses to start rather than guess."""
    env = os.environ if environ is None else environ
    default = BuildInfo()
    heartbeat = env.get(HEARTBEAT_ENV) or default.heartbeat
    if heartbeat not in HEARTBEAT_MODES:
        raise cfg.ConfigError(f"{HEARTBEAT_ENV}={heartbeat!r}: expected one of {', '.join(HEARTBEAT_MODES)}")
    return BuildInfo(
        variant=env.get(VARIANT_ENV) or default.variant,
        build=env.get(BUILD_ENV) or default.build,
        heartbeat=heartbeat,
    )
