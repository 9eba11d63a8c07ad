"""The Terraform adapter with the real Terraform binary on a provider-less root module (local backend)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from openedx_deploy.errors import DeployError
from openedx_deploy.terraform import TerraformRunner

ROOT = """
terraform {
  backend "local" {}
}

variable "secret" {
  type      = string
  sensitive = true
  default   = ""
}

variable "size" {
  type    = number
  default = 1
}

output "host_groups" {
  value = { app = [for i in range(var.size) : { name = "app-${i}" }] }
}

output "secret_length" {
  value = nonsensitive(length(var.secret))
}
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    if not shutil.which("terraform"):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("no terraform binary on PATH: CI must run this test")
        pytest.skip("no terraform binary on PATH: run scripts/bootstrap")
    root = tmp_path / "terraform"  # as build/<name>/terraform: the run log goes beside it, to logs/
    root.mkdir()
    (root / "main.tf").write_text(ROOT)
    (root / "backend.json").write_text(json.dumps({"path": "state/terraform.tfstate"}))
    return root


def test_init_plan_apply_outputs_and_no_change_second_time(root: Path) -> None:
    runner = TerraformRunner(root)
    runner.init()
    first = runner.plan(secrets={"secret": "twelve-chars"})
    assert first.has_changes and first.outputs_changed
    runner.apply(secrets={"secret": "twelve-chars"})
    outputs = runner.outputs()
    assert outputs["host_groups"] == {"app": [{"name": "app-0"}]}
    assert outputs["secret_length"] == 12  # the secret arrived through TF_VAR_secret
    assert "TF_VAR_secret" not in os.environ  # and did not outlive the call
    assert (root / "state" / "terraform.tfstate").is_file()  # backend.json was used
    second = runner.plan(secrets={"secret": "twelve-chars"})
    assert not second.has_changes
    for path in root.parent.rglob("*"):
        if path.is_file() and "state" not in path.parts and path.name != "tfplan":
            assert "twelve-chars" not in path.read_text(errors="replace"), path
    assert runner.log_path == root.parent / "logs" / "terraform.log" and runner.log_path.is_file()


def test_failures_raise_with_terraform_message(root: Path) -> None:
    (root / "main.tf").write_text(ROOT + '\noutput "broken" {\n  value = var.missing\n}\n')
    runner = TerraformRunner(root)
    runner.init()
    with pytest.raises(DeployError, match="undeclared input variable"):
        runner.plan()


def test_plan_and_apply_stream_terraforms_ui_and_every_call_is_logged(root: Path) -> None:
    """issue 14: the run shows in the progress display as it goes (-json UI), and build/<name>/logs keeps it."""
    seen: list[str] = []
    runner = TerraformRunner(root, progress=seen.append)
    runner.init()
    runner.plan(secrets={"secret": "twelve-chars"})
    assert any(line.startswith("terraform plan: Plan: 0 to add") for line in seen), seen
    runner.apply(secrets={"secret": "twelve-chars"})
    assert any(line.startswith("terraform apply: Apply complete!") for line in seen), seen
    log = runner.log_path.read_text()
    assert [line.split()[2] for line in log.splitlines() if line.startswith("== ")] == ["init", "plan", "show", "apply"]
    assert "Apply complete!" in log and log.count("-- exit code 0") == 4
    assert mode(runner.log_path) == "0o600" and mode(runner.log_path.parent) == "0o700"
    runner.outputs()
    assert '"secret_length"' not in runner.log_path.read_text(), "the stdout of `output` is never logged"


def test_a_secret_in_terraforms_own_error_is_redacted_from_the_error_and_the_log(root: Path) -> None:
    (root / "main.tf").write_text(ROOT + '\noutput "leak" {\n  value = nonsensitive(file(var.secret))\n}\n')
    runner = TerraformRunner(root)
    runner.init()
    with pytest.raises(DeployError) as raised:
        runner.plan(secrets={"secret": "no-such-file-but-a-secret"})
    assert "no-such-file-but-a-secret" not in str(raised.value)
    assert "<redacted>" in str(raised.value) and str(runner.log_path) in str(raised.value)
    assert "no-such-file-but-a-secret" not in runner.log_path.read_text()
    assert "<redacted>" in runner.log_path.read_text()


