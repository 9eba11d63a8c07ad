"""`loadtest`: drive a learner mix at an environment and hold the figures to its SLO gates (docs/loadtest.md).

Locust and matplotlib come with the `loadtest` extra, imported inside the command (openedx_deploy/extras.py names the
extra when they are missing).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..context import AppContext, env_option, pass_app
from ..errors import DeployError, UsageError

if TYPE_CHECKING:
    from ..loadtest import EndpointFigures, GateResult, LoadReport
    from ..spec import EnvironmentSpec

# The command ran and measured, and a figure is over its gate: the result document is printed (with `ok` true, as
# `plan`'s is with changes pending), and this exit code says the verdict, as `plan`'s 3 says "changes pending".
EXIT_GATE_FAILED = 3


def _read_password(source: str) -> str:
    """The learner's password from a file, or from stdin with `-`: never from the command line, where `ps` and the
    shell's history would keep it."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
    except OSError as error:
        raise UsageError(f"--password-from {source}: {error.strerror or error}") from None
    password = text.rstrip("\r\n")
    if not password:
        raise UsageError(f"--password-from {source}: the file is empty")
    return password


def _entry_point(app: AppContext, spec: EnvironmentSpec, address: str | None) -> tuple[str, int | None, bool]:
    """(address, port or None for 443, whether to verify TLS): where `status` and `up` check /heartbeat (the load
    balancer, else the first app host's proxy), unless --address names another."""
    from ..deploy import Deployer
    from ..loadtest import split_address

    deployer = Deployer(spec, app.workdir, app.out)
    targets = deployer.target.heartbeat_targets(deployer.terraform_outputs())
    if not targets:
        raise DeployError(
            f"{spec.name} has no entry point to send the load to: is it up? (`openedx-deploy status -e {spec.name}`)"
        )
    target, verify = targets[0]
    if address is None:
        return target, None, verify
    try:
        host, port = split_address(address)
    except ValueError as error:
        raise UsageError(f"--address: {error}") from None
    return host, port, verify


def _ms(value: int | None) -> str:
    return "" if value is None else str(value)


def _row(figures: EndpointFigures) -> list[str]:
    return [
        f"{figures.method} {figures.name}".strip(),
        str(figures.requests),
        str(figures.failures),
        f"{figures.error_rate:.2%}",
        f"{figures.requests_per_s:g}",
        _ms(figures.p50_ms),
        _ms(figures.p95_ms),
        _ms(figures.p99_ms),
    ]


def _gate_line(gate: GateResult) -> str:
    if gate.gate == "p95_ms":
        figure, limit = f"p95 {gate.measured:g} ms", f"{gate.limit:g} ms"
    else:
        figure, limit = f"error rate {gate.measured:.3%}", f"{gate.limit:.3%}"
    return (
        f"{figure} {'<=' if gate.passed else '>'} gate {limit} (slo.{gate.gate}): {'pass' if gate.passed else 'FAIL'}"
    )


