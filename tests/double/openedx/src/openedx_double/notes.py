"""Notes API variant of the Open edX contract test double (stands in for edx-notes-api: config YAML + /heartbeat).

edx-notes-api's yaml_config settings read $EDXNOTES_CONFIG_ROOT/edx_notes_api.yml; the double reads the same file.
"""

from __future__ import annotations

import os
import sys

import yaml

from openedx_double import build, heartbeat, web
from openedx_double import config as cfg

REQUIRED_KEYS = (
    "DATABASES.default.HOST",
    "DATABASES.default.NAME",
    "DATABASES.default.USER",
    "DATABASES.default.PASSWORD",
    "SECRET_KEY",
)


def load_notes_config() -> dict[str, object]:
    root = os.environ.get("EDXNOTES_CONFIG_ROOT")
    if not root:
        raise cfg.ConfigError("EDXNOTES_CONFIG_ROOT is not set: it must name the folder of edx_notes_api.yml")
    path = os.path.join(root, "edx_notes_api.yml")
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as exc:
        raise cfg.ConfigError(f"{path}: cannot read the configuration file: {exc.strerror}") from exc
    if not isinstance(data, dict):
        raise cfg.ConfigError(f"{path}: expected a YAML mapping at the top level")
    missing = [key for key in REQUIRED_KEYS if cfg.lookup(data, key) in (None, "")]
    if missing:
        raise cfg.ConfigError(f"{path}: missing required key(s): {', '.join(missing)}")
    return data


def make_application() -> web.WsgiApp:
    try:
        config = load_notes_config()
        image = build.build_info()
    except cfg.ConfigError as exc:
        print(f"openedx-double notes: refusing to start: {exc}", file=sys.stderr, flush=True)
        raise
    # The broken-heartbeat build fails the LMS/CMS heartbeat only; the notes API keeps answering.
    return web.build_application("notes", lambda: {"mysql": lambda: heartbeat.check_mysql(config)}, image=image)
