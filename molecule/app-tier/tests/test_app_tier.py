"""The app tier on a test host, running the contract test double of the Open edX image: each web process answers
/heartbeat with MySQL and Redis ok, the Celery workers consume tasks sent through Redis, and the deploy jobs ran.
"""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest
import testinfra
import testinfra.utils.ansible_runner
from hostcheck import assert_service_running, journal

INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY).get_hosts("app")

IMAGE = "localhost/openedx-double:test"
WEB = {"openedx-lms": 8000, "openedx-cms": 8010, "openedx-notes": 8120}
UNITS = [*WEB, "openedx-mfe", "openedx-lms-worker", "openedx-cms-worker"]


@pytest.fixture(scope="module")
def data_host():
    name = testinfra.utils.ansible_runner.AnsibleRunner(INVENTORY).get_hosts("data")[0]
    return testinfra.get_host(f"ansible://{name}?ansible_inventory={INVENTORY}")


def sql(data_host, query: str) -> str:
    out = data_host.run(f'mysql --batch --skip-column-names openedx -e "{query}"')
    assert out.rc == 0, out.stderr
    return out.stdout.strip()


def http_get(host, url: str) -> tuple[int, str]:
    out = host.run(f"curl --silent --max-time 15 --output /dev/stdout --write-out '\\n%{{http_code}}' {url}")
    body, _, code = out.stdout.rpartition("\n")
    return int(code or 0), body


@pytest.mark.parametrize("unit", UNITS)
def test_unit_running(host, unit):
    assert_service_running(host, f"{unit}.service")


@pytest.mark.parametrize(("unit", "port"), WEB.items())
def test_heartbeat_reports_stores_ok(host, unit, port):
    status, body = http_get(host, f"http://127.0.0.1:{port}/heartbeat")
    assert status == 200, f"{unit}: {status} {body}\n{journal(host, unit + '.service')}"
    report = json.loads(body)
    assert report["mysql"] == {"status": "ok"}
    if unit != "openedx-notes":
        assert report["redis"] == {"status": "ok"}
        # No MongoDB offline: DOC_STORE_CONFIG has no hosts, so it is not checked.
        assert "mongodb" not in report


def test_web_processes_bind_loopback_only(host):
    listening = host.run("ss -Htln").stdout
    for port in WEB.values():
        assert f"127.0.0.1:{port} " in listening, listening
        assert f"0.0.0.0:{port} " not in listening, listening


def test_mfe_serves_placeholder(host):
    # Where the Caddyfile roles/mfe mounts says: loopback only, an app's index.html for any path below it.
    status, body = http_get(host, "http://127.0.0.1:8002/learning/course/some-course/home")
    assert status == 200
    assert "test double" in body
    assert "127.0.0.1:8002 " in host.run("ss -Htln").stdout
    assert host.file("/etc/openedx/mfe.Caddyfile").contains("bind 127.0.0.1")


def test_the_images_static_files_are_copied_out_for_nginx(host):
    current = host.file("/var/lib/openedx-deploy/static/current")
    assert current.is_symlink
    assert host.file("/var/lib/openedx-deploy/static/current/openedx-double.css").is_file
    # The image's absolute symlink is copied as the file it points to.
    studio = host.file("/var/lib/openedx-deploy/static/current/studio/openedx-double.css")
    assert studio.is_file and not studio.is_symlink


def test_containers_use_the_double_image(host):
    # JSON output: a Go template in the command would be taken for Jinja by the ansible backend.
    out = host.run("podman ps --format json")
    running = {c["Names"][0]: c["Image"] for c in json.loads(out.stdout)}
    for unit in UNITS:
        assert running.get(unit) == IMAGE, running


@pytest.mark.parametrize(
    ("service", "queue"),
    [("lms", "edx.lms.core.default"), ("lms", "edx.lms.core.high_mem"), ("cms", "edx.cms.core.low")],
)
def test_worker_consumes_task_sent_through_redis(host, data_host, service, queue):
    token = f"{service}-{uuid.uuid4().hex}"
    send = host.run(
        "podman run --rm --network host "
        f"--env SERVICE_VARIANT={service} --env {service.upper()}_CFG=/openedx/config/{service}.yml "
        f"--volume /etc/openedx/{service}.yml:/openedx/config/{service}.yml:ro {IMAGE} "
        f"celery --app={service}.celery call openedx_double.ping --args='[\"{token}\"]' --queue={queue}"
    )
    assert send.rc == 0, send.stderr
    # token is a uuid made above, not outside input.
    query = f"SELECT service, queue FROM openedx_double_task_result WHERE token = '{token}'"  # noqa: S608
    for _ in range(30):
        row = sql(data_host, query)
        if row:
            break
        time.sleep(1)
    assert row.split("\t") == [service, queue], journal(host, f"openedx-{service}-worker.service")


def test_jobs_migrated_the_notes_database_in_the_notes_image(data_host):
    """The deploy jobs ran edx-notes-api's `manage.py migrate` (the double's, from /app/edx-notes-api as in the real
    notes image) on the notes database, with the settings the notes role rendered."""
    query = "SELECT name FROM django_migrations WHERE app = 'v1' ORDER BY name"
    out = data_host.run(f'mysql --batch --skip-column-names notes -e "{query}"')
    assert out.rc == 0, out.stderr
    assert out.stdout.split() == ["0001_initial", "0002_note_tags", "0003_auto_20200703_1515"]


