"""The commands acting on an environment: `plan`, `up`, `status`, `restart`, `upgrade`, `backup`, `restore`,
`destroy`, `graph`.

The workflows (deploy, upgrade, backup: Ansible, Terraform, the cloud SDKs) are imported inside the commands, so
that `--help` and shell completion do not pay for them.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..context import AppContext, env_option, pass_app
from ..errors import DeployError

if TYPE_CHECKING:
    from ..deploy import Deployer
    from ..spec import EnvironmentSpec
    from .documents import Deployed

EXIT_CHANGES_PENDING = 3
DEPLOYED_FILE = "deployed.json"  # under build/NAME/: what the last successful up/upgrade deployed


def _deployer(app: AppContext, spec: EnvironmentSpec) -> Deployer:
    from ..deploy import Deployer

    return Deployer(spec, app.workdir, app.out, confirm=app.confirm)


def _running_image(app: AppContext, spec: EnvironmentSpec) -> str:
    """The image the hosts were converged with: the one the rendered inventory named (the test double offline),
    else the one the environment file names."""
    import yaml

    facts = app.workdir.inventory_dir(spec.name) / "group_vars" / "all" / "main.yml"
    try:
        image = (yaml.safe_load(facts.read_text()) or {}).get("openedx_image")
    except (OSError, yaml.YAMLError):
        image = None
    return str(image or spec.image.reference)


def _substitutes_ran(app: AppContext, spec: EnvironmentSpec) -> tuple[str | None, list[str]]:
    """What the rendered inventory says ran instead (the local target offline): the MySQL flavour, and the stores
    left out. (None, []) when it names no substitutes, or there is none yet."""
    import yaml

    facts_file = app.workdir.inventory_dir(spec.name) / "group_vars" / "all" / "main.yml"
    try:
        facts = yaml.safe_load(facts_file.read_text()) or {}
    except (OSError, yaml.YAMLError):
        return None, []
    if not isinstance(facts, dict) or not facts.get("openedx_substitutes"):
        return None, []
    left_out = [
        s for s in ("mysql", "mongodb", "redis", "search") if (facts.get(f"openedx_{s}") or {}).get("enabled") is False
    ]
    return (facts.get("openedx_mysql") or {}).get("flavor"), left_out


def _record_deployed(app: AppContext, spec: EnvironmentSpec, command: str) -> None:
    from .documents import Deployed

    record = Deployed(
        release=spec.release,
        image=_running_image(app, spec),
        at=datetime.now(UTC).isoformat(timespec="seconds"),
        command=command,
    )
    path = app.workdir.build_dir(spec.name) / DEPLOYED_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(record.model_dump_json(indent=2) + "\n")


def _deployed(app: AppContext, name: str) -> Deployed | None:
    from pydantic import ValidationError

    from .documents import Deployed

    path = app.workdir.build_dir(name) / DEPLOYED_FILE
    try:
        return Deployed.model_validate(json.loads(path.read_text()))
    except (OSError, ValueError, ValidationError):
        return None


def _name_logs(app: AppContext, logs: list[str]) -> None:
    """The summary's last word: where the whole run is, for when something needs looking into."""
    if logs:
        app.out.info(f"Run log (secrets redacted): {', '.join(logs)}")


