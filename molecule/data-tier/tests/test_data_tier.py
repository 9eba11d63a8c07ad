"""Cross-host behaviour of common + mysql + redis: who may reach and log in to the data stores.

The `app` host is a client; `other` is in neither app nor worker, so the firewall must drop its packets to
the data ports and MySQL must not know its address. The single-role checks are in test_common.py,
test_mysql.py and test_redis.py.
"""

from __future__ import annotations

import re
import shlex

import pytest
from hostcheck import address_of, assert_sandboxed, assert_service_running, mysql_tls, only, redis_tls, variables

CONNECT_TIMEOUT = 5


@pytest.fixture(scope="module")
def app():
    return only("app")


@pytest.fixture(scope="module")
def other():
    return only("other")


@pytest.fixture(scope="module")
def db():
    return only("mysql", mysql_replication_role="primary")


@pytest.fixture(scope="module")
def replica():
    return only("mysql", mysql_replication_role="replica")


@pytest.fixture(scope="module")
def cache():
    return only("redis")


def mysql_login(client, server_address, v):
    statement = "SELECT CURRENT_USER()"
    return client.run(
        f"MYSQL_PWD={shlex.quote(v['mysql_app_password'])} mysql -N -B {mysql_tls()} "
        f"--connect-timeout={CONNECT_TIMEOUT} -h {server_address} -u openedx -e {shlex.quote(statement)} openedx"
    )


def redis_cli(client, server_address, command, password=None):
    auth = f"REDISCLI_AUTH={shlex.quote(password)} " if password else ""
    # redis-cli 7.0 has no connect-timeout option: `timeout` bounds a dropped connection instead.
    return client.run(f"{auth}timeout {CONNECT_TIMEOUT} redis-cli {redis_tls()} -h {server_address} {command}")


def tcp_connects(client, address, port):
    return client.run(f"timeout {CONNECT_TIMEOUT} bash -c 'exec 3<>/dev/tcp/{address}/{port}'").rc == 0


def test_services_running(db, replica, cache):
    assert_service_running(db, "mariadb")
    assert_service_running(replica, "mariadb")
    assert_service_running(cache, "redis-server")
    for host in (db, replica, cache):
        assert_service_running(host, "nftables")


def test_the_servers_run_in_their_sandboxes(db, cache):
    """The common role's sandbox drop-in in force, as the kernel reports it for the main process (these two hosts
    are privileged, so systemd applies it; the replica's unprivileged host shows the same drop-in starts there
    too, with systemd skipping the namespaces). MariaDB keeps its bounding set (its ExecStartPost runs as root);
    Redis has none."""
    assert_sandboxed(db, "mariadb")
    assert_sandboxed(cache, "redis-server", bounding_set=0)


def test_app_host_logs_in_to_mysql(app, db):
    out = mysql_login(app, address_of(db), variables(db))
    assert out.rc == 0, out.stderr
    assert out.stdout.strip() == f"openedx@{address_of(app)}"


def test_other_host_cannot_reach_mysql(other, db):
    out = mysql_login(other, address_of(db), variables(db))
    assert out.rc != 0, f"the non-app host logged in to MySQL: {out.stdout}"
    assert "Can't connect" in out.stderr, out.stderr


def test_mysql_accounts_only_for_client_addresses(app, db, replica):
    # The replica has the primary's accounts through replication, so the same restriction.
    for host in (db, replica):
        statement = "SELECT DISTINCT host FROM mysql.user WHERE user LIKE 'openedx%'"
        hosts = host.check_output(f"mysql -N -B -e {shlex.quote(statement)}")
        assert hosts.split() == [address_of(app)], host.backend.get_hostname()


def test_mysql_refuses_a_non_client_address_past_the_firewall(db):
    # From the MySQL host's own private address the firewall does not apply (local traffic), so this isolates
    # the grant restriction: the right password from a non-client address is still refused.
    out = mysql_login(db, address_of(db), variables(db))
    assert out.rc != 0, f"MySQL accepted the app user from its own, non-client address: {out.stdout}"
    # MySQL says "Access denied"; MariaDB refuses an unknown client address before authentication (error 1130).
    assert "Access denied" in out.stderr or "is not allowed to connect" in out.stderr, out.stderr


def test_redis_needs_the_password_from_the_app_host(app, cache):
    address = address_of(cache)
    anonymous = redis_cli(app, address, "SET probe 1")
    assert "NOAUTH" in anonymous.stdout + anonymous.stderr, anonymous.stdout + anonymous.stderr
    authed = redis_cli(app, address, "PING", password=variables(cache)["redis_password"])
    assert authed.stdout.strip() == "PONG", authed.stdout + authed.stderr


def test_firewall_admits_app_host_to_data_ports(app, db, cache):
    assert tcp_connects(app, address_of(db), 3306)
    assert tcp_connects(app, address_of(cache), 6379)


def test_firewall_drops_other_host_on_data_ports(other, db, cache):
    assert not tcp_connects(other, address_of(db), 3306), "the non-app host reached MySQL's port"
    assert not tcp_connects(other, address_of(cache), 6379), "the non-app host reached Redis's port"


def admitted(host, port):
    """The sources the host's firewall admits to the port ("any" for a rule without a source), and the ruleset
    for the failure message. nft prints a one-address set as the bare address and a longer one as `{ a, b }`."""
    ruleset = host.check_output("nft list table inet openedx_deploy")
    sources = set()
    for match in re.finditer(rf"(?:ip6? saddr (\{{ [^}}]+ \}}|\S+) )?tcp dport {port} accept", ruleset):
        sources.update(match.group(1).strip("{} ").split(", ") if match.group(1) else ["any"])
    return sources, ruleset


def test_firewall_rules_name_only_client_addresses(app, db, replica, cache):
    # MySQL admits the app tier and the other MySQL hosts (replication); Redis only the app tier.
    for host, expected in ((db, (app, replica)), (replica, (app, db)), (cache, (app,))):
        port = 6379 if host is cache else 3306
        sources, ruleset = admitted(host, port)
        assert sources == {address_of(peer) for peer in expected}, ruleset
