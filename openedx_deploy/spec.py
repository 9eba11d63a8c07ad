"""The environment file as a typed, fully resolved spec: defaults from the release catalog, the size profile
and the cloud, then every problem found reported at once with its dotted field path and what is allowed."""

from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
import difflib
import ipaddress
import re
import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, Union
from urllib.parse import urlparse

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from openedx_deploy import profiles
from openedx_deploy.errors import Problem, SpecError, UsageError
from openedx_deploy.profiles import Cloud, Mode, Size, Store
from openedx_deploy.releases import SEARCH_ENGINES, Release, load_catalog

# ----------------------------------------------------------------------------------------------------
# Field-level checks. Each raises ValueError with the human message that ends up in the Problem.

_NAME = re.compile(r"[a-z][a-z0-9-]{1,30}")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_EMAIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_VERSION = re.compile(r"\d+\.\d+")
_BUCKET_PREFIX = re.compile(r"[a-z0-9][a-z0-9-]{1,45}[a-z0-9]")
_SSH_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_GCP_LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_GCP_LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")
_STATE_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_STORAGE_ACCOUNT = re.compile(r"[a-z0-9]{3,24}")
_LOCK_TABLE = re.compile(r"[a-zA-Z0-9_.-]{3,255}")
_GCP_PROJECT = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
_AZURE_SUBSCRIPTION = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_AZURE_CONTAINER = re.compile(r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]")
# A Cloud DNS managed zone's name (not its DNS name): what `gcloud dns managed-zones` calls it.
_GCP_MANAGED_ZONE = re.compile(r"[a-z]([a-z0-9-]{0,61}[a-z0-9])?")
# Machine types, per cloud: a VM size, and each managed service's own size names. Each value reaches Terraform and
# cloud APIs, so it must have the cloud's shape, not merely be non-empty.
_AWS_VM = r"[a-z][a-z0-9-]{0,14}\.(nano|micro|small|medium|large|xlarge|[0-9]{1,2}xlarge|metal(-[0-9]{1,3}xl)?)"
_VM_TYPE_SHAPES: dict[str, tuple[re.Pattern[str], str]] = {
    "aws": (re.compile(_AWS_VM), "m6i.xlarge"),
    "gcp": (re.compile(r"[a-z][a-z0-9]{1,5}-[a-z0-9]{1,16}(-[a-z0-9]{1,8}){0,3}"), "e2-standard-4"),
    "azure": (re.compile(r"(Standard|Basic)_[A-Za-z0-9]{1,24}(_[A-Za-z0-9]{1,12}){0,3}"), "Standard_D4s_v5"),
    # Local hosts are containers: the value is recorded, never used; a plain token all the same.
    "local": (re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}"), "n/a"),
}
_MANAGED_TYPE_SHAPES: dict[tuple[str, str], tuple[re.Pattern[str], str]] = {
    ("aws", "mysql"): (re.compile(r"db\." + _AWS_VM), "db.t4g.large (an RDS instance class)"),
    ("aws", "mongodb"): (re.compile(r"db\." + _AWS_VM), "db.t4g.medium (a DocumentDB instance class)"),
    ("aws", "redis"): (re.compile(r"cache\." + _AWS_VM), "cache.t4g.medium (an ElastiCache node type)"),
    ("aws", "search"): (re.compile(_AWS_VM + r"\.search"), "m6g.large.search (an OpenSearch instance type)"),
    ("gcp", "mysql"): (
        re.compile(r"db-(custom-[0-9]{1,3}-[0-9]{3,7}|[a-z][a-z0-9]{0,15}(-[a-z0-9]{1,16}){1,4})"),
        "db-custom-2-7680 (a Cloud SQL tier)",
    ),
    ("gcp", "redis"): (re.compile(r"[1-9][0-9]{0,2}"), '"5" (Memorystore capacity in GB, 1-300)'),
    ("azure", "mysql"): (
        re.compile(r"(B|GP|MO)_Standard_[A-Za-z0-9]{1,16}(_v[0-9]{1,2})?"),
        "GP_Standard_D2ds_v4 (a Flexible Server SKU)",
    ),
    ("azure", "mongodb"): (re.compile(r"M[0-9]{2,3}"), "M30 (a Cosmos DB for MongoDB vCore tier)"),
    ("azure", "redis"): (re.compile(r"(Basic|Standard)_C[0-6]|Premium_P[1-5]"), "Standard_C1 (an Azure Cache SKU)"),
}
# Amazon MQ for RabbitMQ's instance types: mq.t3.micro (one node only), mq.m5.*, mq.m7g.* (RabbitMQ 4.2 runs on
# mq.m7g only). Amazon MQ developer guide, "Broker instance types" and "Managing Amazon MQ for RabbitMQ engine
# versions".
_AMAZON_MQ_TYPE = re.compile(r"mq\.(t3\.micro|m5\.(large|[0-9]{0,2}xlarge)|m7g\.(medium|large|[0-9]{0,2}xlarge))")
AMAZON_MQ_INSTANCE_TYPE = "mq.m7g.large"
# A relative path of plain segments: the remote state key is <prefix>/<name>/terraform.tfstate.
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,62}")
_AZURE_RESOURCE_GROUP = re.compile(r"[-\w.()]{0,89}[-\w()]")
# OCI distribution reference grammar (github.com/distribution/reference): registry host[:port], repository path
# components, tag, digest. A value outside it must never reach `podman run` or a unit file.
_REGISTRY = re.compile(
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    r"|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?"
)
_REPOSITORY = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*")
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}")
_IMAGE_REFERENCE = re.compile(
    rf"(?:(?P<registry>{_REGISTRY.pattern})/)?(?P<repository>{_REPOSITORY.pattern})"
    rf"(?::(?P<tag>{_TAG.pattern}))?(?:@(?P<digest>{_DIGEST.pattern}))?"
)
# Characters no file path, user name or host name of ours needs, and which break the shell, unit or YAML lines
# such a value ends up in.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _check_name(value: str) -> str:
    if not _NAME.fullmatch(value) or value.endswith("-"):
        raise ValueError(
            "must match [a-z][a-z0-9-]{1,30}: a lowercase letter, then 1-30 lowercase letters, digits or "
            "hyphens, not ending in a hyphen (it prefixes every cloud resource name)"
        )
    return value


def _check_hostname(value: str) -> str:
    labels = value.split(".")
    if (
        len(value) > 253
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValueError(
            f"{value!r} is not a valid host name: use lowercase DNS labels (letters, digits, hyphens) "
            "separated by dots, such as learn.example.com"
        )
    return value


def _check_hostname_or_none(value: str | None) -> str | None:
    return None if value is None else _check_hostname(value)


def _is_host(value: str) -> bool:
    """RFC 1123 host name (one or more labels, any case) or an IP address literal."""
    try:
        ipaddress.ip_address(value.strip("[]") if value.startswith("[") else value)
        return True
    except ValueError:
        pass
    labels = value.rstrip(".").lower().split(".")
    return 0 < len(value) <= 253 and all(_LABEL.fullmatch(label) for label in labels) and not labels[-1].isdigit()


def _check_email(value: str | None) -> str | None:
    if value is not None and (not _EMAIL.fullmatch(value) or not _is_host(value.rpartition("@")[2]) or ".." in value):
        raise ValueError(f"{value!r} is not an e-mail address such as ops@example.com")
    return value


def _check_url(value: str | None) -> str | None:
    if value is None:
        return value
    problem = f"{value!r} is not a URL: use http(s)://host[:port]/path, without spaces or quotes"
    if _CONTROL.search(value) or any(c in value for c in " \"'`\\<>{}|^"):
        raise ValueError(problem)
    parsed = urlparse(value)
    try:
        port = parsed.port
    except ValueError:
        raise ValueError(problem) from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname or not _is_host(parsed.hostname):
        raise ValueError(problem)
    if port == 0:
        raise ValueError(problem)
    return value


def _check_smtp_host(value: str | None) -> str | None:
    if value is not None and not _is_host(value):
        raise ValueError(
            f"{value!r} is not a host name or IP address: give the relay's name, such as smtp.example.com "
            "(the port goes in smtp.port)"
        )
    return value


def _check_plain_text(value: str | None) -> str | None:
    """Free text that ends up in rendered configuration: one line, no control characters."""
    if value is not None and _CONTROL.search(value):
        raise ValueError("must be one line of text without control characters (newlines, tabs, NUL ...)")
    return value


def _check_local_path(value: str | None) -> str | None:
    """A path on the operator's machine that a command reads: no control characters, no leading dash."""
    if value is None:
        return value
    if _CONTROL.search(value) or value.startswith("-") or len(value) > 4096:
        raise ValueError(
            "must be a file path without control characters (newlines, tabs ...) and not starting with '-'"
        )
    return value


def _check_state_prefix(value: str | None) -> str | None:
    if value is None:
        return value
    segments = value.split("/")
    if len(value) > 200 or not all(_PATH_SEGMENT.fullmatch(s) for s in segments) or ".." in segments:
        raise ValueError(
            f"{value!r} is not a relative key prefix: use segments of letters, digits, '.', '_' or '-' separated "
            "by '/', with no leading or trailing '/', no empty segment and no '..' (e.g. openedx-deploy/prod)"
        )
    return value


def _check_registry(value: str | None) -> str | None:
    if value is not None and (not _REGISTRY.fullmatch(value) or len(value) > 255):
        raise ValueError(
            f"{value!r} is not a registry host: use host[:port] such as docker.io or registry.example.com:5000"
        )
    return value


def _check_repository(value: str) -> str:
    if not _REPOSITORY.fullmatch(value) or len(value) > 255:
        raise ValueError(
            f"{value!r} is not an image repository: lowercase path components such as overhangio/openedx "
            "(letters, digits, separators '.', '_', '__', '-' inside a component)"
        )
    return value


def _check_tag(value: str) -> str:
    if not _TAG.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an image tag: up to 128 letters, digits, '_', '.' or '-', not starting with '.' "
            "or '-' (e.g. 21.0.0)"
        )
    return value


