"""Contract test of the inventory -> roles seam (docs/contracts.md sections 2 and 3), for every cloud x size profile.

From the Terraform outputs each cloud's stack gives for the profile, the inventory is rendered and loaded as
`ansible-playbook` loads it (InventoryManager, VariableManager with playbooks/group_vars, the vault). For every play
of playbooks/site.yml, every host it runs on and every role it applies (and every entry point it includes), the
role's inputs are resolved with Ansible's Templar, exactly as the `validate_argument_spec` task Ansible prepends to
the role resolves them, and checked:

- against the role's meta/argument_specs.yml with ArgumentSpecValidator (required inputs present, types, elements,
  choices), an input that does not resolve (undefined variable) counted as a failure;
- against the role's preflight assertions (tasks/preflight.yml), evaluated with the Templar on the same variables
  (gathered facts stubbed as a Debian host's);
- against the outputs themselves: the endpoints, the managed Redis credential, the buckets and the storage account
  must reach the role inputs that consume them.

The outputs are recorded from `terraform apply` of the rendered root module against the provider double (see
docs/clouds.md, "Offline plan and apply"): tests/snapshots/outputs/<cloud>-<size>.json. The recordings are checked
against the contract's shapes here, and against the stacks themselves by
test_recorded_outputs_are_what_the_stack_gives (standard profile here, every profile in CI), so a stack that changes
the shape of an output breaks this test. Refresh the recordings with
`UPDATE_SNAPSHOTS=1 OPENEDX_DEPLOY_TF_APPLY_ALL=1 pytest tests/test_inventory_contract.py -k recorded`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from simcloud import provider_shim
from test_render import environment
from test_terraform import (
    AMBIENT_PROVIDER_ENV,
    APPLY_ALL_ENV,
    _apply_skip_reason,
    _provider_plugin_dir,
    _Terraform,
    _tool_env,
    needs_terraform,
)

from openedx_deploy import render, secrets, stackoutputs, topology
from openedx_deploy.paths import Workdir
from openedx_deploy.spec import EnvironmentSpec, parse_spec

REPO_ROOT = Path(__file__).resolve().parents[1]
RECORDED = Path(__file__).parent / "snapshots" / "outputs"
RECORDING_HOOK = Path(__file__).parent / "simcloud" / "recording_hook.py"
SITE = REPO_ROOT / "playbooks" / "site.yml"
ROLES = REPO_ROOT / "roles"
CLOUDS = ("aws", "gcp", "azure")
SIZES = ("single", "standard", "ha")
# Jinja's lexer warns about the regex escapes in the roles' templates it compiles; nothing this test controls.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:jinja2.lexer")
VAULT_PASSWORD = "contract-test-password"

# docs/contracts.md section 2: the outputs and the shape of each.
HOST_KEYS = {"name", "address", "public_address"}
GROUP_NAMES = {"app", "worker", "mysql", "mongodb", "redis", "search", "rabbitmq"}
ENDPOINT_KEYS = {"host": str, "port": int, "managed": bool, "tls": bool}
# A managed MySQL's admin account, which the jobs create the platform's databases and users through; a managed
# Redis's own CA (Memorystore's), which its clients verify it with.
STORE_ENDPOINT_KEYS: dict[str, dict[str, type]] = {"mysql": {"admin_user": str}, "redis": {"ca_cert": str}}
BUCKET_NAMES = {"uploads", "exports", "grades", "backups"}
DNS_KEYS = set(stackoutputs.DNS_RECORD_KEYS)
SHARED_FILES_KEYS = set(stackoutputs.SHARED_FILES_KEYS)
# Outputs whose values are secrets: `terraform output -json` gives them; the local cache keeps them encrypted.
SENSITIVE = set(stackoutputs.SENSITIVE_OUTPUTS)


def fixed_secrets() -> dict[str, str]:
    """The environment's secrets as `init` generates them (the roles check their shapes); those Terraform reads
    fixed, so that the recordings are reproducible (AWS gives the Redis AUTH token back as redis_credential, and the
    provider double derives addresses from every attribute, the host key in the user data too)."""
    from unittest import mock

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    values = {name: generate() for name, generate in secrets.GENERATORS.items()}
    for name in ("mysql_root_password", "redis_password", "rabbitmq_admin_password"):
        values[name] = "Test-" + hashlib.sha256(name.encode()).hexdigest()[:24]
    host_key = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"ssh_host_key").digest())
    with mock.patch("os.urandom", lambda n: bytes(n)):  # OpenSSH's format carries a random check number
        values["ssh_host_key"] = host_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        ).decode()
    return values


def contract_environment(cloud: str, size: str) -> dict[str, object]:
    """The environment the recordings are made from: test_render's, with SSH allowed in, so that the stacks create
    their bastion and the inventory reaches the hosts through it (docs/contracts.md section 3)."""
    return environment(cloud, size) | {"ssh": {"allowed_cidrs": ["198.51.100.0/24"]}}


def recorded_outputs(cloud: str, size: str) -> dict[str, Any]:
    """`terraform output -json` of the recording, values only (what `TerraformRunner.outputs()` returns)."""
    path = RECORDED / f"{cloud}-{size}.json"
    assert path.is_file(), f"no recorded outputs {path}: record them (module docstring)"
    raw: dict[str, Any] = json.loads(path.read_text())
    return {name: entry["value"] for name, entry in raw.items()}


# --- the contract's output shapes ---------------------------------------------------------------------------------


def shape_problems(cloud: str, outputs: dict[str, Any]) -> list[str]:
    """Where outputs differ from docs/contracts.md section 2."""
    problems: list[str] = []
    expected = set(stackoutputs.STACK_OUTPUTS)
    if set(outputs) != expected:
        problems.append(f"outputs {sorted(outputs)} are not the contract's {sorted(expected)}")
    groups = outputs.get("host_groups") or {}
    if set(groups) != GROUP_NAMES:
        problems.append(f"host_groups has groups {sorted(groups)}, not {sorted(GROUP_NAMES)}")
    for group, members in groups.items():
        for member in members if isinstance(members, list) else [members]:
            if not isinstance(member, dict) or set(member) != HOST_KEYS:
                problems.append(f"host_groups.{group} item {member!r} is not {{name, address, public_address}}")
            elif not all(isinstance(member[k], str) for k in HOST_KEYS) or not member["address"]:
                problems.append(f"host_groups.{group} item {member!r}: strings, a private address")
    endpoints = outputs.get("endpoints") or {}
    stores = {*topology.DATA_GROUPS, *topology.BROKER_GROUPS}
    if set(endpoints) != stores:
        problems.append(f"endpoints has {sorted(endpoints)}, not {sorted(stores)}")
    for store, endpoint in endpoints.items():
        keys = ENDPOINT_KEYS | STORE_ENDPOINT_KEYS.get(store, {})
        if not isinstance(endpoint, dict) or set(endpoint) != set(keys):
            problems.append(f"endpoints.{store} {endpoint!r} does not have exactly {sorted(keys)}")
            continue
        if store == "mysql" and bool(endpoint["admin_user"]) != endpoint["managed"]:
            problems.append(f"endpoints.mysql: admin_user must be set exactly when managed: {endpoint}")
        if store == "redis" and endpoint["ca_cert"] and not (endpoint["managed"] and cloud == "gcp"):
            problems.append(f"endpoints.redis: ca_cert is Memorystore's CA, on GCP's managed Redis only: {endpoint}")
        for key, kind in keys.items():
            if type(endpoint[key]) is not kind:
                problems.append(f"endpoints.{store}.{key} = {endpoint[key]!r} is not a {kind.__name__}")
        if bool(endpoint["host"]) != endpoint["managed"]:
            problems.append(f'endpoints.{store}: host must be set exactly when managed (self-hosted: ""): {endpoint}')
    buckets = outputs.get("buckets") or {}
    if set(buckets) != BUCKET_NAMES or not all(isinstance(v, str) and v for v in buckets.values()):
        problems.append(f"buckets {buckets!r} is not {{uploads, exports, grades, backups}} of names")
    elif cloud == "azure" and not all(v.count("/") == 1 and all(v.split("/")) for v in buckets.values()):
        problems.append(f"azure buckets {buckets!r} are not <storage account>/<container>")
    balancer = outputs.get("load_balancer")
    if not isinstance(balancer, dict) or set(balancer) != {"address", "dns_name"}:
        problems.append(f"load_balancer {balancer!r} is not {{address, dns_name}}")
    for name in ("storage_identity", "ssh_user", *SENSITIVE):
        if not isinstance(outputs.get(name), str):
            problems.append(f"{name} {outputs.get(name)!r} is not a string")
    shared = outputs.get("shared_files")
    if (
        not isinstance(shared, dict)
        or set(shared) != SHARED_FILES_KEYS
        or not all(isinstance(v, str) for v in shared.values())
        or not ((all(shared.values()) and shared["type"] == "nfs") or not any(shared.values()))
    ):
        problems.append(f'shared_files {shared!r} is not {{type: nfs, address, export, options}}, all set or all ""')
    redis = endpoints.get("redis") or {}
    if redis.get("managed") and not outputs.get("redis_credential"):
        problems.append("managed Redis without redis_credential: the roles could not authenticate to it")
    return problems


# --- Ansible, loaded as ansible-playbook loads it -----------------------------------------------------------------


@dataclass
class Seam:
    """The rendered inventory and site playbook, loaded; the outputs and secrets they came from."""

    spec: EnvironmentSpec
    outputs: dict[str, Any]
    secrets: dict[str, str]
    loader: Any
    inventory: Any
    variables: Any
    playbook: Any


@functools.cache
def _load_ansible_plugins() -> None:
    """Once per process: Ansible warns when its collection finder is set up again (another test may have done it)."""
    from ansible.plugins.loader import init_plugin_loader
    from ansible.utils.collection_loader import AnsibleCollectionConfig

    if AnsibleCollectionConfig.collection_finder is None:
        init_plugin_loader()


@pytest.fixture
def ansible_roles_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The project's roles, as the CLI's runner gives them to ansible-playbook (ANSIBLE_ROLES_PATH)."""
    import ansible.constants as C
    from ansible import context
    from ansible.module_utils.common.collections import ImmutableDict

    _load_ansible_plugins()
    monkeypatch.setattr(C, "DEFAULT_ROLES_PATH", [str(ROLES)])
    monkeypatch.setattr(context, "CLIARGS", ImmutableDict({}))


