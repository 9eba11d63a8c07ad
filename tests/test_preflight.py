"""Cloud preflight: boto3 code against moto; GCP and Azure code against fakes of their client objects.

The fakes (`FakeGcp*`, `FakeAzure*`) are test doubles with the same method names and result shapes as
google-cloud-compute's and azure-mgmt-compute's clients; the product always builds the real clients.
No test lets an SDK look for credentials on the network (cloud metadata addresses are never contacted).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from google.api_core.exceptions import NotFound
from moto import mock_aws

from openedx_deploy import extras, preflight, snapshots, topology
from openedx_deploy.spec import parse_spec

DOMAINS = {"lms": "learn.example.org", "studio": "studio.example.org", "mfe": "apps.example.org"}


def spec_for(cloud: str, size: str = "standard", **extra: Any) -> Any:
    return parse_spec({"name": "demo", "cloud": cloud, "size": size, "domains": DOMAINS, **extra})


# --- AWS (moto) ---------------------------------------------------------------------------------------------------


@pytest.fixture
def aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    amis = [
        {
            "ami_id": "ami-0debian12aaaaaaaa",
            "name": "debian-12-amd64-20260101-2000",
            "description": "Debian 12",
            "owner_id": "136693071363",
            "public": True,
            "virtualization_type": "hvm",
            "architecture": "x86_64",
            "state": "available",
            "platform": None,
            "root_device_type": "ebs",
            "root_device_name": "/dev/xvda",
            "sriov": "simple",
            "hypervisor": "xen",
            "creation_date": "2026-01-01T20:00:00.000Z",
        }
    ]
    path = tmp_path / "amis.json"
    path.write_text(json.dumps(amis))
    monkeypatch.setenv("MOTO_AMIS_PATH", str(path))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_aws_missing_credentials_fails_naming_them(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(preflight.PreflightError) as failed:
        preflight.run_preflight(spec_for("aws"))
    assert "AWS_ACCESS_KEY_ID" in str(failed.value)
    assert [c.name for c in failed.value.report.failures] == ["credentials"]


@mock_aws
def test_aws_preflight_resolves_image_and_checks_everything(aws_env: None) -> None:
    report = preflight.run_preflight(spec_for("aws"))
    assert {c.name for c in report.checks} == {"credentials", "region", "zones", "machine_types", "image", "quota"}
    assert report.facts["image_id"] == "ami-0debian12aaaaaaaa"
    assert report.facts["account"] == "123456789012"
    # standard on aws: 1 app m6i.xlarge (4) + 1 worker m6i.large (2) + self-hosted MongoDB and search VMs.
    assert report.facts["planned_vcpus"] > 6


@mock_aws
def test_aws_unknown_zone_and_machine_type_are_reported_together(aws_env: None) -> None:
    spec = spec_for("aws", tiers={"app": {"machine_type": "x9.large"}})
    spec = spec.model_copy(update={"zones": ["us-east-1a", "us-east-1z"]})
    with pytest.raises(preflight.PreflightError) as failed:
        preflight.run_preflight(spec)
    names = {c.name for c in failed.value.report.failures}
    assert {"zones", "machine_types"} <= names
    assert "x9.large" in str(failed.value) and "us-east-1z" in str(failed.value)


@mock_aws
def test_aws_missing_image_fails(aws_env: None) -> None:
    with pytest.raises(preflight.PreflightError, match=r"no ubuntu-24\.04 image"):
        preflight.run_preflight(spec_for("aws", os_image="ubuntu-24.04"))


def test_aws_quota_headroom_is_enforced_when_reported(aws_env: None) -> None:
    class QuotaSession:
        """Wraps a moto session and answers Service Quotas, which moto does not serve for EC2 here."""

        def __init__(self, inner: Any, limit: float) -> None:
            self.inner, self.limit = inner, limit

        def get_credentials(self) -> Any:
            return self.inner.get_credentials()

        def client(self, name: str, **kwargs: Any) -> Any:
            if name == "service-quotas":
                return SimpleNamespace(get_service_quota=lambda **_: {"Quota": {"Value": self.limit}})
            return self.inner.client(name, **kwargs)

    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        spec = spec_for("aws")
        assert preflight.preflight_aws(spec, QuotaSession(session, 512)).failures == []
        failures = preflight.preflight_aws(spec, QuotaSession(session, 4)).failures
        assert [c.name for c in failures] == ["quota"]
        assert "4 free" in failures[0].detail


# --- GCP (fakes of google-cloud-compute clients) ------------------------------------------------------------------


class FakeGcpRegions:
    def __init__(self, cpu_limit: float, cpu_usage: float) -> None:
        self.quota = SimpleNamespace(metric="CPUS", limit=cpu_limit, usage=cpu_usage)

    def get(self, project: str, region: str) -> Any:
        if region != "us-central1":
            raise NotFound(f"region {region}")
        return SimpleNamespace(name=region, quotas=[self.quota])


class FakeGcpZones:
    def list(self, project: str) -> list[Any]:
        return [SimpleNamespace(name=n) for n in ("us-central1-a", "us-central1-b", "us-central1-c", "europe-west1-b")]


class FakeGcpMachineTypes:
    def __init__(self, cpus: dict[str, int]) -> None:
        self.cpus = cpus

    def get(self, project: str, zone: str, machine_type: str) -> Any:
        if machine_type not in self.cpus:
            raise NotFound(machine_type)
        return SimpleNamespace(name=machine_type, guest_cpus=self.cpus[machine_type])


class FakeGcpImages:
    def get_from_family(self, project: str, family: str) -> Any:
        if (project, family) != ("debian-cloud", "debian-12"):
            raise NotFound(family)
        return SimpleNamespace(name="debian-12-bookworm-v20260101", self_link="projects/debian-cloud/global/images/x")


def gcp(known: Any, cpu_limit: float = 100, cpu_usage: float = 0) -> preflight.GcpClients:
    """Fake clients offering every machine type the spec `known` plans (4 vCPUs each)."""
    cpus = {need.machine_type: 4 for need in topology.planned_vms(known)}
    return preflight.GcpClients(
        "demo-project", FakeGcpRegions(cpu_limit, cpu_usage), FakeGcpZones(), FakeGcpMachineTypes(cpus), FakeGcpImages()
    )


def test_gcp_preflight_ok() -> None:
    spec = spec_for("gcp")
    report = preflight.preflight_gcp(spec, gcp(spec))
    assert report.failures == []
    assert report.facts["image_id"].endswith("/x")


def test_gcp_quota_unknown_type_and_image_are_all_reported() -> None:
    spec = spec_for("gcp", os_image="ubuntu-24.04", tiers={"worker": {"machine_type": "z9-imaginary"}})
    report = preflight.preflight_gcp(spec, gcp(spec_for("gcp"), cpu_limit=8, cpu_usage=6))
    assert {c.name for c in report.failures} == {"machine_types", "image", "quota"}


def test_gcp_unknown_region_stops_early() -> None:
    spec = spec_for("gcp").model_copy(update={"region": "mars-north1"})
    report = preflight.preflight_gcp(spec, gcp(spec))
    assert [c.name for c in report.failures] == ["region"]


def test_gcp_missing_credentials_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    def no_credentials(*_: Any, **__: Any) -> Any:
        raise DefaultCredentialsError("Could not automatically determine credentials.")

    monkeypatch.setattr(google.auth, "default", no_credentials)
    with pytest.raises(preflight.PreflightError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        preflight.run_preflight(spec_for("gcp"))


@pytest.mark.parametrize(
    ("configured", "ambient", "expected"),
    [
        ("file-project", "ambient-project", "file-project"),
        (None, "ambient-project", "ambient-project"),
        (None, None, "key-project"),
    ],
)
def test_gcp_calls_work_in_the_environment_files_project(
    monkeypatch: pytest.MonkeyPatch, configured: str | None, ambient: str | None, expected: str
) -> None:
    """The stack deploys into the file's `project`; preflight, snapshots and backups must look there too, not in the
    project the service account belongs to."""
    import google.auth
    from google.auth.credentials import AnonymousCredentials

    monkeypatch.setattr(google.auth, "default", lambda *_, **__: (AnonymousCredentials(), "key-project"))
    for name in extras.GCP_PROJECT_ENVS:
        monkeypatch.delenv(name, raising=False)
    if ambient:
        monkeypatch.setenv("GOOGLE_PROJECT", ambient)
    assert preflight.gcp_clients(configured).project == expected
    spec = spec_for("gcp", **({"project": configured} if configured else {}))
    clients = snapshots._complete_clients(spec, None, listing=True)
    assert clients.gcp_project == expected


def test_azure_calls_work_in_the_environment_files_subscription(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "11111111-1111-1111-1111-111111111111")
    assert extras.azure_subscription("22222222-2222-2222-2222-222222222222") == "22222222-2222-2222-2222-222222222222"
    assert extras.azure_subscription(None) == "11111111-1111-1111-1111-111111111111"


# --- Azure (fakes of azure-mgmt-compute's client) -----------------------------------------------------------------


def azure_sku(name: str, vcpus: int, zones: list[str], restricted: bool = False) -> Any:
    return SimpleNamespace(
        name=name,
        resource_type="virtualMachines",
        restrictions=[SimpleNamespace(reason_code="NotAvailableForSubscription")] if restricted else [],
        location_info=[SimpleNamespace(zones=zones)],
        capabilities=[SimpleNamespace(name="vCPUs", value=str(vcpus))],
    )


class FakeAzureCompute:
    def __init__(self, skus: list[Any], cores_free: int = 100, images: bool = True) -> None:
        self._skus, self._images = skus, images
        self.resource_skus = SimpleNamespace(list=lambda filter: self._skus if "eastus" in filter else [])
        self.virtual_machine_images = SimpleNamespace(list=self._list_images)
        self.usage = SimpleNamespace(
            list=lambda location: [
                SimpleNamespace(name=SimpleNamespace(value="cores"), limit=cores_free, current_value=0)
            ]
        )
        self.virtual_machines = SimpleNamespace(list=lambda group: [])  # no VM of the environment runs yet

    def _list_images(self, location: str, publisher: str, offer: str, sku: str) -> list[Any]:
        return [SimpleNamespace(name="0.20260101.1"), SimpleNamespace(name="0.20251201.3")] if self._images else []


def all_azure_skus(spec: Any, **kwargs: Any) -> list[Any]:
    return [azure_sku(n.machine_type, 4, ["1", "2", "3"], **kwargs) for n in topology.planned_vms(spec)]


def test_azure_preflight_ok_picks_newest_image() -> None:
    spec = spec_for("azure")
    report = preflight.preflight_azure(spec, FakeAzureCompute(all_azure_skus(spec)))
    assert report.failures == []
    assert report.facts["image_id"] == "Debian:debian-12:12-gen2:0.20260101.1"


def test_azure_cloud_tls_without_an_issuer_fails_before_anything_is_created() -> None:
    """Key Vault's own issuer (Self) makes the gateway's certificate self-signed: `cloud` there needs tls.issuer."""
    spec = spec_for("azure", tls={"mode": "cloud"})
    report = preflight.preflight_azure(spec, FakeAzureCompute(all_azure_skus(spec)))
    assert [c.name for c in report.failures] == ["certificate"] and "tls.issuer" in report.failures[0].detail
    named = spec_for("azure", tls={"mode": "cloud", "issuer": "DigiCert-OV"})
    assert preflight.preflight_azure(named, FakeAzureCompute(all_azure_skus(named))).failures == []


def test_azure_preflight_checks_the_bastions_size_too() -> None:
    """Found by the whole simulated Azure run: a region that does not offer the bastion's size (Standard_B1s) passed
    preflight, and the apply then failed with SkuNotAvailable."""
    spec = spec_for("azure", ssh={"allowed_cidrs": ["203.0.113.0/24"]})
    offered = all_azure_skus(spec_for("azure"))  # every size but the bastion's
    report = preflight.preflight_azure(spec, FakeAzureCompute(offered))
    assert [c.name for c in report.failures] == ["machine_types"] and "Standard_B1s" in report.failures[0].detail


def test_azure_restricted_sku_and_quota_fail() -> None:
    spec = spec_for("azure")
    report = preflight.preflight_azure(spec, FakeAzureCompute(all_azure_skus(spec, restricted=True), cores_free=2))
    assert {c.name for c in report.failures} >= {"machine_types"}


def test_azure_missing_subscription_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in extras.AZURE_SUBSCRIPTION_ENVS:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(preflight.PreflightError, match="AZURE_SUBSCRIPTION_ID"):
        preflight.run_preflight(spec_for("azure"))


def test_local_target_has_no_cloud_preflight() -> None:
    assert preflight.run_preflight(spec_for("local", size="single")).checks == []
