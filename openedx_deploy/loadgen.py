"""Load generator for the zero-downtime benchmark: worker threads GET one URL through the load balancer until
stopped, and the report says how many requests failed (and why) and the longest time without a successful answer.
"""

from __future__ import annotations

import http.client
import itertools
import ssl
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit


class LoadGeneratorError(Exception):
    """The generator was used out of order (stopped before started, started twice)."""


@dataclass(frozen=True)
class RequestRecord:
    """One request: monotonic start and end, whether it answered 200, and otherwise why not."""

    started: float
    ended: float
    ok: bool
    reason: str = ""


@dataclass
class LoadReport:
    url: str
    host_header: str
    workers: int
    duration_s: float
    sent: int
    ok: int
    failed: int
    failures: dict[str, int] = field(default_factory=dict)
    longest_gap_s: float = 0.0
    # When that gap began, in seconds after start(): lines it up with what else was happening.
    longest_gap_start_s: float = 0.0
    requests_per_s: float = 0.0
    max_latency_s: float = 0.0
    # When the first and the last failed request ended, in seconds after start(); None without failures.
    first_failure_s: float | None = None
    last_failure_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(
    records: Sequence[RequestRecord], started: float, stopped: float, url: str, host_header: str, workers: int
) -> LoadReport:
    """The report of a run that lasted from `started` to `stopped` (monotonic seconds).

    The gaps are measured between consecutive completions of successful requests, across all workers, with the
    run's start and stop as the outer edges: a run without any success has one gap, as long as the run.
    """
    duration = max(stopped - started, 0.0)
    failures = Counter(record.reason for record in records if not record.ok)
    edges = [started, *sorted(min(max(r.ended, started), stopped) for r in records if r.ok), stopped]
    longest, longest_start = 0.0, started
    for before, after in itertools.pairwise(edges):
        if after - before > longest:
            longest, longest_start = after - before, before
    ok = sum(1 for record in records if record.ok)
    failure_ends = sorted(record.ended - started for record in records if not record.ok)
    return LoadReport(
        url=url,
        host_header=host_header,
        workers=workers,
        duration_s=round(duration, 3),
        sent=len(records),
        ok=ok,
        failed=len(records) - ok,
        failures=dict(sorted(failures.items())),
        longest_gap_s=round(longest, 3),
        longest_gap_start_s=round(longest_start - started, 3),
        requests_per_s=round(len(records) / duration, 1) if duration > 0 else 0.0,
        max_latency_s=round(max((r.ended - r.started for r in records), default=0.0), 3),
        first_failure_s=round(failure_ends[0], 3) if failure_ends else None,
        last_failure_s=round(failure_ends[-1], 3) if failure_ends else None,
    )


class _SNIHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address, presenting the site's name in SNI as a browser would (http.client sends the address)."""

    def __init__(self, host: str, port: int, *, server_name: str, context: ssl.SSLContext, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._server_name = server_name
        self._tls_context = context

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._tls_context.wrap_socket(self.sock, server_hostname=self._server_name)


class LoadGenerator:
    """`workers` threads, each sending one GET after another (a new connection each, so every request goes through
    the load balancer's choice of backend) until stop(). TLS is not verified: the local load balancer's
    certificate is self-signed."""

    def __init__(
        self,
        address: str,
        host_header: str,
        path: str = "/heartbeat",
        workers: int = 4,
        timeout: float = 5.0,
        scheme: str = "https",
        port: int | None = None,
    ) -> None:
        if scheme not in ("http", "https"):
            raise ValueError(f"scheme must be http or https, not {scheme!r}")
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.address = address
        self.host_header = host_header
        self.path = path
        self.workers = workers
        self.timeout = timeout
        self.scheme = scheme
        self.port = port or (443 if scheme == "https" else 80)
        self.url = f"{scheme}://{address}:{self.port}{path}"
        self._server_name = urlsplit(f"//{host_header}").hostname or address
        self._context = ssl._create_unverified_context()  # noqa: S323 -- self-signed local load balancer
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._records: list[list[RequestRecord]] = []
        self._started: float | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return _SNIHTTPSConnection(
                self.address, self.port, server_name=self._server_name, context=self._context, timeout=self.timeout
            )
        return http.client.HTTPConnection(self.address, self.port, timeout=self.timeout)

    def request_once(self) -> RequestRecord:
        """One GET; any answer but 200, and any error (refused, reset, timeout, TLS), is a failure named by kind."""
        connection = self._connection()
        started = time.monotonic()
        try:
            connection.request("GET", self.path, headers={"Host": self.host_header, "Connection": "close"})
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            return RequestRecord(started, time.monotonic(), ok=False, reason=type(exc).__name__)
        finally:
            connection.close()
        ended = time.monotonic()
        return RequestRecord(started, ended, ok=status == 200, reason="" if status == 200 else f"HTTP {status}")

    def _work(self, records: list[RequestRecord]) -> None:
        # Each worker owns its list, so recording needs no lock.
        while not self._stopping.is_set():
            records.append(self.request_once())

    @property
    def started_at(self) -> float | None:
        """time.monotonic() at start(), to place other events on the report's time line."""
        return self._started

    def start(self) -> None:
        if self._started is not None:
            raise LoadGeneratorError("the load generator was already started")
        self._started = time.monotonic()
        for number in range(self.workers):
            records: list[RequestRecord] = []
            self._records.append(records)
            thread = threading.Thread(target=self._work, args=(records,), name=f"loadgen-{number}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self) -> LoadReport:
        """Stop sending; requests in flight finish (each within `timeout`) and count."""
        if self._started is None:
            raise LoadGeneratorError("the load generator was not started")
        stopped = time.monotonic()
        self._stopping.set()
        for thread in self._threads:
            thread.join()
        records = [record for worker in self._records for record in worker]
        return summarize(records, self._started, stopped, self.url, self.host_header, self.workers)