def host_facts(spec: EnvironmentSpec, name: str, address: str) -> dict[str, Any]:
    """What fact gathering reports on a cloud VM of the spec's OS image (the roles read a few of them)."""
    distribution, version, release = {
        "debian-12": ("Debian", "12", "bookworm"),
        "ubuntu-24.04": ("Ubuntu", "24.04", "noble"),
    }[spec.os_image]
    facts = {
        "os_family": "Debian",
        "distribution": distribution,
        "distribution_version": version,
        "distribution_major_version": version.split(".")[0],
        "distribution_release": release,
        "architecture": "x86_64",
        "system": "Linux",
        "service_mgr": "systemd",
        "pkg_mgr": "apt",
        "virtualization_type": "kvm",
        "virtualization_role": "guest",
        "memtotal_mb": 16384,
        "processor_vcpus": 4,
        "processor_nproc": 4,
        "hostname": name,
        "nodename": name,
        "fqdn": name,
        "default_ipv4": {"address": address, "interface": "eth0"},
        "all_ipv4_addresses": [address],
    }
    return {f"ansible_{name}": value for name, value in facts.items()}


def load_seam(
    tmp_path: Path, cloud: str, size: str, outputs: dict[str, Any], data: dict[str, object] | None = None
) -> Seam:
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.parsing.vault import VaultSecret
    from ansible.playbook import Playbook
    from ansible.vars.hostvars import HostVars
    from ansible.vars.manager import VariableManager

    spec = parse_spec(data if data is not None else contract_environment(cloud, size))
    values = fixed_secrets()
    render.render_inventory(
        spec, Workdir(tmp_path), values, secrets.Vault(VAULT_PASSWORD), render.RenderResult(), outputs
    )
    loader = DataLoader()
    loader.set_vault_secrets([("default", VaultSecret(VAULT_PASSWORD.encode()))])
    inventory = InventoryManager(loader=loader, sources=[str(Workdir(tmp_path).inventory_dir(spec.name))])
    variables = VariableManager(loader=loader, inventory=inventory)
    HostVars(inventory=inventory, variable_manager=variables, loader=loader)  # `hostvars`, as a run provides it
    for index, host in enumerate(inventory.get_hosts("all")):
        # Local podman hosts carry no address in the inventory: the roles read the gathered default address.
        local = f"10.90.7.{index + 10}" if spec.cloud == "local" else ""
        address = host.vars.get("openedx_private_address") or host.vars.get("ansible_host") or local
        variables.set_host_facts(host.name, host_facts(spec, host.name, address))
    playbook = Playbook.load(str(SITE), variable_manager=variables, loader=loader)
    # As PlaybookExecutor does: the playbook's directory is where playbooks/group_vars are found.
    loader.set_basedir(playbook._basedir)
    return Seam(spec, outputs, values, loader, inventory, variables, playbook)


@dataclass
class Application:
    """One role entry point applied to one host by one play, with the task that stands for it."""

    play: Any
    host: Any
    role: str
    entry_point: str
    task: Any

    @property
    def label(self) -> str:
        return f"{self.play.get_name()} / {self.host.name} / {self.role}:{self.entry_point}"


def _tasks(blocks: list[Any]) -> Iterator[Any]:
    from ansible.playbook.block import Block

    for block in blocks:
        for part in ("block", "rescue", "always"):
            for item in getattr(block, part, None) or []:
                if isinstance(item, Block):
                    yield from _tasks([item])
                else:
                    yield item


