"""Fast tests of the contract test double of the Open edX image (tests/double/openedx): its config checks, broker
URL construction, heartbeat logic, build variants and build script caching. The slow proof (image built, heartbeat
inside a test host) is molecule/app-tier.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

DOUBLE = Path(__file__).parent / "double" / "openedx"
sys.path.insert(0, str(DOUBLE / "src"))

from openedx_double import build, heartbeat, web  # noqa: E402
from openedx_double import config as cfg  # noqa: E402
from test_meilisearch_double import MASTER_KEY, Meili, start  # noqa: E402

from openedx_deploy.health import _store_states  # noqa: E402

ROOT = Path(__file__).parent.parent
BUILD_SCRIPT = ROOT / "scripts" / "build-double-image"


def full_config() -> dict[str, Any]:
    return {
        "SECRET_KEY": "s3cret",
        "LMS_BASE": "learn.example.com",
        "DATABASES": {
            "default": {"HOST": "10.0.0.5", "PORT": 3306, "NAME": "openedx", "USER": "openedx", "PASSWORD": "pw"}
        },
        "CELERY_BROKER_TRANSPORT": "redis",
        "CELERY_BROKER_HOSTNAME": "10.0.0.6:6379",
        "CELERY_BROKER_USER": "",
        "CELERY_BROKER_PASSWORD": "redispw",
        "CELERY_BROKER_VHOST": "0",
    }


def closed_port() -> int:
    """A loopback port nobody listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(tmp_path: Path, data: Any) -> dict[str, str]:
    path = tmp_path / "lms.yml"
    path.write_text(yaml.safe_dump(data))
    return {"LMS_CFG": str(path)}


def test_complete_config_loads(tmp_path: Path) -> None:
    loaded = cfg.load_config("lms", write_config(tmp_path, full_config()))
    assert loaded["LMS_BASE"] == "learn.example.com"


@pytest.mark.parametrize(
    "key",
    [
        "DATABASES.default.HOST",
        "DATABASES.default.NAME",
        "DATABASES.default.USER",
        "DATABASES.default.PASSWORD",
        "SECRET_KEY",
        "LMS_BASE",
        "CELERY_BROKER_HOSTNAME",
        "CELERY_BROKER_PASSWORD",
    ],
)
def test_missing_required_key_refuses_and_names_it(tmp_path: Path, key: str) -> None:
    data = full_config()
    *parents, leaf = key.split(".")
    node = data
    for part in parents:
        node = node[part]
    del node[leaf]
    with pytest.raises(cfg.ConfigError) as err:
        cfg.load_config("lms", write_config(tmp_path, data))
    assert key in str(err.value)
    assert "LMS_CFG=" in str(err.value)


def test_empty_value_counts_as_missing() -> None:
    data = full_config()
    data["SECRET_KEY"] = ""
    with pytest.raises(cfg.ConfigError, match="SECRET_KEY"):
        cfg.validate(data, "test")


def test_broker_url_replaces_broker_parts() -> None:
    data = full_config()
    for key in cfg.BROKER_PART_KEYS:
        del data[key]
    data["CELERY_BROKER_URL"] = "redis://:x@h:6379/1"
    assert cfg.validate(data, "test")
    assert cfg.broker_url(data) == "redis://:x@h:6379/1"


def test_unset_config_variable_is_named() -> None:
    with pytest.raises(cfg.ConfigError, match="CMS_CFG is not set"):
        cfg.load_config("cms", {})


def test_unreadable_or_non_mapping_config(tmp_path: Path) -> None:
    with pytest.raises(cfg.ConfigError, match="cannot read"):
        cfg.load_config("lms", {"LMS_CFG": str(tmp_path / "absent.yml")})
    with pytest.raises(cfg.ConfigError, match="YAML mapping"):
        cfg.load_config("lms", write_config(tmp_path, ["not", "a", "mapping"]))


def test_broker_url_built_like_edx_platform() -> None:
    assert cfg.broker_url(full_config()) == "redis://:redispw@10.0.0.6:6379/0"
    acl = full_config() | {"CELERY_BROKER_USER": "openedx", "CELERY_BROKER_VHOST": "2"}
    assert cfg.broker_url(acl) == "redis://openedx:redispw@10.0.0.6:6379/2"


def test_broker_url_defaults_match_edx_platform_common_settings() -> None:
    data = full_config()
    for key in ("CELERY_BROKER_TRANSPORT", "CELERY_BROKER_USER", "CELERY_BROKER_VHOST"):
        del data[key]
    assert cfg.broker_url(data) == "amqp://celery:redispw@10.0.0.6:6379/"


def test_mongodb_checked_only_when_doc_store_has_hosts() -> None:
    data = full_config()
    assert set(heartbeat.configured_checks(data)) == {"mysql", "redis"}
    data["DOC_STORE_CONFIG"] = {"host": [], "db": "openedx"}
    assert set(heartbeat.configured_checks(data)) == {"mysql", "redis"}
    data["DOC_STORE_CONFIG"] = {"host": "10.0.0.7", "db": "openedx"}
    assert set(heartbeat.configured_checks(data)) == {"mysql", "redis", "mongodb"}
    assert cfg.mongodb_hosts(data) == ["10.0.0.7"]


def failing() -> None:
    raise ConnectionRefusedError("connection refused")


def test_heartbeat_all_ok_is_200() -> None:
    assert heartbeat.run({"mysql": lambda: None, "redis": lambda: None}) == (
        200,
        {"mysql": {"status": "ok"}, "redis": {"status": "ok"}},
    )


def test_heartbeat_names_failing_store_with_503() -> None:
    status, body = heartbeat.run({"mysql": lambda: None, "redis": failing})
    assert status == 503
    assert body["mysql"] == {"status": "ok"}
    assert body["redis"]["status"] == "error"
    assert "connection refused" in body["redis"]["message"]


def call_wsgi_with_headers(app: web.WsgiApp, path: str) -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = status
        seen["headers"] = dict(headers)

    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()}, start_response))
    return seen["status"], seen["headers"], body


def call_wsgi(app: web.WsgiApp, path: str) -> tuple[str, Any]:
    status, _, body = call_wsgi_with_headers(app, path)
    return status, body


def test_wsgi_heartbeat_endpoint_status_and_json() -> None:
    app = web.build_application("lms", lambda: {"mysql": lambda: None, "redis": failing})
    status, body = call_wsgi(app, "/heartbeat")
    assert status.startswith("503")
    assert json.loads(body)["redis"]["status"] == "error"
    healthy = web.build_application("lms", lambda: {"mysql": lambda: None})
    assert call_wsgi(healthy, "/heartbeat/")[0].startswith("200")
    assert call_wsgi(healthy, "/nope")[0].startswith("404")


def test_lms_answers_the_anonymous_routes_of_the_load_test_mix() -> None:
    """`openedx-deploy loadtest` without a learner against the offline environment: every route of its anonymous mix
    but the MFE config API (tested above) answers 200 in the platform's shape; Studio has none of them."""
    lms = web.build_application("lms", lambda: {})
    status, body = call_wsgi(lms, "/courses")
    assert status.startswith("200") and b"course catalog" in body
    status, body = call_wsgi(lms, "/api/courses/v1/courses/")
    assert status.startswith("200") and json.loads(body) == {
        "results": [],
        "pagination": {"count": 0, "num_pages": 1, "next": None, "previous": None},
    }
    status, headers, body = call_wsgi_with_headers(lms, "/csrf/api/v1/token")
    token = json.loads(body)["csrfToken"]
    assert status.startswith("200") and headers["Set-Cookie"].startswith(f"csrftoken={token};")
    cms = web.build_application("cms", lambda: {})
    for path in ("/courses", "/api/courses/v1/courses/", "/csrf/api/v1/token"):
        assert call_wsgi(cms, path)[0].startswith("404"), path


@pytest.mark.parametrize("enabled", [True, False])
def test_lms_answers_the_mfe_config_api_only_when_enabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    """edx-platform's mfe_config_api view: MFE_CONFIG plus MFE_CONFIG_OVERRIDES[?mfe=], or 404 without the flag."""
    data = {
        **full_config(),
        "ENABLE_MFE_CONFIG_API": enabled,
        "MFE_CONFIG": {"BASE_URL": "apps.example.com", "SITE_NAME": "Demo"},
        "MFE_CONFIG_OVERRIDES": {"learning": {"SITE_NAME": "Learning"}},
    }
    monkeypatch.setenv("LMS_CFG", write_config(tmp_path, data)["LMS_CFG"])
    app = web.make_application("lms")
    seen: dict[str, Any] = {}
    environ = {"PATH_INFO": "/api/mfe_config/v1", "QUERY_STRING": "mfe=learning", "REQUEST_METHOD": "GET"}
    body = b"".join(app(environ, lambda status, headers: seen.update(status=status)))
    if enabled:
        assert seen["status"].startswith("200")
        assert json.loads(body) == {"BASE_URL": "apps.example.com", "SITE_NAME": "Learning"}
    else:
        assert seen["status"].startswith("404")


def test_web_process_refuses_to_start_on_bad_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = full_config()
    del data["DATABASES"]["default"]["PASSWORD"]
    monkeypatch.setenv("LMS_CFG", write_config(tmp_path, data)["LMS_CFG"])
    with pytest.raises(cfg.ConfigError):
        web.make_application("lms")
    assert "DATABASES.default.PASSWORD" in capsys.readouterr().err


def test_manage_py_exits_nonzero_naming_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import manage

    data = full_config()
    del data["LMS_BASE"]
    monkeypatch.setenv("LMS_CFG", write_config(tmp_path, data)["LMS_CFG"])
    assert manage.main(["lms", "migrate"]) == 1
    assert "LMS_BASE" in capsys.readouterr().err


