"""`plan`, `up`, `status`, `upgrade`, `backup`, `restore`, `destroy`.

Each says what it will do. Those whose machinery has not landed yet exit 1 with that plan rather than pretend:
a pipeline must never read success from a command that did nothing.
"""

from __future__ import annotations

import click

from ..context import AppContext, env_option, pass_app
from ..errors import DeployError
from ..releases import load_catalog

PLANS = {
    "plan": [
        "validate and render the environment",
        "terraform plan (through the Terraform adapter) and summarise resources to add/change/destroy",
        "ansible check mode with diff over playbooks/site.yml",
        "exit 0 when nothing would change, 3 when changes are pending, 1 on error",
    ],
    "up": [
        "validate the environment file and run cloud preflight (credentials, region, zones, machine types, quota)",
        "render build/NAME/terraform and inventories/NAME",
        "terraform init / plan / apply; the inventory is filled from Terraform's outputs",
        "run playbooks/site.yml with ansible-runner, showing the current task and host",
        "check /heartbeat through the proxy and each data store, then print the URLs and what changed",
    ],
    "status": ["show each host and container with its health: heartbeat and data-store reachability"],
    "backup": [
        "dump MySQL consistently (or snapshot the managed database) and MongoDB",
        "record how to rebuild the search index; copy uploaded files or rely on bucket versioning",
        "store the dumps and the encrypted secrets in the environment's backup bucket, with retention",
    ],
    "restore": ["restore MySQL, MongoDB, uploads and secrets from a backup into this environment"],
    "destroy": [
        "ask for the environment name to be typed (or --yes)",
        "take a final snapshot where the cloud supports it",
        "destroy hosts and networking; keep data stores and buckets unless --include-data",
    ],
}


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
    steps.append("on a failed heartbeat gate: restore the previous image and configuration on changed hosts"
                 + (", and the database" if rollback_data else "; the database only with confirmation"))
    _not_ready(app, "upgrade", steps)


COMMANDS = [
    _simple("plan", "Show what `up` would change: Terraform plan and Ansible check mode (exit 3 = changes)."),
    _simple("up", "Create or update the environment: Terraform, then Ansible, then a health check."),
    _simple("status", "Show each host and container with its health."),
    upgrade,
    _simple("backup", "Back up MySQL, MongoDB, uploads and secrets to the environment's object storage."),
    _simple("restore", "Restore a backup into this environment."),
    _simple("destroy", "Remove the environment; data stores and buckets survive unless --include-data."),
]