def _warn_gap(app: AppContext, spec: EnvironmentSpec, what: str) -> None:
    """Say before a rolling replacement starts that it cannot be gapless, and why (topology.gapless_gap)."""
    from ..topology import gapless_gap

    gap = gapless_gap(spec)
    if gap:
        app.out.warn(f"This {what} of {spec.name} will drop requests: {gap}.")


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
    failed gate.

    \b
    Examples:
      openedx-deploy upgrade -e prod --to verawood
      openedx-deploy upgrade -e prod --to verawood --image registry.example.org/openedx:22.0.1 --yes
    """
    from ..upgrade import Upgrader
    from .documents import UpgradeResult

    spec = app.load(env_name)
    _warn_gap(app, spec, "upgrade")
    deployer = _deployer(app, spec)

    def confirm(question: str) -> bool:
        return False if app.yes else click.confirm(question, default=False, err=True)

    result = Upgrader(deployer, confirm=confirm).run(target, image, image_archive, rollback_data)
    _record_deployed(app, app.load(env_name), "upgrade")
    for step in result.steps:
        app.out.info(f"  {step['status']:8} {step['step']} ({step['seconds']} s) {step['detail']}")
    app.out.info(f"{spec.name} runs {result.to_release} (backup before the upgrade: {result.backup})")
    logs = deployer.log_names()
    _name_logs(app, logs)
    fields = asdict(result)
    fields.pop("ok")  # the document's own `ok` says it
    app.out.result(UpgradeResult(**fields, logs=logs))


@click.command()
@env_option
@click.option("--reason", default="manual", show_default=True, help="recorded in the backup's name and manifest")
@click.option("--list", "list_only", is_flag=True, help="list the complete backups instead of taking one")
@pass_app
def backup(app: AppContext, env_name: str, reason: str, list_only: bool) -> None:
    """Back up MySQL, MongoDB and the encrypted secrets to the environment's backup storage (snapshots on clouds).

    \b
    Examples:
      openedx-deploy backup -e prod --reason before-course-import
      openedx-deploy backup -e prod --list --output json
    """
    from ..backup import Backups
    from .documents import BackupList, BackupTaken

    spec = app.load(env_name)
    backups = Backups(_deployer(app, spec))
    if list_only:
        rows = backups.list()
        app.out.result(BackupList.model_validate({"backups": rows}))
        app.out.table(f"backups of {spec.name}", ["id", "created", "reason"], [list(r.values()) for r in rows])
        return
    manifest = backups.backup(reason)
    app.out.info(f"Backup {manifest['id']} stored in {manifest['location']}")
    for store, how in manifest["stores"].items():
        app.out.info(f"  {store:8} {how['method']}")
    app.out.result(BackupTaken.model_validate(manifest))


@click.command()
@env_option
@click.option("--backup", "backup_id", required=True, help="the backup's id (`backup --list`), or `latest`")
@click.option("--from", "source", default=None, metavar="NAME", help="take the backup from environment NAME")
@click.option("--with-secrets", is_flag=True, help="also replace this environment's secrets with the backup's")
@pass_app
def restore(app: AppContext, env_name: str, backup_id: str, source: str | None, with_secrets: bool) -> None:
    """Replace this environment's databases with a backup's, then converge and check it.

    \b
    Examples:
      openedx-deploy restore -e staging --backup latest
      openedx-deploy restore -e dr --backup latest --from prod --with-secrets --yes
    """
    from ..backup import Backups
    from .documents import RestoreResult

    spec = app.load(env_name)
    if not app.yes:
        click.confirm(
            f"Replace the databases of {spec.name} with backup {backup_id}? Writes since then are lost",
            abort=True,
            err=True,
        )
    summary = Backups(_deployer(app, spec)).restore(backup_id, source, with_secrets)
    app.out.info(f"Restored {summary['restored']} from {summary['from']} into {spec.name}; it is healthy.")
    app.out.info("Rebuild the search index: " + "; ".join(summary["search"].get("commands", [])))
    app.out.result(RestoreResult.model_validate(summary))


@click.command()
@env_option
@pass_app
def restart(app: AppContext, env_name: str) -> None:
    """Rolling restart: app hosts one at a time behind the load balancer, each gated on /heartbeat; then workers.

    \b
    Examples:
      openedx-deploy restart -e prod
    """
    from .documents import RestartResult

    spec = app.load(env_name)
    _warn_gap(app, spec, "restart")
    summary = _deployer(app, spec).restart()
    app.out.info(f"{spec.name} restarted host by host and is healthy.")
    _name_logs(app, summary["logs"])
    app.out.result(RestartResult.model_validate(summary))


@click.command()
@env_option
@pass_app
def up(app: AppContext, env_name: str) -> None:
    """Create or update the environment: preflight, Terraform (or podman hosts), Ansible, health check.

    Safe to run again: a second run changes nothing, and a run that was stopped (Ctrl-C) completes.

    \b
    Examples:
      openedx-deploy up -e demo --yes
      OPENEDX_DEPLOY_YES=1 openedx-deploy up -e staging --output json > up.json
    """
    from ..stackoutputs import dns_record_lines
    from .documents import UpResult

    spec = app.load(env_name)
    result = _deployer(app, spec).up()
    _record_deployed(app, spec, "up")
    app.out.info("")
    app.out.info(f"{spec.name} runs {spec.release} and is healthy. Ansible changed {result.changed_total} task(s).")
    for name, url in result.urls.items():
        app.out.info(f"  {name:7} {url}")
    for beat in result.heartbeats:
        stores = ", ".join(f"{k} {v}" for k, v in sorted(beat["stores"].items()))
        app.out.info(f"  heartbeat via {beat['target']}: {beat['status']} ({stores})")
    for line in dns_record_lines(result.dns_records):
        app.out.info(line)
    if result.substitutes:
        app.out.info("Offline: this environment runs substitutes, not the real Open edX image and MySQL.")
    _name_logs(app, result.logs)
    app.out.result(
        UpResult.model_validate(
            {
                **asdict(result),
                "release": spec.release,
                "changed_total": result.changed_total,
                "preflight": [{"check": c["check"], "ok": c["ok"], "detail": c["detail"]} for c in result.preflight],
            }
        )
    )


@click.command()
@env_option
@pass_app
def plan(app: AppContext, env_name: str) -> None:
    """Show what `up` would change: hosts, Terraform plan, Ansible check mode. Exit 3 when changes are pending.

    \b
    Examples:
      openedx-deploy plan -e prod
      openedx-deploy plan -e prod --output json || test $? -eq 3
    """
    from .documents import PlanResult

    spec = app.load(env_name)
    report = _deployer(app, spec).plan()
    pending = report["pending"]
    for line in pending:
        app.out.info(f"  ~ {line}")
    for task in report.get("ansible_changes") or []:
        app.out.info(f"      {task}")
    app.out.info(f"{len(pending)} change(s) pending" if pending else "No changes: the environment matches its file.")
    _name_logs(app, report["logs"])
    app.out.result(PlanResult.model_validate({"changes_pending": bool(pending), **report}))
    if pending:
        raise click.exceptions.Exit(EXIT_CHANGES_PENDING)


def _release_line(spec: EnvironmentSpec, deployed: Deployed | None) -> str:
    if deployed is None:
        return f"release: none recorded (no successful `up` from this working directory); the file names {spec.release}"
    line = f"release: {deployed.release} ({deployed.image}), deployed by `{deployed.command}` at {deployed.at}"
    if deployed.release != spec.release:
        line += f"; the file names {spec.release}: run `upgrade --to {spec.release}`"
    return line


@click.command()
@env_option
@pass_app
def status(app: AppContext, env_name: str) -> None:
    """Show the release that runs, and each host with its state and, for app hosts, the heartbeat and data-store
    health.

    \b
    Examples:
      openedx-deploy status -e demo
      openedx-deploy status -e demo --output json | jq -r '.release'
    """
    from .documents import StatusResult

    spec = app.load(env_name)
    rows = _deployer(app, spec).status()
    deployed = _deployed(app, spec.name)
    hosts = [{**row, "groups": _groups(row["groups"])} for row in rows]
    app.out.result(
        StatusResult.model_validate(
            {
                "environment": spec.name,
                "cloud": spec.cloud,
                "release": deployed.release if deployed else None,
                "release_in_file": spec.release,
                "deployed": deployed,
                "hosts": hosts,
            }
        )
    )
    if app.out.json:
        return
    app.out.info(f"{spec.name} ({spec.cloud}) {_release_line(spec, deployed)}")
    app.out.table(
        f"{spec.name} ({spec.cloud})",
        ["host", "groups", "state", "address", "heartbeat", "stores"],
        [
            [
                r["host"],
                ", ".join(r["groups"]),
                r["state"],
                r["address"],
                r["heartbeat"],
                ", ".join(f"{k} {v}" for k, v in sorted(r["stores"].items())),
            ]
            for r in hosts
        ],
    )


def _groups(value: str | list[str]) -> list[str]:
    """A host's groups as a list (the workflows give them comma-separated)."""
    return [g for g in value.split(",") if g] if isinstance(value, str) else list(value)