def test_real_store_checks_fail_against_unreachable_stores() -> None:
    pytest.importorskip("pymysql", reason="real MySQL check needs PyMySQL (tests extra)")
    pytest.importorskip("redis", reason="real Redis check needs redis-py (tests extra)")
    data = full_config()
    data["DATABASES"]["default"]["HOST"] = "127.0.0.1"
    data["DATABASES"]["default"]["PORT"] = closed_port()
    data["CELERY_BROKER_HOSTNAME"] = f"127.0.0.1:{closed_port()}"
    status, body = heartbeat.run(heartbeat.configured_checks(data))
    assert status == 503
    assert body["mysql"]["status"] == "error"
    assert body["redis"]["status"] == "error"


class _FakeRedisServer:
    """A loopback socket that speaks just enough RESP to demand a password, like Redis with requirepass; with a TLS
    context, only TLS (as the redis role's tls-port with port 0)."""

    def __init__(self, password: str, tls: Any = None) -> None:
        import threading

        self.password = password
        self.tls = tls
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.tls is not None:
                try:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                except OSError:  # the client refused the certificate, or spoke plain text
                    conn.close()
                    continue
            with conn:
                authed = False
                buf = b""
                while True:
                    data = conn.recv(4096)
                    if not data:
                        break
                    buf += data
                    parts = [p for p in buf.split(b"\r\n") if p and p[:1] not in (b"*", b"$")]
                    if not parts or not buf.endswith(b"\r\n"):
                        continue
                    buf = b""
                    cmd = parts[0].upper()
                    if cmd == b"AUTH":
                        authed = parts[-1].decode() == self.password
                        conn.sendall(b"+OK\r\n" if authed else b"-WRONGPASS invalid username-password pair\r\n")
                    elif cmd == b"PING":
                        conn.sendall(b"+PONG\r\n" if authed else b"-NOAUTH Authentication required.\r\n")
                    else:
                        conn.sendall(b"+OK\r\n")

    def close(self) -> None:
        self.sock.close()


@pytest.mark.parametrize(("password", "healthy"), [("right", True), ("wrong", False)])
def test_redis_check_uses_configured_password(password: str, healthy: bool) -> None:
    pytest.importorskip("redis", reason="real Redis check needs redis-py (tests extra)")
    server = _FakeRedisServer("right")
    try:
        data = full_config() | {
            "CELERY_BROKER_HOSTNAME": f"127.0.0.1:{server.port}",
            "CELERY_BROKER_PASSWORD": password,
        }
        status, body = heartbeat.run({"redis": lambda: heartbeat.check_redis(data)})
    finally:
        server.close()
    assert (status == 200) is healthy, body


def _server_tls(tmp_path: Path) -> tuple[Any, Path]:
    """A TLS server context whose certificate (for 127.0.0.1) is issued from a fresh data-store CA, as the roles' are;
    and the CA's certificate file."""
    import datetime
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from openedx_deploy import secrets

    ca_key_pem, ca_cert_pem = secrets.split_data_ca(secrets.generate_data_ca())
    ca_key = serialization.load_pem_private_key(ca_key_pem.encode(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem.encode())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "redis")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(ca_key, hashes.SHA256())
    )
    (tmp_path / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "server.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (tmp_path / "ca.pem").write_text(ca_cert_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    return context, tmp_path / "ca.pem"


@pytest.mark.parametrize("trusted", ["data-ca", "another-ca", "plain-text"])
def test_redis_check_over_tls_verifies_the_data_ca_like_kombu(tmp_path: Path, trusted: str) -> None:
    """openedx_config's settings for a Redis of the data-store CA: rediss:// and BROKER_USE_SSL naming the CA. The
    double hands the dict to redis-py as kombu does, so only the right CA gets PONG."""
    pytest.importorskip("redis", reason="real Redis check needs redis-py (tests extra)")
    context, ca_file = _server_tls(tmp_path)
    if trusted == "another-ca":
        (tmp_path / "other").mkdir()
        _, ca_file = _server_tls(tmp_path / "other")
    server = _FakeRedisServer("right", tls=context)
    try:
        data = full_config() | {
            "CELERY_BROKER_TRANSPORT": "redis" if trusted == "plain-text" else "rediss",
            "CELERY_BROKER_HOSTNAME": f"127.0.0.1:{server.port}",
            "CELERY_BROKER_PASSWORD": "right",
            "BROKER_USE_SSL": {"ssl_cert_reqs": "required", "ssl_ca_certs": str(ca_file), "ssl_check_hostname": True},
        }
        status, body = heartbeat.run({"redis": lambda: heartbeat.check_redis(data)})
    finally:
        server.close()
    assert (status == 200) is (trusted == "data-ca"), body


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, {}),
        (
            {"ssl_mode": "VERIFY_IDENTITY", "ssl": {"ca": "/openedx/config/data-ca.pem"}},
            {
                "ssl": {"ssl_mode": "VERIFY_IDENTITY"},
                "ssl_ca": "/openedx/config/data-ca.pem",
                "ssl_verify_cert": True,
                "ssl_verify_identity": True,
            },
        ),
        # libmysqlclient: a CA alone verifies the chain (VERIFY_CA), not the name.
        (
            {"ssl": {"ca": "/ca.pem"}},
            {
                "ssl": {"ssl_mode": "VERIFY_CA"},
                "ssl_ca": "/ca.pem",
                "ssl_verify_cert": True,
                "ssl_verify_identity": False,
            },
        ),
        ({"ssl": {"ssl_mode": "REQUIRED"}}, {"ssl": {"ssl_mode": "REQUIRED"}}),
    ],
)
def test_mysql_tls_options_reach_pymysql_as_mysqlclient_reads_them(options: dict, expected: dict) -> None:
    from openedx_double import db

    assert db.tls_kwargs(options) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["lms", "migrate", "--noinput"],
        ["cms", "migrate"],
        ["lms", "check", "--database", "default"],
        ["lms", "manage_user", "cms", "cms@openedx", "--unusable-password"],
        ["lms", "manage_user", "admin", "admin@example.com", "--staff", "--superuser"],
        [
            "lms",
            "create_dot_application",
            "--grant-type",
            "authorization-code",
            "--redirect-uris",
            "https://studio.example.com/complete/edx-oauth2/",
            "--client-id",
            "cms-sso",
            "--client-secret",
            "x",
            "--scopes",
            "user_id",
            "--skip-authorization",
            "--update",
            "cms-sso",
            "cms",
        ],
        ["lms", "shell", "-c", "import search.meilisearch; search.meilisearch.create_indexes()"],
        ["lms", "waffle_flag", "--list"],
        ["lms", "waffle_flag", "--create", "--everyone", "learner_home_mfe.enabled"],
        ["lms", "waffle_flag", "--create", "--deactivate", "courseware.always_open_auxiliary_sidebar"],
        ["lms", "populate_retirement_states"],
        ["lms", "load_policies"],
        ["cms", "load_policies", "--clear-existing"],
        ["cms", "reindex_studio", "--experimental", "--init"],
        ["cms", "reindex_studio"],
        ["cms", "reindex_course", "--active"],
    ],
)
def test_manage_py_accepts_the_real_images_job_command_lines(argv: list[str]) -> None:
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import manage

    args = manage._parser().parse_args(argv)
    assert args.service == argv[0]
    assert args.command == argv[1]


def test_manage_py_rejects_unknown_commands() -> None:
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import manage

    with pytest.raises(SystemExit):
        manage._parser().parse_args(["lms", "runserver"])


DOT_COMMAND_LINE = [
    "--update",
    "--grant-type",
    "authorization-code",
    "--client-id",
    "cms-sso",
    "--client-secret",
    "s3cret with 'quotes' and $HOME",
    "--redirect-uris",
    "https://studio.example.com/complete/edx-oauth2/ https://studio.example.com/x",
    "--scopes",
    "user_id,profile",
    "--skip-authorization",
    "cms-sso",
    "cms",
]


def test_the_dot_snippet_is_the_one_the_jobs_run() -> None:
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import manage

    role_vars = yaml.safe_load((ROOT / "roles" / "openedx_jobs" / "vars" / "main.yml").read_text())
    assert role_vars["_openedx_jobs_dot_snippet"] == manage.DOT_FROM_ENVIRONMENT
    assert manage.KNOWN_SHELL_SNIPPETS[manage.DOT_FROM_ENVIRONMENT] == "create_dot_application"


def test_the_dot_snippet_parses_its_variable_like_the_command_line() -> None:
    """Django's call_command parses string arguments with the command's own parser: the double's snippet gives the
    arguments `manage.py lms create_dot_application ...` would get."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    import shlex

    from openedx_double import manage

    environ = {"OPENEDX_DEPLOY_DOT_ARGS": shlex.join(DOT_COMMAND_LINE)}
    parsed = manage.dot_call_command("lms", environ)
    assert parsed == manage._parser().parse_args(["lms", "create_dot_application", *DOT_COMMAND_LINE])
    assert parsed.client_secret == "s3cret with 'quotes' and $HOME"
    with pytest.raises(SystemExit) as bad:
        manage.dot_call_command("lms", {"OPENEDX_DEPLOY_DOT_ARGS": "--grant-type nonsense app cms"})
    assert bad.value.code


class _RecordingConnection:
    """Stands in for PyMySQL: answers the double's lookups (tables exist, user 7 exists, no application yet) and
    records every statement."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []
        self._last = ""

    def cursor(self) -> _RecordingConnection:
        return self

    def __enter__(self) -> _RecordingConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, sql: str, params: Any = None) -> None:
        self._last = sql
        self.statements.append((sql, params))

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._last.startswith("SHOW TABLES"):
            return ("openedx_double_command_log",)
        if self._last.startswith("SELECT id FROM auth_user"):
            return (7,)
        return None

    def fetchall(self) -> list[tuple[Any, ...]]:
        if self._last.startswith("SELECT name, everyone FROM waffle_flag"):
            return [("learner_home_mfe.enabled", 1)]
        return []

    def close(self) -> None:
        return None


