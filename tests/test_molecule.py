"""Runs every molecule scenario under molecule/ (one slow test each) against podman test hosts.

A scenario may carry a sidecar `molecule/<name>/test.yml`:

    order: 20                  # lower runs first, so the fastest, most basic scenarios fail first
    timeout: 900               # seconds for the whole `molecule test` (default 1200)
    needs_urls: [https://...]  # skip unless at least one of these answers (e.g. a vendor APT repository)
    reason: "why the scenario needs them"
    extended: "why the default run leaves it out"   # run only with OPENEDX_DEPLOY_ALL_SCENARIOS=1

New scenarios need no edit here: drop a directory with molecule.yml (and test.yml) and it is collected.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
MOLECULE_DIR = REPO_ROOT / "molecule"
TESTHOSTS_DIR = REPO_ROOT / "testhosts"
DEFAULT_ORDER = 100
DEFAULT_TIMEOUT = 1200
URL_PROBE_SECONDS = 4.0
ALL_SCENARIOS_ENV = "OPENEDX_DEPLOY_ALL_SCENARIOS"
LOG_TAIL_LINES = 150


@dataclass(frozen=True)
class Scenario:
    name: str
    order: int
    timeout: int
    needs_urls: tuple[str, ...]
    reason: str
    extended: str = ""


def load_scenario(directory: Path) -> Scenario:
    sidecar = directory / "test.yml"
    meta = yaml.safe_load(sidecar.read_text()) if sidecar.is_file() else None
    meta = meta or {}
    if not isinstance(meta, dict):
        raise ValueError(f"{sidecar}: expected a mapping, got {type(meta).__name__}")
    unknown = set(meta) - {"order", "timeout", "needs_urls", "reason", "extended"}
    if unknown:
        raise ValueError(f"{sidecar}: unknown keys {sorted(unknown)}")
    urls = meta.get("needs_urls") or []
    if isinstance(urls, str):
        urls = [urls]
    reason = str(meta.get("reason") or "")
    if urls and not reason:
        raise ValueError(f"{sidecar}: needs_urls requires a `reason` to print when skipping")
    return Scenario(
        name=directory.name,
        order=int(meta.get("order", DEFAULT_ORDER)),
        timeout=int(meta.get("timeout", DEFAULT_TIMEOUT)),
        needs_urls=tuple(str(u) for u in urls),
        reason=reason,
        extended=str(meta.get("extended") or ""),
    )


def discover_scenarios() -> list[Scenario]:
    found = [load_scenario(p.parent) for p in MOLECULE_DIR.glob("*/molecule.yml")]
    return sorted(found, key=lambda s: (s.order, s.name))


def url_answers(url: str, timeout: float = URL_PROBE_SECONDS) -> bool:
    """True when the server answers at all: an HTTP error status still proves it is reachable.

    HEAD, so a probe of a release binary does not download it; a daemon thread bounds the whole probe, DNS
    included (urllib's timeout does not cover name resolution)."""
    answered: list[bool] = []

    def probe() -> None:
        try:
            request = urllib.request.Request(url, method="HEAD")  # noqa: S310 (URLs come from the repo's test.yml)
            with urllib.request.urlopen(request, timeout=timeout):  # noqa: S310
                answered.append(True)
        except urllib.error.HTTPError:
            answered.append(True)
        except (urllib.error.URLError, OSError, ValueError):
            answered.append(False)

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(timeout + 1)
    return bool(answered and answered[0])


def tool_env() -> dict[str, str]:
    """molecule shells out to ansible-*; put the venv running pytest first on PATH so they are found."""
    env = dict(os.environ)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([venv_bin, env.get("PATH", "")])
    env.setdefault("CONTAINERS_CONF", str(TESTHOSTS_DIR / "containers.conf"))
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["PY_COLORS"] = "0"
    env["NO_COLOR"] = "1"
    return env


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    with path.open(errors="replace") as fh:
        return "".join(deque(fh, maxlen=lines))


@pytest.fixture(scope="session")
def base_image() -> str:
    """Builds (or finds cached) the Debian 12 systemd image every scenario's platforms start from."""
    if shutil.which("podman") is None:
        pytest.fail("podman is not installed: apt-get install -y podman runc debootstrap (see docs/testing.md)")
    proc = subprocess.run(
        [str(TESTHOSTS_DIR / "build-base-image")],
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"testhosts/build-base-image failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc.stdout.strip().splitlines()[-1]


SCENARIOS = discover_scenarios()


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_molecule_scenario(scenario: Scenario, base_image: str, tmp_path: Path) -> None:
    if scenario.extended and os.environ.get(ALL_SCENARIOS_ENV) != "1":
        pytest.skip(f"{scenario.name}: {scenario.extended} (run it with {ALL_SCENARIOS_ENV}=1)")
    if scenario.needs_urls and not any(url_answers(u) for u in scenario.needs_urls):
        pytest.skip(f"{scenario.name}: {scenario.reason} (none answered: {', '.join(scenario.needs_urls)})")
    env = tool_env()
    env["OPENEDX_DEPLOY_BASE_IMAGE"] = base_image
    log = tmp_path / f"molecule-{scenario.name}.log"
    with log.open("w") as out:
        try:
            proc = subprocess.run(
                ["molecule", "test", "-s", scenario.name],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=scenario.timeout,
                check=False,
            )
            outcome = f"exit code {proc.returncode}" if proc.returncode else ""
        except subprocess.TimeoutExpired:
            outcome = f"timed out after {scenario.timeout}s"
            # The sequence's final destroy never ran: leave no test hosts behind.
            subprocess.run(
                ["molecule", "destroy", "-s", scenario.name],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=300,
                check=False,
            )
    if outcome:
        pytest.fail(
            f"molecule test -s {scenario.name}: {outcome}; full log {log}\n"
            f"--- last {LOG_TAIL_LINES} lines ---\n{log_tail(log)}",
            pytrace=False,
        )


def test_scenario_sidecars_are_valid() -> None:
    """Fast check that every scenario directory parses, so a typo in test.yml fails without podman."""
    assert SCENARIOS, "no molecule/*/molecule.yml found"
    names = [s.name for s in SCENARIOS]
    assert len(names) == len(set(names))
    for scenario in SCENARIOS:
        for url in scenario.needs_urls:
            assert url.startswith(("http://", "https://")), f"{scenario.name}: {url} is not an http(s) URL"
