"""TEST DOUBLE: the simulated cloud behind the provider double (../shared/tools/terraform-schema-provider).

The provider double answers `terraform plan` and `apply` from the real provider schemas and invents every computed
value; it calls this hook (SIM_PROVIDER_HOOK) on every create, update, delete and data read, with a JSON document on
stdin ({"op", "type", "provider", "provider_config", "planned", "prior"}), and merges the top-level attributes the
hook prints into the values still unknown. The hook makes the resources the tool's hosts depend on real on this
machine (tests/simcloud/README.md says which real behaviour each piece copies, and from where):

* a cloud network (aws_vpc, azurerm_virtual_network): a podman network with its CIDR, NAT to the outside (the NAT
  gateway's outbound path, which apt on the hosts needs), and a rule on this machine that rejects every new
  connection from it into that CIDR: as on a cloud, nothing outside the network reaches a private address. This
  machine plays the operator's network.
* a subnet (aws_subnet, azurerm_subnet): its id and range, inside its network's.
* a VM (aws_instance; azurerm_linux_virtual_machine with its azurerm_network_interface and azurerm_public_ip): a
  podman systemd host from the local target's base image, started as the local target starts its hosts, at the
  next free address of its subnet (both clouds keep a subnet's first four addresses and its last), and with a
  public address also on the simulated internet (SIM_INTERNET_CIDR, a network this machine reaches). Its first
  boot gives it what the stack asks for: the login user with passwordless sudo and the authorized key (AWS:
  cloud-init `users`; Azure: the agent's admin_username and admin_ssh_key), and cloud-init's `ssh_keys` host key
  as the only one sshd presents. Deleting it removes the host.

Anything else is left to the provider double's generic answer. Environment:
  SIM_CLOUD_STATE     directory the simulation keeps its state in (required; one per simulated account)
  SIM_CLOUD_LABEL     label value of every podman object it makes (default "simcloud"), for cleanup()
  SIM_INTERNET_CIDR   the simulated internet's subnet (default 198.18.0.0/24, RFC 2544's benchmarking range)
"""

from __future__ import annotations

