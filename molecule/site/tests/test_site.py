"""The whole site after playbooks/site.yml: HTTPS through each app host's proxy reaches LMS and Studio, whose
/heartbeat reports MySQL and Redis ok; a Celery task sent through Redis from an app host is consumed on the worker
host. The app containers run the contract test double of the Open edX image (tests/double/openedx).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import time
import uuid

import pytest
import yaml
from hostcheck import address_of, assert_service_running, host_named, hosts_in, journal

IMAGE = "localhost/openedx-double:test"
DOMAINS = {
    "lms": "learn.example.test",
    "cms": "studio.example.test",
    "mfe": "apps.example.test",
    "notes": "notes.learn.example.test",
}
APP_HOSTS = hosts_in("app")
WORKER_HOSTS = hosts_in("worker")
DATA_HOST = hosts_in("data")[0]
CA_FILE = "/etc/nginx/openedx-tls/fullchain.pem"


def https_from_controller(app, domain: str, path: str, ca_file: str) -> tuple[int, dict[str, str], str]:
    """GET https://<domain><path> from the machine running the tests, resolved to the app host's address and
    verified against the certificate the proxy serves (no -k)."""
    address = address_of(app)
    proc = subprocess.run(
        [
            "curl",
            "--silent",
            "--show-error",
            "--max-time",
            "20",
            "--http1.1",
            "--cacert",
            ca_file,
            "--resolve",
            f"{domain}:443:{address}",
            "--dump-header",
            "/dev/stderr",
            "--write-out",
            "\n%{http_code}",
            f"https://{domain}{path}",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    body, _, code = proc.stdout.rpartition("\n")
    headers = {}
    for line in proc.stderr.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    if proc.returncode != 0:
        raise AssertionError(f"curl https://{domain}{path} via {address}: rc={proc.returncode} {proc.stderr}")
    return int(code or 0), headers, body


@pytest.fixture(scope="module", params=APP_HOSTS)
def app(request):
    return host_named(request.param.removeprefix("podman://"))


@pytest.fixture(scope="module")
def ca_file(app, tmp_path_factory):
    """The proxy's self-signed certificate, fetched from the app host, as the trust anchor for curl."""
    path = tmp_path_factory.mktemp("ca") / f"{app.backend.get_hostname()}.pem"
    path.write_text(app.file(CA_FILE).content_string)
    return str(path)


@pytest.fixture(scope="module")
def data_host():
    return host_named(DATA_HOST.removeprefix("podman://"))


@pytest.fixture(scope="module")
def worker():
    return host_named(WORKER_HOSTS[0].removeprefix("podman://"))


def sql(data_host, query: str) -> str:
    out = data_host.run(f"mysql --batch --skip-column-names openedx -e {shlex.quote(query)}")
    assert out.rc == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.parametrize("service", ["lms", "cms"])
def test_heartbeat_through_the_proxy_reports_stores_ok(app, ca_file, service):
    status, headers, body = https_from_controller(app, DOMAINS[service], "/heartbeat", ca_file)
    unit = f"openedx-{service}.service"
    assert status == 200, f"{status} {body}\n{journal(app, unit)}\n{journal(app, 'nginx.service')}"
    report = json.loads(body)
    assert report["mysql"] == {"status": "ok"}
    assert report["redis"] == {"status": "ok"}
    assert "mongodb" not in report  # no MongoDB offline: the rendered settings leave DOC_STORE_CONFIG out
    assert headers["strict-transport-security"].startswith("max-age=")
    assert headers["x-content-type-options"] == "nosniff"


def test_notes_domain_reaches_the_notes_api_and_the_lms_is_configured_for_it(app, ca_file, data_host):
    """Browsers call the notes API on its own domain (EDXNOTES_PUBLIC_API): nginx sends it to the notes container,
    whose database the deploy jobs migrated with edx-notes-api's manage.py; the LMS has notes on and knows both URLs."""
    status, headers, body = https_from_controller(app, DOMAINS["notes"], "/heartbeat", ca_file)
    assert status == 200, f"{status} {body}\n{journal(app, 'openedx-notes.service')}"
    assert json.loads(body)["mysql"] == {"status": "ok"}
    assert "x-openedx-double-image" in headers
    migrations = sql(data_host, "SELECT name FROM notes.django_migrations WHERE app = 'v1' ORDER BY name")
    assert migrations.split() == ["0001_initial", "0002_note_tags", "0003_auto_20200703_1515"]
    lms = yaml.safe_load(app.file("/etc/openedx/lms.yml").content_string)
    assert lms["FEATURES"]["ENABLE_EDXNOTES"] is True
    assert lms["EDXNOTES_PUBLIC_API"] == f"https://{DOMAINS['notes']}/api/v1"
    assert lms["EDXNOTES_INTERNAL_API"] == "http://127.0.0.1:8120/api/v1"
    assert lms["EDXNOTES_CLIENT_NAME"] == "notes"


