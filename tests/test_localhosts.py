"""The local target's host adapter (openedx_deploy/localhosts.py) waiting for systemd to boot in its hosts.

The podman command line is replaced by ScriptedPodman, a test double that answers each command from a script and
records what was asked; the clock is a fake one, so a 120 s boot timeout costs nothing. The real podman path runs in
the slow end-to-end test (tests/test_local_up.py).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from openedx_deploy import localhosts
from openedx_deploy.errors import DeployError
from openedx_deploy.localhosts import LocalHosts

Answer = tuple[int, str] | tuple[int, str, str]  # (returncode, stdout[, stderr])


class ScriptedPodman:
    """Test double of localhosts.Podman: `answer(args)` gives each command's (returncode, stdout)."""

    def __init__(self, answer: Callable[[tuple[str, ...]], Answer]) -> None:
        self.answer = answer
        self.asked: list[tuple[str, ...]] = []

    def run(self, *args: str, check: bool = True, timeout: int = 600) -> subprocess.CompletedProcess[str]:
        self.asked.append(args)
        code, out, *err = self.answer(args)
        return subprocess.CompletedProcess(["podman", *args], code, out, err[0] if err else "")

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
    assert podman.count("stop") == 0 and podman.count("start") == 0 and local.notes == []
    assert 5 <= clock.now < 10


def test_a_host_that_does_not_boot_is_restarted_once_and_the_restart_is_reported(clock: FakeClock) -> None:
    restarted: list[float] = []
    stopped: list[bool] = []

    def answer(args: tuple[str, ...]) -> Answer:
        if args[0] == "stop":
            stopped.append(True)
        if args[0] == "start":
            restarted.append(clock.now)
        if args[:3] == ("inspect", "--format", "{{.State.Status}}") and stopped and not restarted:
            return (0, "exited\n")
        return systemd(lambda: bool(restarted))(args)

    local, podman = hosts(answer)
    local.wait_booted("demo-app-1", timeout=120)
    assert podman.count("stop", "--time", "10", "demo-app-1") == 1
    assert podman.count("start", "demo-app-1") == 1 and podman.count("kill") == 0
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
    assert podman.count("stop") == 1


def test_a_stopped_host_is_not_waited_for_the_whole_timeout(clock: FakeClock) -> None:
    started: list[Any] = []

    def answer(args: tuple[str, ...]) -> Answer:
        if args[0] == "start":
            started.append(True)
        if args[0] == "inspect" and not started:
            return (0, "exited (exit code 255) \n" if "ExitCode" in args[2] else "exited\n")
        return systemd(lambda: bool(started))(args)

    local, podman = hosts(answer)
    local.wait_booted("demo-app-1", timeout=120)
    assert podman.count("start") == 1
    assert clock.now < 5  # it saw the container had stopped and restarted it at once
    assert "container exited (exit code 255)" in local.notes[0]


def test_a_degraded_boot_counts_as_booted() -> None:
    local, podman = hosts(lambda args: (1, "degraded\n") if "is-system-running" in args else (0, ""))
    local.wait_booted("demo-app-1", timeout=120)
    assert podman.count("stop") == 0


def test_a_host_left_stopping_is_killed_before_it_is_started(clock: FakeClock) -> None:
    """A stop that never saw its init exit leaves podman's state at "stopping", from which `podman start` refuses
    ("container state improper"): CI saw exactly this on the run after a host failed to boot."""
    killed: list[float] = []

    def answer(args: tuple[str, ...]) -> Answer:
        if args[0] == "kill":
            killed.append(clock.now)
        if args[:3] == ("inspect", "--format", "{{.State.Status}}"):
            return (0, "stopped\n" if killed and clock.now >= killed[0] + 3 else "stopping\n")
        if args[0] == "start" and not killed:
            return (125, "", "container state improper")
        return (0, "")

    local, podman = hosts(answer)
    local.start("demo-app-1")
    assert podman.count("kill", "--signal", "KILL", "demo-app-1") == 1
    assert podman.count("start", "demo-app-1") == 1 and clock.now >= 3


