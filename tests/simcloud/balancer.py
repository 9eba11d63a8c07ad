"""TEST DOUBLE: a simulated cloud load balancer, one process per balancer, run in a podman container on the
simulated internet and the VPC's network (tests/simcloud/hook.py starts it for an `aws_lb`).

It serves the listeners its configuration file names, re-read every second (the hook rewrites it as Terraform
creates listeners, target groups and attachments), with the Python standard library only (it runs on the hosts'
base image):

* `HTTP` with a redirect action: answers every request with the redirect (an ALB's HTTP -> HTTPS listener);
* `HTTPS` with a forward action: terminates TLS with the listener's certificate (here one a simulated CA issued for
  the ACM certificate's names) and forwards each request over plain HTTP to a target, adding X-Forwarded-For,
  -Proto and -Port as an ALB does;
* `TCP` with a forward action: passes the connection through unchanged (a Network Load Balancer).

Copied from: Elastic Load Balancing User Guide, "Listeners for your Application Load Balancers" (redirect and
forward actions), "HTTP headers and Application Load Balancers" (X-Forwarded-*), and "Listeners for your Network
Load Balancers" (TCP passthrough). Where the real one fails, this fails: no target registered (or none answering)
is a 503 on HTTPS (an ALB's "503 Service Temporarily Unavailable") and a closed connection on TCP.

Usage: balancer.py CONFIG.json
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import http.server
import itertools
import json
import socket
import socketserver
import ssl
import sys
import threading
import time
from pathlib import Path
from typing import Any

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"}
_turn = itertools.count()


def load(config: Path) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = json.loads(config.read_text())
        return loaded
    except (OSError, ValueError):
        return {"listeners": {}}


def listener(config: Path, port: int) -> dict[str, Any]:
    found: dict[str, Any] = load(config)["listeners"].get(str(port), {})
    return found


def pick(targets: list[list[Any]]) -> tuple[str, int] | None:
    """Round robin over the registered targets."""
    if not targets:
        return None
    address, port = targets[next(_turn) % len(targets)]
    return str(address), int(port)


class Forward(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    config: Path
    port: int

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def _serve(self) -> None:
        current = listener(self.config, self.port)
        action = current.get("action", {})
        if action.get("type") == "redirect":
            host = (self.headers.get("Host") or "").split(":")[0]
            port = action.get("port", "443")
            location = f"{action.get('protocol', 'HTTPS').lower()}://{host}{'' if port == '443' else ':' + port}"
            self._answer(int(action.get("status_code", "HTTP_301").split("_")[-1]), location + self.path)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        target = pick(action.get("targets", []))
        if target is None:
            self._answer(503)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        client = self.client_address[0]
        forwarded = self.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{forwarded}, {client}" if forwarded else client
        headers["X-Forwarded-Proto"] = "https" if current.get("protocol") == "HTTPS" else "http"
        headers["X-Forwarded-Port"] = str(self.port)
        try:
            upstream = http.client.HTTPConnection(*target, timeout=60)
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            payload = answer.read()
        except OSError:
            self._answer(502)
            return
        self.send_response(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        upstream.close()

    def _answer(self, status: int, location: str = "") -> None:
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve_http(config: Path, port: int, protocol: str) -> None:
    handler = type("Handler", (Forward,), {"config": config, "port": port})
    server = Server(("0.0.0.0", port), handler)  # noqa: S104 - a load balancer listens on its addresses
    if protocol == "HTTPS":
        current = listener(config, port)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(current["certificate"], current["private_key"])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


def pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (sink, source):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def serve_tcp(config: Path, port: int) -> None:
    listening = socket.create_server(("0.0.0.0", port), reuse_port=True)  # noqa: S104
    while True:
        client, _ = listening.accept()
        target = pick(listener(config, port).get("action", {}).get("targets", []))
        if target is None:
            client.close()
            continue
        try:
            upstream = socket.create_connection(target, timeout=10)
        except OSError:
            client.close()
            continue
        upstream.settimeout(None)
        threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()


def main() -> None:
    config = Path(sys.argv[1])
    started: set[str] = set()
    while True:
        for port, current in load(config)["listeners"].items():
            if port in started:
                continue
            protocol = current.get("protocol", "TCP")
            if protocol == "TCP":
                run = functools.partial(serve_tcp, config, int(port))
            else:
                run = functools.partial(serve_http, config, int(port), protocol)
            threading.Thread(target=run, daemon=True).start()
            started.add(port)
        time.sleep(1)


if __name__ == "__main__":
    main()