def _run_recorded(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> list[tuple[str, Any]]:
    from openedx_double import manage

    connection = _RecordingConnection()
    monkeypatch.setattr(manage.cfg, "load_config", lambda service: full_config())
    monkeypatch.setattr(manage.db, "connect", lambda config: connection)
    assert manage.run(argv) == 0
    return connection.statements


def test_the_dot_snippet_has_the_effect_of_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    import shlex

    from openedx_double import manage

    monkeypatch.delenv("OPENEDX_DEPLOY_DOT_ARGS", raising=False)
    command_line = _run_recorded(monkeypatch, ["lms", "create_dot_application", *DOT_COMMAND_LINE])
    monkeypatch.setenv("OPENEDX_DEPLOY_DOT_ARGS", shlex.join(DOT_COMMAND_LINE))
    snippet = _run_recorded(monkeypatch, ["lms", "shell", "-c", manage.DOT_FROM_ENVIRONMENT])
    assert snippet == command_line
    written = [params for sql, params in snippet if sql.startswith("INSERT INTO oauth2_provider_application")]
    assert written and "s3cret with 'quotes' and $HOME" in written[0]
    logged = [params for sql, params in snippet if sql.startswith("INSERT INTO openedx_double_command_log")]
    assert logged[0][1] == "create_dot_application" and "s3cret" not in logged[0][2]


def test_the_dot_snippet_fails_without_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real code reads os.environ['OPENEDX_DEPLOY_DOT_ARGS']: without it, a KeyError and a failed job."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import manage

    monkeypatch.delenv("OPENEDX_DEPLOY_DOT_ARGS", raising=False)
    with pytest.raises(SystemExit) as missing:
        _run_recorded(monkeypatch, ["lms", "shell", "-c", manage.DOT_FROM_ENVIRONMENT])
    assert "OPENEDX_DEPLOY_DOT_ARGS" in str(missing.value.code)
    with pytest.raises(SystemExit, match="cannot execute arbitrary code"):
        _run_recorded(monkeypatch, ["lms", "shell", "-c", manage.DOT_FROM_ENVIRONMENT + "; print(1)"])


def test_waffle_flag_creates_and_sets_the_flag_like_django_waffle(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """django-waffle's waffle_flag: --create makes the missing flag, --everyone/--deactivate set `everyone`, --list
    prints `NAME: <flag>` lines (what the jobs grep for) and changes nothing; no name, or a missing flag without
    --create, is a CommandError; an option the real parser does not know is refused."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    statements = _run_recorded(monkeypatch, ["lms", "waffle_flag", "--create", "--everyone", "a.flag"])
    assert ("INSERT INTO waffle_flag (name, everyone) VALUES (%s, NULL)", ("a.flag",)) in statements
    assert ("UPDATE waffle_flag SET everyone = %s WHERE name = %s", (True, "a.flag")) in statements
    assert any(sql.startswith("INSERT INTO openedx_double_command_log") for sql, _ in statements)
    statements = _run_recorded(monkeypatch, ["lms", "waffle_flag", "--create", "--deactivate", "b.flag"])
    assert ("UPDATE waffle_flag SET everyone = %s WHERE name = %s", (False, "b.flag")) in statements
    capsys.readouterr()
    statements = _run_recorded(monkeypatch, ["lms", "waffle_flag", "--list"])
    assert "NAME: learner_home_mfe.enabled" in capsys.readouterr().out.splitlines()
    assert not any(sql.startswith(("INSERT", "UPDATE")) for sql, _ in statements)
    with pytest.raises(SystemExit, match="does not exist"):
        _run_recorded(monkeypatch, ["lms", "waffle_flag", "--everyone", "c.flag"])
    with pytest.raises(SystemExit, match="specify a flag name"):
        _run_recorded(monkeypatch, ["lms", "waffle_flag", "--create"])
    with pytest.raises(SystemExit) as bad:
        _run_recorded(monkeypatch, ["lms", "waffle_flag", "--create", "--all", "d.flag"])
    assert bad.value.code == 2


def test_populate_retirement_states_mirrors_the_default_states(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import manage

    statements = _run_recorded(monkeypatch, ["lms", "populate_retirement_states"])
    created = [params for sql, params in statements if sql.startswith("INSERT INTO user_api_retirementstate")]
    assert [row[0] for row in created] == manage.RETIREMENT_STATES
    assert created[0] == ("PENDING", 1, False, True) and created[-1] == ("COMPLETE", 151, True, True)
    dry_run = _run_recorded(monkeypatch, ["lms", "populate_retirement_states", "--dry_run"])
    assert not [sql for sql, _ in dry_run if "retirementstate" in sql]
    with pytest.raises(SystemExit) as bad:
        _run_recorded(monkeypatch, ["lms", "populate_retirement_states", "--dry-run"])
    assert bad.value.code == 2


def test_load_policies_is_recorded_and_refuses_what_openedx_authz_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    statements = _run_recorded(monkeypatch, ["cms", "load_policies"])
    logged = [params for sql, params in statements if sql.startswith("INSERT INTO openedx_double_command_log")]
    assert logged and logged[0][:2] == ("cms", "load_policies")
    with pytest.raises(SystemExit, match="does not exist"):
        _run_recorded(monkeypatch, ["lms", "load_policies", "--policy-file-path", "/nonexistent/authz.policy"])
    with pytest.raises(SystemExit) as bad:
        _run_recorded(monkeypatch, ["lms", "load_policies", "--dry-run"])
    assert bad.value.code == 2


@pytest.fixture
def meili(tmp_path: Path) -> Any:
    """The Meilisearch test double as a process (tests/test_meilisearch_double.py), master key MASTER_KEY."""
    running = start(tmp_path, tmp_path / "meili-data")
    yield running
    running.stop()


def meili_config(server: Meili | int, key: str, prefix: str = "demo_") -> dict[str, Any]:
    """The settings the search jobs read, pointing at `server` (or at a port nobody listens on)."""
    port = server if isinstance(server, int) else server.port
    return {
        **full_config(),
        "MEILISEARCH_ENABLED": True,
        "MEILISEARCH_URL": f"http://127.0.0.1:{port}",
        "MEILISEARCH_INDEX_PREFIX": prefix,
        "MEILISEARCH_API_KEY": key,
    }


def test_reindex_commands_refuse_what_edx_platform_refuses(monkeypatch: pytest.MonkeyPatch, meili: Meili) -> None:
    """reindex_studio needs MEILISEARCH_ENABLED; reindex_course takes course ids or --all/--active/--setup, not both
    and not neither; an unknown option is refused by the parser."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import manage

    monkeypatch.setattr(manage.cfg, "load_config", lambda service: meili_config(meili, MASTER_KEY))
    connection = _RecordingConnection()
    monkeypatch.setattr(manage.db, "connect", lambda config: connection)
    assert manage.run(["cms", "reindex_studio", "--experimental", "--init"]) == 0
    assert manage.run(["cms", "reindex_course", "--active"]) == 0
    logged = [p[1] for sql, p in connection.statements if sql.startswith("INSERT INTO openedx_double_command_log")]
    assert logged == ["reindex_studio", "reindex_course"]
    for argv in (["cms", "reindex_course"], ["cms", "reindex_course", "--active", "course-v1:a+b+c"]):
        with pytest.raises(SystemExit, match="requires one or more"):
            manage.run(argv)
    with pytest.raises(SystemExit) as bad:
        manage.run(["cms", "reindex_course", "--inactive"])
    assert bad.value.code == 2
    monkeypatch.setattr(manage.cfg, "load_config", lambda service: {**full_config(), "MEILISEARCH_ENABLED": False})
    with pytest.raises(SystemExit, match="Meilisearch is not enabled"):
        manage.run(["cms", "reindex_studio", "--experimental", "--init"])


def test_containerfile_and_readme_say_test_double() -> None:
    assert "Contract test double of the Open edX image" in (DOUBLE / "Containerfile").read_text()
    assert "io.openedx-deploy.test-double" in (DOUBLE / "Containerfile").read_text()
    assert "test double" in (DOUBLE / "README.md").read_text()


# Build variants: the broken-heartbeat build, and the build identity every web response carries.


def test_build_info_defaults_outside_an_image() -> None:
    assert build.build_info({}) == build.BuildInfo(variant="default", build="unknown", heartbeat="ok")


def test_build_info_reads_the_containerfile_switches() -> None:
    info = build.build_info(
        {
            "OPENEDX_DOUBLE_VARIANT": "broken-heartbeat",
            "OPENEDX_DOUBLE_BUILD": "0123abcd",
            "OPENEDX_DOUBLE_HEARTBEAT": "fail",
        }
    )
    assert info.fails_heartbeat
    assert info.to_dict() == {"variant": "broken-heartbeat", "build": "0123abcd", "heartbeat": "fail"}
    assert info.header_value() == "variant=broken-heartbeat; build=0123abcd; heartbeat=fail"


def test_unknown_heartbeat_mode_refuses_to_start() -> None:
    with pytest.raises(cfg.ConfigError, match="OPENEDX_DOUBLE_HEARTBEAT='flaky'"):
        build.build_info({"OPENEDX_DOUBLE_HEARTBEAT": "flaky"})


def test_heartbeat_keeps_store_contract_and_names_the_build() -> None:
    image = build.BuildInfo(variant="default", build="feedc0de", heartbeat="ok")
    app = web.build_application("lms", lambda: {"mysql": lambda: None, "redis": lambda: None}, image=image)
    status, headers, body = call_wsgi_with_headers(app, "/heartbeat")
    report = json.loads(body)
    assert status.startswith("200")
    assert report["mysql"] == {"status": "ok"} and report["redis"] == {"status": "ok"}
    assert report["double_image"] == {"variant": "default", "build": "feedc0de", "heartbeat": "ok"}
    assert headers["X-Openedx-Double-Image"] == "variant=default; build=feedc0de; heartbeat=ok"
    # The CLI's heartbeat reader sees the stores only.
    assert _store_states(body.decode()) == {"mysql": "ok", "redis": "ok"}
    for path in ("/", "/nope"):
        assert call_wsgi_with_headers(app, path)[1]["X-Openedx-Double-Image"] == image.header_value()


def test_broken_heartbeat_build_answers_503_without_asking_the_stores() -> None:
    asked: list[str] = []
    image = build.BuildInfo(variant="broken-heartbeat", build="feedc0de", heartbeat="fail")
    app = web.build_application(
        "cms", lambda: {"mysql": lambda: asked.append("mysql")}, image=image, fail_heartbeat=True
    )
    status, headers, body = call_wsgi_with_headers(app, "/heartbeat")
    assert status.startswith("503")
    assert json.loads(body) == {
        "double": "built to fail its heartbeat",
        "double_image": {"variant": "broken-heartbeat", "build": "feedc0de", "heartbeat": "fail"},
    }
    assert headers["X-Openedx-Double-Image"].startswith("variant=broken-heartbeat;")
    assert asked == []
    assert _store_states(body.decode()) == {}
    assert call_wsgi(app, "/")[0].startswith("200")


@pytest.mark.parametrize(("mode", "expected"), [("ok", "200"), ("fail", "503")])
def test_lms_and_cms_web_process_follow_the_heartbeat_switch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, expected: str
) -> None:
    monkeypatch.setattr(heartbeat, "configured_checks", lambda config: {"mysql": lambda: None})
    monkeypatch.setenv("OPENEDX_DOUBLE_HEARTBEAT", mode)
    monkeypatch.setenv("OPENEDX_DOUBLE_VARIANT", "broken-heartbeat" if mode == "fail" else "default")
    monkeypatch.setenv("OPENEDX_DOUBLE_BUILD", "feedc0de")
    config = write_config(tmp_path, full_config())["LMS_CFG"]
    for service in cfg.SERVICES:
        monkeypatch.setenv(f"{service.upper()}_CFG", config)
        status, body = call_wsgi(web.make_application(service), "/heartbeat")
        assert status.startswith(expected), (service, body)
        assert json.loads(body)["double_image"]["heartbeat"] == mode


def test_notes_heartbeat_still_works_in_the_broken_heartbeat_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openedx_double import notes

    data = {key: value for key, value in full_config().items() if key in ("DATABASES", "SECRET_KEY")}
    data["ES_DISABLED"] = True  # as the notes role renders it: no Elasticsearch to ask
    (tmp_path / "edx_notes_api.yml").write_text(yaml.safe_dump(data))
    monkeypatch.setenv("EDXNOTES_CONFIG_ROOT", str(tmp_path))
    monkeypatch.setenv("OPENEDX_DOUBLE_HEARTBEAT", "fail")
    monkeypatch.setattr(heartbeat, "check_mysql", lambda config: None)
    status, body = call_wsgi(notes.make_application(), "/heartbeat")
    assert status.startswith("200"), body
    assert json.loads(body)["mysql"] == {"status": "ok"}


def test_containerfile_switch_defaults_match_the_double() -> None:
    containerfile = (DOUBLE / "Containerfile").read_text()
    defaults = build.BuildInfo()
    assert f"ARG OPENEDX_DOUBLE_HEARTBEAT={defaults.heartbeat}\n" in containerfile
    assert f"ARG OPENEDX_DOUBLE_VARIANT={defaults.variant}\n" in containerfile
    assert f"ARG OPENEDX_DOUBLE_BUILD={defaults.build}\n" in containerfile
    for name in ("OPENEDX_DOUBLE_HEARTBEAT", "OPENEDX_DOUBLE_VARIANT", "OPENEDX_DOUBLE_BUILD"):
        assert re.search(rf"\b{name}=\${name}\b", containerfile), f"{name} is not carried into ENV"
    # Every heartbeat mode the script builds is one the double knows.
    modes = re.findall(r"^\s*heartbeat=(\w+)", BUILD_SCRIPT.read_text(), flags=re.MULTILINE)
    assert sorted(modes) == sorted(build.HEARTBEAT_MODES)


# The build script's cache and naming, without podman: a fresh stamp makes it answer from the cache.


def source_hash() -> str:
    """The script's content hash of tests/double/openedx: sha256sum lines of every file, in byte order of path."""
    files = sorted(
        "./" + path.relative_to(DOUBLE).as_posix()
        for path in DOUBLE.rglob("*")
        if path.is_file() and path.suffix != ".pyc" and "__pycache__" not in path.parts
    )
    listing = "".join(f"{hashlib.sha256((DOUBLE / name).read_bytes()).hexdigest()}  {name}\n" for name in files)
    return hashlib.sha256(listing.encode()).hexdigest()[:16]


def run_build_script(cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The script with a podman that refuses, so a cache miss fails the test instead of starting a build."""
    fake_bin = cache / "fake-bin"
    fake_bin.mkdir(exist_ok=True)
    # `image exists` says yes, so the base image script stops there instead of bootstrapping one.
    (fake_bin / "podman").write_text(
        '#!/bin/sh\n[ "$1 $2" = "image exists" ] && exit 0\necho "podman $*: the cache missed" >&2\nexit 97\n'
    )
    (fake_bin / "podman").chmod(0o755)
    env = {**os.environ, "OPENEDX_DEPLOY_CACHE": str(cache), "PATH": f"{fake_bin}:/usr/bin:/bin"}
    return subprocess.run([str(BUILD_SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(
    ("args", "archive_name"),
    [((), "openedx-double.tar"), (("--variant", "broken-heartbeat"), "openedx-double-broken-heartbeat.tar")],
)
def test_build_script_answers_from_its_cache_with_the_archive_path(
    tmp_path: Path, args: tuple[str, ...], archive_name: str
) -> None:
    archive = tmp_path / "images" / archive_name
    archive.parent.mkdir()
    archive.write_bytes(b"an image archive")
    Path(f"{archive}.source-hash").write_text(source_hash() + "\n")
    result = run_build_script(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == str(archive)


def test_build_script_refuses_an_unknown_variant(tmp_path: Path) -> None:
    result = run_build_script(tmp_path, "--variant", "slow-migrations")
    assert result.returncode == 2
    assert "unknown variant 'slow-migrations'" in result.stderr
    assert not (tmp_path / "images").exists()


SEARCH_ENGINE_CLASS = "search.meilisearch.MeilisearchEngine"


def import_settings_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, service: str, config: dict[str, Any], **template_vars: Any
) -> Any:
    """Render openedx_config's settings.py.j2 as <service>/envs/openedx_deploy.py beside a copy of the double's
    <service>/envs/production.py and import it, as DJANGO_SETTINGS_MODULE is imported in the containers."""
    import shutil

    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True)  # noqa: S701
    env.filters["to_json"] = json.dumps
    template = Path(__file__).parents[1] / "roles" / "openedx_config" / "templates" / "settings.py.j2"
    module = env.from_string(template.read_text()).render(
        ansible_managed="managed by test",
        _openedx_config_service=service,
        _openedx_config_module_name="openedx_deploy",
        _openedx_config_search_engine_class=SEARCH_ENGINE_CLASS,
        **({"openedx_config_broker": "redis", "openedx_config_rabbitmq_queue_type": "classic"} | template_vars),
    )
    platform = tmp_path / "edx-platform"
    shutil.copytree(DOUBLE / "src" / "edx-platform" / service, platform / service)
    (platform / service / "envs" / "openedx_deploy.py").write_text(module)
    monkeypatch.syspath_prepend(str(platform))
    for name in [n for n in sys.modules if n == service or n.startswith(f"{service}.")]:
        monkeypatch.delitem(sys.modules, name)
    config_file = tmp_path / f"{service}.yml"
    config_file.write_text(yaml.safe_dump(config))
    monkeypatch.setenv(f"{service.upper()}_CFG", str(config_file))
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", f"{service}.envs.openedx_deploy")
    settings = cfg.load_settings_module(service)
    assert settings is sys.modules[f"{service}.envs.openedx_deploy"]
    return settings


@pytest.mark.parametrize("service", ["lms", "cms"])
def test_the_settings_module_the_roles_mount_imports_over_the_doubles_production_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, service: str
) -> None:
    """openedx_config's <service>_settings.py, mounted as <service>/envs/openedx_deploy.py (DJANGO_SETTINGS_MODULE),
    imports production settings that read the YAML, then removes the student module history app and router."""
    settings = import_settings_module(tmp_path, monkeypatch, service, full_config())
    assert settings.CONFIG["LMS_BASE"] == "learn.example.com"
    assert cfg.CSMH_APP not in settings.INSTALLED_APPS
    assert settings.DATABASE_ROUTERS == [cfg.READ_REPLICA_ROUTER]
    assert getattr(settings, "SEARCH_ENGINE", None) == (SEARCH_ENGINE_CLASS if service == "lms" else None)
    # Classic queues (the default): the queues and exchange stay as production.py assigns them.
    assert {f"edx.{service}.core.default": {}} == settings.CELERY_QUEUES
    assert settings.CELERY_DEFAULT_EXCHANGE_TYPE == "direct"
    assert "BROKER_TRANSPORT_OPTIONS" not in vars(settings)
    # A second removal is what the real image would refuse too: the module must run once, on edx-platform's lists.
    monkeypatch.delitem(sys.modules, f"{service}.envs.openedx_deploy")
    monkeypatch.setattr(sys.modules[f"{service}.envs.production"], "INSTALLED_APPS", [])
    with pytest.raises(cfg.ConfigError, match="ValueError"):
        cfg.load_settings_module(service)


@pytest.mark.parametrize("service", ["lms", "cms"])
def test_quorum_queues_are_declared_on_every_queue_with_a_topic_exchange_and_confirms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, service: str
) -> None:
    """rabbitmq.queue_type quorum (docs/rabbitmq.md, "Queue type"): every queue production.py built from the YAML
    list, the other service's alternate one included, is declared quorum, in the form kombu builds a Queue from;
    the default exchange becomes topic (native delayed delivery binds no direct exchange) and publishes are
    confirmed. The double's workers read these settings as edx-platform's Celery does."""
    from kombu import Queue

    other = "cms" if service == "lms" else "lms"
    queues = [f"edx.{service}.core.default", f"edx.{service}.core.high"]
    config = full_config() | {"CELERY_QUEUES": queues, "ALTERNATE_WORKER_QUEUES": other}
    settings = import_settings_module(
        tmp_path,
        monkeypatch,
        service,
        config,
        openedx_config_broker="rabbitmq",
        openedx_config_rabbitmq_queue_type="quorum",
    )
    assert list(settings.CELERY_QUEUES) == [*queues, f"edx.{other}.core.default"]
    for name, options in settings.CELERY_QUEUES.items():
        declared = Queue.from_dict(name, **options)
        assert declared.queue_arguments == {"x-queue-type": "quorum"}, name
    assert settings.CELERY_DEFAULT_EXCHANGE_TYPE == "topic"
    assert settings.BROKER_TRANSPORT_OPTIONS == {"confirm_publish": True}
    # The Redis broker has no queue types: the option is for RabbitMQ only.
    monkeypatch.delitem(sys.modules, f"{service}.envs.openedx_deploy")
    redis = import_settings_module(
        tmp_path / "redis", monkeypatch, service, config, openedx_config_rabbitmq_queue_type="quorum"
    )
    assert all(options == {} for options in redis.CELERY_QUEUES.values())


def test_a_settings_module_the_image_lacks_stops_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "lms.envs.not_mounted")
    with pytest.raises(cfg.ConfigError, match=r"DJANGO_SETTINGS_MODULE=lms\.envs\.not_mounted"):
        cfg.load_settings_module("lms")
    cfg.load_settings_module("cms")  # another service's package: not imported (the image's lms default in cms runs)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    cfg.load_settings_module("lms")  # unset (unit tests only: the image always sets it): nothing to check


def test_the_site_snippet_is_the_one_the_jobs_run() -> None:
    from openedx_double import manage

    role_vars = yaml.safe_load((Path(__file__).parents[1] / "roles/openedx_jobs/vars/main.yml").read_text())
    assert role_vars["_openedx_jobs_site_snippet"] == manage.SITE_FROM_SETTINGS
    assert manage.KNOWN_SHELL_SNIPPETS[manage.SITE_FROM_SETTINGS] == "rename_default_site"
    compile(manage.SITE_FROM_SETTINGS, "<shell -c>", "exec")  # what `manage.py lms shell -c` runs must be Python


# --- The notes API double: its heartbeat's search backend, its manage.py; the platform's Meilisearch key ------------


def test_notes_heartbeat_asks_the_search_backend_its_settings_choose(monkeypatch: pytest.MonkeyPatch) -> None:
    """edx-notes-api's heartbeat checks the database, then the search backend: Elasticsearch unless ES_DISABLED (its
    default, on 127.0.0.1:9200), Meilisearch's /health when MEILISEARCH_ENABLED, nothing for MySQL search."""
    from openedx_double import notes

    monkeypatch.setattr(heartbeat, "check_mysql", lambda config: None)
    base = {key: value for key, value in full_config().items() if key in ("DATABASES", "SECRET_KEY")}
    assert notes.search_backend(base) == "elasticsearch"
    assert notes.search_backend({**base, "ES_DISABLED": True}) == "mysql"
    meili = {
        **base,
        "ES_DISABLED": True,
        "MEILISEARCH_ENABLED": True,
        "MEILISEARCH_URL": f"http://127.0.0.1:{closed_port()}",
    }
    assert notes.search_backend(meili) == "meilisearch"
    elastic = {**base, "ELASTICSEARCH_DSL": {"default": {"hosts": f"127.0.0.1:{closed_port()}"}}}
    for config, failing in ((elastic, "elasticsearch"), (meili, "meilisearch")):
        status, body = heartbeat.run(notes.configured_checks(config))
        assert status == 503 and body[failing]["status"] == "error", body
    status, body = heartbeat.run(notes.configured_checks({**base, "ES_DISABLED": True}))
    assert status == 200 and set(body) == {"mysql"}

    class Health(io.BytesIO):
        def __enter__(self) -> Health:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

    answers = {"available": 200, "unavailable": 503}
    for answer, expected in answers.items():
        monkeypatch.setattr(
            notes.urllib.request, "urlopen", lambda url, timeout, a=answer: Health(json.dumps({"status": a}).encode())
        )
        assert heartbeat.run(notes.configured_checks(meili))[0] == expected


def test_the_reindex_snippet_is_the_one_the_jobs_and_tutor_notes_run() -> None:
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import notes_manage

    role_vars = yaml.safe_load((ROOT / "roles/openedx_jobs/vars/main.yml").read_text())
    assert role_vars["_openedx_jobs_notes_reindex_snippet"] == notes_manage.REINDEX
    # What tutor-notes' init runs (and edx-notes-api's notesapi/v1/views/meilisearch.py docstring says to run).
    assert notes_manage.REINDEX == "from notesapi.v1.views.meilisearch import reindex; reindex()"


def _note_rows(count: int) -> list[tuple[Any, ...]]:
    """v1_note rows as reindex() selects them: (id, user_id, course_id, text)."""
    return [(i, f"user-{i % 3}", f"course-v1:Demo+N{i % 2}+1", f"my note number {i}") for i in range(1, count + 1)]


class _NotesConnection(_RecordingConnection):
    """Stands in for PyMySQL on the notes database: `tables` says whether v1_note exists, `notes` are its rows."""

    def __init__(self, tables: bool, notes: list[tuple[Any, ...]] | None = None) -> None:
        super().__init__()
        self.tables, self.notes = tables, notes or []

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._last.startswith("SHOW TABLES"):
            return ("v1_note",) if self.tables else None
        return None

    def fetchall(self) -> list[tuple[Any, ...]]:
        if self._last.startswith("SELECT id, user_id, course_id, text FROM v1_note ORDER BY id"):
            return list(self.notes)
        return []


def _notes_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **extra: Any) -> dict[str, str]:
    data = {key: value for key, value in full_config().items() if key in ("DATABASES", "SECRET_KEY")}
    (tmp_path / "edx_notes_api.yml").write_text(yaml.safe_dump({**data, "ES_DISABLED": True, **extra}))
    monkeypatch.syspath_prepend(str(DOUBLE / "src" / "edx-notes-api"))
    sys.modules.pop("notesserver.settings.yaml_config", None)
    environ = {"EDXNOTES_CONFIG_ROOT": str(tmp_path), "DJANGO_SETTINGS_MODULE": "notesserver.settings.yaml_config"}
    for name, value in environ.items():
        monkeypatch.setenv(name, value)  # the settings module reads the process environment, as edx-notes-api's does
    return environ


