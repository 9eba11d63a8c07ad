"""A test double of the LMS endpoints the load test's learner mix calls: a stdlib HTTPS server on loopback, for
tests/test_loadtest.py. It imitates what the mix depends on, not the platform:

- `/`, `/courses` (lms/urls.py: branding views `index` and `courses`) and `/login`
  (openedx/core/djangoapps/user_authn/urls.py, the login page): HTML; `/login` sets the `csrftoken` cookie;
- `/csrf/api/v1/token` (edx-drf-extensions csrf/api/v1/urls.py, included by lms/urls.py): `{"csrfToken": ...}`;
- `POST /api/user/v2/account/login_session/` (openedx/core/djangoapps/user_authn/urls_common.py): checks the CSRF
  header against the cookie and the form's credentials, sets `sessionid`, answers `{"success": true}`, else 400/403;
- `/logout` (user_authn/urls_common.py): drops the session;
- `/api/user/v1/me` (openedx/core/djangoapps/user_api/urls.py): 401 without a session, the username with one;
- `/api/mfe_config/v1` (lms/urls.py, lms/djangoapps/mfe_config_api), `/api/courses/v1/courses/`
  (lms/djangoapps/course_api/urls.py), `/heartbeat` (lms/urls.py, openedx/core/djangoapps/heartbeat): JSON.

`failing` paths answer 500; every answer waits `delay_s`, so response times are not all zero.
"""

from __future__ import annotations

import http.server
import json
import secrets
import ssl
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

LEARNER, PASSWORD = "learner@example.org", "correct horse battery staple"


class LmsDouble:
    def __init__(self, cert: Path, key: Path, delay_s: float = 0.01, failing: tuple[str, ...] = ()) -> None:
        self.delay_s, self.failing = delay_s, failing
        self.requests: Counter[str] = Counter()  # "GET /path": how many
        self.hosts: set[str] = set()  # the Host headers seen
        self.sessions: set[str] = set()
        self.logins = 0
        self._lock = threading.Lock()
        double = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the platform's proxy

            def do_GET(self) -> None:
                double.answer(self, "GET")

            def do_POST(self) -> None:
                double.answer(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LmsDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, handler: http.server.BaseHTTPRequestHandler, method: str) -> None:
        path = handler.path.split("?")[0]
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        cookies = dict(
            part.strip().split("=", 1) for part in (handler.headers.get("Cookie") or "").split(";") if "=" in part
        )
        with self._lock:
            self.requests[f"{method} {path}"] += 1
            self.hosts.add(handler.headers.get("Host", ""))
        time.sleep(self.delay_s)
        status, payload, headers = self.route(method, path, body, cookies, handler.headers)
        data = payload.encode()
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Content-Type", "application/json" if payload.startswith("{") else "text/html")
        for name, value in headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def route(
        self, method: str, path: str, body: str, cookies: dict[str, str], headers: Any
    ) -> tuple[int, str, list[tuple[str, str]]]:
        if path in self.failing:
            return 500, "<h1>Server Error</h1>", []
        signed_in = cookies.get("sessionid") in self.sessions
        if method == "GET" and path in ("/", "/courses"):
            return 200, "<html>courses</html>", []
        if method == "GET" and path == "/login":
            return 200, "<html>sign in</html>", [("Set-Cookie", f"csrftoken={secrets.token_hex(16)}; Path=/; Secure")]
        if method == "GET" and path == "/csrf/api/v1/token":
            token = cookies.get("csrftoken") or secrets.token_hex(16)
            return 200, json.dumps({"csrfToken": token}), [("Set-Cookie", f"csrftoken={token}; Path=/; Secure")]
        if method == "POST" and path == "/api/user/v2/account/login_session/":
            if not cookies.get("csrftoken") or headers.get("X-CSRFToken") != cookies.get("csrftoken"):
                return 403, "<h1>CSRF verification failed</h1>", []
            form = {k: v[0] for k, v in parse_qs(body).items()}
            if form.get("email_or_username") != LEARNER or form.get("password") != PASSWORD:
                return 400, json.dumps({"success": False, "value": "Email or password is incorrect."}), []
            session = secrets.token_hex(16)
            with self._lock:
                self.sessions.add(session)
                self.logins += 1
            return 200, json.dumps({"success": True}), [("Set-Cookie", f"sessionid={session}; Path=/; Secure")]
        if method == "GET" and path == "/logout":
            return 200, "<html>signed out</html>", [("Set-Cookie", "sessionid=; Path=/; Max-Age=0")]
        if method == "GET" and path == "/api/user/v1/me":
            return (200, json.dumps({"username": "learner"}), []) if signed_in else (401, "{}", [])
        if method == "GET" and path in ("/api/mfe_config/v1", "/api/courses/v1/courses/"):
            return 200, json.dumps({"results": []}), []
        if method == "GET" and path == "/heartbeat":
            return 200, json.dumps({"mysql": {"status": "ok"}}), []
        return 404, "<h1>Not Found</h1>", []
