"""Resource addresses the stacks have changed, and where those objects live now.

A stack refactoring must not make Terraform destroy what an older version of the tool created (a data VM and its
disk above all). `moved` blocks would say this in the stacks, but they need Terraform 1.1 ("Refactoring",
https://developer.hashicorp.com/terraform/language/modules/develop/refactoring) and the stacks keep Terraform 1.0 as
their floor, so the Terraform target moves the state itself with `terraform state mv`, which moves resources and whole
modules, into and out of module instances ("Command: state mv",
https://developer.hashicorp.com/terraform/cli/commands/state/mv), after `init` and before any plan, for every move
whose source the state still holds. Addresses are relative to the stack module.
"""

from __future__ import annotations

import re

# Issue 12 ("one module shape on all three clouds"): a data-store module creates only its managed service; the
# self-hosted VMs of every store come from the cloud's hosts module, called once per store at stack level.
_GCP_STORES = ("mysql", "mongodb", "redis", "search")
STATE_MOVES: dict[str, list[tuple[str, str]]] = {
    "aws": [],
    "gcp": [
        *[(f"module.{s}.module.hosts", f'module.data_hosts["{s}"]') for s in _GCP_STORES],
        *[
            (f"module.{s}.google_compute_firewall.clients", f'module.data_hosts["{s}"].google_compute_firewall.clients')
            for s in _GCP_STORES
        ],
        ("module.search.google_compute_firewall.peers", 'module.data_hosts["search"].google_compute_firewall.peers'),
    ],
    "azure": [
        # The managed services lost their module-level count for a create toggle inside.
        ("module.mysql[0]", "module.mysql"),
        *[
            (f"module.mysql.{r}", f"module.mysql.{r}[0]")
            for r in (
                "azurerm_private_dns_zone.this",
                "azurerm_private_dns_zone_virtual_network_link.this",
                "azurerm_mysql_flexible_server.this",
                "azurerm_mysql_flexible_server_configuration.require_secure_transport",
                "azurerm_mysql_flexible_server_configuration.tls_version",
            )
        ],
        ("module.redis[0]", "module.redis"),
        *[
            (f"module.redis.{r}", f"module.redis.{r}[0]")
            for r in (
                "azurerm_redis_cache.this",
                "azurerm_private_dns_zone.this",
                "azurerm_private_dns_zone_virtual_network_link.this",
                "azurerm_private_endpoint.this",
            )
        ],
        ("module.mysql_hosts", 'module.data_hosts["mysql"]'),
        ("module.redis_hosts", 'module.data_hosts["redis"]'),
        ("module.mongodb.module.hosts", 'module.data_hosts["mongodb"]'),
        ("module.search.module.hosts", 'module.data_hosts["search"]'),
    ],
}


_MODULE = re.compile(r"(^|\.)module\.[^.\[]+(\[[^\]]*\])?$")


def holds(addresses: list[str], prefix: str) -> bool:
    """Whether any state address lies at or under `prefix`: a module (instance) holds the resources under it, a
    resource its instances (`x.this` holds `x.this[0]`; `module.m` does not hold `module.m[0]`'s resources)."""
    if _MODULE.search(prefix):
        return any(a.startswith(f"{prefix}.") for a in addresses)
    return any(a == prefix or a.startswith(f"{prefix}[") for a in addresses)


def after_moves(addresses: list[str], moves: list[tuple[str, str]]) -> list[str]:
    """The state addresses once `moves` are made, in order."""
    held = list(addresses)
    for source, target in moves:
        held = [target + a[len(source) :] if holds([a], source) else a for a in held]
    return held


def pending_moves(cloud: str, addresses: list[str], stack: str = "module.stack") -> list[tuple[str, str]]:
    """The (from, to) state moves still to make for a state holding `addresses` (full addresses, the stack called
    as `stack` in the root module): each move whose source the state holds and whose destination it does not, in
    order, the addresses after the earlier moves of the list."""
    held = list(addresses)
    moves: list[tuple[str, str]] = []
    for old, new in STATE_MOVES.get(cloud, []):
        source, target = f"{stack}.{old}", f"{stack}.{new}"
        if holds(held, source) and not holds(held, target):
            moves.append((source, target))
            held = after_moves(held, [(source, target)])
    return moves