def test_notes_manage_migrates_the_notes_table_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`manage.py migrate` (edx-notes-api's, from the image's working directory) creates v1_note and records the
    notes app's real migrations; without DJANGO_SETTINGS_MODULE it stops as Django does; other commands are refused."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import notes_manage

    environ = _notes_settings(monkeypatch, tmp_path)
    connection = _NotesConnection(tables=False)
    migration_accounts = []
    monkeypatch.setattr(
        notes_manage.db,
        "connect",
        lambda config, for_migration=False: migration_accounts.append(for_migration) or connection,
    )
    assert notes_manage.run(["migrate", "--noinput"], environ) == 0
    assert migration_accounts == [True]  # yaml_config's DB_MIGRATION_* overrides apply
    created = [sql for sql, _ in connection.statements if sql.startswith(("CREATE TABLE", "ALTER TABLE"))]
    assert any("v1_note" in sql for sql in created)
    recorded = [params for sql, params in connection.statements if sql.startswith("INSERT INTO django_migrations")]
    assert recorded == [("v1", "0001_initial"), ("v1", "0002_note_tags"), ("v1", "0003_auto_20200703_1515")]
    with pytest.raises(cfg.ConfigError, match="DJANGO_SETTINGS_MODULE is not set"):
        notes_manage.run(["migrate"], {"EDXNOTES_CONFIG_ROOT": environ["EDXNOTES_CONFIG_ROOT"]})
    with pytest.raises(SystemExit) as bad:
        notes_manage.run(["lms", "migrate"], environ)
    assert bad.value.code == 2