def test_the_binary_comes_from_the_environment_and_a_missing_one_is_named(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENEDX_DEPLOY_TERRAFORM", "tofu-not-installed-here")
    runner = TerraformRunner(root)
    assert runner.binary == "tofu-not-installed-here"
    with pytest.raises(DeployError, match="no tofu-not-installed-here binary on PATH"):
        runner.init()


def mode(path: Path) -> str:
    return oct(path.stat().st_mode & 0o777)


def test_plans_and_local_state_are_private_and_plans_are_removed(root: Path) -> None:
    """Plan files and local state hold the secrets in plain text: never world-readable, plans gone after use."""
    build = root / "build" / "demo"
    module = build / "terraform"
    module.mkdir(parents=True)
    for name in ("main.tf", "backend.json"):
        (root / name).rename(module / name)
    build.chmod(0o755)
    previous = os.umask(0o022)  # an operator's usual umask: Terraform's files would be 0644
    try:
        runner = TerraformRunner(module)
        runner.init()
        plan = runner.plan(secrets={"secret": "twelve-chars"})
        assert plan.has_changes and mode(module / "tfplan") == "0o600"
        assert mode(build) == "0o700" and mode(module) == "0o700"
        runner.apply(secrets={"secret": "twelve-chars"})
        assert not (module / "tfplan").exists(), "the plan outlived its apply"
        state = module / "state" / "terraform.tfstate"
        assert mode(state) == "0o600" and mode(state.parent) == "0o700"
        state.chmod(0o644)  # left so by an older version: the next run tightens it
        again = runner.plan(secrets={"secret": "twelve-chars"})
        assert not again.has_changes and not (module / "tfplan").exists(), "a plan with nothing to apply was kept"
        assert mode(state) == "0o600"
        runner.apply(secrets={"secret": "twelve-chars"})  # nothing planned: nothing to do, no error
        for path in module.rglob("*"):
            if path.is_file() and ".terraform" not in path.parts:
                assert path.stat().st_mode & 0o077 == 0 or "twelve-chars" not in path.read_text(errors="replace")
    finally:
        os.umask(previous)


def test_apply_without_a_plan_is_refused(root: Path) -> None:
    runner = TerraformRunner(root)
    with pytest.raises(DeployError, match="no saved plan"):
        runner.apply()


def test_a_plan_left_by_an_interrupted_run_is_removed_at_exit(root: Path) -> None:
    from openedx_deploy import terraform

    runner = TerraformRunner(root)
    runner.init()
    runner.plan(secrets={"secret": "twelve-chars"})
    assert (root / "tfplan").is_file()
    terraform._remove_plans_at_exit()  # what atexit runs when the process ends before apply
    assert not (root / "tfplan").exists()


def fresh_checkout(root: Path, state: Path, name: str) -> Path:
    """The root module in a directory of its own with no `.terraform`, its state at `state`: what a CI job sees
    with remote state (the local backend at a path outside the module stands for the remote one)."""
    checkout = root / name
    checkout.mkdir()
    (checkout / "main.tf").write_text(ROOT)
    (checkout / "backend.json").write_text(json.dumps({"path": str(state)}))
    return checkout


def test_outputs_of_a_state_kept_elsewhere_read_from_a_fresh_checkout(root: Path) -> None:
    state = root / "remote" / "terraform.tfstate"
    deployed = TerraformRunner(fresh_checkout(root, state, "first"))
    deployed.init()
    deployed.plan(secrets={"secret": "twelve-chars"})
    deployed.apply(secrets={"secret": "twelve-chars"})
    runner = TerraformRunner(fresh_checkout(root, state, "second"))
    runner.init()
    assert runner.outputs() == deployed.outputs() == {"host_groups": {"app": [{"name": "app-0"}]}, "secret_length": 12}
    never = TerraformRunner(fresh_checkout(root, root / "none" / "terraform.tfstate", "never"))
    never.init()
    assert never.outputs() == {}, "no state: Terraform answers no outputs, which the deployer reads as never deployed"


def test_deployer_without_the_cache_reads_the_outputs_from_the_state(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deployer.terraform_outputs() with the real binary: applied from one checkout, the cache deleted, read back
    from the state (and cached again); with no state, the clear error."""
    from openedx_deploy import deploy, targets
    from openedx_deploy.output import Output
    from openedx_deploy.paths import Workdir
    from openedx_deploy.spec import parse_spec

    state = tmp_path / "remote" / "terraform.tfstate"

    def render_terraform(spec: object, workdir: Workdir, result: object) -> None:  # the module above, not a stack
        module = workdir.terraform_dir("demo")
        module.mkdir(parents=True, exist_ok=True)
        (module / "main.tf").write_text(ROOT)
        (module / "backend.json").write_text(json.dumps({"path": str(state)}))

    monkeypatch.setattr(targets, "render_terraform", render_terraform)
    spec = parse_spec({"name": "demo", "cloud": "aws", "size": "standard", "domains": {"lms": "learn.example.org"}})
    workdir = Workdir(tmp_path / "work")
    deployer = deploy.Deployer(spec, workdir, Output(), terraform=TerraformRunner)
    with pytest.raises(DeployError, match="demo has not been deployed yet"):
        deployer.terraform_outputs()
    render_terraform(spec, workdir, None)
    applied = TerraformRunner(workdir.terraform_dir("demo"))
    applied.plan(secrets={"secret": "twelve-chars"})
    applied.apply(secrets={"secret": "twelve-chars"})
    cache = workdir.terraform_dir("demo") / "outputs.json"
    assert not cache.exists()
    assert deployer.terraform_outputs() == {"host_groups": {"app": [{"name": "app-0"}]}, "secret_length": 12}
    assert json.loads(cache.read_text())["secret_length"] == 12


def test_the_state_check_needs_no_terraform_for_a_local_state_never_written(root: Path) -> None:
    """`destroy` of an environment never deployed asks `state_is_absent()` first: answered from backend.json alone,
    so no binary runs (here none could: the binary is missing). A state that exists, or any remote backend, is
    answered by `state list` after `init`; a backend with no state at all lists nothing rather than failing."""
    missing = TerraformRunner(root, binary=str(root / "no-terraform-here"))
    assert missing.state_is_absent()
    runner = TerraformRunner(root)
    runner.init()
    assert runner.state_resources() == [], "no state yet: `state list` exits 1 (No state file was found!)"
    runner.plan(secrets={"secret": "twelve-chars"})
    runner.apply(secrets={"secret": "twelve-chars"})
    assert not runner.state_is_absent()
    assert runner.state_resources() == [], "outputs only: no managed resource"
    elsewhere = root.parent / "remote"
    elsewhere.mkdir()
    (elsewhere / "main.tf").write_text(ROOT)
    (elsewhere / "backend.json").write_text(json.dumps({"bucket": "tfstate", "key": "demo/terraform.tfstate"}))
    assert not TerraformRunner(elsewhere).state_is_absent(), "a remote backend is never answered without Terraform"


def test_state_resources_lists_managed_resources_not_data_sources(root: Path) -> None:
    """With the provider double (aws schemas, invented values): a resource and a data source applied; the state
    holds both, and only the resource counts as something to destroy."""
    from test_terraform import _provider_plugin_dir

    plugin_dir = _provider_plugin_dir()
    (root / "main.tf").write_text(
        ROOT
        + """
provider "aws" {
  region = "eu-west-1"
}

data "aws_caller_identity" "current" {}

resource "aws_s3_bucket" "data" {
  bucket = "demo-${data.aws_caller_identity.current.account_id}"
}
"""
    )
    runner = TerraformRunner(root, plugin_dir=plugin_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SIM_PROVIDER"))}
    with pytest.MonkeyPatch.context() as patch:
        for name in set(os.environ) - set(env):
            patch.delenv(name)
        runner.init()
        runner.plan()
        runner.apply()
        assert runner.state_resources() == ["aws_s3_bucket.data"]


# A stand-in for the Terraform binary (OPENEDX_DEPLOY_TERRAFORM): says on stderr what TF_LOG it got, logs the secret
# where TF_LOG_PATH points (as a provider's debug log may), prints the secret on stderr, and fails `apply`.
FAKE_TERRAFORM = """#!/bin/sh
echo "child TF_LOG=${TF_LOG:-unset} TF_LOG_PATH=${TF_LOG_PATH:+set}" >&2
if [ -n "$TF_LOG_PATH" ]; then
  echo "2026-01-01T00:00:00Z [$TF_LOG] provider: request body {\\"password\\": \\"$TF_VAR_secret\\"}" >> "$TF_LOG_PATH"
fi
case "$1" in
  show) echo '{"resource_changes": [{"address": "x.y", "change": {"actions": ["create"]}}]}' ;;
  plan) touch tfplan; echo "secret on stderr: $TF_VAR_secret" >&2 ;;
  apply) echo "Error: apply failed near $TF_VAR_secret" >&2; exit 1 ;;
