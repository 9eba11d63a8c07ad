"""Behaviour of the mysql role (MariaDB flavor offline) on the primary and its replica: grants per user (exercised
from the app host, the platform's client), root by socket only, binary logs, utf8mb4, private binding, and a
replica that follows the primary."""

from __future__ import annotations

import shlex
import time

import pytest
from hostcheck import WRONG_CA, address_of, assert_service_running, hosts_in, mysql_tls, only, variables

testinfra_hosts = hosts_in("mysql")


def sql(host, statement, user=None, password=None, database="", address=None, tls=None):
    """Runs one statement; as root over the socket unless a user is given (then over TCP, with TLS verifying the
    data stores' CA unless `tls` gives other client options)."""
    tls = mysql_tls() if tls is None else tls
    if user is None:
        cmd = f"mysql -N -B -e {shlex.quote(statement)} {database}"
    else:
        cmd = (
            f"MYSQL_PWD={shlex.quote(password)} mysql -N -B {tls} -h {address or '127.0.0.1'} -u {user} "
            f"-e {shlex.quote(statement)} {database}"
        )
    return host.run(cmd)


@pytest.fixture(scope="module")
def primary():
    return only("mysql", mysql_replication_role="primary")


@pytest.fixture(scope="module")
def replica():
    return only("mysql", mysql_replication_role="replica")


@pytest.fixture(scope="module")
def app():
    return only("app")


def test_service_running(host):
    assert_service_running(host, "mariadb")


def test_listens_on_loopback_and_private_address(host):
    assert host.socket("tcp://127.0.0.1:3306").is_listening
    assert host.socket(f"tcp://{address_of(host)}:3306").is_listening


def test_utf8mb4_everywhere(host):
    out = sql(host, "SELECT @@character_set_server, @@collation_server")
    assert out.stdout.split() == ["utf8mb4", "utf8mb4_unicode_ci"], out.stderr
    out = sql(host, "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='openedx'")
    assert out.stdout.strip() == "utf8mb4"


def test_binary_logs_with_retention(host):
    out = sql(host, "SELECT @@log_bin, @@binlog_format, @@binlog_expire_logs_seconds")
    assert out.stdout.split() == ["1", "ROW", str(7 * 86400)], out.stdout + out.stderr


def test_root_only_through_the_socket(host, app):
    assert sql(host, "SELECT 1").stdout.strip() == "1"
    tcp = host.run(f"mysql -N -B {mysql_tls()} -h 127.0.0.1 -u root -e 'SELECT 1'")
    # MySQL says "Access denied"; MariaDB refuses an address no account names before authentication (error 1130),
    # which loopback is here: the platform's accounts name only the app host's address.
    refused = "Access denied" in tcp.stderr or "is not allowed to connect" in tcp.stderr
    assert tcp.rc != 0 and refused, tcp.stdout + tcp.stderr
    # From the app host, which has accounts, the server gets as far as authentication and refuses root there.
    remote = app.run(f"mysql -N -B {mysql_tls()} --connect-timeout=5 -h {address_of(host)} -u root -e 'SELECT 1'")
    assert remote.rc != 0 and "Access denied for user 'root'" in remote.stderr, remote.stdout + remote.stderr
    roots = sql(host, "SELECT host FROM mysql.user WHERE user='root'").stdout.split()
    assert roots == ["localhost"]


def test_no_anonymous_accounts_or_test_db(host):
    assert sql(host, "SELECT COUNT(*) FROM mysql.user WHERE user=''").stdout.strip() == "0"
    assert "test" not in sql(host, "SHOW DATABASES").stdout.split()