def test_notes_reindex_needs_the_migrated_table_and_meilisearch_for_notes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, meili: Meili
) -> None:
    """Without v1_note the real ProgrammingError; with notes and MEILISEARCH_ENABLED off, the client's connection error;
    with Meilisearch on, the notes reach the index of MEILISEARCH_INDEX and the run is recorded."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import notes_manage

    argv = ["shell", "-c", notes_manage.REINDEX]
    environ = _notes_settings(monkeypatch, tmp_path)
    monkeypatch.setattr(notes_manage.db, "connect", lambda config, for_migration=False: _NotesConnection(tables=False))
    with pytest.raises(SystemExit, match="v1_note' doesn't exist"):
        notes_manage.run(argv, environ)
    rows = _note_rows(3)
    monkeypatch.setattr(notes_manage.db, "connect", lambda config, for_migration=False: _NotesConnection(True, rows))
    with pytest.raises(SystemExit, match="MEILISEARCH_ENABLED is off"):
        notes_manage.run(argv, environ)
    environ = _notes_settings(
        monkeypatch,
        tmp_path,
        MEILISEARCH_ENABLED=True,
        MEILISEARCH_URL=f"http://127.0.0.1:{meili.port}",
        MEILISEARCH_API_KEY=MASTER_KEY,
        MEILISEARCH_INDEX="demo_student_notes",
    )
    connection = _NotesConnection(True, rows)
    monkeypatch.setattr(notes_manage.db, "connect", lambda config, for_migration=False: connection)
    assert notes_manage.run(argv, environ) == 0
    logged = [
        params for sql, params in connection.statements if sql.startswith("INSERT INTO openedx_double_command_log")
    ]
    assert logged == [("notes", "shell", json.dumps({"action": "meilisearch_reindex", "notes": 3}, sort_keys=True))]
    status, documents = meili.call("GET", "/indexes/demo_student_notes/documents?limit=100")
    assert status == 200, documents
    assert sorted(doc["id"] for doc in documents["results"]) == [1, 2, 3]
    with pytest.raises(SystemExit, match="cannot execute arbitrary code"):
        notes_manage.run(["shell", "-c", "print(1)"], environ)


def _notes_meili_config(port: int, key: str = MASTER_KEY, **extra: Any) -> dict[str, Any]:
    """The notes settings the notes role renders for Meilisearch search, pointing at `port`."""
    return {
        "ES_DISABLED": True,
        "MEILISEARCH_ENABLED": True,
        "MEILISEARCH_URL": f"http://127.0.0.1:{port}",
        "MEILISEARCH_API_KEY": key,
        **extra,
    }


def test_notes_reindex_builds_the_index_edx_notes_api_builds(meili: Meili) -> None:
    """edx-notes-api's reindex() (notesapi/v1/views/meilisearch.py): no note, no call (no index is created); notes
    go by pages of 100 to MEILISEARCH_INDEX (default `student_notes`), created with primary key `id`, whose filterable
    attributes come to include user_id and course_id (others kept), with no searchable or sortable attribute set;
    each document is the note's id, user_id, course_id and text, nothing else; a second run replaces them."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import notes_manage

    config = _notes_meili_config(meili.port)
    assert notes_manage.index_notes(config, []) == 0
    assert "student_notes" not in _indexes(meili)

    rows = _note_rows(250)
    assert notes_manage.index_notes(config, rows) == 250
    index = _indexes(meili)["student_notes"]
    assert index["primaryKey"] == "id"
    settings = _settings(meili, "student_notes")
    assert sorted(settings["filterableAttributes"]) == ["course_id", "user_id"]
    assert settings["searchableAttributes"] == ["*"] and settings["sortableAttributes"] == []
    status, documents = meili.call("GET", "/indexes/student_notes/documents?limit=1000")
    assert status == 200, documents
    assert documents["total"] == 250
    by_id = {doc["id"]: doc for doc in documents["results"]}
    assert by_id[7] == {"id": 7, "user_id": "user-1", "course_id": "course-v1:Demo+N1+1", "text": "my note number 7"}
    assert sorted(by_id) == list(range(1, 251))
    # Filterable as the search view filters the notes of one user in one course.
    status, found = meili.call(
        "POST",
        "/indexes/student_notes/search",
        {"q": "note", "filter": ["user_id = 'user-1'", "course_id = 'course-v1:Demo+N1+1'"], "limit": 1000},
    )
    assert status == 200, found
    assert {hit["id"] for hit in found["hits"]} == {i for i in range(1, 251) if i % 3 == 1 and i % 2 == 1}

    # An existing index keeps its other filterable attributes; a second run replaces the documents.
    meili.task(meili.call("PUT", "/indexes/student_notes/settings/filterable-attributes", ["tags"])[1])
    edited = [(1, "user-1", "course-v1:Demo+N1+1", "edited")]
    assert notes_manage.index_notes(config, edited) == 1
    assert sorted(_settings(meili, "student_notes")["filterableAttributes"]) == ["course_id", "tags", "user_id"]
    assert _indexes(meili)["student_notes"]["createdAt"] == index["createdAt"]
    assert meili.call("GET", "/indexes/student_notes/documents/1")[1]["text"] == "edited"

    # MEILISEARCH_INDEX names the index (the playbooks put the platform's prefix before `student_notes`).
    notes_manage.index_notes({**config, "MEILISEARCH_INDEX": "demo_student_notes"}, _note_rows(2))
    assert _indexes(meili)["demo_student_notes"]["primaryKey"] == "id"


