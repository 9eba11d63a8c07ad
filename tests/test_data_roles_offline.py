"""Offline tests of the mongodb and search roles: syntax, rendered configuration, preflight refusals, FCV logic.

MongoDB, Meilisearch, Elasticsearch and OpenSearch cannot be installed here (vendor sources unreachable), so their
molecule scenarios skip offline. These tests run the roles' own rendering tasks (tasks_from: preflight / config) with
real Ansible templating on localhost into a scratch directory and parse what comes out.

Check mode is not used: a check-mode run of the full roles on localhost would stop at the vendor repository tasks
(signing key download, apt install of packages no configured source has) and would inspect this machine's own /etc
and package state, so it would test neither the roles nor anything a host would see.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml

with warnings.catch_warnings():
    # Deprecated (removed in 3.13) but the only bcrypt verifier in the standard library; the hosts use it too.
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

REPO = Path(__file__).resolve().parents[1]
ROLES = REPO / "roles"
PRIVATE = "10.40.1.11"
CATALOG = yaml.safe_load((REPO / "openedx_deploy/data/releases.yml").read_text())["openedx_releases"]

MONGODB_SECRETS = {
    "mongodb_admin_password": "offline-admin-password",
    "mongodb_app_password": "offline-openedx-password",
    "mongodb_keyfile": "b2ZmbGluZS1yZXBsaWNhLXNldC1r\nZXlmaWxlLWZvci10ZXN0cw==\n",
}
MEILI_KEY = "offline-meilisearch-master-key"
JVM_PASSWORD = "offline-search-admin-password"


def _ansible_playbook() -> str:
    beside_python = Path(sys.executable).parent / "ansible-playbook"
    found = str(beside_python) if beside_python.exists() else shutil.which("ansible-playbook")
    if not found:
        pytest.fail("ansible-playbook is not installed in this environment (pip install ansible)")
    return found


def _run(tmp_path: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_ROLES_PATH=str(ROLES),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / ".ansible-tmp"),
        ANSIBLE_REMOTE_TEMP=str(tmp_path / ".ansible-tmp"),
        ANSIBLE_RETRY_FILES_ENABLED="false",
    )
    return subprocess.run(
        [_ansible_playbook(), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )


def _inventory(tmp_path: Path, group: str, hosts: dict[str, str]) -> Path:
    lines = [f"[{group}]"] + [f"{name} openedx_private_address={address}" for name, address in hosts.items()]
    lines += ["[all:vars]", "ansible_connection=local", f"ansible_python_interpreter={sys.executable}"]
    path = tmp_path / "hosts.ini"
    path.write_text("\n".join(lines) + "\n")
    return path


def _render(tmp_path: Path, role: str, group: str, hosts: dict[str, str], variables: dict, prepare: str = ""):
    """Run the role's preflight and config tasks for every host; each host renders under out/<host>/."""
    playbook = tmp_path / "render.yml"
    playbook.write_text(
        f"""
- name: Render the {role} role's configuration
  hosts: {group}
  gather_facts: false
  tasks:
{prepare}
    - name: Preflight
      ansible.builtin.include_role: {{name: {role}, tasks_from: preflight}}
    - name: Render
      ansible.builtin.include_role: {{name: {role}, tasks_from: config}}
    # Ending the play drops the notified restart handlers: nothing runs here to restart.
    - name: Stop before handlers
      ansible.builtin.meta: end_play
"""
    )
    variables_file = tmp_path / "vars.json"
    variables_file.write_text(json.dumps(variables))
    inventory = _inventory(tmp_path, group, hosts)
    return _run(tmp_path, ["-i", str(inventory), str(playbook), "-e", f"@{variables_file}"])


def _assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


# --- syntax -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["mongodb", "search"])
def test_converge_playbook_syntax(tmp_path: Path, scenario: str) -> None:
    result = _run(tmp_path, ["--syntax-check", "-i", "localhost,", str(REPO / "molecule" / scenario / "converge.yml")])
    _assert_ok(result)


