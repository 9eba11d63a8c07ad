#!/usr/bin/env python3
"""Deploy benchmark (not a test): a 5-host local environment, timed through the real CLI.

Reports the cold `up` wall time, the second `up` wall time and its changed-task count, the `plan` that follows it,
and `render` time for aws, gcp and azure; then the same `up`, `up`, `plan` of the single-host environment. Targets
(issue 15): cold <= 300 s on 2 cores, second <= 90 s with 0 changed (single host: <= 45 s), `plan` no slower than
the second `up` and with nothing pending, render < 2 s.
Offline it runs the local target's documented substitutes (the Open edX image double, MariaDB, no MongoDB or
search) and the report says so. Usage: bench/deploy.py [--keep] [--json FILE] [--workdir DIR --name NAME]
(`--keep --workdir ~/.cache/openedx-deploy/bench --name benchup` leaves the environment for bench/upgrade.py --reuse).

Each figure is reported beside its target and the previous measurement (`figures` in the JSON; a table on stderr):
the newest `bench/results/deploy-*.json` of the same transport, or `--previous FILE`. `--save` keeps this run there,
dated, with its commit.

`--transport ssh` reaches the local hosts through sshd on their addresses, as a cloud's hosts are reached
(OPENEDX_DEPLOY_LOCAL_TRANSPORT=ssh, docs/ansible.md); the default is podman exec.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from benchlib import ROOT, cli, machine, must

NAME = "bench"
TARGETS = {"cold_up_s": 300, "second_up_s": 90, "single_second_up_s": 45, "render_s": 2}
RESULTS = ROOT / "bench" / "results"


def figures(report: dict[str, Any], previous: dict[str, Any]) -> list[dict[str, Any]]:
    """Each figure with its target and the previous measurement's (None where that one did not measure it)."""

    def slowest_render(document: dict[str, Any]) -> float | None:
        return max(document["render_s"].values()) if document.get("render_s") else None

    rows = [
        ("render_s (slowest cloud)", slowest_render(report), TARGETS["render_s"], slowest_render(previous)),
        ("cold_up_s", report.get("cold_up_s"), TARGETS["cold_up_s"], previous.get("cold_up_s")),
        ("second_up_s", report.get("second_up_s"), TARGETS["second_up_s"], previous.get("second_up_s")),
        ("second_changed", report.get("second_changed"), 0, previous.get("second_changed")),
        ("plan_s", report.get("plan_s"), report.get("second_up_s"), previous.get("plan_s")),
        ("single_cold_up_s", report.get("single_cold_up_s"), None, previous.get("single_cold_up_s")),
        (
            "single_second_up_s",
            report.get("single_second_up_s"),
            TARGETS["single_second_up_s"],
            previous.get("single_second_up_s"),
        ),
        ("single_plan_s", report.get("single_plan_s"), report.get("single_second_up_s"), previous.get("single_plan_s")),
    ]
    return [{"figure": name, "now": now, "target": target, "previous": before} for name, now, target, before in rows]


def transport_of(path: Path) -> str:
    return str(json.loads(path.read_text()).get("transport", "podman"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the environment running afterwards")
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--workdir", type=Path, help="keep the environment's files here (default: a temporary dir)")
    parser.add_argument("--name", default=NAME, help=f"the environment's name (default: {NAME})")
    parser.add_argument("--previous", type=Path, help="the measurement to compare with (default: the newest kept)")
    parser.add_argument("--save", action="store_true", help=f"keep this run in {RESULTS.relative_to(ROOT)}/")
    parser.add_argument(
        "--transport", choices=("podman", "ssh"), default="podman", help="how Ansible reaches the local hosts"
    )
    options = parser.parse_args()
    # Runs kept before the option existed went through podman.
    kept = [p for p in sorted(RESULTS.glob("deploy-*.json")) if transport_of(p) == options.transport]
    previous_path = options.previous or (kept[-1] if kept else None)
    name = options.name
    os.environ["OPENEDX_DEPLOY_LOCAL_TRANSPORT"] = options.transport  # the CLI runs inherit it (benchlib.cli)
    report: dict[str, Any] = {"machine": machine(), "targets": TARGETS, "transport": options.transport}
    with tempfile.TemporaryDirectory(prefix="openedx-bench-") as directory:
        workdir = options.workdir.resolve() if options.workdir else Path(directory)
        workdir.mkdir(parents=True, exist_ok=True)
        render_times = {}
        for cloud in ("aws", "gcp", "azure"):
            if not (workdir / "environments" / f"r{cloud}.yml").exists():
                init = ["init", f"r{cloud}", "--cloud", cloud, "--size", "standard", "--domain", "learn.example.org"]
                must(cli(workdir, *init)[1], "init")
            seconds, result = cli(workdir, "--output", "json", "render", "-e", f"r{cloud}")
            must(result, f"render {cloud}")
            render_times[cloud] = round(seconds, 2)
        report["render_s"] = render_times
        env_file = workdir / "environments" / f"{name}.yml"
        if not env_file.exists():
            must(cli(workdir, "init", name, "--cloud", "local", "--size", "standard")[1], "init")
        data = yaml.safe_load(env_file.read_text())
        data["tiers"] = {"app": {"count": 2}, "worker": {"count": 1}}  # + the data host and the lb host = 5 hosts
        env_file.write_text(yaml.safe_dump(data))
        try:
            seconds, result = cli(workdir, "--yes", "--output", "json", "up", "-e", name)
            cold = must(result, "cold up")
            report["hosts"] = len(cold.get("hosts_created", []))
            report["cold_up_s"] = round(seconds, 1)
            report["cold_changed"] = cold.get("changed_total")
            report["phases_s"] = cold.get("seconds")
            report["substitutes"] = cold.get("substitutes")
            seconds, result = cli(workdir, "--yes", "--output", "json", "up", "-e", name)
            second = must(result, "second up")
            report["second_up_s"] = round(seconds, 1)
            report["second_changed"] = second.get("changed_total")
            seconds, result = cli(workdir, "--output", "json", "plan", "-e", name)
            report["plan_s"] = round(seconds, 1)
            report["plan_exit"] = result.returncode  # 0: nothing pending; 3: changes pending
        finally:
            if not options.keep:
                cli(workdir, "--yes", "destroy", "-e", name, "--include-data", timeout=900)
        # The single-host environment (`init NAME --cloud local`, the README's): its own second-`up` target.
        single = f"{name}1"
        if not (workdir / "environments" / f"{single}.yml").exists():
            must(cli(workdir, "init", single, "--cloud", "local")[1], "init (single host)")
        try:
            seconds, result = cli(workdir, "--yes", "--output", "json", "up", "-e", single)
            report["single_cold_up_s"] = round(seconds, 1)
            must(result, "cold up (single host)")
            seconds, result = cli(workdir, "--yes", "--output", "json", "up", "-e", single)
            report["single_second_up_s"] = round(seconds, 1)
            report["single_second_changed"] = must(result, "second up (single host)").get("changed_total")
            seconds, result = cli(workdir, "--output", "json", "plan", "-e", single)
            report["single_plan_s"] = round(seconds, 1)
            report["single_plan_exit"] = result.returncode
        finally:
            if not options.keep:
                cli(workdir, "--yes", "destroy", "-e", single, "--include-data", timeout=900)
    report["met"] = {
        "cold_up": report.get("cold_up_s", 1e9) <= TARGETS["cold_up_s"],
        "second_up": report.get("second_up_s", 1e9) <= TARGETS["second_up_s"] and report.get("second_changed") == 0,
        "plan": report.get("plan_exit") == 0 and report.get("plan_s", 1e9) <= report.get("second_up_s", 0),
        "single_second_up": report.get("single_second_up_s", 1e9) <= TARGETS["single_second_up_s"]
        and report.get("single_second_changed") == 0,
        "single_plan": report.get("single_plan_exit") == 0
        and report.get("single_plan_s", 1e9) <= report.get("single_second_up_s", 0),
        "render": max(render_times.values()) < TARGETS["render_s"],
    }
    report["commit"] = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    report["measured"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
    previous = json.loads(previous_path.read_text()) if previous_path else {}
    report["previous"] = {
        "file": str(previous_path.relative_to(ROOT)) if previous_path else None,
        **{key: previous.get(key) for key in ("measured", "commit", "conditions")},
    }
    report["figures"] = figures(report, previous)
    print(f"{'figure':26} {'now':>8} {'target':>8} {'previous':>9}", file=sys.stderr)
    for row in report["figures"]:
        print(f"{row['figure']:26} {row['now']!s:>8} {row['target']!s:>8} {row['previous']!s:>9}", file=sys.stderr)
    text = json.dumps(report, indent=2)
    print(text)
    if options.json:
        options.json.write_text(text + "\n")
    if options.save:
        RESULTS.mkdir(exist_ok=True)
        suffix = "" if options.transport == "podman" else f"-{options.transport}"
        (RESULTS / f"deploy-{report['measured'][:16].replace(':', '')}{suffix}.json").write_text(
            json.dumps(report, indent=2, sort_keys=True) + "\n"
        )


if __name__ == "__main__":
    main()