def test_notes_reindex_fails_when_meilisearch_does_not_answer_or_refuses_the_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, meili: Meili
) -> None:
    """With notes to index, the client's exception stops the shell: nothing answering (a connection error), a key the
    server does not know, or the platform key (restricted to `<prefix>*`) on an index outside the prefix (Meilisearch's
    invalid_api_key: the real Client then tries to create the index, refused too). Nothing is recorded. With no note
    the real reindex() makes no call, so it succeeds even then."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import notes_manage
    from openedx_double.meili import MeilisearchApiError, MeilisearchCommunicationError

    with pytest.raises(MeilisearchCommunicationError, match=r"cannot reach Meilisearch at http://127\.0\.0\.1:"):
        notes_manage.index_notes(_notes_meili_config(closed_port()), _note_rows(1))
    assert notes_manage.index_notes(_notes_meili_config(closed_port()), []) == 0

    status, _ = meili.call(
        "POST", "/keys", {"uid": PLATFORM_KEY_UID, "actions": ["*"], "indexes": ["demo_*"], "expiresAt": None}
    )
    assert status == 201
    for key, index in (("not-a-key-of-this-server", "demo_student_notes"), (_platform_key(), "student_notes")):
        with pytest.raises(MeilisearchApiError, match="Error code: invalid_api_key"):
            notes_manage.index_notes(_notes_meili_config(meili.port, key, MEILISEARCH_INDEX=index), _note_rows(1))
    assert set(_indexes(meili)) == set()
    assert notes_manage.index_notes(_notes_meili_config(meili.port, "not-a-key-of-this-server"), []) == 0
    platform = _notes_meili_config(meili.port, _platform_key(), MEILISEARCH_INDEX="demo_student_notes")
    assert notes_manage.index_notes(platform, _note_rows(1)) == 1

    # Through manage.py: a non-zero exit with the client's error, no run recorded.
    argv = ["shell", "-c", notes_manage.REINDEX]
    for settings, expected in (
        (_notes_meili_config(closed_port()), "MeilisearchCommunicationError: cannot reach Meilisearch"),
        (_notes_meili_config(meili.port, "not-a-key-of-this-server"), "Error code: invalid_api_key"),
    ):
        environ = _notes_settings(monkeypatch, tmp_path, **settings)
        connection = _NotesConnection(True, _note_rows(2))
        monkeypatch.setattr(notes_manage.db, "connect", lambda config, for_migration=False, c=connection: c)
        with pytest.raises(SystemExit) as failed:
            notes_manage.run(argv, environ)
        assert expected in str(failed.value.code)
        assert not [sql for sql, _ in connection.statements if sql.startswith("INSERT INTO openedx_double_command_log")]


def test_the_meilisearch_key_snippet_is_the_one_the_jobs_run() -> None:
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import manage

    role_vars = yaml.safe_load((ROOT / "roles/openedx_jobs/vars/main.yml").read_text())
    assert role_vars["_openedx_jobs_meilisearch_key_snippet"] == manage.MEILISEARCH_KEY_FROM_ENVIRONMENT
    assert manage.KNOWN_SHELL_SNIPPETS[manage.MEILISEARCH_KEY_FROM_ENVIRONMENT] == "meilisearch_api_key"
    compile(manage.MEILISEARCH_KEY_FROM_ENVIRONMENT, "<shell -c>", "exec")


def test_the_double_accepts_the_key_meilisearch_derives_from_the_rendered_secrets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The settings name the key before it exists: the value render derives (secrets.derived_secrets) must be the one
    Meilisearch gives the uid, which the double computes as Meilisearch does, and the server then hands out. A wrong
    key, a missing variable or a uid that is no UUID fail the job."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import manage

    from openedx_deploy import secrets

    derived = secrets.derived_secrets({"search_master_key": "fake-master-key-0123"})
    assert derived == secrets.derived_secrets({"search_master_key": "fake-master-key-0123"})  # stable
    assert derived["search_api_key"] != secrets.derived_secrets({"search_master_key": "other"})["search_api_key"]
    server = start(tmp_path, tmp_path / "data", MEILI_MASTER_KEY="fake-master-key-0123")
    try:
        config = meili_config(server, derived["search_api_key"])
        monkeypatch.setattr(manage.cfg, "load_config", lambda service: config)
        connection = _RecordingConnection()
        monkeypatch.setattr(manage.db, "connect", lambda config: connection)
        argv = ["lms", "shell", "-c", manage.MEILISEARCH_KEY_FROM_ENVIRONMENT]
        monkeypatch.setenv("OPENEDX_DEPLOY_MEILISEARCH_MASTER_KEY", "fake-master-key-0123")
        monkeypatch.setenv("OPENEDX_DEPLOY_MEILISEARCH_KEY_UID", derived["search_api_key_uid"])
        assert manage.run(argv) == 0
        status, key = server.call("GET", f"/keys/{derived['search_api_key_uid']}", key="fake-master-key-0123")
    finally:
        server.stop()
    assert status == 200 and key["key"] == derived["search_api_key"] and key["indexes"] == ["demo_*"]
    logged = [p for sql, p in connection.statements if sql.startswith("INSERT INTO openedx_double_command_log")]
    assert json.loads(logged[0][2]) == {
        "action": "meilisearch_api_key",
        "indexes": ["demo_*"],
        "uid": derived["search_api_key_uid"],
    }
    assert "fake-master-key" not in logged[0][2]
    monkeypatch.setenv("OPENEDX_DEPLOY_MEILISEARCH_MASTER_KEY", "another-master-key")
    with pytest.raises(SystemExit, match="is not the key of uid"):
        manage.run(argv)
    monkeypatch.setenv("OPENEDX_DEPLOY_MEILISEARCH_KEY_UID", "not-a-uuid")
    with pytest.raises(SystemExit, match="invalid_api_key_uid"):
        manage.run(argv)
    monkeypatch.delenv("OPENEDX_DEPLOY_MEILISEARCH_MASTER_KEY")
    with pytest.raises(SystemExit, match="KeyError"):
        manage.run(argv)


class _FakeKey:
    def __init__(self, uid: str, indexes: list[str], key: str) -> None:
        self.uid, self.indexes, self.key = uid, indexes, key


class _FakeMeilisearch:
    """Stands in for the `meilisearch` client package: a server holding keys, whose value it derives as Meilisearch
    does (HMAC-SHA256 of the uid keyed with the master key)."""

    def __init__(self, keys: list[_FakeKey]) -> None:
        self.keys, self.calls = keys, []

    def Client(self, url: str, master: str) -> _FakeMeilisearch:  # meilisearch.Client
        self.master = master
        return self

    def get_keys(self, parameters: dict[str, Any]) -> Any:
        self.calls.append(("get_keys", parameters))
        return type("KeysResults", (), {"results": list(self.keys)})

    def delete_key(self, uid: str) -> int:
        self.calls.append(("delete_key", uid))
        self.keys = [key for key in self.keys if key.uid != uid]
        return 204

    def create_key(self, options: dict[str, Any]) -> _FakeKey:
        import hmac

        self.calls.append(("create_key", options))
        value = hmac.new(self.master.encode(), options["uid"].encode(), hashlib.sha256).hexdigest()
        self.keys.append(_FakeKey(options["uid"], options["indexes"], value))
        return self.keys[-1]


@pytest.mark.parametrize("existing", ["none", "same", "other indexes"])
def test_the_meilisearch_key_snippet_creates_keeps_or_replaces_the_key(
    monkeypatch: pytest.MonkeyPatch, existing: str
) -> None:
    """The jobs' code itself, run against stand-ins of the meilisearch client and django.conf.settings: it creates the
    key restricted to the prefix, keeps one that is already right, replaces one restricted to other indexes, and
    fails when the settings' MEILISEARCH_API_KEY is not the key Meilisearch gives the uid."""
    import types

    from openedx_deploy import secrets

    snippet = yaml.safe_load((ROOT / "roles/openedx_jobs/vars/main.yml").read_text())[
        "_openedx_jobs_meilisearch_key_snippet"
    ]
    derived = secrets.derived_secrets({"search_master_key": "fake-master"})
    uid, value = derived["search_api_key_uid"], derived["search_api_key"]
    keys = {
        "none": [],
        "same": [_FakeKey(uid, ["demo_*"], value)],
        "other indexes": [_FakeKey(uid, ["*"], value)],
    }[existing]
    server = _FakeMeilisearch(keys)
    settings = types.SimpleNamespace(
        MEILISEARCH_URL="http://10.0.0.7:7700", MEILISEARCH_INDEX_PREFIX="demo_", MEILISEARCH_API_KEY=value
    )
    django = types.ModuleType("django")
    conf = types.ModuleType("django.conf")
    conf.settings = settings  # type: ignore[attr-defined]
    django.conf = conf  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "meilisearch", server)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "django", django)
    monkeypatch.setitem(sys.modules, "django.conf", conf)
    monkeypatch.setenv("OPENEDX_DEPLOY_MEILISEARCH_MASTER_KEY", "fake-master")
    monkeypatch.setenv("OPENEDX_DEPLOY_MEILISEARCH_KEY_UID", uid)
    exec(compile(snippet, "<shell -c>", "exec"), {})  # noqa: S102 - the jobs' own code, against stand-ins
    kinds = [name for name, _ in server.calls]
    assert kinds == {"none": ["get_keys", "create_key"], "same": ["get_keys"],
                     "other indexes": ["get_keys", "delete_key", "create_key"]}[existing]  # fmt: skip
    assert [(key.uid, key.indexes) for key in server.keys] == [(uid, ["demo_*"])]
    created = [options for name, options in server.calls if name == "create_key"]
    for options in created:
        assert options["actions"] == ["*"] and options["expiresAt"] is None
    settings.MEILISEARCH_API_KEY = "not-the-key"
    with pytest.raises(AssertionError, match="not the key of uid"):
        exec(compile(snippet, "<shell -c>", "exec"), {})  # noqa: S102


