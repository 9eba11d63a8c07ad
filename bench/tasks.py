#!/usr/bin/env python3
"""Where a playbook run's seconds went (not a test): per task, summed over hosts, from ansible-runner's job events.

Reads `<artifacts>/<run id>/job_events/*.json` (the environment's `build/<env>/ansible/artifacts/`, one directory
per playbook run; ansible-runner keeps the newest five) and prints the slowest tasks, each with its host count and
its share of the run, then the per-role totals. Usage: bench/tasks.py ARTIFACTS_DIR [--run ID] [--top N]
(the newest run by default).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

_END = {"runner_on_ok", "runner_on_failed", "runner_on_skipped", "runner_on_unreachable"}


def _when(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["created"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifacts", type=Path)
    parser.add_argument("--run", help="the run's directory name (default: the newest)")
    parser.add_argument("--top", type=int, default=25)
    options = parser.parse_args()
    runs = sorted(
        (p for p in options.artifacts.iterdir() if (p / "job_events").is_dir()), key=lambda p: p.stat().st_mtime
    )
    run = options.artifacts / options.run if options.run else runs[-1]
    events = [json.loads(p.read_text()) for p in (run / "job_events").glob("*.json")]
    events.sort(key=lambda e: e["counter"])
    started: dict[tuple[str, str], datetime] = {}
    spent: dict[str, float] = defaultdict(float)
    hosts: dict[str, set[str]] = defaultdict(set)
    for event in events:
        data = event.get("event_data", {})
        key = (data.get("host", ""), data.get("task_uuid", ""))
        if event["event"] == "runner_on_start":
            started[key] = _when(event)
        elif event["event"] in _END and key in started:
            name = f"{data.get('role') or '-'} : {data.get('task', '')}"
            spent[name] += (_when(event) - started.pop(key)).total_seconds()
            hosts[name].add(key[0])
    total = (_when(events[-1]) - _when(events[0])).total_seconds()
    print(f"run {run.name}: {total:.1f} s wall, {len(events)} events, {sum(len(h) for h in hosts.values())} host-tasks")
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1])[: options.top]:
        print(f"{seconds:8.1f} s {len(hosts[name]):3d} hosts  {name}")
    roles: dict[str, float] = defaultdict(float)
    for name, seconds in spent.items():
        roles[name.split(" : ")[0]] += seconds
    print("per role (summed over hosts):")
    for role, seconds in sorted(roles.items(), key=lambda item: -item[1]):
        print(f"{seconds:8.1f} s  {role}")


if __name__ == "__main__":
    main()