def applications(seam: Seam) -> Iterator[Application]:
    """Every (play, host, role entry point) of site.yml: the roles of each play (their validate_argument_spec task,
    which Ansible prepends to each role) and the entry points its tasks include (include_role tasks_from)."""
    for play in seam.playbook.get_plays():
        hosts = seam.inventory.get_hosts(play.hosts)
        tasks = list(_tasks(play.compile()))
        for task in tasks:
            if task.action in ("ansible.builtin.validate_argument_spec", "validate_argument_spec") and task._role:
                entry = task.args.get("validate_args_context", {}).get("argument_spec_name", "main")
                for host in hosts:
                    yield Application(play, host, task._role.get_name(), entry, task)
            elif task.action in ("ansible.builtin.include_role", "include_role"):
                for host in hosts:
                    yield Application(play, host, task.args["name"], task.args.get("tasks_from", "main"), task)


def task_variables(seam: Seam, app: Application) -> dict[str, Any]:
    """The variables the role's tasks see on the host: what ansible-playbook computes for the task."""
    found: dict[str, Any] = seam.variables.get_vars(play=app.play, host=app.host, task=app.task)
    if app.task.action in ("ansible.builtin.include_role", "include_role"):
        # The included role's defaults join only when it is included: lowest precedence, below everything found; its
        # vars (vars/main.yml) above them, and its own directory is where its lookups find their templates.
        role = ROLES / app.role
        defaults = seam.loader.load_from_file(str(role / "defaults" / "main.yml"), trusted_as_template=True)
        role_vars = {}
        if (role / "vars" / "main.yml").is_file():
            role_vars = seam.loader.load_from_file(str(role / "vars" / "main.yml"), trusted_as_template=True) or {}
        found = {**(defaults or {}), **found, **role_vars, "ansible_search_path": [str(role)]}
    return found


def included(seam: Seam, app: Application, available: dict[str, Any]) -> bool:
    """Whether an include_role's conditions (`when`) hold here: an entry point not included takes no inputs."""
    if not app.task.action.endswith("include_role") or not app.task.when:
        return True
    from ansible.template import Templar

    templar = Templar(loader=seam.loader, variables=available)
    return all(templar.evaluate_conditional(condition) for condition in app.task.when)


def argument_spec(role: str, entry_point: str) -> dict[str, Any] | None:
    path = ROLES / role / "meta" / "argument_specs.yml"
    if not path.is_file():
        return None
    specs = yaml.safe_load(path.read_text()).get("argument_specs") or {}
    entry = specs.get(entry_point)
    return dict(entry.get("options") or {}) if entry else None


