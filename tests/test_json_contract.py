"""The `--output json` contract: every command prints one document that validates against its schema published in
docs/json-schemas/, errors of every kind included, and the published schemas are the ones the models generate.

Commands run through click's CliRunner on a local environment whose adapters are the fakes of tests/fakes.py
(podman hosts, Ansible, heartbeat); everything else (spec, render, vault, backup storage) is the real code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result
from fakes import FakeHosts, healthy, use_fake_adapters
from loadtest_double import LmsDouble
from test_health import self_signed

from openedx_deploy import secrets, targets
from openedx_deploy.ansible import PlaybookResult
from openedx_deploy.backup import MYSQL_DUMP
from openedx_deploy.cli import cli
from openedx_deploy.commands.documents import RESULTS, command_schema
from openedx_deploy.health import Heartbeat
from openedx_deploy.preflight import PreflightError, PreflightReport

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "json-schemas"
REGENERATE = "python -m openedx_deploy.commands.documents docs/json-schemas"


def test_published_schemas_are_the_ones_the_models_generate() -> None:
    published = sorted(p.name for p in SCHEMAS.glob("*.json"))
    assert published == sorted(f"{command}.json" for command in RESULTS), f"regenerate them: {REGENERATE}"
    for command in RESULTS:
        on_disk = json.loads((SCHEMAS / f"{command}.json").read_text())
        assert on_disk == command_schema(command), f"docs/json-schemas/{command}.json drifted: {REGENERATE}"


def test_every_subcommand_has_a_published_schema() -> None:
    missing = set(cli.commands) - set(RESULTS)
    assert not missing, f"{missing}: add the result model to RESULTS in commands/documents.py, then {REGENERATE}"
    assert not set(RESULTS) - set(cli.commands), "a schema is published for a command that no longer exists"


class ScriptedAnsible:
    """The Ansible adapter: converges (7 changes, then none), and writes the dump a backup's playbook fetches."""

    # Where the real adapter logs each run; the fake runs nothing, so it writes nothing there.
    LOG = Path("build/demo/logs/ansible.log")

    def __init__(self) -> None:
        self.changed = 7
        self.runs: list[str] = []

    def run_playbook(self, playbook: Path, inventory: Path, password: Path, **options: Any) -> PlaybookResult:
        self.runs.append(playbook.name)
        extravars = dict(options.get("extravars") or {})
        if playbook.name == "backup.yml":
            (Path(extravars["openedx_backup_dir"]) / MYSQL_DUMP).write_bytes(b"-- dump\n")
        changed, self.changed = self.changed, 0
        return PlaybookResult(status="successful", rc=0, changed={"demo-1": changed}, log=self.LOG)


class World:
    """A working directory with a local `demo` environment (release ulmo), and the fakes every Deployer gets."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hosts = FakeHosts()
        self.ansible = ScriptedAnsible()
        self.preflight = lambda spec: PreflightReport(spec.cloud)
        self.documents: dict[str, list[dict[str, Any]]] = {}

    def invoke(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["--workdir", str(self.root), *args], input=input)

    def json(self, *args: str, exit_code: int = 0, input: str | None = None) -> dict[str, Any]:
        """Runs a command with `--output json` (after the subcommand), checks its exit code, and validates its one
        stdout document against the command's published schema."""
        result = self.invoke(*args, "--output", "json", input=input)
        assert result.exit_code == exit_code, (result.stdout, result.stderr)
        document: dict[str, Any] = json.loads(result.stdout)  # one document, nothing else on stdout
        command = args[0]
        schema = json.loads((SCHEMAS / f"{command}.json").read_text())
        jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
        assert document["command"] == command and document["schema_version"] == 1
        assert document["ok"] is (exit_code in (0, 3))
        self.documents.setdefault(command, []).append(document)
        return document


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(secrets.PASSWORD_ENV, "contract-test")
    for name in ("OPENEDX_DEPLOY_ENV", "OPENEDX_DEPLOY_OUTPUT", "OPENEDX_DEPLOY_YES", "OPENEDX_DEPLOY_HOME"):
        monkeypatch.delenv(name, raising=False)
    world = World(tmp_path / "work")

    use_fake_adapters(
        monkeypatch,
        preflight=lambda s: world.preflight(s),
        hosts=lambda name: world.hosts,
        ansible=lambda artifacts: world.ansible,
        offline=lambda: True,
        double_archive=lambda: "/cache/openedx-double.tar",
        heartbeat=healthy,
    )

    def answered(target: str, domain: str, **_: Any) -> Heartbeat:
        return Heartbeat(target, domain, 200, {"mysql": "ok", "redis": "ok"})

    monkeypatch.setattr(targets, "check_heartbeat", answered)  # `status` asks each running app host itself
    return world


