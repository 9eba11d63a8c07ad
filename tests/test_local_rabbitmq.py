"""End to end with `broker: rabbitmq` (issue 16, Deliver 1): the local `standard` environment, its Celery work through
RabbitMQ over TLS.

The operator's path, through the real CLI, podman hosts and Ansible: `init --size standard`, the environment file's
`broker: rabbitmq` line uncommented, `up`, `status`, then a task the LMS on the app host sends that the LMS worker on
the worker host consumes, through the broker on data-1, then `destroy --include-data`. Offline, as in CI, the Open edX
image is its contract test double (tests/double/openedx), whose workers are real Celery with kombu and py-amqp, and
whose heartbeat logs in to the broker with the settings' BROKER_USE_SSL, so a broker that does not verify fails
`status` as it would fail the real workers.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from test_local_up import CLI_ENV, PODMAN_ENV, VAULT_PASSWORD, check_loadtest, cli, on_host, refuse_hosts_of_another

pytestmark = pytest.mark.slow
NAME = "rmqe2e"
DATA, APP, WORKER = f"{NAME}-data-1", f"{NAME}-app-1", f"{NAME}-worker-1"


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    refuse_hosts_of_another(NAME)
    workdir = tmp_path_factory.mktemp("local-rabbitmq")
    created = cli(workdir, "init", NAME, "--cloud", "local", "--size", "standard")
    assert created.returncode == 0, created.stderr
    spec_file = workdir / "environments" / f"{NAME}.yml"
    text = spec_file.read_text()
    assert "\n# broker: rabbitmq\n" in text, "the environment file no longer offers the broker line to uncomment"
    text = text.replace("\n# broker: rabbitmq\n", "\nbroker: rabbitmq\n")
    # Quorum queues on the one local node (the default only where the broker is a cluster): the settings path a
    # clustered broker takes, through real Celery and RabbitMQ.
    assert "\n# rabbitmq: {queue_type: quorum}" in text, "the environment file no longer offers the queue type"
    spec_file.write_text(text.replace("\n# rabbitmq: {queue_type: quorum}", "\nrabbitmq: {queue_type: quorum}"))
    try:
        done = cli(workdir, "--yes", "up", "-e", NAME)
        assert done.returncode == 0, (done.stdout + done.stderr)[-8000:]
        yield workdir
    finally:
        destroyed = cli(workdir, "--yes", "destroy", "-e", NAME, "--include-data", timeout=900)
    # The shared volume holds uploads: it goes with the data.
    assert destroyed.returncode == 0, destroyed.stderr[-3000:]
    left = subprocess.run(["podman", "volume", "exists", f"{NAME}-shared"], env={**os.environ, **PODMAN_ENV})
    assert left.returncode == 1, f"destroy --include-data left the volume {NAME}-shared"


def test_every_host_is_healthy_with_the_broker_over_tls(environment: Path) -> None:
    result = cli(environment, "--output", "json", "status", "-e", NAME)
    assert result.returncode == 0, result.stderr
    rows = {row["host"]: row for row in json.loads(result.stdout)["hosts"]}
    assert {DATA, APP, WORKER} <= set(rows), rows
    assert all(row["state"] == "running" for row in rows.values()), rows
    assert rows[APP]["heartbeat"] == "healthy", rows[APP]  # the LMS's heartbeat logs in to RabbitMQ over TLS
    settings = yaml.safe_load(on_host(APP, "cat", "/etc/openedx/lms.yml"))
    assert settings["CELERY_BROKER_TRANSPORT"] == "amqp" and settings["CELERY_BROKER_HOSTNAME"].endswith(":5671")
    assert settings["BROKER_USE_SSL"]["cert_reqs"] == 2  # ssl.CERT_REQUIRED
    broker_address = settings["CELERY_BROKER_HOSTNAME"].rsplit(":", 1)[0]
    assert settings["BROKER_USE_SSL"]["server_hostname"] == broker_address
    listening = on_host(DATA, "ss", "-Htln")
    assert f"{broker_address}:5671" in listening and f"{broker_address}:5672" not in listening, listening


@pytest.mark.parametrize(("service", "queue"), [("lms", "edx.lms.core.default"), ("cms", "edx.cms.core.default")])
def test_a_task_sent_on_the_app_host_is_consumed_on_the_worker_host(
    environment: Path, service: str, queue: str
) -> None:
    token = f"rmq-{service}-{uuid.uuid4().hex}"
    container = "openedx-lms" if service == "lms" else "openedx-cms"
    on_host(
        APP, "podman", "exec", container, "celery", f"--app={service}.celery", "call", "openedx_double.ping",
        f"--args=[\"{token}\"]", f"--queue={queue}",
    )  # fmt: skip
    query = f"SELECT service, queue, worker FROM openedx.openedx_double_task_result WHERE token = '{token}'"  # noqa: S608
    row = ""
    for _ in range(60):
        row = on_host(DATA, "mysql", "-N", "-e", query).strip()
        if row:
            break
        time.sleep(1)
    assert row, f"no worker consumed the {service} task through RabbitMQ"
    consumed_service, consumed_queue, consumer = row.split("\t")
    assert (consumed_service, consumed_queue) == (service, queue)
    assert consumer == on_host(WORKER, "podman", "exec", f"openedx-{service}-worker", "hostname").strip()


def test_the_queues_are_quorum_and_a_countdown_task_arrives_through_native_delayed_delivery(environment: Path) -> None:
    """rabbitmq.queue_type quorum (docs/rabbitmq.md, "Queue type"): the workers declared every queue of the settings
    as a quorum queue, so Celery turned global QoS off (the tasks above were consumed) and set up native delayed
    delivery; a task sent with a countdown goes through its queues and still arrives."""
    token = f"rmq-countdown-{uuid.uuid4().hex}"
    on_host(
        APP, "podman", "exec", "openedx-lms", "celery", "--app=lms.celery", "call", "openedx_double.ping",
        f"--args=[\"{token}\"]", "--queue=edx.lms.core.default", "--countdown=3",
    )  # fmt: skip
    query = f"SELECT queue FROM openedx.openedx_double_task_result WHERE token = '{token}'"  # noqa: S608
    row = ""
    for _ in range(90):
        row = on_host(DATA, "mysql", "-N", "-e", query).strip()
        if row:
            break
        time.sleep(1)
    assert row, "the countdown task never reached the LMS worker"
    # Native delayed delivery routes through the celery_delayed_<level> exchanges with the delay's 28 bits before the
    # routing key (kombu's native_delayed_delivery): the key the worker got proves which way the task came.
    bits, _, routing_key = row.partition(".edx.")
    assert routing_key == "lms.core.default" and set(bits.split(".")) <= {"0", "1"} and bits.count(".") == 27, row
    listed = on_host(
        DATA, "rabbitmqctl", "list_queues", "-p", "openedx", "--quiet", "--no-table-headers", "name", "type"
    )
    types = dict(line.split() for line in listed.splitlines() if line.strip())
    platform = {name: kind for name, kind in types.items() if name.startswith("edx.")}
    assert {"edx.lms.core.default", "edx.lms.core.high", "edx.cms.core.default", "edx.cms.core.low"} <= set(platform)
    assert set(platform.values()) == {"quorum"}, platform
    assert types.get("celery_delayed_0") == "quorum", sorted(types)


def test_loadtest_through_the_load_balancer_reports_the_figures_and_fails_a_gate_set_below_them(
    environment: Path,
) -> None:
    """Issue 16's judge: `loadtest` against the local standard environment (its entry point is the load balancer
    host, which forwards it to the app host) reports the figures and a plot, and fails a gate set below them."""
    check_loadtest(environment, NAME)


def test_the_upgrade_preflight_asks_the_broker_and_stops_at_an_alarm(
    environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`upgrade`'s read-only preflight (playbooks/upgrade-preflight.yml) asks the broker on data-1 whether it runs
    and raises no alarm; a memory alarm (which blocks every publisher) stops it before anything changes."""
    from openedx_deploy.deploy import Deployer
    from openedx_deploy.output import Output
    from openedx_deploy.paths import Workdir
    from openedx_deploy.secrets import Vault
    from openedx_deploy.spec import load_spec

    for name, value in {**PODMAN_ENV, **CLI_ENV}.items():
        monkeypatch.setenv(name, value)
    deployer = Deployer(load_spec(environment / "environments" / f"{NAME}.yml"), Workdir(environment), Output())
    vault = Vault(VAULT_PASSWORD)
    assert deployer.run_playbook("upgrade-preflight.yml", vault, allow_failure=True).ok
    on_host(DATA, "rabbitmqctl", "set_vm_memory_high_watermark", "0.000001")
    try:
        alarmed = deployer.run_playbook("upgrade-preflight.yml", vault, allow_failure=True)
    finally:
        on_host(DATA, "rabbitmqctl", "set_vm_memory_high_watermark", "0.4")
    assert not alarmed.ok
    assert any(f.startswith(f"{DATA}:") for f in alarmed.failures), alarmed.failures
    assert deployer.run_playbook("upgrade-preflight.yml", vault, allow_failure=True).ok