@pytest.mark.parametrize("scenario", ["mongodb", "search"])
def test_scenario_sidecar_explains_offline_skip(scenario: str) -> None:
    sidecar = yaml.safe_load((REPO / "molecule" / scenario / "test.yml").read_text())
    assert isinstance(sidecar["order"], int)
    assert sidecar["needs_urls"] and all(url.startswith("https://") for url in sidecar["needs_urls"])
    assert len(sidecar["reason"]) > 40
    # Versions come from the catalog, never from the scenario or the role defaults.
    assert "openedx_releases" in (REPO / "molecule" / scenario / "converge.yml").read_text()


@pytest.mark.parametrize(("role", "variable"), [("mongodb", "mongodb_version"), ("search", "search_version")])
def test_role_defaults_hold_no_version(role: str, variable: str) -> None:
    defaults = yaml.safe_load((ROLES / role / "defaults/main.yml").read_text())
    assert variable not in defaults


# --- mongodb ------------------------------------------------------------------------------------------------------


def _mongodb_vars(tmp_path: Path, **overrides) -> dict:
    out = str(tmp_path / "out")
    variables = {
        "mongodb_version": CATALOG["ulmo"]["mongodb"],
        "mongodb_memory_mb": 8192,
        "mongodb_config_file": out + "/{{ inventory_hostname }}/mongod.conf",
        "mongodb_keyfile_path": out + "/{{ inventory_hostname }}/keys/keyfile",
        "mongodb_system_user": _current_user(),
        "mongodb_system_group": _current_group(),
        **MONGODB_SECRETS,
    }
    variables.update(overrides)
    return {k: v for k, v in variables.items() if v is not None}


def _current_user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def _current_group() -> str:
    import grp

    return grp.getgrgid(os.getgid()).gr_name


@pytest.fixture(scope="module")
def mongodb_rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    tmp_path = tmp_path_factory.mktemp("mongodb")
    result = _render(tmp_path, "mongodb", "mongodb", {"db1": PRIVATE}, _mongodb_vars(tmp_path))
    _assert_ok(result)
    return tmp_path, result


def test_mongod_conf_secures_the_replica_set(mongodb_rendered) -> None:
    tmp_path, _ = mongodb_rendered
    conf = yaml.safe_load((tmp_path / "out/db1/mongod.conf").read_text())
    bind = conf["net"]["bindIp"].split(",")
    assert PRIVATE in bind and "127.0.0.1" in bind
    assert "0.0.0.0" not in bind and conf["net"].get("bindIpAll") is not True  # noqa: S104
    assert conf["net"]["port"] == 27017
    assert conf["security"]["authorization"] == "enabled"
    assert conf["security"]["keyFile"] == str(tmp_path / "out/db1/keys/keyfile")
    assert conf["replication"]["replSetName"] == "openedx"
    # (8 GiB - 1 GiB) * 0.5
    assert conf["storage"]["wiredTiger"]["engineConfig"]["cacheSizeGB"] == 3.5


def test_mongod_conf_is_plain_text_without_the_data_ca(mongodb_rendered) -> None:
    tmp_path, _ = mongodb_rendered
    conf = yaml.safe_load((tmp_path / "out/db1/mongod.conf").read_text())
    assert "tls" not in conf["net"] and "ssl" not in conf["net"]


def _data_ca() -> tuple[str, str]:
    from openedx_deploy import secrets

    return secrets.split_data_ca(secrets.generate_data_ca())


