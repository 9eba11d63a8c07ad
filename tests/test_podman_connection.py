"""The project's `podman` connection (playbooks/connection_plugins/podman.py): Ansible picks it over the
collection's for the playbooks beside it, and it runs a pipelined module as one `podman exec -i`.

The podman calls are recorded, not run: the end-to-end tests and molecule run every local task through it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader

PLUGIN_DIR = Path(__file__).resolve().parent.parent / "playbooks" / "connection_plugins"


@pytest.fixture(scope="module")
def loaded() -> Any:
    connection_loader.add_directory(str(PLUGIN_DIR))
    return connection_loader.get("podman", PlayContext(), None)


@pytest.fixture
def connection(loaded: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Any, list[list[str]]]:
    calls: list[list[str]] = []
    merged = tmp_path / "merged"
    (merged / "etc").mkdir(parents=True)

    def podman(
        cmd: Any, cmd_args: list[str] | None = None, in_data: bytes | None = None, use_container_id: bool = True
    ) -> tuple[int, bytes, bytes]:
        line = [cmd] if isinstance(cmd, str) else list(cmd)
        if use_container_id:
            line.append("host-1")
        calls.append([*line, *(cmd_args or [])])
        return 0, f"{merged}\n".encode() if cmd == "mount" else b"{}", b""

    monkeypatch.setattr(loaded, "_podman", podman)
    monkeypatch.setattr(loaded, "_connected", False)
    monkeypatch.setattr(loaded, "_mount_tried", False)
    return loaded, calls


def test_ansible_loads_the_project_connection_for_the_short_name(loaded: Any) -> None:
    assert Path(loaded._original_path).resolve() == (PLUGIN_DIR / "podman.py").resolve()
    assert loaded.has_pipelining is True


def test_a_pipelined_module_is_one_exec_with_stdin_and_no_mount(connection: tuple[Any, list[list[str]]]) -> None:
    plugin, calls = connection
    rc, _out, _err = plugin.exec_command("/bin/sh -c '/usr/bin/python3 && sleep 0'", in_data=b"module source")
    assert rc == 0
    assert calls == [["exec", "-i", "host-1", "/bin/sh", "-c", "/usr/bin/python3 && sleep 0"]]


def test_a_command_without_input_gets_no_stdin(connection: tuple[Any, list[list[str]]]) -> None:
    plugin, calls = connection
    plugin.exec_command("/bin/sh -c 'echo ~'")
    assert calls == [["exec", "host-1", "/bin/sh", "-c", "echo ~"]]


def test_the_filesystem_is_mounted_once_for_the_first_copy(
    connection: tuple[Any, list[list[str]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin, calls = connection
    copied: list[tuple[str, str]] = []
    monkeypatch.setattr("shutil.copyfile", lambda src, dst: copied.append((src, dst)))
    source = tmp_path / "module.py"
    source.write_text("x = 1\n")
    plugin.put_file(str(source), "/root/.ansible/tmp/a/module.py")
    plugin.put_file(str(source), "/root/.ansible/tmp/a/module2.py")
    assert [c for c in calls if c[0] == "mount"] == [["mount", "host-1"]]
    assert len(copied) == 2