def _print_report(app: AppContext, title: str, report: LoadReport, gates: list[GateResult]) -> None:
    app.out.table(
        title,
        ["endpoint", "requests", "failures", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms"],
        [_row(e) for e in report.endpoints] + [_row(report.total)],
    )
    for failure in sorted(report.failures, key=lambda f: -f.occurrences)[:5]:
        app.out.info(f"  {failure.occurrences} x {failure.method} {failure.name}: {failure.error}")
    for gate in gates:
        app.out.info(_gate_line(gate))


@click.command()
@env_option
@click.option("--users", type=click.IntRange(1, 100_000), default=10, show_default=True, help="concurrent users")
@click.option(
    "--spawn-rate", type=click.FloatRange(0.1, 10_000), default=2.0, show_default=True, help="users started a second"
)
@click.option(
    "--duration", type=click.IntRange(1, 86_400), default=60, show_default=True, metavar="SECONDS", help="run time"
)
@click.option(
    "--think-time",
    type=(click.FloatRange(0), click.FloatRange(0)),
    default=(1.0, 3.0),
    show_default=True,
    metavar="MIN MAX",
    help="seconds each user waits between two actions",
)
@click.option(
    "--user",
    "learner",
    envvar="OPENEDX_DEPLOY_LOADTEST_USER",
    show_envvar=True,
    metavar="USERNAME|EMAIL",
    help="a learner to sign in as; without it only anonymous visitors run",
)
@click.option(
    "--password-from",
    metavar="FILE|-",
    help="the learner's password: a file holding it, or - for stdin",
)
@click.option(
    "--address",
    metavar="HOST[:PORT]",
    help="send the load here instead of the environment's entry point (the domains stay in Host and TLS)",
)
@pass_app
def loadtest(
    app: AppContext,
    env_name: str,
    users: int,
    spawn_rate: float,
    duration: int,
    think_time: tuple[float, float],
    learner: str | None,
    password_from: str | None,
    address: str | None,
) -> None:
    """Drive a learner mix at the environment with Locust and hold it to the environment file's SLO gates.

    The mix: anonymous pages (home, catalog), the login flow, the LMS APIs the MFEs call, and /heartbeat
    (docs/loadtest.md). Reports p50/p95/p99, error rate and throughput per endpoint, and plots them over time under
    build/NAME/loadtests/. Exit 3 when a gate (slo.p95_ms, slo.error_rate) fails.

    \b
    Examples:
      openedx-deploy loadtest -e demo
      openedx-deploy loadtest -e prod --users 200 --spawn-rate 10 --duration 600 \\
          --user loadtest@example.org --password-from ~/.loadtest-password --output json
    """
    from ..extras import require_loadtest

    require_loadtest()
    from ..loadtest import LoadPlan, check_gates, connect_to, plot, read_report, run_engine
    from .documents import LoadtestResult

    if think_time[0] > think_time[1]:
        raise UsageError(f"--think-time {think_time[0]:g} {think_time[1]:g}: MIN is above MAX")
    if bool(learner) != bool(password_from):
        raise UsageError("--user and --password-from go together: the learner to sign in as, and its password")
    password = _read_password(password_from) if password_from else None
    spec = app.load(env_name)
    host, port, verify = _entry_point(app, spec, address)
    run = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out_dir = app.workdir.loadtest_dir(spec.name, run)
    plan = LoadPlan(
        base_url=f"https://{spec.domains.lms}",
        connect_to=connect_to(list(spec.domains.model_dump().values()), host, port),
        verify=verify,
        users=users,
        spawn_rate=spawn_rate,
        duration_s=duration,
        think_time_s=think_time,
        learner=learner,
        password=password,
    )
    entry = f"{host}:{port}" if port else host
    mix = f"learners signed in as {learner} and anonymous visitors" if learner else "anonymous visitors"
    with app.out.activity(f"[loadtest] {users} users ({mix}) for {duration} s at {plan.base_url} via {entry}"):
        prefix = run_engine(plan, out_dir)
    report = read_report(prefix)
    gates = check_gates(report, spec.slo.p95_ms, spec.slo.error_rate)
    picture = plot(report, gates, out_dir / "loadtest.png", f"{spec.name}: {users} users, {duration} s via {entry}")
    passed = all(gate.passed for gate in gates)

    _print_report(app, f"{spec.name}: {users} users for {duration} s", report, gates)
    app.out.info(f"Plot: {picture}; Locust's statistics and log: {out_dir}")
    app.out.result(
        LoadtestResult.model_validate(
            {
                "environment": spec.name,
                "base_url": plan.base_url,
                "entry_point": entry,
                "users": users,
                "spawn_rate": spawn_rate,
                "duration_s": duration,
                "learner": learner,
                "passed": passed,
                "gates": [vars(g) for g in gates],
                **report.to_dict(),
                "plot": str(picture),
                "files": str(out_dir),
            }
        )
    )
    if not passed:
        failed = "; ".join(_gate_line(g) for g in gates if not g.passed)
        app.out.warn(f"SLO gate failed: {failed}")
        raise click.exceptions.Exit(EXIT_GATE_FAILED)


COMMANDS = [loadtest]