def test_every_command_prints_a_document_its_schema_accepts(world: World) -> None:
    init = world.json("init", "demo", "--cloud", "local", "--release", "ulmo")
    assert init["secrets_generated"]
    assert world.json("validate", "-e", "demo")["environment"]["release"] == "ulmo"
    assert world.json("render", "-e", "demo")["written"]
    assert [r["name"] for r in world.json("releases")["releases"]] == ["teak", "ulmo", "verawood"]
    assert world.json("schema")["environment_schema"]["required"] == ["name", "cloud"]

    before = world.json("plan", "-e", "demo", exit_code=3)
    assert before["changes_pending"] is True and before["ansible_changed"] is None

    up = world.json("up", "-e", "demo", "--yes")
    assert up["release"] == "ulmo" and up["changed_total"] == 7 and up["heartbeats"][0]["healthy"]
    assert any("MariaDB" in line for line in up["substitutes"])
    assert up["logs"] == [str(ScriptedAnsible.LOG)], "the summary names the run log"

    after = world.json("plan", "-e", "demo")
    assert after["changes_pending"] is False

    status = world.json("status", "-e", "demo")
    assert status["release"] == "ulmo" and status["deployed"]["command"] == "up"
    assert all(isinstance(host["groups"], list) for host in status["hosts"])
    assert any("app" in host["groups"] for host in status["hosts"])

    restarted = world.json("restart", "-e", "demo")
    assert restarted["heartbeats"] and restarted["logs"] == [str(ScriptedAnsible.LOG)]
    taken = world.json("backup", "-e", "demo", "--reason", "contract")
    assert taken["id"].endswith("-contract") and f"{MYSQL_DUMP}.enc" in taken["files"]
    listed = world.json("backup", "-e", "demo", "--list")
    assert [b["id"] for b in listed["backups"]] == [taken["id"]]
    restored = world.json("restore", "-e", "demo", "--backup", "latest", "--yes")
    assert restored["restored"] == taken["id"] and restored["from"] == "demo"

    upgraded = world.json("upgrade", "-e", "demo", "--to", "verawood", "--yes")
    assert upgraded["from_release"] == "ulmo" and upgraded["to_release"] == "verawood"
    assert upgraded["logs"] == [str(ScriptedAnsible.LOG)]
    assert world.json("status", "-e", "demo")["release"] == "verawood"

    drawn = world.json("graph", "-e", "demo")["written"]
    dot = Path(drawn[0]).read_text()  # offline: what ran, not what the file asks for (issue 14)
    assert "mariadb (offline substitute" in dot and "mongodb [label=" not in dot
    assert "search [label=" in dot and "meilisearch.demo.openedx.test" in dot  # its test double runs offline
    # The load goes to an LMS double (tests/test_loadtest.py tests the figures): the default gates pass.
    with LmsDouble(*self_signed(world.root.parent)) as double:
        options = ["--address", f"127.0.0.1:{double.port}", "--duration", "1", "--think-time", "0", "0.1"]
        loaded = world.json("loadtest", "-e", "demo", *options)
    assert loaded["passed"] is True and loaded["total"]["requests"] > 0 and loaded["entry_point"].startswith("127.")
    destroyed = world.json("destroy", "-e", "demo", "--include-data", "--yes")
    assert destroyed["removed"] and destroyed["kept"] == []
    gone = world.json("status", "-e", "demo")
    assert gone["release"] is None and gone["release_in_file"] == "verawood"

    assert set(world.documents) == set(RESULTS), "a command has no document checked here"


def test_errors_of_every_kind_are_one_document_with_kind_message_and_problems(world: World) -> None:
    world.json("init", "demo", "--cloud", "local", "--size", "standard")

    usage = world.json("up", exit_code=2)  # no -e
    assert usage["kind"] == "usage" and usage["problems"][0]["field"] == "-e/--env"
    unknown = world.json("up", "-e", "demo", "--bogus", exit_code=2)
    assert unknown["kind"] == "usage" and unknown["problems"][0]["field"] == "--bogus"
    missing = world.json("validate", "-e", "nope", exit_code=2)
    assert missing["kind"] == "usage" and "init" in missing["message"]

    env_file = world.root / "environments" / "demo.yml"
    good = env_file.read_text()
    env_file.write_text(good.replace("size: standard", "size: huge"))
    spec = world.json("validate", "-e", "demo", exit_code=2)
    assert spec["kind"] == "spec" and "size" in {p["field"] for p in spec["problems"]}
    env_file.write_text(good)

    def failing_preflight(spec: Any) -> PreflightReport:
        report = PreflightReport(spec.cloud)
        report.add("credentials", False, "no credentials: set AWS_ACCESS_KEY_ID")
        report.add("region", True, "eu-west-1 exists")
        raise PreflightError(report)

    world.preflight = failing_preflight
    preflight = world.json("up", "-e", "demo", "--yes", exit_code=1)
    assert preflight["kind"] == "preflight"
    assert preflight["problems"] == [
        {"field": "credentials", "message": "no credentials: set AWS_ACCESS_KEY_ID", "line": None, "column": None}
    ]

    declined = world.json("restore", "-e", "demo", "--backup", "latest", exit_code=1, input="n\n")
    assert declined["kind"] == "aborted"
    mismatch = world.json("destroy", "-e", "demo", exit_code=1, input="wrong\n")
    assert mismatch["kind"] == "failure" and "does not match" in mismatch["message"]


def test_unknown_command_in_json_is_a_usage_document_without_a_command(world: World) -> None:
    result = world.invoke("--output", "json", "deploy-everything")
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    assert document["command"] is None and document["kind"] == "usage"
    jsonschema.validate(document, json.loads((SCHEMAS / "up.json").read_text()))


def test_destroy_prompt_goes_to_stderr_and_stdout_stays_one_document(world: World) -> None:
    world.json("init", "demo", "--cloud", "local", "--size", "standard")
    world.json("up", "-e", "demo", "--yes")
    result = world.invoke("destroy", "-e", "demo", "--output", "json", input="demo\n")
    assert result.exit_code == 0, result.stderr
    assert "Type the environment name (demo)" in result.stderr
    assert "Type the environment name" not in result.stdout
    document = json.loads(result.stdout)
    assert document["command"] == "destroy" and document["kept"] == ["demo-data-1"]


def test_up_text_names_the_substitutes_not_an_internal_document(world: World) -> None:
    world.json("init", "demo", "--cloud", "local")
    result = world.invoke("up", "-e", "demo", "--yes")
    assert result.exit_code == 0, result.output
    assert "TEST-HARNESS" not in result.output
    assert "MariaDB" in result.output and "test double" in result.output
    assert "demo runs" in result.output