def parse_image_reference(reference: str) -> dict[str, str | None]:
    """An image reference split into registry, repository, tag and digest; ValueError when it is not one."""
    match = _IMAGE_REFERENCE.fullmatch(reference)
    if match is None or len(reference) > 512:
        raise ValueError(f"{reference!r} is not an image reference such as docker.io/overhangio/openedx:21.0.0")
    parts = match.groupdict()
    registry = parts["registry"]
    if registry is not None and not ("." in registry or ":" in registry or registry == "localhost"):
        # As docker does: the first component is a registry only when it looks like a host (overhangio/openedx
        # is a repository on the default registry).
        parts["repository"] = f"{registry}/{parts['repository']}"
        registry = None
        if not _REPOSITORY.fullmatch(parts["repository"]):
            raise ValueError(f"{reference!r} is not an image reference such as docker.io/overhangio/openedx:21.0.0")
    return {**parts, "registry": registry}


def _check_cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        if "host bits set" in str(exc):
            network = ipaddress.ip_network(value, strict=False)
            raise ValueError(f"{value!r} has host bits set: did you mean {network}?") from None
        raise ValueError(f"{value!r} is not a CIDR block such as 203.0.113.0/24") from None
    return value


def _check_bucket_prefix(value: str) -> str:
    if not _BUCKET_PREFIX.fullmatch(value):
        raise ValueError(
            "must be 3-47 lowercase letters, digits or hyphens, starting and ending with a letter or digit "
            "(bucket names on every cloud derive from it)"
        )
    return value


def _check_ssh_user(value: str) -> str:
    if not _SSH_USER.fullmatch(value):
        raise ValueError("must be a Linux user name: lowercase letters, digits, '_' or '-', at most 32 characters")
    if value == "root":
        raise ValueError("must not be root: cloud images refuse root logins; pick a user such as openedx")
    return value


def _check_release(value: str) -> str:
    names = load_catalog().names()
    if value not in names:
        raise ValueError(f"must be one of {', '.join(names)}")
    return value


def _refuse_number(value: Any) -> Any:
    # YAML reads 8.4 as a float, and 8.10 would silently become "8.1": insist on quotes.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f'must be a quoted string such as "{value}" (unquoted, YAML reads it as a number)')
    return value


def _check_version(value: str) -> str:
    if not _VERSION.fullmatch(value):
        raise ValueError(f'{value!r} is not a major.minor version such as "8.4"')
    return value


Name = Annotated[str, AfterValidator(_check_name)]
Hostname = Annotated[str, AfterValidator(_check_hostname)]
Email = Annotated[str | None, AfterValidator(_check_email)]
Url = Annotated[str | None, AfterValidator(_check_url)]
PlainText = Annotated[str | None, AfterValidator(_check_plain_text)]
LocalPath = Annotated[str | None, AfterValidator(_check_local_path)]
MachineType = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_check_plain_text)]
Cidr = Annotated[str, AfterValidator(_check_cidr)]
Version = Annotated[str, BeforeValidator(_refuse_number), AfterValidator(_check_version)]
ReleaseName = Annotated[str, AfterValidator(_check_release)]
DiskGb = Annotated[int, Field(ge=20, le=65536)]

# ----------------------------------------------------------------------------------------------------
# The models. Every field is required here: `parse_spec` fills defaults before validating, so a resolved spec
# never carries a hole for the renderers to guess at.


class _Model(BaseModel):
    # strict: YAML already gives native types, and "3" for a count or "yes" for a flag is a typo worth naming.
    model_config = ConfigDict(extra="forbid", strict=True)


class Domains(_Model):
    lms: Hostname
    studio: Hostname
    mfe: Hostname
    # The notes API's public name: the LMS's courseware calls it from the browser (EDXNOTES_PUBLIC_API).
    notes: Hostname
    # Meilisearch's public name (MEILISEARCH_PUBLIC_URL): Studio's content search queries it from the browser. Only
    # with search.engine meilisearch; none otherwise.
    meilisearch: Annotated[str | None, AfterValidator(_check_hostname_or_none)]


class Tier(_Model):
    count: int = Field(ge=0, le=20)
    machine_type: MachineType
    disk_gb: DiskGb


class AppTier(Tier):
    count: int = Field(ge=1, le=20)


class Tiers(_Model):
    app: AppTier
    worker: Tier
    data: Tier


class MySQL(_Model):
    mode: Mode
    version: Version
    flavor: Literal["mysql"]
    ha: bool
    read_replica: bool
    backup_retention_days: int = Field(ge=1, le=35)
    machine_type: MachineType
    disk_gb: DiskGb


class MongoDB(_Model):
    mode: Mode
    version: Version
    count: int = Field(ge=0, le=7)  # self-hosted replica-set members, or managed instances; 0: on the app host
    machine_type: MachineType
    disk_gb: DiskGb


class Redis(_Model):
    mode: Mode
    version: Version
    ha: bool
    machine_type: MachineType


class RabbitMQ(_Model):
    mode: Mode
    machine_type: MachineType
    queue_type: Literal["classic", "quorum"]


class Search(_Model):
    engine: Literal["meilisearch", "elasticsearch", "opensearch"]
    mode: Mode
    version: Version
    count: int = Field(ge=0, le=10)  # self-hosted hosts or managed data nodes; 0: on the app host
    machine_type: MachineType
    disk_gb: int = Field(ge=10, le=65536)


class Storage(_Model):
    bucket_prefix: Annotated[str, AfterValidator(_check_bucket_prefix)]
    versioning: bool


class TLS(_Model):
    mode: Literal["acme", "cloud", "provided", "self_signed"]
    email: Email
    certificate_file: LocalPath
    private_key_file: LocalPath
    # Azure's `cloud` certificate comes from a Key Vault issuer; without one, Key Vault's own makes it self-signed.
    issuer: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,127}$")] | None


class SMTP(_Model):
    host: Annotated[str | None, AfterValidator(_check_smtp_host)]
    port: int = Field(ge=1, le=65535)
    username: Annotated[Annotated[str, Field(max_length=256)] | None, AfterValidator(_check_plain_text)]
    use_tls: bool
    from_email: Email


class Image(_Model):
    registry: Annotated[str | None, AfterValidator(_check_registry)]
    repository: Annotated[str, AfterValidator(_check_repository)]
    tag: Annotated[str, AfterValidator(_check_tag)]
    archive: LocalPath

    @property
    def reference(self) -> str:
        """The image name hosts run: registry-qualified unless it comes from an archive."""
        base = f"{self.repository}:{self.tag}"
        return f"{self.registry}/{base}" if self.registry else base


class Mirrors(_Model):
    apt: Url
    pypi: Url


class State(_Model):
    backend: Literal["local", "s3", "gcs", "azurerm"]
    bucket: PlainText
    prefix: Annotated[str | None, AfterValidator(_check_state_prefix)]
    region: PlainText
    lock_table: PlainText
    resource_group: PlainText
    storage_account: PlainText
    container: PlainText


class DNS(_Model):
    zone: Annotated[str | None, AfterValidator(_check_hostname_or_none)]
    managed_zone: PlainText


class SLO(_Model):
    # The gates `loadtest` holds a run to, over all its requests: a figure above its gate fails the run.
    p95_ms: int = Field(ge=1, le=600_000)
    error_rate: float = Field(ge=0, le=1)


class CDN(_Model):
    enabled: bool
    domain: Annotated[str | None, AfterValidator(_check_hostname_or_none)]
    # CloudFront's price class: aws only (none on the other clouds).
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] | None


class SSH(_Model):
    user: Annotated[str, AfterValidator(_check_ssh_user)]
    public_key_file: Annotated[str, Field(min_length=1), AfterValidator(_check_local_path)]
    allowed_cidrs: list[Cidr]
    allow_world: bool


