"""Behaviour of the redis role on one host: authentication, ACL restrictions, broker-safe persistence."""

from __future__ import annotations

import pytest
from hostcheck import WRONG_CA, address_of, assert_service_running, hosts_in, redis_tls, variables

testinfra_hosts = hosts_in("redis")


@pytest.fixture(scope="module")
def password(host):
    return variables(host)["redis_password"]


def cli(host, command, password=None, user=None, address="127.0.0.1", tls=None):
    # The password goes through REDISCLI_AUTH so it is not on the command line. TLS verifies the data stores' CA
    # unless `tls` gives other options ("" for plain text).
    env = f"REDISCLI_AUTH='{password}' " if password else ""
    user_opt = f"--user {user} " if user else ""
    tls = redis_tls() if tls is None else tls
    return host.run(f"{env}timeout 5 redis-cli {tls} -h {address} {user_opt}{command}")


def test_service_running(host):
    assert_service_running(host, "redis-server")


def test_listens_on_loopback_and_private_address(host):
    assert host.socket("tcp://127.0.0.1:6379").is_listening
    assert host.socket(f"tcp://{address_of(host)}:6379").is_listening


def test_refuses_commands_without_password(host):
    out = cli(host, "SET probe 1", address=address_of(host))
    assert "NOAUTH" in out.stdout + out.stderr


def test_refuses_wrong_password(host):
    out = cli(host, "PING", password="not-the-password", address=address_of(host))
    assert "WRONGPASS" in out.stdout + out.stderr


def test_accepts_password_as_default_user(host, password):
    out = cli(host, "PING", password=password, address=address_of(host))
    assert out.stdout.strip() == "PONG", out.stdout + out.stderr


def test_accepts_acl_user(host, password):
    user = variables(host).get("redis_acl_user", "openedx")
    out = cli(host, "SET probe 1", password=password, user=user, address=address_of(host))
    assert out.stdout.strip() == "OK", out.stdout + out.stderr


@pytest.mark.parametrize("command", ["FLUSHALL", "FLUSHDB", "CONFIG GET maxmemory", "ACL LIST", "SHUTDOWN NOSAVE"])
def test_dangerous_commands_denied(host, password, command):
    out = cli(host, command, password=password)
    assert "NOPERM" in out.stdout + out.stderr, out.stdout + out.stderr


def test_broker_persistence_and_no_eviction(host, password):
    persistence = cli(host, "INFO persistence", password=password).stdout
    memory = cli(host, "INFO memory", password=password).stdout
    assert "aof_enabled:1" in persistence
    assert "maxmemory_policy:noeviction" in memory
    config = host.file("/etc/redis/redis.conf")
    assert config.contains("^appendfsync everysec$")
    assert config.contains("^protected-mode yes$")
    assert config.mode == 0o640
    assert config.user == "redis"


def test_only_verified_tls_is_spoken(host, password):
    """No plain-text port: a plain client gets no answer; one verifying the data stores' CA gets PONG; one trusting
    another CA refuses the server's certificate."""
    plain = cli(host, "ping", password=password, tls="")
    assert "PONG" not in plain.stdout, plain.stdout + plain.stderr
    assert cli(host, "ping", password=password).stdout.strip() == "PONG"
    wrong = cli(host, "ping", password=password, tls=redis_tls(WRONG_CA))
    said = wrong.stdout + wrong.stderr
    assert "PONG" not in wrong.stdout and "certificate" in said.lower(), said


def test_server_key_is_the_servers_alone(host):
    key = host.file("/etc/redis/tls/server.key")
    assert (key.user, key.mode) == ("redis", 0o600)
