"""TEST DOUBLE: the simulated cloud behind the provider double (../shared/tools/terraform-schema-provider).

The provider double answers `terraform plan` and `apply` from the real provider schemas and invents every computed
value; it calls this hook (SIM_PROVIDER_HOOK) on every create, update, delete and data read, with a JSON document on
stdin ({"op", "type", "provider", "provider_config", "planned", "prior"}), and merges what the hook prints into the
values still unknown: top-level attributes, and through tests/simcloud/provider_shim.py values nested in blocks too
(a GCP instance's network_interface). The hook makes the resources the tool's hosts depend on real on this machine
(tests/simcloud/README.md says which real behaviour each piece copies, and from where):

* a cloud network (aws_vpc, azurerm_virtual_network; on GCP, which gives a VPC no range of its own, each
  google_compute_subnetwork): a podman network with its CIDR, NAT to the outside (the NAT gateway's outbound path,
  which apt on the hosts needs), and a rule on this machine that rejects every new connection from it into that
  CIDR: as on a cloud, nothing outside the network reaches a private address. This machine plays the operator's
  network. A GCP VPC's subnets reach each other unmasqueraded, through this machine.
* a subnet (aws_subnet, azurerm_subnet, google_compute_subnetwork): its id and range, inside its network's (GCP: not
  overlapping another of its VPC, not in a range GCP prohibits).
* a VM (aws_instance; azurerm_linux_virtual_machine with its azurerm_network_interface and azurerm_public_ip;
  google_compute_instance): a podman systemd host from the local target's base image, started as the local target
  starts its hosts, at the next free address of its subnet (AWS and Azure keep a subnet's first four addresses and
  its last, GCP its first two and last two), and with a public address also on the simulated internet
  (SIM_INTERNET_CIDR, a network this machine reaches). Its first boot gives it what the stack asks for: the login
  user with passwordless sudo and the authorized key (AWS: cloud-init `users`; Azure: the agent's admin_username
  and admin_ssh_key; GCP: the guest agent's account from the `ssh-keys` metadata), and the environment's host key as
  the only one sshd presents (AWS, Azure: cloud-init's `ssh_keys`; GCP: the guest agent's fresh keys, then the
  instance's own `startup-script`, run as root as the metadata script runner runs it). Deleting it removes the host.

* a managed MySQL or Redis (RDS, ElastiCache; Cloud SQL, Memorystore in the VPC's range peered by the service
  networking connection; Azure's flexible server, Azure Cache at its private endpoint): a real server (stores.py)
  at the address the outputs give, TLS as the service requires it, with its admin account or AUTH token; Azure's
  are named in private DNS zones, whose records the VMs of the linked VNets get in /etc/hosts.

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
import re
import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

# Run as a program by the provider double, from the rendered root module: the tool's code is this checkout's, and
# the simulation's CA is this directory's.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import ca
import stores
from ca import simulated_ca

from openedx_deploy.localhosts import GRANT_SSH_SCRIPT, LABEL, LocalHost, LocalHosts
from openedx_deploy.secrets import generate_ssh_host_key

DEFAULT_INTERNET = "198.18.0.0/24"
TIERS_RUNNING_CONTAINERS = ("app", "worker")
IPTABLES_COMMENT = "openedx-deploy simcloud"
# An Azure private DNS record in a VM's /etc/hosts (hook.py publish_private_dns), and the script that replaces them
# all with the lines on stdin, writing the file in place (podman bind-mounts it: a rename would fail).
PRIVATE_DNS_MARK = "# simulated Azure private DNS"
PUBLISH_HOSTS_SCRIPT = (
    "set -e\nkept=$(grep -v '" + PRIVATE_DNS_MARK + "$' /etc/hosts || true)\nrecords=$(cat)\n"
    '{ printf \'%s\\n\' "$kept"; [ -z "$records" ] || printf \'%s\\n\' "$records"; } > /etc/hosts\n'
)
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy")


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
        self.provider_config: dict[str, Any] = {}

    @property
    def region(self) -> str:
        return str(self.provider_config.get("region") or "us-east-1")

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

    def seal(self, rule: list[str], table: str = "filter") -> None:
        if self.iptables("-t", table, "-C", *rule, check=False).returncode != 0:
            self.iptables("-t", table, "-I", *rule)

    def unseal(self, rule: list[str], table: str = "filter") -> None:
        while self.iptables("-t", table, "-D", *rule, check=False).returncode == 0:
            pass

    def route_rules(self, cidr: str, others: list[str]) -> list[list[str]]:
        """Between `cidr` and each of `others` (subnets of one VPC, each its own podman network) packets pass through
        this machine unmasqueraded, both ways: as on GCP, a VM sees the other subnet's VM's own address (the podman
        bridge would otherwise masquerade them to its gateway's, and a firewall admitting the bastion's address
        would lock the bastion out of another subnet's hosts)."""
        comment = ["-m", "comment", "--comment", f"{IPTABLES_COMMENT} {self.label}"]
        pairs = [(cidr, other) for other in others] + [(other, cidr) for other in others]
        return [["POSTROUTING", "-s", source, "-d", dest, *comment, "-j", "ACCEPT"] for source, dest in pairs]

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

    def reserve(
        self,
        owner: str,
        cidr: str,
        state: dict[str, Any],
        reserved_low: int = 4,
        reserved_high: int = 1,
        wanted: str | None = None,
    ) -> str:
        """The next address of `cidr` nobody holds, now held by `owner`; or the one `wanted` (a fixed private
        address), refused as the clouds refuse it when it is outside the range, one the cloud keeps, or held. AWS and
        Azure both keep a subnet's first four addresses and its last, GCP its first two and last two; on the simulated
        internet only the gateway (.1, this machine) and the broadcast address are kept."""
        taken = state["addresses"]
        network = ipaddress.ip_network(cidr)
        if wanted:
            offset = int(ipaddress.ip_address(wanted)) - int(network.network_address)
            if not reserved_low <= offset < network.num_addresses - reserved_high:
                raise Refused(f"address {wanted} is not an available address of subnet range {cidr}")
            if taken.get(wanted, owner) != owner:
                raise Refused(f"address {wanted} of {cidr} is already in use")
            taken[wanted] = owner
            return wanted
        for offset in range(reserved_low, network.num_addresses - reserved_high):
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
        # The app and worker hosts share a podman volume at /var/lib/openedx where the stack's NFS file system (EFS,
        # Filestore, Azure Files) would be mounted: this machine's kernel has no NFS, and the tool, running its
        # substitutes, mounts none (README: "Shared files").
        containers = tier in TIERS_RUNNING_CONTAINERS
        self.hosts.ensure_hosts(
            [LocalHost(host["name"], (tier,), containers, host["address"], shares_files=containers)], network["network"]
        )
        if host.get("public_address"):
            self.podman.run("network", "connect", "--ip", host["public_address"], self.internet_network(), host["name"])
            self.route_through_subnet(host["name"], network["cidr"])
        login = host["login"]
        grant_login(self.podman, host["name"], login["user"], login["authorized_key"], login["host_key"])
        if tier in TIERS_RUNNING_CONTAINERS:
            self.trust_simulated_ca(host["name"])
        if host.get("startup_script"):
            self.run_startup_script(host["name"], host["startup_script"])
        state["hosts"][host["id"]] = {k: v for k, v in host.items() if k not in ("login", "startup_script")}
        if state["dns_zones"]:  # Azure: the records of the private DNS zones linked to its VNet
            self.publish_private_dns(state, only=host["name"])

    def trust_simulated_ca(self, name: str) -> None:
        """What the real images bring: trust in the CAs of the managed services' certificates (ElastiCache's chains
        to Amazon's public roots, which every system bundle holds, the Open edX image's too). Here the simulated CA,
        which issues the managed stores' certificates (stores.py), joins the host's bundle, and the host's podman
        mounts that bundle into every container it runs (a containers.conf drop-in's `volumes`), where the image's
        own bundle is."""
        ran = self.podman.run(
            "exec", "-i", name, "sh", "-c", TRUST_CA_SCRIPT, check=False,
            stdin=simulated_ca(self.state_dir).certificate_file.read_text(),
        )  # fmt: skip
        if ran.returncode != 0:
            raise Refused(f"{name}: trusting the simulated CA failed: {ran.stderr.strip()}")

    def route_through_subnet(self, name: str, cidr: str) -> None:
        """A VM's default route is its subnet's gateway, and its public address is mapped to its private one by NAT
        outside the VM (EC2 User Guide, "Instance IP addressing": a public IPv4 address is mapped to the primary
        private address through network address translation; Compute Engine docs, "IP addresses": instances of one
        VPC network communicate by their internal addresses). Here the public address is a second interface, on the
        simulated internet, and the default route is put back on the subnet: otherwise a connection the VM opens to
        another subnet of its VPC leaves through the internet's bridge from its public address and is masqueraded
        to the other bridge's gateway, so the host there sees neither the VM's address nor the one its firewall
        admits (found by the GCP `standard` test: the bastion's connections reached the data subnet's hosts from
        that subnet's gateway). The podman bridge's gateway is the network's first address, as the clouds' is."""
        gateway = str(ipaddress.ip_network(cidr).network_address + 1)
        pid = self.podman.run("inspect", "--format", "{{.State.Pid}}", name).stdout.strip()
        for argv in (["ip", "route", "flush", "exact", "0.0.0.0/0"], ["ip", "route", "add", "default", "via", gateway]):
            routed = subprocess.run(["nsenter", "-t", pid, "-n", *argv], capture_output=True, text=True, check=False)
            if routed.returncode != 0:
                raise Refused(f"{name}: {' '.join(argv)}: {routed.stderr.strip()}")

    def run_startup_script(self, name: str, script: str) -> None:
        """What GCP's metadata script runner does after the guest agent: the instance's `startup-script`, as root. A
        script that fails does not fail the instance (it is logged, as the runner logs it, here in the state dir)."""
        ran = self.podman.run("exec", "-i", name, "sh", "-c", RUN_SCRIPT, check=False, stdin=script)
        log = self.state_dir / f"startup-script-{name}.log"
        log.write_text(f"exit {ran.returncode}\n--- stdout\n{ran.stdout}--- stderr\n{ran.stderr}")

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
        subnet = self.subnet(planned["subnet_id"], state)
        config = cloud_config(name, planned.get("user_data") or "")
        (user,) = config["users"]
        instance_id = self.aws_register_instance(planned, tags) or short_id("i", self.label, name)
        host = {
            "id": instance_id,
            "name": name,
            "tier": tags.get("openedx-deploy:tier", ""),
            "subnet": planned["subnet_id"],
            "address": self.reserve(instance_id, subnet["cidr"], state, wanted=planned.get("private_ip")),
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
        if prior.get("disable_api_termination"):  # EC2's answer to TerminateInstances on a protected instance
            raise Refused(
                f"OperationNotPermitted: The instance '{prior['id']}' may not be terminated. Modify its "
                "'disableApiTermination' instance attribute and try again."
            )
        self.stop_host(prior["id"], state)
        ec2 = aws_api("ec2", self.region)
        if ec2 is not None:  # with an API, every instance's id is the one the API gave it
            ec2.terminate_instances(InstanceIds=[prior["id"]])

    def aws_arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT}:{resource}"

    # --- managed MySQL and Redis as real servers (stores.py), AWS's and GCP's ---

    def store_network(self, group_key: str, missing: str, state: dict[str, Any]) -> tuple[str, str]:
        """The range of the first subnet of a DB or cache subnet group, and its network's podman name: where the
        server runs."""
        subnet_ids = state["store_subnets"].get(group_key)
        if not subnet_ids:
            raise Refused(f"{missing}: {group_key.partition(':')[2]}")
        return self.subnet_placement(subnet_ids[0], state)

    def subnet_placement(self, subnet_id: str, state: dict[str, Any]) -> tuple[str, str]:
        """A subnet's range and its network's podman name: where a managed server in it runs (start_store)."""
        subnet = self.subnet(subnet_id, state)
        return subnet["cidr"], state["networks"][subnet["network"]]["network"]

    def start_store(
        self,
        owner: str,
        name: str,
        placement: tuple[str, str],
        start: Callable[[str], None],
        state: dict[str, Any],
        **recorded: Any,
    ) -> str:
        """A managed server (stores.py) of `owner` at the next free address of the range on the podman network
        `placement` names, started by `start(address)`; one that does not start leaves nothing behind, and the
        create fails as the service's would. `recorded` (engine, port, TLS, token) is kept with it, for the checks."""
        cidr, network = placement
        address = self.reserve(owner, cidr, state)
        stores.ensure_image(self.podman, BALANCER_IMAGE, self.state_dir / "store-image")
        try:
            start(address)
        except stores.StoreFailed as failed:
            stores.stop(self.podman, name)
            self.release(owner, state)
            raise Refused(str(failed)) from None
        state["stores"][owner] = {"name": name, "address": address, "network": network, **recorded}
        return address

    def stop_store(self, owner: str, state: dict[str, Any]) -> bool:
        found = state["stores"].pop(owner, None)
        if found:
            stores.stop(self.podman, found["name"])
            self.release(owner, state)
        return found is not None

    def store_tls(
        self, name: str, address: str, own_ca: ca.SimulatedCA | None = None, names: list[str] | None = None
    ) -> Path:
        """The server's certificate: from the simulated public CA, which the hosts trust as they trust a cloud's
        public roots, for `names` (the name clients connect by: Azure's) or else its address; or, from a service's
        own CA (`own_ca`), for a name nobody connects by, so that only a client that verifies the chain against that
        CA, and not the name, gets through."""
        public = simulated_ca(self.state_dir)
        issued = own_ca.issue([f"{name}.simulated.invalid"]) if own_ca else public.issue(names or [address])
        return stores.write_tls(self.state_dir / "stores" / name, *issued)

    def aws_db_subnet_group_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        state["store_subnets"][f"rds:{planned['name']}"] = sorted(planned.get("subnet_ids") or [])
        return {"id": planned["name"], "arn": self.aws_arn("rds", f"subgrp:{planned['name']}")}

    def aws_db_subnet_group_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        state["store_subnets"].pop(f"rds:{prior['name']}", None)

    def aws_db_parameter_group_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        parameters = {str(p["name"]): str(p["value"]) for p in planned.get("parameter") or []}
        state["db_parameters"][planned["name"]] = parameters
        return {"id": planned["name"], "arn": self.aws_arn("rds", f"pg:{planned['name']}")}

    aws_db_parameter_group_update = aws_db_parameter_group_create

    def aws_db_parameter_group_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        state["db_parameters"].pop(prior["name"], None)

    def aws_db_instance_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        """RDS for MySQL: a MySQL server (stores.py) at the next address of the subnet group's first subnet, its
        master user the instance's, TLS required as its parameter group says; known to the RDS API (moto), where the
        tool's snapshots find it. A read replica is not simulated (the provider double's values stand)."""
        identifier = planned["identifier"]
        if planned.get("replicate_source_db"):
            return {}
        placement = self.store_network(
            f"rds:{planned.get('db_subnet_group_name')}", "DBSubnetGroupNotFoundFault", state
        )
        parameters = state["db_parameters"].get(planned.get("parameter_group_name") or "")
        if parameters is None:
            raise Refused(f"DBParameterGroupNotFound: {planned.get('parameter_group_name')}")
        port = int(planned.get("port") or 3306)
        name = f"{self.label}-rds-{identifier}"
        address = self.start_store(
            f"rds:{identifier}", name, placement,
            lambda address: stores.start_mysql(
                self.podman, name=name, label=self.label, network=placement[1], address=address, port=port,
                tls=self.store_tls(name, address), admin_user=planned["username"],
                admin_password=planned.get("password") or "", parameters=parameters,
            ),
            state, engine="mysql", port=port,
        )  # fmt: skip
        rds = aws_api("rds", self.region)
        if rds is not None:
            rds.create_db_instance(
                DBInstanceIdentifier=identifier,
                Engine="mysql",
                EngineVersion=str(planned.get("engine_version") or "8.0"),
                DBInstanceClass=planned["instance_class"],
                AllocatedStorage=int(planned.get("allocated_storage") or 20),
                MasterUsername=planned["username"],
                MasterUserPassword=planned.get("password") or "simulated-password",
                DeletionProtection=bool(planned.get("deletion_protection")),
                Tags=aws_tags(planned.get("tags") or {}),
            )
        return {"address": address, "endpoint": f"{address}:{port}", "port": port}

    def aws_db_instance_update(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        rds = aws_api("rds", self.region)
        if rds is not None and f"rds:{planned['identifier']}" in state["stores"]:
            rds.modify_db_instance(
                DBInstanceIdentifier=planned["identifier"],
                DeletionProtection=bool(planned.get("deletion_protection")),
                ApplyImmediately=True,
            )
        return {}

    def aws_db_instance_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        if prior.get("deletion_protection"):  # RDS's answer to DeleteDBInstance on a protected instance
            raise Refused(
                "InvalidParameterCombination: Cannot delete protected DB Instance, please disable deletion "
                "protection and try again."
            )
        if not self.stop_store(f"rds:{prior['identifier']}", state):
            return
        rds = aws_api("rds", self.region)
        if rds is not None:
            final = (
                {}
                if prior.get("skip_final_snapshot")
                else {"FinalDBSnapshotIdentifier": prior["final_snapshot_identifier"]}
            )
            rds.delete_db_instance(DBInstanceIdentifier=prior["identifier"], SkipFinalSnapshot=not final, **final)

    def aws_elasticache_subnet_group_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        state["store_subnets"][f"elasticache:{planned['name']}"] = sorted(planned.get("subnet_ids") or [])
        return {"id": planned["name"]}

    def aws_elasticache_subnet_group_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        state["store_subnets"].pop(f"elasticache:{prior['name']}", None)

    def aws_elasticache_replication_group_create(
        self, planned: dict[str, Any], state: dict[str, Any]
    ) -> dict[str, Any]:
        """ElastiCache for Redis: a Redis server (stores.py) at the next address of the subnet group's first subnet,
        TLS only with transit encryption, the AUTH token as its password; both endpoints are that server."""
        group_id = planned["replication_group_id"]
        placement = self.store_network(
            f"elasticache:{planned.get('subnet_group_name')}", "CacheSubnetGroupNotFoundFault", state
        )
        port = int(planned.get("port") or 6379)
        name = f"{self.label}-cache-{group_id}"
        encrypted, token = bool(planned.get("transit_encryption_enabled")), planned.get("auth_token") or ""
        address = self.start_store(
            f"elasticache:{group_id}", name, placement,
            lambda address: stores.start_redis(
                self.podman, name=name, label=self.label, network=placement[1], address=address, port=port,
                tls=self.store_tls(name, address) if encrypted else None, auth_token=token,
            ),
            state, engine="redis", port=port, tls=encrypted, token=token,
        )  # fmt: skip
        return {"id": group_id, "primary_endpoint_address": address, "reader_endpoint_address": address}

    def aws_elasticache_replication_group_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        self.stop_store(f"elasticache:{prior['replication_group_id']}", state)

    # --- AWS: what the tool's SDK calls (preflight, snapshots, backups) find in the simulated AWS API ---

    def aws_register_instance(self, planned: dict[str, Any], tags: dict[str, str]) -> str:
        """The instance as the EC2 API knows it (its tags: snapshots find the data hosts by them; its volumes), its
        id the instance's; "" when no API is simulated."""
        ec2 = aws_api("ec2", self.region)
        if ec2 is None:
            return ""
        made = ec2.run_instances(
            ImageId=planned["ami"],
            InstanceType=planned["instance_type"],
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance", "Tags": aws_tags(tags)}],
        )
        return str(made["Instances"][0]["InstanceId"])

    def aws_ami_read(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        """`data "aws_ami"` answered by the API's DescribeImages, as the provider asks it (owners, filters, the
        newest): the image the instances then run is one the API knows."""
        ec2 = aws_api("ec2", self.region)
        if ec2 is None:
            return {}
        filters = [{"Name": f["name"], "Values": sorted(f["values"])} for f in planned.get("filter") or []]
        images = ec2.describe_images(Owners=sorted(planned.get("owners") or []), Filters=filters)["Images"]
        if not images:  # the provider's own message
            raise Refused("Your query returned no results. Please change your search criteria and try again.")
        newest = max(images, key=lambda image: image.get("CreationDate", ""))
        return {"id": newest["ImageId"], "image_id": newest["ImageId"], "name": newest["Name"]}

    def aws_s3_bucket_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        s3 = aws_api("s3", self.region)
        if s3 is None:
            return {"id": planned["bucket"]}
        where = {} if self.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": self.region}}
        s3.create_bucket(Bucket=planned["bucket"], **where)
        return {"id": planned["bucket"], "arn": f"arn:aws:s3:::{planned['bucket']}"}  # a bucket's id is its name

    def aws_s3_bucket_versioning_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        s3 = aws_api("s3", self.region)
        status = ((planned.get("versioning_configuration") or [{}])[0] or {}).get("status")
        if s3 is not None and status in ("Enabled", "Suspended"):
            s3.put_bucket_versioning(Bucket=planned["bucket"], VersioningConfiguration={"Status": status})
        return {}

    def aws_s3_bucket_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        """S3 refuses to delete a bucket that holds objects (or versions of them) unless the provider empties it
        first, which it does with force_destroy."""
        s3 = aws_api("s3", self.region)
        if s3 is None:
            return
        bucket = prior["bucket"]
        versions = s3.list_object_versions(Bucket=bucket)
        held = [*versions.get("Versions", []), *versions.get("DeleteMarkers", [])]
        if held and not prior.get("force_destroy"):
            raise Refused(
                f"deleting S3 Bucket ({bucket}): operation error S3: DeleteBucket, BucketNotEmpty: The bucket you "
                "tried to delete is not empty. You must delete all versions in the bucket."
            )
        for item in held:
            s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])
        s3.delete_bucket(Bucket=bucket)

    # --- AWS: the load balancer, its certificate, listeners and targets ---

    def aws_acm_certificate_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        """ACM issues the certificate once its DNS validation passes: here the simulated CA issues it at once for
        the certificate's names (no validation is simulated). A provided certificate is imported as it is."""
        names = planned.get("domain_name") or planned.get("certificate_body") or ""
        arn = self.aws_arn("acm", f"certificate/{short_id('cert', self.label, names)[5:]}")
        if planned.get("private_key"):
            chain = planned["certificate_body"] + "\n" + (planned.get("certificate_chain") or "")
            self.store_certificate(arn, chain, planned["private_key"], state)
        else:
            names = [planned["domain_name"], *(planned.get("subject_alternative_names") or [])]
            self.store_certificate(arn, *simulated_ca(self.state_dir).issue(names), state)
        return {"arn": arn, "id": arn, "status": "ISSUED"}

    def store_certificate(self, key: str, chain: str, private_key: str, state: dict[str, Any]) -> None:
        """A certificate and its key where the balancers read them (the state directory, /sim in the container)."""
        files = self.state_dir / "certificates" / hashlib.sha256(key.encode()).hexdigest()[:16]
        files.mkdir(parents=True, exist_ok=True)
        (files / "certificate.pem").write_text(chain)
        (files / "key.pem").write_text(private_key)
        state["certificates"][key] = str(files)

    def aws_acm_certificate_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        state["certificates"].pop(prior["arn"], None)

    def aws_lb_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        """A balancer: a container with an address on the simulated internet (its `dns_name`: the simulation has
        no DNS, so the name is that address) and one in its first subnet, running tests/simcloud/balancer.py."""
        kind = "app" if planned.get("load_balancer_type") == "application" else "net"
        suffix = short_id("lb", self.label, planned["name"])[3:19]
        arn = self.aws_arn("elasticloadbalancing", f"loadbalancer/{kind}/{planned['name']}/{suffix}")
        subnet_id = sorted(planned.get("subnets") or [])[0]
        subnet = self.subnet(subnet_id, state)
        network = state["networks"][subnet["network"]]
        public = self.reserve_public(arn, state)
        private = self.reserve(arn, subnet["cidr"], state)
        state["balancers"][arn] = {"name": f"{self.label}-lb-{planned['name']}", "listeners": {}}
        self.start_balancer(
            arn, [f"{network['network']}:ip={private}", f"{self.internet_network()}:ip={public}"], state
        )
        return {"arn": arn, "id": arn, "dns_name": public}

    def start_balancer(self, key: str, networks: list[str], state: dict[str, Any]) -> None:
        """The balancer container of state["balancers"][key], on `networks` ("network:ip=address")."""
        name = state["balancers"][key]["name"]
        shutil.copy(Path(__file__).with_name("balancer.py"), self.state_dir / "balancer.py")
        self.write_balancer(key, state)
        self.podman.run(
            "run", "--detach", "--name", name, "--label", f"{LABEL}={self.label}",
            *(argument for network in networks for argument in ("--network", network)),
            "--volume", f"{self.state_dir}:/sim:ro,z", BALANCER_IMAGE, "python3", "/sim/balancer.py",
            f"/sim/balancers/{name}.json",
        )  # fmt: skip

    def aws_lb_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        found = state["balancers"].pop(prior["arn"], None)
        if found:
            self.podman.run("rm", "--force", "--time", "2", found["name"], check=False)
        self.release(prior["arn"], state)

    def aws_lb_target_group_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        suffix = short_id("tg", self.label, planned["name"])[3:19]
        arn = self.aws_arn("elasticloadbalancing", f"targetgroup/{planned['name']}/{suffix}")
        state["target_groups"][arn] = {"targets": {}}
        return {"arn": arn, "id": arn}

    def aws_lb_target_group_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        state["target_groups"].pop(prior["arn"], None)

    def aws_lb_target_group_attachment_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        group = state["target_groups"].get(planned["target_group_arn"])
        host = state["hosts"].get(planned["target_id"])
        if group is None or host is None:
            raise Refused(f"TargetGroupNotFound or InvalidTarget: {planned['target_group_arn']} {planned['target_id']}")
        group["targets"][f"{planned['target_id']}:{planned['port']}"] = [host["address"], int(planned["port"])]
        self.write_balancers(state)
        return {}

    def aws_lb_target_group_attachment_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        group = state["target_groups"].get(prior["target_group_arn"])
        if group:
            group["targets"].pop(f"{prior['target_id']}:{prior['port']}", None)
            self.write_balancers(state)

    def aws_lb_listener_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        balancer = state["balancers"].get(planned["load_balancer_arn"])
        if balancer is None:
            raise Refused(f"LoadBalancerNotFound: {planned['load_balancer_arn']}")
        arn = planned["load_balancer_arn"].replace(":loadbalancer/", ":listener/") + f"/{planned['port']}"
        (action,) = planned["default_action"]
        listener: dict[str, Any] = {"protocol": planned["protocol"], "type": action["type"]}
        if action["type"] == "redirect":
            (redirect,) = action["redirect"]
            listener["redirect"] = {k: redirect.get(k) for k in ("protocol", "port", "status_code")}
        else:
            listener["target_group"] = action["target_group_arn"]
        if planned["protocol"] in ("HTTPS", "TLS"):
            if planned.get("certificate_arn") not in state["certificates"]:
                raise Refused(f"CertificateNotFound: {planned.get('certificate_arn')}")
            listener["certificate"] = planned["certificate_arn"]
        balancer["listeners"][str(planned["port"])] = listener
        self.write_balancers(state)
        return {"arn": arn, "id": arn}

    def aws_lb_listener_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        balancer = state["balancers"].get(prior["load_balancer_arn"])
        if balancer:
            balancer["listeners"].pop(str(prior["port"]), None)
            self.write_balancers(state)

    def write_balancers(self, state: dict[str, Any]) -> None:
        for arn in state["balancers"]:
            self.write_balancer(arn, state)

    def write_balancer(self, arn: str, state: dict[str, Any]) -> None:
        """The balancer's configuration as balancer.py reads it: each listener with its action, targets and
        certificate, paths as the container sees the state directory (/sim)."""
        balancer = state["balancers"][arn]
        listeners = {}
        for port, listener in balancer["listeners"].items():
            if "target_proxy" in listener:  # GCP: resolved along the chain of its resources
                served, certificate = self.gcp_listener(listener, state)
                self.gcp_balancer_legs(arn, served["action"].get("targets", []), state)
            elif "type" not in listener:  # Azure: a redirect, or a backend pool over the settings' port
                served, certificate = {"protocol": listener["protocol"]}, listener.get("certificate", "")
                if "redirect" in listener:
                    served["action"] = {"type": "redirect", **listener["redirect"]}
                else:
                    members = state["lb_parts"].get(listener["pool"], {"targets": {}})["targets"].values()
                    targets = sorted([address, listener["backend_port"]] for address in members)
                    served["action"] = {"type": "forward", "targets": targets}
            else:
                served, certificate = {"protocol": listener["protocol"]}, listener.get("certificate", "")
                if listener["type"] == "redirect":
                    served["action"] = {"type": "redirect", **listener["redirect"]}
                else:
                    group = state["target_groups"].get(listener["target_group"], {"targets": {}})
                    served["action"] = {"type": "forward", "targets": sorted(group["targets"].values())}
            if certificate:
                files = Path(state["certificates"][certificate]).relative_to(self.state_dir)
                served["certificate"] = f"/sim/{files}/certificate.pem"
                served["private_key"] = f"/sim/{files}/key.pem"
            listeners[port] = served
        directory = self.state_dir / "balancers"
        directory.mkdir(exist_ok=True)
        path = directory / f"{balancer['name']}.json"
        path.with_suffix(".tmp").write_text(json.dumps({"listeners": listeners}, indent=2))
        path.with_suffix(".tmp").replace(path)

    # --- Azure ---

    def azurerm_virtual_network_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        group, name = planned["resource_group_name"], planned["name"]
        self.create_network(f"{group}/{name}", planned["address_space"][0], state)
        return {"id": arm_id(group, f"Microsoft.Network/virtualNetworks/{name}")}

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
        address = self.reserve_public(ip_id, state)
        # A domain_name_label's FQDN (<label>.<region>.cloudapp.azure.com) resolves to the address; with no DNS
        # simulated, the FQDN given is the address itself, as an ALB's dns_name is.
        return {"id": ip_id, "ip_address": address, "fqdn": address if planned.get("domain_name_label") else ""}

    def azurerm_public_ip_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        self.release(prior["id"], state)

    def azurerm_network_interface_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        nic_id = arm_id(planned["resource_group_name"], f"Microsoft.Network/networkInterfaces/{planned['name']}")
        (configuration,) = planned["ip_configuration"]
        subnet = self.subnet(configuration["subnet_id"], state)
        static = configuration.get("private_ip_address_allocation") == "Static"
        if static and not configuration.get("private_ip_address"):
            raise Refused(f"{planned['name']}: a Static private IP allocation needs private_ip_address")
        address = self.reserve(
            nic_id, subnet["cidr"], state, wanted=configuration.get("private_ip_address") if static else None
        )
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
        self.azure_register_vm(planned)
        return {"id": vm_id, "private_ip_address": nic["address"], "public_ip_address": nic["public_address"]}

    def azurerm_linux_virtual_machine_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        self.arm_unlocked(prior["id"], state)
        self.stop_host(prior["id"], state)
        compute = azure_api()
        if compute is not None:  # azurerm deletes the OS disk with the VM (delete_os_disk_on_deletion, default)
            group = prior["resource_group_name"]
            compute.virtual_machines.begin_delete(group, prior["name"]).result()
            compute.disks.begin_delete(group, os_disk_name(prior)).result()

    # --- Azure: what the tool's SDK calls (preflight, snapshots, backups) find in the simulated Azure APIs ---

    def azure_register_vm(self, planned: dict[str, Any]) -> None:
        """The VM as ARM knows it, with its tags (snapshots find the data hosts by them) and its OS disk, a managed
        disk of its own; nothing when no API is simulated."""
        compute = azure_api()
        if compute is None:
            return
        from azure.mgmt.compute import models

        group, location = planned["resource_group_name"], planned["location"]
        size = int((planned.get("os_disk") or [{}])[0].get("disk_size_gb") or 30)
        disk = models.Disk(location=location, creation_data=models.CreationData(create_option="Empty"))
        disk.disk_size_gb = size
        made = compute.disks.begin_create_or_update(group, os_disk_name(planned), disk).result()
        os_disk = models.OSDisk(
            name=os_disk_name(planned),
            create_option="Attach",
            os_type="Linux",
            managed_disk=models.ManagedDiskParameters(id=made.id),
        )
        machine = models.VirtualMachine(
            location=location,
            zones=[planned["zone"]] if planned.get("zone") else None,
            tags=planned.get("tags") or {},
            hardware_profile=models.HardwareProfile(vm_size=planned["size"]),
            storage_profile=models.StorageProfile(os_disk=os_disk),
        )
        compute.virtual_machines.begin_create_or_update(group, planned["name"], machine).result()

    def azurerm_resource_group_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        group_id = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{planned['name']}"
        arm_request(
            "PUT", group_id, RESOURCE_GROUPS_API, {"location": planned["location"], "tags": planned.get("tags")}
        )
        return {"id": group_id}

    def azurerm_resource_group_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        """The provider refuses to delete a group that still holds resources it does not manage
        (prevent_deletion_if_contains_resources, on by default since azurerm 3.0); ARM then deletes the group."""
        self.arm_unlocked(prior["id"], state)
        compute = azure_api()
        if compute is None:
            return
        group = prior["name"]
        held = [item.id for kind in (compute.snapshots, compute.disks) for item in kind.list_by_resource_group(group)]
        held += [vm.id for vm in compute.virtual_machines.list(group)]
        if held:
            raise Refused(
                f"deleting Resource Group {group!r}: the Resource Group still contains Resources. Terraform is "
                "configured to check for Resources within the Resource Group when deleting the Resource Group - and "
                f"raise an error if nested Resources still exist to avoid data loss. This Resource Group contains "
                f"{len(held)} Resource(s) which are not managed by Terraform: {', '.join(sorted(held))}"
            )
        arm_request("DELETE", prior["id"], RESOURCE_GROUPS_API)

    def azurerm_storage_account_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        name = planned["name"]
        account_id = arm_id(planned["resource_group_name"], f"Microsoft.Storage/storageAccounts/{name}")
        sku = f"{planned.get('account_tier', 'Standard')}_{planned.get('account_replication_type', 'LRS')}"
        body = {"location": planned["location"], "kind": planned.get("account_kind") or "StorageV2",
                "sku": {"name": sku}, "tags": planned.get("tags") or {}}  # fmt: skip
        arm_request("PUT", account_id, STORAGE_API, body)
        host = f"{name}.blob.core.windows.net"
        return {"id": account_id, "primary_blob_endpoint": f"https://{host}/", "primary_blob_host": host}

    def azurerm_storage_account_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        self.arm_unlocked(prior["id"], state)
        arm_request("DELETE", prior["id"], STORAGE_API)

    def azurerm_storage_container_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        container_id = f"{planned['storage_account_id']}/blobServices/default/containers/{planned['name']}"
        arm_request("PUT", container_id, STORAGE_API, {"properties": {"publicAccess": "None"}})
        return {"id": container_id, "resource_manager_id": container_id}

    def azurerm_storage_container_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        self.arm_unlocked(prior["id"], state)
        arm_request("DELETE", prior["id"], STORAGE_API)

    # --- Azure: locks, which ARM enforces on every delete under their scope ---

    def azurerm_management_lock_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        lock_id = f"{planned['scope']}/providers/Microsoft.Authorization/locks/{planned['name']}"
        state["locks"][lock_id] = {"scope": planned["scope"], "level": planned["lock_level"]}
        return {"id": lock_id}

    def azurerm_management_lock_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        state["locks"].pop(prior["id"], None)

    @staticmethod
    def arm_unlocked(resource_id: str, state: dict[str, Any]) -> None:
        """ARM refuses to delete a resource under a lock's scope (the resource, or a parent of it)."""
        for lock in state["locks"].values():
            if resource_id.lower() == lock["scope"].lower() or resource_id.lower().startswith(
                lock["scope"].lower() + "/"
            ):
                raise Refused(
                    f"ScopeLocked: The scope '{resource_id}' cannot perform delete operation because following "
                    f"scope(s) are locked: '{lock['scope']}'. Please remove the lock and try again."
                )

    # --- Azure: private DNS zones, and the Flexible Server and Azure Cache in them as real servers (stores.py) ---
    # The managed services are reached by name (Flexible Server's fqdn, Azure Cache's hostname), which resolves to a
    # private address only inside a VNet linked to the private DNS zone holding its record. Here a record is a line in
    # the /etc/hosts of every simulated VM of a linked VNet, written when a record, a link or a VM appears; a VM of
    # an unlinked VNet (or this machine) does not resolve the name, as outside Azure.

    def azurerm_private_dns_zone_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        zone_id = arm_id(planned["resource_group_name"], f"Microsoft.Network/privateDnsZones/{planned['name']}")
        state["dns_zones"][zone_id] = {"name": planned["name"], "records": {}, "links": {}}
        return {"id": zone_id}

    def azurerm_private_dns_zone_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        zone = state["dns_zones"].get(prior["id"])
        if zone and zone["links"]:
            raise Refused(
                f"BadRequest: The private DNS zone {prior['name']} cannot be deleted because it has virtual network "
                "links; delete them first."
            )
        state["dns_zones"].pop(prior["id"], None)

    def azurerm_private_dns_zone_virtual_network_link_create(
        self, planned: dict[str, Any], state: dict[str, Any]
    ) -> dict[str, Any]:
        zone_id = arm_id(
            planned["resource_group_name"], f"Microsoft.Network/privateDnsZones/{planned['private_dns_zone_name']}"
        )
        zone = state["dns_zones"].get(zone_id)
        if zone is None:
            raise Refused(f"ResourceNotFound: private DNS zone {planned['private_dns_zone_name']}")
        # The VNet's network key (hook.py azurerm_virtual_network_create): its resource group and name.
        vnet = re.sub(r".*/resourceGroups/([^/]+)/providers/Microsoft.Network/virtualNetworks/([^/]+)$", r"\1/\2",
                      planned["virtual_network_id"])  # fmt: skip
        if vnet not in state["networks"]:
            raise Refused(f"virtual network {planned['virtual_network_id']} not found")
        link_id = f"{zone_id}/virtualNetworkLinks/{planned['name']}"
        zone["links"][link_id] = vnet
        self.publish_private_dns(state)
        return {"id": link_id}

    def azurerm_private_dns_zone_virtual_network_link_delete(
        self, prior: dict[str, Any], state: dict[str, Any]
    ) -> None:
        for zone in state["dns_zones"].values():
            zone["links"].pop(prior["id"], None)
        self.publish_private_dns(state)

    def private_dns_record(self, zone_ids: list[str], name: str, address: str | None, state: dict[str, Any]) -> None:
        """`name` resolving to `address` in each zone of `zone_ids` (None: the record removed), published."""
        for zone_id in zone_ids:
            zone = state["dns_zones"].get(zone_id)
            if zone is None:
                raise Refused(f"ResourceNotFound: private DNS zone {zone_id}")
            if address is None:
                zone["records"].pop(name, None)
            else:
                zone["records"][name] = address
        self.publish_private_dns(state)

    def publish_private_dns(self, state: dict[str, Any], only: str = "") -> None:
        """Each VM's /etc/hosts holds the records of the zones linked to its VNet, and nothing else of theirs."""
        for host in state["hosts"].values():
            if only and host["name"] != only:
                continue
            vnet = state["subnets"].get(host["subnet"], {}).get("network")
            records = {
                name: address
                for zone in state["dns_zones"].values()
                if vnet in zone["links"].values()
                for name, address in zone["records"].items()
            }
            lines = "".join(f"{address} {name} {PRIVATE_DNS_MARK}\n" for name, address in sorted(records.items()))
            ran = self.podman.run(
                "exec", "-i", host["name"], "sh", "-c", PUBLISH_HOSTS_SCRIPT, check=False, stdin=lines
            )
            if ran.returncode != 0:
                raise Refused(f"{host['name']}: publishing the private DNS records failed: {ran.stderr.strip()}")

    def azurerm_mysql_flexible_server_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        """Azure Database for MySQL flexible server with private access (VNet integration): a MySQL server
        (stores.py) at the next free address of its delegated subnet, named `<name>.mysql.database.azure.com` in its
        private DNS zone; its only account the administrator login, with the privileges Azure gives it (no SUPER;
        CREATE USER and GRANT OPTION: the set of RDS's master here); TLS required (require_secure_transport is ON
        by default on Azure); its certificate for that name from the simulated public CA (Azure's chains to DigiCert's
        public roots). A read replica is not simulated (the double's values stand)."""
        name = planned["name"]
        if planned.get("create_mode") == "Replica" or planned.get("source_server_id"):
            return {}
        subnet_id, zone_id = planned.get("delegated_subnet_id") or "", planned.get("private_dns_zone_id") or ""
        if not subnet_id or zone_id not in state["dns_zones"]:
            raise Refused(f"{name}: only private access (delegated_subnet_id and a private_dns_zone_id) is simulated")
        placement = self.subnet_placement(subnet_id, state)
        server_id = arm_id(planned["resource_group_name"], f"Microsoft.DBforMySQL/flexibleServers/{name}")
        fqdn = f"{name}.mysql.database.azure.com"
        container = f"{self.label}-mysql-{name}"
        address = self.start_store(
            server_id, container, placement,
            lambda address: stores.start_mysql(
                self.podman, name=container, label=self.label, network=placement[1], address=address, port=3306,
                tls=self.store_tls(container, address, names=[fqdn]), admin_user=planned["administrator_login"],
                admin_password=planned.get("administrator_password") or "",
                parameters={"require_secure_transport": "ON"},
            ),
            state, engine="mysql", port=3306, zones=[zone_id], dns_name=fqdn,
        )  # fmt: skip
        self.private_dns_record([zone_id], fqdn, address, state)
        return {"id": server_id, "fqdn": fqdn}

    def azurerm_mysql_flexible_server_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        self.arm_unlocked(prior["id"], state)
        found = state["stores"].get(prior["id"])
        if found and self.stop_store(prior["id"], state):
            self.private_dns_record(found["zones"], found["dns_name"], None, state)

    def azurerm_mysql_flexible_server_configuration_create(
        self, planned: dict[str, Any], state: dict[str, Any]
    ) -> dict[str, Any]:
        """A server parameter: require_secure_transport is set on the running server (SET GLOBAL); the others are
        accepted, not applied."""
        server_id = arm_id(
            planned["resource_group_name"], f"Microsoft.DBforMySQL/flexibleServers/{planned['server_name']}"
        )
        found = state["stores"].get(server_id)
        if found is None:
            raise Refused(f"ResourceNotFound: flexible server {planned['server_name']}")
        if planned["name"] == "require_secure_transport":
            value = "ON" if str(planned["value"]).upper() == "ON" else "OFF"
            statement = f"SET GLOBAL require_secure_transport = {value}"
            ran = self.podman.run("exec", found["name"], "mariadb", "--protocol=socket", "-e", statement, check=False)
            if ran.returncode != 0:
                raise Refused(f"{planned['server_name']}: {statement}: {ran.stderr.strip()}")
        return {"id": f"{server_id}/configurations/{planned['name']}"}

    azurerm_mysql_flexible_server_configuration_update = azurerm_mysql_flexible_server_configuration_create

    def azurerm_redis_cache_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        """Azure Cache for Redis: the cache's name and access keys (Azure generates them: base64 of 32 random bytes,
        so "+", "/" and "=" occur); with public network access off it is reached only through a private endpoint,
        where its server runs (azurerm_private_endpoint)."""
        name = planned["name"]
        cache_id = arm_id(planned["resource_group_name"], f"Microsoft.Cache/redis/{name}")
        keys = [base64.b64encode(os.urandom(32)).decode() for _ in range(2)]
        state["caches"][cache_id] = {
            "name": name,
            "hostname": f"{name}.redis.cache.windows.net",
            "key": keys[0],
            "tls_only": not planned.get("non_ssl_port_enabled"),
        }
        return {
            "id": cache_id,
            "hostname": f"{name}.redis.cache.windows.net",
            "ssl_port": 6380,
            "port": 6379,
            "primary_access_key": keys[0],
            "secondary_access_key": keys[1],
        }

    def azurerm_redis_cache_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        self.arm_unlocked(prior["id"], state)
        state["caches"].pop(prior["id"], None)

    def azurerm_private_endpoint_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        """A private endpoint: an address in its subnet for the resource it connects. To an Azure Cache (the
        simulated one) the cache's server runs at that address: redis-server on the TLS port 6380 only (the plain
        one closed), the primary access key as its password, its certificate for the cache's hostname from the
        simulated public CA (Azure's chains to public roots); the hostname's record joins the zone group's zones.
        Any other resource (Cosmos DB) gets the address only."""
        endpoint_id = arm_id(planned["resource_group_name"], f"Microsoft.Network/privateEndpoints/{planned['name']}")
        placement = self.subnet_placement(planned["subnet_id"], state)
        connection = single(planned.get("private_service_connection"), f"{planned['name']}: private_service_connection")
        cache = state["caches"].get(connection.get("private_connection_resource_id") or "")
        zone_ids = [
            z for group in planned.get("private_dns_zone_group") or [] for z in group.get("private_dns_zone_ids") or []
        ]
        if cache is None:
            address = self.reserve(endpoint_id, placement[0], state)
        else:
            container = f"{self.label}-cache-{cache['name']}"
            address = self.start_store(
                endpoint_id, container, placement,
                lambda address: stores.start_redis(
                    self.podman, name=container, label=self.label, network=placement[1], address=address, port=6380,
                    tls=self.store_tls(container, address, names=[cache["hostname"]]), auth_token=cache["key"],
                ),
                state, engine="redis", port=6380, tls=True, token=cache["key"], zones=zone_ids,
                dns_name=cache["hostname"],
            )  # fmt: skip
            self.private_dns_record(zone_ids, cache["hostname"], address, state)
        return {"id": endpoint_id, "private_service_connection": [{"private_ip_address": address}]}

    def azurerm_private_endpoint_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        found = state["stores"].get(prior["id"])
        if found and self.stop_store(prior["id"], state):
            self.private_dns_record(found["zones"], found["dns_name"], None, state)
        else:
            self.release(prior["id"], state)

    # --- Azure: the Application Gateway, its certificate in Key Vault and its backend pool ---

    def azurerm_key_vault_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        vault_id = arm_id(planned["resource_group_name"], f"Microsoft.KeyVault/vaults/{planned['name']}")
        uri = f"https://{planned['name']}.vault.azure.net/"
        state["lb_parts"][vault_id] = {"vault_uri": uri}
        return {"id": vault_id, "vault_uri": uri}

    def azurerm_key_vault_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        state["lb_parts"].pop(prior["id"], None)

    def azurerm_key_vault_certificate_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        """A certificate Key Vault issues with its policy's issuer: `Self` makes a self-signed one; a named issuer
        (DigiCert, GlobalSign linked to the vault) here is the simulated CA. An imported one is kept as given."""
        vault = state["lb_parts"].get(planned["key_vault_id"])
        if vault is None:
            raise Refused(f"Key Vault {planned['key_vault_id']} was not found")
        name = planned["name"]
        imported = (planned.get("certificate") or [{}])[0].get("contents")
        if imported:
            pem = base64.b64decode(imported).decode()
            key_start = pem.index("-----BEGIN PRIVATE KEY-----")
            chain, key = pem[:key_start] + pem[pem.index("-----END PRIVATE KEY-----") + 25 :], pem[key_start:]
        else:
            policy = single(planned.get("certificate_policy"), f"{name}: certificate_policy")
            issuer = single(policy.get("issuer_parameters"), f"{name}: issuer_parameters")["name"]
            x509_properties = single(policy.get("x509_certificate_properties"), f"{name}: x509_certificate_properties")
            names = single(x509_properties.get("subject_alternative_names"), f"{name}: subject_alternative_names")
            chain, key = simulated_ca(self.state_dir).issue(list(names["dns_names"]), self_signed=issuer == "Self")
        version = hashlib.sha256(chain.encode()).hexdigest()[:32]
        versionless = f"{vault['vault_uri']}secrets/{name}"
        self.store_certificate(versionless, chain, key, state)
        return {
            "id": f"{vault['vault_uri']}certificates/{name}/{version}",
            "version": version,
            "secret_id": f"{versionless}/{version}",
            "versionless_secret_id": versionless,
            "versionless_id": f"{vault['vault_uri']}certificates/{name}",
        }

    def azurerm_key_vault_certificate_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        state["certificates"].pop(prior.get("versionless_secret_id") or "", None)

    def azurerm_application_gateway_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        """The gateway as its blocks wire it: each request routing rule serves its listener's frontend port, with
        the listener's certificate (a Key Vault secret), either redirecting (redirect_configuration) or forwarding
        to a backend pool over its backend_http_settings' port. A balancer container at the frontend public IP's
        address, with a leg in the gateway's subnet; the pools' members come from the NIC associations."""
        gateway_id = arm_id(planned["resource_group_name"], f"Microsoft.Network/applicationGateways/{planned['name']}")
        by_name = {
            kind: {block["name"]: block for block in planned.get(kind) or []}
            for kind in ("frontend_port", "ssl_certificate", "http_listener", "redirect_configuration",
                         "backend_http_settings", "backend_address_pool")
        }  # fmt: skip
        listeners: dict[str, Any] = {}
        for rule in planned.get("request_routing_rule") or []:
            listener = by_name["http_listener"][rule["http_listener_name"]]
            port = str(by_name["frontend_port"][listener["frontend_port_name"]]["port"])
            served: dict[str, Any] = {"protocol": listener["protocol"].upper()}
            if served["protocol"] == "HTTPS":
                secret = by_name["ssl_certificate"][listener["ssl_certificate_name"]].get("key_vault_secret_id")
                if secret not in state["certificates"]:
                    raise Refused(f"ApplicationGatewayKeyVaultSecretNotFound: {secret}")
                served["certificate"] = secret
            if rule.get("redirect_configuration_name"):
                redirect = by_name["redirect_configuration"][rule["redirect_configuration_name"]]
                target = by_name["http_listener"][redirect["target_listener_name"]]
                served["redirect"] = {
                    "protocol": target["protocol"].upper(),
                    "port": str(by_name["frontend_port"][target["frontend_port_name"]]["port"]),
                    "status_code": "HTTP_301" if redirect["redirect_type"] == "Permanent" else "HTTP_302",
                }
            else:
                served["pool"] = f"{gateway_id}/backendAddressPools/{rule['backend_address_pool_name']}"
                served["backend_port"] = int(
                    by_name["backend_http_settings"][rule["backend_http_settings_name"]]["port"]
                )
            listeners[port] = served
        frontend = single(planned.get("frontend_ip_configuration"), f"{planned['name']}: frontend_ip_configuration")
        public = next((a for a, o in state["addresses"].items() if o == frontend.get("public_ip_address_id")), "")
        if not public:
            raise Refused(f"public IP {frontend.get('public_ip_address_id')} not found")
        gateway_subnet = single(planned.get("gateway_ip_configuration"), "gateway_ip_configuration")["subnet_id"]
        subnet = self.subnet(gateway_subnet, state)
        private = self.reserve(gateway_id, subnet["cidr"], state)
        for pool in by_name["backend_address_pool"]:
            state["lb_parts"][f"{gateway_id}/backendAddressPools/{pool}"] = {"targets": {}}
        state["balancers"][gateway_id] = {"name": f"{self.label}-agw-{planned['name']}", "listeners": listeners}
        network = state["networks"][subnet["network"]]["network"]
        self.start_balancer(gateway_id, [f"{network}:ip={private}", f"{self.internet_network()}:ip={public}"], state)
        pools = [{"name": p, "id": f"{gateway_id}/backendAddressPools/{p}"} for p in by_name["backend_address_pool"]]
        return {"id": gateway_id, "backend_address_pool": pools}

    def azurerm_application_gateway_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        found = state["balancers"].pop(prior["id"], None)
        if found:
            self.podman.run("rm", "--force", "--time", "2", found["name"], check=False)
        state["lb_parts"] = {k: v for k, v in state["lb_parts"].items() if not k.startswith(prior["id"] + "/")}
        self.release(prior["id"], state)

    def azurerm_network_interface_application_gateway_backend_address_pool_association_create(
        self, planned: dict[str, Any], state: dict[str, Any]
    ) -> dict[str, Any]:
        pool = state["lb_parts"].get(planned["backend_address_pool_id"])
        nic = state["nics"].get(planned["network_interface_id"])
        if pool is None or nic is None:
            raise Refused(f"not found: {planned['backend_address_pool_id']} or {planned['network_interface_id']}")
        pool["targets"][planned["network_interface_id"]] = nic["address"]
        self.write_balancers(state)
        configuration = f"{planned['network_interface_id']}/ipConfigurations/{planned['ip_configuration_name']}"
        return {"id": f"{configuration}|{planned['backend_address_pool_id']}"}

    def azurerm_network_interface_application_gateway_backend_address_pool_association_delete(
        self, prior: dict[str, Any], state: dict[str, Any]
    ) -> None:
        pool = state["lb_parts"].get(prior["backend_address_pool_id"])
        if pool:
            pool["targets"].pop(prior["network_interface_id"], None)
            self.write_balancers(state)

    # --- GCP ---

    def google_compute_network_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        """A VPC network has no range of its own on GCP: only its subnetworks do (one podman network each)."""
        network_id = f"projects/{planned['project']}/global/networks/{planned['name']}"
        state["vpcs"][network_id] = {"name": planned["name"]}
        return {"id": network_id, "self_link": GOOGLE_API + network_id}

    def google_compute_network_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        used = sorted(s for s, subnet in state["subnets"].items() if subnet.get("vpc") == prior["id"])
        if used:
            raise Refused(f"The network resource '{prior['id']}' is already being used by '{used[0]}'")
        state["vpcs"].pop(prior["id"], None)

    def google_compute_subnetwork_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        vpc = google_ref(planned["network"])
        if vpc not in state["vpcs"]:
            raise Refused(f"The resource '{vpc}' was not found")
        region, cidr = planned["region"], planned["ip_cidr_range"]
        subnet_id = f"projects/{planned['project']}/regions/{region}/subnetworks/{planned['name']}"
        check_gcp_range(cidr)
        for other_id, other in state["subnets"].items():
            if other.get("vpc") == vpc and ipaddress.ip_network(cidr).overlaps(ipaddress.ip_network(other["cidr"])):
                raise Refused(f"Invalid IPCidrRange: {cidr} conflicts with existing subnetwork '{other_id}'")
        self.create_network(subnet_id, cidr, state)
        self.create_subnet(subnet_id, subnet_id, cidr, state)
        for rule in self.route_rules(cidr, self.vpc_ranges(vpc, state)):
            self.seal(rule, table="nat")
        state["subnets"][subnet_id] |= {"vpc": vpc, "region": region}
        gateway = str(ipaddress.ip_network(cidr).network_address + 1)
        return {"id": subnet_id, "self_link": GOOGLE_API + subnet_id, "gateway_address": gateway}

    def google_compute_subnetwork_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        used = sorted(h["name"] for h in state["hosts"].values() if h["subnet"] == prior["id"])
        if used:
            raise Refused(f"The subnetwork resource '{prior['id']}' is already being used by instance '{used[0]}'")
        found = state["subnets"].pop(prior["id"], None)
        if found:
            for rule in self.route_rules(found["cidr"], self.vpc_ranges(found["vpc"], state)):
                self.unseal(rule, table="nat")
        self.delete_network(prior["id"], state)

    @staticmethod
    def vpc_ranges(vpc: str, state: dict[str, Any]) -> list[str]:
        return sorted(subnet["cidr"] for subnet in state["subnets"].values() if subnet.get("vpc") == vpc)

    def google_compute_instance_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        name, zone = planned["name"], planned["zone"]
        interface = single(planned.get("network_interface"), f"{name}: network_interface")
        subnet_id = google_ref(interface.get("subnetwork") or "")
        subnet = state["subnets"].get(subnet_id)
        if subnet is None:
            raise Refused(f"The resource '{subnet_id}' was not found")
        if zone.rsplit("-", 1)[0] != subnet["region"]:
            raise Refused(f"{name}: subnetwork {subnet_id} is not in zone {zone}'s region")
        instance_id = f"projects/{planned['project']}/zones/{zone}/instances/{name}"
        user, authorized_key = guest_agent_login(name, planned.get("metadata") or {})
        public = bool(interface.get("access_config"))
        host = {
            "id": instance_id,
            "name": name,
            "tier": (planned.get("labels") or {}).get("role", ""),
            "subnet": subnet_id,
            "address": self.reserve(
                instance_id, subnet["cidr"], state, reserved_low=2, reserved_high=2, wanted=interface.get("network_ip")
            ),
            "public_address": self.reserve_public(instance_id, state) if public else "",
            # The guest agent's first boot writes fresh host keys; the startup script may then replace them.
            "login": {"user": user, "authorized_key": authorized_key, "host_key": generate_ssh_host_key()},
            "startup_script": (planned.get("metadata") or {}).get("startup-script") or "",
        }
        self.start_host(host, state)
        self.gcp_register_boot_disk(planned)
        access = [{"nat_ip": host["public_address"]}] if public else []
        return {
            "id": instance_id,
            "self_link": GOOGLE_API + instance_id,
            "network_interface": [{"network_ip": host["address"], "access_config": access}],
        }

    def google_compute_instance_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        if prior.get("deletion_protection"):  # Compute Engine's answer to instances.delete on a protected instance
            raise Refused(
                f"Error deleting instance: googleapi: Error 400: Invalid resource usage: 'Resource cannot be deleted "
                f"if it's protected against deletion.'., resourceInUseByAnotherResource ({prior['id']})"
            )
        self.stop_host(prior["id"], state)
        disks = gcp_api("disks")
        if disks is not None and (prior.get("boot_disk") or [{}])[0].get("auto_delete", True):
            from google.api_core.exceptions import NotFound

            with contextlib.suppress(NotFound):
                disks.delete(project=prior["project"], zone=prior["zone"], disk=prior["name"]).result(timeout=60)

    # --- GCP: what the tool's SDK calls (preflight, snapshots, backups) find in the simulated Google APIs ---

    def gcp_register_boot_disk(self, planned: dict[str, Any]) -> None:
        """The instance's boot disk as Compute Engine knows it: named as the instance (a boot disk made with an
        instance takes its name), with initialize_params' labels, size and image (snapshots find the data hosts'
        disks by those labels). Nothing when no API is simulated."""
        disks = gcp_api("disks")
        if disks is None:
            return
        from google.cloud import compute_v1

        params = ((planned.get("boot_disk") or [{}])[0].get("initialize_params") or [{}])[0]
        image = str(params.get("image") or "")
        if image.count("/") == 1:  # the provider's "project/family" shorthand
            image = "projects/{}/global/images/family/{}".format(*image.split("/"))
        disk = compute_v1.Disk(
            name=planned["name"],
            size_gb=int(params.get("size") or 10),
            labels=params.get("labels") or {},
            source_image=image,
        )
        disks.insert(project=planned["project"], zone=planned["zone"], disk_resource=disk).result(timeout=60)

    def google_storage_bucket_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        storage = gcp_api("storage", planned["project"])
        if storage is not None:
            bucket = storage.bucket(planned["name"])
            bucket.labels = planned.get("labels") or {}
            storage.create_bucket(bucket, location=planned.get("location") or "US")
        return {"id": planned["name"], "url": f"gs://{planned['name']}", "self_link": STORAGE_API + planned["name"]}

    def google_storage_bucket_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        """Cloud Storage refuses to delete a bucket that holds objects; the provider empties it first only with
        force_destroy (its own message otherwise)."""
        storage = gcp_api("storage", prior["project"])
        if storage is None:
            return
        held = list(storage.list_blobs(prior["name"]))
        if held and not prior.get("force_destroy"):
            raise Refused(
                f"Error trying to delete bucket {prior['name']} containing objects without `force_destroy` set to true"
            )
        for blob in held:
            blob.delete()
        storage.bucket(prior["name"]).delete()

    # --- GCP: private services access, and Cloud SQL and Memorystore in it as real servers (stores.py) ---
    # A range allocated for VPC peering (google_compute_global_address, purpose VPC_PEERING) becomes, once the
    # service networking connection peers it, the producer's network: a podman network of that range whose packets
    # pass to and from the VPC's subnets unmasqueraded, as a peered network's do. The managed servers take addresses
    # in it; their certificates come from a CA of their own, handed to the clients only through the outputs.

    def gcp_allocate_range(self, address_id: str, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        vpc = google_ref(planned.get("network") or "")
        if vpc not in state["vpcs"]:
            raise Refused(f"The resource '{vpc}' was not found")
        if planned.get("address_type") != "INTERNAL" or not planned.get("prefix_length"):
            raise Refused(f"{planned['name']}: a VPC_PEERING range is INTERNAL and has a prefix length")
        if not planned.get("address"):
            raise Refused(f"{planned['name']}: no address given (GCP would choose a free range: not simulated)")
        cidr = str(ipaddress.ip_network(f"{planned['address']}/{planned['prefix_length']}"))
        state["peering_ranges"][planned["name"]] = {"cidr": cidr, "vpc": vpc}
        return {"id": address_id, "address": cidr.split("/")[0], "self_link": GOOGLE_API + address_id}

    def google_service_networking_connection_create(
        self, planned: dict[str, Any], state: dict[str, Any]
    ) -> dict[str, Any]:
        vpc = google_ref(planned["network"])
        for name in planned.get("reserved_peering_ranges") or []:
            allocated = state["peering_ranges"].get(name)
            if allocated is None or allocated["vpc"] != vpc:
                raise Refused(f"Allocated IP range '{name}' not found in network {vpc}")
            key = f"peering:{name}"
            self.create_network(key, allocated["cidr"], state)
            for rule in self.route_rules(allocated["cidr"], self.vpc_ranges(vpc, state)):
                self.seal(rule, table="nat")
            # Among the VPC's ranges from now on: subnets made later route to it too, and none may overlap it.
            state["subnets"][key] = {"cidr": allocated["cidr"], "network": key, "vpc": vpc, "region": ""}
            allocated["connected"] = True
        return {"id": f"{vpc}:servicenetworking.googleapis.com", "peering": "servicenetworking-googleapis-com"}

    def google_service_networking_connection_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        names = prior.get("reserved_peering_ranges") or []
        networks = {state["networks"][f"peering:{n}"]["network"] for n in names if f"peering:{n}" in state["networks"]}
        if any(store.get("network") in networks for store in state["stores"].values()):
            raise Refused(
                "Failed to delete connection; Producer services (e.g. CloudSQL, Cloud Memstore, etc.) are still "
                "using this connection."
            )
        for name in names:
            found = state["subnets"].pop(f"peering:{name}", None)
            if found:
                for rule in self.route_rules(found["cidr"], self.vpc_ranges(found["vpc"], state)):
                    self.unseal(rule, table="nat")
            self.delete_network(f"peering:{name}", state)
            if name in state["peering_ranges"]:
                state["peering_ranges"][name]["connected"] = False

    def gcp_peered_range(self, vpc: str, range_name: str, service: str, state: dict[str, Any]) -> tuple[str, str]:
        """The allocated range a producer service takes its address from (the named one, else the first of the
        VPC's connection), and its podman network; refused as GCP refuses a service in a VPC without the
        connection."""
        names = [range_name] if range_name else sorted(n for n, r in state["peering_ranges"].items() if r["vpc"] == vpc)
        for name in names:
            network = state["networks"].get(f"peering:{name}")
            if network is not None and state["peering_ranges"][name]["vpc"] == vpc:
                return network["cidr"], network["network"]
        raise Refused(
            f"{service}: network {vpc} has no private services access connection (allocated range "
            f"{range_name or 'any'}): create a service networking connection with servicenetworking.googleapis.com"
        )

    def google_sql_database_instance_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        """Cloud SQL for MySQL on a private IP: a MySQL server (stores.py) in the VPC's allocated range, its only
        account `root`@`%` with root_password and the privileges of Cloud SQL's cloudsqlsuperuser (no SUPER; it
        creates users and grants), TLS required by ssl_mode ENCRYPTED_ONLY, the certificate from the instance's own
        server CA (the server_ca_cert the outputs give). A read replica is not simulated (the double's values stand)."""
        name = planned["name"]
        if planned.get("master_instance_name"):
            return {}
        settings = single(planned.get("settings"), f"{name}: settings")
        ip = single(settings.get("ip_configuration"), f"{name}: settings.ip_configuration")
        if ip.get("ipv4_enabled") or not ip.get("private_network"):
            raise Refused(f"{name}: only a private IP instance (ipv4_enabled false, a private_network) is simulated")
        placement = self.gcp_peered_range(
            google_ref(ip["private_network"]), ip.get("allocated_ip_range") or "", "Cloud SQL", state
        )
        parameters = {str(f["name"]): str(f["value"]) for f in settings.get("database_flags") or []}
        if ip.get("ssl_mode") in ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"):
            parameters["require_secure_transport"] = "on"
        container = f"{self.label}-sql-{name}"
        server_ca = ca.own_ca(self.state_dir / "stores" / f"{container}-ca", "Cloud SQL server")
        address = self.start_store(
            f"cloudsql:{name}", container, placement,
            lambda address: stores.start_mysql(
                self.podman, name=container, label=self.label, network=placement[1], address=address, port=3306,
                tls=self.store_tls(container, address, server_ca), admin_user="root",
                admin_password=planned.get("root_password") or "", parameters=parameters,
            ),
            state, engine="mysql", port=3306,
        )  # fmt: skip
        certificate = server_ca.certificate_file.read_text()
        return {
            "private_ip_address": address,
            "first_ip_address": address,
            "ip_address": [{"ip_address": address, "type": "PRIVATE"}],
            "connection_name": f"{planned['project']}:{planned.get('region')}:{name}",
            "server_ca_cert": [{"cert": certificate, "common_name": server_ca.common_name}],
        }

    def google_sql_database_instance_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        settings = (prior.get("settings") or [{}])[0]
        if prior.get("deletion_protection"):  # the provider's own guard, before any API call
            raise Refused(
                "Error, failed to delete instance because deletion_protection is set to true. Set it to false to "
                "proceed with instance deletion"
            )
        if settings.get("deletion_protection_enabled"):  # Cloud SQL's answer to instances.delete
            raise Refused(
                "googleapi: Error 400: The instance is protected. Please disable the deletion protection and try "
                "again. To disable deletion protection, update the instance settings with deletionProtectionEnabled "
                "set to false., protectedInstance"
            )
        self.stop_store(f"cloudsql:{prior['name']}", state)

    def google_redis_instance_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        """Memorystore for Redis in private services access mode: redis-server (stores.py) in the named allocated
        range; with transit encryption SERVER_AUTHENTICATION on port 6378, TLS only, its certificate from the
        instance's own CA (the server_ca_certs the outputs give: the clients must trust it, no public root signs
        it); with auth_enabled, an AUTH string Memorystore generates (auth_string)."""
        name = planned["name"]
        if planned.get("connect_mode") != "PRIVATE_SERVICE_ACCESS":
            raise Refused(f"{name}: only connect_mode PRIVATE_SERVICE_ACCESS is simulated")
        placement = self.gcp_peered_range(
            google_ref(planned.get("authorized_network") or ""), planned.get("reserved_ip_range") or "",
            "Memorystore", state,
        )  # fmt: skip
        encrypted = planned.get("transit_encryption_mode") == "SERVER_AUTHENTICATION"
        port = 6378 if encrypted else 6379
        token = str(uuid.uuid4()) if planned.get("auth_enabled") else ""
        container = f"{self.label}-memorystore-{name}"
        server_ca = ca.own_ca(self.state_dir / "stores" / f"{container}-ca", "Memorystore")
        address = self.start_store(
            f"memorystore:{name}", container, placement,
            lambda address: stores.start_redis(
                self.podman, name=container, label=self.label, network=placement[1], address=address, port=port,
                tls=self.store_tls(container, address, server_ca) if encrypted else None, auth_token=token,
            ),
            state, engine="redis", port=port, tls=encrypted, token=token,
        )  # fmt: skip
        certificates = [{"cert": server_ca.certificate_file.read_text()}] if encrypted else []
        return {"host": address, "port": port, "auth_string": token, "server_ca_certs": certificates}

    def google_redis_instance_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        self.stop_store(f"memorystore:{prior['name']}", state)

    # --- GCP: the global external Application Load Balancer, as a chain of resources ---
    # forwarding rule (address, port) -> target proxy (certificates) -> URL map (a redirect, or a backend service)
    # -> backend service (instance groups, a named port) -> instance groups (instances). The balancer is one
    # container per global address; its configuration is resolved from the chain whenever a link changes.

    def google_compute_global_address_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        address_id = f"projects/{planned['project']}/global/addresses/{planned['name']}"
        if planned.get("purpose") == "VPC_PEERING":
            return self.gcp_allocate_range(address_id, planned, state)
        address = self.reserve_public(address_id, state)
        state["lb_parts"][address_id] = {"address": address}
        return {"id": address_id, "address": address, "self_link": GOOGLE_API + address_id}

    def google_compute_global_address_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        allocated = state["peering_ranges"].get(prior.get("name") or "")
        if allocated is not None:
            if allocated.get("connected"):
                raise Refused(f"The address resource '{prior['id']}' is already being used by a peering connection")
            del state["peering_ranges"][prior["name"]]
            return
        if prior["id"] in state["balancers"]:
            raise Refused(f"The address resource '{prior['id']}' is already being used by a forwarding rule")
        state["lb_parts"].pop(prior["id"], None)
        self.release(prior["id"], state)

    def google_compute_managed_ssl_certificate_create(
        self, planned: dict[str, Any], state: dict[str, Any]
    ) -> dict[str, Any]:
        """Google provisions a managed certificate once the domains point at the balancer: here the simulated CA
        issues it at once for the domains (no provisioning is simulated)."""
        certificate_id = f"projects/{planned['project']}/global/sslCertificates/{planned['name']}"
        domains = (planned.get("managed") or [{}])[0].get("domains") or []
        if not domains:
            raise Refused(f"{planned['name']}: a managed certificate needs at least one domain")
        self.store_certificate(certificate_id, *simulated_ca(self.state_dir).issue(list(domains)), state)
        return {"id": certificate_id, "self_link": GOOGLE_API + certificate_id, "subject_alternative_names": domains}

    def google_compute_ssl_certificate_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        name = planned.get("name") or f"{planned.get('name_prefix', 'cert-')}{short_id('c', planned['certificate'])}"
        certificate_id = f"projects/{planned['project']}/global/sslCertificates/{name}"
        self.store_certificate(certificate_id, planned["certificate"], planned["private_key"], state)
        return {"id": certificate_id, "name": name, "self_link": GOOGLE_API + certificate_id}

    def google_compute_managed_ssl_certificate_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        state["certificates"].pop(prior["id"], None)

    google_compute_ssl_certificate_delete = google_compute_managed_ssl_certificate_delete

    def google_compute_instance_group_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        group_id = f"projects/{planned['project']}/zones/{planned['zone']}/instanceGroups/{planned['name']}"
        instances = [google_ref(i) for i in planned.get("instances") or []]
        missing = [i for i in instances if i not in state["hosts"]]
        if missing:
            raise Refused(f"The resource '{missing[0]}' was not found")
        ports = {p["name"]: int(p["port"]) for p in planned.get("named_port") or []}
        state["lb_parts"][group_id] = {"instances": instances, "ports": ports}
        self.write_balancers(state)
        return {"id": group_id, "self_link": GOOGLE_API + group_id, "size": len(instances)}

    google_compute_instance_group_update = google_compute_instance_group_create

    def google_compute_backend_service_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        service_id = f"projects/{planned['project']}/global/backendServices/{planned['name']}"
        groups = [google_ref(b["group"]) for b in planned.get("backend") or []]
        state["lb_parts"][service_id] = {"groups": groups, "port_name": planned.get("port_name") or "http"}
        self.write_balancers(state)
        return {"id": service_id, "self_link": GOOGLE_API + service_id}

    google_compute_backend_service_update = google_compute_backend_service_create

    def google_compute_url_map_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        map_id = f"projects/{planned['project']}/global/urlMaps/{planned['name']}"
        redirect = (planned.get("default_url_redirect") or [None])[0]
        if redirect:
            state["lb_parts"][map_id] = {"redirect": bool(redirect.get("https_redirect"))}
        else:
            state["lb_parts"][map_id] = {"service": google_ref(planned.get("default_service") or "")}
        self.write_balancers(state)
        return {"id": map_id, "self_link": GOOGLE_API + map_id}

    def google_compute_target_https_proxy_create(
        self, planned: dict[str, Any], state: dict[str, Any]
    ) -> dict[str, Any]:
        proxy_id = f"projects/{planned['project']}/global/targetHttpsProxies/{planned['name']}"
        certificates = [google_ref(c) for c in planned.get("ssl_certificates") or []]
        unknown = [c for c in certificates if c not in state["certificates"]]
        if not certificates or unknown:
            raise Refused(f"The resource '{(unknown or ['an SSL certificate'])[0]}' was not found")
        state["lb_parts"][proxy_id] = {"url_map": google_ref(planned["url_map"]), "certificates": certificates}
        return {"id": proxy_id, "self_link": GOOGLE_API + proxy_id}

    def google_compute_target_http_proxy_create(self, planned: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        proxy_id = f"projects/{planned['project']}/global/targetHttpProxies/{planned['name']}"
        state["lb_parts"][proxy_id] = {"url_map": google_ref(planned["url_map"])}
        return {"id": proxy_id, "self_link": GOOGLE_API + proxy_id}

    def gcp_part_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        state["lb_parts"].pop(google_ref(prior["id"]), None)
        self.write_balancers(state)

    google_compute_instance_group_delete = google_compute_backend_service_delete = gcp_part_delete
    google_compute_url_map_delete = google_compute_target_https_proxy_delete = gcp_part_delete
    google_compute_target_http_proxy_delete = gcp_part_delete

    def google_compute_global_forwarding_rule_create(
        self, planned: dict[str, Any], state: dict[str, Any]
    ) -> dict[str, Any]:
        rule_id = f"projects/{planned['project']}/global/forwardingRules/{planned['name']}"
        address_id = google_ref(planned.get("ip_address") or "")
        address_id = next((k for k, v in state["lb_parts"].items() if v.get("address") == address_id), address_id)
        if "address" not in state["lb_parts"].get(address_id, {}):
            raise Refused(f"{planned['name']}: the global address '{address_id}' was not found")
        target = google_ref(planned["target"])
        if target not in state["lb_parts"]:
            raise Refused(f"The resource '{target}' was not found")
        port = str(planned["port_range"]).split("-")[0]
        if address_id not in state["balancers"]:
            name = f"{self.label}-lb-{address_id.rsplit('/', 1)[1]}"
            state["balancers"][address_id] = {"name": name, "listeners": {}, "networks": []}
            self.start_balancer(
                address_id, [f"{self.internet_network()}:ip={state['lb_parts'][address_id]['address']}"], state
            )
        state["balancers"][address_id]["listeners"][port] = {"target_proxy": target, "rule": rule_id}
        self.write_balancers(state)
        return {
            "id": rule_id,
            "self_link": GOOGLE_API + rule_id,
            "ip_address": state["lb_parts"][address_id]["address"],
        }

    def google_compute_global_forwarding_rule_delete(self, prior: dict[str, Any], state: dict[str, Any]) -> None:
        for address_id, balancer in list(state["balancers"].items()):
            balancer["listeners"] = {p: v for p, v in balancer["listeners"].items() if v.get("rule") != prior["id"]}
            if not balancer["listeners"] and "networks" in balancer:
                self.podman.run("rm", "--force", "--time", "2", balancer["name"], check=False)
                for network_owner in balancer["networks"]:
                    self.release(network_owner, state)
                del state["balancers"][address_id]
        self.write_balancers(state)

    def gcp_balancer_legs(self, key: str, targets: list[list[Any]], state: dict[str, Any]) -> None:
        """Google's proxies reach the backends inside the VPC; here the balancer container gets an address in each
        subnet its targets are in (once it runs: its first forwarding rule starts it)."""
        balancer = state["balancers"][key]
        if not self.podman.exists("container", balancer["name"]):
            return
        for address, _port in targets:
            host = next(h for h in state["hosts"].values() if h["address"] == address)
            subnet = self.subnet(host["subnet"], state)
            owner = f"{key}@{host['subnet']}"
            if owner in balancer["networks"]:
                continue
            private = self.reserve(owner, subnet["cidr"], state, reserved_low=2, reserved_high=2)
            network = state["networks"][subnet["network"]]["network"]
            self.podman.run("network", "connect", "--ip", private, network, balancer["name"])
            balancer["networks"].append(owner)

    def gcp_listener(self, listener: dict[str, Any], state: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """A GCP listener resolved along its chain: (what balancer.py serves, the certificate id or "")."""
        parts = state["lb_parts"]
        proxy = parts.get(listener["target_proxy"], {})
        url_map = parts.get(proxy.get("url_map", ""), {})
        certificate = (proxy.get("certificates") or [""])[0]
        served: dict[str, Any] = {"protocol": "HTTPS" if certificate else "HTTP"}
        if url_map.get("redirect"):
            served["action"] = {"type": "redirect", "protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}
            return served, certificate
        service = parts.get(url_map.get("service", ""), {})
        targets = []
        for group_id in service.get("groups", []):
            group = parts.get(group_id, {})
            port = group.get("ports", {}).get(service["port_name"])
            for instance in group.get("instances", []):
                host = state["hosts"].get(instance)
                if host and port:
                    targets.append([host["address"], port])
        served["action"] = {"type": "forward", "targets": sorted(targets)}
        return served, certificate


SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"  # the simulated Azure subscription
RESOURCE_GROUPS_API, STORAGE_API = "2021-04-01", "2023-05-01"  # ARM api-versions of the calls the hook makes


def arm_id(group: str, path: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers/{path}"


def os_disk_name(vm: dict[str, Any]) -> str:
    return str((vm.get("os_disk") or [{}])[0].get("name") or f"{vm['name']}-os")


def azure_api() -> Any:
    """A client of the simulated Azure APIs (tests/simcloud/azureapi.py, reached through its proxy with the service
    principal scripts/simulated-cloud names), as the tool makes it; None when no API is simulated."""
    if not os.environ.get("AZURE_CLIENT_SECRET") or not os.environ.get("HTTPS_PROXY"):
        return None
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.compute import ComputeManagementClient

    return ComputeManagementClient(DefaultAzureCredential(exclude_interactive_browser_credential=True), SUBSCRIPTION)


def arm_request(method: str, resource_id: str, api_version: str, body: dict[str, Any] | None = None) -> None:
    """One ARM REST call through the compute client's pipeline (as the tool creates its snapshot group); nothing
    when no API is simulated. An error answer is the hook's refusal."""
    compute = azure_api()
    if compute is None:
        return
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest

    request = HttpRequest(method, resource_id, params={"api-version": api_version}, json=body)
    try:
        compute.send_request(request).raise_for_status()
    except HttpResponseError as error:
        raise Refused(f"{method} {resource_id}: {error}") from None


def single(values: Any, what: str) -> Any:
    if not isinstance(values, list) or len(values) != 1:
        raise Refused(f"{what}: exactly one expected, got {values!r}")
    return values[0]


GOOGLE_API = "https://www.googleapis.com/compute/v1/"
STORAGE_API = "https://www.googleapis.com/storage/v1/b/"
# Special-purpose ranges a GCP subnet may not use (VPC docs, "Subnets", prohibited IPv4 ranges; tests/simcloud/README.md
# says which of these facts were seen where); /29 is the smallest prefix.
GCP_PROHIBITED = ("0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4")


def google_ref(reference: str) -> str:
    """A resource named by id or by self link, as an id."""
    return reference.removeprefix(GOOGLE_API)


def check_gcp_range(cidr: str) -> None:
    network = ipaddress.ip_network(cidr)
    if network.version != 4 or not 8 <= network.prefixlen <= 29:
        raise Refused(f"Invalid IPCidrRange: {cidr}: a subnet's primary range is IPv4, /8 to /29")
    for prohibited in GCP_PROHIBITED:
        if network.overlaps(ipaddress.ip_network(prohibited)):
            raise Refused(f"Invalid IPCidrRange: {cidr} is within the prohibited range {prohibited}")


def guest_agent_login(name: str, metadata: dict[str, Any]) -> tuple[str, str]:
    """The account GCP's guest agent makes from the instance's `ssh-keys` metadata ("user:key" lines; the user in
    google-sudoers, passwordless sudo). With OS Login on, the agent ignores metadata keys: a host nobody can log in
    to, refused as the stacks would never mean it; so is anything but one user with one key."""
    if str(metadata.get("enable-oslogin", "")).lower() == "true":
        raise Refused(f"{name}: enable-oslogin is on, so the guest agent ignores ssh-keys (no login)")
    lines = [line for line in str(metadata.get("ssh-keys") or "").splitlines() if line.strip()]
    user, _, key = single(lines, f"{name}: ssh-keys").partition(":")
    if not user or not key.startswith("ssh-"):
        raise Refused(f"{name}: ssh-keys is not 'user:ssh-... key'")
    return user, key.strip()


class SimHosts(LocalHosts):
    """The local target's hosts, on the VPC's network instead of the local environment's own subnet."""

    subnet_of = ""

    def __init__(self, environment: str, podman: Any = None) -> None:
        super().__init__(environment, podman)
        # podman copies the proxy variables into every container it starts (--http-proxy defaults to true): the
        # simulated Google API's proxy is this machine's loopback, which no simulated VM has.
        for name in PROXY_VARIABLES:
            getattr(self.podman, "env", {}).pop(name, None)

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


# The script as a file run by its own interpreter line (the metadata script runner honours it), then removed.
TRUST_CA_SCRIPT = r"""set -e
cat >/usr/local/share/ca-certificates/openedx-deploy-simulated-cloud.crt
update-ca-certificates >/dev/null
mkdir -p /etc/containers/containers.conf.d
cat >/etc/containers/containers.conf.d/90-simulated-cloud-ca.conf <<'CONF'
# The simulated cloud (tests/simcloud/hook.py): the host's CA bundle, which trusts the simulated CA, in every container.
[containers]
volumes = ["/etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro"]
CONF
"""
RUN_SCRIPT = 'f=$(mktemp); cat >"$f"; chmod 0700 "$f"; rc=0; "$f" || rc=$?; rm -f "$f"; exit "$rc"'

STATE_KINDS = (
    "networks",
    "subnets",
    "addresses",
    "nics",
    "hosts",
    "vpcs",
    "balancers",
    "target_groups",
    "certificates",
    "lb_parts",
    "locks",
    "store_subnets",
    "db_parameters",
    "stores",
    "peering_ranges",
    "dns_zones",
    "caches",
)
ACCOUNT = "123456789012"  # the simulated AWS account (moto's default)
# The balancer runs on the hosts' base image (its Python), as the local target's hosts do.
BALANCER_IMAGE = os.environ.get("OPENEDX_DEPLOY_BASE_IMAGE", "localhost/openedx-deploy-base:bookworm")


def aws_api(service: str, region: str) -> Any:
    """A client of the simulated AWS API, the moto server at AWS_ENDPOINT_URL (scripts/simulated-cloud starts it);
    None when no API is simulated (tests/test_simcloud.py's reachability tests, which need the hosts alone)."""
    if not os.environ.get("AWS_ENDPOINT_URL"):
        return None
    import boto3

    return boto3.client(service, region_name=region)


def gcp_api(kind: str, project: str = "") -> Any:
    """A client of the simulated Google APIs (tests/simcloud/gcpapi.py, reached through its proxy with the key
    scripts/simulated-cloud names): "disks" (Compute Engine) or "storage"; None when no API is simulated."""
    if not os.environ.get("GOOGLE_APPLICATION_CREDENTIALS") or not os.environ.get("HTTPS_PROXY"):
        return None
    if kind == "storage":
        from google.cloud import storage

        return storage.Client(project=project or None)
    from google.cloud import compute_v1

    return compute_v1.DisksClient()


def aws_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def handle(request: dict[str, Any], simulation: Simulation) -> dict[str, Any]:
    method = getattr(simulation, f"{request['type']}_{request['op']}", None)
    if method is None:
        return {}
    simulation.provider_config = request.get("provider_config") or {}
    with locked_state(simulation.state_dir) as state:
        values = dict(request["prior"] if request["op"] == "delete" else request["planned"])
        if request.get("provider") == "google" and not values.get("project"):
            # The provider's project when the resource names none (the stacks leave it to the provider block).
            values["project"] = (request.get("provider_config") or {}).get("project") or "sim-project"
        return method(values, state) or {}


def cleanup(label: str, podman: Any = None) -> None:
    """Everything a simulation labelled `label` left: its hosts, its networks, and the machine's rules."""
    hosts = SimHosts(label, podman)
    for name in hosts.containers():
        hosts.podman.run("rm", "--force", "--volumes", "--time", "5", name, check=False, timeout=180)
    listed = hosts.podman.run("network", "ls", "--filter", f"label={LABEL}={label}", "--format", "{{.Name}}")
    for network in listed.stdout.split():
        hosts.podman.run("network", "rm", "--force", network, check=False)
    listed = hosts.podman.run("volume", "ls", "--filter", f"label={LABEL}={label}", "--format", "{{.Name}}")
    for volume in listed.stdout.split():
        hosts.podman.run("volume", "rm", "--force", volume, check=False)
    for table, chain in (("filter", "OUTPUT"), ("nat", "POSTROUTING")):
        listed = subprocess.run(["iptables", "-t", table, "-S", chain], capture_output=True, text=True, check=False)
        for line in listed.stdout.splitlines():
            if line.startswith(f"-A {chain} ") and f'"{IPTABLES_COMMENT} {label}"' in line:
                rule = shlex.split(line)[1:]
                subprocess.run(["iptables", "-t", table, "-D", *rule], capture_output=True, check=False)


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