def test_mongod_conf_requires_tls_with_the_data_ca(tmp_path: Path) -> None:
    """With the data-store CA: requireTLS on every connection (clients and the members to each other), the joined
    certificate-key file, the CA that verifies peers, password clients without a certificate let in, TLS 1.2+."""
    ca_key, ca_cert = _data_ca()
    variables = _mongodb_vars(tmp_path, mongodb_tls_ca_cert=ca_cert, mongodb_tls_ca_key=ca_key)
    result = _render(tmp_path, "mongodb", "mongodb", {"db1": PRIVATE}, variables)
    _assert_ok(result)
    conf = yaml.safe_load((tmp_path / "out/db1/mongod.conf").read_text())
    assert conf["net"]["tls"] == {
        "mode": "requireTLS",
        "certificateKeyFile": "/etc/mongodb/tls/mongod.pem",
        "CAFile": "/etc/mongodb/tls/ca.pem",
        "allowConnectionsWithoutCertificates": True,
        "disabledProtocols": "TLS1_0,TLS1_1",
    }
    assert conf["security"]["keyFile"] == str(tmp_path / "out/db1/keys/keyfile")  # internal auth stays the keyfile
    assert ca_key.splitlines()[1] not in result.stdout


@pytest.mark.parametrize("half", ["mongodb_tls_ca_cert", "mongodb_tls_ca_key"])
def test_mongodb_preflight_refuses_half_a_ca(tmp_path: Path, half: str) -> None:
    ca_key, ca_cert = _data_ca()
    halves = {"mongodb_tls_ca_cert": ca_cert, "mongodb_tls_ca_key": ca_key} | {half: ""}
    variables = _mongodb_vars(tmp_path, **halves)
    result = _render(tmp_path, "mongodb", "mongodb", {"db1": PRIVATE}, variables)
    assert result.returncode != 0
    assert "must both hold the data-store CA" in result.stdout
    assert ca_key.splitlines()[1] not in result.stdout
    assert not (tmp_path / "out/db1/mongod.conf").exists()


def test_keyfile_is_private_and_whitespace_free(mongodb_rendered) -> None:
    tmp_path, result = mongodb_rendered
    keyfile = tmp_path / "out/db1/keys/keyfile"
    assert keyfile.stat().st_mode & 0o777 == 0o400
    assert keyfile.read_text() == "".join(MONGODB_SECRETS["mongodb_keyfile"].split()) + "\n"
    assert "offline-admin-password" not in result.stdout
    assert "ZXlmaWxlLWZvci10ZXN0cw" not in result.stdout


def test_wiredtiger_cache_floor_and_override(tmp_path: Path) -> None:
    hosts = {"small": "10.40.1.21", "pinned": "10.40.1.22", "other": "10.40.1.23"}
    variables = _mongodb_vars(tmp_path, mongodb_memory_mb=1024)
    prepare = """
    - name: Pin one host's cache
      ansible.builtin.set_fact:
        mongodb_wiredtiger_cache_gb: 1.5
      when: inventory_hostname == 'pinned'
"""
    _assert_ok(_render(tmp_path, "mongodb", "mongodb", hosts, variables, prepare))
    small = yaml.safe_load((tmp_path / "out/small/mongod.conf").read_text())
    pinned = yaml.safe_load((tmp_path / "out/pinned/mongod.conf").read_text())
    assert small["storage"]["wiredTiger"]["engineConfig"]["cacheSizeGB"] == 0.25
    assert pinned["storage"]["wiredTiger"]["engineConfig"]["cacheSizeGB"] == 1.5
    assert pinned["net"]["bindIp"] == "127.0.0.1,10.40.1.22"


@pytest.mark.parametrize(
    ("overrides", "hosts", "message"),
    [
        ({"mongodb_keyfile": ""}, 1, "mongodb_keyfile is required"),
        ({"mongodb_keyfile": "not base64 !!!" * 3}, 1, "mongodb_keyfile is required"),
        ({"mongodb_keyfile": "A" * 1025}, 1, "mongodb_keyfile is required"),
        ({"mongodb_admin_password": ""}, 1, "mongodb_admin_password and mongodb_app_password are required"),
        ({"mongodb_app_password": ""}, 1, "mongodb_admin_password and mongodb_app_password are required"),
        ({"mongodb_version": None}, 1, "mongodb_version must be a release series"),
        ({}, 2, "odd number of hosts"),
        ({"mongodb_bind_address": "0.0.0.0"}, 1, "must be the host's private address"),  # noqa: S104
    ],
)
def test_mongodb_preflight_refuses(tmp_path: Path, overrides: dict, hosts: int, message: str) -> None:
    inventory = {f"db{i}": f"10.40.1.{10 + i}" for i in range(1, hosts + 1)}
    result = _render(tmp_path, "mongodb", "mongodb", inventory, _mongodb_vars(tmp_path, **overrides))
    assert result.returncode != 0
    assert message in result.stdout
    assert not (tmp_path / "out/db1/mongod.conf").exists()
    for secret in ("offline-admin-password", "offline-openedx-password"):
        assert secret not in result.stdout + result.stderr