def test_a_file_studio_writes_on_the_app_host_is_there_for_the_worker_on_its_own_host(environment: Path) -> None:
    """The app and worker hosts share /var/lib/openedx (the environment's podman volume, localhosts.SHARED_DIR): an
    upload Studio writes to its media directory on app-1, and a course import it saves in its data directory for
    its worker, are there for the cms worker on worker-1 (issue 11, Deliver 4)."""
    probe = f"e2e-shared-{uuid.uuid4().hex}.txt"
    directories = ("/openedx/media", "/openedx/data")
    for directory in directories:
        on_host(APP, "podman", "exec", "openedx-cms", "sh", "-c", f"echo written-by-studio > {directory}/{probe}")
    try:
        for directory in directories:
            read = on_host(WORKER, "podman", "exec", "openedx-cms-worker", "cat", f"{directory}/{probe}")
            assert read == "written-by-studio\n", directory
    finally:
        for directory in directories:
            on_host(APP, "podman", "exec", "openedx-cms", "rm", "-f", f"{directory}/{probe}")


def test_up_refuses_to_change_the_type_of_queues_the_broker_has(environment: Path) -> None:
    """A queue's type is fixed once declared (docs/rabbitmq.md, "Queue type"): with the environment file now asking
    for classic queues, `up` stops at the broker, naming the quorum queues and the way out, and ends the run before
    the app tier is restarted into settings whose workers the broker would refuse."""
    spec_file = environment / "environments" / f"{NAME}.yml"
    text = spec_file.read_text()
    spec_file.write_text(text.replace("\nrabbitmq: {queue_type: quorum}", "\nrabbitmq: {queue_type: classic}"))
    try:
        done = cli(environment, "--yes", "up", "-e", NAME)
    finally:
        spec_file.write_text(text)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-4000:]
    assert "RabbitMQ cannot change the type of a queue or an exchange" in output, output[-4000:]
    assert "edx.lms.core.default quorum" in output and "edx.lms.core topic" in output, output[-4000:]
    assert "delete_vhost openedx" in output, output[-4000:]
    # The run ended at the data tier: the LMS still declares quorum queues and its worker still consumes them.
    assert "x-queue-type" in on_host(APP, "cat", "/etc/openedx/lms_settings.py")
    test_a_task_sent_on_the_app_host_is_consumed_on_the_worker_host(environment, "lms", "edx.lms.core.default")