import base64
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
        for kind in STATE_KINDS:
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

    # --- what every cloud's resources become ---

    def create_network(self, key: str, cidr: str, state: dict[str, Any]) -> None:
        """The cloud network `key` (a VPC, a VNet) with `cidr`: sealed before anything is attached, since a connection
        tried before its bridge is up would leave the machine by the default route."""
        self.seal(self.seal_rule(cidr))
        network = f"{self.label}-{short_id('net', key)}"
        self.ensure_network(network, cidr)
        state["networks"][key] = {"cidr": cidr, "network": network}

    def delete_network(self, key: str, state: dict[str, Any]) -> None:
        found = state["networks"].pop(key, None)
        if found:
            self.podman.run("network", "rm", "--force", found["network"], check=False)
            self.unseal(self.seal_rule(found["cidr"]))

    def create_subnet(self, subnet_id: str, network_key: str, cidr: str, state: dict[str, Any]) -> None:
        network = state["networks"].get(network_key)
        if network is None:
            raise Refused(f"network {network_key} not found")
        if not ipaddress.ip_network(cidr).subnet_of(ipaddress.ip_network(network["cidr"])):  # type: ignore[arg-type]
            raise Refused(f"subnet range {cidr} is not within its network's {network['cidr']}")
        state["subnets"][subnet_id] = {"cidr": cidr, "network": network_key}

    def subnet(self, subnet_id: str, state: dict[str, Any]) -> dict[str, Any]:
        found = state["subnets"].get(subnet_id)
        if found is None:
            raise Refused(f"subnet {subnet_id} not found")
        return dict(found)

    def reserve(self, owner: str, cidr: str, state: dict[str, Any], reserved_low: int = 4) -> str:
        """The next address of `cidr` nobody holds, now held by `owner`. AWS and Azure both keep a subnet's first
        four addresses and its last; on the simulated internet only the gateway (.1, this machine) is kept."""
        taken = state["addresses"]
        network = ipaddress.ip_network(cidr)
        for offset in range(reserved_low, network.num_addresses - 1):
            address = str(network.network_address + offset)
            if address not in taken:
                taken[address] = owner
                return address
        raise Refused(f"no free address left in {cidr}")

    def release(self, owner: str, state: dict[str, Any]) -> None:
        state["addresses"] = {a: o for a, o in state["addresses"].items() if o != owner}

    def reserve_public(self, owner: str, state: dict[str, Any]) -> str:
        return self.reserve(owner, self.internet, state, reserved_low=2)

    def start_host(self, host: dict[str, Any], state: dict[str, Any]) -> None:
        """A VM: a systemd host at `address` on its subnet's network, on the simulated internet at `public_address`
        too when it has one, then what the VM's first boot gives it (`login`)."""
        subnet = self.subnet(host["subnet"], state)
        network = state["networks"][subnet["network"]]
        self.hosts.subnet_of = network["cidr"]
        tier = host["tier"]
        self.hosts.ensure_hosts(
            [LocalHost(host["name"], (tier,), tier in TIERS_RUNNING_CONTAINERS, host["address"])], network["network"]
        )
        if host.get("public_address"):
            self.podman.run("network", "connect", "--ip", host["public_address"], self.internet_network(), host["name"])
        login = host["login"]
        grant_login(self.podman, host["name"], login["user"], login["authorized_key"], login["host_key"])
        state["hosts"][host["id"]] = {k: v for k, v in host.items() if k != "login"}

    def stop_host(self, host_id: str, state: dict[str, Any]) -> None:
        host = state["hosts"].pop(host_id, None)
        if host:
            self.podman.run("rm", "--force", "--volumes", "--time", "10", host["name"], check=False, timeout=180)
            self.release(host_id, state)

    # --- AWS ---

    def aws_vpc_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        vpc_id = short_id("vpc", self.label, planned["cidr_block"])
        self.create_network(vpc_id, planned["cidr_block"], state)
        return {"id": vpc_id}

    def aws_vpc_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        self.delete_network(prior["id"], state)

    def aws_subnet_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        subnet_id = short_id("subnet", self.label, planned["cidr_block"])
        try:
            self.create_subnet(subnet_id, planned["vpc_id"], planned["cidr_block"], state)
        except Refused as refused:
            code = "InvalidVpcID.NotFound" if planned["vpc_id"] not in state["networks"] else "InvalidSubnet.Range"
            raise Refused(f"{code}: {refused}") from None
        return {"id": subnet_id}

    def aws_subnet_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        state["subnets"].pop(prior["id"], None)

    def aws_instance_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        if planned["subnet_id"] not in state["subnets"]:
            raise Refused(f"InvalidSubnetID.NotFound: {planned['subnet_id']}")
        tags = planned.get("tags") or {}
        name = tags.get("Name") or short_id("i", self.label, json.dumps(planned, sort_keys=True))
        instance_id = short_id("i", self.label, name)
        subnet = self.subnet(planned["subnet_id"], state)
        config = cloud_config(name, planned.get("user_data") or "")
        (user,) = config["users"]
        host = {
            "id": instance_id,
            "name": name,
            "tier": tags.get("openedx-deploy:tier", ""),
            "subnet": planned["subnet_id"],
            "address": self.reserve(instance_id, subnet["cidr"], state),
            "public_address": self.reserve_public(instance_id, state)
            if planned.get("associate_public_ip_address")
            else "",
            "login": {
                "user": user["name"],
                "authorized_key": single(user.get("ssh_authorized_keys"), f"{name}: ssh_authorized_keys"),
                "host_key": host_key_of(name, config),
            },
        }
        self.start_host(host, state)
        answer = {"id": instance_id, "private_ip": host["address"]}
        return answer | ({"public_ip": host["public_address"]} if host["public_address"] else {})

    def aws_instance_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        self.stop_host(prior["id"], state)

    # --- Azure ---

    def azurerm_virtual_network_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        self.create_network(f"{planned['resource_group_name']}/{planned['name']}", planned["address_space"][0], state)
        return {}

    def azurerm_virtual_network_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        self.delete_network(f"{prior['resource_group_name']}/{prior['name']}", state)

    def azurerm_subnet_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        group, vnet, name = planned["resource_group_name"], planned["virtual_network_name"], planned["name"]
        subnet_id = arm_id(group, f"Microsoft.Network/virtualNetworks/{vnet}/subnets/{name}")
        (prefix,) = planned["address_prefixes"]
        self.create_subnet(subnet_id, f"{group}/{vnet}", prefix, state)
        return {"id": subnet_id}

    def azurerm_subnet_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        state["subnets"].pop(prior["id"], None)

    def azurerm_public_ip_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        ip_id = arm_id(planned["resource_group_name"], f"Microsoft.Network/publicIPAddresses/{planned['name']}")
        return {"id": ip_id, "ip_address": self.reserve_public(ip_id, state)}

    def azurerm_public_ip_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        self.release(prior["id"], state)

    def azurerm_network_interface_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        nic_id = arm_id(planned["resource_group_name"], f"Microsoft.Network/networkInterfaces/{planned['name']}")
        (configuration,) = planned["ip_configuration"]
        subnet = self.subnet(configuration["subnet_id"], state)
        address = self.reserve(nic_id, subnet["cidr"], state)
        public_id = configuration.get("public_ip_address_id") or ""
        public = next((a for a, owner in state["addresses"].items() if public_id and owner == public_id), "")
        if public_id and not public:
            raise Refused(f"public IP {public_id} not found")
        state["nics"][nic_id] = {"subnet": configuration["subnet_id"], "address": address, "public_address": public}
        return {"id": nic_id, "private_ip_address": address, "private_ip_addresses": [address]}

    def azurerm_network_interface_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        state["nics"].pop(prior["id"], None)
        self.release(prior["id"], state)

    def azurerm_linux_virtual_machine_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        name = planned["name"]
        vm_id = arm_id(planned["resource_group_name"], f"Microsoft.Compute/virtualMachines/{name}")
        nic_id = single(planned.get("network_interface_ids"), f"{name}: network_interface_ids")
        nic = state["nics"].get(nic_id)
        if nic is None:
            raise Refused(f"network interface {nic_id} not found")
        # The Azure Linux agent makes admin_username with admin_ssh_key; cloud-init reads custom_data (base64).
        key = single(planned.get("admin_ssh_key"), f"{name}: admin_ssh_key")
        if key["username"] != planned["admin_username"]:
            raise Refused(f"{name}: admin_ssh_key must be for admin_username {planned['admin_username']}")
        config = cloud_config(name, base64.b64decode(planned.get("custom_data") or "").decode())
        host = {
            "id": vm_id,
            "name": name,
            "tier": (planned.get("tags") or {}).get("role", ""),
            "subnet": nic["subnet"],
            "address": nic["address"],
            "public_address": nic["public_address"],
            "login": {
                "user": planned["admin_username"],
                "authorized_key": key["public_key"],
                "host_key": host_key_of(name, config),
            },
        }
        self.start_host(host, state)
        return {"id": vm_id, "private_ip_address": nic["address"], "public_ip_address": nic["public_address"]}

    def azurerm_linux_virtual_machine_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        self.stop_host(prior["id"], state)


