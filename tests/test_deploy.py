"""The deploy workflows with fake adapters: the order of phases, what each phase hands the next, and the refusals.

The fakes here (FakeHosts, FakeTerraform, FakeAnsible) are test doubles of the adapters in openedx_deploy
(localhosts, terraform, ansible); the real adapters have their own tests against podman, Terraform and
ansible-runner, and the slow end-to-end test runs `up` for real.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from fakes import FakeAnsible, FakeHosts, FakeTerraform, healthy, use_fake_adapters

from openedx_deploy import extras, secrets, stackoutputs
from openedx_deploy.cli import cli
from openedx_deploy.deploy import DOUBLE_IMAGE, Deployer
from openedx_deploy.errors import Declined, DeployError, UsageError
from openedx_deploy.health import Heartbeat
from openedx_deploy.output import Output
from openedx_deploy.paths import Workdir
from openedx_deploy.preflight import PreflightReport
from openedx_deploy.snapshots import Snapshot
from openedx_deploy.spec import parse_spec
from openedx_deploy.targets import CLOUD_SUBSTITUTES_ENV

DOMAINS = {"lms": "learn.example.org", "studio": "studio.example.org", "mfe": "apps.example.org"}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workdir:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(secrets.PASSWORD_ENV, "deploy-test")
    return Workdir(tmp_path / "work")


def deployer(
    workdir: Workdir, cloud: str, size: str = "standard", fields: dict[str, Any] | None = None, **adapters: Any
) -> Deployer:
    spec = parse_spec({"name": "demo", "cloud": cloud, "size": size, "domains": DOMAINS, **(fields or {})})
    defaults: dict[str, Any] = {
        "preflight": lambda s: PreflightReport(s.cloud),
        "offline": lambda: True,
        "double_archive": lambda: "/cache/openedx-double.tar",
        "heartbeat": healthy,
    }
    return Deployer(spec, workdir, Output(), **(defaults | adapters))


def test_local_up_offline_uses_substitutes_and_is_idempotent(workdir: Workdir) -> None:
    hosts, ansible = FakeHosts(), FakeAnsible()
    first = deployer(workdir, "local", hosts=lambda name: hosts, ansible=lambda artifacts: ansible).up()
    assert first.hosts_created == ["demo-data-1", "demo-app-1", "demo-worker-1", "demo-lb"]
    assert first.changed_total == 7 and len(first.heartbeats) == 1 and first.heartbeats[0]["healthy"]
    assert any("test double" in line for line in first.substitutes)
    facts = yaml.safe_load((workdir.inventory_dir("demo") / "group_vars/all/main.yml").read_text())
    assert facts["openedx_image"] == DOUBLE_IMAGE and facts["openedx_image_archive"] == "/cache/openedx-double.tar"
    assert facts["openedx_mysql"]["flavor"] == "mariadb"
    inventory = yaml.safe_load((workdir.inventory_dir("demo") / "hosts.yml").read_text())
    data = inventory["all"]["children"]["data"]["children"]
    assert data["mongodb"] == {} and "demo-data-1" in data["mysql"]["hosts"]
    # Search runs, as the Meilisearch test double that the search role installs from the controller.
    assert "demo-data-1" in data["search"]["hosts"]
    double = Path(facts["openedx_search"]["local_binary"])
    assert double.name == "meilisearch" and double.is_file() and "TEST DOUBLE" in double.read_text()
    second = deployer(workdir, "local", hosts=lambda name: hosts, ansible=lambda artifacts: ansible).up()
    assert second.hosts_created == [] and second.changed_total == 0
    assert [run["playbook"] for run in ansible.runs] == ["site.yml", "site.yml"]


def test_local_up_online_keeps_the_real_image(workdir: Workdir) -> None:
    hosts = FakeHosts()
    result = deployer(
        workdir, "local", hosts=lambda n: hosts, ansible=lambda a: FakeAnsible(), offline=lambda: False
    ).up()
    assert result.substitutes == []
    facts = yaml.safe_load((workdir.inventory_dir("demo") / "group_vars/all/main.yml").read_text())
    assert facts["openedx_image"].startswith("docker.io/overhangio/openedx:")
    assert facts["openedx_mysql"]["flavor"] == "mysql"


def test_unhealthy_heartbeat_fails_up_naming_the_store(workdir: Workdir) -> None:
    def failing(target: str, domain: str, verify: bool, **_: Any) -> Heartbeat:
        return Heartbeat(target, domain, 503, {"mysql": "ok", "redis": "error"})

    hosts = FakeHosts()
    with pytest.raises(DeployError, match=r"not healthy.*redis"):
        deployer(workdir, "local", hosts=lambda n: hosts, ansible=lambda a: FakeAnsible(), heartbeat=failing).up()


class FakeTerraformWithSharedFiles(FakeTerraform):
    OUTPUTS: ClassVar[dict[str, Any]] = FakeTerraform.OUTPUTS | {
        "shared_files": {"type": "nfs", "address": "fs.internal", "export": "/", "options": "nfsvers=4.1"}
    }


def test_a_cloud_runs_the_substitutes_only_when_simulated(workdir: Workdir, monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline, a cloud keeps the real images (its hosts pull them) unless the simulated clouds' switch is set
    (scripts/simulated-cloud). Set, the inventory rendered from the Terraform outputs carries the substitutes, and
    the store they leave out (MongoDB) gets no host, though the stack made one; the stack's NFS shared files are not
    mounted (no NFS offline: the simulated hosts share a volume), and a managed MySQL is not said to be MariaDB."""

    def up() -> Any:
        return deployer(
            workdir, "aws", terraform=lambda root: FakeTerraformWithSharedFiles(), ansible=lambda a: FakeAnsible()
        ).up()

    def inventory() -> tuple[dict[str, Any], dict[str, Any]]:
        facts = yaml.safe_load((workdir.inventory_dir("demo") / "group_vars/all/main.yml").read_text())
        return facts, yaml.safe_load((workdir.inventory_dir("demo") / "hosts.yml").read_text())["all"]["children"]

    monkeypatch.delenv(CLOUD_SUBSTITUTES_ENV, raising=False)
    assert up().substitutes == []
    facts, groups = inventory()
    assert facts["openedx_image"].startswith("docker.io/overhangio/openedx:") and not facts["openedx_image_archive"]
    assert "demo-mongodb-1" in groups["data"]["children"]["mongodb"]["hosts"]
    assert facts["openedx_shared_files"]["mount"]["address"] == "fs.internal"
    monkeypatch.setenv(CLOUD_SUBSTITUTES_ENV, "1")
    substitutes = up().substitutes
    assert any("test double" in line for line in substitutes)
    assert any(line.startswith("shared files") for line in substitutes)
    assert not any("MariaDB" in line for line in substitutes)  # the standard profile's MySQL is managed
    facts, groups = inventory()
    assert facts["openedx_shared_files"] is None
    assert facts["openedx_image"] == DOUBLE_IMAGE and facts["openedx_image_archive"] == "/cache/openedx-double.tar"
    assert facts["openedx_mysql"]["flavor"] == "mariadb" and facts["openedx_mongodb"]["enabled"] is False
    assert groups["data"]["children"]["mongodb"] == {}


