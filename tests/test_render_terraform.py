"""The rendered root module of every cloud x size profile passes offline `terraform validate` and `terraform fmt`.

This is where the renderer's variables meet the stacks' declarations: a variable the renderer writes that a stack
does not declare (or the reverse, a required one it forgets) fails here. Providers are the schema-serving double
from ../shared/tools/terraform-schema-provider (real provider schemas, validate only; no plan or apply).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from openedx_deploy import render, secrets, topology
from openedx_deploy.errors import SpecError
from openedx_deploy.paths import Workdir
from openedx_deploy.spec import parse_spec

PLUGIN_DIR = Path(os.environ.get("TF_PLUGIN_DIR", Path.home() / ".cache/openedx-deploy/tf-plugins"))


def _require_terraform() -> str:
    binary = shutil.which("terraform")
    missing = None if binary else "no terraform binary on PATH"
    if binary and not PLUGIN_DIR.is_dir():
        missing = f"no offline provider plugin dir at {PLUGIN_DIR} (scripts/bootstrap makes it)"
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{missing}: CI must run this test")
        pytest.skip(f"{missing}: run scripts/bootstrap")
    assert binary
    return binary


@pytest.mark.parametrize("size", ["single", "standard", "ha"])
@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_rendered_root_module_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cloud: str, size: str) -> None:
    terraform = _require_terraform()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    spec = parse_spec(
        {
            "name": "demo",
            "cloud": cloud,
            "size": size,
            "domains": {"lms": "learn.example.org", "studio": "studio.example.org", "mfe": "apps.example.org"},
        }
    )
    values = {name: "x" for name in secrets.SECRET_NAMES} | {"jwt_private_key": secrets.generate_jwk()}
    render.render_environment(spec, Workdir(tmp_path), values, secrets.Vault("p"))
    root = tmp_path / "build" / "demo" / "terraform"
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_PLUGIN_CACHE_DIR": ""}
    init = subprocess.run(
        [terraform, "init", "-backend=false", f"-plugin-dir={PLUGIN_DIR}", "-no-color", "-input=false"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    validate = subprocess.run(
        [terraform, "validate", "-no-color"], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "The configuration is valid" in validate.stdout
    # issue 14: what the tool writes reads like what people write; `terraform fmt` in CI leaves it alone.
    fmt = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", "-no-color"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fmt.returncode == 0, f"the rendered root module fails `terraform fmt`:\n{fmt.stdout}{fmt.stderr}"


# ---------------------------------------------------------------- the s3 lock table: one name in both places

STATE_BACKEND_MAIN = Path(__file__).resolve().parents[1] / "terraform" / "modules" / "aws" / "state_backend" / "main.tf"


def _s3_spec(**state: str) -> dict[str, object]:
    return {
        "name": "demo",
        "cloud": "aws",
        "domains": {"lms": "learn.example.org", "studio": "studio.example.org", "mfe": "apps.example.org"},
        "state": {"backend": "s3", "bucket": "acme-openedx-tfstate", **state},
    }


def test_s3_lock_table_defaults_to_the_table_the_state_backend_module_creates() -> None:
    # The module names its table coalesce(var.lock_table_name, "${var.bucket_name}<suffix>"); the backend settings
    # must name the same table, or every `terraform init` against a bootstrapped backend locks on a missing table.
    match = re.search(
        r'coalesce\(var\.lock_table_name, "\$\{var\.bucket_name\}([^"]*)"\)', STATE_BACKEND_MAIN.read_text()
    )
    assert match, "terraform/modules/aws/state_backend no longer derives its lock table name from the bucket"
    config = render.backend_config(parse_spec(_s3_spec()))
    assert config["dynamodb_table"] == f"acme-openedx-tfstate{match.group(1)}"


def test_state_lock_table_is_accepted_and_reaches_the_backend_settings() -> None:
    spec = parse_spec(_s3_spec(lock_table="shared-terraform-locks"))
    assert spec.state.lock_table == "shared-terraform-locks"
    assert render.backend_config(spec)["dynamodb_table"] == "shared-terraform-locks"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_s3_spec(lock_table="no spaces allowed"), "letters, digits"),
        (
            {**_s3_spec(), "cloud": "gcp", "state": {"backend": "gcs", "bucket": "b-tfstate", "lock_table": "t-lock"}},
            "is not used by backend gcs",
        ),
    ],
    ids=["bad-name", "not-s3"],
)
def test_state_lock_table_refused_where_it_cannot_apply(data: dict[str, object], message: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_spec(data)
    problems = [(p.field, p.message) for p in raised.value.problems]
    assert any(field == "state.lock_table" and message in text for field, text in problems), problems


# ---------------------------------------------------------------- the provider block's project and subscription


@pytest.mark.parametrize(
    ("cloud", "field", "value", "variable"),
    [
        ("gcp", "project", "school-openedx-prod", "project_id"),
        ("azure", "subscription_id", "0b1f6471-1bf0-4dda-aec3-cb9272f09590", "subscription_id"),
    ],
)
def test_provider_block_takes_project_and_subscription_from_the_environment_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cloud: str, field: str, value: str, variable: str
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    spec = parse_spec({"name": "demo", "cloud": cloud, "domains": {"lms": "learn.example.org"}, field: value})
    values = {name: "x" for name in secrets.SECRET_NAMES} | {"jwt_private_key": secrets.generate_jwk()}
    render.render_environment(spec, Workdir(tmp_path), values, secrets.Vault("p"))
    root = tmp_path / "build" / "demo" / "terraform"
    tfvars = json.loads((root / "terraform.tfvars.json").read_text())
    assert tfvars[variable] == value
    provider = re.search(r'provider "[a-z]+" \{.*?\n\}', (root / "main.tf").read_text(), re.S)
    assert provider and f"var.{variable}" in provider.group(0), provider


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"cloud": "aws", "project": "school-openedx-prod"}, "project"),
        ({"cloud": "gcp", "project": "Not_A_Project"}, "project"),
        ({"cloud": "gcp", "subscription_id": "0b1f6471-1bf0-4dda-aec3-cb9272f09590"}, "subscription_id"),
        ({"cloud": "azure", "subscription_id": "my-subscription"}, "subscription_id"),
    ],
    ids=["project-on-aws", "bad-project", "subscription-on-gcp", "bad-subscription"],
)
def test_project_and_subscription_refused_where_they_do_not_apply(data: dict[str, str], field: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_spec({"name": "demo", "domains": {"lms": "learn.example.org"}, **data})
    assert field in [p.field for p in raised.value.problems], raised.value.problems


# ---------------------------------------------------------------- data_host_counts: the VMs each stack creates


def _counts(cloud: str, size: str, **stores: dict[str, object]) -> dict[str, int]:
    spec = parse_spec({"name": "demo", "cloud": cloud, "size": size, "domains": {"lms": "learn.example.org"}, **stores})
    return topology.data_host_counts(spec)


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_data_host_counts_none_in_single_or_for_managed_stores(cloud: str) -> None:
    # single: every self-hosted store runs on the app host.
    assert _counts(cloud, "single") == {"mysql": 0, "mongodb": 0, "redis": 0, "search": 0, "rabbitmq": 0}
    # standard: managed MySQL and Redis; one MongoDB and one search host; no broker host with the Redis broker.
    assert _counts(cloud, "standard") == {"mysql": 0, "mongodb": 1, "redis": 0, "search": 1, "rabbitmq": 0}


@pytest.mark.parametrize(
    ("mysql", "expected"),
    [({}, 1), ({"ha": True}, 2), ({"read_replica": True}, 2), ({"ha": True, "read_replica": True}, 2)],
    ids=["plain", "ha", "replica", "both"],
)
def test_data_host_counts_self_hosted_mysql_gets_a_replica_host_and_redis_one_host(
    mysql: dict[str, bool], expected: int
) -> None:
    counts = _counts(
        "aws",
        "ha",
        mysql={"mode": "self_hosted", "ha": False, "read_replica": False, **mysql},
        redis={"mode": "self_hosted", "ha": True},
        mongodb={"count": 3},
    )
    # Nothing replicates a self-hosted Redis, so redis.ha adds no host; MongoDB gets its replica-set members, and
    # Meilisearch (the default engine, self-hosted on every cloud) its one host.
    assert counts == {"mysql": expected, "mongodb": 3, "redis": 1, "search": 1, "rabbitmq": 0}


def test_data_host_counts_no_search_host_for_managed_opensearch() -> None:
    counts = _counts("aws", "ha", search={"engine": "opensearch", "mode": "managed"})
    assert counts["search"] == 0, counts
