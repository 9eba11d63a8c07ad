"""What the benchmarks share: the CLI run as a subprocess of this checkout, and the machine they ran on."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def cli(workdir: Path, *args: str, timeout: int = 5400) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "OPENEDX_DEPLOY_VAULT_PASSWORD": "bench-vault-password"}
    # ansible-runner finds ansible-playbook on PATH: this interpreter's, as when its virtualenv is activated.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    command = [sys.executable, "-c", "from openedx_deploy.cli import main; main()", "--workdir", str(workdir), *args]
    started = time.monotonic()
    result = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    return time.monotonic() - started, result


def must(result: subprocess.CompletedProcess[str], what: str) -> dict[str, Any]:
    if result.returncode != 0:
        sys.exit(f"{what} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    document: dict[str, Any] = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
    return document


def machine() -> dict[str, Any]:
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    try:
        os_name = platform.freedesktop_os_release().get("PRETTY_NAME", platform.system())
    except OSError:
        os_name = platform.system()
    return {
        "cpus": os.cpu_count(),
        "memory_gib": memory_gib,
        "os": os_name,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }
