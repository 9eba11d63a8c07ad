"""The topology model (openedx_deploy/topology.py) decides hosts, ports, reach and gaps once; the layers that used to
decide them on their own now read it. These tests hold the layers to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from openedx_deploy import profiles, render, secrets, topology
from openedx_deploy.cli import cli
from openedx_deploy.commands.environment import environment_file_text
from openedx_deploy.graph import topology_dot
from openedx_deploy.spec import EnvironmentSpec, parse_spec

ROOT = Path(__file__).resolve().parents[1]
CLOUDS = ("aws", "gcp", "azure")
SIZES = ("single", "standard", "ha")


def spec_of(cloud: str, size: str, **extra: Any) -> EnvironmentSpec:
    return parse_spec(
        {
            "name": "demo",
            "cloud": cloud,
            "release": "ulmo",
            "size": size,
            "domains": {"lms": "learn.example.org", "studio": "studio.example.org", "mfe": "apps.example.org"},
            "tls": {"mode": "self_signed" if cloud == "local" else "cloud"},
            **extra,
        }
    )


@pytest.mark.parametrize("cloud", CLOUDS)
def test_single_puts_every_store_on_the_app_host(cloud: str) -> None:
    nothing = {"mysql": 0, "mongodb": 0, "redis": 0, "search": 0, "rabbitmq": 0}
    assert topology.data_host_counts(spec_of(cloud, "single")) == nothing
    assert topology.data_host_counts(spec_of(cloud, "single", broker="rabbitmq")) == nothing


_OTHER_VM = {"aws": "r6i.2xlarge", "gcp": "n2-highmem-8", "azure": "Standard_E8s_v5"}


@pytest.mark.parametrize("size", ["standard", "ha"])
@pytest.mark.parametrize("cloud", CLOUDS)
def test_a_cloud_rabbitmq_broker_gets_one_vm_of_the_data_size_outside_single(cloud: str, size: str) -> None:
    spec = spec_of(cloud, size, broker="rabbitmq")
    assert topology.data_host_counts(spec)["rabbitmq"] == 1
    assert topology.data_host_counts(spec_of(cloud, size))["rabbitmq"] == 0
    assert topology.cloud_host_names(spec, "rabbitmq") == ["demo-rabbitmq-1"]
    data_size = profiles.machine_type(cloud, size, "data")  # type: ignore[arg-type]
    assert spec.rabbitmq.machine_type == data_size
    assert render.terraform_variables(spec, "")["rabbitmq_machine_type"] == data_size
    bigger = spec_of(cloud, size, broker="rabbitmq", rabbitmq={"machine_type": _OTHER_VM[cloud]})
    assert render.terraform_variables(bigger, "")["rabbitmq_machine_type"] == _OTHER_VM[cloud]
    # Preflight's quota check counts it.
    plain = [n.count for n in topology.planned_vms(spec_of(cloud, size)) if n.machine_type == data_size]
    with_broker = [n.count for n in topology.planned_vms(spec) if n.machine_type == data_size]
    assert sum(with_broker) == sum(plain) + 1


@pytest.mark.parametrize("cloud", CLOUDS)
def test_self_hosted_mysql_with_ha_gets_a_replica_host_and_redis_one_host(cloud: str) -> None:
    """The three stacks disagreed (AWS 2 MySQL + 3 Redis VMs, Azure 1 + 1); one count now, the same on every cloud."""
    spec = spec_of(cloud, "ha", mysql={"mode": "self_hosted", "ha": True}, redis={"mode": "self_hosted", "ha": True})
    counts = topology.data_host_counts(spec)
    assert (counts["mysql"], counts["redis"]) == (2, 1)
    assert topology.data_host_counts(spec_of(cloud, "standard", mysql={"mode": "self_hosted"}))["mysql"] == 1


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("cloud", CLOUDS)
def test_managed_stores_get_no_host_and_the_rendered_inputs_carry_the_counts(cloud: str, size: str) -> None:
    spec = spec_of(cloud, size)
    counts = topology.data_host_counts(spec)
    for store in topology.DATA_GROUPS:
        if spec.store_mode(store) == "managed":  # type: ignore[arg-type]
            assert counts[store] == 0, store
    assert render.terraform_variables(spec, "")["data_host_counts"] == counts


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("cloud", CLOUDS)
def test_preflight_graph_and_stack_inputs_count_the_same_vms(cloud: str, size: str) -> None:
    spec = spec_of(cloud, size, mysql={"mode": "self_hosted", "ha": size == "ha"})
    planned = sum(need.count for need in topology.planned_vms(spec))
    named = sum(len(topology.host_names(spec, group)) for group in ("app", "worker", *topology.DATA_GROUPS))
    assert planned == named
    dot = topology_dot(spec)
    for host in topology.host_names(spec, "app") + topology.host_names(spec, "worker"):
        assert f'"{host}"' in dot
    if size != "single":
        assert f"{len(topology.host_names(spec, 'mysql'))} self-hosted host(s)" in dot


def test_the_local_layout_matches_its_inventory() -> None:
    for size in SIZES:
        spec = spec_of("local", size)
        groups = render.host_groups(spec, None)
        for group in topology.GROUPS:
            assert sorted(groups[group]) == sorted(topology.host_names(spec, group)), (size, group)


def _outputs_with_two_mysql_hosts() -> dict[str, Any]:
    host = {"public_address": ""}
    return {
        "host_groups": {
            "app": [{"name": "demo-app-1", "address": "10.40.1.10", **host}],
            "mysql": [
                {"name": "demo-mysql-2", "address": "10.40.2.11", **host},
                {"name": "demo-mysql-1", "address": "10.40.2.10", **host},
            ],
        },
        "ssh_user": "openedx",
    }


def test_the_second_self_hosted_mysql_host_replicates_the_first() -> None:
    """A self-hosted MySQL's second VM used to be an unused primary: now the inventory makes it a replica
    (roles/mysql/tasks/replication.yml, proven in molecule/data-tier)."""
    spec = spec_of("aws", "ha", mysql={"mode": "self_hosted", "ha": True})
    groups = render.host_groups(spec, _outputs_with_two_mysql_hosts())
    assert groups["mysql"]["demo-mysql-1"]["mysql_replication_role"] == "primary"
    assert groups["mysql"]["demo-mysql-2"]["mysql_replication_role"] == "replica"
    assert groups["mysql"]["demo-mysql-2"]["mysql_replication_primary"] == "demo-mysql-1"
    assert "mysql_replication_role" not in groups["app"]["demo-app-1"]
    # The primary is the host the apps write to: the group vars address the first mysql host.
    group_vars = yaml.safe_load((ROOT / "playbooks" / "group_vars" / "all" / "main.yml").read_text())
    assert "first" in group_vars["openedx_mysql_address"] or "[0]" in group_vars["openedx_mysql_address"]
    assert group_vars["mysql_replication_password"] == "{{ vault_mysql_replication_password }}"
    role_spec = yaml.safe_load((ROOT / "roles" / "mysql" / "meta" / "argument_specs.yml").read_text())
    options = role_spec["argument_specs"]["main"]["options"]
    assert {"mysql_replication_role", "mysql_replication_primary", "mysql_replication_password"} <= set(options)


def test_one_mysql_host_has_no_replication_role() -> None:
    spec = spec_of("aws", "standard", mysql={"mode": "self_hosted"})
    outputs = _outputs_with_two_mysql_hosts()
    outputs["host_groups"]["mysql"] = outputs["host_groups"]["mysql"][1:]
    assert "mysql_replication_role" not in render.host_groups(spec, outputs)["mysql"]["demo-mysql-1"]


def test_the_firewall_rules_are_the_topology_reach_rules() -> None:
    """The inventory hands the common role topology.REACH; the role's own default (for use without this tool, as in
    molecule) must say the same, or the two would drift."""
    defaults = yaml.safe_load((ROOT / "roles" / "common" / "defaults" / "main.yml").read_text())
    assert defaults["common_firewall_services"] == topology.firewall_services()
    facts = render.group_vars(
        spec_of("aws", "standard"), None, render.host_groups(spec_of("aws", "standard"), None), ""
    )
    assert facts["openedx_firewall_services"] == topology.firewall_services()
    group_vars = yaml.safe_load((ROOT / "playbooks" / "group_vars" / "all" / "main.yml").read_text())
    assert group_vars["common_firewall_services"] == "{{ openedx_firewall_services }}"


def test_every_store_port_is_reachable_from_the_app_hosts() -> None:
    for engine in ("meilisearch", "elasticsearch", "opensearch"):
        spec = spec_of("aws", "standard", search={"engine": engine, "mode": "self_hosted"})
        for store in topology.DATA_GROUPS:
            port = topology.store_port(spec, store)
            assert any(r.group == store and port in r.ports and "app" in r.from_groups for r in topology.REACH), (
                engine,
                store,
                port,
            )


@pytest.mark.parametrize(
    ("cloud", "size", "extra", "gapless"),
    [
        ("aws", "standard", {}, False),
        ("aws", "ha", {}, True),
        ("aws", "standard", {"tiers": {"app": {"count": 2}}}, True),
        ("gcp", "ha", {"tls": {"mode": "self_signed"}}, False),
        ("local", "single", {}, False),
        ("local", "ha", {}, True),
    ],
)
def test_a_rolling_restart_is_gapless_only_with_two_app_hosts_behind_a_load_balancer(
    cloud: str, size: str, extra: dict[str, Any], gapless: bool
) -> None:
    gap = topology.gapless_gap(spec_of(cloud, size, **extra))
    assert (gap is None) == gapless
    if gap and size == "standard":
        assert "count: 2" in gap


def test_init_standard_says_how_to_get_two_app_hosts() -> None:
    text = environment_file_text("demo", "aws", "ulmo", "standard", "learn.example.org")
    assert "app: {count: 2}" in text and "restart" in text
    assert "app: {count: 2}" not in environment_file_text("demo", "aws", "ulmo", "ha", "learn.example.org")
    yaml.safe_load(text)


def test_restart_of_a_standard_environment_says_it_will_drop_requests_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A newcomer's `restart` of a standard environment lost two requests without a word: now it warns first."""
    from openedx_deploy import deploy

    calls: list[str] = []

    def restart(self: Any) -> dict[str, Any]:
        calls.append("restart")
        raise deploy.DeployError("stopped here by the test")

    monkeypatch.setattr(deploy.Deployer, "restart", restart)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(secrets.PASSWORD_ENV, raising=False)
    monkeypatch.delenv(secrets.PASSWORD_FILE_ENV, raising=False)
    workdir = ["--workdir", str(tmp_path)]
    runner = CliRunner()
    assert runner.invoke(cli, [*workdir, "init", "demo", "--cloud", "local", "--size", "standard"]).exit_code == 0
    result = runner.invoke(cli, [*workdir, "restart", "-e", "demo"])
    assert calls == ["restart"], result.output
    assert "will drop requests" in result.output and "count: 2" in result.output


