"""The zero-downtime benchmark's load generator against loopback servers that fail some requests on purpose, hang
one past the timeout and pause once; the gap arithmetic on its own with made-up records."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_health import self_signed

from openedx_deploy.loadgen import LoadGenerator, LoadGeneratorError, RequestRecord, summarize

PAUSE_S = 1.0
TIMEOUT_S = 2.0  # longer than the pause, so paused requests are slow, not failed
HANG_S = TIMEOUT_S + 0.5


class Script:
    """What the server does with its n-th request (1-based): every 7th answers 503, the `hang_at`-th hangs past the
    client's timeout, and the `pause_at`-th starts a pause of PAUSE_S during which no request is answered."""

    def __init__(self, hang_at: int | None = 5, pause_at: int | None = 40) -> None:
        self.hang_at = hang_at
        self.pause_at = pause_at
        self.lock = threading.Lock()
        self.count = 0
        self.answered: dict[int, int] = {}
        self.hosts: set[str] = set()
        self.paused_until = 0.0

    def next(self, host: str) -> tuple[int, float]:
        """Status to answer and seconds to wait first."""
        with self.lock:
            self.count += 1
            number = self.count
            self.hosts.add(host)
            now = time.monotonic()
            if number == self.pause_at:
                self.paused_until = now + PAUSE_S
            wait = max(self.paused_until - now, 0.0)
            if number == self.hang_at:
                return 200, HANG_S
            status = 503 if number % 7 == 0 else 200
            # Counted before answering: the client may see the answer before this thread runs again.
            self.answered[status] = self.answered.get(status, 0) + 1
        return status, wait


def make_server(script: Script, tls: ssl.SSLContext | None = None) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, wait = script.next(self.headers.get("Host", ""))
            time.sleep(wait)
            body = b'{"mysql": {"status": "ok"}}' if status == 200 else b'{"double": "failing on purpose"}'
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the hung request's client gave up
                return

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    return server


@pytest.fixture
def serve() -> Iterator[list[http.server.ThreadingHTTPServer]]:
    servers: list[http.server.ThreadingHTTPServer] = []
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


