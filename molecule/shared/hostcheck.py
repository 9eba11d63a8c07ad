"""Helpers shared by the scenarios' testinfra tests (put on PYTHONPATH by .config/molecule/config.yml).

Tests reach the test hosts through testinfra's podman backend (`podman exec`), which is several times faster
than routing every command through Ansible; variables still come from molecule's Ansible inventory.
"""

from __future__ import annotations

import json
import os
import shlex
from functools import cache
from typing import Any

import testinfra
import testinfra.utils.ansible_runner


@cache
def _inventory() -> testinfra.utils.ansible_runner.AnsibleRunner:
    return testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])


def hosts_in(group: str) -> list[str]:
    """testinfra host specs for the inventory group, for a test module's `testinfra_hosts`."""
    return [f"podman://{name}" for name in _inventory().get_hosts(group)]


def host_named(name: str) -> Any:
    return testinfra.get_host(f"podman://{name}")


def only(group: str, **match: Any) -> Any:
    """The one host of the group whose inventory variables equal `match` (e.g. mysql_replication_role="replica");
    fails when the scenario has none or several, so a test never silently checks the wrong host."""
    names = [
        name
        for name in _inventory().get_hosts(group)
        if all(_inventory().get_variables(name).get(key) == value for key, value in match.items())
    ]
    assert len(names) == 1, f"the scenario should have one {group} host with {match}, has {names}"
    return host_named(names[0])


def name_of(host: Any) -> str:
    return str(host.backend.get_hostname())


def variables(host: Any) -> dict[str, Any]:
    """The host's inventory variables (host_vars and group_vars of the scenario's molecule.yml)."""
    return dict(_inventory().get_variables(name_of(host)))


@cache
def _address(name: str) -> str:
    host = host_named(name)
    explicit = _inventory().get_variables(name).get("openedx_private_address")
    if explicit:
        return str(explicit)
    # The address of the default route's interface: what the roles use as ansible_default_ipv4.address.
    route = json.loads(host.check_output("ip -4 -j route show default"))[0]
    addrs = json.loads(host.check_output(f"ip -4 -j addr show dev {shlex.quote(route['dev'])}"))
    return str(addrs[0]["addr_info"][0]["local"])


def address_of(host: Any) -> str:
    """The address other test hosts use for this one (same rule as the roles: openedx_private_address first)."""
    return _address(name_of(host))


# The data stores' CA, and an unrelated one (molecule/data-tier/prepare.yml copies both to every host of the scenario).
TLS_CA = "/etc/molecule-tls/ca.pem"
WRONG_CA = "/etc/molecule-tls/wrong-ca.pem"


def mysql_tls(ca: str = TLS_CA) -> str:
    """MariaDB client options for TLS verifying the server's certificate with `ca`."""
    return f"--ssl --ssl-ca={ca} --ssl-verify-server-cert"


def redis_tls(ca: str = TLS_CA) -> str:
    """redis-cli options for TLS verifying the server's certificate with `ca`."""
    return f"--tls --cacert {ca}"


def journal(host: Any, unit: str, lines: int = 60) -> str:
    out = host.run(f"journalctl --no-pager -n {lines} -u {shlex.quote(unit)}")
    return str(out.stdout + out.stderr)


def assert_service_running(host: Any, unit: str) -> None:
    """Asserts the unit is enabled and running; on failure the message carries the unit's journal."""
    service = host.service(unit)
    if not (service.is_running and service.is_enabled):
        status = host.run(f"systemctl status --no-pager {shlex.quote(unit)}").stdout
        raise AssertionError(
            f"{unit} running={service.is_running} enabled={service.is_enabled}\n{status}\n"
            f"--- journalctl -u {unit} ---\n{journal(host, unit)}"
        )


def sandbox_of(host: Any, unit: str) -> dict[str, Any]:
    """What the kernel says of the unit's main process (not what its unit file asks for): whether it has a mount
    namespace of its own with /usr read-only (ProtectSystem), no_new_privs, and its capability bounding set."""
    pid = host.run(f"systemctl show --property MainPID --value {shlex.quote(unit)}").stdout.strip()
    assert pid not in ("", "0"), f"{unit} has no main process\n{journal(host, unit)}"
    own_namespace = host.run(f"readlink /proc/{pid}/ns/mnt").stdout != host.run("readlink /proc/1/ns/mnt").stdout
    mounts = host.run(f"cat /proc/{pid}/mountinfo").stdout.splitlines()
    usr_read_only = any(line.split()[4] in ("/", "/usr") and "ro" in line.split()[5].split(",") for line in mounts)
    status = dict(line.split(":\t", 1) for line in host.run(f"cat /proc/{pid}/status").stdout.splitlines())
    return {
        "own_mount_namespace": own_namespace,
        "usr_read_only": usr_read_only,
        "no_new_privs": status.get("NoNewPrivs", "").strip() == "1",
        "bounding_set": int(status.get("CapBnd", "0").strip(), 16),
    }


def assert_sandboxed(host: Any, unit: str, bounding_set: int | None = None) -> None:
    """The unit runs confined by the common role's sandbox drop-in. Only on a host whose systemd may create
    namespaces (a privileged test host, a VM): in an unprivileged container systemd skips the mount namespace."""
    found = sandbox_of(host, unit)
    expected = {"own_mount_namespace": True, "usr_read_only": True, "no_new_privs": True}
    if bounding_set is not None:
        expected["bounding_set"] = bounding_set
    assert {key: found[key] for key in expected} == expected, f"{unit}: {found}"
