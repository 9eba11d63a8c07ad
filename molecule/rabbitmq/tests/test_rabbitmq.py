"""The rabbitmq role on its host and across hosts: a task message an app host publishes as a client through the
platform's vhost is consumed on the worker host with a client's credentials; nobody else gets in.

The client is a few lines of py-amqp (python3-amqp), the AMQP library under kombu, run on the client hosts with the
password in the environment, never on the command line. It speaks AMQP over TLS to port 5671 with the options the
openedx_config role renders into BROKER_USE_SSL (ca_certs, cert_reqs CERT_REQUIRED, server_hostname: the broker's
address), which kombu hands to py-amqp the same way.
"""

from __future__ import annotations

import json
import shlex
import uuid

import pytest
from hostcheck import TLS_CA, WRONG_CA, address_of, assert_sandboxed, assert_service_running, only, variables

CONNECT_TIMEOUT = 5
VHOST = "openedx"
QUEUE = "edx.lms.core.default"
TLS_PORT = 5671

# Publishes or consumes one message on QUEUE (durable, as Celery declares its queues) as USER with RMQ_PASSWORD;
# prints JSON {"ok": ..., "body" or "error": ...}.
CLIENT = r"""
import json, os, ssl, sys
import amqp
action, host, user, vhost, queue, ca = sys.argv[1:7]
# BROKER_USE_SSL as openedx_config renders it; "plain" for no TLS at all.
name = host.split(":")[0]
tls = False if ca == "plain" else {"ca_certs": ca, "cert_reqs": ssl.CERT_REQUIRED, "server_hostname": name}
try:
    with amqp.Connection(host=host, userid=user, password=os.environ["RMQ_PASSWORD"], virtual_host=vhost,
                         connect_timeout=5, ssl=tls) as conn:
        channel = conn.channel()
        channel.queue_declare(queue, durable=True, auto_delete=False)
        if action == "publish":
            channel.basic_publish(amqp.Message(sys.argv[7], delivery_mode=2), routing_key=queue)
            print(json.dumps({"ok": True}))
        else:
            message = channel.basic_get(queue, no_ack=True)
            print(json.dumps({"ok": True, "body": message.body if message else None}))
except Exception as exc:
    print(json.dumps({"ok": False, "error": type(exc).__name__ + ": " + str(exc)}))
"""


@pytest.fixture(scope="module")
def broker():
    return only("rabbitmq")


@pytest.fixture(scope="module")
def app():
    return only("app")


@pytest.fixture(scope="module")
def worker():
    return only("worker")


@pytest.fixture(scope="module")
def other():
    return only("other")


def password(user):
    users = {u["name"]: u["password"] for u in variables(only("rabbitmq"))["rabbitmq_users"]}
    return users[user]


def amqp_client(client, action, server, user, secret, vhost=VHOST, body="", ca=TLS_CA, port=TLS_PORT):
    command = (
        f"RMQ_PASSWORD={shlex.quote(secret)} timeout 20 python3 -c {shlex.quote(CLIENT)} "
        f"{action} {server}:{port} {user} {shlex.quote(vhost)} {QUEUE} {shlex.quote(ca)} {shlex.quote(body)}"
    )
    out = client.run(command)
    assert out.rc == 0, out.stdout + out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def tcp_connects(client, address, port):
    return client.run(f"timeout {CONNECT_TIMEOUT} bash -c 'exec 3<>/dev/tcp/{address}/{port}'").rc == 0


def test_service_running(broker):
    assert_service_running(broker, "rabbitmq-server")


def test_the_broker_runs_in_its_sandbox_with_no_capabilities(broker):
    """The broker's host is privileged, so systemd applies the sandbox drop-in; the Erlang VM runs with it
    (its JIT allowed) and with an empty bounding set."""
    assert_sandboxed(broker, "rabbitmq-server", bounding_set=0)