class EnvironmentSpec(_Model):
    """An environment file (environments/NAME.yml). Only `name` and `cloud` are required (and `domains.lms` on a
    cloud): every other field defaults from the release catalog, the size profile and the cloud, and `null` means
    that default."""

    # Each description is what `openedx-deploy schema` publishes and the README's field table shows: say what the
    # field holds and its default.
    name: Name = Field(
        description="the environment's name, [a-z][a-z0-9-]{1,30}: it prefixes every cloud resource and must agree "
        "with the file name (NAME.yml); required"
    )
    cloud: Literal["aws", "gcp", "azure", "local"] = Field(
        description="where the environment runs; `local`: podman hosts on this machine; required"
    )
    region: Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_check_plain_text)] = Field(
        description="the cloud's region; default aws `us-east-1`, gcp `us-central1`, azure `eastus`, local `local`"
    )
    zones: list[Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_check_plain_text)]] = Field(
        description="the zones hosts and replicas spread over; default the region's first zone (`single`, "
        "`standard`) or two to three of its zones (`ha`)"
    )
    release: ReleaseName = Field(
        description="the Open edX release (`openedx-deploy releases`); `upgrade --to` moves it one release at a "
        "time; default the newest supported"
    )
    running_release: Annotated[str, AfterValidator(_check_release)] | None = Field(
        description="the release an existing environment runs when `release` is upgrade-only (no longer deployed "
        "new); default none"
    )
    size: Literal["single", "standard", "ha"] = Field(
        description="`single`: one host runs everything; `standard`: app, worker and data hosts; `ha`: several app "
        "hosts, managed multi-zone data stores, replicas; default `single`"
    )
    os_image: Literal["debian-12", "ubuntu-24.04"] = Field(description="the hosts' system; default `debian-12`")
    domains: Domains = Field(
        description="the host names learners and staff use, all different: the LMS, Studio, the MFEs, the notes API "
        "and (search engine meilisearch only) Meilisearch, which browsers call directly; default `lms` none (required "
        "on a cloud; local: `NAME.local.openedx.io`), `studio.LMS`, `apps.LMS`, `notes.LMS`, `meilisearch.LMS`"
    )
    tiers: Tiers = Field(
        description="per-tier overrides of the size profile (host count, machine type, disk size in GB); default "
        "from the size profile and the cloud"
    )
    mysql: MySQL = Field(
        description="MySQL: `managed` (the cloud's service) or `self_hosted`, version, HA, read replica, days of "
        "backups kept, machine type (or managed size), disk; default per size profile and cloud, the release's "
        "version"
    )
    mongodb: MongoDB = Field(
        description="MongoDB: managed only where a compatible service exists (AWS DocumentDB, Azure Cosmos DB); "
        "`count`: replica-set members or managed instances, 0 puts it on the app host; default self-hosted"
    )
    redis: Redis = Field(description="Redis: mode, version, HA, machine type; default per size profile and cloud")
    broker: Literal["redis", "rabbitmq"] = Field(
        description="the Celery broker: `redis` (the environment's Redis, which also holds the caches) or `rabbitmq` "
        "(RabbitMQ, as `rabbitmq` below says; AMQP over TLS: docs/rabbitmq.md); default `redis`"
    )
    rabbitmq: RabbitMQ = Field(
        description="the RabbitMQ broker of `broker: rabbitmq`: `self_hosted` (locally on the Redis host, on a cloud "
        "a VM of its own, the app host in single; a vhost with a user per service) or `managed` (aws only: Amazon "
        "MQ for RabbitMQ, one user for both services); `machine_type`: the VM size, or the Amazon MQ instance type "
        "(mq.m7g.large); `queue_type`: the Celery queues' type, `quorum` (replicated; needs Celery 5.5) or `classic`, "
        "fixed once the queues exist (docs/rabbitmq.md); default `self_hosted`, the data tier's size, `quorum` where "
        "the broker is a cluster (Amazon MQ in `ha`)"
    )
    search: Search = Field(
        description="the search engine, its mode, version and hosts (Meilisearch cannot replicate: `count` above 1 "
        "needs Elasticsearch or OpenSearch); default the release's engine (Meilisearch), self-hosted"
    )
    storage: Storage = Field(
        description="object storage: every bucket name derives from `bucket_prefix`; default `NAME-openedx`, versioned"
    )
    tls: TLS = Field(
        description="`acme` (Let's Encrypt, HTTP-01, needs `email`), `cloud` (the load balancer's certificate), "
        "`provided` (`certificate_file` and `private_key_file`) or `self_signed`; default `self_signed` (`init` "
        "writes `cloud` for a cloud). On Azure, `cloud` needs `issuer`: the Key Vault issuer (linked to DigiCert or "
        "GlobalSign) of the gateway's certificate, since Key Vault's own issues a self-signed one"
    )
    smtp: SMTP = Field(
        description="the outgoing mail relay (its password goes in the secrets file as smtp_password); default "
        "none, port 587 with TLS, from `no-reply@LMS`"
    )
    image: Image = Field(
        description="the Open edX image: `registry`, `repository` and `tag`, or `archive` (an image tarball for "
        "air-gapped hosts, loaded rather than pulled); default the release's image on docker.io"
    )
    mirrors: Mirrors = Field(description="apt and PyPI mirror URLs for hosts without internet access; default none")
    state: State = Field(
        description="where Terraform keeps its state: `local` (build/NAME/terraform), `s3` (`bucket`, `region`; "
        "optional `prefix` and `lock_table`, the DynamoDB lock table, default `BUCKET-lock`), `gcs` (`bucket`, "
        "optional `prefix`) or `azurerm` (`resource_group`, `storage_account`, `container`, optional `prefix`); "
        "docs/clouds.md creates them; default `local`"
    )
    dns: DNS = Field(
        description="the public DNS zone on the environment's cloud that holds the environment's domains (LMS, "
        "Studio, MFEs, notes, Meilisearch): `zone`, its DNS name such as `example.com` (a Route 53 hosted zone, a "
        "Cloud DNS managed zone, an Azure DNS zone), where `up` points the domains at the load balancer (on AWS it "
        "validates the `cloud` certificate there too); gcp only: `managed_zone`, the Cloud DNS zone's own name when "
        "it is not the zone with dots as hyphens (`example-com`); default none: `up` prints the records to create"
    )
    cdn: CDN = Field(
        description="a CDN in front of the LMS's `/static/` and `/media/` (docs/cdn.md): `enabled` (CloudFront on aws, "
        "Cloud CDN on the load balancer on gcp, Front Door on azure; not on local); `domain`, a name of `dns.zone` for "
        "it (aws, azure: its certificate is validated and its record created there; gcp serves on the LMS's name); "
        "aws only: `price_class` (`PriceClass_100`, `PriceClass_200`, `PriceClass_All`); default off, the CDN's own "
        "name, `PriceClass_100`"
    )
    ssh: SSH = Field(
        description="SSH access for Ansible: the user, the public key sent to the hosts, `allowed_cidrs` that may "
        "reach port 22, `allow_world` to allow the whole internet; default `openedx`, `~/.ssh/id_ed25519.pub`, "
        "nobody from outside"
    )
    slo: SLO = Field(
        description="the service-level gates `openedx-deploy loadtest` holds a run to, over all its requests: "
        "`p95_ms`, the 95th percentile of response times in milliseconds, and `error_rate`, the share of requests "
        "that failed (0.001 is 0.1%); a figure above its gate fails the run (exit 3); default p95 2000 ms, error "
        "rate 0.001"
    )
    deletion_protection: bool = Field(
        description="protect databases, buckets and the state lock table from deletion; off, `destroy "
        "--include-data` deletes them with their data; default true"
    )
    # Where the provider works, when not left to ambient settings (GOOGLE_PROJECT / ARM_SUBSCRIPTION_ID, gcloud, az).
    project: str | None = Field(
        description="gcp only: the project the provider and the stack use; default GOOGLE_PROJECT or gcloud's"
    )
    subscription_id: str | None = Field(
        description="azure only: the subscription (a UUID) the provider uses; default ARM_SUBSCRIPTION_ID or the "
        "az CLI's"
    )
    tags: dict[str, str] = Field(
        description="extra tags (labels on GCP, whose rules apply on every cloud) on every resource; `environment` "
        "is always added; default none"
    )

    @property
    def release_info(self) -> Release:
        return load_catalog().get(self.release)

    def store_mode(self, store: Store) -> Mode:
        mode: Mode = getattr(self, store).mode
        return mode

    def self_hosted_stores(self) -> list[Store]:
        return [store for store in profiles.STORES if self.store_mode(store) == "self_hosted"]


# ----------------------------------------------------------------------------------------------------
# Defaults.

# Fields where an explicit `null` means "none", not "use the default".
_NULL_MEANS_NONE = {("image", "registry")}

# Stand-ins for bad list items: valid, and harmless to every cross-field rule.
_LIST_PLACEHOLDERS: dict[tuple[str, ...], Any] = {
    ("zones",): "x-invalid-zone",
    ("ssh", "allowed_cidrs"): "192.0.2.0/24",
}

# Free-form mappings: a bad entry is dropped rather than the whole mapping replaced.
_FREE_MAPPINGS = {("tags",)}

# Stand-ins for required values that are missing or wrong, so the cross-field rules can still run on the rest.
_PLACEHOLDERS: dict[tuple[str, ...], Any] = {
    ("name",): "x-invalid",
    ("cloud",): "local",
    ("domains", "lms"): "lms.invalid.example",
    ("domains", "studio"): "studio.invalid.example",
    ("domains", "mfe"): "apps.invalid.example",
    ("domains", "notes"): "notes.invalid.example",
}

_HINTS: dict[str, str] = {
    "name": "the environment name, e.g. name: demo",
    "cloud": "one of aws, gcp, azure, local",
    "domains.lms": "the host name learners use, e.g. learn.example.com "
    "(studio, mfe, notes and meilisearch default to studio.<lms>, apps.<lms>, notes.<lms> and meilisearch.<lms>)",
}


def _pick(data: dict[str, Any], *path: str) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _choice(value: Any, allowed: Iterable[str], fallback: str) -> str:
    return value if isinstance(value, str) and value in allowed else fallback