def _load_fcv_module():
    spec = importlib.util.spec_from_file_location("mongodb_fcv", ROLES / "mongodb/library/mongodb_fcv.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("current", "target", "server", "change", "error"),
    [
        ("7.0", "7.0", "7.0.14", False, None),
        ("6.0", "7.0", "7.0.14", True, None),
        ("7.0", "6.0", "7.0.14", True, None),
        ("6.0", "7.0", "6.0.19", False, "upgrade the packages"),
        ("5.0", "5.0", "7.0.14", False, "accepts featureCompatibilityVersion 7.0 or 6.0 only"),
    ],
)
def test_fcv_plan(current: str, target: str, server: str, change: bool, error: str | None) -> None:
    planned_change, planned_error = _load_fcv_module().plan_fcv(current, target, server)
    assert planned_change is change
    if error is None:
        assert planned_error is None
    else:
        assert planned_error and error in planned_error


def test_fcv_module_speaks_tls_that_pymongo_accepts(tmp_path: Path) -> None:
    """The module's TLS parameters become MongoClient options pymongo takes (it raises on unknown ones) and that
    verify the server with the CA; without tls nothing of TLS is asked."""
    import ssl

    pymongo = pytest.importorskip("pymongo", reason="the module hands its options to pymongo")
    module = _load_fcv_module()
    _, ca_cert = _data_ca()
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(ca_cert)
    params = {
        "login_host": "127.0.0.1",
        "login_port": 27017,
        "login_user": "admin",
        "login_password": "offline-admin-password",
        "login_database": "admin",
        "replica_set": "openedx",
    }
    options = module.client_options_from(params | {"tls": True, "tls_ca_file": str(ca_file)})
    assert options["tls"] is True and options["tlsCAFile"] == str(ca_file)
    client = pymongo.MongoClient(**options, connect=False)
    try:
        context = client.options.pool_options._ssl_context
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    finally:
        client.close()
    plain = module.client_options_from(params | {"tls": False, "tls_ca_file": None})
    assert "tls" not in plain and "tlsCAFile" not in plain
    with pytest.raises(ValueError, match="tls_ca_file needs tls"):
        module.client_options_from(params | {"tls": False, "tls_ca_file": str(ca_file)})
    task = yaml.safe_load((ROLES / "mongodb/tasks/fcv.yml").read_text())[0]["mongodb_fcv"]
    assert task["tls"] == "{{ _mongodb_tls | bool }}"


def _mongodb_role_tasks(monkeypatch: pytest.MonkeyPatch) -> list:
    """The mongodb role's tasks as ansible-playbook compiles them for a play that applies the role (imports resolved,
    each task with the keywords it inherits from its blocks and imports)."""
    from ansible import context
    from ansible.inventory.manager import InventoryManager
    from ansible.module_utils.common.collections import ImmutableDict
    from ansible.parsing.dataloader import DataLoader
    from ansible.playbook.block import Block
    from ansible.playbook.play import Play
    from ansible.plugins.loader import init_plugin_loader
    from ansible.utils.collection_loader import AnsibleCollectionConfig
    from ansible.vars.manager import VariableManager

    if AnsibleCollectionConfig.collection_finder is None:  # set up once per process (Ansible warns on another)
        init_plugin_loader()
    monkeypatch.setattr(context, "CLIARGS", ImmutableDict({}))
    loader = DataLoader()
    variables = VariableManager(loader=loader, inventory=InventoryManager(loader=loader, sources=["localhost,"]))
    play = Play.load(
        {"hosts": "localhost", "gather_facts": False, "roles": [str(ROLES / "mongodb")]},
        variable_manager=variables,
        loader=loader,
    )

    def flatten(blocks: list) -> list:
        found = []
        for block in blocks:
            for item in (block.block or []) + (block.rescue or []) + (block.always or []):
                found += flatten([item]) if isinstance(item, Block) else [item]
        return found

    return flatten(play.compile())


