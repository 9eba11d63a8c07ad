"""MFE server of the Open edX contract test double: what Caddy in the real openedx-mfe image does with the Caddyfile
roles/mfe mounts at /etc/caddy/Caddyfile.

The real image (tutor-mfe's build/mfe/Dockerfile: Caddy plus the bundles under /openedx/dist/<app>) brings no
configuration of its own, so this server refuses to start without a Caddyfile. It reads the directives that
Caddyfile uses and nothing else: the `:<port>` site address, `bind`, the `@course_authoring` redirect, the `@mfe`
path_regexp whose first group names the app (files under /openedx/dist, else the app's index.html) and the
catch-all `handle` serving the frontend-base site bundle (/openedx/dist/site, else 404).
"""

from __future__ import annotations

import http.server
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

CADDYFILE = Path(os.environ.get("OPENEDX_DOUBLE_CADDYFILE", "/etc/caddy/Caddyfile"))
DIST = Path(os.environ.get("OPENEDX_DOUBLE_MFE_DIST", "/openedx/dist"))


class CaddyfileError(ValueError):
    """The Caddyfile lacks what the real image needs to serve the MFEs."""


@dataclass(frozen=True)
class Site:
    port: int
    bind: str
    apps: re.Pattern[str]
    authoring_redirect: bool


def parse_caddyfile(text: str) -> Site:
    port = re.search(r"^:(\d+)\s*\{", text, re.M)
    if not port:
        raise CaddyfileError("no `:<port> {` site block: Caddy would serve nothing on the MFE port")
    bind = re.search(r"^\s*bind\s+(\S+)\s*$", text, re.M)
    apps = re.search(r"^\s*@mfe\s+path_regexp\s+mfe\s+(\S+)\s*$", text, re.M)
    if not apps:
        raise CaddyfileError("no `@mfe path_regexp mfe ^/(<app>|...)(/.*)?$` matcher: no app would be served")
    return Site(
        port=int(port.group(1)),
        bind=bind.group(1) if bind else "0.0.0.0",  # noqa: S104 - Caddy without `bind` listens on every interface
        apps=re.compile(apps.group(1)),
        authoring_redirect="redir @course_authoring /authoring/" in text,
    )


def resolve(site: Site, path: str, dist: Path = DIST) -> tuple[int, Path | str | None]:
    """(200, file) to serve, (301, location) to redirect, or (404, None), as the Caddyfile's handlers decide."""
    path = path.split("?", 1)[0]
    if ".." in path.split("/"):
        return 404, None
    authoring = re.match(r"^/course-authoring/(.*)$", path)
    if site.authoring_redirect and authoring:
        return 301, f"/authoring/{authoring.group(1)}"
    app = site.apps.match(path)
    # try_files {path} <fallback>: the file, or a directory's index.html, else the fallback, else 404.
    root, relative, fallback = (
        (dist, path, f"/{app.group(1)}/index.html") if app else (dist / "site", path, "/index.html")
    )
    for candidate in (relative, fallback):
        target = root / candidate.lstrip("/")
        if target.is_dir() and candidate.endswith("/"):
            target = target / "index.html"
        if target.is_file():
            return 200, target
    return 404, None


def serve(site: Site, dist: Path = DIST) -> None:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, found = resolve(site, self.path, dist)
            if status == 301:
                self.send_response(301)
                self.send_header("Location", str(found))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = found.read_bytes() if isinstance(found, Path) else b""
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8" if status == 200 else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    http.server.ThreadingHTTPServer((site.bind, site.port), Handler).serve_forever()


def main() -> int:
    try:
        site = parse_caddyfile(CADDYFILE.read_text())
    except OSError:
        print(
            f"openedx-double mfe: no {CADDYFILE}: the real openedx-mfe image runs Caddy's stock configuration"
            " (:80, /usr/share/caddy) and serves no MFE; mount a Caddyfile (roles/mfe does)",
            file=sys.stderr,
        )
        return 1
    except CaddyfileError as error:
        print(f"openedx-double mfe: {CADDYFILE}: {error}", file=sys.stderr)
        return 1
    serve(site)
    return 0


if __name__ == "__main__":
    sys.exit(main())