def test_the_final_boot_error_keeps_every_attempt_and_what_the_exec_printed() -> None:
    attempts: list[str] = []

    def answer(args: tuple[str, ...]) -> Answer:
        if args[0] == "start":
            attempts.append("started")
        if args[:1] == ("exec",) and "is-system-running" in args:
            return (1, "", "Failed to connect to bus: No such file or directory")
        if args[:3] == ("inspect", "--format", "{{.State.Status}}"):
            return (0, "running\n")
        if args[:3] == ("inspect", "--format", "{{.State.Pid}}"):
            return (0, "0\n")
        if args[0] == "inspect":
            return (0, f"running (exit code {len(attempts)}) \n")
        return (0, "")

    local, _podman = hosts(answer)
    with pytest.raises(DeployError) as raised:
        local.wait_booted("demo-app-1", timeout=30)
    message = str(raised.value)
    assert "the exec printed: Failed to connect to bus: No such file or directory" in message
    assert "container running (exit code 1)" in message  # the last attempt, first
    assert "[attempt 1: container running (exit code 0)" in message  # then the earlier one
    assert "its init is not running" in message


def test_init_state_is_read_from_proc_without_entering_the_host(tmp_path: Path) -> None:
    (tmp_path / "4242").mkdir()
    (tmp_path / "4242" / "stat").write_text("4242 (systemd (init)) D 0 4242 4242 0 -1 4194560 0 0")
    (tmp_path / "4242" / "wchan").write_text("autofs_wait")
    assert localhosts.init_process_state("4242", tmp_path) == "(pid 4242) is in state D, waiting in autofs_wait"
    assert localhosts.init_process_state("0", tmp_path) == "is not running"
    assert "could not be read" in localhosts.init_process_state("7", tmp_path)