# Where comparing the cloud with "local" is still the right tool: deciding or validating what the environment is
# (spec, topology, rendering), and the per-cloud dispatchers of cloud APIs (snapshots, backup stores), where local
# is one of four cases. Workflows (deploy, upgrade) choose through the target seam (openedx_deploy/targets.py).
LOCAL_BRANCHES_ALLOWED = {
    "spec.py": "validation and defaults per cloud",
    "topology.py": "the local layout is part of the model",
    "render.py": "the local hosts file and the local load balancer's certificate",
    "targets.py": "target_for: the one choice",
    "graph.py": "the local load balancer's label",
    "snapshots.py": "dispatch per cloud API",
    "backupstore.py": "dispatch per cloud API",
    "commands/environment.py": "init's defaults per cloud",
    "profiles.py": "local hosts have no machine type",
}


def test_workflows_have_no_local_versus_cloud_branch() -> None:
    import re

    package = ROOT / "openedx_deploy"
    pattern = re.compile(r"""(==|!=)\s*["']local["']|["']local["']\s*(==|!=)""")
    branching = {str(path.relative_to(package)) for path in package.rglob("*.py") if pattern.search(path.read_text())}
    assert branching <= set(LOCAL_BRANCHES_ALLOWED), sorted(branching - set(LOCAL_BRANCHES_ALLOWED))
    for workflow in ("deploy.py", "upgrade.py", "backup.py"):
        assert workflow not in branching, workflow


