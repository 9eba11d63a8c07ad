"""`plan`, `up`, `status`, `destroy`, and `upgrade`, `backup`, `restore`.

The last three say what they will do and exit 1 until their machinery lands, rather than pretend: a pipeline must
never read success from a command that did nothing.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from ..context import AppContext, env_option, pass_app
from ..deploy import Deployer
from ..errors import DeployError
from ..graph import draw, topology_dot
from ..releases import load_catalog

PLANS = {
    "backup": [
        "dump MySQL consistently (or snapshot the managed database) and MongoDB",
        "record how to rebuild the search index; copy uploaded files or rely on bucket versioning",
        "store the dumps and the encrypted secrets in the environment's backup bucket, with retention",
    ],
    "restore": ["restore MySQL, MongoDB, uploads and secrets from a backup into this environment"],
}
EXIT_CHANGES_PENDING = 3


def _not_ready(app: AppContext, command: str, steps: list[str]) -> None:
    app.out.info(f"`{command}` will:")
    for number, step in enumerate(steps, 1):
        app.out.info(f"  {number}. {step}")
    raise DeployError(f"`{command}` is not implemented yet; nothing was changed")


def _simple(command: str, help_text: str) -> click.Command:
    @click.command(name=command, help=help_text)
    @env_option
    @pass_app
    def run(app: AppContext, env_name: str) -> None:
        app.load(env_name)  # a bad environment file is reported first, as every command does
        _not_ready(app, command, PLANS[command])

    return run


@click.command()
@env_option
@click.option("--to", "target", required=True, help="the release to upgrade to (the next one in the catalog)")
@click.option("--rollback-data", is_flag=True, help="restore the database too if a gate fails after migrations")
@pass_app
def upgrade(app: AppContext, env_name: str, target: str, rollback_data: bool) -> None:
    """Upgrade to the next named release: backup, data-store steps, migrations, rolling restart."""
    spec = app.load(env_name)
    # Refused before anything else: a skip, a downgrade or an unknown release never gets further.
    path = load_catalog().upgrade_path(spec.release, target)
    steps = [f"{release.name}: {step.description}" for release in path for step in release.upgrade_steps]
    steps.append(
        "on a failed heartbeat gate: restore the previous image and configuration on changed hosts"
        + (", and the database" if rollback_data else "; the database only with confirmation")
    )
    _not_ready(app, "upgrade", steps)


@click.command()
@env_option
@pass_app
def up(app: AppContext, env_name: str) -> None:
    """Create or update the environment: preflight, Terraform (or podman hosts), Ansible, health check."""
    spec = app.load(env_name)
    result = Deployer(spec, app.workdir, app.out).up()
    app.out.info("")
    app.out.info(f"{spec.name} is up and healthy. Ansible changed {result.changed_total} task(s).")
    for name, url in result.urls.items():
        app.out.info(f"  {name:7} {url}")
    for beat in result.heartbeats:
        stores = ", ".join(f"{k} {v}" for k, v in sorted(beat["stores"].items()))
        app.out.info(f"  heartbeat via {beat['target']}: {beat['status']} ({stores})")
    if result.substitutes:
        app.out.info("Offline: this environment runs substitutes, not the real Open edX image and MySQL.")
    app.out.result({"ok": True, **asdict(result), "changed_total": result.changed_total})


@click.command()
@env_option
@pass_app
def plan(app: AppContext, env_name: str) -> None:
    """Show what `up` would change: hosts, Terraform plan, Ansible check mode. Exit 3 when changes are pending."""
    spec = app.load(env_name)
    report = Deployer(spec, app.workdir, app.out).plan()
    pending = report["pending"]
    for line in pending:
        app.out.info(f"  ~ {line}")
    app.out.info(f"{len(pending)} change(s) pending" if pending else "No changes: the environment matches its file.")
    app.out.result({"ok": True, "changes_pending": bool(pending), **report})
    if pending:
        raise click.exceptions.Exit(EXIT_CHANGES_PENDING)


@click.command()
@env_option
@pass_app
def status(app: AppContext, env_name: str) -> None:
    """Show each host with its state and, for app hosts, the heartbeat and data-store health."""
    spec = app.load(env_name)
    rows = Deployer(spec, app.workdir, app.out).status()
    app.out.result({"ok": True, "hosts": rows})
    if not app.out.json:
        app.out.table(
            f"{spec.name} ({spec.cloud})",
            ["host", "groups", "state", "address", "heartbeat", "stores"],
            [
                [
                    r["host"],
                    r["groups"],
                    r["state"],
                    r["address"],
                    r["heartbeat"],
                    ", ".join(f"{k} {v}" for k, v in sorted(r["stores"].items())),
                ]
                for r in rows
            ],
        )


@click.command()
@env_option
@click.option("--include-data", is_flag=True, help="also remove data stores and buckets (after a final snapshot)")
@pass_app
def destroy(app: AppContext, env_name: str, include_data: bool) -> None:
    """Remove the environment's hosts; data stores and buckets survive unless --include-data."""
    spec = app.load(env_name)
    if not app.yes:
        typed = click.prompt(f"Type the environment name ({spec.name}) to destroy it", default="", show_default=False)
        if typed != spec.name:
            raise DeployError("the name typed does not match: nothing was destroyed")
    summary = Deployer(spec, app.workdir, app.out).destroy(include_data)
    app.out.info(f"Destroyed {spec.name}" + ("" if include_data else "; data stores and buckets kept"))
    app.out.result({"ok": True, **summary})


@click.command()
@env_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None, help="default: build/NAME/")
@pass_app
def graph(app: AppContext, env_name: str, out_dir: str | None) -> None:
    """Draw the environment's topology (SVG and PNG, with graphviz)."""
    spec = app.load(env_name)
    target = Path(out_dir) if out_dir else app.workdir.build_dir(spec.name)
    written = draw(topology_dot(spec), target, f"{spec.name}-topology")
    for path in written:
        app.out.info(f"wrote {path}")
    app.out.result({"ok": True, "written": [str(p) for p in written]})


COMMANDS = [
    graph,
    plan,
    up,
    status,
    upgrade,
    _simple("backup", "Back up MySQL, MongoDB, uploads and secrets to the environment's object storage."),
    _simple("restore", "Restore a backup into this environment."),
    destroy,
]