def test_cloud_up_applies_then_builds_inventory_from_outputs(workdir: Workdir) -> None:
    terraform, ansible = FakeTerraform(), FakeAnsible()
    result = deployer(workdir, "aws", terraform=lambda root: terraform, ansible=lambda a: ansible).up()
    steps = [step for step, _ in terraform.log]
    assert steps == ["init", "plan", "apply", "outputs"]
    plan_secrets = terraform.log[1][1]["secrets"]
    stored = secrets.load_secrets(workdir.secrets_file("demo"), secrets.Vault("deploy-test"))
    assert plan_secrets == {
        "mysql_admin_password": stored["mysql_root_password"],
        "redis_auth_token": stored["redis_password"],
        "rabbitmq_admin_password": stored["rabbitmq_admin_password"],
        # The host key every VM presents, and its public half, which Terraform cannot derive offline.
        "ssh_host_key": stored["ssh_host_key"],
        "ssh_host_public_key": secrets.ssh_host_public_key(stored["ssh_host_key"]),
    }
    hosts = yaml.safe_load((workdir.inventory_dir("demo") / "hosts.yml").read_text())
    assert hosts["all"]["children"]["app"]["hosts"]["demo-app-1"]["ansible_host"] == "198.51.100.7"
    assert result.heartbeats[0]["target"] == "demo-lb.example.net"
    outputs = json.loads((workdir.terraform_dir("demo") / "outputs.json").read_text())
    assert outputs["endpoints"]["mysql"]["host"] == "db.internal"
    again = deployer(workdir, "aws", terraform=lambda root: terraform, ansible=lambda a: ansible).up()
    assert [step for step, _ in terraform.log].count("apply") == 1  # nothing to apply the second time
    assert again.changed_total == 0