@pytest.mark.parametrize(("cloud", "kind"), [("local", "LocalTarget"), ("aws", "TerraformTarget")])
def test_the_deployer_chooses_its_target_once(cloud: str, kind: str, tmp_path: Path) -> None:
    from openedx_deploy.deploy import Deployer
    from openedx_deploy.output import Output
    from openedx_deploy.paths import Workdir

    deployer = Deployer(spec_of(cloud, "standard"), Workdir(tmp_path), Output())
    assert type(deployer.target).__name__ == kind
    other = deployer.with_spec(spec_of(cloud, "ha"))
    assert other.target.spec is other.spec and deployer.target.spec is deployer.spec


@pytest.mark.parametrize(("cloud", "uploads"), [("local", None), ("aws", "bucket versioning")])
def test_a_backup_asks_the_target_whether_it_has_cloud_storage(cloud: str, uploads: str | None, tmp_path: Path) -> None:
    """Only a target with object storage has an uploads bucket to name (the local target's uploads are in the files
    archive, with every target's files)."""
    from openedx_deploy.backup import Backups
    from openedx_deploy.deploy import Deployer
    from openedx_deploy.output import Output
    from openedx_deploy.paths import Workdir

    spec = spec_of(cloud, "standard", storage={"versioning": True})
    manifest = Backups(Deployer(spec, Workdir(tmp_path), Output()))._manifest(
        "id", "test", {}, {"buckets": {"uploads": "demo-uploads"}}, []
    )
    assert manifest["stores"].get("uploads", {}).get("method") == uploads