def test_amqp_over_tls_on_the_private_address_plain_on_loopback_only(broker):
    assert broker.socket(f"tcp://{address_of(broker)}:{TLS_PORT}").is_listening
    assert not broker.socket(f"tcp://{address_of(broker)}:5672").is_listening
    assert broker.socket("tcp://127.0.0.1:5672").is_listening
    assert not broker.socket("tcp://0.0.0.0:5672").is_listening
    assert not broker.socket(f"tcp://0.0.0.0:{TLS_PORT}").is_listening
    # The Erlang distribution port (25672): inter-node and CLI traffic, on loopback only.
    assert broker.socket("tcp://127.0.0.1:25672").is_listening
    assert not broker.socket("tcp://0.0.0.0:25672").is_listening
    assert not broker.socket(f"tcp://{address_of(broker)}:25672").is_listening


def test_one_user_per_client_guest_removed_permissions_on_the_vhost_only(broker):
    users = broker.check_output("rabbitmqctl --quiet list_users --formatter json")
    assert sorted(u["user"] for u in json.loads(users)) == ["cms", "lms"]
    vhosts = json.loads(broker.check_output("rabbitmqctl --quiet list_vhosts --formatter json"))
    assert VHOST in {v["name"] for v in vhosts}
    for user in ("lms", "cms"):
        permissions = json.loads(
            broker.check_output(f"rabbitmqctl --quiet list_user_permissions {user} --formatter json")
        )
        assert [p["vhost"] for p in permissions] == [VHOST], permissions


def test_a_message_published_on_the_app_host_is_consumed_on_the_worker_host(app, worker, broker):
    token = f"probe-{uuid.uuid4()}"
    server = address_of(broker)
    sent = amqp_client(app, "publish", server, "lms", password("lms"), body=token)
    assert sent == {"ok": True}, sent
    received = amqp_client(worker, "consume", server, "lms", password("lms"))
    assert received == {"ok": True, "body": token}, received


def test_the_other_service_consumes_through_the_same_vhost(app, worker, broker):
    # The LMS routes some tasks to Studio's queues and back (ALTERNATE_WORKER_QUEUES): both users share the vhost.
    token = f"probe-{uuid.uuid4()}"
    server = address_of(broker)
    assert amqp_client(app, "publish", server, "cms", password("cms"), body=token) == {"ok": True}
    assert amqp_client(worker, "consume", server, "lms", password("lms")) == {"ok": True, "body": token}


@pytest.mark.parametrize(
    ("user", "secret", "vhost"),
    [("lms", "not-the-password-0123", VHOST), ("guest", "guest", VHOST), ("lms", None, "/")],
    ids=["wrong-password", "guest", "other-vhost"],
)
def test_refused_without_the_clients_credentials_or_outside_its_vhost(app, broker, user, secret, vhost):
    answer = amqp_client(app, "publish", address_of(broker), user, secret or password(user), vhost=vhost, body="x")
    assert answer["ok"] is False, answer
    # py-amqp names the broker's refusal: 403 ACCESS_REFUSED (login), 530 NOT_ALLOWED (vhost).
    assert any(code in answer["error"] for code in ("ACCESS_REFUSED", "NOT_ALLOWED", "403", "530")), answer


def test_a_client_that_does_not_verify_the_broker_or_speaks_plain_amqp_gets_nothing(app, broker):
    """The broker's certificate does not chain to another CA, and its TLS port does not speak plain AMQP."""
    server = address_of(broker)
    wrong = amqp_client(app, "publish", server, "lms", password("lms"), body="x", ca=WRONG_CA)
    assert wrong["ok"] is False and "CERTIFICATE_VERIFY_FAILED" in wrong["error"], wrong
    plain = amqp_client(app, "publish", server, "lms", password("lms"), body="x", ca="plain")
    assert plain["ok"] is False, plain


def test_firewall_admits_the_clients_and_drops_the_other_host(app, worker, other, broker):
    server = address_of(broker)
    assert tcp_connects(app, server, TLS_PORT)
    assert tcp_connects(worker, server, TLS_PORT)
    assert not tcp_connects(other, server, TLS_PORT), "the host outside app/worker reached RabbitMQ's port"
    answer = amqp_client(other, "publish", server, "lms", password("lms"), body="x")
    assert answer["ok"] is False, answer