# --- a plan that destroys or replaces is applied only once confirmed ------------------------------------------------

REPLACED = "module.stack.module.mysql.aws_db_instance.this"
DESTROYED = "module.stack.module.search.aws_instance.this[1]"


def refuse_to_be_asked(question: str) -> bool:
    raise AssertionError(f"asked {question!r} about a plan that destroys nothing")


def test_cloud_up_declined_replace_applies_nothing_and_removes_the_plan(
    workdir: Workdir, capsys: pytest.CaptureFixture[str]
) -> None:
    terraform = FakeTerraform(applied=True, removals=[(REPLACED, "replace"), (DESTROYED, "destroy")])
    asked: list[str] = []

    def decline(question: str) -> bool:
        asked.append(question)
        return False

    ansible = FakeAnsible()
    make = deployer(workdir, "aws", terraform=lambda root: terraform, ansible=lambda a: ansible, confirm=decline)
    with pytest.raises(Declined, match=r"nothing was applied.*--yes") as declined:
        make.up()
    assert REPLACED in str(declined.value)
    steps = [step for step, _ in terraform.log]
    assert "apply" not in steps and steps[-1] == "discard_plan", "the unconfirmed plan was kept or applied"
    assert ansible.runs == [], "up went on past the refused plan"
    assert len(asked) == 1 and "2 resource(s)" in asked[0]
    err = capsys.readouterr().err
    assert f"replace  {REPLACED}" in err and f"destroy  {DESTROYED}" in err  # the operator sees what goes, on stderr


def test_cloud_up_confirmed_replace_is_applied(workdir: Workdir) -> None:
    terraform = FakeTerraform(applied=True, removals=[(REPLACED, "replace")])
    result = deployer(
        workdir, "aws", terraform=lambda root: terraform, ansible=lambda a: FakeAnsible(), confirm=lambda q: True
    ).up()
    assert [step for step, _ in terraform.log] == ["init", "plan", "apply", "outputs"]
    assert result.terraform is not None and result.terraform["destroy"] == 1


def test_cloud_up_with_only_creates_and_updates_does_not_ask(workdir: Workdir) -> None:
    terraform = FakeTerraform()
    deployer(
        workdir, "aws", terraform=lambda root: terraform, ansible=lambda a: FakeAnsible(), confirm=refuse_to_be_asked
    ).up()
    assert "apply" in [step for step, _ in terraform.log]


@pytest.fixture
def cli_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, FakeTerraform]:
    """An aws `demo` environment made by `init`, whose `up` runs on the fakes, with the CLI's own confirmation."""

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(secrets.PASSWORD_ENV, "cli-test")
    for name in ("OPENEDX_DEPLOY_YES", "OPENEDX_DEPLOY_OUTPUT", "OPENEDX_DEPLOY_HOME", "OPENEDX_DEPLOY_ENV"):
        monkeypatch.delenv(name, raising=False)
    terraform = FakeTerraform(applied=True, removals=[(REPLACED, "replace")])

    use_fake_adapters(
        monkeypatch,
        preflight=lambda s: PreflightReport(s.cloud),
        terraform=lambda root: terraform,
        ansible=lambda artifacts: FakeAnsible(),
        heartbeat=healthy,
    )
    work = tmp_path / "work"
    init = ["--workdir", str(work), "init", "demo", "--cloud", "aws", "--domain", "learn.example.org"]
    assert CliRunner().invoke(cli, init).exit_code == 0
    return work, terraform