def test_broker_rabbitmq_runs_beside_redis_on_the_local_target_and_only_then() -> None:
    """single: the one host; standard and ha: data-1, with MySQL and Redis. With broker redis no host is in the
    group, so the role's play and the firewall rule apply nowhere."""
    for size, host in (("single", "demo-1"), ("standard", "demo-data-1"), ("ha", "demo-data-1")):
        spec = spec_of("local", size, broker="rabbitmq")
        assert topology.local_group_hosts(spec, "rabbitmq") == [host]
        assert host in topology.local_group_hosts(spec, "redis")
        assert topology.local_group_hosts(spec_of("local", size), "rabbitmq") == []


def test_only_the_app_and_worker_hosts_reach_the_broker() -> None:
    (rule,) = [r for r in topology.REACH if r.group == "rabbitmq"]
    assert rule.ports == (topology.BROKER_PORTS["rabbitmq"],) == (5671,)
    assert set(rule.from_groups) == {"app", "worker"}


def test_the_inventory_names_the_broker_and_its_host() -> None:
    spec = spec_of("local", "standard", broker="rabbitmq")
    groups = render.host_groups(spec, None)
    assert list(groups["rabbitmq"]) == ["demo-data-1"]
    assert render.inventory_hosts(groups)["all"]["children"]["rabbitmq"] == {
        "hosts": {"demo-data-1": {"ansible_connection": "podman"}}
    }
    facts = render.group_vars(spec, None, groups, "{}")
    assert facts["openedx_broker"] == {
        "kind": "rabbitmq",
        "mode": "self_hosted",
        "queue_type": "classic",  # one node: nothing to replicate to
        "hosts": ["demo-data-1"],
        "host": "",
        "port": 5671,
        "vhost": "openedx",
        "users": {"lms": "lms", "cms": "cms"},
        "secrets": {"lms": "rabbitmq_lms_password", "cms": "rabbitmq_cms_password"},
        "ca": "data",
    }
    redis = spec_of("local", "standard")
    plain = render.group_vars(redis, None, render.host_groups(redis, None), "{}")
    assert plain["openedx_broker"] == {"kind": "redis", "mode": None, "hosts": [], "port": None}