@pytest.mark.parametrize(
    ("user_var", "password_var", "statement", "database", "allowed"),
    [
        ("mysql_app_user", "mysql_app_password", "SELECT COUNT(*) FROM grants_probe", "openedx", True),
        ("mysql_app_user", "mysql_app_password", "INSERT INTO grants_probe VALUES (2)", "openedx", True),
        ("mysql_app_user", "mysql_app_password", "CREATE TABLE app_ddl (id INT)", "openedx", False),
        ("mysql_app_user", "mysql_app_password", "SELECT 1", "notes", False),
        ("mysql_readonly_user", "mysql_readonly_password", "SELECT COUNT(*) FROM grants_probe", "openedx", True),
        ("mysql_readonly_user", "mysql_readonly_password", "DELETE FROM grants_probe", "openedx", False),
        ("mysql_notes_user", "mysql_notes_password", "CREATE TABLE IF NOT EXISTS n (id INT)", "notes", True),
        ("mysql_notes_user", "mysql_notes_password", "SELECT 1", "openedx", False),
        ("mysql_migrate_user", "mysql_migrate_password", "ALTER TABLE grants_probe ADD COLUMN c INT", "openedx", True),
        ("mysql_migrate_user", "mysql_migrate_password", "SELECT 1", "notes", False),
    ],
)
def test_least_privilege(primary, app, user_var, password_var, statement, database, allowed):
    # From the app host (the accounts exist only for client addresses) to the primary: the replica is read-only
    # and receives the same accounts through replication.
    v = variables(primary)
    server = address_of(primary)
    users = {
        "mysql_app_user": "openedx",
        "mysql_migrate_user": "openedx_migrate",
        "mysql_readonly_user": "openedx_readonly",
        "mysql_notes_user": "notes",
    }
    migrate = sql(
        app,
        "DROP TABLE IF EXISTS grants_probe; CREATE TABLE grants_probe (id INT)",
        user="openedx_migrate",
        password=v["mysql_migrate_password"],
        database="openedx",
        address=server,
    )
    assert migrate.rc == 0, f"migrate user cannot run DDL: {migrate.stderr}"
    out = sql(
        app,
        statement,
        user=v.get(user_var, users[user_var]),
        password=v[password_var],
        database=database,
        address=server,
    )
    if allowed:
        assert out.rc == 0, f"{user_var}: {statement} on {database} refused: {out.stderr}"
    else:
        assert out.rc != 0 and "denied" in out.stderr, f"{user_var}: {statement} on {database} allowed"


def test_replica_follows_primary(primary, replica):
    host = replica
    assert variables(replica)["mysql_replication_primary"] == primary.backend.get_hostname()
    marker = f"m{int(time.time())}"
    # The marker is generated above, never external input.
    probe = (
        "CREATE TABLE IF NOT EXISTS openedx.replication_probe (v VARCHAR(32)); INSERT INTO openedx.replication_probe"
    )
    write = sql(primary, f"{probe} VALUES ('{marker}')")
    assert write.rc == 0, write.stderr
    for _ in range(30):
        seen = sql(host, f"SELECT COUNT(*) FROM openedx.replication_probe WHERE v='{marker}'")  # noqa: S608
        if seen.stdout.strip() == "1":
            break
        time.sleep(1)
    else:
        status = sql(host, "SHOW REPLICA STATUS\\G").stdout
        pytest.fail(f"the replica did not receive the write within 30 s:\n{status}")
    assert sql(host, "SELECT @@read_only").stdout.strip() == "1"


def test_tcp_clients_must_use_tls(primary, app):
    """require_secure_transport: the app's own account over plain TCP is refused, over TLS verified with the data
    stores' CA it logs in, and a client trusting another CA refuses the server."""
    v = variables(primary)
    args = ("SELECT CURRENT_USER()", "openedx", v["mysql_app_password"], "openedx", address_of(primary))
    plain = sql(app, *args, tls="--skip-ssl")
    # MariaDB 10.11 answers an insecure login with "Access denied" (MySQL: "Connections using insecure transport are
    # prohibited"); the same credentials over TLS get in below, so it is the transport that is refused.
    refused = "insecure transport" in plain.stderr or "Access denied for user 'openedx'" in plain.stderr
    assert plain.rc != 0 and refused, plain.stdout + plain.stderr
    verified = sql(app, *args)
    assert verified.rc == 0 and verified.stdout.startswith("openedx@"), verified.stdout + verified.stderr
    cipher = sql(app, "SHOW STATUS LIKE 'Ssl_version'", *args[1:])
    assert "TLSv1." in cipher.stdout, cipher.stdout + cipher.stderr
    wrong = sql(app, *args, tls=mysql_tls(WRONG_CA))
    assert wrong.rc != 0 and "certificate" in wrong.stderr.lower(), wrong.stdout + wrong.stderr


def test_server_key_is_the_servers_alone(host):
    key = host.file("/etc/mysql/tls/server.key")
    assert (key.user, key.mode) == ("mysql", 0o600)
    assert sql(host, "SELECT @@require_secure_transport").stdout.strip() == "1"


def test_replica_reads_the_primary_over_verified_tls(replica):
    status = replica.check_output("mysql -e 'SHOW REPLICA STATUS\\G'")
    pairs = (line.split(":", 1) for line in status.splitlines() if ":" in line)
    fields = {name.strip(): value.strip() for name, value in pairs}
    assert fields["Slave_IO_Running"] == "Yes", status
    assert fields["Master_SSL_Allowed"] == "Yes", status
    assert fields["Master_SSL_CA_File"] == "/etc/mysql/tls/ca.pem", status
    assert fields["Master_SSL_Verify_Server_Cert"] == "Yes", status