def _defaults(data: dict[str, Any]) -> dict[str, Any]:
    """Every default for this file, computed from the (possibly invalid) values it names; bad values fall back
    to something sane here and are reported by validation."""
    catalog = load_catalog()
    cloud = typing.cast(Cloud, _choice(data.get("cloud"), profiles.CLOUDS, "local"))
    size = typing.cast(Size, _choice(data.get("size"), profiles.SIZES, "single"))
    release = catalog.get(_choice(data.get("release"), catalog.names(), catalog.default_name))
    given_name = data.get("name")
    name = given_name if isinstance(given_name, str) and _NAME.fullmatch(given_name) else "x-invalid"
    given_region = data.get("region")
    region = given_region if isinstance(given_region, str) else profiles.DEFAULT_REGIONS[cloud]
    profile = profiles.profile(size)
    engine = _choice(_pick(data, "search", "engine"), SEARCH_ENGINES, release.search.default_engine)

    def mode(store: Store) -> Mode:
        wanted = profiles.store_mode(cloud, size, store, engine)
        return typing.cast(Mode, _choice(_pick(data, store, "mode"), ("managed", "self_hosted"), wanted))

    def store_type(store: Store) -> str:
        return profiles.store_machine_type(cloud, size, store, mode(store))

    broker_mode = _choice(_pick(data, "rabbitmq", "mode"), ("managed", "self_hosted"), "self_hosted")

    given_data_count = _pick(data, "tiers", "data", "count")
    data_count = given_data_count if type(given_data_count) is int else profile.data_count
    managed_count = 3 if size == "ha" else 1
    mongodb_count = managed_count if mode("mongodb") == "managed" else data_count
    if mode("search") == "managed":
        search_count = managed_count
    elif engine == "meilisearch":
        # Meilisearch has no replication: edx-search talks to exactly one instance.
        search_count = min(data_count, 1)
    else:
        search_count = data_count

    lms = _pick(data, "domains", "lms")
    if not isinstance(lms, str):
        lms = f"{name}.local.openedx.io" if cloud == "local" else None
    domains: dict[str, Any] = {}
    if lms is not None:
        domains = {"lms": lms, "studio": f"studio.{lms}", "mfe": f"apps.{lms}", "notes": f"notes.{lms}"}
    elif cloud != "local":
        # lms itself is reported missing; these keep the others from being reported too.
        domains = {name: _PLACEHOLDERS[("domains", name)] for name in ("studio", "mfe", "notes")}
    # Browsers query Meilisearch itself (Studio's content search), so it has a public name; the other engines none.
    domains["meilisearch"] = (
        f"meilisearch.{lms if lms is not None else 'lms.invalid.example'}" if engine == "meilisearch" else None
    )

    backend = _choice(_pick(data, "state", "backend"), ("local", "s3", "gcs", "azurerm"), "local")
    archive = _pick(data, "image", "archive")

    return {
        "region": region,
        "zones": profiles.default_zones(cloud, region, size),
        "release": release.name,
        "running_release": None,
        "size": size,
        "os_image": "debian-12",
        "domains": domains,
        "tiers": {
            "app": {
                "count": profile.app_count,
                "machine_type": profiles.machine_type(cloud, size, "app"),
                "disk_gb": profile.app_disk_gb,
            },
            "worker": {
                "count": profile.worker_count,
                "machine_type": profiles.machine_type(cloud, size, "worker"),
                "disk_gb": profile.worker_disk_gb,
            },
            "data": {
                "count": profile.data_count,
                "machine_type": profiles.machine_type(cloud, size, "data"),
                "disk_gb": profile.data_disk_gb,
            },
        },
        "mysql": {
            "mode": mode("mysql"),
            "version": release.mysql,
            "flavor": "mysql",
            "ha": profile.mysql_ha,
            "read_replica": profile.mysql_read_replica,
            "backup_retention_days": 7,
            "machine_type": store_type("mysql"),
            "disk_gb": profile.data_disk_gb,
        },
        "mongodb": {
            "mode": mode("mongodb"),
            "version": release.mongodb,
            "count": mongodb_count,
            "machine_type": store_type("mongodb"),
            "disk_gb": profile.data_disk_gb,
        },
        "redis": {
            "mode": mode("redis"),
            "version": release.redis,
            "ha": profile.redis_ha,
            "machine_type": store_type("redis"),
        },
        "broker": "redis",
        "rabbitmq": {
            "mode": broker_mode,
            "machine_type": AMAZON_MQ_INSTANCE_TYPE
            if broker_mode == "managed"
            else profiles.machine_type(cloud, size, "data"),
            # Quorum queues where the broker is a cluster (docs/rabbitmq.md, "Queue type"): classic queues there are
            # on one node only, or mirrored, which RabbitMQ deprecated; a single node gains nothing from quorum.
            "queue_type": "quorum" if broker_mode == "managed" and size == "ha" else "classic",
        },
        "search": {
            "engine": engine,
            "mode": mode("search"),
            "version": release.search_version(engine),
            "count": search_count,
            "machine_type": store_type("search"),
            "disk_gb": 50,
        },
        "storage": {"bucket_prefix": f"{name}-openedx", "versioning": True},
        "tls": {
            "mode": "self_signed",
            "email": None,
            "certificate_file": None,
            "private_key_file": None,
            "issuer": None,
        },
        "smtp": {
            "host": None,
            "port": 587,
            "username": None,
            "use_tls": True,
            "from_email": f"no-reply@{lms}" if lms else None,
        },
        "image": {
            "registry": None if isinstance(archive, str) and archive else "docker.io",
            "repository": release.image.repository,
            "tag": release.image.tag,
            "archive": None,
        },
        "mirrors": {"apt": None, "pypi": None},
        "state": {
            "backend": backend,
            "bucket": None,
            # The state key/prefix adds the environment name under this (render.backend_config).
            "prefix": None if backend == "local" else "openedx-deploy",
            "region": region if backend == "s3" else None,
            # s3 only; None means <bucket>-lock, the name terraform/modules/aws/state_backend gives its table.
            "lock_table": None,
            "resource_group": None,
            "storage_account": None,
            "container": None,
        },
        "dns": {"zone": None, "managed_zone": None},
        "cdn": {"enabled": False, "domain": None, "price_class": "PriceClass_100" if cloud == "aws" else None},
        "ssh": {
            "user": "openedx",
            "public_key_file": "~/.ssh/id_ed25519.pub",
            "allowed_cidrs": [],
            "allow_world": False,
        },
        "slo": {"p95_ms": 2000, "error_rate": 0.001},
        "deletion_protection": True,
        "project": None,
        "subscription_id": None,
        "tags": {},
    }


def _merge(default: Any, given: Any, path: tuple[str, ...] = ()) -> Any:
    if isinstance(default, dict) and isinstance(given, dict):
        merged = dict(default)
        for key, value in given.items():
            merged[key] = _merge(default[key], value, (*path, key)) if key in default else value
        return merged
    if given is None and path not in _NULL_MEANS_NONE:
        return default
    return given


# ----------------------------------------------------------------------------------------------------
# Turning pydantic's errors into Problems.


def _dotted(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType, Annotated):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _field_at(loc: tuple[Any, ...]) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """The model that owns the last key of `loc`, and that key's FieldInfo (when it is a model field)."""
    model: type[BaseModel] | None = EnvironmentSpec
    info: FieldInfo | None = None
    for index, part in enumerate(loc):
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return (model if index == len(loc) - 1 else None), None
        info = model.model_fields[part]
        if index < len(loc) - 1:
            model = _model_in(info.annotation)
    return model, info


def _literal_choices(annotation: Any) -> list[str]:
    if typing.get_origin(annotation) is Literal:
        return [str(arg) for arg in typing.get_args(annotation)]
    for arg in typing.get_args(annotation):
        found = _literal_choices(arg)
        if found:
            return found
    return []


def _bounds(info: FieldInfo | None) -> str:
    if info is None:
        return ""
    parts = []
    for meta in info.metadata:
        if getattr(meta, "ge", None) is not None:
            parts.append(f">= {meta.ge}")
        if getattr(meta, "le", None) is not None:
            parts.append(f"<= {meta.le}")
    return " " + " and ".join(parts) if parts else ""


def _message(error: Any) -> str:
    loc = tuple(error["loc"])
    kind = error["type"]
    owner, info = _field_at(loc)
    path = _dotted(loc)
    if kind == "missing":
        hint = _HINTS.get(path)
        return f"field required: {hint}" if hint else "field required"
    if kind == "extra_forbidden":
        allowed = list(owner.model_fields) if owner is not None else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        guess = f" (did you mean {close[0]}?)" if close else ""
        return f"unknown field{guess}; allowed: {', '.join(allowed)}"
    if kind == "literal_error":
        choices = _literal_choices(info.annotation) if info is not None else []
        if choices:
            return f"must be one of {', '.join(choices)}"
        return f"must be one of {str(error.get('ctx', {}).get('expected', '')).replace(chr(39), '')}"
    if kind in ("int_type", "int_parsing", "int_from_float", "greater_than_equal", "less_than_equal"):
        return f"must be a whole number{_bounds(info)}"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind == "string_type":
        return "must be a string" + (" or null" if info is not None and not info.is_required() else "")
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "list_type":
        return "must be a list"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a mapping (key: value lines)"
    if kind == "value_error":
        return str(error["ctx"]["error"]) if "ctx" in error else str(error["msg"])
    message = str(error["msg"])
    return message[:1].lower() + message[1:]


# ----------------------------------------------------------------------------------------------------
# Cross-field rules. `add` drops a problem whose fields were already reported broken: one mistake,
# one message.

Add = Callable[..., None]


def _check_release_status(spec: EnvironmentSpec, add: Add) -> None:
    catalog = load_catalog()
    release = catalog.get(spec.release)
    if spec.running_release is None:
        if not release.supported:
            add(
                "release",
                f"{release.name} is upgrade-only: new environments start on one of "
                f"{', '.join(catalog.supported_names())}; for an existing {release.name} environment "
                f"add running_release: {release.name}",
            )
        return
    running = catalog.get(spec.running_release)
    if running.order > release.order:
        add(
            "running_release",
            f"is newer than release {release.name}: downgrading is not supported",
            depends=("release",),
        )
    elif release.order - running.order > 1:
        try:
            catalog.upgrade_path(running.name, release.name)
        except UsageError as exc:
            add("release", str(exc), depends=("running_release",))