def test_mfe_domain_reaches_the_mfe_container(app, ca_file):
    status, _, body = https_from_controller(app, DOMAINS["mfe"], "/learning/", ca_file)
    assert status == 200, body
    assert "test double" in body


@pytest.mark.parametrize(
    ("site", "path"),
    [("lms", "/static/openedx-double.css"), ("cms", "/static/studio/openedx-double.css")],
)
def test_static_files_come_from_the_image_through_nginx(app, ca_file, site, path):
    """nginx serves the copy of the image's /openedx/staticfiles the openedx_app role made (Studio's under studio/,
    here an absolute symlink in the image, dereferenced by the copy); the double's gunicorn would answer 404."""
    status, headers, body = https_from_controller(app, DOMAINS[site], path, ca_file)
    assert status == 200, body
    assert "Static file of the Open edX contract test double" in body
    assert "x-openedx-double-image" not in headers


def test_mfe_config_api_on_the_apps_domain_reaches_the_lms(app, ca_file):
    """nginx sends the MFEs' runtime-configuration API to the LMS (Host: the LMS domain), not to Caddy: the LMS
    double answers it (200 with MFE_CONFIG, or 404 without ENABLE_MFE_CONFIG_API) and marks every answer."""
    status, headers, body = https_from_controller(app, DOMAINS["mfe"], "/api/mfe_config/v1?mfe=learning", ca_file)
    assert "x-openedx-double-image" in headers, (status, headers, body)
    assert status in (200, 404), body


def test_plain_http_redirects_to_https(app):
    proc = subprocess.run(
        [
            "curl",
            "--silent",
            "--max-time",
            "20",
            "--output",
            "/dev/null",
            "--write-out",
            "%{http_code} %{redirect_url}",
            "--resolve",
            f"{DOMAINS['lms']}:80:{address_of(app)}",
            f"http://{DOMAINS['lms']}/dashboard",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.stdout == f"301 https://{DOMAINS['lms']}/dashboard", proc.stdout + proc.stderr


def test_app_containers_bind_loopback_only(app):
    listening = app.run("ss -Htln").stdout
    for port in (8000, 8010, 8120, 8002):
        assert f"127.0.0.1:{port} " in listening, listening
        assert f"0.0.0.0:{port} " not in listening, listening


def test_only_the_proxy_is_reachable_from_other_hosts(app, data_host):
    """The containers bind loopback, and common's firewall keeps every container port closed to the network as well,
    leaving nginx as the only way in."""
    address = address_of(app)
    for port, reachable in ((443, True), (80, True), (8002, False), (8000, False)):
        probe = data_host.run(
            f"curl --silent --insecure --max-time 5 --output /dev/null https://{address}:{port}/"
            if port == 443
            else f"curl --silent --max-time 5 --output /dev/null http://{address}:{port}/"
        )
        assert (probe.rc == 0) is reachable, f"{address}:{port} reachable={probe.rc == 0}, expected {reachable}"


def test_settings_files_are_private(app):
    for name in ("lms.yml", "cms.yml"):
        settings = app.file(f"/etc/openedx/{name}")
        assert settings.mode == 0o640
        assert (settings.user, settings.gid) == ("root", 1000)


@pytest.mark.parametrize(
    ("service", "queue"),
    [("lms", "edx.lms.core.default"), ("lms", "edx.lms.core.high"), ("cms", "edx.cms.core.default")],
)
def test_task_sent_from_app_host_is_consumed_on_worker_host(app, worker, data_host, service, queue):
    for unit in (f"openedx-{service}-worker.service",):
        assert_service_running(worker, unit)
        assert not app.service(unit).is_running, f"{unit} must run on the worker host only"
    token = f"site-{service}-{uuid.uuid4().hex}"
    send = app.run(
        "podman run --rm --network host "
        f"--env SERVICE_VARIANT={service} --env {service.upper()}_CFG=/openedx/config/{service}.yml "
        f"--volume /etc/openedx/{service}.yml:/openedx/config/{service}.yml:ro {IMAGE} "
        f"celery --app={service}.celery call openedx_double.ping --args='[\"{token}\"]' --queue={queue}"
    )
    assert send.rc == 0, send.stderr
    # token is a uuid made above, not outside input.
    query = f"SELECT service, queue, worker FROM openedx_double_task_result WHERE token = '{token}'"  # noqa: S608
    row = ""
    for _ in range(45):
        row = sql(data_host, query)
        if row:
            break
        time.sleep(1)
    assert row, journal(worker, f"openedx-{service}-worker.service")
    consumed_service, consumed_queue, consumer = row.split("\t")
    assert (consumed_service, consumed_queue) == (service, queue)
    worker_container_host = worker.check_output(f"podman exec openedx-{service}-worker hostname")
    assert consumer == worker_container_host
