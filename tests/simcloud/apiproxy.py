"""TEST DOUBLE machinery: the HTTPS proxy the simulated cloud APIs are served behind (gcpapi.py, azureapi.py).

No cloud API host resolves on this machine, and the SDKs take no endpoint setting the tool would have to pass, so
clients reach a simulated API through HTTPS_PROXY, as `requests` (under google-auth's and azure-core's transports)
sends it: `CONNECT host:443`. The proxy answers 200 for a host the API serves (an exact name, or `*.suffix` for one
more label, as Blob storage's `<account>.blob.core.windows.net`), ends TLS itself with a certificate for that host
from the simulation's CA (ca.py; chosen by SNI, a wildcard certificate for a pattern, as the clouds' own are) and
serves HTTP/1.1 on the stream, keep-alive; clients trust the CA through REQUESTS_CA_BUNDLE. A CONNECT to any other
host or port, or a plain proxy request, is refused (403) before anything is sent: it would never reach the cloud.

An API is an `Api` subclass: its `Routes` (host, method, path pattern -> handler), its `handle` (authentication and
its cloud's error shape around `dispatch`) and optionally `refusal` (which hosts to refuse, beyond the unknown).
"""

from __future__ import annotations

import http.server
import json
import os
import re
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any, ClassVar

# Run as a program: the simulation's CA is this directory's.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from ca import simulated_ca

Payload = dict[str, Any] | list[Any] | bytes | None
Reply = tuple[int, Payload, dict[str, str]]  # status, JSON (dict, list) or raw bytes, headers
Handler = Callable[..., Reply]


class BadBody(ValueError):
    """A request body that is not the JSON object the call needs; each API answers it in its own error shape."""


def host_matches(pattern: str, host: str) -> bool:
    """`host` is `pattern`, or `pattern` is `*.suffix` and `host` is one label (of letters, digits, '-') more."""
    if pattern.startswith("*."):
        label, _, rest = host.partition(".")
        return rest == pattern[2:] and bool(re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", label))
    return host == pattern


@dataclass
class Request:
    method: str
    host: str
    path: str
    query: dict[str, str]
    headers: Message
    body: bytes
    user: str = ""

    def header(self, name: str) -> str:
        return str(self.headers.get(name) or "")

    def json(self) -> dict[str, Any]:
        try:
            document = json.loads(self.body or b"{}")
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise BadBody(self.body[:200])
        return document


class Routes:
    """One API's route table: `@routes(host, method, pattern)` registers a handler, called with the pattern's groups
    (URL-decoded by the caller); a GET route also answers HEAD. `flags` apply to every pattern (ARM's paths are
    case-insensitive)."""

    def __init__(self, flags: int = 0) -> None:
        self.flags = flags
        self.table: list[tuple[str, str, re.Pattern[str], Handler]] = []

    def __call__(self, host: str, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.table.append((host, method, re.compile(pattern, self.flags), handler))
            return handler

        return register

    def match(self, request: Request) -> tuple[Handler, tuple[str, ...]] | None:
        wanted = "GET" if request.method == "HEAD" else request.method
        for host, method, pattern, handler in self.table:
            found = pattern.fullmatch(request.path)
            if found and method == wanted and host_matches(host, request.host):
                return handler, tuple(urllib.parse.unquote(group or "") for group in found.groups())
        return None


class Api:
    """A simulated API: the hosts it serves (names or `*.suffix` patterns: the certificates issued), its routes,
    and one lock its handlers run under (the server is threaded; state lives in the process; reentrant, so that
    `handle` may hold it around `dispatch`)."""

    routes: ClassVar[Routes]
    hosts: ClassVar[tuple[str, ...]]
    name: ClassVar[str]  # for the refusal and the log: "Google", "Azure"

    def __init__(self) -> None:
        self.lock = threading.RLock()

    def refusal(self, host: str, port: str) -> tuple[int, str] | None:
        """None to open a tunnel to host:port, else the proxy's (status, text)."""
        if port == "443" and any(host_matches(pattern, host) for pattern in self.hosts):
            return None
        return 403, f"not a simulated {self.name} API"

    def dispatch(self, request: Request) -> Reply | None:
        """The route's reply, or None when no route matches."""
        found = self.routes.match(request)
        if found is None:
            return None
        handler, groups = found
        with self.lock:
            return handler(self, request, *groups)

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError


class ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, api: Api, contexts: dict[str, ssl.SSLContext]) -> None:
        super().__init__(("127.0.0.1", port), Tunnel)
        self.api, self.contexts = api, contexts

    def context(self, host: str) -> ssl.SSLContext | None:
        return next((context for pattern, context in self.contexts.items() if host_matches(pattern, host)), None)


class Tunnel(socketserver.StreamRequestHandler):
    """One client connection: a CONNECT to a simulated API host, then TLS ended here and HTTP on the stream."""

    server: ProxyServer

    def handle(self) -> None:
        line = self.rfile.readline(65537).decode("latin-1")
        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
            pass
        method, target = [*line.split(), "", ""][:2]
        host, _, port = target.rpartition(":")
        host = host.lower()
        refused = self.server.api.refusal(host, port) if method == "CONNECT" else (403, "not a CONNECT")
        context = self.server.context(host)
        if refused or context is None:
            status, text = refused or (403, "no certificate")
            sys.stderr.write(f"refused ({status}): {line.strip()}\n")
            reason = http.server.BaseHTTPRequestHandler.responses.get(status, ("Refused",))[0]
            head = f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: text/plain\r\n"
            self.wfile.write(f"{head}Content-Length: {len(text)}\r\n\r\n{text}".encode())
            return
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a reply's head and body: no Nagle wait
        try:
            with context.wrap_socket(self.request, server_side=True) as tls:
                ApiHandler(tls, self.client_address, self.server, host)
        except OSError as error:  # a client that does not trust the CA, or that went away
            sys.stderr.write(f"{host}: {error}\n")


class ApiHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ProxyServer

    def __init__(self, request: Any, client_address: Any, server: ProxyServer, host: str) -> None:
        self.api_host = host
        super().__init__(request, client_address, server)

    def body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0], 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        return b"".join(chunks)

    def serve(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        request = Request(self.command, self.api_host, url.path, query, self.headers, self.body())
        status, payload, headers = self.server.api.handle(request)
        is_json = isinstance(payload, dict | list)
        data = json.dumps(payload).encode() if is_json else payload if isinstance(payload, bytes) else b""
        self.send_response(status)
        if is_json:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = serve

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.api_host} {format % args}\n")


