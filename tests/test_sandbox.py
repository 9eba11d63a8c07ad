"""systemd sandboxing (issue 13, Deliver 8): every daemon the roles start runs confined, or is listed here with the
reason it cannot be. Offline: which roles include the common role's `sandbox` entry point, before starting their
daemon, with a restart when the drop-in changes, and what the drop-in template renders. That the confinement is in
force, as the kernel reports it, is checked on privileged test hosts: molecule's data-tier (MariaDB, Redis) and
rabbitmq scenarios (molecule/shared/hostcheck.py, assert_sandboxed) and the end-to-end single host (MariaDB, Redis,
nginx; tests/test_local_up.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

ROLES = Path(__file__).resolve().parents[1] / "roles"

# role -> the unit its sandbox names (as written in the role)
CONFINED = {
    "mysql": "{{ _mysql_flavor_settings.service }}.service",
    "redis": "{{ _redis_service | default('redis-server') }}.service",
    "rabbitmq": "{{ _rabbitmq_service }}.service",
    "mongodb": "mongod.service",
    "proxy": "nginx.service",
    "load_balancer": "haproxy.service",
    "search": "{{ _search_engine['service'] }}.service",
}
# Units the roles start without the drop-in, and why.
NOT_CONFINED = {
    "common": "the base system's own services (nftables, sshd, time sync, APT timers): sshd must start login "
    "sessions with every privilege a user may be given, and nftables loads the host's firewall",
    "openedx_app": "podman running one container: podman needs namespaces, cgroups and mounts; the container itself "
    "runs with no-new-privileges and every capability dropped",
    "workers": "the same, for the Celery workers",
    "mfe": "the same, for the MFE container",
    "notes": "the same, for the notes container",
}


def tasks(role: str) -> list[dict[str, Any]]:
    return yaml.safe_load((ROLES / role / "tasks" / "service.yml").read_text())


def handlers(role: str) -> list[dict[str, Any]]:
    return yaml.safe_load((ROLES / role / "handlers" / "main.yml").read_text())


def roles_starting_daemons() -> set[str]:
    """Roles with a task that enables a unit (ansible.builtin.systemd_service with enabled: true)."""
    found = set()
    for path in ROLES.glob("*/tasks/*.yml"):
        for step in yaml.safe_load(path.read_text()) or []:
            if (step.get("ansible.builtin.systemd_service") or {}).get("enabled") is True:
                found.add(path.parent.parent.name)
    return found


def test_every_role_that_starts_a_daemon_is_confined_or_says_why_not() -> None:
    assert roles_starting_daemons() == set(CONFINED) | set(NOT_CONFINED)


@pytest.mark.parametrize("role", sorted(CONFINED))
def test_the_role_confines_its_daemon_before_starting_it_and_restarts_it_on_change(role: str) -> None:
    steps = tasks(role)
    names = [step["name"] for step in steps]
    include = next(s for s in steps if s.get("ansible.builtin.include_role", {}).get("tasks_from") == "sandbox")
    assert include["ansible.builtin.include_role"]["name"] == "common"
    assert include["vars"]["common_sandbox_unit"] == CONFINED[role]
    start = next(i for i, step in enumerate(steps) if step.get("ansible.builtin.systemd_service", {}).get("enabled"))
    assert names.index(include["name"]) < start, "the drop-in must be in place before the daemon starts"
    restart = next(step for step in steps if "common_sandbox_changed" in str(step.get("when", "")))
    notified = restart["notify"]
    restarting = [
        h
        for h in handlers(role)
        if notified in (h["name"], h.get("listen")) and h["ansible.builtin.systemd_service"].get("state") == "restarted"
    ]
    assert restarting, f"{role}: {notified!r} must restart the daemon (a reload keeps the old sandbox)"


def render(**variables: Any) -> dict[str, list[str]]:
    defaults = yaml.safe_load((ROLES / "common" / "defaults" / "main.yml").read_text())
    # A unit file, not HTML: nothing to escape.
    environment = jinja2.Environment(trim_blocks=True, undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701
    template = environment.from_string((ROLES / "common" / "templates" / "sandbox.conf.j2").read_text())
    values = {key: value for key, value in defaults.items() if key.startswith("common_sandbox_")}
    text = template.render(ansible_managed="managed", **{**values, **variables})
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def test_the_drop_in_confines_a_daemon_that_writes_only_its_own_paths() -> None:
    settings = render(common_sandbox_unit="redis-server.service", common_sandbox_read_write_paths=["/var/lib/redis"])
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ProtectHome": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes",
        "RestrictSUIDSGID": "yes",
        "RestrictNamespaces": "yes",
        "MemoryDenyWriteExecute": "yes",
        "SystemCallFilter": "@system-service",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    }.items():
        assert settings[key] == [value], key
    # Optional: a path the package did not create is no reason to fail the start.
    assert settings["ReadWritePaths"] == ["-/var/lib/redis"]
    assert "CapabilityBoundingSet" not in settings, "unset leaves the unit's own bounding set"


def test_the_drop_in_allows_a_jit_and_narrows_capabilities_when_asked() -> None:
    settings = render(
        common_sandbox_unit="haproxy.service", common_sandbox_jit=True, common_sandbox_capabilities=["CAP_KILL"]
    )
    assert "MemoryDenyWriteExecute" not in settings
    assert settings["CapabilityBoundingSet"] == ["CAP_KILL"]
    assert render(common_sandbox_unit="x.service", common_sandbox_capabilities=[])["CapabilityBoundingSet"] == [""]