def resolve(seam: Seam, available: dict[str, Any], names: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Template each input that is set, as validate_argument_spec does; the names that do not resolve, with why."""
    from ansible.template import Templar

    templar = Templar(loader=seam.loader, variables=available)
    resolved: dict[str, Any] = {}
    errors: list[str] = []
    for name in names:
        if name not in available:
            continue
        try:
            resolved[name] = templar.template(available[name])
        except Exception as exc:  # any template error is a broken seam: report it with the input's name
            errors.append(f"{name} does not resolve: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    return resolved, errors


def argument_problems(seam: Seam, app: Application, available: dict[str, Any]) -> list[str]:
    """The role's argument_specs entry point, validated on the resolved inputs with Ansible's own validator."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    options = argument_spec(app.role, app.entry_point)
    if options is None:
        return [f"no argument_specs entry point {app.entry_point!r}: nothing says what the role takes"]
    resolved, errors = resolve(seam, available, list(options))
    if app.task.action.endswith("validate_argument_spec"):
        params, param_errors = resolve(seam, {**available, **app.task.args}, ["provided_arguments"])
        resolved.update(params.get("provided_arguments") or {})
        errors += param_errors
    result = ArgumentSpecValidator(options).validate(resolved, validate_role_argument_spec=True)
    errors += list(result.error_messages)
    # Strings the validator would accept by conversion but that are not what the spec means: a bool, a list or a
    # mapping where a string is expected (rendered as "True" or "[...]" into a configuration file).
    for name, option in options.items():
        value = resolved.get(name)
        if option.get("type", "str") == "str" and isinstance(value, bool | list | dict):
            errors.append(f"{name} is a {type(value).__name__} ({value!r}), the spec says str")
        # The validator counts a required input as given once its name is set, even to nothing.
        if option.get("required") and name in resolved and value in (None, "", [], {}):
            errors.append(f"{name} is required but empty ({value!r})")
    return errors


def preflight_problems(seam: Seam, app: Application, available: dict[str, Any]) -> list[str]:
    """The role's preflight assertions (tasks/preflight.yml), evaluated as the assert action evaluates them."""
    from ansible.template import Templar

    if app.entry_point != "main":
        return []
    path = ROLES / app.role / "tasks" / "preflight.yml"
    if not path.is_file():
        return []
    problems: list[str] = []
    for task in seam.loader.load_from_file(str(path), trusted_as_template=True) or []:
        arguments = task.get("ansible.builtin.assert") or task.get("assert")
        if not arguments:
            continue
        templar = Templar(loader=seam.loader, variables={**available, **(task.get("vars") or {})})
        conditions = task.get("when", [])
        try:
            if not all(templar.evaluate_conditional(c) for c in _as_list(conditions)):
                continue
            for condition in _as_list(arguments["that"]):
                if not templar.evaluate_conditional(condition):
                    problems.append(f"preflight {task['name']!r} refuses: {' '.join(str(condition).split())}")
        except Exception as exc:  # an assertion that cannot be evaluated fails the play as well
            problems.append(f"preflight {task['name']!r} cannot be evaluated: {str(exc).splitlines()[0]}")
    return problems


def accepted_inputs(seam: Seam, roles: set[str], problems: list[str]) -> Iterator[tuple[Application, dict[str, Any]]]:
    """Each main entry point of `roles` in site.yml with the variables its tasks see, after adding to `problems`
    what its argument spec and its preflight refuse in them."""
    for app in applications(seam):
        if app.role not in roles or app.entry_point != "main":
            continue
        available = task_variables(seam, app)
        problems += [f"{app.label}: {p}" for p in argument_problems(seam, app, available)]
        problems += [f"{app.label}: {p}" for p in preflight_problems(seam, app, available)]
        yield app, available


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


# --- what the outputs must deliver to the roles -------------------------------------------------------------------


def flow_problems(seam: Seam, app: Application, available: dict[str, Any]) -> list[str]:
    """The values of the outputs that must reach the role inputs consuming them (openedx_config: the apps' view)."""
    if app.role != "openedx_config":
        return []
    # Read leniently: a missing key is reported by shape_problems; here it means "not delivered" (false, "").
    outputs, cloud = seam.outputs, seam.spec.cloud
    groups = outputs.get("host_groups") or {}
    endpoints = {
        store: {
            "host": "",
            "port": None,
            "managed": False,
            "tls": False,
            **(outputs.get("endpoints") or {}).get(store, {}),
        }
        for store in topology.DATA_GROUPS
    }

    def first_address(store: str) -> str:
        members = groups.get(store) or []
        return str(members[0]["address"]) if members else ""

    def store_host(store: str) -> str:
        endpoint = endpoints[store]
        return str(endpoint["host"]) if endpoint["managed"] else first_address(store)

    mysql, mongodb, redis, search = (endpoints[s] for s in ("mysql", "mongodb", "redis", "search"))
    search_scheme = "https" if search["tls"] or seam.spec.search.engine != "meilisearch" else "http"
    redis_password = outputs.get("redis_credential", "") if redis["managed"] else seam.secrets["redis_password"]
    buckets = outputs.get("buckets") or {}
    if cloud == "azure":  # <storage account>/<container> (docs/clouds-azure.md)
        accounts = sorted({b.partition("/")[0] for b in buckets.values() if "/" in b})
        containers = {k: v.partition("/")[2] or v for k, v in buckets.items()}
        storage = {"openedx_config_storage_azure_account_name": accounts[0] if len(accounts) == 1 else accounts}
    else:
        containers = dict(buckets)
        storage = {}
    expected: dict[str, Any] = {
        "openedx_config_mysql_host": store_host("mysql"),
        "openedx_config_mysql_port": mysql["port"],
        "openedx_config_mysql_ssl": mysql["tls"],
        "openedx_config_redis_host": store_host("redis"),
        "openedx_config_redis_port": redis["port"],
        "openedx_config_redis_tls": redis["tls"],
        "openedx_config_redis_password": redis_password,
        "openedx_config_mongodb_hosts": (
            [mongodb["host"]] if mongodb["managed"] else [m["address"] for m in groups.get("mongodb", [])]
        ),
        "openedx_config_mongodb_port": mongodb["port"],
        "openedx_config_mongodb_ssl": mongodb["tls"],
        "openedx_config_search_url": f"{search_scheme}://{store_host('search')}:{search['port']}",
        "openedx_config_storage_backend": {"aws": "s3", "gcp": "gcs", "azure": "azure"}[cloud],
        "openedx_config_storage_uploads_bucket": containers.get("uploads"),
        "openedx_config_storage_exports_bucket": containers.get("exports"),
        "openedx_config_storage_grades_bucket": containers.get("grades"),
        "openedx_config_storage_region": seam.spec.region if cloud == "aws" else "",
        # The CDN's URLs ("" without one) become STATIC_URL_BASE and the media base URLs (docs/cdn.md).
        "openedx_config_static_url_base": (outputs.get("cdn") or {}).get("static_url", ""),
        "openedx_config_media_url_base": (outputs.get("cdn") or {}).get("media_url", ""),
        **storage,
    }
    resolved, errors = resolve(seam, available, list(expected))
    for name, value in expected.items():
        if name in resolved and resolved[name] != value:
            shown = "<the expected secret>" if "password" in name else repr(value)
            errors.append(f"{name} is {_redacted(name, resolved[name])}, the outputs say {shown}")
    return errors


def managed_mysql_problems(seam: Seam, app: Application, available: dict[str, Any]) -> list[str]:
    """The mysql role's `managed` entry point (jobs.yml) runs exactly when the stack's MySQL is managed, and then
    logs in at the endpoint's host with its admin account (the environment's mysql_root_password, which the stack
    set) and admits the app and worker hosts' private addresses."""
    if app.role != "mysql" or app.entry_point != "managed":
        return []
    endpoint = (seam.outputs.get("endpoints") or {}).get("mysql") or {}
    clients = [m["address"] for g in ("app", "worker") for m in (seam.outputs["host_groups"].get(g) or [])]
    expected = {
        "mysql_managed_host": endpoint.get("host"),
        "mysql_admin_user": endpoint.get("admin_user"),
        "mysql_admin_password": seam.secrets["mysql_root_password"],
        "mysql_client_hosts": clients,
    }
    resolved, errors = resolve(seam, available, list(expected))
    for name, value in expected.items():
        if resolved.get(name) != value:
            shown = "<the expected secret>" if "password" in name else repr(value)
            errors.append(f"{name} is {_redacted(name, resolved.get(name))}, the outputs say {shown}")
    return errors


def _redacted(name: str, value: Any) -> str:
    return "<another value>" if "password" in name and value else repr(value)


def shared_files_problems(seam: Seam, app: Application, available: dict[str, Any]) -> list[str]:
    """The stack's shared_files output reaches the common role on exactly the app and worker hosts outside single
    (topology.SHARED_FILES_GROUPS), unchanged; every other host, and every host in single, mounts nothing."""
    if app.role != "common" or app.entry_point != "main":
        return []
    resolved, errors = resolve(seam, available, ["common_shared_files"])
    groups = {g.name for g in app.host.get_groups()}
    sharing = seam.spec.size != "single" and bool(groups & set(topology.SHARED_FILES_GROUPS))
    output = seam.outputs.get("shared_files") or {}
    expected = output if sharing else None
    if seam.spec.size != "single" and not output.get("address"):
        errors.append("outside single the stack gives no shared_files: the app and worker hosts would not share files")
    if seam.spec.size == "single" and any(output.values()):
        errors.append(f"single: shared_files is {output!r}, not all empty")
    got = resolved.get("common_shared_files")
    if "common_shared_files" in resolved and got != expected:
        errors.append(f"common_shared_files is {got!r} on a host of {sorted(groups)}, the outputs say {expected!r}")
    return errors


def inventory_problems(seam: Seam) -> list[str]:
    """Every host of every output group is in the inventory group, reachable, with its private address."""
    problems = []
    for group, members in seam.outputs["host_groups"].items():
        names = {h.name for h in seam.inventory.get_hosts(group)} if members else set()
        for member in members:
            if member["name"] not in names:
                problems.append(f"{member['name']} (host_groups.{group}) is not in inventory group {group}")
                continue
            host = seam.inventory.get_host(member["name"])
            if host.vars.get("openedx_private_address") != member["address"]:
                problems.append(f"{member['name']}: openedx_private_address is not the output's address")
            if host.vars.get("ansible_host") != (member["public_address"] or member["address"]):
                problems.append(f"{member['name']}: ansible_host is neither its public nor its private address")
    return problems


def dns_problems(spec: EnvironmentSpec, outputs: dict[str, Any]) -> list[str]:
    """Where `dns_records` differs from docs/contracts.md section 2 for this environment: one record per domain,
    {name, type, value, zone}, pointing at the load balancer, created in the environment's zone when it names one."""
    records = outputs.get("dns_records")
    if not isinstance(records, list) or not all(isinstance(r, dict) and set(r) == DNS_KEYS for r in records):
        return [f"dns_records {records!r} is not a list of {{name, type, value, zone}}"]
    problems = [
        f"dns_records item {r!r}: strings only" for r in records if not all(isinstance(v, str) for v in r.values())
    ]
    # The domains the environment has: no Meilisearch name with another search engine.
    domains = [domain for domain in spec.domains.model_dump().values() if domain is not None]
    if [r["name"] for r in records] != domains:
        problems.append(f"dns_records names {[r['name'] for r in records]} are not the domains {domains}")
    balancer = outputs.get("load_balancer") or {}
    zone = spec.dns.zone or ""
    for record in records:
        wanted_type = ("ALIAS" if zone else "CNAME") if spec.cloud == "aws" else "A"
        wanted_value = balancer.get("dns_name") if spec.cloud == "aws" else balancer.get("address")
        if (record["type"], record["value"], record["zone"]) != (wanted_type, wanted_value, zone) or not wanted_value:
            problems.append(f"dns_records item {record!r} is not {wanted_type} {wanted_value!r} in zone {zone!r}")
    return problems


def seam_problems(seam: Seam) -> tuple[list[str], int]:
    """All problems of the seam, and how many role applications were checked."""
    problems = [f"outputs: {p}" for p in shape_problems(seam.spec.cloud, seam.outputs)]
    problems += [f"outputs: {p}" for p in dns_problems(seam.spec, seam.outputs)]
    problems += [f"inventory: {p}" for p in inventory_problems(seam)]
    checked = 0
    managed_accounts = False
    for app in applications(seam):
        available = task_variables(seam, app)
        if not included(seam, app, available):
            continue
        checked += 1
        managed_accounts |= (app.role, app.entry_point) == ("mysql", "managed")
        for check in (
            argument_problems,
            preflight_problems,
            flow_problems,
            shared_files_problems,
            managed_mysql_problems,
        ):
            problems += [f"{app.label}: {p}" for p in check(seam, app, available)]
    mysql = (seam.outputs.get("endpoints") or {}).get("mysql") or {}
    if managed_accounts != bool(mysql.get("managed")):
        problems.append(
            f"the mysql role's `managed` entry point (the platform's accounts) is included: {managed_accounts}; "
            f"endpoints.mysql is {mysql}"
        )
    return problems, checked


# --- the tests ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("cloud", CLOUDS)
def test_roles_accept_what_the_inventory_gives_them(
    tmp_path: Path, ansible_roles_path: None, cloud: str, size: str
) -> None:
    seam = load_seam(tmp_path, cloud, size, recorded_outputs(cloud, size))
    problems, checked = seam_problems(seam)
    # Every role of site.yml that has hosts in this profile: common everywhere, the data roles on their groups...
    roles = {app.role for app in applications(seam)}
    assert {"common", "container_runtime", "openedx_config", "openedx_jobs", "proxy", "openedx_app"} <= roles
    # The openedx_app role runs on each app host twice, once per service, each use seeing its own service.
    app_host = seam.inventory.get_hosts("app")[0]
    uses = [a for a in applications(seam) if a.role == "openedx_app" and a.host == app_host]
    services = [str(task_variables(seam, a)["openedx_app_service"]) for a in uses]
    assert services == ["lms", "cms"], services
    assert checked > 10, f"only {checked} role applications: site.yml was not walked"
    assert not problems, f"{cloud}/{size}: {len(problems)} problem(s) at the inventory -> roles seam:\n" + "\n".join(
        problems
    )


def test_the_check_fails_when_the_seam_breaks(tmp_path: Path, ansible_roles_path: None) -> None:
    """The check above can fail: an output key gone, a type changed, a credential lost each show up."""
    outputs = recorded_outputs("azure", "standard")
    broken = json.loads(json.dumps(outputs))
    del broken["endpoints"]["mysql"]["tls"]  # an output key gone
    broken["endpoints"]["redis"]["port"] = "6380"  # a type changed
    broken["endpoints"]["mongodb"]["admin_user"] = "admin"  # a key where the contract has none
    broken["redis_credential"] = ""  # the managed Redis credential lost
    broken["buckets"] = {k: v.partition("/")[2] for k, v in broken["buckets"].items()}  # the storage account lost
    broken["dns_records"] = broken["dns_records"][:2]  # a domain without its record
    broken["dns_records"][0]["zone"] = ""  # a record left out of the environment's zone
    problems, _ = seam_problems(load_seam(tmp_path / "broken", "azure", "standard", broken))
    text = "\n".join(problems)
    assert (
        "endpoints.mysql" in text and "does not have exactly ['admin_user', 'host', 'managed', 'port', 'tls']" in text
    ), text
    assert "endpoints.redis.port = '6380' is not a int" in text, text
    assert "endpoints.mongodb" in text and "does not have exactly ['host', 'managed', 'port', 'tls']" in text, text
    assert "managed Redis without redis_credential" in text, text
    assert "openedx_config_redis_password | length > 0" in text, text  # the role's preflight refuses it
    assert "are not <storage account>/<container>" in text, text
    assert "dns_records names ['learn.example.org', 'studio.example.org'] are not the domains" in text, text
    assert "is not A" in text and "in zone 'example.org'" in text, text
    assert "refuses: openedx_config_storage_backend != 'azure' or openedx_config_storage_azure_account_name" in text
    # A role input of the wrong type: a list where the spec says str.
    seam = load_seam(tmp_path / "typed", "aws", "single", recorded_outputs("aws", "single"))
    app = next(a for a in applications(seam) if a.role == "openedx_config")
    available = {**task_variables(seam, app), "openedx_config_mysql_port": "not a port"}
    assert any("openedx_config_mysql_port" in p for p in argument_problems(seam, app, available))
    from ansible.template import trust_as_template

    available = {**task_variables(seam, app), "openedx_config_redis_host": trust_as_template("{{ no_such_variable }}")}
    assert any("openedx_config_redis_host does not resolve" in p for p in argument_problems(seam, app, available))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("cloud", CLOUDS)
def test_shared_files_are_mounted_on_exactly_the_app_and_worker_hosts(
    tmp_path: Path, ansible_roles_path: None, cloud: str, size: str
) -> None:
    """Outside single the stack's shared_files output (EFS, Filestore, Azure Files) reaches the common role, which
    mounts it at /var/lib/openedx, on every app and worker host and on no other; in single the stack gives none and
    no host mounts anything. The role's argument spec accepts what it gets."""
    seam = load_seam(tmp_path, cloud, size, recorded_outputs(cloud, size))
    shared = seam.outputs["shared_files"]
    assert bool(shared["address"]) == (size != "single"), shared
    mounting: set[str] = set()
    problems: list[str] = []
    for app in applications(seam):
        if app.role != "common" or app.entry_point != "main":
            continue
        available = task_variables(seam, app)
        problems += [f"{app.label}: {p}" for p in argument_problems(seam, app, available)]
        problems += [f"{app.label}: {p}" for p in shared_files_problems(seam, app, available)]
        resolved, errors = resolve(seam, available, ["common_shared_files", "common_shared_files_path"])
        problems += errors
        if resolved.get("common_shared_files"):
            assert resolved["common_shared_files_path"] == "/var/lib/openedx"
            mounting.add(app.host.name)
    clients = {h.name for group in ("app", "worker") for h in seam.inventory.get_hosts(group)}
    assert mounting == (clients if size != "single" else set()), (mounting, clients)
    assert not problems, "\n".join(problems)
    if size != "single":
        assert shared["type"] == "nfs" and shared["address"] and shared["export"].startswith("/")
        # The options each cloud documents (the modules' READMEs cite them).
        assert {
            "aws": "nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport",
            "gcp": "nfsvers=3,tcp,hard,timeo=600,retrans=3",
            "azure": "vers=4,minorversion=1,sec=sys,nconnect=4",
        }[cloud] == shared["options"]


def test_a_mount_on_the_wrong_hosts_is_caught(tmp_path: Path, ansible_roles_path: None) -> None:
    """The check above can fail: a mount that does not reach a worker host, or one that reaches a data host."""
    seam = load_seam(tmp_path, "aws", "standard", recorded_outputs("aws", "standard"))
    found = []
    for app in applications(seam):
        if app.role != "common" or app.entry_point != "main":
            continue
        available = task_variables(seam, app)
        groups = {g.name for g in app.host.get_groups()}
        wrong = None if groups & {"app", "worker"} else seam.outputs["shared_files"]
        found += shared_files_problems(seam, app, {**available, "common_shared_files": wrong})
    assert any(p.startswith("common_shared_files is None") and "'worker']" in p for p in found), found
    assert any("'mongodb'" in p and p.endswith("the outputs say None") for p in found), found


@pytest.mark.parametrize("cloud", CLOUDS)
def test_hosts_are_reached_through_the_bastion_with_the_pinned_host_key(
    tmp_path: Path, ansible_roles_path: None, cloud: str
) -> None:
    """Every host: its private address, SSH through the stack's bastion, both hops checked against the inventory's
    known_hosts, which pins the public half of the environment's host key for exactly those addresses."""
    import shlex

    outputs = recorded_outputs(cloud, "standard")
    bastion = outputs["bastion"]
    assert bastion["address"] and bastion["private_address"], f"{cloud}: the recording has no bastion"
    seam = load_seam(tmp_path, cloud, "standard", outputs)
    inventory_dir = Workdir(tmp_path).inventory_dir(seam.spec.name)
    pinned = [
        "-o",
        f"UserKnownHostsFile={{{{ inventory_dir }}}}/{render.KNOWN_HOSTS_FILE}",
        "-o",
        "StrictHostKeyChecking=yes",
    ]
    hosts = seam.inventory.get_hosts("all")
    assert hosts
    for host in hosts:
        hostvars = host.get_vars()
        assert hostvars["ansible_host"] == hostvars["openedx_private_address"]
        assert hostvars["ansible_host_key_checking"] is True
        assert Path(hostvars["inventory_dir"]) == inventory_dir
        args = shlex.split(hostvars["ansible_ssh_common_args"])
        assert args[:4] == pinned and args[4] == "-o" and len(args) == 6, args
        proxy = args[5].removeprefix("ProxyCommand=")
        assert proxy != args[5]
        assert shlex.split(proxy) == ["ssh", "-W", "%h:%p", *pinned, f"{bastion['ssh_user']}@{bastion['address']}"]
    public_key = secrets.ssh_host_public_key(seam.secrets["ssh_host_key"])
    addresses = [bastion["address"], *sorted({m["address"] for ms in outputs["host_groups"].values() for m in ms})]
    lines = (inventory_dir / render.KNOWN_HOSTS_FILE).read_text().splitlines()
    assert sorted(lines) == sorted(f"{address} {public_key}" for address in addresses)


def test_without_a_bastion_hosts_keep_their_addresses_and_no_known_hosts(tmp_path: Path) -> None:
    outputs = recorded_outputs("aws", "standard") | {
        "bastion": {"address": "", "private_address": "", "ssh_user": "openedx"}
    }
    spec = parse_spec(contract_environment("aws", "standard"))
    groups = render.host_groups(spec, outputs)
    assert all("ansible_ssh_common_args" not in v for members in groups.values() for v in members.values())
    render.render_inventory(
        spec, Workdir(tmp_path), fixed_secrets(), secrets.Vault("p"), render.RenderResult(), outputs
    )
    assert not (Workdir(tmp_path).inventory_dir(spec.name) / render.KNOWN_HOSTS_FILE).exists()


def test_recordings_cover_every_cloud_and_profile() -> None:
    assert sorted(p.stem for p in RECORDED.glob("*.json")) == sorted(f"{c}-{s}" for c in CLOUDS for s in SIZES)
    for cloud in CLOUDS:
        for size in SIZES:
            raw = json.loads((RECORDED / f"{cloud}-{size}.json").read_text())
            flagged = {name for name, entry in raw.items() if entry.get("sensitive")}
            assert flagged == SENSITIVE, f"{cloud}-{size}: sensitive outputs {sorted(flagged)}"


# --- the recordings are what the stacks give ---------------------------------------------------------------------


def apply_rendered_root_module(tmp_path: Path, cloud: str, size: str, home: Path) -> dict[str, Any]:
    """Render the environment's root module, apply it on the provider double, return `terraform output -json`."""
    spec = parse_spec(contract_environment(cloud, size))
    values = fixed_secrets()
    workdir = Workdir(tmp_path / "work")
    render.render_terraform(spec, workdir, render.RenderResult())
    root = workdir.terraform_dir(spec.name)
    env = {k: v for k, v in _tool_env().items() if k not in AMBIENT_PROVIDER_ENV}
    # The secrets as `up` passes them.
    env |= {"HOME": str(home)} | {f"TF_VAR_{k}": v for k, v in render.terraform_secrets(values).items()}
    # The double leaves a Filestore instance's nested address empty; the recording hook fills it (its docstring).
    hook = tmp_path / "recording-hook"
    hook.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{RECORDING_HOOK}" "$@"\n')
    hook.chmod(0o755)
    env["SIM_PROVIDER_HOOK"] = str(hook)
    plugins = provider_shim.make_plugin_dir(_provider_plugin_dir(), tmp_path / "tf-plugins")
    tf = _Terraform(root, tmp_path / "tf-data", env)
    plan = str(tmp_path / "root.tfplan")
    tf("init", "init", "-input=false", "-no-color", f"-plugin-dir={plugins}")
    tf("plan", "plan", "-input=false", "-no-color", f"-out={plan}")
    tf("apply", "apply", "-input=false", "-no-color", plan)
    return tf.json("output", "output", "-json")


@needs_terraform
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("cloud", CLOUDS)
def test_recorded_outputs_are_what_the_stack_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cloud: str, size: str
) -> None:
    """The recording of cloud-size is `terraform output -json` of the rendered root module applied on the provider
    double (which invents computed values deterministically): a stack whose outputs change shape fails here."""
    reason = _apply_skip_reason(size) and (
        f"the recording of {cloud}-{size} is checked against a fresh apply in CI (CI=true) or with "
        f"{APPLY_ALL_ENV}=1; the fast suite checks the standard profile of each cloud to stay within its time budget"
    )
    if reason:
        print(f"skipped: {reason}")
        pytest.skip(reason)
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    key = "AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Qta2V5LW9ubHktbm90LWEtcmVhbC1rZXktMzJi"
    (home / ".ssh" / "id_ed25519.pub").write_text(f"ssh-ed25519 {key} test@example\n")
    monkeypatch.setenv("HOME", str(home))  # render reads ~/.ssh/id_ed25519.pub
    produced = apply_rendered_root_module(tmp_path, cloud, size, home)
    path = RECORDED / f"{cloud}-{size}.json"
    text = json.dumps(produced, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.is_file(), f"no recording {path}: run with UPDATE_SNAPSHOTS=1"
    assert json.loads(path.read_text()) == produced, f"{path} is not what the {cloud} stack gives for {size}"
    shutil.rmtree(tmp_path / "tf-data", ignore_errors=True)


BROKER_CASES = [("local", "standard"), *((cloud, size) for cloud in CLOUDS for size in ("single", "standard"))]


def broker_outputs(cloud: str, size: str) -> dict[str, Any]:
    """A cloud's recorded outputs as its stack gives them with `broker: rabbitmq`: outside single, one more host in
    `host_groups.rabbitmq` (the data_hosts module's `<environment>-rabbitmq-1`, shaped like the other data hosts);
    in single none (the inventory puts the broker on the app host)."""
    outputs = recorded_outputs(cloud, size)
    if size != "single":
        (model, *_) = [h for group in ("mongodb", "search") for h in outputs["host_groups"][group]]
        outputs["host_groups"]["rabbitmq"] = [model | {"name": "demo-rabbitmq-1", "address": "10.40.21.9"}]
    return outputs


@pytest.mark.parametrize(("cloud", "size"), BROKER_CASES)
def test_broker_rabbitmq_reaches_the_broker_role_and_the_settings(
    tmp_path: Path, ansible_roles_path: None, cloud: str, size: str
) -> None:
    """broker rabbitmq: the rabbitmq role runs on the broker's host (local data-1; a cloud's own broker VM, or its
    app host in single) with a user per service and their vault passwords, and openedx_config on the app and worker
    hosts gets that host's address and the same passwords; both roles' argument specs and preflights accept what
    they get."""
    if cloud == "local":
        data, outputs, broker_host = environment("local", "standard") | {"broker": "rabbitmq"}, {}, "demo-data-1"
    else:
        data = contract_environment(cloud, size) | {"broker": "rabbitmq"}
        outputs = broker_outputs(cloud, size)
        broker_host = "demo-rabbitmq-1" if size != "single" else outputs["host_groups"]["app"][0]["name"]
    seam = load_seam(tmp_path, cloud, size, outputs, data)
    assert [h.name for h in seam.inventory.get_hosts("rabbitmq")] == [broker_host]
    broker_address = seam.variables.get_vars(host=seam.inventory.get_host(broker_host))["ansible_default_ipv4"]
    checked: dict[str, set[str]] = {"rabbitmq": set(), "openedx_config": set()}
    problems: list[str] = []
    for app, available in accepted_inputs(seam, set(checked), problems):
        checked[app.role].add(app.host.name)
        if app.role == "rabbitmq":
            names = ["rabbitmq_users", "openedx_config_rabbitmq_users", "openedx_config_rabbitmq_passwords"]
            resolved, errors = resolve(seam, available, names)
            assert not errors, errors
            assert resolved["rabbitmq_users"] == [
                {"name": "lms", "password": seam.secrets["rabbitmq_lms_password"]},
                {"name": "cms", "password": seam.secrets["rabbitmq_cms_password"]},
            ]
            # The broker has exactly the users the clients log in as, each with the password the client gets.
            users, passwords = resolved["openedx_config_rabbitmq_users"], resolved["openedx_config_rabbitmq_passwords"]
            assert {user["name"]: user["password"] for user in resolved["rabbitmq_users"]} == {
                users[service]: passwords[service] for service in ("lms", "cms")
            }
        else:
            resolved, errors = resolve(seam, available, BROKER_SETTINGS)
            assert not errors, errors
            assert resolved == {
                "openedx_config_broker": "rabbitmq",
                "openedx_config_rabbitmq_host": broker_address["address"],
                "openedx_config_rabbitmq_port": 5671,
                "openedx_config_rabbitmq_vhost": "openedx",
                "openedx_config_rabbitmq_users": {"lms": "lms", "cms": "cms"},
                "openedx_config_rabbitmq_passwords": {
                    "lms": seam.secrets["rabbitmq_lms_password"],
                    "cms": seam.secrets["rabbitmq_cms_password"],
                },
                "openedx_config_rabbitmq_tls_ca": "/openedx/config/data-ca.pem",
                "openedx_config_rabbitmq_queue_type": "classic",  # one broker node
            }
    clients = {h.name for group in ("app", "worker") for h in seam.inventory.get_hosts(group)}
    assert checked == {"rabbitmq": {broker_host}, "openedx_config": clients}, checked
    assert not problems, "\n".join(problems)


BROKER_SETTINGS = [
    "openedx_config_broker",
    "openedx_config_rabbitmq_host",
    "openedx_config_rabbitmq_port",
    "openedx_config_rabbitmq_vhost",
    "openedx_config_rabbitmq_users",
    "openedx_config_rabbitmq_passwords",
    "openedx_config_rabbitmq_tls_ca",
    "openedx_config_rabbitmq_queue_type",
]


@pytest.mark.parametrize("size", ["single", "ha"])
def test_amazon_mq_reaches_the_settings_and_no_host_runs_the_broker_role(
    tmp_path: Path, ansible_roles_path: None, size: str
) -> None:
    """broker rabbitmq with rabbitmq.mode managed on AWS: the stack's endpoints.rabbitmq (Amazon MQ's endpoint name)
    reaches openedx_config on the app and worker hosts, with Amazon MQ's one user and its password for both services,
    the default vhost and the image's system CA bundle; no host is in the rabbitmq group, so no role runs the broker,
    and the data-store CA is not the broker's."""
    endpoint = "b-6f1c2e3d-4a5b-4c6d-8e9f-0a1b2c3d4e5f.mq.us-east-1.on.aws"
    outputs = recorded_outputs("aws", size)
    outputs["endpoints"]["rabbitmq"] = {"host": endpoint, "port": 5671, "managed": True, "tls": True}
    data = contract_environment("aws", size) | {"broker": "rabbitmq", "rabbitmq": {"mode": "managed"}}
    seam = load_seam(tmp_path, "aws", size, outputs, data)
    assert not seam.inventory.get_hosts("rabbitmq")
    problems: list[str] = []
    configured = set()
    assert "rabbitmq" not in {app.role for app in applications(seam)}
    for app, available in accepted_inputs(seam, {"openedx_config"}, problems):
        configured.add(app.host.name)
        resolved, errors = resolve(seam, available, [*BROKER_SETTINGS, "openedx_config_data_ca_stores"])
        assert not errors, errors
        password = seam.secrets["rabbitmq_admin_password"]
        assert resolved == {
            "openedx_config_broker": "rabbitmq",
            "openedx_config_rabbitmq_host": endpoint,
            "openedx_config_rabbitmq_port": 5671,
            "openedx_config_rabbitmq_vhost": "/",
            "openedx_config_rabbitmq_users": {"lms": topology.AMAZON_MQ_USER, "cms": topology.AMAZON_MQ_USER},
            "openedx_config_rabbitmq_passwords": {"lms": password, "cms": password},
            "openedx_config_rabbitmq_tls_ca": "/etc/ssl/certs/ca-certificates.crt",
            # ha: Amazon MQ's three-node cluster replicates quorum queues; single: one node.
            "openedx_config_rabbitmq_queue_type": "quorum" if size == "ha" else "classic",
            "openedx_config_data_ca_stores": resolved["openedx_config_data_ca_stores"],
        }
        assert "rabbitmq" not in resolved["openedx_config_data_ca_stores"]
    assert configured == {h.name for group in ("app", "worker") for h in seam.inventory.get_hosts(group)}
    assert not problems, "\n".join(problems)


MONGODB_TLS_SETTINGS = [
    "openedx_config_data_ca_stores",
    "openedx_config_data_ca_cert",
    "openedx_config_mongodb_hosts",
    "openedx_config_mongodb_replica_set",
    "openedx_config_mongodb_database",
    "openedx_config_mongodb_auth_source",
]


@pytest.mark.parametrize(("cloud", "size"), [("aws", "single"), ("gcp", "standard"), ("azure", "ha")])
def test_self_hosted_mongodb_gets_the_data_ca_and_its_clients_verify_it(
    tmp_path: Path, ansible_roles_path: None, cloud: str, size: str
) -> None:
    """A self-hosted MongoDB is one of the data CA's stores (docs/security.md, "TLS to the data stores"): the mongodb
    role on every member gets both halves of the `data_ca` secret, so it requires TLS, and openedx_config on the app
    and worker hosts lists mongodb among the stores it verifies with the CA certificate, next to the members'
    addresses, which the members' certificates name, the replica set the role initiates and the database it creates
    the platform's user in (where the clients authenticate). Both roles' argument specs and preflights accept what
    they get."""
    seam = load_seam(tmp_path, cloud, size, recorded_outputs(cloud, size), contract_environment(cloud, size))
    members = {h.name for h in seam.inventory.get_hosts("mongodb")}
    assert members, "the profile self-hosts MongoDB"
    derived = secrets.derived_secrets(seam.secrets)
    served: set[tuple[str, str]] = set()
    asked: set[tuple[str, str]] = set()
    checked: dict[str, set[str]] = {"mongodb": set(), "openedx_config": set()}
    problems: list[str] = []
    for app, available in accepted_inputs(seam, set(checked), problems):
        checked[app.role].add(app.host.name)
        if app.role == "mongodb":
            names = ["mongodb_tls_ca_cert", "mongodb_tls_ca_key", "mongodb_replica_set", "mongodb_app_database"]
            resolved, errors = resolve(seam, available, names)
            assert not errors, errors
            served.add((resolved.pop("mongodb_replica_set"), resolved.pop("mongodb_app_database")))
            assert resolved == {
                "mongodb_tls_ca_cert": derived["data_ca_cert"],
                "mongodb_tls_ca_key": derived["data_ca_key"],
            }, app.label
        else:
            resolved, errors = resolve(seam, available, MONGODB_TLS_SETTINGS)
            assert not errors, errors
            assert "mongodb" in resolved["openedx_config_data_ca_stores"], app.label
            assert resolved["openedx_config_data_ca_cert"] == derived["data_ca_cert"]
            assert len(resolved["openedx_config_mongodb_hosts"]) == len(members)
            assert resolved["openedx_config_mongodb_database"] == resolved["openedx_config_mongodb_auth_source"]
            asked.add((resolved["openedx_config_mongodb_replica_set"], resolved["openedx_config_mongodb_database"]))
    clients = {h.name for group in ("app", "worker") for h in seam.inventory.get_hosts(group)}
    assert checked == {"mongodb": members, "openedx_config": clients}, checked
    # pymongo refuses a replica set of another name, and a user is found only in the database it was created in.
    assert len(served) == 1 and asked == served, (served, asked)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("cloud", "memorystore_ca"), [("gcp", True), ("gcp", False), ("aws", False)])
