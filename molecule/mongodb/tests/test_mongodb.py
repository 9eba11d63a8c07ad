"""Verify the three-member replica set: mongod on the private address, one PRIMARY, authentication enforced."""

from __future__ import annotations

import json

ADMIN = ("admin", "molecule-admin-password")
APP = ("openedx", "molecule-openedx-password")


def _journal(host) -> str:
    return host.run("journalctl -u mongod --no-pager -n 60").stdout


def _mongosh(host, script: str, user: tuple[str, str] | None = None, db: str = "admin"):
    auth = ""
    if user:
        auth = f"-u {user[0]} -p '{user[1]}' --authenticationDatabase {db}"
    return host.run(f"mongosh --quiet --norc {auth} --eval '{script}'")


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
        f"'mongodb://{APP[0]}:{APP[1]}@127.0.0.1:27017/openedx?authSource=openedx&replicaSet=openedx' "
        f"--eval '{script}'"
    )
    assert result.rc == 0 and result.stdout.strip().endswith("true"), result.stderr
