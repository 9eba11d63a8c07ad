"""The heartbeat check against a real HTTPS server on loopback (self-signed certificate made for the test)."""

from __future__ import annotations

import datetime
import http.server
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from openedx_deploy.health import check_heartbeat, wait_healthy


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "learn.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    state: dict[str, object] = {
        "code": 200,
        "body": {"mysql": {"status": "ok"}, "redis": {"status": "ok"}},
        "hosts": [],
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
    context.load_cert_chain(*self_signed(tmp_path))
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
