"""Notes API variant of the Open edX contract test double (stands in for edx-notes-api: config YAML + /heartbeat).

edx-notes-api's yaml_config settings read $EDXNOTES_CONFIG_ROOT/edx_notes_api.yml; the double reads the same file.
Its /heartbeat answers as edx-notes-api's `notesserver/views.py` heartbeat decides: the database, then the search
backend its settings choose (`notesapi/v1/views/__init__.py`, `get_annotation_search_view_class`): Elasticsearch
unless ES_DISABLED (the settings' default: ELASTICSEARCH_DSL on 127.0.0.1:9200), Meilisearch when ES_DISABLED and
MEILISEARCH_ENABLED (its /health; MEILISEARCH_URL, default http://meilisearch:7700), else none (MySQL search).
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

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
# edx-notes-api's defaults (notesserver/settings/common.py; the Meilisearch client's default URL in
# notesapi/v1/views/meilisearch.py), at release/teak.3 to release/ulmo.1.
ELASTICSEARCH_DEFAULT_HOSTS = "127.0.0.1:9200"
MEILISEARCH_DEFAULT_URL = "http://meilisearch:7700"
TIMEOUT = 3


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


def search_backend(config: Mapping[str, Any]) -> str:
    """The search backend edx-notes-api's settings choose: elasticsearch, meilisearch or mysql."""
    if not config.get("ES_DISABLED", False):
        return "elasticsearch"
    return "meilisearch" if config.get("MEILISEARCH_ENABLED", False) else "mysql"


def check_meilisearch(config: Mapping[str, Any]) -> None:
    """The Meilisearch client's is_healthy(): GET <MEILISEARCH_URL>/health answers {"status": "available"}."""
    url = str(config.get("MEILISEARCH_URL") or MEILISEARCH_DEFAULT_URL).rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 - the configured server's URL
            status = json.loads(response.read() or b"{}").get("status")
    except (OSError, ValueError, urllib.error.URLError) as exc:
        raise RuntimeError(f"{url}: {exc}") from exc
    if status != "available":
        raise RuntimeError(f"{url} answered status {status!r}, not 'available'")


def check_elasticsearch(config: Mapping[str, Any]) -> None:
    """The Elasticsearch backend's heartbeat pings the cluster of ELASTICSEARCH_DSL (default 127.0.0.1:9200)."""
    dsl = config.get("ELASTICSEARCH_DSL") or {}
    hosts = (dsl.get("default") or {}).get("hosts", ELASTICSEARCH_DEFAULT_HOSTS) if isinstance(dsl, dict) else ""
    host = str(hosts[0] if isinstance(hosts, list) else hosts)
    url = host if host.startswith("http") else f"http://{host}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT):  # noqa: S310 - the configured cluster's URL
            pass
    except (OSError, urllib.error.URLError) as exc:
        raise RuntimeError(f"elasticsearch {url}: {exc}") from exc


def configured_checks(config: Mapping[str, Any]) -> dict[str, heartbeat.Check]:
    checks: dict[str, heartbeat.Check] = {"mysql": lambda: heartbeat.check_mysql(config)}
    backend = search_backend(config)
    if backend == "meilisearch":
        checks["meilisearch"] = lambda: check_meilisearch(config)
    elif backend == "elasticsearch":
        checks["elasticsearch"] = lambda: check_elasticsearch(config)
    return checks


def make_application() -> web.WsgiApp:
    try:
        config = load_notes_config()
        image = build.build_info()
    except cfg.ConfigError as exc:
        print(f"openedx-double notes: refusing to start: {exc}", file=sys.stderr, flush=True)
        raise
    # The broken-heartbeat build fails the LMS/CMS heartbeat only; the notes API keeps answering.
    return web.build_application("notes", lambda: configured_checks(config), image=image)
