"""The capacity proof behind `openedx-deploy loadtest`: run the learner mix (openedx_deploy/locustfile.py) with
Locust against an environment, read Locust's statistics into per-endpoint figures, hold them to the SLO gates of
the environment file, and plot them over time.

Locust runs as its own process (`python -m locust --headless`), not inside this one: importing Locust patches the
whole process for gevent (sockets, SSL, threads), which the CLI's signal handling and the tests' threads must not
see; and Locust's command line and CSV statistics are its documented, stable interface (docs/loadtest.md).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import DeployError

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
CSV_PREFIX = "locust"  # Locust writes locust_stats_history.csv (one row a second) and more beside it
SUMMARY = "summary.json"  # the final figures, written by the locustfile when Locust quits
ENGINE_LOG = "locust.log"
PLOT = "loadtest.png"
# Seconds Locust may take beyond the run to start, stop its users and write its statistics.
ENGINE_GRACE_S = 60
# The user classes of the locustfile: anonymous visitors always, learners when credentials are given.
ANONYMOUS, LEARNER = "AnonymousVisitor", "Learner"


@dataclass(frozen=True)
class LoadPlan:
    """What to run: the site's URL (its domain, so Host, SNI and cookies are the site's), where its domains'
    connections go, TLS verification, the load's shape, and the learner to sign in as (None: anonymous only)."""

    base_url: str
    connect_to: dict[str, tuple[str, int | None]]
    verify: bool | str
    users: int = 10
    spawn_rate: float = 2.0
    duration_s: int = 60
    think_time_s: tuple[float, float] = (1.0, 3.0)
    learner: str | None = None
    password: str | None = field(default=None, repr=False)

    def command(self, prefix: Path) -> list[str]:
        classes = [ANONYMOUS, LEARNER] if self.learner else [ANONYMOUS]
        return [
            sys.executable,
            "-m",
            "locust",
            "--locustfile",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(self.users),
            "--spawn-rate",
            str(self.spawn_rate),
            "--run-time",
            f"{self.duration_s}s",
            "--host",
            self.base_url,
            "--csv",
            str(prefix),
            "--csv-full-history",
            "--only-summary",
            # Failed requests are figures for the gates to judge, not a failure of the engine.
            "--exit-code-on-error",
            "0",
            "--stop-timeout",
            "10",
            *classes,
        ]

    @staticmethod
    def summary_file(prefix: Path) -> Path:
        return prefix.with_name(SUMMARY)

    def environment(self, prefix: Path) -> dict[str, str]:
        """The engine's environment: this one without Locust's own settings (LOCUST_*, which would change the run),
        plus the locustfile's."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
        env.update(
            {
                "LOADTEST_CONNECT_TO": json.dumps({name: list(route) for name, route in self.connect_to.items()}),
                "LOADTEST_VERIFY": self.verify if isinstance(self.verify, str) else ("1" if self.verify else "0"),
                "LOADTEST_THINK_TIME": f"{self.think_time_s[0]},{self.think_time_s[1]}",
                "LOADTEST_LEARNER": self.learner or "",
                "LOADTEST_PASSWORD": self.password or "",
                "LOADTEST_SUMMARY": str(self.summary_file(prefix)),
            }
        )
        return env


@dataclass
class EndpointFigures:
    """One endpoint's figures over the whole run (times in milliseconds; None when it got no answer)."""

    method: str
    name: str
    requests: int
    failures: int
    error_rate: float
    requests_per_s: float
    p50_ms: int | None
    p95_ms: int | None
    p99_ms: int | None
    max_ms: int | None


@dataclass
class Sample:
    """One second of the run, all endpoints together: Locust's percentiles here are those of its last 10 s."""

    t_s: float
    users: int
    requests_per_s: float
    failures_per_s: float
    p50_ms: int | None
    p95_ms: int | None


@dataclass
class Failure:
    method: str
    name: str
    error: str
    occurrences: int


@dataclass
class GateResult:
    gate: str
    limit: float
    measured: float
    passed: bool


@dataclass
class LoadReport:
    endpoints: list[EndpointFigures]
    total: EndpointFigures
    timeline: list[Sample] = field(default_factory=list)
    # Each endpoint's p95 over time: {"GET /": [(t_s, p95_ms), ...]}, for the plot.
    endpoint_p95: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("endpoint_p95")
        return data