def test_a_podman_command_that_hangs_answers_124_instead_of_raising(monkeypatch: pytest.MonkeyPatch) -> None:
    def hang(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        raise subprocess.TimeoutExpired(argv, kwargs["timeout"])

    monkeypatch.setattr(localhosts.subprocess, "run", hang)
    podman = localhosts.Podman()
    answer = podman.run("exec", "demo-app-1", "true", check=False, timeout=30)
    assert answer.returncode == 124 and answer.stderr == "no answer in 30s"
    with pytest.raises(DeployError, match="no answer in 30s"):
        podman.run("exec", "demo-app-1", "true", timeout=30)


# ----------------------------------------------------------------------------------------------------
# destroy: data hosts survive without --include-data, whatever the current layout says


class LabelledPodman(ScriptedPodman):
    """Podman holding containers with labels: `ps` lists them, `rm` removes them; and volumes: `volume exists`,
    `volume create` and `volume rm` act on them."""

    def __init__(self, containers: dict[str, dict[str, str]], volumes: set[str] | None = None) -> None:
        self.containers = containers
        self.volumes = volumes if volumes is not None else set()
        super().__init__(self._answer)

    def exists(self, kind: str, name: str) -> bool:
        return name in self.volumes if kind == "volume" else True

    def _answer(self, args: tuple[str, ...]) -> Answer:
        if args[:2] == ("volume", "create"):
            self.volumes.add(args[-1])
        if args[:2] == ("volume", "rm"):
            self.volumes.discard(args[-1])
        if args[:2] == ("ps", "-a"):
            wanted = args[args.index("--filter") + 1].removeprefix("label=")
            key, _, value = wanted.partition("=")
            listed = [
                {"Names": [name], "Labels": labels}
                for name, labels in self.containers.items()
                if labels.get(key) == value
            ]
            return 0, json.dumps(listed)
        if args[:1] == ("rm",):
            self.containers.pop(args[-1])
        return 0, ""


def labels(groups: str | None, data: str | None = None, environment: str = "demo") -> dict[str, str]:
    found = {localhosts.LABEL: environment}
    if groups is not None:
        found[localhosts.GROUPS_LABEL] = groups
    if data is not None:
        found[localhosts.DATA_LABEL] = data
    return found


def test_hosts_record_their_groups_and_whether_they_hold_data() -> None:
    demo = LocalHosts("demo", podman=ScriptedPodman(lambda a: (0, "")))  # type: ignore[arg-type]
    data_args = demo.run_args(localhosts.LocalHost("demo-data-2", ("mongodb",), False), "demo-net")
    app_args = demo.run_args(localhosts.LocalHost("demo-app-1", ("app",), True), "demo-net")
    assert f"{localhosts.DATA_LABEL}=true" in data_args and f"{localhosts.GROUPS_LABEL}=mongodb" in data_args
    assert f"{localhosts.DATA_LABEL}=false" in app_args and f"{localhosts.GROUPS_LABEL}=app" in app_args


def test_destroy_keeps_a_data_host_the_current_layout_no_longer_lists() -> None:
    """demo-data-3 was a MongoDB member of an earlier layout (mongodb.count 3, now 1): still a data host."""
    containers = {
        "demo-data-1": labels("mysql,redis,mongodb,search", "true"),
        "demo-data-3": labels("mongodb", "true"),
        "demo-app-1": labels("app", "false"),
        "demo-app-2": labels("app", "false"),  # dropped from the layout too: stateless, so it goes
        "demo-lb": labels("load_balancer", "false"),
        "other-data-1": labels("mysql", "true", environment="other"),
    }
    podman = LabelledPodman(containers)
    summary = LocalHosts("demo", podman=podman).remove("demo-net")  # type: ignore[arg-type]
    assert summary == {"removed": ["demo-app-1", "demo-app-2", "demo-lb"], "kept": ["demo-data-1", "demo-data-3"]}
    assert sorted(containers) == ["demo-data-1", "demo-data-3", "other-data-1"]
    assert podman.count("network", "rm") == 0, "the network goes only with the last host"


def test_hosts_from_before_the_labels_are_kept_unless_named_stateless() -> None:
    containers = {
        "demo-1": labels(None),  # the single profile's host: data on it
        "demo-data-2": labels(None),
        "demo-mystery": labels(None),
        "demo-app-1": labels(None),
        "demo-worker-2": labels(None),
        "demo-lb": labels(None),
        "demo-old": labels("mysql"),  # groups recorded, data flag not
    }
    summary = LocalHosts("demo", podman=LabelledPodman(containers)).remove("demo-net")  # type: ignore[arg-type]
    assert summary["kept"] == ["demo-1", "demo-data-2", "demo-mystery", "demo-old"]
    assert summary["removed"] == ["demo-app-1", "demo-lb", "demo-worker-2"]


def test_destroy_with_include_data_removes_every_host_and_the_network() -> None:
    containers = {"demo-data-1": labels("mysql", "true"), "demo-data-7": labels(None), "demo-app-1": labels("app")}
    podman = LabelledPodman(containers)
    summary = LocalHosts("demo", podman=podman).remove("demo-net", include_data=True)  # type: ignore[arg-type]
    assert summary == {"removed": ["demo-app-1", "demo-data-1", "demo-data-7"], "kept": []}
    assert containers == {} and podman.count("network", "rm") == 1


def test_the_app_and_worker_hosts_of_a_multi_host_environment_share_one_volume() -> None:
    """Outside single the hosts that run the app and worker containers mount the environment's shared volume where
    the roles keep the data and media directories; a data host and the single profile's host do not."""
    from openedx_deploy.spec import parse_spec
    from openedx_deploy.topology import local_hosts

    def layout(size: str) -> dict[str, localhosts.LocalHost]:
        spec = parse_spec({"name": "demo", "cloud": "local", "size": size})
        return {h.name: h for h in LocalHosts.from_layout(local_hosts(spec))}

    demo = LocalHosts("demo", podman=LabelledPodman({}))  # type: ignore[arg-type]
    mount = ["-v", f"demo-shared:{localhosts.SHARED_DIR}"]
    standard = layout("standard")
    sharing = {name for name, host in standard.items() if host.shares_files}
    assert sharing == {"demo-app-1", "demo-worker-1"}, sharing
    for name, host in standard.items():
        args = demo.run_args(host, "demo-net")
        assert (" ".join(mount) in " ".join(args)) == (name in sharing), (name, args)
    assert not any(h.shares_files for h in layout("single").values())


def test_the_shared_volume_is_data_kept_by_destroy_and_removed_with_it() -> None:
    containers = {"demo-data-1": labels("mysql", "true"), "demo-app-1": labels("app", "false")}
    podman = LabelledPodman(containers, {"demo-shared"})
    kept = LocalHosts("demo", podman=podman).remove("demo-net")  # type: ignore[arg-type]
    assert kept == {"removed": ["demo-app-1"], "kept": ["demo-data-1", "volume demo-shared"]}
    assert podman.volumes == {"demo-shared"}
    removed = LocalHosts("demo", podman=podman).remove("demo-net", include_data=True)  # type: ignore[arg-type]
    assert removed == {"removed": ["demo-data-1", "volume demo-shared"], "kept": []}
    assert podman.volumes == set() and containers == {}


def test_up_creates_the_shared_volume_and_names_a_host_made_without_it() -> None:
    """A host from before the shared volume keeps its own files there: `up` says so and what to do, and mounts
    nothing behind the operator's back."""
    podman = LabelledPodman({})
    asked_inspect: list[str] = []

    def answer(args: tuple[str, ...]) -> Answer:
        if args[0] == "inspect" and "{{range .Mounts}}{{.Name}} {{end}}" in args:
            asked_inspect.append(args[-1])
            return (0, "" if args[-1] == "demo-app-1" else "demo-shared ")
        if args[0] == "inspect":
            return (0, "running" if "{{.State.Status}}" in args else "false")
        return podman._answer(args)

    podman.answer = answer
    local = LocalHosts("demo", podman=podman)  # type: ignore[arg-type]
    local.ensure_base_image = lambda: None  # type: ignore[method-assign]
    local.ensure_network = lambda network: None  # type: ignore[method-assign]
    local.check_subnet = lambda network: None  # type: ignore[method-assign]
    local.wait_booted = lambda name, restarts=1: None  # type: ignore[method-assign]
    hosts = [localhosts.LocalHost(f"demo-{n}", ("app",), True, "", True) for n in ("app-1", "app-2")]
    assert local.ensure_hosts(hosts, "demo-net") == []
    assert podman.volumes == {"demo-shared"} and sorted(asked_inspect) == ["demo-app-1", "demo-app-2"]
    (note,) = local.notes
    assert note.startswith("host demo-app-1 was made before the app and worker hosts shared /var/lib/openedx")


def test_a_new_host_that_never_boots_is_created_again_once(clock: FakeClock) -> None:
    runs: list[float] = []

    def answer(args: tuple[str, ...]) -> Answer:
        if args[0] == "run":
            runs.append(clock.now)
        if args[:3] == ("container", "exists", "demo-1"):
            return (1, "")
        return systemd(lambda: len(runs) == 2)(args)

    podman = ScriptedPodman(answer)
    podman.exists = lambda kind, name: kind == "network"  # type: ignore[method-assign]
    local = LocalHosts("demo", podman=podman)  # type: ignore[arg-type]
    local.ensure_base_image = lambda: None  # type: ignore[method-assign]
    local.ensure_hosts([localhosts.LocalHost("demo-1", ("app",), True)], "demo-net")
    assert len(runs) == 2 and podman.count("rm", "--force", "--volumes") == 1
    assert podman.count("stop") == 1  # the restart came first
    assert "held nothing: created it again" in local.notes[-1]


def test_an_existing_host_that_never_boots_is_not_recreated(clock: FakeClock) -> None:
    podman = ScriptedPodman(systemd(lambda: False))
    local = LocalHosts("demo", podman=podman)  # type: ignore[arg-type]
    local.ensure_base_image = lambda: None  # type: ignore[method-assign]
    with pytest.raises(DeployError, match="did not finish booting"):
        local.ensure_hosts([localhosts.LocalHost("demo-1", ("mysql",), False)], "demo-net")
    assert podman.count("rm") == 0 and podman.count("run") == 0  # it may hold data: never removed


def made_in_podman_systemd_mode(data: str) -> Callable[[tuple[str, ...]], Answer]:
    """An existing host created with --systemd=always (before PRIVILEGED_SYSTEMD), labelled as holding `data`."""

    def answer(args: tuple[str, ...]) -> Answer:
        if args[:3] == ("inspect", "--format", "{{.Config.SystemdMode}}"):
            return (0, "true\n")
        if args[:1] == ("ps",):
            listed = [{"Names": ["demo-1"], "Labels": labels("app", data)}]
            return (0, json.dumps(listed))
        return systemd(lambda: True)(args)

    return answer


def test_a_stateless_host_made_in_podman_systemd_mode_is_made_again_with_systemd_by_hand() -> None:
    local, podman = hosts(made_in_podman_systemd_mode("false"))
    local.ensure_base_image = lambda: None  # type: ignore[method-assign]
    created = local.ensure_hosts([localhosts.LocalHost("demo-1", ("app",), True)], "demo-net")
    assert created == ["demo-1"] and podman.count("rm", "--force", "--volumes") == 1
    run = next(args for args in podman.asked if args[0] == "run")
    assert "--systemd=false" in run and "made it again" in local.notes[0]


def test_a_host_in_podman_systemd_mode_that_may_hold_data_is_kept_and_the_operator_told() -> None:
    local, podman = hosts(made_in_podman_systemd_mode("true"))
    local.ensure_base_image = lambda: None  # type: ignore[method-assign]
    assert local.ensure_hosts([localhosts.LocalHost("demo-1", ("app", "mysql"), True)], "demo-net") == []
    assert podman.count("rm") == 0 and podman.count("run") == 0
    assert "podman restart demo-1" in local.notes[0] and "backup" in local.notes[0]