def arm_id(group: str, path: str) -> str:
    return f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/{group}/providers/{path}"


def single(values: Any, what: str) -> Any:
    if not isinstance(values, list) or len(values) != 1:
        raise Refused(f"{what}: exactly one expected, got {values!r}")
    return values[0]


class SimHosts(LocalHosts):
    """The local target's hosts, on the VPC's network instead of the local environment's own subnet."""

    subnet_of = ""

    @property
    def subnet(self) -> str:
        return self.subnet_of


def cloud_config(name: str, user_data: str) -> dict[str, Any]:
    """The stacks' cloud-config (terraform/modules/*/app_hosts). A document the stacks would not write is refused,
    as a host that never lets its operator in would be."""
    if not user_data.startswith("#cloud-config\n"):
        raise Refused(f"{name}: user data is not a cloud-config document")
    config = yaml.safe_load(user_data)
    if not isinstance(config, dict):
        raise Refused(f"{name}: the cloud-config is not a mapping")
    return config


def host_key_of(name: str, config: dict[str, Any]) -> str:
    """cloud-init's `ssh_keys.ed25519_private`, the only host key sshd presents (ssh_deletekeys, no generated
    types): without one the host's key could not be pinned."""
    key = (config.get("ssh_keys") or {}).get("ed25519_private")
    if not key or config.get("ssh_deletekeys") is not True or config.get("ssh_genkeytypes") != []:
        raise Refused(f"{name}: the cloud-config does not make the ed25519 host key the only one (no pinnable key)")
    return str(key)


def grant_login(podman: Any, name: str, user: str, authorized_key: str, host_key: str) -> None:
    """The login user (passwordless sudo, the authorized key) and the host key, as the local target's SSH hosts get
    them: the host key on stdin, never on a command line."""
    podman.run("exec", "-i", name, "sh", "-c", GRANT_SSH_SCRIPT, "grant-ssh", user, authorized_key, stdin=host_key)


STATE_KINDS = ("networks", "subnets", "addresses", "nics", "hosts")


def handle(request: dict[str, Any], simulation: Simulation) -> dict[str, Any]:
    method = getattr(simulation, f"{request['type']}_{request['op']}", None)
    if method is None:
        return {}
    with locked_state(simulation.state_dir) as state:
        values = request["prior"] if request["op"] == "delete" else request["planned"]
        return method(values, state) or {}


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
