"""The JSON contract of `--output json`: one typed document per command, and one error document for every command.

Every document carries `command` (the subcommand that printed it), `schema_version` and `ok`. A failure prints
`ErrorDocument` instead of the command's result: `kind` says what went wrong (a bad environment file, bad usage, a
failed preflight, a failure while running, an interruption, a declined prompt), `message` says it in a sentence and
`problems` lists each problem with where it is. The JSON Schemas published under docs/json-schemas/ are generated
from these models (`python -m openedx_deploy.commands.documents DIR` writes them; a test fails when they drift).

Raise `schema_version` when a field is removed, renamed or changes its type; adding a field keeps it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

ErrorKind = Literal["spec", "usage", "preflight", "failure", "interrupted", "aborted"]


class _Strict(BaseModel):
    # Every field is always printed, so the schema requires every field, including those with defaults.
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class Document(_Strict):
    command: str = Field(description="the subcommand that printed this document, e.g. `up`")
    schema_version: Literal[1] = Field(1, description="raised when a field is removed or changes type")


class Result(Document):
    ok: Literal[True] = True


# --- errors ------------------------------------------------------------------------------------------------------


class Problem(_Strict):
    """One problem: where it is and what is allowed or wrong."""

    field: str | None = Field(
        description=(
            "where: a field path of the environment file (`domains.lms`) for spec problems, the check's name for "
            "preflight problems, the option or argument (`--cloud`) for usage problems; null when nowhere in particular"
        )
    )
    message: str
    line: int | None = Field(None, description="line in the environment file, when known")
    column: int | None = Field(None, description="column in the environment file, when known")


class ErrorDocument(Document):
    """What every command prints instead of its result when it fails (exit code 1, 2 or 130)."""

    command: str | None = Field(description="the subcommand, or null when the command line named none that exists")  # type: ignore[assignment]
    ok: Literal[False] = False
    kind: ErrorKind = Field(
        description=(
            "spec: the environment file is not valid (exit 2); usage: bad command line or input (exit 2); "
            "preflight: a cloud check failed before anything was created (exit 1); failure: a step failed (exit 1); "
            "interrupted: stopped by Ctrl-C or SIGTERM, run the same command again to resume (exit 130); "
            "aborted: a confirmation was declined, or was needed with no terminal to ask and no --yes; nothing "
            "was done (exit 1)"
        )
    )
    message: str
    problems: list[Problem] = Field(default_factory=list)
    exit_code: int


# --- shared parts ------------------------------------------------------------------------------------------------


class TerraformPlan(_Strict):
    add: int
    change: int
    destroy: int
    resources: list[str]


class Heartbeat(_Strict):
    target: str = Field(description="the address /heartbeat was asked at (load balancer or app host)")
    status: int | None = Field(description="HTTP status, null when there was no answer")
    healthy: bool
    stores: dict[str, str] = Field(description="each data store the platform checked, and its state")
    error: str


class DnsRecord(_Strict):
    name: str = Field(description="the domain (LMS, Studio or MFE), without a trailing dot")
    type: str = Field(
        description="A (to an address), CNAME (to a DNS name), or ALIAS (Route 53's alias A record to the load "
        "balancer's DNS name)"
    )
    value: str = Field(description="the load balancer's address or DNS name (no load balancer: the app host's address)")
    zone: str = Field(description='the DNS zone (dns.zone) the stack created the record in; "": create it by hand')


class PreflightCheck(_Strict):
    check: str
    ok: bool
    detail: str


def _logs() -> Any:
    return Field(
        default_factory=list,
        description=(
            "the run logs this command appended to (build/NAME/logs/terraform.log, ansible.log), secrets redacted"
        ),
    )


class Snapshot(_Strict):
    kind: str
    id: str
    source: str
    tags: dict[str, str] | None = None


# --- one result per command --------------------------------------------------------------------------------------


class InitResult(Result):
    command: Literal["init"] = "init"
    environment_file: str
    secrets_file: str
    secrets_generated: list[str] = Field(description="names of the secrets generated (never their values)")
    created: bool = Field(
        default=True, description="false when the file existed, agreed with the options and was kept as it was"
    )


class ValidateResult(Result):
    command: Literal["validate"] = "validate"
    environment: dict[str, Any] = Field(description="the environment with every default filled in")


class RenderResult(Result):
    command: Literal["render"] = "render"
    written: list[str]
    unchanged: list[str]
    waiting: list[str] = Field(description="what is rendered only once `up` has created the hosts")


class SchemaResult(Result):
    command: Literal["schema"] = "schema"
    environment_schema: dict[str, Any] = Field(
        description="the JSON Schema (draft 2020-12) of an environment file: what `openedx-deploy schema` prints "
        "without --output json, and docs/schemas/environment.schema.json publishes"
    )


class ReleaseRow(_Strict):
    """One release of the catalog, as `releases` shows it."""

    name: str
    order: int = Field(description="1 for the oldest; upgrades go one release at a time in this order")
    default: bool = Field(description="what `init` uses without --release")
    status: Literal["supported", "upgrade_only"]
    git_tag: str
    tutor_version: str
    tutor_packages: list[str] = Field(description="the Tutor packages whose images this release runs (pip pins)")
    python: str
    image: str
    mfe_image: str
    notes_image: str
    mysql: str
    mongodb: str
    redis: str
    search_engine: str
    meilisearch: str
    elasticsearch: str
    opensearch: str
    forum_backend: Literal["mysql", "mongodb"]
    upgrade_steps: list[str] = Field(description="the steps an upgrade to this release runs, in order")


class ReleasesResult(Result):
    command: Literal["releases"] = "releases"
    releases: list[ReleaseRow] = Field(description="the catalog, oldest release first")


class UpResult(Result):
    command: Literal["up"] = "up"
    environment: str
    cloud: str
    release: str
    preflight: list[PreflightCheck]
    hosts_created: list[str]
    terraform: TerraformPlan | None
    ansible_changed: dict[str, int] = Field(description="tasks changed per host")
    changed_total: int
    heartbeats: list[Heartbeat]
    urls: dict[str, str]
    dns_records: list[DnsRecord] = Field(
        default_factory=list,
        description="the records pointing the domains at the load balancer (clouds): created by the stack in `zone`, "
        'or to create by hand where `zone` is ""; empty on the local target',
    )
    substitutes: list[str] = Field(description="what runs instead of the real thing offline (empty online)")
    seconds: dict[str, float] = Field(description="time per phase")
    logs: list[str] = _logs()


class PlanResult(Result):
    command: Literal["plan"] = "plan"
    changes_pending: bool = Field(description="true when `up` would change something (exit code 3)")
    pending: list[str]
    substitutes: list[str]
    terraform: TerraformPlan | None = None
    ansible_changed: dict[str, int] | None = Field(description="check-mode changes per host; null before hosts exist")
    ansible_changes: list[str] | None = Field(
        default=None, description="each task check mode would change, as `host: role : task`; null before hosts exist"
    )
    logs: list[str] = _logs()


class HostStatus(_Strict):
    host: str
    groups: list[str]
    state: str
    address: str
    heartbeat: str
    stores: dict[str, str]


class Deployed(_Strict):
    """What the last successful `up` or `upgrade` from this working directory deployed."""

    release: str
    image: str
    at: str = Field(description="when, ISO 8601 UTC")
    command: str


class StatusResult(Result):
    command: Literal["status"] = "status"
    environment: str
    cloud: str
    release: str | None = Field(
        description="the release that runs: the last successful `up`/`upgrade`'s, null when none is recorded"
    )
    release_in_file: str = Field(description="the release the environment file names (what the next `up` deploys)")
    deployed: Deployed | None
    hosts: list[HostStatus]


class RestartResult(Result):
    command: Literal["restart"] = "restart"
    changed: dict[str, int]
    heartbeats: list[Heartbeat]
    logs: list[str] = _logs()


class UpgradeStep(_Strict):
    step: str
    status: Literal["done", "skipped", "failed"]
    seconds: float
    detail: str


class UpgradeResult(Result):
    command: Literal["upgrade"] = "upgrade"
    environment: str
    from_release: str
    to_release: str
    steps: list[UpgradeStep]
    backup: str | None = Field(description="the id of the backup taken before the upgrade")
    rolled_back: bool
    data_restored: bool
    logs: list[str] = _logs()


class BackupFile(_Strict):
    bytes: int
    sha256: str


class BackupEncryption(_Strict):
    algorithm: str
    key: str = Field(description="which secret holds the key (never the key itself)")


class BackupTaken(Result):
    command: Literal["backup"] = "backup"
    id: str
    environment: str
    cloud: str
    release: str
    reason: str
    created: str
    location: str
    files: dict[str, BackupFile] = Field(description="each file of the backup, by name")
    encryption: BackupEncryption = Field(description="how the dumps (files ending .enc) are encrypted at rest")
    stores: dict[str, dict[str, Any]] = Field(description="how each data store was backed up")
    snapshots: list[Snapshot]
    pruned: list[str]


class BackupEntry(_Strict):
    id: str
    created: str
    reason: str


class BackupList(Result):
    command: Literal["backup"] = "backup"
    backups: list[BackupEntry]


class RestoreResult(Result):
    command: Literal["restore"] = "restore"
    restored: str = Field(description="the backup's id")
    source: str = Field(alias="from", description="the environment the backup was taken from")
    files: list[str]
    secrets: bool
    search: dict[str, Any] = Field(description="how to rebuild the search index")

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)  # `from` is a Python keyword


class DestroyResult(Result):
    command: Literal["destroy"] = "destroy"
    environment: str
    removed: list[str] = Field(description="hosts removed (local target)")
    kept: list[str]
    terraform: TerraformPlan | None = None
    snapshots: list[Snapshot] = Field(default_factory=list)
    found: bool = Field(
        default=True,
        description="false: nothing of the environment existed (never deployed, or destroyed already), so nothing "
        "was planned or removed",
    )
    logs: list[str] = _logs()


class GraphResult(Result):
    command: Literal["graph"] = "graph"
    written: list[str]


class LoadtestFigures(_Strict):
    """One endpoint's figures over the whole run, or all requests' (`total`)."""

    method: str = Field(description='the HTTP method; "" for all requests')
    name: str = Field(description="the platform's route, e.g. /api/user/v1/me; `all requests` for the total")
    requests: int
    failures: int = Field(description="requests answered 4xx/5xx, or not answered (refused, timeout, TLS)")
    error_rate: float = Field(description="failures / requests, 0 to 1")
    requests_per_s: float
    p50_ms: int | None = Field(description="median response time in milliseconds; null without requests")
    p95_ms: int | None
    p99_ms: int | None
    max_ms: int | None


class LoadtestGate(_Strict):
    gate: Literal["p95_ms", "error_rate"] = Field(description="the environment file's slo field")
    limit: float
    measured: float
    passed: bool = Field(description="measured <= limit")


class LoadtestSample(_Strict):
    t_s: float = Field(description="seconds since the run started")
    users: int
    requests_per_s: float
    failures_per_s: float
    p50_ms: int | None = Field(description="over Locust's last 10 s; null until it has them")
    p95_ms: int | None


class LoadtestFailure(_Strict):
    method: str
    name: str
    error: str
    occurrences: int


class LoadtestResult(Result):
    command: Literal["loadtest"] = "loadtest"
    environment: str
    base_url: str = Field(description="the site the load went to (its domain: Host, TLS name and cookies)")
    entry_point: str = Field(description="the address the connections went to: the load balancer or an app host")
    users: int
    spawn_rate: float
    duration_s: int
    learner: str | None = Field(description="the learner signed in as; null: anonymous visitors only")
    passed: bool = Field(description="every gate passed; false exits 3")
    gates: list[LoadtestGate]
    total: LoadtestFigures
    endpoints: list[LoadtestFigures]
    failures: list[LoadtestFailure] = Field(description="each kind of failure and how often it happened")
    timeline: list[LoadtestSample] = Field(description="one sample a second, all endpoints together")
    plot: str = Field(description="the PNG of the run over time")
    files: str = Field(description="the run's directory: Locust's statistics and log, the plot")


# The documents each command prints on success; ErrorDocument is the other branch of every command's schema.
RESULTS: dict[str, tuple[type[Result], ...]] = {
    "init": (InitResult,),
    "validate": (ValidateResult,),
    "render": (RenderResult,),
    "schema": (SchemaResult,),
    "releases": (ReleasesResult,),
    "plan": (PlanResult,),
    "up": (UpResult,),
    "status": (StatusResult,),
    "restart": (RestartResult,),
    "upgrade": (UpgradeResult,),
    "backup": (BackupTaken, BackupList),
    "restore": (RestoreResult,),
    "destroy": (DestroyResult,),
    "graph": (GraphResult,),
    "loadtest": (LoadtestResult,),
}


def command_schema(command: str) -> dict[str, Any]:
    """The JSON Schema of everything `openedx-deploy COMMAND --output json` prints: its result or an error."""
    from typing import Union

    documents = (*RESULTS[command], ErrorDocument)
    union: Any = Union[documents]  # noqa: UP007 (a union built at run time from the classes)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"openedx-deploy {command} --output json",
        **TypeAdapter(union).json_schema(mode="serialization"),
    }


def write_schemas(directory: Path) -> list[Path]:
    """Writes one schema file per command into `directory`; returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for command in RESULTS:
        path = directory / f"{command}.json"
        path.write_text(json.dumps(command_schema(command), indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/json-schemas")):
        print(written_path)
