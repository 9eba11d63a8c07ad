"""TEST DOUBLE: the simulated cloud behind the provider double (../shared/tools/terraform-schema-provider).

The provider double answers `terraform plan` and `apply` from the real provider schemas and invents every computed
value; it calls this hook (SIM_PROVIDER_HOOK) on every create, update, delete and data read, with a JSON document on
stdin ({"op", "type", "provider", "provider_config", "planned", "prior"}), and merges the JSON object the hook
prints into the attributes still unknown. Here is what makes the simulated AWS behave, for what the tool relies on,
like the real one (tests/simcloud/README.md says which real behaviour each piece copies, and from where):

* aws_vpc: a podman network with the VPC's CIDR, NAT to the outside (the NAT gateway's outbound path, which apt on
  the hosts needs), and a rule on this machine that rejects every new connection from it into that CIDR: as on
  AWS, nothing outside the VPC reaches a private address. The machine stands for the operator's network.
* aws_subnet: its id and CIDR, so that an instance gets an address in its subnet.
* aws_instance: a podman systemd host (the local target's base image, started as the local target starts its
  hosts) on the VPC network at the next free address of its subnet (AWS keeps a subnet's first four and last one),
  given what its cloud-config user data asks for: the login user with passwordless sudo and the authorized key,
  and the host key as the only one sshd presents (cloud-init's `users` and `ssh_keys`). With
  associate_public_ip_address it is also on the simulated internet (SIM_INTERNET_CIDR, a network this machine
  reaches) at its public_ip. Deleting it removes the host.

Anything else is left to the provider double's generic answer. Environment:
  SIM_CLOUD_STATE     directory the simulation keeps its state in (required; one per simulated account)
  SIM_CLOUD_LABEL     label value of every podman object it makes (default "simcloud"), for cleanup()
  SIM_INTERNET_CIDR   the simulated internet's subnet (default 198.18.0.0/24, RFC 2544's benchmarking range)
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import ipaddress
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

# Run as a program by the provider double, from the rendered root module: the tool's code is this checkout's.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from openedx_deploy.localhosts import GRANT_SSH_SCRIPT, LABEL, LocalHost, LocalHosts

DEFAULT_INTERNET = "198.18.0.0/24"
TIERS_RUNNING_CONTAINERS = ("app", "worker")
IPTABLES_COMMENT = "openedx-deploy simcloud"


class Refused(Exception):
    """What the real API would refuse: the hook exits non-zero and Terraform reports the message."""


# --- state ------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def locked_state(directory: Path) -> Iterator[dict[str, Any]]:
    """The simulation's state, one writer at a time (Terraform applies up to ten resources at once)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "state.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = directory / "state.json"
        state = json.loads(path.read_text()) if path.exists() else {}
        for kind in ("vpcs", "subnets", "instances"):
            state.setdefault(kind, {})
        yield state
        path.write_text(json.dumps(state, indent=2, sort_keys=True))


def short_id(prefix: str, *parts: str) -> str:
    return f"{prefix}-{hashlib.sha256('/'.join(parts).encode()).hexdigest()[:17]}"


# --- the machine's side: networks and the rule that keeps private addresses private ------------------------------