def _check_region_and_zones(spec: EnvironmentSpec, add: Add) -> None:
    regions = profiles.REGIONS[spec.cloud]
    if spec.region not in regions:
        known = list(regions)
        sample = ", ".join(known[:6]) + (f" ({len(known) - 6} more)" if len(known) > 6 else "")
        add("region", f"unknown {spec.cloud} region {spec.region!r}; known: {sample}", depends=("cloud",))
        return
    zones = regions[spec.region]
    for index, zone in enumerate(spec.zones):
        if zone not in zones:
            add(
                f"zones.{index}",
                f"{zone!r} is not a zone of {spec.region}; zones there: {', '.join(zones)}",
                depends=("cloud", "region"),
            )
    if len(set(spec.zones)) != len(spec.zones):
        add("zones", "lists a zone twice")
    if not spec.zones:
        add("zones", f"must name at least one zone of {spec.region}: {', '.join(zones)}")
    elif spec.size == "ha" and spec.cloud != "local" and len(set(spec.zones)) < 2:
        add(
            "zones",
            f"size ha spreads hosts over at least 2 zones; {spec.region} has {', '.join(zones)}",
            depends=("size",),
        )


def _check_managed(spec: EnvironmentSpec, add: Add) -> None:
    for store in profiles.STORES:
        if spec.store_mode(store) != "managed":
            continue
        field = f"{store}.mode"
        if spec.cloud == "local":
            add(
                field,
                "managed is not available on cloud local (container hosts only): use self_hosted",
                depends=("cloud",),
            )
        elif store == "search":
            if spec.search.engine not in profiles.MANAGED_SEARCH_ENGINES[spec.cloud]:
                add(
                    field,
                    "managed search exists only for engine opensearch on aws (Amazon OpenSearch "
                    "Service): use self_hosted",
                    depends=("cloud", "search.engine"),
                )
        elif not profiles.has_managed(spec.cloud, store):
            add(
                field,
                f"{spec.cloud} has no managed {'MongoDB-compatible ' if store == 'mongodb' else ''}"
                f"service for {store}: use self_hosted",
                depends=("cloud",),
            )


def _check_broker(spec: EnvironmentSpec, add: Add) -> None:
    # Amazon MQ for RabbitMQ is the only managed broker; GCP and Azure sell none (docs/rabbitmq.md).
    if spec.rabbitmq.mode != "managed":
        return
    if spec.broker != "rabbitmq":
        add("rabbitmq.mode", "the rabbitmq broker is used only with `broker: rabbitmq`", depends=("broker",))
    elif spec.cloud != "aws":
        add(
            "rabbitmq.mode",
            f"{spec.cloud} has no managed RabbitMQ (Amazon MQ is aws only): use self_hosted",
            depends=("cloud",),
        )
    elif spec.size == "ha" and spec.rabbitmq.machine_type.startswith("mq.t3."):
        add(
            "rabbitmq.machine_type",
            "size ha makes an Amazon MQ cluster of three nodes, which mq.t3.micro cannot be: use mq.m7g.large",
            depends=("size", "rabbitmq.mode"),
        )


def _check_store_counts(spec: EnvironmentSpec, add: Add) -> None:
    search, mongodb = spec.search, spec.mongodb
    if search.mode == "self_hosted" and search.engine == "meilisearch" and search.count > 1:
        add(
            "search.count",
            "meilisearch has no replication and edx-search uses one instance: must be 0 or 1 "
            "(use elasticsearch or opensearch for a search cluster)",
            depends=("search.engine", "search.mode"),
        )
    on_app_host = spec.size == "single"
    for field, store in (("search.count", search), ("mongodb.count", mongodb)):
        if store.mode == "managed" and store.count < 1:
            add(
                field,
                "a managed store needs at least 1 instance: must be >= 1",
                depends=(field[:-6] + ".mode",),
            )
        elif store.mode == "self_hosted" and on_app_host and store.count != 0:
            add(field, "size single runs self-hosted stores on the app host: must be 0", depends=("size",))
        elif store.mode == "self_hosted" and not on_app_host and store.count < 1:
            add(
                field,
                f"size {spec.size} runs self-hosted stores on data hosts: must be >= 1",
                depends=("size",),
            )
    if spec.size == "ha" and mongodb.mode == "self_hosted" and (mongodb.count < 3 or mongodb.count % 2 == 0):
        add(
            "mongodb.count",
            "size ha runs MongoDB as a replica set with an odd number of members: use 3, 5 or 7",
            depends=("size", "mongodb.mode", "tiers.data.count"),
        )


def _check_counts(spec: EnvironmentSpec, add: Add) -> None:
    tiers = spec.tiers
    deps = ("size",)
    self_hosted = spec.self_hosted_stores()
    if spec.size == "single":
        if tiers.app.count != 1:
            add(
                "tiers.app.count",
                "size single runs on exactly 1 app host: must be 1 (use size standard or ha for more)",
                depends=deps,
            )
        if tiers.worker.count != 0:
            add(
                "tiers.worker.count",
                "size single runs the workers on the app host: must be 0 (use size standard for worker hosts)",
                depends=deps,
            )
        if tiers.data.count != 0:
            add(
                "tiers.data.count",
                "size single runs self-hosted data stores on the app host: must be 0",
                depends=deps,
            )
        for store in ("mysql", "redis"):
            if getattr(spec, store).ha and spec.store_mode(store) == "self_hosted":
                add(
                    f"{store}.ha",
                    "a self-hosted standby needs data hosts, which size single has none of: "
                    "use size standard or ha, or mode managed",
                    depends=(*deps, f"{store}.mode"),
                )
        return
    if spec.size == "standard":
        if tiers.worker.count < 1:
            add("tiers.worker.count", "size standard needs at least 1 worker host: must be >= 1", depends=deps)
        if self_hosted and tiers.data.count < 1:
            add(
                "tiers.data.count",
                f"self-hosted {', '.join(self_hosted)} need data hosts: must be >= 1",
                depends=deps,
            )
        return
    if tiers.app.count < 2:
        add("tiers.app.count", "size ha needs at least 2 app hosts: must be >= 2", depends=deps)
    if tiers.worker.count < 2:
        add("tiers.worker.count", "size ha needs at least 2 worker hosts: must be >= 2", depends=deps)
    replicated = [store for store in self_hosted if store != "search"]
    if replicated and tiers.data.count < 3:
        add(
            "tiers.data.count",
            f"size ha runs self-hosted {', '.join(replicated)} as 3-member replica sets: "
            "must be >= 3 (or make them managed)",
            depends=deps,
        )
    elif replicated and tiers.data.count % 2 == 0:
        add(
            "tiers.data.count",
            "replica sets need an odd number of members to elect a primary: use 3 or 5",
            depends=deps,
        )


def _check_domains(spec: EnvironmentSpec, add: Add) -> None:
    domains = spec.domains
    if domains.studio == domains.lms:
        add(
            "domains.studio",
            "must differ from domains.lms: lms, studio and mfe are three different host names",
            depends=("domains.lms",),
        )
    if domains.mfe in (domains.lms, domains.studio):
        add(
            "domains.mfe",
            "must differ from domains.lms and domains.studio: lms, studio and mfe are three different host names",
            depends=("domains.lms", "domains.studio"),
        )
    # The proxy tells the sites apart by host name alone: every public name has one site.
    for name in ("notes", "meilisearch"):
        value = getattr(domains, name)
        others = [other for other in ("lms", "studio", "mfe", "notes") if other != name]
        clash = [other for other in others if getattr(domains, other) == value]
        if value is not None and clash:
            add(
                f"domains.{name}",
                f"must differ from domains.{clash[0]}: each site the proxy serves has a host name of its own",
                depends=tuple(f"domains.{other}" for other in others),
            )
    if domains.meilisearch is not None and spec.search.engine != "meilisearch":
        add(
            "domains.meilisearch",
            f"is the public name of a Meilisearch server, but search.engine is {spec.search.engine}: leave it out",
            depends=("search.engine",),
        )


def _check_dns(spec: EnvironmentSpec, add: Add) -> None:
    dns = spec.dns
    if dns.zone is not None:
        if spec.cloud == "local":
            add("dns.zone", "is a DNS zone on the environment's cloud; cloud local has none", depends=("cloud",))
        else:
            outside = [
                f"domains.{name} {domain}"
                for name, domain in spec.domains.model_dump().items()
                if domain is not None and domain != dns.zone and not domain.endswith(f".{dns.zone}")
            ]
            if outside:
                add(
                    "dns.zone",
                    f"must hold every domain the load balancer serves, but {', '.join(outside)} "
                    f"{'is' if len(outside) == 1 else 'are'} not in {dns.zone}: use their common parent zone, or "
                    "leave dns.zone out and create the records by hand",
                    depends=("domains",),
                )
    if dns.managed_zone is not None:
        if spec.cloud != "gcp":
            add(
                "dns.managed_zone",
                f"is the name of a Cloud DNS managed zone; cloud {spec.cloud} does not use it "
                "(dns.zone names the zone there)",
                depends=("cloud",),
            )
        elif dns.zone is None:
            add("dns.managed_zone", "needs dns.zone, the DNS name of that managed zone (such as example.com)")
        elif not _GCP_MANAGED_ZONE.fullmatch(dns.managed_zone):
            add(
                "dns.managed_zone",
                "must be a Cloud DNS managed zone name: 1-63 lowercase letters, digits or hyphens, starting with a "
                "letter and not ending with a hyphen",
            )