def test_a_managed_redis_with_its_own_ca_hands_it_to_the_settings(
    tmp_path: Path, ansible_roles_path: None, cloud: str, memorystore_ca: bool
) -> None:
    """Memorystore's certificate chains to its per-instance CA (the stack's endpoints.redis.ca_cert, from
    server_ca_certs): openedx_config on every app and worker host gets that CA to verify Redis with, and the LMS,
    Studio and worker containers mount the CA file it is written to; where the managed Redis chains to a public root
    (ElastiCache), nothing of the kind is passed. The roles' argument specs and preflights accept what they get."""
    outputs = recorded_outputs(cloud, "standard")
    assert outputs["endpoints"]["redis"]["managed"], "the standard profile uses the cloud's managed Redis"
    _, ca_cert = secrets.split_data_ca(secrets.generate_data_ca("Memorystore per-instance CA"))
    if memorystore_ca:
        outputs["endpoints"]["redis"]["ca_cert"] = ca_cert
    seam = load_seam(tmp_path, cloud, "standard", outputs, contract_environment(cloud, "standard"))
    mounts = {"openedx_app": "openedx_app_data_ca_path", "workers": "workers_data_ca_path"}
    problems: list[str] = []
    seen: dict[str, set[str]] = {}
    stores: list[str] = []
    for app, available in accepted_inputs(seam, {"openedx_config", *mounts}, problems):
        seen.setdefault(app.role, set()).add(app.host.name)
        if app.role == "openedx_config":
            names = ["openedx_config_redis_tls_ca", "openedx_config_redis_tls", "openedx_config_data_ca_stores"]
            resolved, errors = resolve(seam, available, names)
            assert not errors, errors
            stores = resolved.pop("openedx_config_data_ca_stores")
            expected = {
                "openedx_config_redis_tls_ca": ca_cert if memorystore_ca else "",
                "openedx_config_redis_tls": True,
            }
            assert resolved == expected, app.label
        else:
            resolved, errors = resolve(seam, available, [mounts[app.role]])
            assert not errors, errors
            mounted = resolved[mounts[app.role]]
            assert mounted.endswith("/data-ca.pem") if memorystore_ca or stores else mounted == "", (app.label, mounted)
    clients = {h.name for group in ("app", "worker") for h in seam.inventory.get_hosts(group)}
    assert seen.get("openedx_config") == clients and set(seen) == {"openedx_config", *mounts}, seen
    assert not problems, "\n".join(problems)
