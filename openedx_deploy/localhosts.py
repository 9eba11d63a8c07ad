"""The local target's hosts: podman containers running systemd, one per host of the environment's layout.

They are started the way the molecule test hosts are (testhosts/): the Debian 12 systemd base image, the project's
containers.conf, CAP_NET_ADMIN for the nftables firewall, and for app and worker hosts the privileges nested
podman needs: --privileged with a private cgroup namespace. Not TEST-HARNESS's --cgroupns=host with the machine's
/sys/fs/cgroup bind-mounted read-write: on this cgroup v1 machine that lets the host's systemd rewrite the
machine's own cgroup tmpfs (docs/testing.md). Their network has
the subnet the rendered inventory names (topology.local_network_cidr): the app hosts behind the load balancer host
believe X-Forwarded-* from that subnet only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import DeployError
from .paths import assets_root
from .topology import DATA_GROUPS, local_network_cidr

BASE_IMAGE = "localhost/openedx-deploy-base:bookworm"
LABEL = "io.openedx-deploy.environment"
# Recorded on each host when it is created: its groups, and whether it holds data. `destroy` decides from these,
# never from the current layout, which may no longer list a data host an earlier layout created.
GROUPS_LABEL = "io.openedx-deploy.groups"
DATA_LABEL = "io.openedx-deploy.data"
BOOTED = ("running", "degraded")
# What the app and worker hosts of a multi-host local environment share, as a cloud's would share a network file
# system (EFS, Filestore, Azure Files): the lms and cms data directories and the media (the openedx_app, workers,
# openedx_jobs and proxy roles keep them under this directory: *_data_dir, *_media_dir). One podman volume per
# environment, mounted here on each of them, so that a course import Studio saves on an app host is there for the
# cms worker, and an upload for the LMS on every app host (docs/openedx-settings.md, "Several hosts"). It holds data:
# `destroy` keeps it, `destroy --include-data` removes it.
SHARED_DIR = "/var/lib/openedx"
# podman states a container can be started from.
STARTABLE = ("created", "configured", "exited", "stopped")
# systemd as init in a privileged host with its own cgroup namespace (the hosts that run containers), set up by hand
# rather than by podman's --systemd=always: on a cgroup v1 machine that mode bind-mounts the machine's whole
# name=systemd hierarchy over the host's own, which is right only with the machine's cgroup namespace. With a private
# one, the host's systemd takes that hierarchy's root for its own, moves itself and its units there, leaves its
# container's cgroup empty, and when it shuts down removes every empty cgroup it sees: every other host's included,
# after which `podman exec` into those hosts fails ("error adding pid ... cgroup.procs: no such file or
# directory"). Seen here: one host removed, every other privileged host unreachable (docs/testing.md). Without that
# mode, runc's own cgroup mounts are rooted at the host's cgroup on v1 and v2 alike; what the mode did besides is
# below: the variable systemd reads to know it is in a container, its stop signal, and tmpfs where it expects them.
PRIVILEGED_SYSTEMD = (
    "--systemd=false",
    "--env",
    "container=podman",
    "--stop-signal",
    "SIGRTMIN+3",
    "--tmpfs",
    "/run",
    "--tmpfs",
    "/run/lock",
    "--tmpfs",
    "/tmp",
)


@dataclass(frozen=True)
class LocalHost:
    name: str
    groups: tuple[str, ...]
    runs_containers: bool
    address: str = ""  # fixed by topology.local_hosts; "" lets podman pick (a layout from before fixed addresses)
    shares_files: bool = False  # mounts the environment's shared volume at SHARED_DIR


class Podman:
    """The podman command line, with the project's containers.conf."""

    def __init__(self, conf: Path | None = None) -> None:
        self.env = {
            **os.environ,
            "CONTAINERS_CONF": str(conf or assets_root("testhosts") / "testhosts" / "containers.conf"),
        }

    def run(
        self, *args: str, check: bool = True, timeout: int = 600, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """One podman command (`stdin`: what it reads, for `exec -i`). One that does not end within `timeout`
        seconds (an exec into a hung host, say) is killed and answers 124 with a message, like coreutils'
        timeout(1), so callers treat it as any failure."""
        try:
            result = subprocess.run(
                ["podman", *args], env=self.env, capture_output=True, text=True, timeout=timeout, input=stdin
            )
        except subprocess.TimeoutExpired:
            result = subprocess.CompletedProcess(["podman", *args], 124, "", f"no answer in {timeout}s")
        if check and result.returncode != 0:
            raise DeployError(f"podman {' '.join(args[:2])} failed: {result.stderr.strip() or result.stdout.strip()}")
        return result

    def exists(self, kind: str, name: str) -> bool:
        return self.run(kind, "exists", name, check=False).returncode == 0


# What cloud-init does on a cloud's hosts (terraform/modules/*/app_hosts user data), done through podman exec on a
# local host reached over SSH: the login user with passwordless sudo and the operator's key, and the environment's
# host key (read from stdin, never a command line) as the only key sshd presents. Idempotent; sshd restarts only
# when its key changed. Arguments: the user, the authorized public key.
GRANT_SSH_SCRIPT = r"""
set -eu
user=$1 authorized=$2
umask 077
key=$(cat)
id -u "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash --groups sudo "$user"
printf '%s ALL=(ALL) NOPASSWD:ALL\n' "$user" >/etc/sudoers.d/90-openedx-deploy
chmod 0440 /etc/sudoers.d/90-openedx-deploy
home=$(getent passwd "$user" | cut -d: -f6)
install -d -m 0700 -o "$user" -g "$user" "$home/.ssh"
printf '%s\n' "$authorized" >"$home/.ssh/authorized_keys"
chown "$user:$user" "$home/.ssh/authorized_keys"
if [ "$(cat /etc/ssh/ssh_host_ed25519_key 2>/dev/null)" != "$key" ]; then
  rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub
  printf '%s\n' "$key" >/etc/ssh/ssh_host_ed25519_key
  ssh-keygen -y -f /etc/ssh/ssh_host_ed25519_key >/etc/ssh/ssh_host_ed25519_key.pub
  chmod 0644 /etc/ssh/ssh_host_ed25519_key.pub
  systemctl restart ssh
fi
"""


def podman_lines(text: str) -> list[str]:
    """What podman printed, without its own `level=warning` lines (cgroup and conmon chatter on some machines)."""
    return [line for line in text.strip().splitlines() if "level=warning" not in line]


def init_process_state(pid: str, proc: Path = Path("/proc")) -> str:
    """A host's init as the machine's kernel sees it: its state letter and what it waits in (wchan), read from
    /proc without entering the host, which is what a hung host would not allow. "D" (uninterruptible) is an init
    no signal can stop: podman then leaves the container "stopping"."""
    if not pid.isdigit() or pid == "0":
        return "is not running"
    try:
        state = (proc / pid / "stat").read_text().rsplit(")", 1)[1].split()[0]
        wchan = (proc / pid / "wchan").read_text().strip()
    except (OSError, IndexError):
        return f"(pid {pid}) could not be read from {proc}"
    return f"(pid {pid}) is in state {state}" + (f", waiting in {wchan}" if wchan not in ("", "0") else "")


class LocalHosts:
    """Creates, inspects and removes the podman hosts of one local environment. Every call is idempotent."""

    def __init__(self, environment: str, podman: Podman | None = None, image: str = BASE_IMAGE) -> None:
        self.environment = environment
        self.podman = podman or Podman()
        self.image = image
        self.notes: list[str] = []  # what this object did that the operator should hear about (a restarted host)

    @staticmethod
    def from_layout(layout: Mapping[str, Any]) -> list[LocalHost]:
        """Hosts from build/<name>/terraform/local-hosts.json (topology.local_hosts)."""
        return [
            LocalHost(
                h["name"],
                tuple(h["groups"]),
                bool(h["runs_containers"]),
                h.get("address", ""),
                bool(h.get("shares_files")),
            )
            for h in layout["hosts"]
        ]

    def ensure_base_image(self) -> None:
        """Build the base image unless it is there at the recipe's current revision (the script checks its label,
        in a fraction of a second, so an image from an older recipe is never run by mistake)."""
        script = assets_root("testhosts") / "testhosts" / "build-base-image"
        # Through bash: an install may not keep the executable bit.
        result = subprocess.run(
            ["bash", str(script)],
            env={**self.podman.env, "OPENEDX_DEPLOY_BASE_IMAGE": self.image},
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if result.returncode != 0:
            raise DeployError(f"building the base image failed: {result.stderr.strip()[-2000:]}")

    @property
    def subnet(self) -> str:
        return local_network_cidr(self.environment)

    def ensure_network(self, network: str) -> None:
        if self.podman.exists("network", network):
            return
        created = self.podman.run(
            "network", "create", "--subnet", self.subnet, "--label", f"{LABEL}={self.environment}", network, check=False
        )
        if created.returncode != 0:
            raise DeployError(
                f"podman network create {network} --subnet {self.subnet} failed: {created.stderr.strip()}. The subnet "
                f"follows from the environment name; if another podman network holds it, remove that network or "
                f"choose another environment name"
            )

    def network_subnets(self, network: str) -> list[str]:
        inspected = json.loads(self.podman.run("network", "inspect", network).stdout or "[]")
        return [s.get("subnet", "") for n in inspected for s in n.get("subnets") or []]

    def check_subnet(self, network: str) -> None:
        """The network must have the subnet the inventory names: the app hosts trust the load balancer from it, and
        each host's fixed address is in it."""
        subnets = self.network_subnets(network)
        if self.subnet not in subnets:
            raise DeployError(
                f"network {network} has subnet {', '.join(subnets) or 'none'}, but the inventory places the hosts "
                f"in {self.subnet} (the network predates fixed subnets): remove the environment's hosts "
                f"and network (`openedx-deploy destroy -e {self.environment} --include-data`) and run `up` again"
            )

    def run_args(self, host: LocalHost, network: str) -> list[str]:
        args = [
            "run",
            "-d",
            "--name",
            host.name,
            "--hostname",
            host.name,
            "--network",
            network,
            *(["--ip", host.address] if host.address else []),
            *(PRIVILEGED_SYSTEMD if host.runs_containers else ["--systemd=always"]),
            "--cap-add",
            "NET_ADMIN",
            "--label",
            f"{LABEL}={self.environment}",
            "--label",
            f"{GROUPS_LABEL}={','.join(host.groups)}",
            "--label",
            f"{DATA_LABEL}={'true' if set(DATA_GROUPS) & set(host.groups) else 'false'}",
        ]
        if host.runs_containers:
            # Nested podman: privileged, with its own cgroup namespace so the paths its runc sees match the cgroup
            # mounts podman gives it. Its image store cannot be overlay on the host's overlay root, so it gets a
            # volume (a plain directory on the host's filesystem) that lives as long as the host and goes with `rm -v`.
            args += ["--privileged", "--cgroupns=private", "-v", "/var/lib/containers"]
        if host.shares_files:
            args += ["-v", f"{self.shared_volume}:{SHARED_DIR}"]
        return [*args, self.image, "/sbin/init"]

    @property
    def shared_volume(self) -> str:
        return f"{self.environment}-shared"

    def ensure_shared_volume(self) -> None:
        if not self.podman.exists("volume", self.shared_volume):
            self.podman.run("volume", "create", "--label", f"{LABEL}={self.environment}", self.shared_volume)

    def mounts_shared_volume(self, name: str) -> bool:
        inspected = self.podman.run("inspect", "--format", "{{range .Mounts}}{{.Name}} {{end}}", name, check=False)
        return self.shared_volume in inspected.stdout.split()

    def ensure_hosts(self, hosts: Sequence[LocalHost], network: str) -> list[str]:
        """Start what is missing or stopped; returns the names of hosts this call created."""
        self.ensure_base_image()
        self.ensure_network(network)
        # A load balancer host needs the subnet its app hosts trust; a new host, the subnet its fixed address is in.
        missing = [host for host in hosts if not self.podman.exists("container", host.name)]
        if any("load_balancer" in host.groups for host in hosts) or any(host.address for host in missing):
            self.check_subnet(network)
        if any(host.shares_files for host in hosts):
            self.ensure_shared_volume()
        created = []
        for host in hosts:
            if host not in missing and host.runs_containers and self.in_podman_systemd_mode(host.name):
                self.move_off_podman_systemd_mode(host, missing)
            if host not in missing and host.shares_files and not self.mounts_shared_volume(host.name):
                self.notes.append(
                    f"host {host.name} was made before the app and worker hosts shared {SHARED_DIR} (volume "
                    f"{self.shared_volume}): its files there are its own, so the other hosts do not see them. To "
                    f"share them: copy what it holds there (uploads, course imports), `destroy` (data hosts and the "
                    f"volume are kept), `up`, and copy them back"
                )
            if host in missing:
                self.podman.run(*self.run_args(host, network))
                created.append(host.name)
            elif self.state(host.name) != "running":
                self.start(host.name)
        for host in hosts:
            try:
                self.wait_booted(host.name)
            except DeployError as error:
                if host.name not in created:
                    raise
                # New this run, so it holds nothing yet: a fresh container is a cleaner retry than a third boot.
                self.notes.append(f"{error}; the host was new and held nothing: created it again")
                self.podman.run("rm", "--force", "--volumes", "--time", "10", host.name, check=False, timeout=180)
                self.podman.run(*self.run_args(host, network))
                self.wait_booted(host.name, restarts=0)
        return created

    def in_podman_systemd_mode(self, name: str) -> bool:
        """Whether the host was created with podman's --systemd=always (hosts that run containers were, before
        PRIVILEGED_SYSTEMD): on cgroup v1 its systemd lives in the machine's name=systemd root."""
        inspected = self.podman.run("inspect", "--format", "{{.Config.SystemdMode}}", name, check=False)
        return inspected.returncode == 0 and inspected.stdout.strip() == "true"

    def move_off_podman_systemd_mode(self, host: LocalHost, missing: list[LocalHost]) -> None:
        """A host made before PRIVILEGED_SYSTEMD: one that holds no data is removed and joins `missing`, to be made
        again with the current flags; one that may hold data is kept, and the operator is told the risk and the
        way out."""
        labels = self.containers().get(host.name, {})
        if self.holds_data(host.name, labels):
            self.notes.append(
                f"host {host.name} runs systemd in podman's --systemd=always mode, as hosts that run containers were "
                f"made before; on a cgroup v1 machine, stopping another such host can leave it unreachable until "
                f"`podman restart {host.name}`. It may hold data, so it was kept: to move it, `backup`, `destroy "
                f"--include-data`, `up` and `restore` (docs/testing.md)"
            )
            return
        self.notes.append(
            f"host {host.name} was made with podman's --systemd=always mode and holds no data: made it again with "
            f"systemd set up by hand (docs/testing.md)"
        )
        self.podman.run("rm", "--force", "--volumes", "--time", "10", host.name, timeout=180)
        missing.append(host)

    def state(self, name: str) -> str:
        result = self.podman.run("inspect", "--format", "{{.State.Status}}", name, check=False)
        return result.stdout.strip() if result.returncode == 0 else "absent"

    def start(self, name: str) -> None:
        """Start a host that is not running. One left "stopping" (a stop that never saw its init exit, e.g. a run
        killed mid-restart) cannot be started: it is killed first and given up to 30 s to be reaped."""
        if self.state(name) not in STARTABLE:
            self.podman.run("kill", "--signal", "KILL", name, check=False, timeout=60)
            deadline = time.monotonic() + 30
            while self.state(name) not in STARTABLE and time.monotonic() < deadline:
                time.sleep(1)
        self.podman.run("start", name)

    def wait_booted(self, name: str, timeout: float = 120, restarts: int = 1) -> None:
        """Wait until systemd in the host has booted. A host whose systemd is not up by then is stopped (killed if
        the stop does not take) and started again, its filesystem and volumes kept, up to `restarts` times, each
        noted in `self.notes`; after that the error says what podman and systemd reported at each attempt, so the
        operator need not go looking."""
        seen: list[str] = []
        for attempt in range(restarts + 1):
            status, error = self._poll_boot(name, timeout)
            if status in BOOTED:
                return
            seen.append(self.boot_diagnosis(name, status, error))
            if attempt == restarts:
                after = f" and {restarts} restart(s)" if restarts else ""
                earlier = "".join(f" [attempt {n + 1}: {d}]" for n, d in enumerate(seen[:-1]))
                raise DeployError(f"host {name} did not finish booting in {timeout:.0f}s{after}: {seen[-1]}{earlier}")
            self.notes.append(f"host {name} did not finish booting in {timeout:.0f}s ({seen[-1]}): restarted it")
            self.podman.run("stop", "--time", "10", name, check=False, timeout=120)
            try:
                self.start(name)
            except DeployError as error:
                # The next poll sees the container is not running; the final error says what state it is in.
                self.notes.append(f"host {name} could not be started again: {error}")

    def _poll_boot(self, name: str, timeout: float) -> tuple[str, str]:
        """systemd's own word on the boot (`systemctl is-system-running`), polled until it is booted, the container
        stops, or the time is up. Returns the last answer ("" when systemd could not be asked) and, when there was
        no answer, the last line podman or systemctl printed on stderr."""
        deadline = time.monotonic() + timeout
        while True:
            asked = self.podman.run("exec", name, "systemctl", "is-system-running", check=False, timeout=30)
            status = asked.stdout.strip()
            said = podman_lines(asked.stderr or "")
            error = said[-1] if said and not status else ""
            if status in BOOTED or time.monotonic() >= deadline:
                return status, error
            if not status and self.state(name) != "running":
                return status, error
            time.sleep(1)

    def boot_diagnosis(self, name: str, status: str, error: str = "") -> str:
        """What the container and its systemd say about a host that did not boot, in one line."""

        def lines(*args: str) -> list[str]:
            answer = self.podman.run(*args, check=False, timeout=30)
            text = answer.stdout + answer.stderr if args[0] == "logs" else answer.stdout
            return podman_lines(text) if answer.returncode == 0 else []

        state = lines("inspect", "--format", "{{.State.Status}} (exit code {{.State.ExitCode}}) {{.State.Error}}", name)
        parts = [f"container {' '.join(state[0].split()) if state else 'absent'}"]
        parts.append(f"systemd says {status or 'nothing (its bus is not up)'}")
        if error:
            parts.append(f"the exec printed: {error[-300:]}")
        if jobs := [
            line.split()[1] for line in lines("exec", name, "systemctl", "list-jobs", "--no-legend") if " " in line
        ]:
            parts.append(f"waiting on {', '.join(jobs[:5])}")
        if failed := [
            line.split()[0] for line in lines("exec", name, "systemctl", "--failed", "--no-legend", "--plain")
        ]:
            parts.append(f"failed units: {', '.join(failed)}")
        if pid := lines("inspect", "--format", "{{.State.Pid}}", name):
            parts.append(f"its init {init_process_state(pid[0])}")
        if console := lines("logs", "--tail", "5", name):
            parts.append(f"console: {' | '.join(console)[-500:]}")
        return "; ".join(parts)

    def grant_ssh(self, host: LocalHost, network: str, user: str, authorized_key: str, host_key: str) -> None:
        """Make `host` reachable as a cloud host is: over SSH on its fixed address, as `user` with `authorized_key`,
        presenting `host_key` (GRANT_SSH_SCRIPT). A host created before addresses were fixed has another address
        than the inventory names: refused, naming the fix."""
        address = self.address(host.name, network)
        if address != host.address:
            raise DeployError(
                f"host {host.name} has address {address or 'none'} on {network}, but the inventory reaches it over "
                f"SSH at {host.address} (the host predates fixed addresses): use the podman transport, or recreate "
                f"the hosts (`backup`, then `destroy --include-data` and `up`)"
            )
        self.podman.run(
            "exec", "-i", host.name, "sh", "-c", GRANT_SSH_SCRIPT, "grant-ssh", user, authorized_key, stdin=host_key
        )

    def addresses(self, network: str) -> dict[str, str]:
        """Each of this environment's hosts and its address on the environment's network."""
        listed = self.podman.run("ps", "-a", "--filter", f"label={LABEL}={self.environment}", "--format", "json")
        names = [container["Names"][0] for container in json.loads(listed.stdout or "[]")]
        return {name: self.address(name, network) for name in names}

    def address(self, name: str, network: str) -> str:
        """A host's address on `network`, "" when it has none there."""
        inspected = json.loads(self.podman.run("inspect", name).stdout)[0]
        return str(inspected.get("NetworkSettings", {}).get("Networks", {}).get(network, {}).get("IPAddress", ""))

    def containers(self) -> dict[str, dict[str, str]]:
        """This environment's containers, running or not, with their labels."""
        listed = self.podman.run("ps", "-a", "--filter", f"label={LABEL}={self.environment}", "--format", "json")
        found: dict[str, dict[str, str]] = {}
        for container in json.loads(listed.stdout or "[]"):
            labels = container.get("Labels") or {}
            if labels.get(LABEL) != self.environment:
                continue
            found[container["Names"][0]] = {str(k): str(v) for k, v in labels.items()}
        return found

    def holds_data(self, name: str, labels: Mapping[str, str]) -> bool:
        """Whether a host may hold data, from what was recorded when it was created. A host without the record (made
        before it existed) holds data unless its name is one of the stateless kinds (app, worker, load balancer)."""
        recorded = labels.get(DATA_LABEL)
        if recorded in ("true", "false"):
            return recorded == "true"
        if GROUPS_LABEL in labels:
            return bool(set(DATA_GROUPS) & set(labels[GROUPS_LABEL].split(",")))
        stateless = re.fullmatch(rf"{re.escape(self.environment)}-((app|worker)-[0-9]+|lb)", name)
        return stateless is None

    def remove(self, network: str, include_data: bool = False, keep: Sequence[str] = ()) -> dict[str, list[str]]:
        """Remove this environment's hosts, found by their environment label (whatever the current layout says).
        Without `include_data` every host that may hold data is kept, as are those in `keep`; the network goes
        once no host is left on it. Returns {"removed": [...], "kept": [...]}."""
        containers = self.containers()
        kept = sorted(
            name
            for name, labels in containers.items()
            if name in keep or (not include_data and self.holds_data(name, labels))
        )
        removed = sorted(name for name in containers if name not in kept)
        for name in removed:
            self.podman.run("rm", "-f", "-v", "-t", "10", name)
        if not kept and self.podman.exists("network", network):
            self.podman.run("network", "rm", network)
        # The shared volume holds uploads: it goes with the data, once no host mounts it.
        if self.podman.exists("volume", self.shared_volume):
            if include_data and not kept:
                self.podman.run("volume", "rm", "--force", self.shared_volume)
                removed.append(f"volume {self.shared_volume}")
            else:
                kept.append(f"volume {self.shared_volume}")
        return {"removed": removed, "kept": kept}