def _community_mongodb_action_group() -> set[str]:
    """The modules the installed community.mongodb collection puts in its `mongodb` action group."""
    spec = importlib.util.find_spec("ansible_collections.community.mongodb")
    assert spec and spec.submodule_search_locations, "community.mongodb is not installed beside ansible-core"
    runtime = yaml.safe_load((Path(next(iter(spec.submodule_search_locations))) / "meta/runtime.yml").read_text())
    return {f"community.mongodb.{name}" for name in runtime["action_groups"]["mongodb"]}


@pytest.mark.parametrize("tls", [True, False], ids=["tls", "plain"])
def test_every_community_mongodb_task_connects_to_the_local_member(monkeypatch: pytest.MonkeyPatch, tls: bool) -> None:
    """Each community.mongodb task reaches this host's mongod at 127.0.0.1 and, with the data CA, asks for TLS
    verified with it, without the CA file when TLS is off: stated once as module_defaults for the collection's
    action group (tasks/main.yml), which every such task inherits and none overrides."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    group = _community_mongodb_action_group()
    compiled = _mongodb_role_tasks(monkeypatch)
    tasks = [task for task in compiled if (task.resolved_action or "").startswith("community.mongodb.")]
    # replicaset.yml: initiate, probe the admin user, create it, wait for health; users.yml: the Open edX user.
    assert len(tasks) == 5, [task.get_name() for task in tasks]
    templar = Templar(
        loader=DataLoader(),
        variables={"_mongodb_tls": tls, "_mongodb_tls_ca_file": "/etc/mongodb/tls/ca.pem", "mongodb_port": 27017},
    )
    expected = {"login_host": "127.0.0.1", "login_port": 27017, "ssl": tls}
    expected |= {"ssl_ca_certs": "/etc/mongodb/tls/ca.pem"} if tls else {}
    for task in tasks:
        assert task.resolved_action in group, task.get_name()
        defaults = {key: value for entry in task.module_defaults for key, value in entry.items()}
        connection = defaults["group/community.mongodb.mongodb"]
        resolved = templar.template({key: trust_as_template(value) for key, value in connection.items()})
        assert resolved == expected, task.get_name()
        assert not set(connection) & set(task.args), f"{task.get_name()} overrides the connection defaults"
    fcv = [task for task in compiled if task.action == "mongodb_fcv"]
    assert fcv and fcv[0].resolved_action not in group  # the role's own module: its TLS arguments stay explicit


def test_every_local_client_of_the_role_verifies_the_ca() -> None:
    """Under requireTLS each connection the role makes itself must ask for TLS with the CA: the community.mongodb
    tasks (test_every_community_mongodb_task_connects_to_the_local_member), mongosh, mongodump and mongorestore
    (which spell it --ssl/--sslCAFile), the FCV module."""
    assert "_mongodb_mongosh_tls_args" in (ROLES / "mongodb/tasks/replicaset.yml").read_text()
    for name in ("backup.yml", "restore.yml"):
        assert "+ _mongodb_tools_tls_args" in (ROLES / "mongodb/tasks" / name).read_text(), name
    variables = yaml.safe_load((ROLES / "mongodb/vars/main.yml").read_text())
    assert "'--ssl', '--sslCAFile=' ~ _mongodb_tls_ca_file" in variables["_mongodb_tools_tls_args"]
    assert "'--tls', '--tlsCAFile', _mongodb_tls_ca_file" in variables["_mongodb_mongosh_tls_args"]


def test_fcv_task_targets_the_catalog_version() -> None:
    tasks = yaml.safe_load((ROLES / "mongodb/tasks/fcv.yml").read_text())
    assert tasks[0]["mongodb_fcv"]["version"] == "{{ mongodb_version | string }}"
    main = yaml.safe_load((ROLES / "mongodb/tasks/main.yml").read_text())
    fcv_entry = next(task for task in main if task.get("ansible.builtin.import_tasks") == "fcv.yml")
    assert fcv_entry["tags"] == ["never", "mongodb_fcv"]


# --- search -------------------------------------------------------------------------------------------------------


def _search_vars(tmp_path: Path, engine: str, **overrides) -> dict:
    out = str(tmp_path / "out")
    variables = {
        "search_engine": engine,
        "search_version": CATALOG["ulmo"]["search"][engine],
        "search_memory_mb": 4096,
        "search_master_key": MEILI_KEY,
        "search_admin_password": JVM_PASSWORD,
        "search_config_dir": out + "/{{ inventory_hostname }}/etc",
        "search_systemd_dir": out + "/{{ inventory_hostname }}/systemd",
        "search_system_user": _current_user(),
        "search_system_group": _current_group(),
    }
    variables.update(overrides)
    return {k: v for k, v in variables.items() if v is not None}


_MAKE_SYSTEMD_DIR = """
    - name: Create the scratch systemd directory
      ansible.builtin.file:
        path: "{{ search_systemd_dir }}"
        state: directory
        mode: "0755"
