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
    (tmp_path / "main.tf").write_text(ROOT)
    (tmp_path / "backend.json").write_text(json.dumps({"path": "state/terraform.tfstate"}))
    return tmp_path


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
    for path in root.rglob("*"):
        if path.is_file() and "state" not in path.parts and path.name != "tfplan":
            assert "twelve-chars" not in path.read_text(errors="replace"), path


def test_failures_raise_with_terraform_message(root: Path) -> None:
    (root / "main.tf").write_text(ROOT + '\noutput "broken" {\n  value = var.missing\n}\n')
    runner = TerraformRunner(root)
    runner.init()
    with pytest.raises(DeployError, match="undeclared input variable"):
        runner.plan()
