"""Offline checks over the Terraform modules that fail when a data resource loses a protection: deletion protection,
encryption at rest and in transit, and private networking, on every managed database, cache and bucket of every
cloud. checkov covers much of this too; these checks are the project's own floor and do not depend on which checks
a checkov release has or skips.

A protection "follows deletion_protection" when its value is `var.deletion_protection` (or `!var.deletion_protection`
for the inverse setting) and the module's variable defaults to true.
"""

from __future__ import annotations

import re
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
}
# (module, resource type, attribute path) -> why that module may differ from REQUIRED.
EXCEPTIONS = {
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

    merged: dict[str, Any] = {"resource": [], "variable": []}
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
    "azurerm_cosmosdb_",
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
