"""Cloud preflight through the SDKs: what Terraform cannot tell before it starts creating things.

Credentials usable, region and zones exist, the machine types are offered in those zones, the base OS image
resolves to a concrete ID, and vCPU quota headroom where the API reports it. Every check runs (a failure does not
hide the next one where they are independent) and `PreflightError` lists them all before anything is created.
Each cloud's clients come through a small factory so tests pass moto-backed (AWS) or fake (GCP, Azure) clients.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import DeployError
from .extras import azure_subscription, gcp_project, require_cloud_sdk
from .spec import EnvironmentSpec, azure_self_signed
from .topology import VmNeed, azure_resource_group, planned_vms

# Base OS images per cloud: AWS (owner, name pattern), GCP (project, family), Azure (publisher, offer, sku).
AWS_IMAGES = {
    "debian-12": ("136693071363", "debian-12-amd64-*"),
    "ubuntu-24.04": ("099720109477", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"),
}
GCP_IMAGES = {"debian-12": ("debian-cloud", "debian-12"), "ubuntu-24.04": ("ubuntu-os-cloud", "ubuntu-2404-lts-amd64")}
AZURE_IMAGES = {
    "debian-12": ("Debian", "debian-12", "12-gen2"),
    "ubuntu-24.04": ("Canonical", "ubuntu-24_04-lts", "server"),
}
AWS_VCPU_QUOTA = ("ec2", "L-1216C47A")  # Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class PreflightReport:
    cloud: str
    checks: list[Check] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # what preflight resolved (account, image IDs, ...)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]


class PreflightError(DeployError):
    def __init__(self, report: PreflightReport) -> None:
        self.report = report
        lines = "; ".join(f"{c.name}: {c.detail}" for c in report.failures)
        super().__init__(f"{report.cloud} preflight failed, nothing was created: {lines}")


def _check_zones(report: PreflightReport, spec: EnvironmentSpec, available: set[str]) -> None:
    missing = sorted(set(spec.zones) - available)
    report.add("zones", not missing, f"missing {', '.join(missing)}" if missing else ", ".join(spec.zones))


def _check_quota(report: PreflightReport, needed: int, free: float | None, what: str) -> None:
    report.facts["planned_vcpus"] = needed
    if free is None:
        report.add("quota", True, f"vCPU quota not reported; {needed} vCPUs planned")
    else:
        report.add("quota", needed <= free, f"{needed} vCPUs planned, {int(free)} free ({what})")


def _merge_types(needs: Iterable[VmNeed]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for need in needs:
        merged[need.machine_type] = merged.get(need.machine_type, 0) + need.count
    return merged


# --- AWS ---------------------------------------------------------------------------------------------------------


def preflight_aws(spec: EnvironmentSpec, session: Any = None) -> PreflightReport:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    report = PreflightReport("aws")
    session = session or boto3.Session(region_name=spec.region)
    if session.get_credentials() is None:
        report.add(
            "credentials",
            False,
            "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, "
            "or run where an instance role / SSO session provides them",
        )
        return report
    try:
        identity = session.client("sts", region_name=spec.region).get_caller_identity()
    except (ClientError, BotoCoreError) as exc:
        report.add("credentials", False, f"AWS rejected the credentials: {exc}")
        return report
    report.facts["account"] = identity["Account"]
    report.add("credentials", True, f"account {identity['Account']}")
    ec2 = session.client("ec2", region_name=spec.region)
    regions = {r["RegionName"] for r in ec2.describe_regions()["Regions"]}
    if not report.add(
        "region",
        spec.region in regions,
        f"{spec.region} {'enabled' if spec.region in regions else 'is not enabled for this account'}",
    ):
        return report
    zones = {
        z["ZoneName"]
        for z in ec2.describe_availability_zones()["AvailabilityZones"]
        if z.get("State") in (None, "available")
    }
    missing_zones = sorted(set(spec.zones) - zones)
    report.add(
        "zones", not missing_zones, f"missing {', '.join(missing_zones)}" if missing_zones else ", ".join(spec.zones)
    )
    types = _merge_types(planned_vms(spec))
    offered = ec2.describe_instance_type_offerings(
        LocationType="availability-zone",
        Filters=[{"Name": "instance-type", "Values": sorted(types)}, {"Name": "location", "Values": list(spec.zones)}],
    )["InstanceTypeOfferings"]
    have = {(o["InstanceType"], o["Location"]) for o in offered}
    gaps = sorted(f"{t} in {z}" for t in types for z in spec.zones if (t, z) not in have)
    report.add("machine_types", not gaps, f"not offered: {', '.join(gaps)}" if gaps else ", ".join(sorted(types)))
    owner, pattern = AWS_IMAGES[spec.os_image]
    images = ec2.describe_images(
        Owners=[owner], Filters=[{"Name": "name", "Values": [pattern]}, {"Name": "architecture", "Values": ["x86_64"]}]
    )["Images"]
    if images:
        newest = max(images, key=lambda image: image.get("CreationDate", ""))
        report.facts["image_id"] = newest["ImageId"]
        report.add("image", True, f"{spec.os_image}: {newest['ImageId']} ({newest.get('Name', '')})")
    else:
        report.add("image", False, f"no {spec.os_image} image from owner {owner} matching {pattern} in {spec.region}")
    # Only offered types: DescribeInstanceTypes rejects the whole call for one unknown type.
    offered_types = sorted({instance_type for instance_type, _ in have})
    vcpus_by_type = (
        {
            t["InstanceType"]: t["VCpuInfo"]["DefaultVCpus"]
            for t in ec2.describe_instance_types(InstanceTypes=offered_types)["InstanceTypes"]
        }
        if offered_types
        else {}
    )
    needed = sum(vcpus_by_type.get(t, 0) * n for t, n in types.items())
    try:
        quota: float | None = session.client("service-quotas", region_name=spec.region).get_service_quota(
            ServiceCode=AWS_VCPU_QUOTA[0], QuotaCode=AWS_VCPU_QUOTA[1]
        )["Quota"]["Value"]
    except (ClientError, BotoCoreError):
        quota = None  # Service Quotas is not offered everywhere: headroom is checked where it is reported
    _check_quota(report, needed, quota, "of the on-demand standard vCPU quota")
    return report


# --- GCP ---------------------------------------------------------------------------------------------------------


@dataclass
class GcpClients:
    project: str
    regions: Any
    zones: Any
    machine_types: Any
    images: Any


def gcp_clients(configured_project: str | None = None) -> GcpClients:
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError
    from google.cloud import compute_v1

    try:
        credentials, project = google.auth.default()
    except DefaultCredentialsError as exc:
        raise _missing(
            "gcp",
            "credentials",
            "no Google credentials found: set GOOGLE_APPLICATION_CREDENTIALS to a "
            f"service-account key file, or run `gcloud auth application-default login` ({exc})",
        ) from None
    project = gcp_project(configured_project, project)
    if not project:
        raise _missing(
            "gcp", "project", "no Google Cloud project: set `project` in the environment file (or GOOGLE_CLOUD_PROJECT)"
        )
    return GcpClients(
        project=project,
        regions=compute_v1.RegionsClient(credentials=credentials),
        zones=compute_v1.ZonesClient(credentials=credentials),
        machine_types=compute_v1.MachineTypesClient(credentials=credentials),
        images=compute_v1.ImagesClient(credentials=credentials),
    )


def preflight_gcp(spec: EnvironmentSpec, clients: GcpClients | None = None) -> PreflightReport:
    from google.api_core.exceptions import GoogleAPIError, NotFound

    report = PreflightReport("gcp")
    clients = clients or gcp_clients(spec.project)
    report.facts["project"] = clients.project
    report.add("credentials", True, f"project {clients.project}")
    try:
        region = clients.regions.get(project=clients.project, region=spec.region)
    except NotFound:
        report.add("region", False, f"{spec.region} does not exist for project {clients.project}")
        return report
    except GoogleAPIError as exc:
        report.add("credentials", False, f"Google rejected the request: {exc}")
        return report
    report.add("region", True, spec.region)
    zones = {z.name for z in clients.zones.list(project=clients.project) if z.name.startswith(f"{spec.region}-")}
    missing_zones = sorted(set(spec.zones) - zones)
    report.add(
        "zones", not missing_zones, f"missing {', '.join(missing_zones)}" if missing_zones else ", ".join(spec.zones)
    )
    types = _merge_types(planned_vms(spec))
    vcpus: dict[str, int] = {}
    gaps = []
    for machine_type in sorted(types):
        for zone in spec.zones:
            try:
                found = clients.machine_types.get(project=clients.project, zone=zone, machine_type=machine_type)
                vcpus[machine_type] = found.guest_cpus
            except NotFound:
                gaps.append(f"{machine_type} in {zone}")
    report.add("machine_types", not gaps, f"not offered: {', '.join(gaps)}" if gaps else ", ".join(sorted(types)))
    image_project, family = GCP_IMAGES[spec.os_image]
    try:
        image = clients.images.get_from_family(project=image_project, family=family)
        report.facts["image_id"] = image.self_link or image.name
        report.add("image", True, f"{spec.os_image}: {image.name}")
    except NotFound:
        report.add("image", False, f"no image in family {family} of project {image_project}")
    needed = sum(vcpus.get(t, 0) * n for t, n in types.items())
    report.facts["planned_vcpus"] = needed
    cpu = next((q for q in region.quotas if q.metric == "CPUS"), None)
    if cpu is None:
        report.add("quota", True, f"CPU quota not reported; {needed} vCPUs planned")
    else:
        headroom = cpu.limit - cpu.usage
        report.add(
            "quota",
            needed <= headroom,
            f"{needed} vCPUs planned, {int(headroom)} free of {int(cpu.limit)} in {spec.region}",
        )
    return report


# --- Azure -------------------------------------------------------------------------------------------------------


def azure_compute_client(configured_subscription: str | None = None) -> Any:
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.compute import ComputeManagementClient

    subscription = azure_subscription(configured_subscription)
    if not subscription:
        raise _missing(
            "azure",
            "subscription",
            "no Azure subscription: set `subscription_id` in the environment file (or AZURE_SUBSCRIPTION_ID)",
        )
    credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
    try:
        credential.get_token("https://management.azure.com/.default")
    except ClientAuthenticationError:
        raise _missing(
            "azure",
            "credentials",
            "no usable Azure credentials: set AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET "
            "(a service principal), or run `az login`",
        ) from None
    return ComputeManagementClient(credential, subscription)


def preflight_azure(spec: EnvironmentSpec, compute: Any = None) -> PreflightReport:
    report = PreflightReport("azure")
    compute = compute or azure_compute_client(spec.subscription_id)
    report.add("credentials", True, "subscription reachable")
    if azure_self_signed(spec):
        report.add(
            "certificate",
            False,
            "tls.mode cloud on Azure needs tls.issuer, a Key Vault issuer linked to DigiCert or GlobalSign: without "
            "one Key Vault issues a self-signed certificate no browser trusts (or use tls.mode acme, or provided)",
        )
    skus = [
        s
        for s in compute.resource_skus.list(filter=f"location eq '{spec.region}'")
        if s.resource_type == "virtualMachines"
    ]
    if not report.add(
        "region", bool(skus), spec.region if skus else f"{spec.region} offers no virtual machines to this subscription"
    ):
        return report
    offered: dict[str, set[str]] = {}
    vcpus: dict[str, int] = {}
    for sku in skus:
        if any(r.reason_code == "NotAvailableForSubscription" for r in (sku.restrictions or [])):
            continue
        zones = {z for info in (sku.location_info or []) for z in (info.zones or [])}
        offered[sku.name] = zones
        for capability in sku.capabilities or []:
            if capability.name == "vCPUs":
                vcpus[sku.name] = int(capability.value)
    region_zones = set().union(*offered.values()) if offered else set()
    missing_zones = sorted(set(spec.zones) - region_zones)
    report.add(
        "zones", not missing_zones, f"missing {', '.join(missing_zones)}" if missing_zones else ", ".join(spec.zones)
    )
    types = _merge_types(planned_vms(spec))
    gaps = sorted(f"{t} in zone {z}" for t in types for z in spec.zones if z not in offered.get(t, set()))
    report.add("machine_types", not gaps, f"not offered: {', '.join(gaps)}" if gaps else ", ".join(sorted(types)))
    publisher, offer, sku_name = AZURE_IMAGES[spec.os_image]
    versions = list(compute.virtual_machine_images.list(spec.region, publisher, offer, sku_name))
    if versions:
        newest = max(versions, key=lambda v: [int(p) if p.isdigit() else 0 for p in v.name.split(".")])
        report.facts["image_id"] = f"{publisher}:{offer}:{sku_name}:{newest.name}"
        report.add("image", True, report.facts["image_id"])
    else:
        report.add("image", False, f"no {publisher}:{offer}:{sku_name} image in {spec.region}")
    needed = sum(vcpus.get(t, 0) * n for t, n in types.items())
    report.facts["planned_vcpus"] = needed
    cores = next((u for u in compute.usage.list(spec.region) if u.name.value == "cores"), None)
    if cores is None:
        report.add("quota", True, f"vCPU quota not reported; {needed} vCPUs planned")
    else:
        # The environment's VMs that already run are in the region's usage and in the plan: only the rest is new.
        running = min(_azure_running_vcpus(compute, spec, vcpus), needed)
        headroom = cores.limit - cores.current_value
        planned = f"{needed} vCPUs planned" + (f" ({running} of them already running)" if running else "")
        report.add("quota", needed - running <= headroom, f"{planned}, {headroom} free of {cores.limit} regional vCPUs")
    return report


def _azure_running_vcpus(compute: Any, spec: EnvironmentSpec, vcpus: dict[str, int]) -> int:
    """vCPUs of the VMs in the environment's resource group (a second `up`, or one after a destroy that kept the
    data hosts); 0 before the group exists (found by the simulated Azure `standard` run: its `up` after a destroy
    that kept the data hosts was refused, "11 vCPUs planned, 9 free of 20", where 4 of the 11 ran already)."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        machines = list(compute.virtual_machines.list(azure_resource_group(spec)))
    except ResourceNotFoundError:
        return 0
    return sum(vcpus.get(vm.hardware_profile.vm_size, 0) for vm in machines if vm.hardware_profile)


def _missing(cloud: str, name: str, detail: str) -> PreflightError:
    report = PreflightReport(cloud)
    report.add(name, False, detail)
    return PreflightError(report)


PREFLIGHTS: dict[str, Callable[[EnvironmentSpec], PreflightReport]] = {
    "aws": preflight_aws,
    "gcp": preflight_gcp,
    "azure": preflight_azure,
}


def run_preflight(spec: EnvironmentSpec) -> PreflightReport:
    """The cloud's preflight; raises PreflightError listing every failed check. The local target has none."""
    if spec.cloud not in PREFLIGHTS:
        return PreflightReport(spec.cloud)
    require_cloud_sdk(spec.cloud)
    report = PREFLIGHTS[spec.cloud](spec)
    if report.failures:
        raise PreflightError(report)
    return report