def _check_cdn(spec: EnvironmentSpec, add: Add) -> None:
    cdn = spec.cdn
    if cdn.price_class is not None and spec.cloud != "aws":
        add(
            "cdn.price_class",
            f"is CloudFront's (aws); cloud {spec.cloud} has no price class: leave it out",
            depends=("cloud",),
        )
    if not cdn.enabled:
        if cdn.domain is not None:
            add(
                "cdn.domain",
                "names the CDN, which is off: add cdn.enabled: true, or leave cdn.domain out",
                depends=("cdn.enabled",),
            )
        return
    if spec.cloud == "local":
        add(
            "cdn.enabled",
            "the local target has no CDN (nginx on the app host serves /static/ and /media/): set it to false, or "
            "deploy to aws, gcp or azure",
            depends=("cloud",),
        )
        return
    if spec.tls.mode == "self_signed":
        add(
            "cdn.enabled",
            "the CDN fetches from the LMS over HTTPS and must trust its certificate, which tls.mode self_signed is "
            "not: use tls.mode acme, cloud or provided",
            depends=("tls.mode",),
        )
    elif spec.cloud == "gcp" and spec.tls.mode not in ("cloud", "provided"):
        add(
            "cdn.enabled",
            f"Cloud CDN runs on GCP's load balancer, which exists with tls.mode cloud or provided (not "
            f"{spec.tls.mode}): use one of those",
            depends=("cloud", "tls.mode"),
        )
    if cdn.domain is None:
        return
    if spec.cloud == "gcp":
        add(
            "cdn.domain",
            "Cloud CDN has no name of its own on GCP: it serves on the LMS's name and the load balancer's "
            "certificate; leave cdn.domain out",
            depends=("cloud",),
        )
        return
    clash = [name for name, domain in spec.domains.model_dump().items() if domain == cdn.domain]
    if clash:
        add(
            "cdn.domain",
            f"must differ from domains.{clash[0]}: the CDN serves /static/ and /media/ only, on a name of its own",
            depends=("domains",),
        )
    elif spec.dns.zone is None:
        add(
            "cdn.domain",
            "needs dns.zone, the zone that holds it: its certificate is validated and its record created there (or "
            "leave cdn.domain out for the CDN's own name)",
            depends=("dns.zone",),
        )
    elif cdn.domain == spec.dns.zone or not cdn.domain.endswith(f".{spec.dns.zone}"):
        add(
            "cdn.domain",
            f"must be a name in dns.zone {spec.dns.zone} (such as static.{spec.dns.zone}), where its certificate is "
            "validated and its record created",
            depends=("dns.zone",),
        )


def azure_self_signed(spec: EnvironmentSpec) -> bool:
    """Whether Azure's gateway would serve Key Vault's self-signed certificate under tls.mode cloud: no tls.issuer.
    Refused by Azure's preflight (before anything is created), not here: a file may name its issuer later."""
    return spec.cloud == "azure" and spec.tls.mode == "cloud" and not spec.tls.issuer


def _check_tls(spec: EnvironmentSpec, add: Add) -> None:
    tls = spec.tls
    if tls.issuer is not None and (spec.cloud != "azure" or tls.mode != "cloud"):
        add(
            "tls.issuer",
            "only Azure's tls.mode cloud takes an issuer (the Key Vault issuer of the gateway's certificate)",
            depends=("cloud", "tls.mode"),
        )
    if tls.issuer is not None and tls.issuer.lower() == "self":
        add("tls.issuer", "Self is Key Vault's self-signed issuer: use tls.mode self_signed for that")
    if tls.mode == "provided":
        for field in ("certificate_file", "private_key_file"):
            if not getattr(tls, field):
                add(
                    f"tls.{field}",
                    "required when tls.mode is provided: the path of the PEM file",
                    depends=("tls.mode",),
                )
    if tls.mode == "acme" and not tls.email:
        add(
            "tls.email",
            "required when tls.mode is acme: the ACME account address for expiry notices",
            depends=("tls.mode",),
        )
    if spec.cloud == "local" and tls.mode == "cloud":
        add(
            "tls.mode",
            "cloud certificates need a cloud load balancer; on cloud local use self_signed or provided",
            depends=("cloud",),
        )
    if spec.cloud == "local" and tls.mode == "acme":
        add(
            "tls.mode",
            "acme cannot work on cloud local: the HTTP-01 challenge must reach port 80 of the host "
            "from the internet and local container hosts are unreachable; use self_signed or provided",
            depends=("cloud",),
        )


_BACKEND_CLOUD = {"s3": "aws", "gcs": "gcp", "azurerm": "azure"}
_BACKEND_FIELDS = {
    "local": (),
    "s3": ("bucket", "region"),
    "gcs": ("bucket",),
    "azurerm": ("resource_group", "storage_account", "container"),
}
_BACKEND_OPTIONAL = {"local": (), "s3": ("prefix", "lock_table"), "gcs": ("prefix",), "azurerm": ("prefix",)}


def _check_state(spec: EnvironmentSpec, add: Add) -> None:
    state = spec.state
    cloud_of_backend = _BACKEND_CLOUD.get(state.backend)
    if cloud_of_backend is not None and cloud_of_backend != spec.cloud:
        matching = next((b for b, c in _BACKEND_CLOUD.items() if c == spec.cloud), None)
        instead = f"use {matching} or local" if matching else "use local"
        add(
            "state.backend",
            f"{state.backend} keeps state on {cloud_of_backend}, but cloud is {spec.cloud}: {instead}",
            depends=("cloud",),
        )
    required = _BACKEND_FIELDS[state.backend]
    for field in required:
        if not getattr(state, field):
            add(
                f"state.{field}",
                f"required when state.backend is {state.backend}",
                depends=("state.backend",),
            )
    used = set(required) | set(_BACKEND_OPTIONAL[state.backend])
    for field in ("bucket", "prefix", "region", "lock_table", "resource_group", "storage_account", "container"):
        if field not in used and getattr(state, field):
            users = [b for b, fields in _BACKEND_FIELDS.items() if field in fields or field in _BACKEND_OPTIONAL[b]]
            add(
                f"state.{field}",
                f"is not used by backend {state.backend} (only by {', '.join(users)})",
                depends=("state.backend",),
            )
    if state.bucket and state.backend in ("s3", "gcs") and not _STATE_BUCKET.fullmatch(state.bucket):
        add(
            "state.bucket",
            "must be 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit",
        )
    if state.lock_table and not _LOCK_TABLE.fullmatch(state.lock_table):
        add("state.lock_table", "must be 3-255 letters, digits, underscores, dots or hyphens (DynamoDB table name)")
    if state.backend == "s3" and state.region and state.region not in profiles.REGIONS["aws"]:
        add("state.region", f"unknown aws region {state.region!r}")
    if state.resource_group and not _AZURE_RESOURCE_GROUP.fullmatch(state.resource_group):
        add(
            "state.resource_group",
            "must be 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.' (Azure resource group rules)",
        )
    if state.storage_account and not _STORAGE_ACCOUNT.fullmatch(state.storage_account):
        add("state.storage_account", "must be 3-24 lowercase letters or digits (Azure storage account rules)")
    if state.container and state.backend == "azurerm" and not _AZURE_CONTAINER.fullmatch(state.container):
        add(
            "state.container",
            "must be 3-63 lowercase letters, digits or single hyphens (Azure container rules)",
        )


def _check_cloud_account(spec: EnvironmentSpec, add: Add) -> None:
    if spec.project is not None:
        if spec.cloud != "gcp":
            add("project", f"is the Google Cloud project; cloud {spec.cloud} does not use it", depends=("cloud",))
        elif not _GCP_PROJECT.fullmatch(spec.project):
            add("project", "must be a Google Cloud project ID: 6-30 lowercase letters, digits or hyphens")
    if spec.subscription_id is not None:
        if spec.cloud != "azure":
            add("subscription_id", f"is the Azure subscription; cloud {spec.cloud} does not use it", depends=("cloud",))
        elif not _AZURE_SUBSCRIPTION.fullmatch(spec.subscription_id):
            add("subscription_id", "must be an Azure subscription ID (a UUID)")


