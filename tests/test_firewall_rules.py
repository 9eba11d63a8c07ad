"""Offline: the host firewall (roles/common) opens each data port only to that store's clients.

The rules come from `common_firewall_services` expanded by `firewall_rules.yml.j2` over the inventory; here they
are expanded over the inventories the renderer writes for the local `standard` and `ha` profiles (their snapshots),
with one private address per host, and every data port's sources are checked against its client groups.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader

REPO = Path(__file__).resolve().parents[1]
COMMON = REPO / "roles" / "common"
SNAPSHOTS = REPO / "tests" / "snapshots" / "render"
# Which groups may reach each data port; anything else reaching one is a regression.
CLIENTS = {
    3306: {"app", "worker", "mysql"},
    6379: {"app", "worker"},
    27017: {"app", "worker", "mongodb"},
    7700: {"app", "worker"},
    9200: {"app", "worker", "search"},
    9300: {"search"},
}


def inventory(profile: str) -> tuple[dict[str, list[str]], dict[str, str]]:
    (hosts_file,) = (SNAPSHOTS / profile / "inventories").glob("*/hosts.yml")
    manager = InventoryManager(loader=DataLoader(), sources=[str(hosts_file)])
    groups = {name: [h.name for h in group.get_hosts()] for name, group in manager.groups.items()}
    addresses = {name: f"10.20.0.{i}" for i, name in enumerate(sorted(manager.hosts), start=10)}
    return groups, addresses


def rules_for(host: str, groups: dict[str, list[str]], addresses: dict[str, str], services: Any) -> list[Any]:
    # Chainable, as Ansible's undefined is: `hostvars[h].ansible_default_ipv4.address | default("")` must not raise.
    env = jinja2.Environment(undefined=jinja2.ChainableUndefined, extensions=["jinja2.ext.do"])  # noqa: S701
    env.filters["to_yaml"] = yaml.safe_dump
    template = env.from_string((COMMON / "templates" / "firewall_rules.yml.j2").read_text())
    text = template.render(
        common_firewall_services=services,
        group_names=[g for g, members in groups.items() if host in members and g not in ("all", "ungrouped")],
        groups=groups,
        inventory_hostname=host,
        hostvars={name: {"openedx_private_address": address} for name, address in addresses.items()},
    )
    return yaml.safe_load(text) or []


def default_services() -> Any:
    return yaml.safe_load((COMMON / "defaults" / "main.yml").read_text())["common_firewall_services"]


def data_port_problems(profile: str, services: Any) -> list[str]:
    groups, addresses = inventory(profile)
    problems = []
    for host in addresses:
        for rule in rules_for(host, groups, addresses, services):
            for port in rule["ports"]:
                if port not in CLIENTS:
                    continue
                allowed = {addresses[h] for g in CLIENTS[port] for h in groups.get(g, []) if h != host}
                for source in rule["sources"]:
                    network = ipaddress.ip_network(source, strict=False)
                    if network.num_addresses > 1 or str(network.network_address) not in allowed:
                        problems.append(f"{profile} {host}: port {port} ({rule['name']}) open to {source}")
    return problems


@pytest.mark.parametrize("profile", ["local-standard", "local-ha"])
def test_data_ports_are_open_only_to_their_clients(profile: str) -> None:
    groups, addresses = inventory(profile)
    assert groups.get("mysql") and groups.get("app"), f"{profile}: the inventory has no mysql or app group"
    opened = [r for h in addresses for r in rules_for(h, groups, addresses, default_services()) if r["sources"]]
    assert any(3306 in r["ports"] for r in opened), "no MySQL rule was derived: the check would check nothing"
    assert data_port_problems(profile, default_services()) == []


def test_a_data_port_opened_to_the_world_is_caught() -> None:
    services = default_services()
    for service in services:
        if service["name"] == "mysql":
            service["from_cidrs"] = ["0.0.0.0/0"]
    assert data_port_problems("local-standard", services) == [
        "local-standard demo-data-1: port 3306 (mysql) open to 0.0.0.0/0"
    ]


def web_sources(profile: str) -> dict[str, list[str]]:
    """Each app host's sources for its web ports (80, 443)."""
    groups, addresses = inventory(profile)
    return {
        host: rule["sources"]
        for host in groups.get("app", [])
        for rule in rules_for(host, groups, addresses, default_services())
        if rule["name"] == "web"
    }


def test_app_hosts_behind_the_load_balancer_host_admit_web_traffic_from_it_alone() -> None:
    groups, addresses = inventory("local-standard")
    (balancer,) = groups["load_balancer"]
    sources = web_sources("local-standard")
    assert sources and all(found == [addresses[balancer]] for found in sources.values()), sources


def test_a_single_host_without_a_load_balancer_admits_web_traffic_from_anyone() -> None:
    groups, _ = inventory("local-single")
    assert not groups.get("load_balancer")
    assert list(web_sources("local-single").values()) == [["0.0.0.0/0", "::/0"]]


def test_the_fallback_never_opens_web_ports_when_the_balancer_address_is_unknown() -> None:
    """No address gathered for the load balancer host: its rule admits no one, rather than the world."""
    groups, addresses = inventory("local-standard")
    (balancer,) = groups["load_balancer"]
    del addresses[balancer]
    app = groups["app"][0]
    (rule,) = [r for r in rules_for(app, groups, addresses, default_services()) if r["name"] == "web"]
    assert rule["sources"] == []