def test_a_backup_says_what_becomes_of_a_rabbitmq_broker(tmp_path: Path) -> None:
    from openedx_deploy.backup import Backups
    from openedx_deploy.deploy import Deployer
    from openedx_deploy.output import Output
    from openedx_deploy.paths import Workdir

    def manifest_of(spec: EnvironmentSpec) -> dict[str, Any]:
        return Backups(Deployer(spec, Workdir(tmp_path), Output()))._manifest("id", "test", {}, None, [])

    assert manifest_of(spec_of("local", "standard", broker="rabbitmq"))["stores"]["broker"]["method"] == "recreated"
    assert "broker" not in manifest_of(spec_of("local", "standard"))["stores"]
    amazon_mq = spec_of("aws", "standard", broker="rabbitmq", rabbitmq={"mode": "managed"})
    assert manifest_of(amazon_mq)["stores"]["broker"]["method"] == "none"


def test_amazon_mq_gets_no_vm_and_its_endpoint_reaches_the_facts() -> None:
    spec = spec_of("aws", "ha", broker="rabbitmq", rabbitmq={"mode": "managed"})
    assert topology.data_host_counts(spec)["rabbitmq"] == 0
    assert render.terraform_variables(spec, "")["rabbitmq_mode"] == "managed"
    assert render.terraform_variables(spec, "")["rabbitmq_machine_type"] == "mq.m7g.large"
    outputs = {"endpoints": {"rabbitmq": {"host": "b-1.mq.us-east-1.on.aws", "port": 5671, "managed": True}}}
    facts = render.group_vars(spec, outputs, render.host_groups(spec, outputs), "{}")
    assert facts["openedx_broker"] == {
        "kind": "rabbitmq",
        "mode": "managed",
        "queue_type": "quorum",  # ha: a three-node cluster
        "hosts": [],
        "host": "b-1.mq.us-east-1.on.aws",
        "port": 5671,
        "vhost": "/",
        "users": {"lms": topology.AMAZON_MQ_USER, "cms": topology.AMAZON_MQ_USER},
        "secrets": {"lms": "rabbitmq_admin_password", "cms": "rabbitmq_admin_password"},
        "ca": "public",
    }
    single_broker = spec_of("aws", "standard", broker="rabbitmq", rabbitmq={"mode": "managed"})
    assert single_broker.rabbitmq.queue_type == "classic"  # SINGLE_INSTANCE: one node
    chosen = spec_of("local", "standard", broker="rabbitmq", rabbitmq={"queue_type": "quorum"})
    assert chosen.rabbitmq.queue_type == "quorum"


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_preflight_counts_the_bastion_the_stack_makes(cloud: str) -> None:
    """With ssh.allowed_cidrs the stack makes a bastion of its `bastion_machine_type` (default in its
    variables.tf): preflight checks that size is offered and counts its vCPUs, as for every other VM."""
    variables = (Path(__file__).parents[1] / "terraform" / "stacks" / cloud / "variables.tf").read_text()
    block = variables[variables.index('variable "bastion_machine_type"') :]
    default = block[block.index("default") :].split('"')[1]
    assert profiles.BASTION_MACHINE_TYPES[cloud] == default
    without = topology.planned_vms(spec_of(cloud, "single"))
    with_bastion = topology.planned_vms(spec_of(cloud, "single", ssh={"allowed_cidrs": ["203.0.113.0/24"]}))
    assert with_bastion == [*without, topology.VmNeed(default, 1)]