# More addresses than this, in all of ssh.allowed_cidrs together, is "the internet" rather than an operator's networks:
# a /8 of IPv4, a /16 of IPv6 (registries hand out /12s; the largest end-user allocations are /19s).
_WORLD_IPV4_ADDRESSES = 2**24
_WORLD_IPV6_ADDRESSES = 2**112
_IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def _as_ipv4(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> ipaddress.IPv4Network | None:
    """The IPv4 block an IPv4-mapped IPv6 block stands for (::ffff:0:0/96 reaches every IPv4 host)."""
    if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(_IPV4_MAPPED):
        first = ipaddress.IPv4Address(int(network.network_address) & 0xFFFFFFFF)
        return ipaddress.IPv4Network((first, network.prefixlen - 96))
    return None


def _world_share(cidrs: list[str]) -> tuple[int, int]:
    """How many IPv4 and IPv6 addresses the blocks cover together, overlaps counted once."""
    v4: list[ipaddress.IPv4Network] = []
    v6: list[ipaddress.IPv6Network] = []
    for cidr in cidrs:
        network = ipaddress.ip_network(cidr)
        mapped = _as_ipv4(network)
        if mapped is not None:
            v4.append(mapped)
        elif isinstance(network, ipaddress.IPv4Network):
            v4.append(network)
        else:
            v6.append(network)
    # Private, loopback and documentation ranges are no part of the internet: 10.0.0.0/8 is a company's network.
    count4 = sum(n.num_addresses for n in ipaddress.collapse_addresses(v4) if not n.is_private)
    count6 = sum(n.num_addresses for n in ipaddress.collapse_addresses(v6) if not n.is_private)
    return count4, count6


def _check_ssh(spec: EnvironmentSpec, add: Add) -> None:
    if spec.ssh.allow_world:
        return
    for index, cidr in enumerate(spec.ssh.allowed_cidrs):
        if ipaddress.ip_network(cidr).prefixlen == 0:
            add(
                f"ssh.allowed_cidrs.{index}",
                f"{cidr} opens SSH to the whole internet: list your own networks, "
                "or set ssh.allow_world: true if you really mean it",
            )
            return
    count4, count6 = _world_share(list(spec.ssh.allowed_cidrs))
    if count4 > _WORLD_IPV4_ADDRESSES or count6 > _WORLD_IPV6_ADDRESSES:
        add(
            "ssh.allowed_cidrs",
            "together these blocks open SSH to a large part of the internet (more than a /8 of IPv4 or a /16 of "
            "IPv6): list your own networks, or set ssh.allow_world: true if you really mean it",
        )


# OpenSSH public key types we accept, and the types their blobs must name.
_SSH_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
_SSH_KEY_FILE_LIMIT = 16 * 1024


def _ssh_string(blob: bytes, offset: int) -> tuple[bytes, int]:
    if offset + 4 > len(blob):
        raise ValueError("truncated")
    length = int.from_bytes(blob[offset : offset + 4], "big")
    end = offset + 4 + length
    if end > len(blob):
        raise ValueError("truncated")
    return blob[offset + 4 : end], end


def parse_openssh_public_key(text: str) -> str:
    """The one OpenSSH public key line of `text` (type, base64 blob, optional comment), normalised; ValueError with
    what is wrong otherwise. The blob is decoded and must carry the key type its line names."""
    if "PRIVATE KEY" in text:
        raise ValueError("is a private key: point it at the public key (the .pub file beside it), never the key itself")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if len(lines) != 1:
        raise ValueError("must hold exactly one OpenSSH public key line (such as the content of ~/.ssh/id_ed25519.pub)")
    fields = lines[0].split(None, 2)
    kind = fields[0]
    if kind not in _SSH_KEY_TYPES:
        raise ValueError(f"is not an OpenSSH public key: the line must start with one of {', '.join(_SSH_KEY_TYPES)}")
    if len(fields) < 2:
        raise ValueError(f"is not an OpenSSH public key: the {kind} line has no key data")
    comment = fields[2] if len(fields) == 3 else ""
    if _CONTROL.search(comment):
        raise ValueError("is not an OpenSSH public key: its comment holds control characters")
    try:
        blob = base64.b64decode(fields[1], validate=True)
        named, offset = _ssh_string(blob, 0)
        if named.decode("ascii") != kind:
            raise ValueError(f"its data is a {named.decode('ascii', 'replace')} key, not {kind}")
        parts: list[bytes] = []
        while offset < len(blob):
            part, offset = _ssh_string(blob, offset)
            parts.append(part)
    except (ValueError, binascii.Error) as exc:
        raise ValueError(f"is not an OpenSSH public key: its key data does not decode ({exc})") from None
    expected = {"ssh-ed25519": 1, "ssh-rsa": 2, "sk-ssh-ed25519@openssh.com": 2}.get(kind, 3 if "sk-" in kind else 2)
    if len(parts) != expected:
        raise ValueError(f"is not an OpenSSH public key: its {kind} key data has the wrong shape")
    if kind.endswith("ssh-ed25519") or kind == "sk-ssh-ed25519@openssh.com":
        if len(parts[0]) != 32:
            raise ValueError("is not an OpenSSH public key: an Ed25519 key is 32 bytes")
    elif kind == "ssh-rsa":
        if int.from_bytes(parts[1], "big").bit_length() < 2048:
            raise ValueError("is an RSA key shorter than 2048 bits: generate an Ed25519 key (ssh-keygen -t ed25519)")
    elif parts[0].decode("ascii", "replace") != kind.removeprefix("sk-").split("-")[2].split("@")[0]:
        raise ValueError("is not an OpenSSH public key: its curve does not match its type")
    return " ".join([kind, fields[1], *([comment] if comment else [])])


def read_public_key_file(path: Path) -> str:
    """The public key in `path`, checked (ValueError otherwise): a private key or any other file is refused."""
    if not path.is_file():
        raise ValueError("is not a regular file")
    with path.open("rb") as handle:
        data = handle.read(_SSH_KEY_FILE_LIMIT + 1)
    if len(data) > _SSH_KEY_FILE_LIMIT:
        raise ValueError("is too large to be an OpenSSH public key")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("is not an OpenSSH public key (binary content)") from None
    return parse_openssh_public_key(text)


def _check_ssh_key(spec: EnvironmentSpec, add: Add) -> None:
    # A missing file is allowed here (render says `up` needs it); a file that is there must be a public key,
    # because its content goes into Terraform variables and every host's user data.
    path = Path(spec.ssh.public_key_file).expanduser()
    if not path.exists():
        return
    try:
        read_public_key_file(path)
    except (ValueError, OSError) as exc:
        add("ssh.public_key_file", f"{spec.ssh.public_key_file} {exc}")


def _check_image(spec: EnvironmentSpec, add: Add) -> None:
    image = spec.image
    if image.archive and image.registry:
        add(
            "image",
            "set either registry (pull registry/repository:tag) or archive (load an image file), "
            "not both; set registry: null to use the archive",
        )
    if not image.archive and not image.registry:
        add("image", "set either registry (with tag) or archive: the hosts need somewhere to get the image")
    try:
        parse_image_reference(image.reference)
    except ValueError as exc:
        add("image", f"{exc}: check registry, repository and tag", depends=("image.registry", "image.repository"))


def _check_tags(spec: EnvironmentSpec, add: Add) -> None:
    # GCP labels are the strictest of the three clouds, so every tag must pass them.
    for key, value in spec.tags.items():
        if key == "environment":
            add("tags.environment", "is set by openedx-deploy from name; remove it")
        elif not _GCP_LABEL_KEY.fullmatch(key):
            add(
                f"tags.{key}",
                "tag key must start with a lowercase letter and hold at most 63 lowercase "
                "letters, digits, '_' or '-' (GCP label rules, which apply on every cloud here)",
            )
        if not _GCP_LABEL_VALUE.fullmatch(value):
            add(
                f"tags.{key}",
                f"tag value {value!r} must be at most 63 lowercase letters, digits, '_' or '-' "
                "(GCP label rules, which apply on every cloud here)",
            )
    if len(spec.tags) > 60:
        add("tags", "at most 60 tags (GCP allows 64 labels; openedx-deploy adds its own)")


def _check_machine_types(spec: EnvironmentSpec, add: Add) -> None:
    pattern, example = _VM_TYPE_SHAPES[spec.cloud]
    for tier in ("app", "worker", "data"):
        value = getattr(spec.tiers, tier).machine_type
        if not pattern.fullmatch(value):
            add(
                f"tiers.{tier}.machine_type",
                f"{value!r} is not a {spec.cloud} machine type (e.g. {example})",
                depends=("cloud",),
            )
    broker_type, broker_managed = spec.rabbitmq.machine_type, spec.rabbitmq.mode == "managed"
    if broker_managed and spec.cloud == "aws" and not _AMAZON_MQ_TYPE.fullmatch(broker_type):
        add(
            "rabbitmq.machine_type",
            f"{broker_type!r} is not an Amazon MQ instance type: e.g. {AMAZON_MQ_INSTANCE_TYPE}",
            depends=("cloud", "rabbitmq.mode"),
        )
    elif not broker_managed and not pattern.fullmatch(broker_type):
        add(
            "rabbitmq.machine_type",
            f"{broker_type!r} is not a {spec.cloud} machine type (a self-hosted broker runs on a VM): e.g. {example}",
            depends=("cloud", "rabbitmq.mode"),
        )
    for store in profiles.STORES:
        value = getattr(spec, store).machine_type
        managed = spec.store_mode(store) == "managed"
        store_pattern, store_example = (
            _MANAGED_TYPE_SHAPES.get((spec.cloud, store), (pattern, example)) if managed else (pattern, example)
        )
        if not store_pattern.fullmatch(value):
            what = f"managed {store} size" if managed else "machine type (self-hosted stores run on VMs)"
            add(
                f"{store}.machine_type",
                f"{value!r} is not a {spec.cloud} {what}: e.g. {store_example}",
                depends=("cloud", f"{store}.mode"),
            )


def _check_smtp(spec: EnvironmentSpec, add: Add) -> None:
    if spec.smtp.username and not spec.smtp.host:
        add("smtp.host", "required when smtp.username is set: the relay the username logs in to")


_CHECKS: tuple[Callable[[EnvironmentSpec, Add], None], ...] = (
    _check_release_status,
    _check_region_and_zones,
    _check_managed,
    _check_broker,
    _check_counts,
    _check_store_counts,
    _check_domains,
    _check_dns,
    _check_cdn,
    _check_tls,
    _check_state,
    _check_cloud_account,
    _check_ssh,
    _check_ssh_key,
    _check_image,
    _check_tags,
    _check_machine_types,
    _check_smtp,
)


def spec_notes(spec: EnvironmentSpec) -> list[str]:
    """Things that are allowed but worth telling the operator (printed by the CLI, never fatal)."""
    notes = []
    if spec.mongodb.mode == "managed" and spec.cloud in profiles.MANAGED_MONGODB_LIMITS:
        notes.append(f"mongodb.mode managed: {profiles.MANAGED_MONGODB_LIMITS[spec.cloud]}")
    if spec.deletion_protection is False:
        notes.append("deletion_protection is off: `down` will delete databases and buckets with their data")
    return notes


# ----------------------------------------------------------------------------------------------------
# Entry points.


def _set(data: dict[str, Any], loc: tuple[Any, ...], value: Any) -> None:
    node: Any = data
    for part in loc[:-1]:
        node = node[part]
    node[loc[-1]] = value


def _get(data: Any, loc: tuple[Any, ...]) -> tuple[bool, Any]:
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if not (in_dict or in_list):
            return False, None
        node = node[part]
    return True, node


def _repair(merged: dict[str, Any], defaults: dict[str, Any], loc: tuple[Any, ...], kind: str) -> tuple[Any, ...]:
    """Put a valid stand-in where validation failed; returns the path that was replaced (reported broken)."""
    if kind == "extra_forbidden":
        found, parent = _get(merged, loc[:-1])
        if found and isinstance(parent, dict):
            parent.pop(loc[-1], None)
        return loc
    if len(loc) >= 2 and loc[:-1] in _FREE_MAPPINGS:
        found, parent = _get(merged, loc[:-1])
        if found and isinstance(parent, dict):
            parent.pop(loc[-1], None)
            return loc
    if len(loc) >= 2 and isinstance(loc[-1], int) and loc[:-1] in _LIST_PLACEHOLDERS:
        found, items = _get(merged, loc[:-1])
        if found and isinstance(items, list) and loc[-1] < len(items):
            items[loc[-1]] = _LIST_PLACEHOLDERS[loc[:-1]]
            return loc
    for depth in range(len(loc), 0, -1):
        path = loc[:depth]
        known, value = _get(defaults, path)
        if not known and path in _PLACEHOLDERS:
            known, value = True, _PLACEHOLDERS[path]
        if known:
            parent_found, parent = _get(merged, path[:-1])
            if parent_found and isinstance(parent, dict):
                parent[path[-1]] = copy.deepcopy(value)
                return path
            if parent_found and isinstance(parent, list):
                continue
    return loc


def parse_spec(data: Any, source: str = "environment file") -> EnvironmentSpec:
    """Validate an environment file's content and resolve every default; SpecError lists every problem."""
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise SpecError([Problem("(file)", f"must be a mapping of fields (name:, cloud:, ...), got {kind}")], source)
    defaults = _defaults(data)
    merged = _merge(defaults, data)
    problems: list[Problem] = []
    broken: set[str] = set()
    spec: EnvironmentSpec | None = None
    for _attempt in range(3):
        try:
            spec = EnvironmentSpec.model_validate(merged)
            break
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(error["loc"])
                path = _dotted(loc)
                if path not in broken:
                    problems.append(Problem(path or "(file)", _message(error)))
                    broken.add(path)
                replaced = _repair(merged, defaults, loc, error["type"])
                broken.add(_dotted(replaced))
    if spec is None:
        raise SpecError(problems, source)

    def add(field: str, message: str, depends: Iterable[str] = ()) -> None:
        for path in (field, *depends):
            if any(b == path or b.startswith(path + ".") or path.startswith(b + ".") for b in broken):
                return
        problems.append(Problem(field, message))

    for check in _CHECKS:
        check(spec, add)
    if problems:
        raise SpecError(problems, source)
    return spec


# An environment file is a few kilobytes of shallow YAML; these bounds keep a hostile or broken file (deep nesting,
# an alias "bomb", a huge file) from ending in a RecursionError or eating the machine instead of in a message.
MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 20
MAX_NODES = 20_000


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate and unhashable keys (PyYAML keeps the last duplicate silently) and
    nesting deeper than MAX_DEPTH (PyYAML's composer recurses once per level)."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self._depth >= MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {MAX_DEPTH} levels deep; an environment file needs far fewer", mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain name, not a list or mapping", key_node.start_mark
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _check_shape(data: Any) -> str | None:
    """What is wrong with the loaded document's shape (a cycle through aliases, too many values), if anything."""
    budget = MAX_NODES
    stack: list[tuple[Any, frozenset[int]]] = [(data, frozenset())]
    while stack:
        node, ancestors = stack.pop()
        budget -= 1
        if budget < 0:
            return (
                f"holds more than {MAX_NODES} values (counting what its aliases repeat); "
                "an environment file needs far fewer"
            )
        if isinstance(node, dict | list):
            if id(node) in ancestors:
                return "an alias refers to a mapping or list that contains it (a cycle)"
            inner = ancestors | {id(node)}
            children = [*node.keys(), *node.values()] if isinstance(node, dict) else node
            stack.extend((child, inner) for child in children)
    return None


# Where each field is in the file: its key path (mapping keys as the file spells them, list indexes as digits) to the
# 1-based line and column of its key (of the item, in a list).
Marks = dict[tuple[str, ...], tuple[int, int]]


def _marks(root: yaml.Node) -> Marks:
    """The position of every key and list item of a composed document, walked depth first in the file's order, so
    that an anchored node is found where the file spells it out; its aliases share that node and are not walked
    again. The walk stops after MAX_NODES nodes: `_check_shape` reports a document that big."""
    marks: Marks = {}
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    while stack and len(seen) <= MAX_NODES:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children: list[tuple[yaml.Node, tuple[str, ...]]] = []
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key_path = (*path, str(key_node.value))
                    marks.setdefault(key_path, (key_node.start_mark.line + 1, key_node.start_mark.column + 1))
                    children.append((value_node, key_path))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                item_path = (*path, str(index))
                marks.setdefault(item_path, (item.start_mark.line + 1, item.start_mark.column + 1))
                children.append((item, item_path))
        stack.extend(reversed(children))
    return marks


def _read_text(path: Path, what: str) -> str:
    """The file as text: UsageError when it cannot be read, SpecError when it is too big or not UTF-8 text."""

    def refuse(message: str) -> SpecError:
        return SpecError([Problem("(file)", message)], str(path))

    try:
        if not path.is_file():
            raise UsageError(f"{path} does not exist: create it with `openedx-deploy init`")
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise refuse(f"is larger than {MAX_FILE_BYTES // 1024} KiB; an {what} is a few kilobytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise refuse(
            f"is not UTF-8 text: byte 0x{raw[exc.start]:02x} on line {line} (offset {exc.start}); "
            "save the file as UTF-8",
        ) from None
    if "\x00" in text:
        raise refuse("holds a NUL character: it is not a text file; save it as plain UTF-8 YAML")
    return text


def parse_document(text: str, source: str) -> tuple[Any, Marks]:
    """One YAML document from `text`, with where each of its keys is: SpecError (exit 2) naming `source` and the fix
    for anything that is not a readable YAML document of sane shape; never a traceback."""

    def refuse(message: str, mark: Any = None) -> SpecError:
        where = {"line": mark.line + 1, "column": mark.column + 1} if mark is not None else {}
        return SpecError([Problem("(yaml)", message, **where)], source)

    loader = None
    try:
        # The reader checks the whole text for characters YAML forbids (control characters) as it is built.
        loader = _UniqueKeyLoader(text)
        node = loader.get_single_node()
        marks = _marks(node) if node is not None else {}
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        raise refuse(getattr(exc, "problem", None) or str(exc), mark) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # PyYAML's constructors raise these for values it recognises but cannot build: a timestamp such as
        # 2026-13-45, an integer of thousands of digits.
        raise refuse(f"a value cannot be read ({exc}); quote it to make it a string") from None
    finally:
        if loader is not None:
            loader.dispose()
    shape_problem = _check_shape(data)
    if shape_problem:
        raise refuse(shape_problem)
    return data, marks


def load_document(path: Path, what: str = "environment file") -> Any:
    """Read one YAML document from `path`: SpecError (exit 2) naming the file and the fix for anything that is not
    a readable UTF-8 YAML document of sane size; never a traceback."""
    return parse_document(_read_text(path, what), str(path))[0]


def locate(problems: Iterable[Problem], marks: Marks) -> list[Problem]:
    """Each problem with the line and column of its field in the file; a field the file leaves out (a default, a
    missing key) gets the nearest enclosing field the file names, and none when the file names none of them."""
    dotted = {".".join(path): mark for path, mark in marks.items()}
    located = []
    for problem in problems:
        field = problem.field
        while field and field not in dotted:
            field = field.rpartition(".")[0]
        if field and problem.line is None:
            line, column = dotted[field]
            problem = dataclasses.replace(problem, line=line, column=column)
        located.append(problem)
    return located


def load_spec(path: Path) -> EnvironmentSpec:
    """Read, validate and resolve an environment file; each problem says where its field is in the file. A file
    named NAME.yml must say `name: NAME`: the name picks every path and cloud resource the environment owns, so a
    disagreement would act on another environment."""
    data, marks = parse_document(_read_text(path, "environment file"), str(path))
    try:
        spec = parse_spec(data, source=str(path))
    except SpecError as error:
        raise SpecError(locate(error.problems, marks), error.source) from None
    if path.suffix == ".yml" and path.stem != spec.name:
        problem = Problem(
            "name",
            f"is {spec.name!r} but the file is {path.name}: they must agree (the name selects the secrets, "
            f"rendered files and cloud resources); set name: {path.stem}, or rename the file to {spec.name}.yml",
        )
        raise SpecError(locate([problem], marks), str(path))
    return spec


def spec_to_dict(spec: EnvironmentSpec) -> dict[str, Any]:
    """The resolved spec as plain JSON-ready data."""
    return spec.model_dump(mode="json")
