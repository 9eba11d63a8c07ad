"""The local hosts over SSH (OPENEDX_DEPLOY_LOCAL_TRANSPORT=ssh): reached as a cloud's hosts are, through sshd on a
fixed address, as the login user with sudo, the environment's host key pinned (issue 15, Deliver 2).

The fast tests check the layout's fixed addresses, the rendered inventory and the adapter's podman calls (through
ScriptedPodman, the podman test double of tests/test_localhosts.py). The slow test starts a real host from the base
image, grants SSH as `up` does, converges the common role over SSH (its firewall included) and then connects again:
a firewall that admits no controller passes the first run (its connection is established) and locks out every
later one, which is what the second connection catches.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_localhosts import ScriptedPodman

from openedx_deploy import render, secrets, topology
from openedx_deploy.ansible import AnsibleRunner
from openedx_deploy.errors import DeployError, UsageError
from openedx_deploy.localhosts import LocalHost, LocalHosts
from openedx_deploy.paths import Workdir, assets_root
from openedx_deploy.secrets import ensure_ssh_key
from openedx_deploy.spec import parse_spec

TRANSPORT = topology.LOCAL_TRANSPORT_ENV


def spec_of(name: str = "demo", size: str = "standard", **extra: Any) -> Any:
    return parse_spec({"name": name, "cloud": "local", "release": "ulmo", "size": size, **extra})


def environment_secrets() -> dict[str, str]:
    values = {name: f"test-{name}-{hashlib.sha256(name.encode()).hexdigest()[:12]}" for name in secrets.SECRET_NAMES}
    values["jwt_private_key"] = secrets.generate_jwk()
    values["ssh_host_key"] = secrets.generate_ssh_host_key()
    return values


def render_local(tmp_path: Path, spec: Any, env_secrets: dict[str, str]) -> Path:
    vault = secrets.Vault("test-password")
    render.render_environment(spec, Workdir(tmp_path), env_secrets, vault)
    return Workdir(tmp_path).inventory_dir(spec.name)


# --- Fixed addresses ---------------------------------------------------------------------------------------------


def test_every_local_host_has_its_own_fixed_address_in_the_environment_subnet() -> None:
    import ipaddress

    spec = spec_of(tiers={"app": {"count": 20}, "worker": {"count": 20}}, mongodb={"count": 7})
    layout = topology.local_hosts(spec)
    subnet = ipaddress.ip_network(layout["subnet"])
    addresses = [ipaddress.ip_address(h["address"]) for h in layout["hosts"]]
    assert len(set(addresses)) == len(addresses) == 7 + 20 + 20 + 1
    assert all(a in subnet and int(a) - int(subnet.network_address) > 1 for a in addresses)  # .1: the gateway


def test_a_layout_change_moves_no_other_host() -> None:
    before = {h["name"]: h["address"] for h in topology.local_hosts(spec_of())["hosts"]}
    after = {h["name"]: h["address"] for h in topology.local_hosts(spec_of(tiers={"worker": {"count": 3}}))["hosts"]}
    assert {name: after[name] for name in before} == before
    assert len(after) > len(before)


def test_each_host_is_started_on_its_fixed_address() -> None:
    demo = LocalHosts("demo", podman=ScriptedPodman(lambda a: (0, "")))  # type: ignore[arg-type]
    args = demo.run_args(LocalHost("demo-app-1", ("app",), True, "10.90.3.41"), "demo-net")
    assert args[args.index("--ip") + 1] == "10.90.3.41"
    assert "--ip" not in demo.run_args(LocalHost("demo-app-1", ("app",), True), "demo-net")


class NetworkPodman(ScriptedPodman):
    """ScriptedPodman with a network of the given subnet, on which only `existing` containers exist."""

    def __init__(self, subnet: str, existing: tuple[str, ...]) -> None:
        network = [{"subnets": [{"subnet": subnet}]}]

        def answer(args: tuple[str, ...]) -> tuple[int, str]:
            if args[:2] == ("network", "inspect"):
                return 0, __import__("json").dumps(network)
            return (0, "running\n") if args[0] in ("inspect", "exec") else (0, "")

        super().__init__(answer)
        self.existing = existing

    def exists(self, kind: str, name: str) -> bool:
        return kind == "network" or name in self.existing


def test_a_new_host_is_not_started_on_a_network_whose_subnet_cannot_hold_its_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(LocalHosts, "ensure_base_image", lambda self: None)
    layout = topology.local_hosts(spec_of(size="single"))
    (host,) = LocalHosts.from_layout(layout)
    podman = NetworkPodman("10.89.0.0/24", existing=())
    with pytest.raises(DeployError, match="predates fixed subnets"):
        LocalHosts("demo", podman=podman).ensure_hosts([host], "demo-net")  # type: ignore[arg-type]
    assert podman.count("run") == 0
    # A host that exists keeps running on such a network: only a new address needs the subnet.
    podman = NetworkPodman("10.89.0.0/24", existing=(host.name,))
    assert LocalHosts("demo", podman=podman).ensure_hosts([host], "demo-net") == []  # type: ignore[arg-type]


# --- The inventory -----------------------------------------------------------------------------------------------


def test_over_ssh_the_inventory_reaches_each_host_as_a_cloud_host_with_its_key_pinned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TRANSPORT, "ssh")
    spec, env_secrets = spec_of(), environment_secrets()
    inventory = render_local(tmp_path, spec, env_secrets)
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())["all"]["children"]
    layout = {h["name"]: h["address"] for h in topology.local_hosts(spec)["hosts"]}
    app = hosts["app"]["hosts"]["demo-app-1"]
    assert app == {
        "ansible_host": layout["demo-app-1"],
        "ansible_user": spec.ssh.user,
        "ansible_ssh_private_key_file": str(Workdir(tmp_path).local_ssh_key("demo")),
        "ansible_ssh_common_args": render.PINNED_SSH_ARGS,
        "ansible_host_key_checking": True,
    }
    assert "ansible_connection" not in app  # Ansible's default, ssh
    # Every address, exactly once, with the environment's host key: what the host presents after grant_ssh.
    public = " ".join(secrets.ssh_host_public_key(env_secrets["ssh_host_key"]).split()[:2])
    pinned = (inventory / render.KNOWN_HOSTS_FILE).read_text().splitlines()
    assert pinned == [f"{address} {public}" for address in layout.values()]


def test_over_podman_the_inventory_has_no_addresses_and_no_known_hosts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TRANSPORT, "ssh")
    spec, env_secrets = spec_of(), environment_secrets()
    inventory = render_local(tmp_path, spec, env_secrets)
    (inventory / render.LEGACY_KNOWN_HOSTS_FILE).write_text("left by an older release\n")
    monkeypatch.delenv(TRANSPORT)
    render_local(tmp_path, spec, env_secrets)
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())["all"]["children"]
    assert hosts["app"]["hosts"]["demo-app-1"] == {"ansible_connection": "podman"}
    assert not (inventory / render.KNOWN_HOSTS_FILE).exists()
    assert not (inventory / render.LEGACY_KNOWN_HOSTS_FILE).exists()


def test_the_known_hosts_file_is_no_inventory_source_for_ansible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ansible parses every file of an inventory directory but those with an ignored extension; a plain
    `known_hosts` was parsed on every run (a warning; an error where unparsed inventories fail)."""
    monkeypatch.setenv(TRANSPORT, "ssh")
    inventory = render_local(tmp_path, spec_of(), environment_secrets())
    assert (inventory / render.KNOWN_HOSTS_FILE).is_file()
    password_file = tmp_path / "vault-password"
    secrets.Vault("test-password").write_password_file(password_file)
    monkeypatch.setenv("ANSIBLE_INVENTORY_UNPARSED_FAILED", "true")
    listed = subprocess.run(
        ["ansible-inventory", "-i", str(inventory), "--vault-password-file", str(password_file), "--list"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert "demo-app-1" in listed.stdout and "known_hosts" not in listed.stderr


def test_an_unknown_transport_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TRANSPORT, "telnet")
    with pytest.raises(UsageError, match=f"{TRANSPORT}=telnet: use one of podman, ssh"):
        topology.local_transport()


# --- Granting SSH ------------------------------------------------------------------------------------------------


class StdinPodman(ScriptedPodman):
    """ScriptedPodman that also records what each command read on stdin."""

    def __init__(self, address: str) -> None:
        network = {"NetworkSettings": {"Networks": {"demo-net": {"IPAddress": address}}}}
        super().__init__(lambda a: (0, __import__("json").dumps([network])) if a[0] == "inspect" else (0, ""))
        self.stdin: list[str | None] = []

    def run(self, *args: str, check: bool = True, timeout: int = 600, stdin: str | None = None) -> Any:
        self.stdin.append(stdin)
        return super().run(*args, check=check, timeout=timeout)


def test_the_host_key_reaches_the_host_on_stdin_never_on_a_command_line() -> None:
    podman = StdinPodman("10.90.3.41")
    demo = LocalHosts("demo", podman=podman)  # type: ignore[arg-type]
    host_key = secrets.generate_ssh_host_key()
    demo.grant_ssh(
        LocalHost("demo-app-1", ("app",), True, "10.90.3.41"), "demo-net", "openedx", "ssh-ed25519 AAAA", host_key
    )
    execs = [(args, stdin) for args, stdin in zip(podman.asked, podman.stdin, strict=True) if args[0] == "exec"]
    assert len(execs) == 1
    args, stdin = execs[0]
    assert args[:3] == ("exec", "-i", "demo-app-1") and args[-2:] == ("openedx", "ssh-ed25519 AAAA")
    assert stdin == host_key and not any(host_key in arg for arg in args)


def test_a_host_on_another_address_than_the_inventory_names_is_refused() -> None:
    podman = StdinPodman("10.90.3.7")
    demo = LocalHosts("demo", podman=podman)  # type: ignore[arg-type]
    with pytest.raises(DeployError, match=r"demo-app-1 has address 10\.90\.3\.7 .* at 10\.90\.3\.41"):
        demo.grant_ssh(LocalHost("demo-app-1", ("app",), True, "10.90.3.41"), "demo-net", "openedx", "k", "key")
    assert not [args for args in podman.asked if args[0] == "exec"]


def test_the_client_key_is_made_once_private_and_its_public_half_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "ssh" / "id_ed25519"
    public = ensure_ssh_key(path)
    assert public.startswith("ssh-ed25519 ") and (path.stat().st_mode & 0o777) == 0o600
    assert (path.parent.stat().st_mode & 0o777) == 0o700
    assert ensure_ssh_key(path) == public == path.with_name("id_ed25519.pub").read_text().strip()


# --- A real host over SSH ----------------------------------------------------------------------------------------

SSH_TEST_ENVIRONMENT = "sshtest"  # podman names sshtest-1 and sshtest-net: no other test uses them


@pytest.mark.slow
def test_a_host_reached_over_ssh_converges_its_firewall_and_can_still_be_reached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TRANSPORT, "ssh")
    spec, env_secrets = spec_of(SSH_TEST_ENVIRONMENT, "single"), environment_secrets()
    workdir = Workdir(tmp_path)
    inventory = render_local(tmp_path, spec, env_secrets)
    layout = topology.local_hosts(spec)
    hosts = LocalHosts(SSH_TEST_ENVIRONMENT)
    hosts.remove(layout["network"], include_data=True)
    try:
        (host,) = LocalHosts.from_layout(layout)
        hosts.ensure_hosts([host], layout["network"])
        public = ensure_ssh_key(workdir.local_ssh_key(spec.name))
        hosts.grant_ssh(host, layout["network"], spec.ssh.user, public, env_secrets["ssh_host_key"])
        started = hosts.podman.run("exec", host.name, "systemctl", "show", "ssh", "-p", "ActiveEnterTimestampMonotonic")
        hosts.grant_ssh(host, layout["network"], spec.ssh.user, public, env_secrets["ssh_host_key"])
        again = hosts.podman.run("exec", host.name, "systemctl", "show", "ssh", "-p", "ActiveEnterTimestampMonotonic")
        assert again.stdout == started.stdout, "a second grant with the same host key restarted sshd"

        def ssh(known_hosts: Path, command: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", f"UserKnownHostsFile={known_hosts}",
                 "-o", "StrictHostKeyChecking=yes", "-i", str(workdir.local_ssh_key(spec.name)),
                 f"{spec.ssh.user}@{host.address}", command],
                capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip

        pinned = inventory / render.KNOWN_HOSTS_FILE
        assert ssh(pinned, "sudo -n id -u").stdout.strip() == "0"
        wrong = tmp_path / "wrong_known_hosts"
        wrong.write_text(
            render.known_hosts_lines([host.address], secrets.ssh_host_public_key(secrets.generate_ssh_host_key()))
        )
        refused = ssh(wrong, "true")
        assert refused.returncode == 255 and "Host key verification failed" in refused.stderr

        playbook = tmp_path / "common.yml"
        playbook.write_text("- hosts: all\n  become: true\n  roles: [common]\n")
        runner = AnsibleRunner(tmp_path / "ansible", assets_root("roles") / "roles", mitogen=True)
        vault = secrets.Vault("test-password")
        password_file = tmp_path / "vault-password"
        vault.write_password_file(password_file)
        converged = runner.run_playbook(playbook, inventory, password_file)
        assert converged.ok, converged.failures
        rules = hosts.podman.run("exec", host.name, "nft", "list", "table", "inet", "openedx_deploy").stdout
        assert "tcp dport 22 accept" in rules
        # A new connection after the firewall is in place: the address this machine connects from is admitted.
        assert ssh(pinned, "true").returncode == 0, "the firewall the run applied locks out the next connection"
        reached = runner.run_playbook(playbook, inventory, password_file)
        assert reached.ok and not reached.unreachable and reached.changed_total == 0, reached.failures
    finally:
        hosts.remove(layout["network"], include_data=True)