def start(servers: list[http.server.ThreadingHTTPServer], server: http.server.ThreadingHTTPServer) -> int:
    servers.append(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return int(server.server_address[1])


def run_until(generator: LoadGenerator, script: Script, requests: int, deadline_s: float = 30) -> None:
    generator.start()
    deadline = time.monotonic() + deadline_s
    while script.count < requests and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # some answers after the pause, so it is not the trailing gap


def test_counts_failures_by_reason_and_measures_the_pause(serve: list[http.server.ThreadingHTTPServer]) -> None:
    script = Script()
    port = start(serve, make_server(script))
    generator = LoadGenerator("127.0.0.1", "learn.example.org", workers=3, timeout=TIMEOUT_S, scheme="http", port=port)
    run_until(generator, script, 120)
    report = generator.stop()

    assert report.sent == script.count >= 120
    assert report.failures.get("TimeoutError") == 1  # the 5th request
    assert report.failures.get("HTTP 503") == script.answered[503]
    assert report.failed == 1 + script.answered[503]
    assert report.ok == script.answered[200] == report.sent - report.failed
    assert set(report.failures) == {"TimeoutError", "HTTP 503"}
    # The pause stops every answer for PAUSE_S; nothing else comes near it (generous upper bound: a busy machine).
    assert PAUSE_S - 0.1 <= report.longest_gap_s <= PAUSE_S + 2.0
    assert report.longest_gap_start_s > 0
    assert report.first_failure_s is not None and report.last_failure_s is not None
    assert 0 < report.first_failure_s <= report.last_failure_s <= report.duration_s + TIMEOUT_S
    assert report.requests_per_s > 0
    assert report.max_latency_s >= TIMEOUT_S - 0.05
    assert script.hosts == {"learn.example.org"}
    document = report.to_dict()
    assert document["sent"] == report.sent and document["failures"] == report.failures


def test_https_without_verification_and_the_host_header(
    serve: list[http.server.ThreadingHTTPServer], tmp_path: Path
) -> None:
    script = Script(hang_at=None, pause_at=None)
    port = start(serve, make_server(script, tls=self_signed_context(tmp_path)))
    generator = LoadGenerator("127.0.0.1", "learn.example.org", path="/heartbeat", workers=2, port=port)
    run_until(generator, script, 60)
    report = generator.stop()
    assert report.url == f"https://127.0.0.1:{port}/heartbeat"
    assert report.ok > 0
    assert report.failures == {"HTTP 503": script.answered[503]}
    assert script.hosts == {"learn.example.org"}


def test_unreachable_address_fails_every_request_and_the_gap_is_the_whole_run() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    generator = LoadGenerator("127.0.0.1", "learn.example.org", workers=2, timeout=1, scheme="http", port=port)
    generator.start()
    with pytest.raises(LoadGeneratorError, match="already started"):
        generator.start()
    time.sleep(0.3)
    report = generator.stop()
    assert report.sent > 0 and report.ok == 0
    assert report.failures == {"ConnectionRefusedError": report.sent}
    assert report.longest_gap_s == report.duration_s


def test_stop_before_start_and_bad_arguments_are_refused() -> None:
    generator = LoadGenerator("127.0.0.1", "learn.example.org", scheme="http", port=9)
    with pytest.raises(LoadGeneratorError):
        generator.stop()
    assert generator.started_at is None
    with pytest.raises(ValueError, match="scheme"):
        LoadGenerator("127.0.0.1", "learn.example.org", scheme="ftp")
    with pytest.raises(ValueError, match="workers"):
        LoadGenerator("127.0.0.1", "learn.example.org", workers=0)


def test_summarize_gap_across_workers() -> None:
    records = [
        RequestRecord(0.0, 0.5, ok=True),
        RequestRecord(0.1, 0.9, ok=False, reason="HTTP 502"),
        RequestRecord(0.6, 1.0, ok=True),
        RequestRecord(1.0, 3.5, ok=False, reason="TimeoutError"),
        RequestRecord(1.1, 4.0, ok=True),  # another worker: the gap is 1.0 -> 4.0
        RequestRecord(4.0, 4.2, ok=True),
        RequestRecord(4.1, 4.3, ok=False, reason="HTTP 502"),
    ]
    report = summarize(records, started=0.0, stopped=5.0, url="http://x/heartbeat", host_header="x", workers=2)
    assert (report.sent, report.ok, report.failed) == (7, 4, 3)
    assert report.failures == {"HTTP 502": 2, "TimeoutError": 1}
    assert report.longest_gap_s == 3.0
    assert report.longest_gap_start_s == 1.0
    assert report.requests_per_s == 1.4
    assert report.max_latency_s == 2.9
    assert (report.first_failure_s, report.last_failure_s) == (0.9, 4.3)


def test_summarize_counts_the_edges_of_the_run() -> None:
    tail = summarize([RequestRecord(0.0, 0.2, ok=True)], 0.0, 10.0, "u", "h", 1)
    assert (tail.longest_gap_s, tail.longest_gap_start_s) == (9.8, 0.2)
    head = summarize([RequestRecord(0.0, 6.0, ok=True), RequestRecord(6.0, 6.5, ok=True)], 0.0, 7.0, "u", "h", 1)
    assert (head.longest_gap_s, head.longest_gap_start_s) == (6.0, 0.0)
    empty = summarize([], 0.0, 2.0, "u", "h", 1)
    assert (empty.sent, empty.longest_gap_s, empty.requests_per_s) == (0, 2.0, 0.0)
    assert (empty.first_failure_s, empty.last_failure_s) == (None, None)


def self_signed_context(tmp_path: Path) -> ssl.SSLContext:
    cert_file, key_file = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context
