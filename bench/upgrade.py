#!/usr/bin/env python3
"""Zero-downtime benchmark (not a test): a rolling restart under load, through the real CLI and load balancer.

Brings up a local `standard` environment with 2 app hosts behind its load balancer (or reuses it), sends GET
/heartbeat through the load balancer with the LMS domain as Host from worker threads, runs `openedx-deploy restart`
(app hosts one at a time), keeps the load on for 5 s more, and reports requests sent, failed (by reason), the
longest time without a successful answer and the restart's wall time. Target: 0 failed of >= 1000 sent; exit 1
otherwise. Usage: bench/upgrade.py [--reuse] [--destroy] [--json] [--workdir DIR] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from benchlib import ROOT, cli, machine, must

# Run from a checkout, like the CLI subprocesses: the load generator comes from the same tree.
sys.path.insert(0, str(ROOT))

from openedx_deploy.loadgen import LoadGenerator

NAME = "benchup"
APP_HOSTS = 2
TARGETS = {"failed": 0, "sent_min": 1000}
SETTLE_S = 5.0


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def groups_of(host: dict[str, Any]) -> list[str]:
    """`status` gives a host's groups as "app,worker" (local) or one group name (clouds); a list is taken too."""
    groups = host.get("groups") or []
    return [g.strip() for g in groups.split(",")] if isinstance(groups, str) else [str(g) for g in groups]


def hosts_in(status: dict[str, Any], group: str) -> list[dict[str, Any]]:
    return [host for host in status.get("hosts", []) if group in groups_of(host)]


def serving(status: dict[str, Any]) -> bool:
    """Every host running, the load balancer has an address, and each app host answers its heartbeat healthy."""
    hosts = status.get("hosts", [])
    apps, balancers = hosts_in(status, "app"), hosts_in(status, "load_balancer")
    return (
        bool(hosts)
        and all(host.get("state") == "running" for host in hosts)
        and len(apps) >= APP_HOSTS
        and all(host.get("heartbeat") == "healthy" for host in apps)
        and any(host.get("address") for host in balancers)
    )


def ensure_environment(workdir: Path, reuse: bool, report: dict[str, Any]) -> None:
    """init (once) with 2 app hosts, then `up` unless --reuse finds the environment already serving."""
    env_file = workdir / "environments" / f"{NAME}.yml"
    if not env_file.exists():
        progress(f"init {NAME} (local, standard) in {workdir}")
        must(cli(workdir, "init", NAME, "--cloud", "local", "--size", "standard")[1], "init")
    data = yaml.safe_load(env_file.read_text())
    if data.get("size") != "standard" or (data.get("tiers") or {}).get("app", {}).get("count") != APP_HOSTS:
        data["size"] = "standard"
        data.setdefault("tiers", {}).setdefault("app", {})["count"] = APP_HOSTS
        env_file.write_text(yaml.safe_dump(data))
        reuse = False  # the hosts no longer match the file
    if reuse:
        _, result = cli(workdir, "--output", "json", "status", "-e", NAME, timeout=600)
        if result.returncode == 0 and serving(json.loads(result.stdout)):
            progress(f"reusing {NAME}: every host running and healthy")
            report["up_s"] = None
            return
    progress(f"up {NAME} (minutes when cold)")
    seconds, result = cli(workdir, "--yes", "--output", "json", "up", "-e", NAME)
    up = must(result, "up")
    report["up_s"] = round(seconds, 1)
    report["substitutes"] = up.get("substitutes")


def wait_for_one_success(generator: LoadGenerator, seconds: float = 60) -> None:
    """The load balancer must answer before the measurement starts, or its warm-up would count as downtime."""
    deadline = time.monotonic() + seconds
    while True:
        record = generator.request_once()
        if record.ok:
            return
        if time.monotonic() >= deadline:
            sys.exit(f"{generator.url} (Host: {generator.host_header}) never answered 200: last {record.reason}")
        time.sleep(2)


