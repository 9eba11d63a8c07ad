"""The heartbeat check against a real HTTPS server on loopback (self-signed certificate made for the test)."""

from __future__ import annotations

import datetime
import http.server
import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from openedx_deploy.health import check_heartbeat, check_heartbeat_on_host, wait_healthy


def self_signed(tmp_path: Path, domain: str = "learn.example.org") -> tuple[Path, Path]:
    """A self-signed certificate for `domain` (subject and DNS SAN); it is its own CA for the verifying tests."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{domain}.pem", tmp_path / f"{domain}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture(params=["learn.example.org"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    """An HTTPS /heartbeat on loopback whose certificate names `request.param`; state["cert"] is that certificate."""
    cert, key = self_signed(tmp_path, request.param)
    state: dict[str, object] = {
        "code": 200,
        "body": {"mysql": {"status": "ok"}, "redis": {"status": "ok"}},
        "hosts": [],
        "server_names": [],
        "cert": str(cert),
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            assert isinstance(state["hosts"], list)
            state["hosts"].append(self.headers["Host"])
            payload = json.dumps(state["body"]).encode() if self.path == "/heartbeat" else b"{}"
            self.send_response(int(str(state["code"])) if self.path == "/heartbeat" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def remember_server_name(_socket: ssl.SSLSocket, server_name: str | None, _context: ssl.SSLContext) -> None:
        assert isinstance(state["server_names"], list)
        state["server_names"].append(server_name)

    context.sni_callback = remember_server_name
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], state
    httpd.shutdown()


def test_healthy_heartbeat_sends_the_lms_host_header(server: tuple[int, dict[str, object]]) -> None:
    port, state = server
    beat = check_heartbeat("127.0.0.1", "learn.example.org", verify_tls=False, port=port)
    assert beat.healthy and beat.stores == {"mysql": "ok", "redis": "ok"}
    assert state["hosts"] == ["learn.example.org"]


def test_a_failing_store_is_unhealthy_and_named(server: tuple[int, dict[str, object]]) -> None:
    port, state = server
    state["code"] = 503
    state["body"] = {"mysql": {"status": "ok"}, "redis": {"status": "error", "detail": "NOAUTH"}}
    beat = check_heartbeat("127.0.0.1", "learn.example.org", verify_tls=False, port=port)
    assert not beat.healthy and beat.status == 503 and beat.stores["redis"] == "error"


def test_verification_refuses_a_self_signed_certificate(server: tuple[int, dict[str, object]]) -> None:
    port, _ = server
    beat = check_heartbeat("127.0.0.1", "learn.example.org", verify_tls=True, port=port)
    assert not beat.healthy and "SSL" in beat.error


def test_nothing_listening_is_reported_not_raised() -> None:
    beat = wait_healthy("127.0.0.1", "learn.example.org", verify_tls=False, port=1, timeout=0)
    assert not beat.healthy and beat.error


def test_verification_against_the_load_balancer_address_uses_the_lms_domain(
    server: tuple[int, dict[str, object]],
) -> None:
    """The connection goes to an address (127.0.0.1, as a load balancer's DNS name would be), yet the certificate
    for the LMS domain verifies: SNI and the hostname check name the domain, not the address."""
    port, state = server
    beat = check_heartbeat("127.0.0.1", "learn.example.org", verify_tls=True, port=port, ca_file=str(state["cert"]))
    assert beat.healthy, beat.error
    assert state["server_names"] == ["learn.example.org"]
    assert state["hosts"] == ["learn.example.org"]


@pytest.mark.parametrize("server", ["other.example.org"], indirect=True)
def test_a_certificate_for_another_name_fails_verification(server: tuple[int, dict[str, object]]) -> None:
    port, state = server
    beat = check_heartbeat("127.0.0.1", "learn.example.org", verify_tls=True, port=port, ca_file=str(state["cert"]))
    assert not beat.healthy and "CERTIFICATE_VERIFY_FAILED" in beat.error
    assert "learn.example.org" in beat.error


def curl_answers(code: int, stdout: str = "", stderr: str = "") -> Any:
    """A stand-in for `podman exec <host>`: records the command and answers as curl would."""
    asked: list[tuple[str, ...]] = []

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        asked.append(argv)
        return subprocess.CompletedProcess(list(argv), code, stdout, stderr)

    run.asked = asked  # type: ignore[attr-defined]
    return run


def test_an_app_host_behind_the_load_balancer_is_asked_on_the_host_itself() -> None:
    run = curl_answers(0, '{"mysql": {"status": "ok"}, "rabbitmq": {"status": "ok"}}\n200')
    beat = check_heartbeat_on_host(run, "demo-app-1", "learn.example.org")
    assert beat.healthy and beat.stores == {"mysql": "ok", "rabbitmq": "ok"}
    (argv,) = run.asked
    assert argv[0] == "curl" and argv[-1] == "http://127.0.0.1:80/heartbeat" and "Host: learn.example.org" in argv


def test_a_failing_store_or_curl_on_the_host_is_not_healthy() -> None:
    failing = check_heartbeat_on_host(
        curl_answers(0, '{"mysql": {"status": "ok"}, "rabbitmq": {"status": "error"}}\n503'), "h", "d"
    )
    assert (failing.healthy, failing.status, failing.stores["rabbitmq"]) == (False, 503, "error")
    refused = check_heartbeat_on_host(curl_answers(7, "", "curl: (7) Failed to connect\n"), "h", "d")
    assert not refused.healthy and refused.error == "curl: (7) Failed to connect"
