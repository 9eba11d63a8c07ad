"""The `podman` connection of the local target's hosts, with pipelining.

containers.podman's connection runs every module in four steps: `podman exec` to make a temporary directory,
a copy of the module into it, `podman exec` to run it, `podman exec` to remove the directory. Its `exec` never passes
`-i`, so the module cannot come on standard input, and the collection turns pipelining off (`has_pipelining =
False`). Each `podman exec` costs a few tenths of a second (conmon and runc start for each), over some 350 host-task
runs in an `up` of the 5-host environment.

This connection is the collection's own, with one change: a command that has input runs with `podman exec -i`, so
Ansible's pipelining (ANSIBLE_PIPELINING, on in openedx_deploy/ansible.py) sends the module on standard input and
a module run is one `podman exec`, as it is one `ssh` on a cloud host. Ansible loads it in place of the collection's
because it sits beside the playbooks, in `connection_plugins/` (Ansible searches that directory before routing the
short name `podman` to containers.podman.podman). Mitogen's strategy, when chosen, replaces `podman` with its own
transport as before. docs/ansible.md has the measurements.
"""

from __future__ import annotations

import shlex

from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ConnectionBase, ensure_connect
from ansible_collections.containers.podman.plugins.connection.podman import Connection as CollectionConnection

DOCUMENTATION = """
    name: podman
    short_description: Run tasks in a local podman host, one `podman exec` per module run
    description:
      - containers.podman.podman with pipelining, for the hosts of openedx-deploy's local target.
    options:
      remote_addr:
        description: The name or ID of the container.
        default: inventory_hostname
        vars:
          - name: ansible_host
          - name: inventory_hostname
          - name: ansible_podman_host
      remote_user:
        description: The user commands run as in the container (the image's default when unset).
        vars:
          - name: ansible_user
      podman_extra_args:
        description: Arguments added to every podman command line.
        default: ''
        vars:
          - name: ansible_podman_extra_args
        env:
          - name: ANSIBLE_PODMAN_EXTRA_ARGS
      podman_executable:
        description: The podman binary.
        default: podman
        vars:
          - name: ansible_podman_executable
        env:
          - name: ANSIBLE_PODMAN_EXECUTABLE
"""


class Connection(CollectionConnection):  # type: ignore[misc]
    transport = "podman"
    has_pipelining = True
    _mount_tried = False

    def _connect(self) -> Connection:
        # The collection mounts the container's filesystem on every connection, that is every task, for the file
        # copies it may make; with pipelining most tasks copy nothing, so the mount waits for the first copy.
        ConnectionBase._connect(self)
        self._connected = True
        return self

    def _mount(self) -> None:
        if not self._mount_tried:
            self._mount_tried = True
            CollectionConnection._connect(self)

    def put_file(self, in_path: str, out_path: str) -> None:
        self._mount()
        super().put_file(in_path, out_path)

    def fetch_file(self, in_path: str, out_path: str) -> None:
        self._mount()
        super().fetch_file(in_path, out_path)

    @ensure_connect  # type: ignore[misc]
    def exec_command(self, cmd: str, in_data: bytes | None = None, sudoable: bool = False) -> tuple[int, bytes, bytes]:
        # The collection's exec_command, plus -i when there is input (a pipelined module on standard input).
        ConnectionBase.exec_command(self, cmd, in_data=in_data, sudoable=sudoable)
        arguments = shlex.split(to_native(cmd, errors="surrogate_or_strict"))
        exec_arguments = ["exec", "-i"] if in_data is not None else ["exec"]
        if self.user:
            exec_arguments += ["--user", self.user]
        return self._podman(exec_arguments, arguments, in_data)  # type: ignore[no-any-return]