def text_report(report: dict[str, Any]) -> str:
    load, restart, host = report["load"], report["restart"], report["machine"]
    failures = ", ".join(f"{reason}: {count}" for reason, count in load["failures"].items()) or "none"
    lines = [
        f"Rolling restart under load: {report['environment']} ({report['app_hosts']} app hosts behind "
        f"{report['load_balancer']['host']})",
        f"  machine        {host['cpus']} CPUs, {host['memory_gib']} GiB, {host['os']}, kernel {host['kernel']}",
        f"  load           {load['workers']} workers, GET {load['url']} (Host: {load['host_header']}), "
        f"timeout {report['timeout_s']} s",
        f"  restart        {restart['seconds']} s, {'ok' if restart['ok'] else 'FAILED'}; "
        f"{restart['from_s']} s to {restart['to_s']} s into the load",
        f"  requests sent  {load['sent']} ({load['requests_per_s']}/s over {load['duration_s']} s)",
        f"  failed         {load['failed']} ({failures})",
        f"  longest gap    {load['longest_gap_s']} s without a successful answer, from {load['longest_gap_start_s']} s",
        f"  target         {TARGETS['failed']} failed of >= {TARGETS['sent_min']} sent: "
        + ("met" if report["met"] else "NOT met"),
    ]
    if not restart["ok"]:
        lines.append(f"  restart error  {restart['error']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="skip `up` when the environment is already serving")
    parser.add_argument("--destroy", action="store_true", help="destroy the environment (with its data) at the end")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON document")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(os.environ.get("OPENEDX_DEPLOY_CACHE") or Path.home() / ".cache" / "openedx-deploy") / "bench",
        help="where the environment's files live between runs (default: the openedx-deploy cache)",
    )
    parser.add_argument("--workers", type=int, default=4, help="load generator threads (default: 4)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds before a request counts as failed")
    options = parser.parse_args()
    workdir = options.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"environment": NAME, "machine": machine(), "targets": TARGETS}
    try:
        ensure_environment(workdir, options.reuse, report)
        status = must(cli(workdir, "--output", "json", "status", "-e", NAME, timeout=600)[1], "status")
        balancers = [host for host in hosts_in(status, "load_balancer") if host.get("address")]
        if not balancers:
            sys.exit(f"{NAME} has no load balancer host with an address (group load_balancer) in `status`")
        report["app_hosts"] = len(hosts_in(status, "app"))
        if report["app_hosts"] < APP_HOSTS:
            sys.exit(f"{NAME} has {report['app_hosts']} app host(s); a rolling restart needs {APP_HOSTS}")
        balancer = balancers[0]
        report["load_balancer"] = {"host": balancer["host"], "address": balancer["address"]}
        validated = must(cli(workdir, "--output", "json", "validate", "-e", NAME, timeout=120)[1], "validate")
        domain = validated["environment"]["domains"]["lms"]
        report["timeout_s"] = options.timeout

        generator = LoadGenerator(balancer["address"], domain, workers=options.workers, timeout=options.timeout)
        wait_for_one_success(generator)
        progress(f"load on {generator.url} (Host: {domain}) with {options.workers} workers; restarting {NAME}")
        generator.start()
        try:
            restart_from = time.monotonic()
            seconds, result = cli(workdir, "--yes", "--output", "json", "restart", "-e", NAME, timeout=3600)
            restart_to = time.monotonic()
            progress(f"restart finished ({result.returncode}) in {seconds:.1f} s; {SETTLE_S:.0f} s more load")
            time.sleep(SETTLE_S)
        finally:
            load = generator.stop()
        origin = generator.started_at
        assert origin is not None  # started above
        report["restart"] = {
            "ok": result.returncode == 0,
            "seconds": round(seconds, 1),
            "from_s": round(restart_from - origin, 1),
            "to_s": round(restart_to - origin, 1),
            "error": "" if result.returncode == 0 else (result.stderr.strip() or result.stdout.strip())[-2000:],
        }
        report["load"] = load.to_dict()
        report["met"] = (
            report["restart"]["ok"] and load.failed <= TARGETS["failed"] and load.sent >= TARGETS["sent_min"]
        )
    finally:
        if options.destroy:
            progress(f"destroying {NAME}")
            cli(workdir, "--yes", "destroy", "-e", NAME, "--include-data", timeout=900)
    print(json.dumps(report, indent=2) if options.json else text_report(report))
    sys.exit(0 if report["met"] else 1)


if __name__ == "__main__":
    main()