"""


def _env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return dict(pairs)


def test_meilisearch_env_is_production_private_and_keyed(tmp_path: Path) -> None:
    result = _render(
        tmp_path, "search", "search", {"s1": PRIVATE}, _search_vars(tmp_path, "meilisearch"), _MAKE_SYSTEMD_DIR
    )
    _assert_ok(result)
    env_path = tmp_path / "out/s1/etc/meilisearch.env"
    env = _env_file(env_path)
    assert env["MEILI_ENV"] == "production"
    assert env["MEILI_MASTER_KEY"] == MEILI_KEY
    assert env["MEILI_HTTP_ADDR"] == f"{PRIVATE}:7700"
    assert env["MEILI_DUMP_DIR"] and env["MEILI_SNAPSHOT_DIR"] and env["MEILI_DB_PATH"]
    assert int(env["MEILI_MAX_INDEXING_MEMORY"]) == 2048 * 1024 * 1024
    assert env_path.stat().st_mode & 0o777 == 0o600
    assert MEILI_KEY not in result.stdout

    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string((tmp_path / "out/s1/systemd/meilisearch.service").read_text())
    release = CATALOG["ulmo"]["search"]["meilisearch"] + ".0"
    assert unit["Service"]["ExecStart"] == f"/opt/meilisearch/{release}/meilisearch"
    assert unit["Service"]["EnvironmentFile"] == str(env_path)
    assert unit["Service"]["User"] == _current_user()
    assert MEILI_KEY not in (tmp_path / "out/s1/systemd/meilisearch.service").read_text()


def test_elasticsearch_single_node_has_security_on(tmp_path: Path) -> None:
    result = _render(tmp_path, "search", "search", {"s1": PRIVATE}, _search_vars(tmp_path, "elasticsearch"))
    _assert_ok(result)
    conf = yaml.safe_load((tmp_path / "out/s1/etc/elasticsearch.yml").read_text())
    assert conf["xpack.security.enabled"] is True
    assert conf["xpack.security.transport.ssl.enabled"] is True
    assert conf["network.host"] == PRIVATE
    assert conf["discovery.type"] == "single-node"
    assert "cluster.initial_master_nodes" not in conf
    heap = (tmp_path / "out/s1/etc/jvm.options.d/heap.options").read_text().split()
    assert "-Xms2048m" in heap and "-Xmx2048m" in heap


def test_elasticsearch_cluster_spans_the_search_group(tmp_path: Path) -> None:
    hosts = {"s1": "10.40.2.11", "s2": "10.40.2.12", "s3": "10.40.2.13"}
    variables = _search_vars(tmp_path, "elasticsearch", search_memory_mb=131072)
    _assert_ok(_render(tmp_path, "search", "search", hosts, variables))
    for name, address in hosts.items():
        conf = yaml.safe_load((tmp_path / f"out/{name}/etc/elasticsearch.yml").read_text())
        assert conf["network.host"] == address
        assert conf["node.name"] == name
        assert conf["discovery.seed_hosts"] == [f"{a}:9300" for a in hosts.values()]
        assert conf["cluster.initial_master_nodes"] == list(hosts)
        assert "discovery.type" not in conf
    heap = (tmp_path / "out/s1/etc/jvm.options.d/heap.options").read_text().split()
    assert "-Xmx31744m" in heap  # capped below 31 GiB


def test_opensearch_security_and_admin_hash(tmp_path: Path) -> None:
    hosts = {"s1": "10.40.2.11", "s2": "10.40.2.12", "s3": "10.40.2.13"}
    variables = _search_vars(tmp_path, "opensearch")
    result = _render(tmp_path, "search", "search", hosts, variables)
    _assert_ok(result)
    conf = yaml.safe_load((tmp_path / "out/s2/etc/opensearch.yml").read_text())
    assert conf["plugins.security.disabled"] is False
    assert conf["network.host"] == "10.40.2.12"
    assert conf["plugins.security.ssl.transport.pemkey_filepath"] == "certs/node.key"
    assert conf["cluster.initial_cluster_manager_nodes"] == list(hosts)
    users_path = tmp_path / "out/s2/etc/opensearch-security/internal_users.yml"
    users = yaml.safe_load(users_path.read_text())
    stored = users["admin"]["hash"]
    assert stored.startswith("$2") and crypt.crypt(JVM_PASSWORD, stored) == stored
    assert crypt.crypt("another-password", stored) != stored
    assert users_path.stat().st_mode & 0o777 == 0o640
    assert JVM_PASSWORD not in result.stdout

    # A second run keeps the hash (bcrypt salts are random), so converges stay idempotent.
    _assert_ok(_render(tmp_path, "search", "search", hosts, variables))
    assert yaml.safe_load(users_path.read_text())["admin"]["hash"] == stored


@pytest.mark.parametrize(
    ("engine", "overrides", "hosts", "message"),
    [
        ("meilisearch", {"search_master_key": "short-key"}, 1, "search_master_key is required for Meilisearch"),
        ("elasticsearch", {"search_admin_password": ""}, 1, "search_admin_password is required for elasticsearch"),
        ("opensearch", {"search_admin_password": ""}, 1, "search_admin_password is required for opensearch"),
        ("meilisearch", {"search_version": "latest"}, 1, "search_version"),
        ("meilisearch", {}, 3, "Meilisearch runs on one host"),
        ("opensearch", {}, 2, "odd number of master-eligible nodes"),
        ("elasticsearch", {"search_bind_address": "0.0.0.0"}, 1, "must be the host's private address"),  # noqa: S104
    ],
)
def test_search_preflight_refuses(tmp_path: Path, engine: str, overrides: dict, hosts: int, message: str) -> None:
    inventory = {f"s{i}": f"10.40.2.{10 + i}" for i in range(1, hosts + 1)}
    result = _render(
        tmp_path, "search", "search", inventory, _search_vars(tmp_path, engine, **overrides), _MAKE_SYSTEMD_DIR
    )
    assert result.returncode != 0
    assert message in result.stdout
    assert not (tmp_path / "out/s1/etc").exists()
    assert MEILI_KEY not in result.stdout and JVM_PASSWORD not in result.stdout


def test_unknown_engine_is_refused(tmp_path: Path) -> None:
    variables = _search_vars(tmp_path, "meilisearch", search_engine="solr")
    result = _render(tmp_path, "search", "search", {"s1": PRIVATE}, variables, _MAKE_SYSTEMD_DIR)
    assert result.returncode != 0
    assert "search_engine must be meilisearch, elasticsearch or opensearch" in result.stdout