@click.command()
@env_option
@click.option("--include-data", is_flag=True, help="also remove data stores and buckets (after a final snapshot)")
@pass_app
def destroy(app: AppContext, env_name: str, include_data: bool) -> None:
    """Remove the environment's hosts; data stores and buckets survive unless --include-data.

    Asks for the environment's name to be typed first (on stderr), unless --yes.

    \b
    Examples:
      openedx-deploy destroy -e demo --include-data
      openedx-deploy destroy -e staging --yes --output json
    """
    from .documents import DestroyResult

    spec = app.load(env_name)
    if not app.yes:
        typed = click.prompt(
            f"Type the environment name ({spec.name}) to destroy it", default="", show_default=False, err=True
        )
        if typed != spec.name:
            raise DeployError("the name typed does not match: nothing was destroyed")
    summary = _deployer(app, spec).destroy(include_data)
    (app.workdir.build_dir(spec.name) / DEPLOYED_FILE).unlink(missing_ok=True)  # its app hosts no longer run
    if summary.get("found", True):
        app.out.info(f"Destroyed {spec.name}" + ("" if include_data else "; data stores and buckets kept"))
    else:
        app.out.info(f"Nothing to destroy: {spec.name} has nothing deployed")
    _name_logs(app, summary["logs"])
    app.out.result(DestroyResult.model_validate({"environment": spec.name, "removed": [], **summary}))


@click.command()
@env_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None, help="default: build/NAME/")
@pass_app
def graph(app: AppContext, env_name: str, out_dir: str | None) -> None:
    """Draw the environment's topology (SVG and PNG, with graphviz).

    \b
    Examples:
      openedx-deploy graph -e prod
      openedx-deploy graph -e prod --out docs/images
    """
    from ..graph import draw, topology_dot
    from .documents import GraphResult

    spec = app.load(env_name)
    target = Path(out_dir) if out_dir else app.workdir.build_dir(spec.name)
    # What runs: offline, the local target's substitutes, as the last render or `up` wrote them.
    mysql_flavor, left_out = _substitutes_ran(app, spec)
    written = draw(topology_dot(spec, mysql_flavor, left_out), target, f"{spec.name}-topology")
    for path in written:
        app.out.info(f"wrote {path}")
    app.out.result(GraphResult(written=[str(p) for p in written]))


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