def test_migrations_recorded_once(data_host):
    assert sql(data_host, "SELECT COUNT(*) FROM django_migrations WHERE app = 'openedx_double'") == "1"


def test_jobs_created_users_and_oauth_applications(data_host):
    apps = sql(
        data_host,
        "SELECT a.name, a.client_id, a.client_type, a.authorization_grant_type, a.skip_authorization, u.username "
        "FROM oauth2_provider_application a JOIN auth_user u ON u.id = a.user_id ORDER BY a.name",
    ).splitlines()
    assert apps == [
        "cms-sso\tcms-sso\tconfidential\tauthorization-code\t1\tcms",
        "mfe-sso\tmfe-sso\tpublic\tauthorization-code\t1\tmfe",
    ]
    commands = sql(data_host, "SELECT DISTINCT command FROM openedx_double_command_log ORDER BY command")
    assert commands.split("\n") == [
        "create_dot_application",
        "load_policies",  # openedx-authz, Ulmo (molecule.yml's openedx_release)
        "manage_user",
        "populate_retirement_states",
        "shell",
        "waffle_flag",
    ]
    # Search is off in this scenario (converge.yml): no index job ran.
    logged = sql(data_host, "SELECT arguments FROM openedx_double_command_log WHERE command = 'shell'")
    assert "search_create_indexes" not in logged
    flags = sql(data_host, "SELECT name, everyone FROM waffle_flag ORDER BY name").splitlines()
    assert "learner_home_mfe.enabled\t1" in flags
    assert "courseware.always_open_auxiliary_sidebar\t0" in flags
    assert sql(data_host, "SELECT COUNT(*) FROM user_api_retirementstate") == "16"


def test_jobs_do_not_run_again_for_same_image_and_config(host, data_host):
    before = sql(data_host, "SELECT COUNT(*) FROM openedx_double_command_log")
    out = host.run("/usr/local/sbin/openedx-deploy-jobs")
    assert out.rc == 0, out.stderr
    assert "openedx-deploy-jobs: up to date" in out.stdout
    assert sql(data_host, "SELECT COUNT(*) FROM openedx_double_command_log") == before


def test_heartbeat_fails_with_wrong_redis_password(host):
    """The contract: a wrong broker password must turn the heartbeat to 503, naming Redis."""
    host.run(
        "sed 's/^CELERY_BROKER_PASSWORD: .*/CELERY_BROKER_PASSWORD: wrong-password/' /etc/openedx/lms.yml"
        " > /run/apptier-bad-lms.yml && chown 1000 /run/apptier-bad-lms.yml && chmod 0400 /run/apptier-bad-lms.yml"
    )
    name = "apptier-bad-redis-probe"
    started = host.run(
        f"podman run -d --rm --name {name} --network host --env LMS_CFG=/openedx/config/lms.yml "
        f"--volume /run/apptier-bad-lms.yml:/openedx/config/lms.yml:ro {IMAGE} "
        "gunicorn --bind=127.0.0.1:8999 --workers=1 lms.wsgi:application"
    )
    assert started.rc == 0, started.stderr
    try:
        status, body = 0, ""
        for _ in range(30):
            status, body = http_get(host, "http://127.0.0.1:8999/heartbeat")
            if status:
                break
            time.sleep(1)
        assert status == 503, body
        report = json.loads(body)
        assert report["mysql"] == {"status": "ok"}
        assert report["redis"]["status"] == "error"
    finally:
        host.run(f"podman rm --force {name}; rm -f /run/apptier-bad-lms.yml")


def test_web_process_refuses_config_without_secret_key(host):
    host.run(
        "grep -v '^SECRET_KEY:' /etc/openedx/lms.yml > /run/apptier-nokey-lms.yml"
        " && chown 1000 /run/apptier-nokey-lms.yml && chmod 0400 /run/apptier-nokey-lms.yml"
    )
    try:
        out = host.run(
            "podman run --rm --network host --env LMS_CFG=/openedx/config/lms.yml "
            f"--volume /run/apptier-nokey-lms.yml:/openedx/config/lms.yml:ro {IMAGE} python manage.py lms migrate"
        )
    finally:
        host.run("rm -f /run/apptier-nokey-lms.yml")
    assert out.rc != 0
    assert "SECRET_KEY" in out.stderr


@pytest.mark.parametrize("service", ["lms", "cms"])
def test_workers_drain_on_stop(host, service):
    """Upgrades stop workers with SIGTERM (Celery's warm shutdown) and give them time to finish running tasks."""
    unit = f"openedx-{service}-worker.service"
    props = host.run(f"systemctl show {unit} --property=TimeoutStopUSec --property=ExecStop").stdout
    assert "TimeoutStopUSec=5min 30s" in props, props
    assert "podman stop --ignore --time 300" in props.replace("  ", " "), props
    queues = {
        "lms": "edx.lms.core.default,edx.lms.core.high,edx.lms.core.high_mem",
        "cms": "edx.cms.core.default,edx.cms.core.high,edx.cms.core.low",
    }[service]
    assert f"--queues={queues}" in host.file(f"/etc/systemd/system/{unit}").content_string
