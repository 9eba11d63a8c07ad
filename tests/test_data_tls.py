"""TLS to the self-hosted data stores (docs/security.md, "TLS to the data stores"), offline.

The `data_ca` secret is a CA the mysql, redis, rabbitmq and mongodb roles issue their server certificates from
(common's tls_server entry point, run here on localhost into a scratch directory); the servers' rendered configuration
requires TLS; the settings openedx_config renders verify the CA and the server's address; and the inventory hands all
of them the one CA. The molecule scenario data-tier proves the same against running MariaDB and Redis (plain text
refused, verified TLS accepted, another CA refused), and the mongodb scenario against a MongoDB replica set where its
vendor's repository answers.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from test_data_roles_offline import _run

from openedx_deploy import secrets

REPO = Path(__file__).resolve().parents[1]
ROLES = REPO / "roles"
PRIVATE = "10.40.1.21"


def _play(
    tmp_path: Path, plays: list[dict[str, Any]], extra: dict[str, Any] | None = None
) -> subprocess.CompletedProcess[str]:
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
    extra_file = tmp_path / "extra.json"
    extra_file.write_text(json.dumps({"ansible_python_interpreter": sys.executable} | (extra or {})))
    return _run(tmp_path, ["-i", "localhost,", "-c", "local", "-e", f"@{extra_file}", str(playbook)])


def _ok(result: subprocess.CompletedProcess[str]) -> int:
    """Asserts the run succeeded; the number of tasks it changed."""
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    recap = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", result.stdout)
    assert recap, result.stdout[-2000:]
    return int(recap.group(1))


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def _group() -> str:
    import grp

    return grp.getgrgid(os.getgid()).gr_name


@pytest.fixture(scope="module")
def data_ca() -> tuple[str, str]:
    return secrets.split_data_ca(secrets.generate_data_ca())


def test_the_data_ca_secret_is_a_ca_key_and_its_certificate() -> None:
    bundle = secrets.generate_data_ca()
    key_pem, cert_pem = secrets.split_data_ca(bundle)
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    key = secrets.serialization.load_pem_private_key(key_pem.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert cert.public_key() == key.public_key()
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    cert.verify_directly_issued_by(cert)
    remaining = cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    assert remaining > datetime.timedelta(days=secrets.DATA_CA_DAYS - 1)
    # The inventory's vault gets the halves; the public one alone is what clients receive.
    derived = secrets.derived_secrets({"data_ca": bundle})
    assert derived == {"data_ca_key": key_pem, "data_ca_cert": cert_pem}
    assert "PRIVATE KEY" not in derived["data_ca_cert"]
    assert secrets.GENERATORS["data_ca"]() != bundle  # one per environment


def test_a_data_ca_without_a_certificate_derives_nothing() -> None:
    assert secrets.split_data_ca("not a pem") == ("", "")
    assert "data_ca_cert" not in secrets.derived_secrets({"data_ca": "damaged"})


def _tls_server_play(tmp_path: Path, ca: tuple[str, str], directory: Path, **extra_vars: Any) -> list[dict[str, Any]]:
    key_pem, cert_pem = ca
    return [
        {
            "name": "Issue a server certificate",
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "The data store's certificate",
                    "ansible.builtin.include_role": {"name": "common", "tasks_from": "tls_server"},
                    "vars": {
                        "common_tls_server_ca_cert": cert_pem,
                        "common_tls_server_ca_key": key_pem,
                        "common_tls_server_dir": str(directory),
                        "common_tls_server_owner": _user(),
                        "common_tls_server_group": _group(),
                        "common_tls_server_addresses": [PRIVATE],
                        "common_tls_server_packages": [],
                        **extra_vars,
                    },
                },
                {"name": "Report", "ansible.builtin.debug": {"msg": "TLS-CHANGED={{ common_tls_server_changed }}"}},
            ],
        }
    ]


def _changed_flag(result: subprocess.CompletedProcess[str]) -> bool:
    flag = re.search(r"TLS-CHANGED=(True|False)", result.stdout)
    assert flag, result.stdout[-2000:]
    return flag.group(1) == "True"


def test_tls_server_issues_a_verifiable_certificate_and_reissues_on_a_new_ca(tmp_path: Path, data_ca) -> None:
    directory = tmp_path / "tls"
    first = _play(tmp_path, _tls_server_play(tmp_path, data_ca, directory))
    _ok(first)
    assert _changed_flag(first)

    ca_cert = x509.load_pem_x509_certificate(data_ca[1].encode())
    server = x509.load_pem_x509_certificate((directory / "server.pem").read_bytes())
    server.verify_directly_issued_by(ca_cert)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address(PRIVATE) in names.get_values_for_type(x509.IPAddress)
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)
    usage = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]  # a server only, unless asked (mongodb)
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert (directory / "ca.pem").read_text() == data_ca[1]
    assert (directory / "server.key").stat().st_mode & 0o777 == 0o600
    assert (directory / "ca.key").exists() is False  # the CA key never lands on the host

    again = _play(tmp_path, _tls_server_play(tmp_path, data_ca, directory))
    assert _ok(again) == 0
    assert not _changed_flag(again)

    # Rotation: a new data_ca secret gives a certificate issued by the new CA, and the server restarts (flag).
    rotated_ca = secrets.split_data_ca(secrets.generate_data_ca())
    rotated = _play(tmp_path, _tls_server_play(tmp_path, rotated_ca, directory))
    _ok(rotated)
    assert _changed_flag(rotated)
    reissued = x509.load_pem_x509_certificate((directory / "server.pem").read_bytes())
    reissued.verify_directly_issued_by(x509.load_pem_x509_certificate(rotated_ca[1].encode()))


def test_tls_server_adds_client_auth_when_asked_and_reissues_for_it(tmp_path: Path, data_ca) -> None:
    """A replica-set member presents its certificate to its peers as a client: the mongodb role asks for clientAuth
    too, and a certificate issued without it is replaced (the CSR's extensions no longer match)."""
    directory = tmp_path / "tls"
    _ok(_play(tmp_path, _tls_server_play(tmp_path, data_ca, directory)))
    both = ["serverAuth", "clientAuth"]
    asked = {"common_tls_server_extended_key_usage": both}
    upgraded = _play(tmp_path, _tls_server_play(tmp_path, data_ca, directory, **asked))
    _ok(upgraded)
    assert _changed_flag(upgraded)
    server = x509.load_pem_x509_certificate((directory / "server.pem").read_bytes())
    usage = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    oid = x509.oid.ExtendedKeyUsageOID
    assert set(usage) == {oid.SERVER_AUTH, oid.CLIENT_AUTH}
    again = _play(tmp_path, _tls_server_play(tmp_path, data_ca, directory, **asked))
    assert _ok(again) == 0


def _mongodb_configure_play(tmp_path: Path, ca: tuple[str, str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The mongodb role's preflight and configure tasks (the certificate, the joined certificate-key file, the
    keyfile and mongod.conf) on localhost into a scratch directory; the play ends before the restart handlers."""
    key_pem, cert_pem = ca
    out = tmp_path / "out"
    plays = [
        {
            "name": "Configure MongoDB",
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {"name": "Preflight", "ansible.builtin.include_role": {"name": "mongodb", "tasks_from": "preflight"}},
                {"name": "Configure", "ansible.builtin.include_role": {"name": "mongodb", "tasks_from": "configure"}},
                {"name": "Stop before handlers", "ansible.builtin.meta": "end_play"},
            ],
        }
    ]
    variables = {
        "mongodb_version": "7.0",
        "mongodb_bind_address": PRIVATE,
        "mongodb_memory_mb": 4096,
        "mongodb_admin_password": "offline-admin-password",
        "mongodb_app_password": "offline-openedx-password",
        "mongodb_keyfile": "b2ZmbGluZS1yZXBsaWNhLXNldC1rZXlmaWxl",
        "mongodb_config_file": str(out / "mongod.conf"),
        "mongodb_keyfile_path": str(out / "keys/keyfile"),
        "mongodb_data_dir": str(out / "data"),
        "mongodb_log_dir": str(out / "log"),
        "mongodb_tls_dir": str(out / "tls"),
        "mongodb_system_user": _user(),
        "mongodb_system_group": _group(),
        "mongodb_tls_ca_cert": cert_pem,
        "mongodb_tls_ca_key": key_pem,
        # The certificate tools are on this machine already (no apt here).
        "common_tls_server_packages": [],
    }
    return plays, variables


def test_mongodb_members_get_a_certificate_key_file_that_serves_and_joins_the_set(tmp_path: Path, data_ca) -> None:
    """mongod's certificateKeyFile holds the certificate issued from the CA and its key (0600, mongod's user): names
    the members and the local tools connect to, serverAuth for clients and clientAuth for the member's own connections
    to its peers. A second run changes nothing."""
    plays, variables = _mongodb_configure_play(tmp_path, data_ca)
    # The role's preflight wants this host in the `mongodb` group.
    inventory = tmp_path / "hosts.ini"
    inventory.write_text(f"[mongodb]\nlocalhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps(variables))
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False))

    def run() -> subprocess.CompletedProcess[str]:
        return _run(tmp_path, ["-i", str(inventory), "-e", f"@{extra}", str(playbook)])

    first = run()
    _ok(first)
    assert data_ca[0].splitlines()[1] not in first.stdout
    out = tmp_path / "out"
    conf = yaml.safe_load((out / "mongod.conf").read_text())
    pem_path = Path(conf["net"]["tls"]["certificateKeyFile"])
    assert pem_path == out / "tls/mongod.pem"
    assert Path(conf["net"]["tls"]["CAFile"]).read_text() == data_ca[1]
    assert pem_path.stat().st_mode & 0o777 == 0o600
    pem = pem_path.read_bytes()
    certificate = x509.load_pem_x509_certificate(pem)
    key = serialization.load_pem_private_key(pem, password=None)
    assert certificate.public_key().public_numbers() == key.public_key().public_numbers()
    certificate.verify_directly_issued_by(x509.load_pem_x509_certificate(data_ca[1].encode()))
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {ipaddress.ip_address(PRIVATE), ipaddress.ip_address("127.0.0.1")} <= set(
        names.get_values_for_type(x509.IPAddress)
    )
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    oid = x509.oid.ExtendedKeyUsageOID
    assert set(usage) == {oid.SERVER_AUTH, oid.CLIENT_AUTH}

    assert _ok(run()) == 0


def _render_role_template(tmp_path: Path, role: str, template: str, variables: dict[str, Any]) -> str:
    out = tmp_path / f"{role}.conf"
    play = {
        "name": f"Render {role}",
        "hosts": "localhost",
        "gather_facts": False,
        # The role's own files, and the inputs as extra vars (which outrank vars_files, as the inventory outranks
        # a role's defaults).
        "vars_files": [str(ROLES / role / "defaults/main.yml"), str(ROLES / role / "vars/main.yml")],
        "tasks": [
            {
                "name": "Render",
                "ansible.builtin.template": {
                    "src": str(ROLES / role / "templates" / template),
                    "dest": str(out),
                    "mode": "0600",
                },
            }
        ],
    }
    _ok(_play(tmp_path, [play], variables))
    return out.read_text()


def _mysql_vars(**extra: Any) -> dict[str, Any]:
    return {"mysql_flavor": "mariadb", "mysql_bind_address": PRIVATE, "mysql_innodb_buffer_pool_size_mb": 128} | extra


def test_mysql_requires_tls_of_tcp_clients_with_the_ca(tmp_path: Path, data_ca) -> None:
    text = _render_role_template(
        tmp_path, "mysql", "openedx.cnf.j2", _mysql_vars(mysql_tls_ca_cert=data_ca[1], mysql_tls_ca_key=data_ca[0])
    )
    server = dict(line.split(" = ", 1) for line in text.split("[client]")[0].splitlines() if " = " in line)
    assert server["require_secure_transport"] == "ON"
    assert server["ssl_ca"] == "/etc/mysql/tls/ca.pem"
    assert server["ssl_cert"] == "/etc/mysql/tls/server.pem"
    assert server["ssl_key"] == "/etc/mysql/tls/server.key"
    assert server["tls_version"] == "TLSv1.2,TLSv1.3"
    plain = _render_role_template(tmp_path, "mysql", "openedx.cnf.j2", _mysql_vars())
    assert "require_secure_transport" not in plain


def test_redis_speaks_only_tls_with_the_ca(tmp_path: Path, data_ca) -> None:
    common = {"redis_bind_address": PRIVATE, "redis_password": "offline-redis-password-0123"}
    text = _render_role_template(
        tmp_path,
        "redis",
        "redis.conf.j2",
        common | {"redis_tls_ca_cert": data_ca[1], "redis_tls_ca_key": data_ca[0]},
    )
    directives = [line.split(None, 1) for line in text.splitlines() if line and not line.startswith("#")]
    settings = {d[0]: d[1] if len(d) > 1 else "" for d in directives if d[0] != "user" and d[0] != "save"}
    assert settings["port"] == "0", "a plain-text port is open"
    assert settings["tls-port"] == "6379"
    assert settings["tls-ca-cert-file"] == "/etc/redis/tls/ca.pem"
    assert settings["tls-cert-file"] == "/etc/redis/tls/server.pem"
    assert settings["tls-key-file"] == "/etc/redis/tls/server.key"
    # Clients verify the server and authenticate with the password; they carry no certificate of their own.
    assert settings["tls-auth-clients"] == "no"
    plain = _render_role_template(tmp_path, "redis", "redis.conf.j2", common)
    assert "tls-port" not in plain and "port 6379" in plain


def test_the_inventory_hands_every_role_the_one_ca() -> None:
    """playbooks/group_vars: the servers get both halves, the clients the certificate only, and only self-hosted
    stores are verified with it (a managed store keeps its own TLS: openedx_<store>.tls)."""
    mapping = yaml.safe_load((REPO / "playbooks/group_vars/all/main.yml").read_text())
    for role in ("mysql", "redis", "rabbitmq", "mongodb"):
        assert "vault_data_ca_cert" in mapping[f"{role}_tls_ca_cert"]
        assert "vault_data_ca_key" in mapping[f"{role}_tls_ca_key"]
    assert "vault_data_ca_cert" in mapping["openedx_config_data_ca_cert"]
    assert "vault_data_ca_cert" in mapping["notes_db_ca_cert"]
    stores = mapping["openedx_data_ca_stores"]
    assert "self_hosted" in stores and "vault_data_ca_cert" in stores
    # The containers mount the CA file wherever it is written: for the data CA's stores, or a managed Redis's own CA.
    assert "openedx_data_ca_path" in mapping["openedx_data_ca_file"]
    assert "openedx_data_ca_stores" in mapping["openedx_data_ca_file"]
    assert "openedx_redis_ca_cert" in mapping["openedx_data_ca_file"]
    for variable in ("openedx_app_data_ca_path", "workers_data_ca_path", "openedx_jobs_data_ca_path"):
        assert mapping[variable] == "{{ openedx_data_ca_file }}", variable
    key_users = sorted(k for k, v in mapping.items() if isinstance(v, str) and "vault_data_ca_key" in v)
    assert key_users == ["mongodb_tls_ca_key", "mysql_tls_ca_key", "rabbitmq_tls_ca_key", "redis_tls_ca_key"]


@pytest.mark.parametrize(
    ("template", "line"),
    [
        (
            "openedx_app/templates/openedx_app.service.j2",
            "{{ openedx_app_data_ca_path }}:/openedx/config/data-ca.pem:ro",
        ),
        ("workers/templates/worker.service.j2", "{{ workers_data_ca_path }}:/openedx/config/data-ca.pem:ro"),
        (
            "openedx_jobs/templates/openedx-deploy-jobs.sh.j2",
            "{{ openedx_jobs_data_ca_path | quote }}:/openedx/config/data-ca.pem:ro",
        ),
    ],
)
def test_every_platform_container_mounts_the_ca_where_the_settings_name_it(template: str, line: str) -> None:
    defaults = yaml.safe_load((ROLES / "openedx_config/defaults/main.yml").read_text())
    assert defaults["openedx_config_data_ca_container_path"] == "/openedx/config/data-ca.pem"
    assert line in (ROLES / template).read_text()