esac
"""
SECRET = "s3cret-passed-as-tf-var"


@pytest.fixture
def fake_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    binary = tmp_path / "fake-terraform"
    binary.write_text(FAKE_TERRAFORM)
    binary.chmod(0o755)
    monkeypatch.setenv("OPENEDX_DEPLOY_TERRAFORM", str(binary))
    monkeypatch.setenv("TF_LOG", "TRACE")  # the operator's own: not passed on, -v is the one way in
    monkeypatch.setenv("TF_LOG_PATH", str(tmp_path / "unredacted.log"))
    module = tmp_path / "build" / "demo" / "terraform"
    module.mkdir(parents=True)
    return module


@pytest.mark.parametrize(("verbosity", "level"), [(0, None), (1, "INFO"), (2, "DEBUG"), (4, "DEBUG")])
def test_v_sets_tf_log_in_the_child_whose_log_goes_to_the_run_log_redacted(
    fake_binary: Path, tmp_path: Path, verbosity: int, level: str | None
) -> None:
    """issue 14: -v is TF_LOG=INFO, -vv (and more) DEBUG; what Terraform logs lands in terraform.log, redacted, and
    nowhere else: not the progress display, not the error, not the operator's TF_LOG_PATH."""
    seen: list[str] = []
    runner = TerraformRunner(fake_binary, progress=seen.append, verbosity=verbosity)
    runner.plan(secrets={"secret": SECRET})
    with pytest.raises(DeployError) as raised:
        runner.apply(secrets={"secret": SECRET})
    log = runner.log_path.read_text()
    assert runner.log_path == tmp_path / "build" / "demo" / "logs" / "terraform.log"
    assert SECRET not in log and "secret on stderr: <redacted>" in log
    if level:
        assert f"child TF_LOG={level} TF_LOG_PATH=set" in log
        assert log.count(f"-- TF_LOG={level}\n") == 3  # plan, show, apply
        assert f'[{level}] provider: request body {{"password": "<redacted>"}}' in log
    else:
        assert "child TF_LOG=unset TF_LOG_PATH=\n" in log and "-- TF_LOG" not in log
    message = str(raised.value)
    assert "apply failed near <redacted>" in message and str(runner.log_path) in message
    assert SECRET not in message and "provider: request body" not in message, "the debug log reached the error"
    assert not any(SECRET in line or "request body" in line for line in seen)
    assert not (tmp_path / "unredacted.log").exists(), "the operator's TF_LOG_PATH got Terraform's log"
