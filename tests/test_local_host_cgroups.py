"""Hosts that run containers keep to their own cgroups, so removing one leaves every other host reachable.

The defect this guards against (seen here, and in a CI run where the end-to-end lane lost its host while the other
lane destroyed its own): on a cgroup v1 machine, podman's --systemd=always mode bind-mounts the machine's whole
name=systemd hierarchy into a host with a private cgroup namespace. The host's systemd then moves itself to that
hierarchy's root, and when the host stops it removes every empty cgroup it can see, including the (emptied) cgroup
of every other such host; `podman exec` into those fails from then on. The slow test starts two hosts the way `up`
does, checks where each one's init sits, removes one and execs into the other. The fast test checks the flags.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_localhosts import ScriptedPodman

from openedx_deploy import localhosts
from openedx_deploy.localhosts import LocalHost, LocalHosts, Podman


def test_a_host_that_runs_containers_sets_up_systemd_itself() -> None:
    demo = LocalHosts("demo", podman=ScriptedPodman(lambda a: (0, "")))  # type: ignore[arg-type]
    app = demo.run_args(LocalHost("demo-app-1", ("app",), True), "demo-net")
    data = demo.run_args(LocalHost("demo-data-1", ("mysql",), False), "demo-net")
    assert "--systemd=false" in app and "--systemd=always" not in app
    assert app[app.index("--stop-signal") + 1] == "SIGRTMIN+3" and app[app.index("--env") + 1] == "container=podman"
    assert {app[i + 1] for i, arg in enumerate(app) if arg == "--tmpfs"} == {"/run", "/run/lock", "/tmp"}
    assert "--systemd=always" in data and "--privileged" not in data


def systemd_cgroup(pid: str) -> str:
    """The name=systemd (v1) or unified (v2) cgroup of a process, as the machine sees it."""
    lines = dict(line.split(":", 2)[1:] for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines())
    return lines.get("name=systemd", lines.get("", ""))


@pytest.mark.slow
def test_removing_one_host_leaves_the_others_reachable() -> None:
    environment, network = "cgtest", "cgtest-net"
    hosts = LocalHosts(environment, podman=Podman())
    pair = [LocalHost(f"{environment}-app-{n}", ("app",), True) for n in (1, 2)]
    try:
        hosts.ensure_hosts(pair, network)
        for host in pair:
            inspected = hosts.podman.run("inspect", "--format", "{{.Id}} {{.State.Pid}}", host.name).stdout.split()
            container_id, pid = inspected
            where = systemd_cgroup(pid)
            # Its own cgroup: on cgroup v1 .../libpod-<id>/init.scope; never the machine's /init.scope.
            assert container_id in where, f"{host.name}'s init is in {where}, outside its container's cgroup"
        hosts.podman.run("rm", "-f", "-t", "10", pair[1].name)
        answer = hosts.podman.run("exec", pair[0].name, "systemctl", "is-system-running", check=False)
        assert answer.stdout.strip() in ("running", "degraded"), answer.stderr
    finally:
        hosts.remove(network, include_data=True)


@pytest.mark.slow
def test_a_stateless_host_made_in_podman_systemd_mode_is_made_again_by_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """An app host as the tool made them before: `ensure_hosts` (what `up` runs) replaces it with one whose systemd is
    set up by hand, and says so."""
    environment, network = "cgtest", "cgtest-net"
    hosts = LocalHosts(environment, podman=Podman())
    app = LocalHost(f"{environment}-app-1", ("app",), True)
    with monkeypatch.context() as before:  # the flags such hosts had before PRIVILEGED_SYSTEMD
        before.setattr(localhosts, "PRIVILEGED_SYSTEMD", ("--systemd=always",))
        old = hosts.run_args(app, network)
    try:
        hosts.ensure_network(network)
        hosts.podman.run(*old)
        assert hosts.in_podman_systemd_mode(app.name)
        assert hosts.ensure_hosts([app], network) == [app.name]
        assert not hosts.in_podman_systemd_mode(app.name)
        assert "made it again" in hosts.notes[0]
    finally:
        hosts.remove(network, include_data=True)