# The search jobs against the Meilisearch test double: what edx-platform's reindex_studio, edx-search's create_indexes
# and the jobs' key snippet leave on the server, and their failure when it does not answer or refuses the key.

PLATFORM_KEY_UID = "0d6f3d4c-8a51-4c39-9d8e-5f2b0d6a7c11"


def _platform_key(master: str = MASTER_KEY, uid: str = PLATFORM_KEY_UID) -> str:
    import hmac

    return hmac.new(master.encode(), uid.encode(), hashlib.sha256).hexdigest()


def _search_run(monkeypatch: pytest.MonkeyPatch, config: dict[str, Any], argv: list[str]) -> list[Any]:
    """manage.run(argv) with `config` as the settings; returns the command log rows it wrote."""
    from openedx_double import manage

    connection = _RecordingConnection()
    monkeypatch.setattr(manage.cfg, "load_config", lambda service: config)
    monkeypatch.setattr(manage.db, "connect", lambda config: connection)
    assert manage.run(argv) == 0
    return [p for sql, p in connection.statements if sql.startswith("INSERT INTO openedx_double_command_log")]


def _indexes(server: Meili) -> dict[str, dict[str, Any]]:
    status, answer = server.call("GET", "/indexes?limit=100")
    assert status == 200, answer
    return {index["uid"]: index for index in answer["results"]}


def _settings(server: Meili, index: str) -> dict[str, Any]:
    status, answer = server.call("GET", f"/indexes/{index}/settings")
    assert status == 200, answer
    return answer  # type: ignore[no-any-return]


def _assert_studio_configured(server: Meili, index: str) -> None:
    """What edx-platform's _is_index_configured compares (index_config.py's values)."""
    from openedx_double import content_search

    settings = _settings(server, index)
    assert settings["distinctAttribute"] == "usage_key"
    assert set(settings["filterableAttributes"]) == set(content_search.INDEX_FILTERABLE_ATTRIBUTES)
    assert settings["searchableAttributes"] == content_search.INDEX_SEARCHABLE_ATTRIBUTES
    assert set(settings["sortableAttributes"]) == {"display_name", "created", "modified", "last_published"}
    assert settings["rankingRules"] == ["sort", "words", "typo", "proximity", "attribute", "exactness"]
    assert {"block_id", "context_key", "org", "tags.level0", "access_id"} <= set(settings["filterableAttributes"])


def test_the_search_jobs_create_the_key_then_the_indexes_with_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], meili: Meili
) -> None:
    """In the jobs' order, with the platform's key the first job creates: the key restricted to the prefix, edx-search's
    two indexes (primary key `_pk`, their filterable attributes), then reindex_studio --init (init_index: the empty
    Studio index, configured, swapped in through `<prefix>studio_content_new`) and a bare reindex_studio
    (rebuild_index: a leftover temporary index deleted first, a new configured index swapped in). Each run is recorded
    as before."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import manage

    config = meili_config(meili, _platform_key())
    monkeypatch.setenv("OPENEDX_DEPLOY_MEILISEARCH_MASTER_KEY", MASTER_KEY)
    monkeypatch.setenv("OPENEDX_DEPLOY_MEILISEARCH_KEY_UID", PLATFORM_KEY_UID)
    logged = _search_run(monkeypatch, config, ["lms", "shell", "-c", manage.MEILISEARCH_KEY_FROM_ENVIRONMENT])
    status, key = meili.call("GET", f"/keys/{PLATFORM_KEY_UID}")
    assert status == 200 and key["key"] == _platform_key() and key["indexes"] == ["demo_*"] and key["actions"] == ["*"]
    assert key["name"] == "openedx-deploy platform" and key["expiresAt"] is None
    assert json.loads(logged[0][2])["action"] == "meilisearch_api_key"

    snippet = "import search.meilisearch; search.meilisearch.create_indexes()"
    logged = _search_run(monkeypatch, config, ["lms", "shell", "-c", snippet])
    assert json.loads(logged[0][2]) == {"action": "search_create_indexes"}
    indexes = _indexes(meili)
    assert {uid: index["primaryKey"] for uid, index in indexes.items()} == {
        "demo_course_info": "_pk",
        "demo_courseware_content": "_pk",
    }
    assert set(_settings(meili, "demo_course_info")["filterableAttributes"]) == {
        "language", "modes", "org", "catalog_visibility", "enrollment_end",
    }  # fmt: skip
    assert set(_settings(meili, "demo_courseware_content")["filterableAttributes"]) == {
        "_pk", "course", "org", "catalog_visibility", "start_date",
    }  # fmt: skip
    # A second run keeps the indexes and any filterable attribute added since (update_index_filterables unions).
    meili.call("PUT", "/indexes/demo_course_info/settings/filterable-attributes", ["language", "extra"])
    _search_run(monkeypatch, config, ["lms", "shell", "-c", snippet])
    assert "extra" in _settings(meili, "demo_course_info")["filterableAttributes"]
    assert _indexes(meili)["demo_course_info"]["createdAt"] == indexes["demo_course_info"]["createdAt"]

    capsys.readouterr()
    logged = _search_run(monkeypatch, config, ["cms", "reindex_studio", "--experimental", "--init"])
    assert [row[1] for row in logged] == ["reindex_studio"]
    assert json.loads(logged[0][2]) == {"experimental": True, "incremental": False, "init": True, "reset": False}
    assert "Index reset complete." in capsys.readouterr().out
    indexes = _indexes(meili)
    assert "demo_studio_content" in indexes and "demo_studio_content_new" not in indexes
    assert indexes["demo_studio_content"]["primaryKey"] == "id"  # the temporary index's, swapped in
    _assert_studio_configured(meili, "demo_studio_content")
    # init_index on an existing empty index only warns that it wants a rebuild, and changes nothing.
    _search_run(monkeypatch, config, ["cms", "reindex_studio", "--experimental", "--init"])
    assert "The studio search index is empty" in capsys.readouterr().err
    assert _indexes(meili)["demo_studio_content"]["createdAt"] == indexes["demo_studio_content"]["createdAt"]

    # A leftover temporary index (an interrupted rebuild) is deleted and a new index swapped in.
    meili.call("POST", "/indexes", {"uid": "demo_studio_content_new", "primaryKey": "id"})
    meili.call("POST", "/indexes/demo_studio_content_new/documents", [{"id": "stale"}])
    logged = _search_run(monkeypatch, config, ["cms", "reindex_studio"])
    assert [row[1] for row in logged] == ["reindex_studio"]
    out = capsys.readouterr().out
    assert "Temporary index already exists. Deleting it..." in out and "Found 0 courses, 0 libraries." in out
    rebuilt = _indexes(meili)
    assert "demo_studio_content_new" not in rebuilt
    assert rebuilt["demo_studio_content"]["createdAt"] != indexes["demo_studio_content"]["createdAt"]
    status, stats = meili.call("GET", "/indexes/demo_studio_content/stats")
    assert status == 200 and stats["numberOfDocuments"] == 0  # the double holds no course
    _assert_studio_configured(meili, "demo_studio_content")


def test_the_key_job_replaces_a_key_on_other_indexes_and_keeps_a_right_one(
    monkeypatch: pytest.MonkeyPatch, meili: Meili
) -> None:
    """The snippet deletes a key of its uid restricted to other indexes and creates it again on the prefix; a key
    that is already right is kept as it is."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import manage

    status, _ = meili.call(
        "POST", "/keys", {"uid": PLATFORM_KEY_UID, "actions": ["*"], "indexes": ["*"], "expiresAt": None}
    )
    assert status == 201
    config = meili_config(meili, _platform_key())
    monkeypatch.setenv("OPENEDX_DEPLOY_MEILISEARCH_MASTER_KEY", MASTER_KEY)
    monkeypatch.setenv("OPENEDX_DEPLOY_MEILISEARCH_KEY_UID", PLATFORM_KEY_UID)
    argv = ["lms", "shell", "-c", manage.MEILISEARCH_KEY_FROM_ENVIRONMENT]
    _search_run(monkeypatch, config, argv)
    _, replaced = meili.call("GET", f"/keys/{PLATFORM_KEY_UID}")
    assert replaced["indexes"] == ["demo_*"] and replaced["name"] == "openedx-deploy platform"
    _search_run(monkeypatch, config, argv)
    _, kept = meili.call("GET", f"/keys/{PLATFORM_KEY_UID}")
    assert kept["createdAt"] == replaced["createdAt"]


