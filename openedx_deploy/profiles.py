"""Size profiles (host counts, disks, data-store modes) and per-cloud facts: regions, zones, machine types.

What a "machine type" means depends on the cloud and the store's mode: a VM size for hosts and self-hosted
stores; for managed stores the service's own size name (RDS/ElastiCache/DocumentDB/OpenSearch classes on
AWS, a Cloud SQL tier and the Memorystore capacity in GB on GCP, an Azure Flexible Server SKU and an Azure
Cache for Redis SKU as `<tier>_<family><capacity>`, e.g. `Standard_C1`). Local container hosts have none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Cloud = Literal["aws", "gcp", "azure", "local"]
Size = Literal["single", "standard", "ha"]
Mode = Literal["managed", "self_hosted"]
Tier = Literal["app", "worker", "data"]
Store = Literal["mysql", "mongodb", "redis", "search"]

CLOUDS: tuple[Cloud, ...] = ("aws", "gcp", "azure", "local")
SIZES: tuple[Size, ...] = ("single", "standard", "ha")
STORES: tuple[Store, ...] = ("mysql", "mongodb", "redis", "search")

# Local container hosts are not sized by the cloud: there is nothing to choose.
LOCAL_MACHINE_TYPE = "n/a"


@dataclass(frozen=True)
class SizeProfile:
    """Defaults for one size; `modes` is what the profile asks for on a cloud where the service exists."""

    name: Size
    description: str
    app_count: int
    worker_count: int
    data_count: int  # self-hosted data-store VMs per store (0: the stores run on the one app host)
    zone_count: int
    app_disk_gb: int
    worker_disk_gb: int
    data_disk_gb: int
    modes: dict[Store, Mode]
    mysql_ha: bool
    mysql_read_replica: bool
    redis_ha: bool


PROFILES: dict[Size, SizeProfile] = {
    "single": SizeProfile(
        name="single",
        description="one host runs everything, data stores included; for trials and small sites",
        app_count=1,
        worker_count=0,
        data_count=0,
        zone_count=1,
        app_disk_gb=80,
        worker_disk_gb=40,
        data_disk_gb=100,
        modes={
            "mysql": "self_hosted",
            "mongodb": "self_hosted",
            "redis": "self_hosted",
            "search": "self_hosted",
        },
        mysql_ha=False,
        mysql_read_replica=False,
        redis_ha=False,
    ),
    "standard": SizeProfile(
        name="standard",
        description="app and worker hosts, managed MySQL and Redis, one self-hosted MongoDB and search host",
        app_count=1,
        worker_count=1,
        data_count=1,
        zone_count=1,
        app_disk_gb=40,
        worker_disk_gb=40,
        data_disk_gb=100,
        modes={"mysql": "managed", "mongodb": "self_hosted", "redis": "managed", "search": "self_hosted"},
        mysql_ha=False,
        mysql_read_replica=False,
        redis_ha=False,
    ),
    "ha": SizeProfile(
        name="ha",
        description="2+ of every host across zones, managed stores with standbys, 3-member replica sets",
        app_count=2,
        worker_count=2,
        data_count=3,
        zone_count=3,
        app_disk_gb=40,
        worker_disk_gb=40,
        data_disk_gb=100,
        # MongoDB stays self-hosted even where a compatible service exists: DocumentDB and Cosmos DB lack
        # features edx-platform's modulestore relies on, so they are opt-in (see spec cross-field rules).
        # Search is managed only where the engine allows (OpenSearch on AWS); store_mode() falls back.
        modes={"mysql": "managed", "mongodb": "self_hosted", "redis": "managed", "search": "managed"},
        mysql_ha=True,
        mysql_read_replica=False,
        redis_ha=True,
    ),
}

# Managed services each cloud offers for a store (engine-specific for search).
MANAGED_SERVICES: dict[Cloud, dict[Store, str]] = {
    "aws": {
        "mysql": "Amazon RDS for MySQL",
        "mongodb": "Amazon DocumentDB",
        "redis": "Amazon ElastiCache",
        "search": "Amazon OpenSearch Service",
    },
    "gcp": {"mysql": "Cloud SQL for MySQL", "redis": "Memorystore for Redis"},
    "azure": {
        "mysql": "Azure Database for MySQL Flexible Server",
        "mongodb": "Azure Cosmos DB for MongoDB",
        "redis": "Azure Cache for Redis",
    },
    "local": {},
}

# The MongoDB-compatible services are not MongoDB: say what the operator gives up.
MANAGED_MONGODB_LIMITS: dict[Cloud, str] = {
    "aws": "DocumentDB implements the MongoDB 5.0 API only, without some operators and index options; "
    "test course import/export before relying on it",
    "azure": "Cosmos DB for MongoDB (vCore) differs from MongoDB in transactions and index limits; "
    "test course import/export before relying on it",
}

# Which search engine a managed search service runs.
MANAGED_SEARCH_ENGINES: dict[Cloud, tuple[str, ...]] = {
    "aws": ("opensearch",),
    "gcp": (),
    "azure": (),
    "local": (),
}

# VM sizes per tier and size. Single hosts carry every container, so they get the largest VM.
_VM_TYPES: dict[Cloud, dict[Size, dict[Tier, str]]] = {
    "aws": {
        "single": {"app": "t3.xlarge", "worker": "t3.large", "data": "t3.large"},
        "standard": {"app": "m6i.xlarge", "worker": "m6i.large", "data": "r6i.large"},
        "ha": {"app": "m6i.xlarge", "worker": "m6i.large", "data": "r6i.large"},
    },
    "gcp": {
        "single": {"app": "e2-standard-4", "worker": "e2-standard-2", "data": "e2-standard-2"},
        "standard": {"app": "e2-standard-4", "worker": "e2-standard-2", "data": "e2-highmem-2"},
        "ha": {"app": "n2-standard-4", "worker": "n2-standard-2", "data": "n2-highmem-2"},
    },
    "azure": {
        "single": {"app": "Standard_D4s_v5", "worker": "Standard_D2s_v5", "data": "Standard_D2s_v5"},
        "standard": {"app": "Standard_D4s_v5", "worker": "Standard_D2s_v5", "data": "Standard_E2s_v5"},
        "ha": {"app": "Standard_D4s_v5", "worker": "Standard_D2s_v5", "data": "Standard_E2s_v5"},
    },
}

# Managed service sizes per store and size profile.
_MANAGED_TYPES: dict[Cloud, dict[Store, dict[Size, str]]] = {
    "aws": {
        "mysql": {"single": "db.t4g.large", "standard": "db.t4g.large", "ha": "db.m6g.large"},
        "mongodb": {"single": "db.t4g.medium", "standard": "db.t4g.medium", "ha": "db.r6g.large"},
        "redis": {"single": "cache.t4g.medium", "standard": "cache.t4g.medium", "ha": "cache.m6g.large"},
        "search": {"single": "t3.medium.search", "standard": "m6g.large.search", "ha": "m6g.large.search"},
    },
    "gcp": {
        "mysql": {"single": "db-custom-2-7680", "standard": "db-custom-2-7680", "ha": "db-custom-4-15360"},
        "redis": {"single": "1", "standard": "2", "ha": "5"},
    },
    "azure": {
        "mysql": {
            "single": "GP_Standard_D2ds_v4",
            "standard": "GP_Standard_D2ds_v4",
            "ha": "GP_Standard_D4ds_v4",
        },
        "mongodb": {"single": "M30", "standard": "M30", "ha": "M40"},
        "redis": {"single": "Standard_C1", "standard": "Standard_C1", "ha": "Premium_P1"},
    },
}

# The SSH bastion's machine type on each cloud: the stacks' `bastion_machine_type` defaults
# (terraform/stacks/*/variables.tf; tests/test_topology.py checks they agree). The stack makes one bastion when
# `ssh.allowed_cidrs` is not empty.
BASTION_MACHINE_TYPES = {"aws": "t3.micro", "gcp": "e2-small", "azure": "Standard_B1s"}

DEFAULT_REGIONS: dict[Cloud, str] = {
    "aws": "us-east-1",
    "gcp": "us-central1",
    "azure": "eastus",
    "local": "local",
}

_AZURE_ZONES = ("1", "2", "3")

# Regions this tool knows zones for, each with its zones in the order hosts are spread over them.
REGIONS: dict[Cloud, dict[str, tuple[str, ...]]] = {
    "aws": {
        "us-east-1": ("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f"),
        "us-east-2": ("us-east-2a", "us-east-2b", "us-east-2c"),
        "us-west-1": ("us-west-1a", "us-west-1c"),
        "us-west-2": ("us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"),
        "ca-central-1": ("ca-central-1a", "ca-central-1b", "ca-central-1d"),
        "sa-east-1": ("sa-east-1a", "sa-east-1b", "sa-east-1c"),
        "eu-west-1": ("eu-west-1a", "eu-west-1b", "eu-west-1c"),
        "eu-west-2": ("eu-west-2a", "eu-west-2b", "eu-west-2c"),
        "eu-west-3": ("eu-west-3a", "eu-west-3b", "eu-west-3c"),
        "eu-central-1": ("eu-central-1a", "eu-central-1b", "eu-central-1c"),
        "eu-north-1": ("eu-north-1a", "eu-north-1b", "eu-north-1c"),
        "ap-south-1": ("ap-south-1a", "ap-south-1b", "ap-south-1c"),
        "ap-southeast-1": ("ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"),
        "ap-southeast-2": ("ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c"),
        "ap-northeast-1": ("ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"),
        "ap-northeast-2": ("ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c", "ap-northeast-2d"),
        "af-south-1": ("af-south-1a", "af-south-1b", "af-south-1c"),
        "me-central-1": ("me-central-1a", "me-central-1b", "me-central-1c"),
    },
    "gcp": {
        "us-central1": ("us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"),
        "us-east1": ("us-east1-b", "us-east1-c", "us-east1-d"),
        "us-east4": ("us-east4-a", "us-east4-b", "us-east4-c"),
        "us-west1": ("us-west1-a", "us-west1-b", "us-west1-c"),
        "us-west2": ("us-west2-a", "us-west2-b", "us-west2-c"),
        "northamerica-northeast1": (
            "northamerica-northeast1-a",
            "northamerica-northeast1-b",
            "northamerica-northeast1-c",
        ),
        "southamerica-east1": ("southamerica-east1-a", "southamerica-east1-b", "southamerica-east1-c"),
        "europe-west1": ("europe-west1-b", "europe-west1-c", "europe-west1-d"),
        "europe-west2": ("europe-west2-a", "europe-west2-b", "europe-west2-c"),
        "europe-west3": ("europe-west3-a", "europe-west3-b", "europe-west3-c"),
        "europe-west4": ("europe-west4-a", "europe-west4-b", "europe-west4-c"),
        "europe-north1": ("europe-north1-a", "europe-north1-b", "europe-north1-c"),
        "asia-south1": ("asia-south1-a", "asia-south1-b", "asia-south1-c"),
        "asia-southeast1": ("asia-southeast1-a", "asia-southeast1-b", "asia-southeast1-c"),
        "asia-northeast1": ("asia-northeast1-a", "asia-northeast1-b", "asia-northeast1-c"),
        "australia-southeast1": (
            "australia-southeast1-a",
            "australia-southeast1-b",
            "australia-southeast1-c",
        ),
        "me-west1": ("me-west1-a", "me-west1-b", "me-west1-c"),
    },
    # Azure names zones 1..3 in every region that has availability zones; only such regions are listed.
    "azure": {
        region: _AZURE_ZONES
        for region in (
            "eastus",
            "eastus2",
            "centralus",
            "southcentralus",
            "westus2",
            "westus3",
            "canadacentral",
            "brazilsouth",
            "northeurope",
            "westeurope",
            "uksouth",
            "francecentral",
            "germanywestcentral",
            "swedencentral",
            "switzerlandnorth",
            "norwayeast",
            "polandcentral",
            "italynorth",
            "centralindia",
            "southeastasia",
            "eastasia",
            "japaneast",
            "koreacentral",
            "australiaeast",
            "southafricanorth",
            "uaenorth",
            "qatarcentral",
        )
    },
    "local": {"local": ("local",)},
}


def profile(size: Size) -> SizeProfile:
    return PROFILES[size]


def default_zones(cloud: Cloud, region: str, size: Size) -> list[str]:
    """The first N zones of the region: 1 for single/standard, up to 3 for ha."""
    zones = REGIONS[cloud].get(region, ())
    return list(zones[: PROFILES[size].zone_count])


def machine_type(cloud: Cloud, size: Size, tier: Tier) -> str:
    """The VM size of a host tier."""
    if cloud == "local":
        return LOCAL_MACHINE_TYPE
    return _VM_TYPES[cloud][size][tier]


def has_managed(cloud: Cloud, store: Store) -> bool:
    return store in MANAGED_SERVICES[cloud]


def store_mode(cloud: Cloud, size: Size, store: Store, engine: str = "meilisearch") -> Mode:
    """The profile's mode for a store, falling back to self-hosted where the cloud has no such service."""
    wanted = PROFILES[size].modes[store]
    if wanted == "managed" and has_managed(cloud, store):
        if store == "search" and engine not in MANAGED_SEARCH_ENGINES[cloud]:
            return "self_hosted"
        return "managed"
    return "self_hosted"


def store_machine_type(cloud: Cloud, size: Size, store: Store, mode: Mode) -> str:
    """Managed service size, or the VM the store runs on (the app host in `single`)."""
    if cloud == "local":
        return LOCAL_MACHINE_TYPE
    managed_sizes = _MANAGED_TYPES[cloud].get(store)
    if mode == "managed" and managed_sizes is not None:
        return managed_sizes[size]
    # Self-hosted, or "managed" where the cloud has no such service (the spec reports that mode as a problem).
    tier: Tier = "app" if PROFILES[size].data_count == 0 else "data"
    return machine_type(cloud, size, tier)
