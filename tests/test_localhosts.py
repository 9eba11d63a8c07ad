"""The local target's host adapter (openedx_deploy/localhosts.py) waiting for systemd to boot in its hosts.

The podman command line is replaced by ScriptedPodman, a test double that answers each command from a script and
records what was asked; the clock is a fake one, so a 120 s boot timeout costs nothing. The real podman path runs in
the slow end-to-end test (tests/test_local_up.py).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from openedx_deploy import localhosts
from openedx_deploy.errors import DeployError
from openedx_deploy.localhosts import LocalHosts

Answer = tuple[int, str]  # (returncode, stdout)


class ScriptedPodman:
    """Test double of localhosts.Podman: `answer(args)` gives each command's (returncode, stdout)."""

    def __init__(self, answer: Callable[[tuple[str, ...]], Answer]) -> None:
        self.answer = answer
        self.asked: list[tuple[str, ...]] = []

    def run(self, *args: str, check: bool = True, timeout: int = 600) -> subprocess.CompletedProcess[str]:
        self.asked.append(args)
        code, out = self.answer(args)
        return subprocess.CompletedProcess(["podman", *args], code, out, "")

    def exists(self, kind: str, name: str) -> bool:
        return True

    def count(self, *prefix: str) -> int:
        return sum(1 for args in self.asked if args[: len(prefix)] == prefix)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(localhosts, "time", fake)
    return fake


def hosts(answer: Callable[[tuple[str, ...]], Answer]) -> tuple[LocalHosts, ScriptedPodman]:
    podman = ScriptedPodman(answer)
    return LocalHosts("demo", podman=podman), podman  # type: ignore[arg-type]


def systemd(boots: Callable[[], bool], **extra: Answer) -> Callable[[tuple[str, ...]], Answer]:
    """A host whose `systemctl is-system-running` answers `running` once boots() says so, and nothing before."""

    def answer(args: tuple[str, ...]) -> Answer:
        if args[:1] == ("exec",) and "is-system-running" in args:
            return (0, "running\n") if boots() else (1, "")
        if args[:1] == ("inspect",):
            return (0, "running\n") if args[2] == "{{.State.Status}}" else (0, "running (exit code 0) \n")
        if args[:1] == ("exec",) and "list-jobs" in args:
            return extra.get("jobs", (0, ""))
        if args[:1] == ("exec",) and "--failed" in args:
            return extra.get("failed", (0, ""))
        return extra.get(args[0], (0, ""))

    return answer


def test_a_host_that_boots_is_waited_for_and_not_restarted(clock: FakeClock) -> None:
    local, podman = hosts(systemd(lambda: clock.now >= 5))
    local.wait_booted("demo-app-1", timeout=120)
    assert podman.count("restart") == 0 and local.notes == []
    assert 5 <= clock.now < 10


def test_a_host_that_does_not_boot_is_restarted_once_and_the_restart_is_reported(clock: FakeClock) -> None:
    restarted: list[float] = []

    def answer(args: tuple[str, ...]) -> Answer:
        if args[0] == "restart":
            restarted.append(clock.now)
        return systemd(lambda: bool(restarted))(args)

    local, podman = hosts(answer)
    local.wait_booted("demo-app-1", timeout=120)
    assert podman.count("restart", "--time", "10", "demo-app-1") == 1
    assert restarted[0] >= 120  # the whole timeout was given to the first boot
    assert len(local.notes) == 1 and "demo-app-1 did not finish booting in 120s" in local.notes[0]
    assert "restarted it" in local.notes[0]


def test_a_host_that_never_boots_fails_with_what_podman_and_systemd_say() -> None:
    local, podman = hosts(
        systemd(
            lambda: False,
            jobs=(0, "12 dev-sda.device start running\n13 multi-user.target start waiting\n"),
            failed=(0, "systemd-journald.service loaded failed failed Journal Service\n"),
            logs=(0, "Freezing execution.\n"),
        )
    )
    with pytest.raises(DeployError) as raised:
        local.wait_booted("demo-app-1", timeout=60)
    message = str(raised.value)
    assert message.startswith("host demo-app-1 did not finish booting in 60s and 1 restart(s): ")
    assert "container running (exit code 0)" in message
    assert "systemd says nothing (its bus is not up)" in message
    assert "waiting on dev-sda.device, multi-user.target" in message
    assert "failed units: systemd-journald.service" in message
    assert "console: Freezing execution." in message
    assert podman.count("restart") == 1


def test_a_stopped_host_is_not_waited_for_the_whole_timeout(clock: FakeClock) -> None:
    started: list[Any] = []

    def answer(args: tuple[str, ...]) -> Answer:
        if args[0] == "restart":
            started.append(True)
        if args[0] == "inspect" and not started:
            return (0, "exited (exit code 255) \n" if "ExitCode" in args[2] else "exited\n")
        return systemd(lambda: bool(started))(args)

    local, podman = hosts(answer)
    local.wait_booted("demo-app-1", timeout=120)
    assert podman.count("restart") == 1
    assert clock.now < 5  # it saw the container had stopped and restarted it at once
    assert "container exited (exit code 255)" in local.notes[0]


def test_a_degraded_boot_counts_as_booted() -> None:
    local, podman = hosts(lambda args: (1, "degraded\n") if "is-system-running" in args else (0, ""))
    local.wait_booted("demo-app-1", timeout=120)
    assert podman.count("restart") == 0
