"""The environment's saved stack state: which Terraform outputs the stacks give (docs/contracts.md section 3) and
the local cache of their values that `up` writes, with the sensitive ones ansible-vault encrypted.

The Terraform state is the record; the cache saves a Terraform run. `Deployer.terraform_outputs()` reads the state
when the cache is missing (a fresh checkout with remote state).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .paths import Workdir
from .secrets import Vault, write_encrypted_if_changed

OUTPUTS_FILE = "outputs.json"
# The cache of the sensitive outputs, ansible-vault encrypted beside OUTPUTS_FILE: no secret is kept in plain text.
SECRET_OUTPUTS_FILE = "outputs.secret.yml"  # noqa: S105 - a file name, not a password
STACK_OUTPUTS = (
    "host_groups",
    "endpoints",
    "buckets",
    "load_balancer",
    "dns_records",
    "cdn",
    "storage_identity",
    "ssh_user",
    "bastion",
    "redis_credential",
    "shared_files",
)
# Outputs that are secrets: the password clients use for a managed Redis, which Memorystore and Azure Cache generate
# themselves (on AWS the AUTH token passed in). It reaches the inventory's vault as vault_redis_credential.
SENSITIVE_OUTPUTS = ("redis_credential",)


DNS_RECORD_KEYS = ("name", "type", "value", "zone")


def dns_records(outputs: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """The stack's `dns_records` output: one record per domain the load balancer serves, {name, type, value, zone}
    (`zone` "" when the stack did not create it: the operator does). [] without the output (the local target, or
    outputs cached before the stacks gave it)."""
    found = (outputs or {}).get("dns_records") or []
    return [
        {key: str(record.get(key) or "") for key in DNS_RECORD_KEYS} for record in found if isinstance(record, Mapping)
    ]


def dns_record_lines(records: list[dict[str, str]]) -> list[str]:
    """The records as lines for people: those the stack created, per zone, then those to create by hand."""
    lines = []
    created = [r for r in records if r["zone"]]
    for zone in dict.fromkeys(r["zone"] for r in created):
        in_zone = [r for r in created if r["zone"] == zone]
        lines.append(f"DNS records in zone {zone} (created by the stack):")
        lines += [f"  {r['name']}  {r['type']}  {r['value']}" for r in in_zone]
    manual = [r for r in records if not r["zone"]]
    if manual:
        lines.append(
            "DNS records to create where the domains' DNS is hosted (no dns.zone in the environment file; ACME and "
            "cloud certificates, and the URLs, need them):"
        )
        lines += [f"  {r['name']}  {r['type']}  {r['value']}" for r in manual]
        if any(r["type"] == "CNAME" for r in manual):
            lines.append("  (a name at a zone apex cannot be a CNAME: use the DNS provider's ALIAS/ANAME record)")
    return lines


SHARED_FILES_KEYS = ("type", "address", "export", "options")


def shared_files(outputs: Mapping[str, Any] | None) -> dict[str, str] | None:
    """The stack's `shared_files` output, {type, address, export, options}: the network file system the app and
    worker hosts mount at /var/lib/openedx; None without one (single, the local target, or outputs saved before the
    stacks gave it)."""
    found = (outputs or {}).get("shared_files")
    if not isinstance(found, Mapping) or not found.get("address"):
        return None
    return {key: str(found.get(key) or "") for key in SHARED_FILES_KEYS}


def cdn_urls(outputs: Mapping[str, Any] | None) -> dict[str, str] | None:
    """The stack's `cdn` output, {domain, static_url, media_url}, when a CDN exists (its domain set); None without
    one (cdn.enabled false, the local target, or outputs saved before the stacks gave it)."""
    found = (outputs or {}).get("cdn")
    if not isinstance(found, Mapping) or not found.get("domain"):
        return None
    return {key: str(found.get(key) or "") for key in ("domain", "static_url", "media_url")}


def vault_outputs(outputs: Mapping[str, Any] | None) -> dict[str, str]:
    """The sensitive outputs that are set, for the inventory's vault: vault_<output name>."""
    found = outputs or {}
    return {f"vault_{name}": str(found[name]) for name in SENSITIVE_OUTPUTS if found.get(name)}


def outputs_file(workdir: Workdir, name: str) -> Path:
    """The local cache of the environment's Terraform outputs: written by `up` (and by a command that read them
    from the state when it was missing), removed by `destroy`. The state is the record; this saves a Terraform run."""
    return workdir.terraform_dir(name) / OUTPUTS_FILE


def secret_outputs_file(workdir: Workdir, name: str) -> Path:
    """The encrypted cache of the sensitive outputs (SENSITIVE_OUTPUTS), beside outputs_file()."""
    return workdir.terraform_dir(name) / SECRET_OUTPUTS_FILE


def load_outputs(workdir: Workdir, name: str, vault: Vault | None = None) -> dict[str, Any] | None:
    """Terraform outputs cached by the last `up` (`terraform output -json`, values only), if any. Only the cache:
    `Deployer.terraform_outputs()` falls back to the state. With the vault, the sensitive outputs too."""
    path = outputs_file(workdir, name)
    if not path.is_file():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text())
    secret_path = secret_outputs_file(workdir, name)
    if vault is not None and secret_path.is_file():
        sensitive = yaml.safe_load(vault.decrypt(secret_path.read_bytes(), secret_path)) or {}
        loaded.update({k: v for k, v in sensitive.items() if k in SENSITIVE_OUTPUTS})
    return loaded


def save_outputs(workdir: Workdir, name: str, outputs: Mapping[str, Any], vault: Vault | None) -> None:
    """Cache the outputs: the sensitive ones that are set encrypted with the vault (needed only then), the others as
    JSON. Never a secret in plain text."""
    path = outputs_file(workdir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({k: v for k, v in outputs.items() if k not in SENSITIVE_OUTPUTS}, indent=2, sort_keys=True) + "\n"
    )
    sensitive = {k: outputs[k] for k in SENSITIVE_OUTPUTS if outputs.get(k)}
    secret_path = secret_outputs_file(workdir, name)
    if not sensitive:
        secret_path.unlink(missing_ok=True)
        return
    if vault is None:
        raise ValueError("sensitive outputs are cached only encrypted: a vault is needed")
    write_encrypted_if_changed(
        secret_path, vault, "---\n" + yaml.safe_dump(sensitive, default_flow_style=False, sort_keys=True, width=4096)
    )


def forget_outputs(workdir: Workdir, name: str) -> None:
    """Remove the cached outputs (after `destroy`: they name what is gone)."""
    outputs_file(workdir, name).unlink(missing_ok=True)
    secret_outputs_file(workdir, name).unlink(missing_ok=True)
