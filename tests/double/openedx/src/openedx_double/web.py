"""WSGI application of the Open edX contract test double (what lms.wsgi / cms.wsgi expose as `application`)."""

from __future__ import annotations

import json
import secrets
import sys
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from openedx_double import build, heartbeat
from openedx_double import config as cfg

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

REASONS = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}


# The LMS's anonymous routes that `openedx-deploy loadtest` visits (docs/loadtest.md cites edx-platform for each):
# answered in the platform's shape, without its content (no course exists in the double).
CATALOG_PAGE = "/courses"  # lms/urls.py: branding views `courses`
COURSE_LIST_API = "/api/courses/v1/courses/"  # lms/djangoapps/course_api/urls.py: CourseListView, paginated
CSRF_TOKEN_API = "/csrf/api/v1/token"  # edx-drf-extensions csrf/api/v1: {"csrfToken": ...}


def _respond(
    start_response: StartResponse,
    status: int,
    body: Any,
    content_type: str,
    image: build.BuildInfo,
    headers: Iterable[tuple[str, str]] = (),
) -> list[bytes]:
    payload = body if isinstance(body, bytes) else json.dumps(body, sort_keys=True).encode()
    start_response(
        f"{status} {REASONS[status]}",
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(payload))),
            ("Cache-Control", "no-cache"),
            (build.HEADER, image.header_value()),
            *headers,
        ],
    )
    return [payload]


def build_application(
    name: str,
    checks_factory: Callable[[], Mapping[str, heartbeat.Check]],
    image: build.BuildInfo | None = None,
    fail_heartbeat: bool = False,
    mfe_config: Mapping[str, Any] | None = None,
) -> WsgiApp:
    """The web app; `fail_heartbeat` (the broken-heartbeat build) answers 503 without asking the stores.

    `mfe_config` (the LMS with ENABLE_MFE_CONFIG_API) is what /api/mfe_config/v1 answers, as edx-platform's
    lms/djangoapps/mfe_config_api/views.py does: MFE_CONFIG with MFE_CONFIG_OVERRIDES[<?mfe=>] on top; without it
    that path is a 404 like any other. The LMS also answers the anonymous routes of the load test's mix (the catalog
    page, the course list API, the CSRF token API); it has no sign-in.
    """
    image = image or build.BuildInfo()

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path.rstrip("/") == "/heartbeat":
            body: dict[str, Any]
            if fail_heartbeat:
                status, body = 503, {"double": build.FAILED_HEARTBEAT_MESSAGE}
            else:
                status, body = heartbeat.run(checks_factory())
            # Not a store (no "status" key), so heartbeat readers that look at the stores pass over it.
            body[build.BODY_KEY] = image.to_dict()
            return _respond(start_response, status, body, "application/json", image)
        if mfe_config is not None and path.rstrip("/") == "/api/mfe_config/v1":
            query = urllib.parse.parse_qs(environ.get("QUERY_STRING") or "")
            app = (query.get("mfe") or [""])[0]
            body = {**mfe_config.get("MFE_CONFIG", {}), **mfe_config.get("MFE_CONFIG_OVERRIDES", {}).get(app, {})}
            return _respond(start_response, 200, body, "application/json", image)
        if path == "/":
            text = f"{name}: contract test double of the Open edX image, not Open edX\n".encode()
            return _respond(start_response, 200, text, "text/plain; charset=utf-8", image)
        if name == "lms" and path.rstrip("/") == CATALOG_PAGE:
            text = b"<html><body>lms: the course catalog of a contract test double, no courses</body></html>\n"
            return _respond(start_response, 200, text, "text/html; charset=utf-8", image)
        if name == "lms" and path == COURSE_LIST_API:
            pages = {"count": 0, "num_pages": 1, "next": None, "previous": None}
            return _respond(start_response, 200, {"results": [], "pagination": pages}, "application/json", image)
        if name == "lms" and path == CSRF_TOKEN_API:
            token = secrets.token_urlsafe(32)
            cookie = ("Set-Cookie", f"csrftoken={token}; Path=/; Secure; SameSite=Lax")
            return _respond(start_response, 200, {"csrfToken": token}, "application/json", image, [cookie])
        return _respond(start_response, 404, {"error": "not found", "path": path}, "application/json", image)

    return application


def make_application(service: str) -> WsgiApp:
    """Load the service's YAML at import time, so a bad configuration stops the web process from starting."""
    try:
        config = cfg.load_config(service)
        cfg.load_settings_module(service)
        image = build.build_info()
    except cfg.ConfigError as exc:
        print(f"openedx-double {service}: refusing to start: {exc}", file=sys.stderr, flush=True)
        raise
    api = service == "lms" and config.get("ENABLE_MFE_CONFIG_API") is True
    return build_application(
        service,
        lambda: heartbeat.configured_checks(config),
        image=image,
        fail_heartbeat=image.fails_heartbeat,
        mfe_config={key: config.get(key) or {} for key in ("MFE_CONFIG", "MFE_CONFIG_OVERRIDES")} if api else None,
    )
