"""Verify the three-member replica set: mongod on the private address, one PRIMARY, authentication enforced, and
only TLS verified with the environment's CA (the members reach each other over it too: the set forms)."""

from __future__ import annotations

import json

from hostcheck import TLS_CA, WRONG_CA

ADMIN = ("admin", "molecule-admin-password")
APP = ("openedx", "molecule-openedx-password")


def _journal(host) -> str:
    return host.run("journalctl -u mongod --no-pager -n 60").stdout


def _mongosh(host, script: str, user: tuple[str, str] | None = None, db: str = "admin", tls: str = ""):
    auth = ""
    if user:
        auth = f"-u {user[0]} -p '{user[1]}' --authenticationDatabase {db}"
    tls = tls or f"--tls --tlsCAFile {TLS_CA}"
    return host.run(f"mongosh --quiet --norc --host 127.0.0.1 {tls} {auth} --eval '{script}'")


def _private_address(host) -> str:
    return host.ansible("setup", "gather_subset=network")["ansible_facts"]["ansible_default_ipv4"]["address"]


def test_mongod_running(host):
    service = host.service("mongod")
    assert service.is_running and service.is_enabled, _journal(host)


def test_listens_on_private_address_only(host):
    address = _private_address(host)
    assert host.socket(f"tcp://{address}:27017").is_listening, _journal(host)
    assert not host.socket("tcp://0.0.0.0:27017").is_listening


def test_authentication_required(host):
    result = _mongosh(host, "JSON.stringify(db.adminCommand({listDatabases: 1}))")
    assert "requires authentication" in (result.stdout + result.stderr)


def test_replica_set_has_one_primary(host):
    result = _mongosh(host, "JSON.stringify(rs.status().members.map(m => m.stateStr))", ADMIN)
    assert result.rc == 0, result.stderr
    states = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(states) == 3
    assert states.count("PRIMARY") == 1
    assert set(states) <= {"PRIMARY", "SECONDARY"}


def test_openedx_user_writes_through_the_replica_set(host):
    script = (
        'const c = db.getSiblingDB("openedx").molecule_probe;'
        ' c.insertOne({probe: 1}, {writeConcern: {w: "majority"}}); print(c.countDocuments({probe: 1}) > 0)'
    )
    result = host.run(
        "mongosh --quiet --norc "
        f"'mongodb://{APP[0]}:{APP[1]}@127.0.0.1:27017/openedx?authSource=openedx&replicaSet=openedx"
        f"&tls=true&tlsCAFile={TLS_CA}' "
        f"--eval '{script}'"
    )
    assert result.rc == 0 and result.stdout.strip().endswith("true"), result.stderr


def test_plain_text_and_another_ca_are_refused(host):
    """requireTLS: a plain-text client gets no answer, and a client trusting another CA refuses the server."""
    uri = "mongodb://127.0.0.1:27017/?directConnection=true&serverSelectionTimeoutMS=3000"
    plain = host.run(f"mongosh --quiet --norc '{uri}' --eval 'db.hello().ok'")
    assert plain.rc != 0, plain.stdout
    wrong = host.run(f"mongosh --quiet --norc '{uri}&tls=true&tlsCAFile={WRONG_CA}' --eval 'db.hello().ok'")
    assert wrong.rc != 0, wrong.stdout
    verified = host.run(f"mongosh --quiet --norc '{uri}&tls=true&tlsCAFile={TLS_CA}' --eval 'db.hello().ok'")
    assert verified.rc == 0 and verified.stdout.strip().endswith("1"), verified.stderr + _journal(host)