def serve(api: Api, state_dir: Path, port: int, tls_name: str) -> None:
    """`api` behind the proxy on 127.0.0.1:`port`, with a certificate from the simulation's CA per host or pattern
    (kept in `state_dir/tls_name`), chosen by the name the client asks for (SNI)."""
    ca, tls_dir = simulated_ca(state_dir), state_dir / tls_name
    tls_dir.mkdir(parents=True, exist_ok=True)
    contexts = {}
    for host in api.hosts:
        chain, key = ca.issue([host])
        stem = host.replace("*", "wildcard")
        (tls_dir / f"{stem}.pem").write_text(chain)
        (tls_dir / f"{stem}.key").touch(mode=0o600)
        (tls_dir / f"{stem}.key").write_text(key)
        contexts[host] = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        contexts[host].minimum_version = ssl.TLSVersion.TLSv1_2
        contexts[host].load_cert_chain(tls_dir / f"{stem}.pem", tls_dir / f"{stem}.key")
    server = ProxyServer(port, api, contexts)

    def by_name(tls: ssl.SSLObject | ssl.SSLSocket, name: str | None, _: ssl.SSLContext) -> None:
        context = server.context((name or "").lower())
        if context is not None:
            tls.context = context

    for context in contexts.values():
        context.sni_callback = by_name
    sys.stderr.write(f"simulated {api.name} APIs: proxy on 127.0.0.1:{port}\n")
    server.serve_forever()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(command: list[str], directory: Path, log_name: str, ca_file: Path, probe_host: str) -> dict[str, str]:
    """Run `command` (a server: `--port P` is appended) in its own session (pid in DIR/api.pid, output in
    DIR/`log_name`), wait until the proxy answers an HTTPS request to `probe_host` through it (any HTTP status: the
    API is up), and return the proxy environment: HTTPS_PROXY/https_proxy, NO_PROXY/no_proxy (localhost, 127.0.0.1
    and SIM_INTERNET_CIDR, where the simulated hosts are), REQUESTS_CA_BUNDLE (the simulated CA)."""
    port = free_port()
    with (directory / log_name).open("w") as log:
        process = subprocess.Popen(
            [*command, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    (directory / "api.pid").write_text(str(process.pid))
    proxy = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"https": proxy}),
        urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=str(ca_file))),
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            opener.open(f"https://{probe_host}/", timeout=2).close()
            break
        except urllib.error.HTTPError:  # the API answered (an error status there): it is up
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the simulated API did not start: see {directory / log_name}") from None
            time.sleep(0.2)
    no_proxy = f"localhost,127.0.0.1,{os.environ.get('SIM_INTERNET_CIDR', '198.18.0.0/24')}"
    return {
        "HTTPS_PROXY": proxy,
        "https_proxy": proxy,
        "NO_PROXY": no_proxy,
        "no_proxy": no_proxy,
        "REQUESTS_CA_BUNDLE": str(ca_file),
    }