SEARCH_JOBS = [
    ["cms", "reindex_studio", "--experimental", "--init"],
    ["cms", "reindex_studio"],
    ["lms", "shell", "-c", "import search.meilisearch; search.meilisearch.create_indexes()"],
]


@pytest.mark.parametrize("argv", SEARCH_JOBS)
def test_the_search_jobs_fail_when_meilisearch_does_not_answer(
    monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    """The real commands stop on the client's connection error (reindex_studio: "Unable to connect to
    Meilisearch"); nothing is recorded."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    with pytest.raises(SystemExit) as failed:
        _search_run(monkeypatch, meili_config(closed_port(), _platform_key()), argv)
    assert "MeilisearchCommunicationError" in str(failed.value.code)
    assert "cannot reach Meilisearch at http://127.0.0.1:" in str(failed.value.code)
    if "reindex_studio" in argv:
        assert "Unable to connect to Meilisearch" in str(failed.value.code)


def test_the_key_job_fails_when_meilisearch_does_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import manage

    monkeypatch.setenv("OPENEDX_DEPLOY_MEILISEARCH_MASTER_KEY", MASTER_KEY)
    monkeypatch.setenv("OPENEDX_DEPLOY_MEILISEARCH_KEY_UID", PLATFORM_KEY_UID)
    with pytest.raises(SystemExit, match="MeilisearchCommunicationError"):
        _search_run(
            monkeypatch,
            meili_config(closed_port(), _platform_key()),
            ["lms", "shell", "-c", manage.MEILISEARCH_KEY_FROM_ENVIRONMENT],
        )


@pytest.mark.parametrize("argv", SEARCH_JOBS)
def test_the_search_jobs_fail_when_meilisearch_refuses_the_key(
    monkeypatch: pytest.MonkeyPatch, meili: Meili, argv: list[str]
) -> None:
    """A MEILISEARCH_API_KEY the server does not know (the key job has not run), or one restricted to another prefix,
    is Meilisearch's `invalid_api_key` (403): the jobs fail and leave no index."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    for key in (_platform_key(), "not-a-key-of-this-server"):
        with pytest.raises(SystemExit) as refused:
            _search_run(monkeypatch, meili_config(meili, key), argv)
        assert "Error code: invalid_api_key" in str(refused.value.code)
    status, other = meili.call(
        "POST", "/keys", {"uid": PLATFORM_KEY_UID, "actions": ["*"], "indexes": ["other_*"], "expiresAt": None}
    )
    assert status == 201
    with pytest.raises(SystemExit, match="invalid_api_key"):
        _search_run(monkeypatch, meili_config(meili, other["key"]), argv)
    assert _indexes(meili) == {}


def test_the_key_job_fails_when_meilisearch_refuses_the_master_key(
    monkeypatch: pytest.MonkeyPatch, meili: Meili
) -> None:
    """A master key in the job's environment that is not the server's: the settings' key matches it (so the local
    checks pass), but Meilisearch refuses `GET /keys` with it."""
    pytest.importorskip("pymysql", reason="the double's manage.py needs PyMySQL (tests extra)")
    from openedx_double import manage

    wrong = "another-master-key-of-32-bytes!!"
    monkeypatch.setenv("OPENEDX_DEPLOY_MEILISEARCH_MASTER_KEY", wrong)
    monkeypatch.setenv("OPENEDX_DEPLOY_MEILISEARCH_KEY_UID", PLATFORM_KEY_UID)
    with pytest.raises(SystemExit, match="Error code: invalid_api_key"):
        _search_run(
            monkeypatch,
            meili_config(meili, _platform_key(wrong)),
            ["lms", "shell", "-c", manage.MEILISEARCH_KEY_FROM_ENVIRONMENT],
        )
    assert meili.call("GET", f"/keys/{PLATFORM_KEY_UID}")[0] == 404


def test_the_client_raises_a_failed_tasks_code_and_message(meili: Meili) -> None:
    """A task that fails (creating an index that exists) raises with the task's error, as meilisearch-python's task
    failure surfaces; an error answer raises with Meilisearch's code."""
    from openedx_double import meili as client_module

    client = client_module.Client(f"http://127.0.0.1:{meili.port}", MASTER_KEY)
    client.create_index("demo_x", "_pk")
    with pytest.raises(client_module.MeilisearchApiError) as failed:
        client.create_index("demo_x", "_pk")
    assert failed.value.code == "index_already_exists" and "demo_x" in str(failed.value)
    assert client.get_index("demo_missing") is None
    with pytest.raises(client_module.MeilisearchApiError) as refused:
        client_module.Client(client.url, "").request("GET", "/indexes")
    assert refused.value.code == "missing_authorization_header" and refused.value.status == 401


def rabbitmq_config() -> dict[str, Any]:
    """The broker parts openedx_config renders with broker rabbitmq (the caches stay in Redis)."""
    return full_config() | {
        "CELERY_BROKER_TRANSPORT": "amqp",
        "CELERY_BROKER_HOSTNAME": "10.0.0.11:5672",
        "CELERY_BROKER_USER": "lms",
        "CELERY_BROKER_PASSWORD": "rabbitpw",
        "CELERY_BROKER_VHOST": "openedx",
        "CACHES": {"default": {"LOCATION": "redis://openedx:redispw@10.0.0.6:6379/1"}},
    }


def test_amqp_broker_url_built_like_edx_platform_and_checked_with_the_caches_redis() -> None:
    """edx-platform's lms/envs/production.py formats TRANSPORT://USER:PASSWORD@HOSTNAME/VHOST: with AMQP the path is
    the vhost. The double's heartbeat then asks RabbitMQ for the broker and the caches' Redis for Redis."""
    data = cfg.validate(rabbitmq_config(), "test")
    assert cfg.broker_url(data) == "amqp://lms:rabbitpw@10.0.0.11:5672/openedx"
    assert cfg.redis_url(data) == "redis://openedx:redispw@10.0.0.6:6379/1"
    assert set(heartbeat.configured_checks(data)) == {"mysql", "redis", "rabbitmq"}
    assert cfg.redis_url(full_config()) == "redis://:redispw@10.0.0.6:6379/0"


@pytest.mark.parametrize("transport", ["rabbitmq", "amqp+ssl", "sqs-typo", ""])
def test_a_transport_kombu_cannot_load_stops_the_double_as_it_stops_the_real_workers(transport: str) -> None:
    with pytest.raises(cfg.ConfigError, match="no such transport"):
        cfg.validate(rabbitmq_config() | {"CELERY_BROKER_TRANSPORT": transport}, "test")


def test_amqp_broker_without_a_redis_cache_is_refused() -> None:
    data = rabbitmq_config()
    del data["CACHES"]
    with pytest.raises(cfg.ConfigError, match=r"CACHES\.default\.LOCATION"):
        cfg.redis_url(data)


def test_rabbitmq_check_fails_when_nothing_answers() -> None:
    pytest.importorskip("kombu", reason="the AMQP check needs kombu (in the double's image)")
    data = rabbitmq_config() | {"CELERY_BROKER_HOSTNAME": f"127.0.0.1:{closed_port()}"}
    status, body = heartbeat.run({"rabbitmq": lambda: heartbeat.check_rabbitmq(data)})
    assert status == 503 and body["rabbitmq"]["status"] == "error"