def test_cli_up_without_yes_and_without_a_terminal_refuses_a_replace(cli_world: tuple[Path, FakeTerraform]) -> None:
    work, terraform = cli_world
    result = CliRunner().invoke(cli, ["--workdir", str(work), "up", "-e", "demo", "--output", "json"])
    assert result.exit_code == 1, (result.stdout, result.stderr)
    document = json.loads(result.stdout)  # stdout: the error document only; the plan and the refusal on stderr
    schema = json.loads((Path(__file__).parents[1] / "docs" / "json-schemas" / "up.json").read_text())
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    assert document["kind"] == "aborted" and "--yes" in document["message"] and document["exit_code"] == 1
    assert f"replace  {REPLACED}" in result.stderr and "--yes" in result.stderr
    assert "apply" not in [step for step, _ in terraform.log]


def test_cli_up_with_yes_applies_a_replace(cli_world: tuple[Path, FakeTerraform]) -> None:
    work, terraform = cli_world
    result = CliRunner().invoke(cli, ["--workdir", str(work), "up", "-e", "demo", "--yes", "--output", "json"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert json.loads(result.stdout)["terraform"]["destroy"] == 1
    assert f"replace  {REPLACED}" in result.stderr  # still shown, for the pipeline's log
    assert "apply" in [step for step, _ in terraform.log]


def _dns_records(zone: str) -> list[dict[str, str]]:
    kind = "ALIAS" if zone else "CNAME"
    return [
        {"name": f"{name}.example.org", "type": kind, "value": "demo-lb.example.net", "zone": zone}
        for name in ("learn", "studio.learn", "apps.learn")
    ]


def test_cli_up_without_a_zone_prints_the_records_to_create_and_json_carries_them(
    cli_world: tuple[Path, FakeTerraform],
) -> None:
    work, terraform = cli_world
    terraform.OUTPUTS = {**FakeTerraform.OUTPUTS, "dns_records": _dns_records("")}  # type: ignore[misc]
    result = CliRunner().invoke(cli, ["--workdir", str(work), "up", "-e", "demo", "--yes", "--output", "json"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    document = json.loads(result.stdout)
    schema = json.loads((Path(__file__).parents[1] / "docs" / "json-schemas" / "up.json").read_text())
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    assert document["dns_records"] == _dns_records("")
    assert "DNS records to create" in result.stderr
    assert "  learn.example.org  CNAME  demo-lb.example.net" in result.stderr
    assert "ALIAS/ANAME" in result.stderr  # a CNAME cannot sit at a zone apex


def test_cli_up_with_a_zone_says_where_the_records_are(cli_world: tuple[Path, FakeTerraform]) -> None:
    work, terraform = cli_world
    terraform.OUTPUTS = {**FakeTerraform.OUTPUTS, "dns_records": _dns_records("example.org")}  # type: ignore[misc]
    result = CliRunner().invoke(cli, ["--workdir", str(work), "up", "-e", "demo", "--yes"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "DNS records in zone example.org (created by the stack):" in result.stdout
    assert "  apps.learn.example.org  ALIAS  demo-lb.example.net" in result.stdout
    assert "to create" not in result.stdout + result.stderr


def test_outputs_without_dns_records_print_none() -> None:
    """Outputs cached before the stacks gave dns_records, and the local target, have none: nothing is printed."""
    assert stackoutputs.dns_records(None) == [] == stackoutputs.dns_records(FakeTerraform.OUTPUTS)
    assert stackoutputs.dns_record_lines([]) == []


@pytest.mark.parametrize(("answer", "applied"), [("y", True), ("n", False)])
def test_cli_up_on_a_terminal_asks_on_stderr(
    cli_world: tuple[Path, FakeTerraform], monkeypatch: pytest.MonkeyPatch, answer: str, applied: bool
) -> None:
    from openedx_deploy import context

    monkeypatch.setattr(context, "interactive", lambda: True)
    work, terraform = cli_world
    result = CliRunner().invoke(cli, ["--workdir", str(work), "up", "-e", "demo"], input=f"{answer}\n")
    assert result.exit_code == (0 if applied else 1), (result.stdout, result.stderr)
    assert "destroying or replacing 1 resource(s)? [y/N]" in result.stderr
    assert ("apply" in [step for step, _ in terraform.log]) is applied


def test_cloud_up_interrupted_at_the_prompt_removes_the_plan(workdir: Workdir) -> None:
    terraform = FakeTerraform(applied=True, removals=[(REPLACED, "replace")])

    def interrupted(question: str) -> bool:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        deployer(workdir, "aws", terraform=lambda root: terraform, confirm=interrupted).up()
    assert [step for step, _ in terraform.log][-1] == "discard_plan"


# --- Terraform outputs: the cache, else the state ----------------------------------------------------------------


def test_without_the_cache_outputs_come_from_the_state_and_refill_the_cache(workdir: Workdir) -> None:
    terraform = FakeTerraform(applied=True)  # deployed from another checkout: the state has it, this one has no cache
    _, outputs = deployer(workdir, "aws", terraform=lambda root: terraform).prepare()
    assert outputs == FakeTerraform.OUTPUTS
    assert [step for step, _ in terraform.log] == ["init", "outputs"]
    assert json.loads((workdir.terraform_dir("demo") / "outputs.json").read_text()) == FakeTerraform.OUTPUTS
    assert (workdir.terraform_dir("demo") / "backend.json").is_file(), "init needs the rendered backend"
    hosts = yaml.safe_load((workdir.inventory_dir("demo") / "hosts.yml").read_text())
    assert hosts["all"]["children"]["app"]["hosts"]["demo-app-1"]["ansible_host"] == "198.51.100.7"
    again = FakeTerraform(applied=True)
    assert deployer(workdir, "aws", terraform=lambda root: again).terraform_outputs() == FakeTerraform.OUTPUTS
    assert again.log == [], "the cache is read first: no Terraform run when it is there"


def test_status_without_the_cache_reads_the_state(workdir: Workdir, monkeypatch: pytest.MonkeyPatch) -> None:
    from openedx_deploy import targets

    monkeypatch.setattr(targets, "check_heartbeat", lambda target, domain, **_: Heartbeat(target, domain, 200, {}))
    terraform = FakeTerraform(applied=True)
    rows = deployer(workdir, "aws", terraform=lambda root: terraform).status()
    assert {"demo-app-1", "demo-lb.example.net"} <= {row["host"] for row in rows}
    assert ("outputs", None) in terraform.log


@pytest.mark.parametrize("command", ["prepare", "status"])
def test_never_deployed_is_a_clear_error_and_caches_nothing(workdir: Workdir, command: str) -> None:
    terraform = FakeTerraform()  # no state: `terraform output -json` answers {}
    with pytest.raises(DeployError, match=r"demo has not been deployed yet.*run `up`"):
        getattr(deployer(workdir, "aws", terraform=lambda root: terraform), command)()
    assert not (workdir.terraform_dir("demo") / "outputs.json").exists()


def test_local_target_never_runs_terraform_for_outputs(workdir: Workdir) -> None:
    def no_terraform(root: Path) -> Any:
        raise AssertionError("the local target has no Terraform")

    hosts = FakeHosts()
    local = deployer(workdir, "local", hosts=lambda n: hosts, ansible=lambda a: FakeAnsible(), terraform=no_terraform)
    local.up()
    assert local.terraform_outputs() is None and local.prepare()[1] is None


def test_plan_without_the_cache_checks_the_hosts_the_state_names(workdir: Workdir) -> None:
    terraform, ansible = FakeTerraform(applied=True), FakeAnsible(changed=2)
    report = deployer(workdir, "aws", terraform=lambda root: terraform, ansible=lambda a: ansible).plan()
    assert report["ansible_changed"] == {"host": 2} and ansible.runs[-1]["check"] is True
    assert (workdir.terraform_dir("demo") / "outputs.json").is_file()


class FakeTerraformWithRedisCredential(FakeTerraform):
    """Outputs with the sensitive redis_credential, as the GCP and Azure stacks give a managed Redis's password."""

    OUTPUTS: ClassVar[dict[str, Any]] = {**FakeTerraform.OUTPUTS, "redis_credential": "fake-generated-redis-key+/="}


def test_the_managed_redis_credential_is_cached_encrypted_and_reaches_the_inventory_vault(workdir: Workdir) -> None:
    terraform = FakeTerraformWithRedisCredential()
    made = deployer(workdir, "gcp", terraform=lambda root: terraform, ansible=lambda a: FakeAnsible())
    made.up()
    credential = FakeTerraformWithRedisCredential.OUTPUTS["redis_credential"]
    assert credential in made.secret_values(secrets.Vault("deploy-test")), "the run logs would not redact it"
    cache_dir = workdir.terraform_dir("demo")
    assert "redis_credential" not in json.loads((cache_dir / "outputs.json").read_text())
    for path in [*cache_dir.glob("outputs*"), *workdir.inventory_dir("demo").rglob("*.yml")]:
        assert credential not in path.read_text(), f"the credential in plain text in {path}"
    vault = secrets.Vault("deploy-test")
    vault_file = workdir.inventory_dir("demo") / "group_vars/all/vault.yml"
    assert yaml.safe_load(vault.decrypt(vault_file.read_bytes(), vault_file))["vault_redis_credential"] == credential
    # A later command re-renders the inventory from the cache: the credential stays.
    vault_file.unlink()
    deployer(workdir, "gcp", terraform=lambda root: terraform).prepare()
    assert yaml.safe_load(vault.decrypt(vault_file.read_bytes(), vault_file))["vault_redis_credential"] == credential
    deployer(workdir, "gcp", terraform=lambda root: terraform).destroy(include_data=False)
    assert list(cache_dir.glob("outputs*")) == []


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
@pytest.mark.parametrize("include_data", [False, True])
def test_destroy_of_an_environment_never_deployed_succeeds_without_credentials(
    workdir: Workdir, monkeypatch: pytest.MonkeyPatch, cloud: str, include_data: bool
) -> None:
    """No state file (local backend): nothing is planned, no snapshot taken, no provider configured, so no cloud
    credentials are asked for; the single profile's --include-data guard does not apply (no data to lose). The real
    Terraform adapter: with a fake, nothing would show that Terraform never ran."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "GOOGLE_APPLICATION_CREDENTIALS", "ARM_SUBSCRIPTION_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENEDX_DEPLOY_TERRAFORM", str(workdir.root / "no-terraform-here"))

    def no_snapshots(spec: Any, reason: str) -> list[Snapshot]:
        raise AssertionError("a snapshot of an environment never deployed asks the cloud for credentials")

    summary = deployer(workdir, cloud, size="single", snapshotter=no_snapshots).destroy(include_data=include_data)
    # No run log either: Terraform never ran, so the summary names no log it appended to.
    assert summary == {"terraform": None, "kept": [], "snapshots": [], "found": False, "logs": []}
    assert not (workdir.terraform_dir("demo") / "terraform.tfstate").exists()


def test_destroy_after_a_destroy_finds_nothing_in_the_state(workdir: Workdir) -> None:
    """A state that exists but holds no resource (destroyed already, or a remote backend never applied to):
    `init` and `state list` only, never a plan."""
    terraform = FakeTerraform(applied=True)
    terraform.applied = False
    terraform.state_is_absent = lambda: False  # type: ignore[method-assign]
    summary = deployer(workdir, "aws", terraform=lambda root: terraform).destroy(include_data=True)
    assert summary["found"] is False
    assert [step for step, _ in terraform.log] == ["init", "state_resources"]


def test_cloud_destroy_drops_the_cached_outputs(workdir: Workdir) -> None:
    terraform = FakeTerraform()
    deployer(workdir, "aws", terraform=lambda root: terraform, ansible=lambda a: FakeAnsible()).up()
    assert (workdir.terraform_dir("demo") / "outputs.json").is_file()
    deployer(workdir, "aws", terraform=lambda root: terraform).destroy(include_data=False)
    assert not (workdir.terraform_dir("demo") / "outputs.json").exists()


def test_preflight_failure_stops_before_anything_is_written(workdir: Workdir) -> None:
    def refuse(spec: Any) -> PreflightReport:
        raise DeployError("aws preflight failed, nothing was created: credentials: set AWS_ACCESS_KEY_ID")

    terraform = FakeTerraform()
    with pytest.raises(DeployError, match="AWS_ACCESS_KEY_ID"):
        deployer(workdir, "aws", preflight=refuse, terraform=lambda root: terraform).up()
    assert terraform.log == [] and not workdir.build_dir("demo").exists()


def test_plan_reports_pending_then_nothing(workdir: Workdir) -> None:
    hosts, ansible = FakeHosts(), FakeAnsible(changed=3)
    make = lambda: deployer(workdir, "local", hosts=lambda n: hosts, ansible=lambda a: ansible)  # noqa: E731
    before = make().plan()
    assert any("start host demo-app-1" in line for line in before["pending"])
    hosts.ensure_hosts(
        __import__("openedx_deploy.localhosts").localhosts.LocalHosts.from_layout(
            __import__("openedx_deploy.topology").topology.local_hosts(make().spec)
        ),
        "net",
    )
    drift = make().plan()
    assert drift["pending"] == ["ansible: 3 change(s) on host"] and ansible.runs[-1]["check"] is True
    assert make().plan()["pending"] == []


def test_destroy_keeps_data_hosts_unless_asked(workdir: Workdir) -> None:
    hosts = FakeHosts()
    deployer(workdir, "local", hosts=lambda n: hosts, ansible=lambda a: FakeAnsible()).up()
    kept = deployer(workdir, "local", hosts=lambda n: hosts).destroy(include_data=False)
    assert sorted(kept["removed"]) == ["demo-app-1", "demo-lb", "demo-worker-1"] and kept["kept"] == ["demo-data-1"]
    assert list(hosts.running) == ["demo-data-1"]
    deployer(workdir, "local", hosts=lambda n: hosts).destroy(include_data=True)
    assert hosts.running == {}


def test_destroy_keeps_a_data_host_that_a_layout_change_dropped(workdir: Workdir) -> None:
    hosts = FakeHosts()
    deployer(workdir, "local", hosts=lambda n: hosts, ansible=lambda a: FakeAnsible()).up()
    # A host an earlier layout created (a third MongoDB member), recorded as such, absent from today's layout.
    hosts.running["demo-data-3"], hosts.groups["demo-data-3"] = "10.89.0.9", ("mongodb",)
    kept = deployer(workdir, "local", hosts=lambda n: hosts).destroy(include_data=False)
    assert kept["kept"] == ["demo-data-1", "demo-data-3"] and "demo-data-3" in hosts.running


def test_destroy_single_profile_requires_include_data(workdir: Workdir) -> None:
    terraform = FakeTerraform(applied=True)
    with pytest.raises(UsageError, match="--include-data"):
        deployer(workdir, "aws", size="single", terraform=lambda root: terraform).destroy(include_data=False)


def test_cloud_destroy_targets_only_stateless_modules(workdir: Workdir) -> None:
    terraform = FakeTerraform(applied=True)
    deployer(workdir, "aws", terraform=lambda root: terraform).destroy(include_data=False)
    plan = next(args for step, args in terraform.log if step == "plan")
    assert plan["destroy"] is True
    assert plan["targets"] == [
        "module.stack.module.app",
        "module.stack.module.worker",
        "module.stack.module.load_balancer",
        "module.stack.module.dns",
        "module.stack.module.cdn",
        "module.stack.module.bastion",
    ]
    assert [step for step, _ in terraform.log].count("init") == 1, "the state check's init serves the destroy"


def test_cloud_destroy_with_data_takes_final_snapshots_first(workdir: Workdir) -> None:
    terraform, order = FakeTerraform(applied=True), []

    def snapshotter(spec: Any, reason: str) -> list[Snapshot]:
        order.append(("snapshot", reason, list(terraform.log)))
        return [Snapshot("aws", "rds-mysql", "demo-final", "demo-mysql", {"reason": reason})]

    unprotected = {"deletion_protection": False}
    summary = deployer(
        workdir, "aws", fields=unprotected, terraform=lambda root: terraform, snapshotter=snapshotter
    ).destroy(True)
    # Only the state was read before them: snapshots come before Terraform plans or changes anything.
    assert order == [("snapshot", "final-before-destroy", [("init", None), ("state_resources", None)])]
    assert summary["snapshots"] == [{"kind": "rds-mysql", "id": "demo-final", "source": "demo-mysql"}]
    plan = next(args for step, args in terraform.log if step == "plan")
    assert plan["destroy"] is True and plan["targets"] is None


@pytest.mark.parametrize("size", ["single", "standard"])
def test_cloud_destroy_with_data_is_refused_while_deletion_protection_is_on(workdir: Workdir, size: str) -> None:
    """The cloud would refuse to delete the protected databases, buckets holding data and (single) the app host
    half-way through the destroy (the simulated AWS refuses as AWS does: tests/simcloud/README.md): refused before
    any snapshot or plan, naming the way out."""
    terraform, snapshots = FakeTerraform(applied=True), []
    protected = deployer(workdir, "aws", size, terraform=lambda root: terraform, snapshotter=snapshots.append)
    with pytest.raises(UsageError, match=r"deletion_protection is on.*`deletion_protection: false`.*run `up`"):
        protected.destroy(True)
    assert snapshots == [] and [step for step, _ in terraform.log] == ["init", "state_resources"]


def assert_up_fails_in_preflight_naming(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cloud: str, variable: str
) -> None:
    """`init` then `up --yes` through the CLI: exit 1 in preflight, naming `variable`, with nothing written."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(secrets.PASSWORD_ENV, "cli-test")
    work = tmp_path / "work"
    runner = CliRunner()
    init = ["--workdir", str(work), "init", "demo", "--cloud", cloud, "--domain", "learn.example.org"]
    assert runner.invoke(cli, init).exit_code == 0
    result = runner.invoke(cli, ["--workdir", str(work), "--yes", "up", "-e", "demo"])
    assert result.exit_code == 1, result.output
    assert "preflight failed" in result.output and variable in result.output
    assert not (work / "build").exists() and not (work / "inventories").exists()


def test_cli_up_without_aws_credentials_fails_in_preflight_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert_up_fails_in_preflight_naming(tmp_path, monkeypatch, "aws", "AWS_ACCESS_KEY_ID")


@pytest.mark.parametrize(
    ("cloud", "variable"), [("gcp", "GOOGLE_APPLICATION_CREDENTIALS"), ("azure", "AZURE_SUBSCRIPTION_ID")]
)
def test_cli_up_without_gcp_or_azure_credentials_fails_in_preflight_and_creates_nothing(
    cloud: str, variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    def no_credentials(*_: Any, **__: Any) -> Any:
        # What google.auth says without credentials; the real lookup would also ask the GCE metadata server.
        raise DefaultCredentialsError("Could not automatically determine credentials.")

    monkeypatch.setattr(google.auth, "default", no_credentials)
    for name in (*extras.AZURE_SUBSCRIPTION_ENVS, "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    assert_up_fails_in_preflight_naming(tmp_path, monkeypatch, cloud, variable)


def test_cli_destroy_without_yes_and_without_a_terminal_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(secrets.PASSWORD_ENV, "cli-test")
    work = tmp_path / "work"
    runner = CliRunner()
    runner.invoke(cli, ["--workdir", str(work), "init", "demo", "--cloud", "local", "--size", "standard"])
    result = runner.invoke(cli, ["--workdir", str(work), "destroy", "-e", "demo"], input="wrong-name\n")
    assert result.exit_code == 1 and "does not match" in result.output


def test_cli_destroy_of_a_cloud_environment_never_deployed_needs_no_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`init` then `destroy --yes`: no Terraform binary runs (none is found), no credentials are set, and the JSON
    result says nothing was found."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(secrets.PASSWORD_ENV, "cli-test")
    monkeypatch.setenv("OPENEDX_DEPLOY_TERRAFORM", str(tmp_path / "no-terraform-here"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "work"
    runner = CliRunner()
    init = ["--workdir", str(work), "init", "demo", "--cloud", "aws", "--domain", "learn.example.org"]
    assert runner.invoke(cli, init).exit_code == 0
    result = runner.invoke(cli, ["--workdir", str(work), "destroy", "-e", "demo", "--yes", "--output", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["found"] is False and document["terraform"] is None and document["snapshots"] == []


@pytest.mark.parametrize(
    ("cloud", "tls", "verified"),
    [
        ("azure", {"mode": "cloud"}, False),  # Key Vault's own issuer: a self-signed certificate
        ("azure", {"mode": "cloud", "issuer": "DigiCert-OV"}, True),
        ("aws", {"mode": "cloud"}, True),
        ("gcp", {"mode": "self_signed"}, False),
    ],
)
def test_the_heartbeat_verifies_the_certificate_only_when_a_ca_issued_it(
    workdir: Workdir, cloud: str, tls: dict[str, str], verified: bool
) -> None:
    target = deployer(workdir, cloud, fields={"tls": tls}).target
    outputs = {"load_balancer": {"address": "198.18.0.2", "dns_name": ""}, "host_groups": {"app": []}}
    assert target.heartbeat_targets(outputs) == [("198.18.0.2", verified)]
