"""WSGI application of the Open edX contract test double (what lms.wsgi / cms.wsgi expose as `application`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from openedx_double import config as cfg
from openedx_double import heartbeat

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

REASONS = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}


def _respond(start_response: StartResponse, status: int, body: Any, content_type: str) -> list[bytes]:
    payload = body if isinstance(body, bytes) else json.dumps(body, sort_keys=True).encode()
    start_response(
        f"{status} {REASONS[status]}",
        [("Content-Type", content_type), ("Content-Length", str(len(payload))), ("Cache-Control", "no-cache")],
    )
    return [payload]


def build_application(name: str, checks_factory: Callable[[], Mapping[str, heartbeat.Check]]) -> WsgiApp:
    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path.rstrip("/") == "/heartbeat":
            status, body = heartbeat.run(checks_factory())
            return _respond(start_response, status, body, "application/json")
        if path == "/":
            text = f"{name}: contract test double of the Open edX image, not Open edX\n".encode()
            return _respond(start_response, 200, text, "text/plain; charset=utf-8")
        return _respond(start_response, 404, {"error": "not found", "path": path}, "application/json")

    return application


def make_application(service: str) -> WsgiApp:
    """Load the service's YAML at import time, so a bad configuration stops the web process from starting."""
    try:
        config = cfg.load_config(service)
    except cfg.ConfigError as exc:
        print(f"openedx-double {service}: refusing to start: {exc}", file=sys.stderr, flush=True)
        raise
    return build_application(service, lambda: heartbeat.configured_checks(config))