def run_engine(
    plan: LoadPlan, out_dir: Path, run: Callable[..., subprocess.CompletedProcess[bytes]] = subprocess.run
) -> Path:
    """Runs Locust for the plan, its files and log in `out_dir`; returns the CSV prefix its statistics are at."""
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = out_dir / CSV_PREFIX
    log = out_dir / ENGINE_LOG
    with log.open("wb") as sink:
        try:
            done = run(
                plan.command(prefix),
                env=plan.environment(prefix),
                cwd=out_dir,  # no locust.conf or pyproject.toml of the current directory changes the run
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                timeout=plan.duration_s + ENGINE_GRACE_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise DeployError(f"the load engine (Locust) did not stop in time; its log: {log}") from None
    if done.returncode != 0 or not LoadPlan.summary_file(prefix).is_file():
        raise DeployError(f"the load engine (Locust) failed (exit {done.returncode}): {_tail(log)}; its log: {log}")
    return prefix


def _tail(log: Path, lines: int = 3) -> str:
    try:
        text = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return " / ".join(text[-lines:]) or "no output"


def _ms(value: str | float | None) -> int | None:
    if value is None or value in ("", "N/A"):
        return None
    return round(float(value))


def _figures(entry: dict[str, Any]) -> EndpointFigures:
    requests, failures = int(entry["requests"]), int(entry["failures"])
    return EndpointFigures(
        method=str(entry["method"]),
        name=str(entry["name"]),
        requests=requests,
        failures=failures,
        error_rate=round(failures / requests, 6) if requests else 0.0,
        requests_per_s=round(float(entry["requests_per_s"]), 2),
        **{key: _ms(entry[key]) for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms")},
    )


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="") as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError:
        return []


def read_report(prefix: Path) -> LoadReport:
    """The figures of a finished run: the totals from the locustfile's summary, the timeline from Locust's history
    (`--csv PREFIX --csv-full-history`)."""
    try:
        summary = json.loads(LoadPlan.summary_file(prefix).read_text())
    except (OSError, ValueError) as error:
        raise DeployError(f"the load engine wrote no figures ({error})") from None
    endpoints = [_figures(e) for e in summary["endpoints"]]
    total = _figures({**summary["total"], "method": "", "name": "all requests"})
    report = LoadReport(endpoints=sorted(endpoints, key=lambda e: (e.name, e.method)), total=total)
    report.failures = [
        Failure(str(f["method"]), str(f["name"]), str(f["error"]), int(f["occurrences"])) for f in summary["failures"]
    ]

    history = _rows(prefix.with_name(f"{prefix.name}_stats_history.csv"))
    start = min((int(r["Timestamp"]) for r in history), default=0)
    previous = (0.0, 0, 0)  # (t, requests, failures) of the last aggregated row
    for r in history:
        t = float(int(r["Timestamp"]) - start)
        if r["Name"] == "Aggregated" and not r["Type"]:
            # Throughput from the running totals: Locust's own Requests/s column averages over a window that
            # leaves out the current second, and reads 0 through a short run's first seconds.
            requests, failures = int(r["Total Request Count"]), int(r["Total Failure Count"])
            elapsed = t - previous[0]
            # Locust reports 0 until its window of recent response times fills (its first seconds): unknown then.
            answered = requests > 0 and _ms(r["95%"]) not in (None, 0)
            report.timeline.append(
                Sample(
                    t_s=t,
                    users=int(r["User Count"]),
                    requests_per_s=round((requests - previous[1]) / elapsed, 2) if elapsed > 0 else 0.0,
                    failures_per_s=round((failures - previous[2]) / elapsed, 2) if elapsed > 0 else 0.0,
                    p50_ms=_ms(r["50%"]) if answered else None,
                    p95_ms=_ms(r["95%"]) if answered else None,
                )
            )
            previous = (t, requests, failures)
        elif r["Type"] and int(r["Total Request Count"]) > 0 and _ms(r["95%"]) not in (None, 0):
            report.endpoint_p95.setdefault(f"{r['Type']} {r['Name']}", []).append((t, _ms(r["95%"]) or 0))
    return report


def check_gates(report: LoadReport, p95_ms: int, error_rate: float) -> list[GateResult]:
    """The SLO gates over all requests: a measured figure above its limit fails. A run that sent no request shows
    nothing about the load held: DeployError."""
    total = report.total
    if not total.requests or total.p95_ms is None:
        raise DeployError("the load test sent no request: see the load engine's log")
    return [
        GateResult("p95_ms", p95_ms, total.p95_ms, total.p95_ms <= p95_ms),
        GateResult("error_rate", error_rate, total.error_rate, total.error_rate <= error_rate),
    ]


def connect_to(domains: Sequence[str], address: str, port: int | None) -> dict[str, tuple[str, int | None]]:
    """Every domain of the site to one entry point (the load balancer, else an app host's proxy)."""
    return {domain: (address, port) for domain in domains if domain}


def split_address(value: str) -> tuple[str, int | None]:
    """`HOST`, `HOST:PORT` or `[IPv6]:PORT` as (host, port or None)."""
    parts = urlsplit(f"//{value}")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if not parts.hostname or port == -1 or port == 0:
        raise ValueError(f"{value!r} is not HOST or HOST:PORT")
    return parts.hostname, port


def plot(report: LoadReport, gates: Sequence[GateResult], path: Path, title: str) -> Path:
    """A PNG of the run over time: throughput and failures, response times (all requests' p50 and p95, each
    endpoint's p95, the p95 gate), and the users running."""
    import matplotlib

    matplotlib.use("Agg")  # no display: CI, SSH sessions
    from matplotlib import pyplot

    figure, (load, latency, users) = pyplot.subplots(3, 1, figsize=(14, 9), sharex=True, height_ratios=[2, 3, 1])
    t = [s.t_s for s in report.timeline]
    load.plot(t, [s.requests_per_s for s in report.timeline], label="requests/s")
    load.plot(t, [s.failures_per_s for s in report.timeline], label="failures/s", color="tab:red")
    load.set_ylabel("per second")
    load.legend(loc="upper left", bbox_to_anchor=(1.01, 1))

    for name, points in sorted(report.endpoint_p95.items()):
        latency.plot([p[0] for p in points], [p[1] for p in points], linewidth=0.8, alpha=0.6, label=f"p95 {name}")
    for label, values, style in (
        ("p50 all", [s.p50_ms for s in report.timeline], "k:"),
        ("p95 all", [s.p95_ms for s in report.timeline], "k-"),
    ):
        latency.plot(t, [float("nan") if v is None else v for v in values], style, linewidth=2, label=label)
    for gate in gates:
        if gate.gate == "p95_ms":
            latency.axhline(gate.limit, color="tab:red", linestyle="--", label=f"gate p95 {gate.limit:g} ms")
    # Logarithmic: a 2 s gate and 50 ms answers on one readable axis.
    latency.set_yscale("log")
    latency.set_ylabel("response time (ms, log scale)")
    latency.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="x-small")

    users.plot(t, [s.users for s in report.timeline], color="tab:green")
    users.set_ylabel("users")
    users.set_xlabel("seconds since start")
    figure.suptitle(title)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return path