class Simulation:
    def __init__(self, state_dir: Path, label: str, internet: str, podman: Any = None) -> None:
        self.state_dir = state_dir
        self.label = label
        self.internet = internet
        self.hosts = SimHosts(label, podman)
        self.podman = self.hosts.podman

    def iptables(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["iptables", *args], capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            raise Refused(f"iptables {' '.join(args)}: {result.stderr.strip()}")
        return result

    def ensure_network(self, name: str, cidr: str) -> str:
        """A podman network with `cidr`; returns its bridge interface."""
        if not self.podman.exists("network", name):
            self.podman.run("network", "create", "--subnet", cidr, "--label", f"{LABEL}={self.label}", name)
        inspected = json.loads(self.podman.run("network", "inspect", name).stdout)[0]
        return str(inspected.get("network_interface") or inspected.get("plugins", [{}])[0].get("bridge", ""))

    def seal_rule(self, cidr: str, bridge: str = "") -> list[str]:
        """No new connection from this machine into a private `cidr` (no bridge) at all; into the internet's only
        over its bridge (until a host is attached the bridge is not up, and the default route would carry the
        packets off the machine). Rejected as AWS's network ACLs answer nothing: the client says "No route"."""
        rule = ["OUTPUT", "-d", cidr, *(["!", "-o", bridge] if bridge else [])]
        rule += ["-m", "conntrack", "!", "--ctstate", "ESTABLISHED,RELATED"]
        rule += ["-m", "comment", "--comment", f"{IPTABLES_COMMENT} {self.label}"]
        return [*rule, "-j", "REJECT", "--reject-with", "icmp-host-prohibited"]

    def seal(self, rule: list[str]) -> None:
        if self.iptables("-C", *rule, check=False).returncode != 0:
            self.iptables("-I", *rule)

    def unseal(self, rule: list[str]) -> None:
        while self.iptables("-D", *rule, check=False).returncode == 0:
            pass

    def internet_network(self) -> str:
        name = f"{self.label}-internet"
        self.seal(self.seal_rule(self.internet, self.ensure_network(name, self.internet)))
        return name

    # --- resources ---

    def create_vpc(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        cidr = planned["cidr_block"]
        vpc_id = short_id("vpc", self.label, cidr)
        network = f"{self.label}-{vpc_id}"
        # Sealed before anything is attached: a connection tried before the bridge is up must not leave the machine.
        self.seal(self.seal_rule(cidr))
        self.ensure_network(network, cidr)
        state["vpcs"][vpc_id] = {"cidr": cidr, "network": network}
        return {"id": vpc_id}

    def delete_vpc(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        vpc = state["vpcs"].pop(prior["id"], None)
        if vpc:
            self.podman.run("network", "rm", "--force", vpc["network"], check=False)
            self.unseal(self.seal_rule(vpc["cidr"]))

    def create_subnet(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        vpc = state["vpcs"].get(planned["vpc_id"])
        if vpc is None:
            raise Refused(f"InvalidVpcID.NotFound: {planned['vpc_id']}")
        cidr = planned["cidr_block"]
        if not ipaddress.ip_network(cidr).subnet_of(ipaddress.ip_network(vpc["cidr"])):  # type: ignore[arg-type]
            raise Refused(f"InvalidSubnet.Range: {cidr} is not within {vpc['cidr']}")
        subnet_id = short_id("subnet", self.label, cidr)
        state["subnets"][subnet_id] = {"cidr": cidr, "vpc": planned["vpc_id"]}
        return {"id": subnet_id}

    def delete_subnet(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        state["subnets"].pop(prior["id"], None)

    def create_instance(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        subnet = state["subnets"].get(planned["subnet_id"])
        if subnet is None:
            raise Refused(f"InvalidSubnetID.NotFound: {planned['subnet_id']}")
        vpc = state["vpcs"][subnet["vpc"]]
        tags = planned.get("tags") or {}
        name = tags.get("Name") or short_id("i", self.label, json.dumps(planned, sort_keys=True))
        private_ip = self.free_address(subnet["cidr"], state)
        tier = tags.get("openedx-deploy:tier", "")
        host = LocalHost(name, (tier,), tier in TIERS_RUNNING_CONTAINERS, private_ip)
        self.hosts.subnet_of = vpc["cidr"]
        self.hosts.ensure_hosts([host], vpc["network"])
        answer: dict[str, Any] = {"private_ip": private_ip, "id": short_id("i", self.label, name)}
        if planned.get("associate_public_ip_address"):
            public_ip = self.free_address(self.internet, state, reserved_low=2)  # .1: the gateway, this machine
            self.podman.run("network", "connect", "--ip", public_ip, self.internet_network(), name)
            answer["public_ip"] = public_ip
        apply_cloud_config(self.podman, name, planned.get("user_data") or "")
        state["instances"][answer["id"]] = {
            "name": name,
            "private_ip": private_ip,
            "public_ip": answer.get("public_ip", ""),
        }
        return answer

    def delete_instance(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        instance = state["instances"].pop(prior["id"], None)
        if instance:
            self.podman.run("rm", "--force", "--volumes", "--time", "10", instance["name"], check=False, timeout=180)

    @staticmethod
    def free_address(cidr: str, state: dict[str, Any], reserved_low: int = 4) -> str:
        """The next address of `cidr` no instance holds. AWS reserves a subnet's first four and its last."""
        taken = {i[key] for i in state["instances"].values() for key in ("private_ip", "public_ip")}
        network = ipaddress.ip_network(cidr)
        for offset in range(reserved_low, network.num_addresses - 1):
            address = str(network.network_address + offset)
            if address not in taken:
                return address
        raise Refused(f"InsufficientFreeAddressesInSubnet: {cidr}")


class SimHosts(LocalHosts):
    """The local target's hosts, on the VPC's network instead of the local environment's own subnet."""

    subnet_of = ""

    @property
    def subnet(self) -> str:
        return self.subnet_of


def apply_cloud_config(podman: Any, name: str, user_data: str) -> None:
    """What cloud-init does with the stacks' cloud-config (terraform/modules/*/app_hosts): the first user (sudo,
    authorized key) and the ed25519 host key. A document the stacks would not write is refused, as a host that never
    lets its operator in would be."""
    if not user_data.startswith("#cloud-config\n"):
        raise Refused(f"{name}: user data is not a cloud-config document")
    config = yaml.safe_load(user_data)
    (user,) = config["users"]
    host_key = (config.get("ssh_keys") or {}).get("ed25519_private")
    if not host_key:
        raise Refused(f"{name}: the cloud-config gives no ed25519 host key, so its host key could not be pinned")
    (authorized,) = user["ssh_authorized_keys"]
    podman.run("exec", "-i", name, "sh", "-c", GRANT_SSH_SCRIPT, "grant-ssh", user["name"], authorized, stdin=host_key)


HANDLERS = {
    ("aws_vpc", "create"): "create_vpc",
    ("aws_vpc", "delete"): "delete_vpc",
    ("aws_subnet", "create"): "create_subnet",
    ("aws_subnet", "delete"): "delete_subnet",
    ("aws_instance", "create"): "create_instance",
    ("aws_instance", "delete"): "delete_instance",
}


def handle(request: dict[str, Any], simulation: Simulation) -> dict[str, Any]:
    method = HANDLERS.get((request["type"], request["op"]))
    if method is None:
        return {}
    with locked_state(simulation.state_dir) as state:
        values = request["prior"] if request["op"] == "delete" else request["planned"]
        return getattr(simulation, method)(values, state) or {}


def cleanup(label: str, podman: Any = None) -> None:
    """Everything a simulation labelled `label` left: its hosts, its networks, and the machine's rules."""
    hosts = SimHosts(label, podman)
    for name in hosts.containers():
        hosts.podman.run("rm", "--force", "--volumes", "--time", "5", name, check=False, timeout=180)
    listed = hosts.podman.run("network", "ls", "--filter", f"label={LABEL}={label}", "--format", "{{.Name}}")
    for network in listed.stdout.split():
        hosts.podman.run("network", "rm", "--force", network, check=False)
    rules = subprocess.run(["iptables", "-S", "OUTPUT"], capture_output=True, text=True, check=False).stdout
    for line in rules.splitlines():
        if line.startswith("-A OUTPUT ") and f'"{IPTABLES_COMMENT} {label}"' in line:
            subprocess.run(["iptables", "-D", *shlex.split(line)[1:]], capture_output=True, check=False)


def main() -> int:
    request = json.load(sys.stdin)
    state_dir = os.environ.get("SIM_CLOUD_STATE")
    if not state_dir:
        print("SIM_CLOUD_STATE is not set: the simulated cloud needs a state directory", file=sys.stderr)
        return 2
    simulation = Simulation(
        Path(state_dir),
        os.environ.get("SIM_CLOUD_LABEL", "simcloud"),
        os.environ.get("SIM_INTERNET_CIDR", DEFAULT_INTERNET),
    )
    try:
        print(json.dumps(handle(request, simulation)))
    except Refused as refused:
        print(f"simulated {request['type']} {request['op']}: {refused}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
