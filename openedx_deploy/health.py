"""Health checks: GET /heartbeat through the proxy, as a learner's browser would reach it (Host: the LMS domain).

Open edX's /heartbeat answers 200 with one entry per data store it checked, 503 when one fails; the status of
each store is what `up` reports and `status` shows.
"""

from __future__ import annotations

import http.client
import json
import ssl
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .errors import DeployError


@dataclass
class Heartbeat:
    target: str
    domain: str
    status: int | None = None
    stores: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def healthy(self) -> bool:
        return self.status == 200 and all(state == "ok" for state in self.stores.values())


def _store_states(body: str) -> dict[str, str]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    states = {}
    for name, value in data.items():
        if isinstance(value, dict) and "status" in value:
            states[name] = str(value["status"])
        elif isinstance(value, bool):
            states[name] = "ok" if value else "failed"
    return states


class _ServerNameHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to one address (a load balancer's DNS name or IP) that presents another name in the handshake: SNI and
    certificate verification use `server_name`, the site's domain, as a browser reaching the site would."""

    def __init__(self, address: str, port: int, server_name: str, context: ssl.SSLContext, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout, context=context)
        self._server_name = server_name
        self._tls_context = context

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._tls_context.wrap_socket(self.sock, server_hostname=self._server_name)


def check_heartbeat(
    target: str,
    domain: str,
    verify_tls: bool,
    port: int = 443,
    timeout: float = 10,
    tls: bool = True,
    ca_file: str | None = None,
) -> Heartbeat:
    """One request to https://target:port/heartbeat for the site `domain`: the TCP connection goes to `target` (the
    load balancer), while SNI, certificate verification and the Host header name `domain`. Plain HTTP with
    tls=False (an app host behind a load balancer, which ends TLS). `ca_file` adds a private CA to trust."""
    result = Heartbeat(target=target, domain=domain)
    connection: http.client.HTTPConnection
    if tls:
        # The local target and self-signed environments have no certificate a client could verify.
        context = (
            ssl.create_default_context(cafile=ca_file) if verify_tls else ssl._create_unverified_context()  # noqa: S323
        )
        connection = _ServerNameHTTPSConnection(target, port, domain, context, timeout)
    else:
        connection = http.client.HTTPConnection(target, port, timeout=timeout)
    try:
        connection.request("GET", "/heartbeat", headers={"Host": domain, "Accept": "application/json"})
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        result.status = response.status
        result.stores = _store_states(body)
    except (OSError, http.client.HTTPException) as exc:
        result.error = f"{exc.__class__.__name__}: {exc}"
    finally:
        connection.close()
    return result


# curl's arguments for check_heartbeat_on_host: the body, then the status code on a line of its own.
_CURL_STATUS = "\n%{http_code}"


def check_heartbeat_on_host(run: Callable[..., subprocess.CompletedProcess[str]], host: str, domain: str) -> Heartbeat:
    """The heartbeat of an app host behind a load balancer, asked on the host itself: its firewall admits the web port
    from the load balancer alone, so nothing else may ask it over the network. `run(*argv)` runs a command on the host
    (`podman exec` for the local target); curl asks the host's proxy on loopback with the site's Host header, plain
    HTTP as the load balancer does."""
    result = Heartbeat(target=f"{host} (on the host)", domain=domain)
    answer = run(
        "curl", "-sS", "--max-time", "10", "-H", f"Host: {domain}", "-H", "Accept: application/json",
        "-w", _CURL_STATUS, "http://127.0.0.1:80/heartbeat",
    )  # fmt: skip
    if answer.returncode != 0:
        said = (answer.stderr or "").strip().splitlines()
        result.error = said[-1] if said else f"curl exited {answer.returncode}"
        return result
    body, _, code = answer.stdout.rpartition("\n")
    result.status = int(code) if code.strip().isdigit() else None
    result.stores = _store_states(body)
    return result


def wait_healthy(
    target: str, domain: str, verify_tls: bool, timeout: float = 180, interval: float = 3, port: int = 443
) -> Heartbeat:
    """Poll until healthy or `timeout` seconds pass; returns the last answer either way."""
    deadline = time.monotonic() + timeout
    while True:
        beat = check_heartbeat(target, domain, verify_tls, port=port)
        if beat.healthy or time.monotonic() >= deadline:
            return beat
        time.sleep(interval)


def require_healthy(beats: Sequence[Heartbeat], what: str) -> None:
    """Raises unless every entry point answered its heartbeat healthy; `what` names the state reached."""
    if not beats:
        raise DeployError(f"{what}, but there is no entry point to check /heartbeat on")
    failing = [b for b in beats if not b.healthy]
    if failing:
        detail = "; ".join(f"{b.target}: {b.status or b.error} {b.stores}" for b in failing)
        raise DeployError(f"{what}, but not healthy: {detail}")
