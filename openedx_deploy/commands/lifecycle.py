"""The commands acting on an environment: `plan`, `up`, `status`, `restart`, `upgrade`, `backup`, `restore`,
`destroy`, `graph`."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from ..backup import Backups
from ..context import AppContext, env_option, pass_app
from ..deploy import Deployer
from ..errors import DeployError
from ..graph import draw, topology_dot
from ..upgrade import Upgrader

EXIT_CHANGES_PENDING = 3


@click.command()
@env_option
@click.option("--to", "target", required=True, help="the release to upgrade to (the next one in the catalog)")
@click.option("--image", default=None, metavar="REPOSITORY:TAG", help="your own image built for that release")
@click.option("--image-archive", default=None, metavar="PATH", help="that image as an archive (air-gapped hosts)")
@click.option("--rollback-data", is_flag=True, help="restore the database too if a gate fails after migrations")
@pass_app
def upgrade(
    app: AppContext, env_name: str, target: str, image: str | None, image_archive: str | None, rollback_data: bool
) -> None:
    """Upgrade to the next named release: backup, data-store steps, migrations, rolling restart, rollback on a
    failed gate."""
    spec = app.load(env_name)
    deployer = Deployer(spec, app.workdir, app.out)

    def confirm(question: str) -> bool:
        return False if app.yes else click.confirm(question, default=False, err=True)

    result = Upgrader(deployer, confirm=confirm).run(target, image, image_archive, rollback_data)
    for step in result.steps:
        app.out.info(f"  {step['status']:8} {step['step']} ({step['seconds']} s) {step['detail']}")
    app.out.info(f"{spec.name} runs {result.to_release} (backup before the upgrade: {result.backup})")
    app.out.result({"ok": True, **asdict(result)})


@click.command()
@env_option
@click.option("--reason", default="manual", show_default=True, help="recorded in the backup's name and manifest")
@click.option("--list", "list_only", is_flag=True, help="list the complete backups instead of taking one")
@pass_app
def backup(app: AppContext, env_name: str, reason: str, list_only: bool) -> None:
    """Back up MySQL, MongoDB and the encrypted secrets to the environment's backup storage (snapshots on clouds)."""
    spec = app.load(env_name)
    backups = Backups(Deployer(spec, app.workdir, app.out))
    if list_only:
        rows = backups.list()
        app.out.result({"ok": True, "backups": rows})
        if not app.out.json:
            app.out.table(f"backups of {spec.name}", ["id", "created", "reason"], [list(r.values()) for r in rows])
        return
    manifest = backups.backup(reason)
    app.out.info(f"Backup {manifest['id']} stored in {manifest['location']}")
    for store, how in manifest["stores"].items():
        app.out.info(f"  {store:8} {how['method']}")
    app.out.result({"ok": True, **manifest})


@click.command()
@env_option
@click.option("--backup", "backup_id", required=True, help="the backup's id (`backup --list`), or `latest`")
@click.option("--from", "source", default=None, metavar="NAME", help="take the backup from environment NAME")
@click.option("--with-secrets", is_flag=True, help="also replace this environment's secrets with the backup's")
@pass_app
def restore(app: AppContext, env_name: str, backup_id: str, source: str | None, with_secrets: bool) -> None:
    """Replace this environment's databases with a backup's, then converge and check it."""
    spec = app.load(env_name)
    if not app.yes:
        click.confirm(
            f"Replace the databases of {spec.name} with backup {backup_id}? Writes since then are lost",
            abort=True,
            err=True,
        )
    summary = Backups(Deployer(spec, app.workdir, app.out)).restore(backup_id, source, with_secrets)
    app.out.info(f"Restored {summary['restored']} from {summary['from']} into {spec.name}; it is healthy.")
    app.out.info("Rebuild the search index: " + "; ".join(summary["search"].get("commands", [])))
    app.out.result({"ok": True, **summary})


@click.command()
@env_option
@pass_app
def restart(app: AppContext, env_name: str) -> None:
    """Rolling restart: app hosts one at a time behind the load balancer, each gated on /heartbeat; then workers."""
    spec = app.load(env_name)
    summary = Deployer(spec, app.workdir, app.out).restart()
    app.out.info(f"{spec.name} restarted host by host and is healthy.")
    app.out.result({"ok": True, **summary})


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
    backup,
    restore,
    restart,
    destroy,
]
