"""Environment-file spec: good files resolve every default; bad ones name the field and what is allowed."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from openedx_deploy import profiles
from openedx_deploy.errors import SpecError, UsageError
from openedx_deploy.releases import load_catalog
from openedx_deploy.render import terraform_variables
from openedx_deploy.spec import (
    EnvironmentSpec,
    azure_self_signed,
    load_spec,
    parse_document,
    parse_image_reference,
    parse_openssh_public_key,
    parse_spec,
    spec_notes,
    spec_to_dict,
)

DOMAINS = {"lms": "learn.example.com"}


def base(cloud: str = "aws", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "demo", "cloud": cloud}
    if cloud != "local":
        data["domains"] = dict(DOMAINS)
    data.update(fields)
    return data


def problems_of(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    return [(problem.field, problem.message) for problem in caught.value.problems]


# ----------------------------------------------------------------------------------------------------
# Good inputs


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure", "local"])
@pytest.mark.parametrize("size", ["single", "standard", "ha"])
def test_every_cloud_and_size_resolves(cloud: profiles.Cloud, size: profiles.Size) -> None:
    spec = parse_spec(base(cloud, size=size))
    profile = profiles.PROFILES[size]
    release = load_catalog().default

    assert spec.region == profiles.DEFAULT_REGIONS[cloud]
    expected_zones = min(profile.zone_count, len(profiles.REGIONS[cloud][spec.region]))
    assert len(spec.zones) == expected_zones
    assert all(zone in profiles.REGIONS[cloud][spec.region] for zone in spec.zones)

    assert (spec.tiers.app.count, spec.tiers.worker.count, spec.tiers.data.count) == (
        profile.app_count,
        profile.worker_count,
        profile.data_count,
    )
    for tier in ("app", "worker", "data"):
        assert getattr(spec.tiers, tier).machine_type == profiles.machine_type(cloud, size, tier)

    # Managed where the profile asks and the cloud has the service, self-hosted otherwise.
    if cloud == "local" or size == "single":
        assert spec.self_hosted_stores() == ["mysql", "mongodb", "redis", "search"]
    else:
        assert (spec.mysql.mode, spec.redis.mode) == ("managed", "managed")
        assert (spec.mongodb.mode, spec.search.mode) == ("self_hosted", "self_hosted")
    assert spec.mysql.ha is profile.mysql_ha
    assert spec.redis.ha is profile.redis_ha

    assert spec.release == release.name
    assert (spec.mysql.version, spec.mongodb.version, spec.redis.version) == (
        release.mysql,
        release.mongodb,
        release.redis,
    )
    assert spec.search.engine == "meilisearch"
    assert spec.search.version == release.search.meilisearch
    assert spec.image.tag == release.image.tag
    assert spec.image.repository == release.image.repository
    assert spec.image.registry == "docker.io"
    assert spec.storage.bucket_prefix == "demo-openedx"
    assert spec.state.backend == "local"
    assert spec.tls.mode == "self_signed"
    assert spec.deletion_protection is True


def test_single_on_a_cloud_puts_the_stores_on_the_app_host() -> None:
    spec = parse_spec(base("aws"))
    assert spec.mysql.machine_type == spec.tiers.app.machine_type == "t3.xlarge"


def test_standard_on_aws_uses_managed_classes() -> None:
    spec = parse_spec(base("aws", size="standard"))
    assert spec.mysql.machine_type.startswith("db.")
    assert spec.redis.machine_type.startswith("cache.")
    assert spec.mongodb.machine_type == spec.tiers.data.machine_type


def test_domains_default_from_lms() -> None:
    spec = parse_spec(base("gcp"))
    assert (spec.domains.lms, spec.domains.studio, spec.domains.mfe) == (
        "learn.example.com",
        "studio.learn.example.com",
        "apps.learn.example.com",
    )
    assert spec.smtp.from_email == "no-reply@learn.example.com"


def test_local_gets_local_domains_and_no_machine_types() -> None:
    spec = parse_spec({"name": "demo", "cloud": "local"})
    assert spec.domains.lms == "demo.local.openedx.io"
    assert spec.zones == ["local"]
    assert spec.tiers.app.machine_type == profiles.LOCAL_MACHINE_TYPE


def test_release_drives_versions_and_image() -> None:
    spec = parse_spec(base("aws", release="verawood"))
    assert spec.image.tag == "22.0.0"
    assert spec.search.version == "1.36"


def test_search_version_follows_the_engine() -> None:
    spec = parse_spec(base("aws", search={"engine": "opensearch", "mode": "managed"}))
    assert spec.search.version == load_catalog().default.search.opensearch
    assert spec.search.machine_type.endswith(".search")


def test_overrides_win_over_defaults() -> None:
    spec = parse_spec(
        base(
            "azure",
            size="standard",
            region="westeurope",
            zones=["2"],
            tiers={"app": {"count": 3, "disk_gb": 60}},
            mysql={"mode": "self_hosted"},
            tags={"team": "learning"},
        )
    )
    assert spec.zones == ["2"]
    assert (spec.tiers.app.count, spec.tiers.app.disk_gb) == (3, 60)
    assert spec.tiers.app.machine_type == "Standard_D4s_v5"
    # A store switched to self-hosted gets a VM size, not the managed SKU.
    assert spec.mysql.machine_type == spec.tiers.data.machine_type


def test_upgrade_only_release_allowed_as_running_release() -> None:
    spec = parse_spec(base("aws", release="ulmo", running_release="teak"))
    assert (spec.release, spec.running_release) == ("ulmo", "teak")
    assert parse_spec(base("aws", release="teak", running_release="teak")).release == "teak"


def test_archive_means_no_registry() -> None:
    spec = parse_spec(base("aws", image={"archive": "images/openedx.tar"}))
    assert spec.image.registry is None
    assert spec.image.reference == f"overhangio/openedx:{spec.image.tag}"


def test_state_backend_defaults_per_cloud() -> None:
    s3 = parse_spec(base("aws", region="eu-west-1", state={"backend": "s3", "bucket": "acme-tfstate"})).state
    assert (s3.region, s3.prefix) == ("eu-west-1", "openedx-deploy")
    gcs = parse_spec(base("gcp", state={"backend": "gcs", "bucket": "acme-tfstate"})).state
    assert (gcs.region, gcs.prefix) == (None, "openedx-deploy")
    azurerm = parse_spec(
        base(
            "azure",
            state={
                "backend": "azurerm",
                "resource_group": "ops",
                "storage_account": "acmestate",
                "container": "tfstate",
            },
        )
    ).state
    assert azurerm.prefix == "openedx-deploy"


def test_null_means_default() -> None:
    spec = parse_spec(base("aws", region=None, tiers=None, tls=None))
    assert spec.region == "us-east-1"
    assert spec.tiers.app.count == 1


def test_world_ssh_needs_explicit_consent() -> None:
    spec = parse_spec(base("aws", ssh={"allowed_cidrs": ["0.0.0.0/0"], "allow_world": True}))
    assert spec.ssh.allowed_cidrs == ["0.0.0.0/0"]


def test_resolved_spec_is_a_fixed_point() -> None:
    spec = parse_spec(base("aws", size="ha"))
    assert parse_spec(spec_to_dict(spec)) == spec


def test_store_counts_follow_profile_and_engine() -> None:
    single = parse_spec(base("aws"))
    assert (single.mongodb.count, single.search.count) == (0, 0)
    ha = parse_spec(base("aws", size="ha"))
    # Three MongoDB replica-set members, but one Meilisearch: it cannot replicate.
    assert (ha.mongodb.count, ha.search.count) == (3, 1)
    ha_opensearch = parse_spec(base("aws", size="ha", search={"engine": "opensearch"}))
    assert (ha_opensearch.search.mode, ha_opensearch.search.count) == ("managed", 3)
    gcp_opensearch = parse_spec(base("gcp", size="ha", search={"engine": "opensearch"}))
    assert (gcp_opensearch.search.mode, gcp_opensearch.search.count) == ("self_hosted", 3)


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_dns_zone_holding_the_domains_is_accepted_and_defaults_to_none(cloud: str) -> None:
    assert parse_spec(base(cloud)).dns.zone is None
    spec = parse_spec(base(cloud, dns={"zone": "example.com"}))
    assert spec.dns.zone == "example.com" and spec.dns.managed_zone is None
    # A domain may be the zone apex itself.
    apex = base(cloud, domains={"lms": "example.com", "studio": "studio.example.com"}, dns={"zone": "example.com"})
    assert parse_spec(apex).dns.zone == "example.com"
    # The zone is a whole label: learn.myexample.com is not in example.com.
    found = problems_of(base(cloud, domains={"lms": "learn.myexample.com"}, dns={"zone": "example.com"}))
    assert [path for path, message in found if "are not in example.com" in message] == ["dns.zone"], found


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_dns_zone_must_hold_the_notes_and_meilisearch_domains_too(cloud: str) -> None:
    """The stacks give the notes and Meilisearch names records too: a zone that does not hold them is refused, and an
    environment without a Meilisearch name (another search engine) is not asked for one."""
    found = problems_of(base(cloud, domains={**DOMAINS, "notes": "notes.example.org"}, dns={"zone": "example.com"}))
    messages = [message for path, message in found if path == "dns.zone"]
    assert len(messages) == 1 and "domains.notes notes.example.org is not in example.com" in messages[0], found
    found = problems_of(
        base(cloud, domains={**DOMAINS, "meilisearch": "search.example.org"}, dns={"zone": "example.com"})
    )
    messages = [message for path, message in found if path == "dns.zone"]
    assert len(messages) == 1 and "domains.meilisearch search.example.org is not in" in messages[0], found
    opensearch = parse_spec(base(cloud, search={"engine": "opensearch"}, dns={"zone": "example.com"}))
    assert opensearch.domains.meilisearch is None and opensearch.dns.zone == "example.com"


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure", "local"])
def test_cdn_defaults_to_off_with_a_price_class_on_aws_only(cloud: str) -> None:
    cdn = parse_spec(base(cloud)).cdn
    assert (cdn.enabled, cdn.domain) == (False, None)
    assert cdn.price_class == ("PriceClass_100" if cloud == "aws" else None)


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_cdn_is_accepted_on_every_cloud_with_a_certificate_the_cdn_trusts(cloud: str) -> None:
    spec = parse_spec(base(cloud, size="standard", tls={"mode": "cloud"}, cdn={"enabled": True}))
    assert spec.cdn.enabled is True and spec.cdn.domain is None
    acme = base(cloud, tls={"mode": "acme", "email": "ops@example.com"}, cdn={"enabled": True})
    if cloud == "gcp":
        # Cloud CDN lives on GCP's load balancer, which tls.mode acme goes without.
        found = problems_of(acme)
        assert [p for p, m in found if "tls.mode cloud or provided" in m] == ["cdn.enabled"], found
    else:
        assert parse_spec(acme).cdn.enabled is True


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_cdn_domain_is_a_name_of_the_dns_zone(cloud: str) -> None:
    given = {"enabled": True, "domain": "static.example.com"}
    spec = parse_spec(base(cloud, tls={"mode": "cloud"}, dns={"zone": "example.com"}, cdn=given))
    assert spec.cdn.domain == "static.example.com"
    found = problems_of(base(cloud, tls={"mode": "cloud"}, cdn=given))
    assert [p for p, m in found if "needs dns.zone" in m] == ["cdn.domain"], found
    found = problems_of(
        base(cloud, tls={"mode": "cloud"}, dns={"zone": "example.com"}, cdn={**given, "domain": "static.example.org"})
    )
    assert [p for p, m in found if "must be a name in dns.zone example.com" in m] == ["cdn.domain"], found
    found = problems_of(
        base(cloud, tls={"mode": "cloud"}, dns={"zone": "example.com"}, cdn={**given, "domain": "learn.example.com"})
    )
    assert [p for p, m in found if "must differ from domains.lms" in m] == ["cdn.domain"], found


CDN_BAD: list[tuple[str, dict[str, Any], str, str]] = [
    ("local has no CDN", base("local", cdn={"enabled": True}), "cdn.enabled", "the local target has no CDN"),
    (
        "self-signed origin",
        base("aws", cdn={"enabled": True}),
        "cdn.enabled",
        "tls.mode self_signed is not: use tls.mode acme, cloud or provided",
    ),
    (
        "a name without the CDN",
        base("aws", tls={"mode": "cloud"}, dns={"zone": "example.com"}, cdn={"domain": "static.example.com"}),
        "cdn.domain",
        "add cdn.enabled: true",
    ),
    (
        "gcp serves on the LMS's name",
        base(
            "gcp",
            tls={"mode": "cloud"},
            dns={"zone": "example.com"},
            cdn={"enabled": True, "domain": "static.example.com"},
        ),
        "cdn.domain",
        "Cloud CDN has no name of its own on GCP",
    ),
    ("price class off aws", base("azure", cdn={"price_class": "PriceClass_All"}), "cdn.price_class", "is CloudFront's"),
    ("price class unknown", base("aws", cdn={"price_class": "PriceClass_300"}), "cdn.price_class", "must be one of"),
    ("enabled not a bool", base("aws", cdn={"enabled": "yes"}), "cdn.enabled", "must be true or false"),
    ("unknown cdn field", base("aws", cdn={"enable": True}), "cdn.enable", "did you mean enabled?"),
]


@pytest.mark.parametrize(("data", "field", "needle"), [c[1:] for c in CDN_BAD], ids=[c[0] for c in CDN_BAD])
def test_bad_cdn_settings_name_the_field(data: dict[str, Any], field: str, needle: str) -> None:
    found = problems_of(data)
    assert any(path == field and needle in message for path, message in found), found


def test_gcp_managed_zone_name_is_accepted_with_its_zone() -> None:
    spec = parse_spec(base("gcp", dns={"zone": "example.com", "managed_zone": "public-example"}))
    assert spec.dns.managed_zone == "public-example"


def test_managed_mongodb_on_aws_is_allowed_with_a_note() -> None:
    spec = parse_spec(base("aws", size="standard", mongodb={"mode": "managed"}))
    assert spec.mongodb.machine_type.startswith("db.")
    assert any("DocumentDB" in note for note in spec_notes(spec))


# ----------------------------------------------------------------------------------------------------
# Bad inputs: each names its field and says what is allowed.

BAD: list[tuple[str, dict[str, Any], str, str]] = [
    ("name pattern", base(name="Demo"), "name", "must match [a-z][a-z0-9-]{1,30}"),
    ("name too short", base(name="d"), "name", "must match"),
    ("name missing", {"cloud": "local"}, "name", "field required"),
    ("cloud unknown", base(cloud="digitalocean"), "cloud", "must be one of aws, gcp, azure, local"),
    ("unknown top-level field", base(colud="aws"), "colud", "unknown field (did you mean cloud?)"),
    (
        "unknown nested field",
        base(tiers={"app": {"cpus": 4}}),
        "tiers.app.cpus",
        "allowed: count, machine_type, disk_gb",
    ),
    ("app count zero", base(tiers={"app": {"count": 0}}), "tiers.app.count", "must be a whole number >= 1"),
    (
        "count not a number",
        base(tiers={"worker": {"count": "two"}}),
        "tiers.worker.count",
        "whole number >= 0",
    ),
    ("disk too small", base(tiers={"app": {"disk_gb": 5}}), "tiers.app.disk_gb", "whole number >= 20"),
    ("unquoted version", base(mysql={"version": 8.4}), "mysql.version", 'quoted string such as "8.4"'),
    ("bad version", base(redis={"version": "7"}), "redis.version", "major.minor"),
    ("size unknown", base(size="large"), "size", "must be one of single, standard, ha"),
    ("os image", base(os_image="centos-7"), "os_image", "must be one of debian-12, ubuntu-24.04"),
    ("release unknown", base(release="sumac"), "release", "must be one of teak, ulmo, verawood"),
    ("upgrade-only release", base(release="teak"), "release", "upgrade-only"),
    (
        "running release two behind",
        base(release="verawood", running_release="teak"),
        "release",
        "upgrade one release at a time: teak -> ulmo, then ulmo -> verawood",
    ),
    (
        "running release newer",
        base(release="ulmo", running_release="verawood"),
        "running_release",
        "downgrading is not supported",
    ),
    (
        "region unknown",
        base(region="us-east-9"),
        "region",
        "unknown aws region 'us-east-9'; known: us-east-1",
    ),
    ("gcp region unknown", base("gcp", region="us-east-1"), "region", "unknown gcp region"),
    ("zone of another region", base(zones=["us-west-2a"]), "zones.0", "is not a zone of us-east-1"),
    ("azure zone", base("azure", zones=["4"]), "zones.0", "zones there: 1, 2, 3"),
    ("ha in one zone", base(size="ha", zones=["us-east-1a"]), "zones", "at least 2 zones"),
    (
        "managed mongodb on gcp",
        base("gcp", mongodb={"mode": "managed"}),
        "mongodb.mode",
        "MongoDB-compatible",
    ),
    (
        "managed on local",
        base("local", mysql={"mode": "managed"}),
        "mysql.mode",
        "not available on cloud local",
    ),
    (
        "managed meilisearch",
        base(search={"mode": "managed"}),
        "search.mode",
        "only for engine opensearch on aws",
    ),
    (
        "managed opensearch on azure",
        base("azure", search={"engine": "opensearch", "mode": "managed"}),
        "search.mode",
        "only for engine opensearch on aws",
    ),
    ("single with workers", base(tiers={"worker": {"count": 1}}), "tiers.worker.count", "must be 0"),
    ("single with 2 app hosts", base(tiers={"app": {"count": 2}}), "tiers.app.count", "must be 1"),
    (
        "standard without workers",
        base(size="standard", tiers={"worker": {"count": 0}}),
        "tiers.worker.count",
        "at least 1 worker host",
    ),
    (
        "ha with one app host",
        base(size="ha", tiers={"app": {"count": 1}}),
        "tiers.app.count",
        "at least 2 app",
    ),
    (
        "ha with one worker",
        base(size="ha", tiers={"worker": {"count": 1}}),
        "tiers.worker.count",
        "at least 2",
    ),
    (
        "ha replica set too small",
        base(size="ha", tiers={"data": {"count": 1}}),
        "tiers.data.count",
        "3-member replica sets",
    ),
    ("ha even replica set", base(size="ha", tiers={"data": {"count": 4}}), "tiers.data.count", "odd number"),
    (
        "self-hosted standby in single",
        base(mysql={"ha": True}),
        "mysql.ha",
        "standby needs data hosts",
    ),
    ("bad hostname", base(domains={"lms": "learn_example.com"}), "domains.lms", "not a valid host name"),
    ("single-label hostname", base(domains={"lms": "localhost"}), "domains.lms", "not a valid host name"),
    (
        "same domain twice",
        base(domains={"lms": "learn.example.com", "studio": "learn.example.com"}),
        "domains.studio",
        "must differ from domains.lms",
    ),
    (
        "mfe equals studio",
        base(domains={"lms": "a.example.com", "studio": "b.example.com", "mfe": "b.example.com"}),
        "domains.mfe",
        "must differ",
    ),
    ("domain missing on a cloud", {"name": "demo", "cloud": "aws"}, "domains.lms", "field required"),
    (
        "provided TLS without key",
        base(tls={"mode": "provided", "certificate_file": "cert.pem"}),
        "tls.private_key_file",
        "required when tls.mode is provided",
    ),
    ("acme without email", base(tls={"mode": "acme"}), "tls.email", "required when tls.mode is acme"),
    ("bad acme email", base(tls={"mode": "acme", "email": "ops"}), "tls.email", "not an e-mail address"),
    ("cloud TLS on local", base("local", tls={"mode": "cloud"}), "tls.mode", "need a cloud load balancer"),
    (
        "acme on local",
        base("local", tls={"mode": "acme", "email": "ops@example.com"}),
        "tls.mode",
        "HTTP-01 challenge must reach port 80",
    ),
    (
        "s3 state on gcp",
        base("gcp", state={"backend": "s3", "bucket": "b-b"}),
        "state.backend",
        "cloud is gcp",
    ),
    ("s3 without bucket", base(state={"backend": "s3"}), "state.bucket", "required when state.backend is s3"),
    ("gcs without bucket", base("gcp", state={"backend": "gcs"}), "state.bucket", "required when"),
    (
        "azurerm without account",
        base("azure", state={"backend": "azurerm", "resource_group": "ops", "container": "tfstate"}),
        "state.storage_account",
        "required when state.backend is azurerm",
    ),
    ("bucket on local backend", base(state={"bucket": "x-y-z"}), "state.bucket", "not used by backend local"),
    (
        "world-open ssh",
        base(ssh={"allowed_cidrs": ["0.0.0.0/0"]}),
        "ssh.allowed_cidrs.0",
        "ssh.allow_world: true",
    ),
    (
        "cidr with host bits",
        base(ssh={"allowed_cidrs": ["192.0.2.0/24", "10.1.2.3/8"]}),
        "ssh.allowed_cidrs.1",
        "did you mean 10.0.0.0/8",
    ),
    ("not a cidr", base(ssh={"allowed_cidrs": ["office"]}), "ssh.allowed_cidrs.0", "not a CIDR block"),
    ("root ssh user", base(ssh={"user": "root"}), "ssh.user", "must not be root"),
    (
        "image registry and archive",
        base(image={"registry": "registry.example.com", "archive": "openedx.tar"}),
        "image",
        "not both",
    ),
    (
        "image from nowhere",
        base(image={"registry": None}),
        "image",
        "set either registry (with tag) or archive",
    ),
    ("mirror not a url", base(mirrors={"pypi": "pypi.internal"}), "mirrors.pypi", "is not a URL"),
    ("tag key uppercase", base(tags={"Team": "x"}), "tags.Team", "GCP label rules"),
    ("tag value too long", base(tags={"team": "x" * 64}), "tags.team", "at most 63"),
    ("reserved tag", base(tags={"environment": "prod"}), "tags.environment", "set by openedx-deploy"),
    ("tag not a string", base(tags={"cost": 12}), "tags.cost", "must be a string"),
    (
        "aws machine type on gcp",
        base("gcp", tiers={"app": {"machine_type": "t3.xlarge"}}),
        "tiers.app.machine_type",
        "not a gcp machine type",
    ),
    ("flag as string", base(deletion_protection="yes"), "deletion_protection", "must be true or false"),
    ("tiers not a mapping", base(tiers=[1, 2]), "tiers", "must be a mapping"),
    (
        "bucket prefix",
        base(storage={"bucket_prefix": "Bad_Prefix"}),
        "storage.bucket_prefix",
        "3-47 lowercase",
    ),
    (
        "backup retention",
        base(mysql={"backup_retention_days": 40}),
        "mysql.backup_retention_days",
        "whole number >= 1 and <= 35",
    ),
    ("smtp port", base(smtp={"port": 0}), "smtp.port", "whole number >= 1"),
    ("smtp user without host", base(smtp={"username": "mailer"}), "smtp.host", "required when smtp.username"),
    (
        "meilisearch cluster",
        base(size="standard", search={"count": 2}),
        "search.count",
        "meilisearch has no replication",
    ),
    (
        "mongodb even replica set",
        base(size="ha", mongodb={"count": 2}),
        "mongodb.count",
        "odd number of members",
    ),
    ("store host in single", base(mongodb={"count": 1}), "mongodb.count", "on the app host: must be 0"),
    (
        "search engine",
        base(search={"engine": "solr"}),
        "search.engine",
        "meilisearch, elasticsearch, opensearch",
    ),
    ("dns zone not a name", base(dns={"zone": "Example.COM."}), "dns.zone", "not a valid host name"),
    (
        "dns zone without the domains",
        base(domains={"lms": "learn.example.com", "mfe": "apps.example.org"}, dns={"zone": "example.com"}),
        "dns.zone",
        "domains.mfe apps.example.org is not in example.com",
    ),
    ("dns zone on local", base("local", dns={"zone": "example.com"}), "dns.zone", "cloud local has none"),
    (
        "dns managed zone off gcp",
        base(dns={"zone": "example.com", "managed_zone": "example-com"}),
        "dns.managed_zone",
        "cloud aws does not use it",
    ),
    ("dns managed zone alone", base("gcp", dns={"managed_zone": "example-com"}), "dns.managed_zone", "needs dns.zone"),
    (
        "dns managed zone name",
        base("gcp", dns={"zone": "example.com", "managed_zone": "Example_Com"}),
        "dns.managed_zone",
        "Cloud DNS managed zone name",
    ),
]


@pytest.mark.parametrize(("data", "field", "fragment"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_input_names_field_and_fix(data: dict[str, Any], field: str, fragment: str) -> None:
    found = problems_of(data)
    matching = [message for path, message in found if path == field]
    assert matching, f"no problem for {field}; got {found}"
    assert any(fragment in message for message in matching), f"{fragment!r} not in {matching}"


def test_bad_inputs_are_many_and_distinct() -> None:
    assert len(BAD) >= 25
    assert len({case[0] for case in BAD}) == len(BAD)


def test_every_problem_is_reported_at_once() -> None:
    data = base(
        name="Demo",
        region="us-east-9",
        colud=1,
        tiers={"worker": {"count": 2}},
        tls={"mode": "acme"},
        state={"backend": "gcs"},
        ssh={"allowed_cidrs": ["0.0.0.0/0"]},
        image={"registry": None},
        tags={"environment": "x"},
    )
    fields = {field for field, _ in problems_of(data)}
    assert {
        "name",
        "region",
        "colud",
        "tiers.worker.count",
        "tls.email",
        "state.backend",
        "state.bucket",
        "ssh.allowed_cidrs.0",
        "image",
        "tags.environment",
    } <= fields


def test_one_mistake_gives_one_message() -> None:
    # The bad count is reported as a type problem, not again as "ha needs 2 app hosts".
    found = problems_of(base(size="ha", tiers={"app": {"count": "x"}}))
    assert [field for field, _ in found] == ["tiers.app.count"]
    # An unknown cloud is reported once; cloud-dependent rules stay quiet instead of guessing.
    found = problems_of(base(cloud="ibm", region="us-south", tls={"mode": "cloud"}))
    assert [field for field, _ in found] == ["cloud"]


def test_not_a_mapping() -> None:
    assert problems_of(["name", "demo"])[0][0] == "(file)"
    assert "got empty" in problems_of(None)[0][1]


def test_spec_error_carries_source() -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(base(name="Demo"), source="environments/demo.yml")
    assert caught.value.source == "environments/demo.yml"
    assert caught.value.exit_code == 2


# ----------------------------------------------------------------------------------------------------
# Files


def test_load_spec_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "demo.yml"
    path.write_text("name: demo\ncloud: aws\ndomains:\n  lms: learn.example.com\nsize: standard\n")
    spec = load_spec(path)
    assert isinstance(spec, EnvironmentSpec)
    assert spec.size == "standard"


def test_load_spec_missing_file_points_at_init(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="openedx-deploy init"):
        load_spec(tmp_path / "nope.yml")


def test_load_spec_yaml_error_has_line(tmp_path: Path) -> None:
    path = tmp_path / "demo.yml"
    path.write_text("name: demo\ncloud: aws\ntiers: {app: [\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    problem = caught.value.problems[0]
    assert (problem.field, problem.line, problem.column) == ("(yaml)", 4, 1)
    assert "expected the node content" in problem.message


def test_load_spec_refuses_duplicate_keys(tmp_path: Path) -> None:
    path = tmp_path / "demo.yml"
    path.write_text("name: demo\ncloud: aws\ncloud: gcp\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert "duplicate key 'cloud'" in caught.value.problems[0].message
    assert (caught.value.problems[0].line, caught.value.problems[0].column) == (3, 1)


LOCATED = """\
name: demo
cloud: aws
domains:
  lms: learn.example.com

mysql:
  # a comment line
  mode: whatever
  version: 8.4
tiers: {app: {count: 0}}
zones: [us-east-1a, "bad\\nzone"]
tags:
  team: ok
  Bad-Key: x
bogus: 1
"""


def test_each_problem_carries_the_line_and_column_of_its_field(tmp_path: Path) -> None:
    path = tmp_path / "demo.yml"
    path.write_text(LOCATED)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    where = {p.field: (p.line, p.column) for p in caught.value.problems}
    assert where == {
        "mysql.mode": (8, 3),
        "mysql.version": (9, 3),
        "tiers.app.count": (10, 15),
        "zones.1": (11, 21),
        "tags.Bad-Key": (14, 3),
        "bogus": (15, 1),
    }


def test_a_problem_with_a_field_the_file_leaves_out_points_at_the_nearest_field_it_names(tmp_path: Path) -> None:
    path = tmp_path / "demo.yml"
    path.write_text("name: demo\ncloud: aws\ndomains:\n  studio: studio.example.com\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    [problem] = caught.value.problems
    assert (problem.field, problem.line, problem.column) == ("domains.lms", 3, 1)  # the `domains:` it belongs in
    path.write_text("cloud: aws\ndomains: {lms: learn.example.com}\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert [(p.field, p.line) for p in caught.value.problems] == [("name", None)], "no field of the file to point at"


def test_the_name_that_disagrees_with_the_file_name_is_located(tmp_path: Path) -> None:
    path = tmp_path / "demo.yml"
    path.write_text("# other\ncloud: local\nname: other\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert [(p.field, p.line, p.column) for p in caught.value.problems] == [("name", 3, 1)]


def test_aliases_and_big_documents_are_located_without_walking_every_repeat() -> None:
    text = "a: &a [1,2,3,4,5,6,7,8,9]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    data, marks = parse_document(text, "bomb.yml")
    assert len(data["c"]) == 9
    assert marks[("c",)] == (3, 1) and marks[("a", "0")] == (1, 8)
    assert ("b", "0") in marks and ("b", "0", "0") not in marks, "an alias's node is walked once, at its anchor"
    assert len(marks) < 40


def test_spec_to_dict_is_plain_data() -> None:
    data = spec_to_dict(parse_spec(base("aws")))
    assert data["tiers"]["app"]["count"] == 1
    assert data["image"]["tag"] == load_catalog().default.image.tag
    copy.deepcopy(data)


# ----------------------------------------------------------------------------------------------------
# Values that reach a shell, a unit file, a URL, Terraform or a path: validated by type.


@pytest.mark.parametrize(
    ("image", "field"),
    [
        ({"registry": "--privileged --volume /:/host docker.io"}, "image.registry"),
        ({"registry": "docker.io;id"}, "image.registry"),
        ({"registry": "docker.io/"}, "image.registry"),
        ({"repository": "overhangio/openedx --privileged"}, "image.repository"),
        ({"repository": "Overhangio/openedx"}, "image.repository"),
        ({"repository": "../openedx"}, "image.repository"),
        ({"tag": "21.0.0 --privileged"}, "image.tag"),
        ({"tag": "-v"}, "image.tag"),
        ({"tag": "x" * 129}, "image.tag"),
        ({"tag": "latest\nExecStartPre=/bin/sh"}, "image.tag"),
        ({"registry": None, "archive": "-images.tar"}, "image.archive"),
        ({"registry": None, "archive": "images.tar\nExecStart=/bin/sh"}, "image.archive"),
    ],
)
def test_image_parts_outside_the_reference_grammar_are_refused(image: dict[str, Any], field: str) -> None:
    assert field in dict(problems_of(base("aws", image=image)))


@pytest.mark.parametrize(
    "image",
    [
        {"registry": "registry.example.com:5000", "repository": "team/openedx", "tag": "ulmo.1"},
        {"registry": "localhost", "repository": "openedx", "tag": "test"},
        {"registry": "[fd00::1]:5000", "repository": "a/b/c", "tag": "v1_2-3"},
        {"registry": None, "archive": "images/openedx.tar"},
    ],
)
def test_image_references_in_the_grammar_are_accepted(image: dict[str, Any]) -> None:
    spec = parse_spec(base("aws", image=image))
    if spec.image.registry:
        assert parse_image_reference(spec.image.reference)["registry"] == spec.image.registry


def test_parse_image_reference_splits_registry_repository_tag_and_digest() -> None:
    digest = "sha256:" + "a" * 64
    assert parse_image_reference(f"docker.io/overhangio/openedx:21.0.0@{digest}") == {
        "registry": "docker.io",
        "repository": "overhangio/openedx",
        "tag": "21.0.0",
        "digest": digest,
    }
    assert parse_image_reference("overhangio/openedx")["registry"] is None
    for bad in ("--privileged --volume /:/host docker.io/x:1", "x:1 y", "X/Y", "x@sha256:short", ""):
        with pytest.raises(ValueError, match="not an image reference"):
            parse_image_reference(bad)


MACHINE_TYPES_OK = {
    "aws": {"tiers": "m6i.large", "mysql": "db.t4g.medium", "redis": "cache.m6g.large", "mongodb": "r6i.large"},
    "gcp": {"tiers": "n2-standard-4", "mysql": "db-custom-2-7680", "redis": "5"},
    "azure": {"tiers": "Standard_D4s_v5", "mysql": "GP_Standard_D2ds_v4", "redis": "Premium_P1"},
}


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_machine_types_of_every_cloud_default_to_their_own_shape(cloud: str) -> None:
    for size in ("single", "standard", "ha"):
        parse_spec(base(cloud, size=size))  # every default passes its cloud's pattern
    fields = {"tiers": {tier: {"machine_type": MACHINE_TYPES_OK[cloud]["tiers"]} for tier in ("app", "worker")}}
    managed = {store: {"machine_type": t} for store, t in MACHINE_TYPES_OK[cloud].items() if store != "tiers"}
    parse_spec(base(cloud, size="standard", **fields, **managed))
    if cloud == "aws":  # DocumentDB sizes when MongoDB is managed
        parse_spec(base(cloud, size="standard", mongodb={"mode": "managed", "machine_type": "db.r6g.large"}))


@pytest.mark.parametrize(
    ("cloud", "field", "value"),
    [
        ("aws", "tiers.app.machine_type", "Standard_D4s_v5"),
        ("aws", "tiers.worker.machine_type", "m6i.large; curl x|sh"),
        ("aws", "mysql.machine_type", "m6i.large"),  # RDS needs its db. class
        ("aws", "redis.machine_type", "db.t4g.medium"),
        ("aws", "mongodb.machine_type", "../../x"),  # self-hosted on a VM in standard
        ("aws", "search.machine_type", "x"),
        ("gcp", "tiers.data.machine_type", "m6i.large"),
        ("gcp", "mysql.machine_type", "n2-standard-4"),
        ("gcp", "redis.machine_type", "big"),
        ("azure", "tiers.app.machine_type", "D4s_v5"),
        ("azure", "mysql.machine_type", "Standard_D4s_v5"),
        ("azure", "redis.machine_type", "Premium_P9"),
    ],
)
def test_machine_types_outside_their_clouds_shape_are_refused(cloud: str, field: str, value: str) -> None:
    data = base(cloud, size="standard")
    node = data
    *parents, last = field.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    found = dict(problems_of(data))
    assert field in found and value in found[field]


@pytest.mark.parametrize("prefix", ["../other", "/abs", "a//b", "a/", "a/../b", "a b", ".", "a/./b", "$(id)"])
def test_state_prefix_must_be_a_relative_safe_path(prefix: str) -> None:
    data = base("aws", state={"backend": "s3", "bucket": "my-state", "prefix": prefix})
    assert "state.prefix" in dict(problems_of(data))


def test_state_prefix_of_plain_segments_is_accepted() -> None:
    spec = parse_spec(base("aws", state={"backend": "s3", "bucket": "my-state", "prefix": "teams/edx_1.prod"}))
    assert spec.state.prefix == "teams/edx_1.prod"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"smtp": {"host": "smtp.example.com -oProxyCommand=x"}}, "smtp.host"),
        ({"smtp": {"host": "smtp.example.com:587"}}, "smtp.host"),
        ({"smtp": {"host": "a" * 64 + ".example.com"}}, "smtp.host"),
        ({"smtp": {"username": "ops\nX-Header: y"}}, "smtp.username"),
        ({"smtp": {"from_email": "a'b@example.com"}}, "smtp.from_email"),
        ({"tls": {"mode": "acme", "email": "ops@exa mple.com"}}, "tls.email"),
        ({"mirrors": {"apt": "ftp://mirror.example.com/debian"}}, "mirrors.apt"),
        ({"mirrors": {"apt": "http:///debian"}}, "mirrors.apt"),
        ({"mirrors": {"pypi": "https://mirror.example.com/simple $(id)"}}, "mirrors.pypi"),
        ({"mirrors": {"pypi": "https://mirror.example.com:99999/simple"}}, "mirrors.pypi"),
        ({"mirrors": {"pypi": "https://bad_host!/simple"}}, "mirrors.pypi"),
        (
            {"tls": {"mode": "provided", "certificate_file": "c.pem\n", "private_key_file": "k.pem"}},
            "tls.certificate_file",
        ),
        ({"ssh": {"public_key_file": "-oProxyCommand=x"}}, "ssh.public_key_file"),
        ({"region": "us-east-1\n"}, "region"),
    ],
)
def test_hosts_urls_and_paths_are_validated_by_type(fields: dict[str, Any], field: str) -> None:
    assert field in dict(problems_of(base("aws", **fields)))


def test_good_hosts_and_urls_are_accepted() -> None:
    spec = parse_spec(
        base(
            "aws",
            smtp={"host": "smtp.example.com", "username": "apikey"},
            mirrors={"apt": "http://deb.example.com:8080/debian", "pypi": "https://10.0.0.5/simple/"},
        )
    )
    assert spec.smtp.host == "smtp.example.com" and spec.mirrors.apt == "http://deb.example.com:8080/debian"
    assert parse_spec(base("aws", smtp={"host": "10.1.2.3"})).smtp.host == "10.1.2.3"


@pytest.mark.parametrize(
    "cidrs",
    [
        ["0.0.0.0/1", "128.0.0.0/1"],
        ["2000::/3"],
        ["0.0.0.0/7"],
        ["::ffff:0:0/96"],  # every IPv4 host, written as IPv4-mapped IPv6
        [f"{n}.0.0.0/8" for n in range(1, 3)],  # two /8s together
        ["::/0"],
    ],
)
def test_ssh_cidrs_that_together_open_the_world_are_refused(cidrs: list[str]) -> None:
    found = dict(problems_of(base("aws", ssh={"allowed_cidrs": cidrs})))
    assert any(field.startswith("ssh.allowed_cidrs") for field in found), found
    parse_spec(base("aws", ssh={"allowed_cidrs": cidrs, "allow_world": True}))


def test_ssh_cidrs_of_an_organisation_are_accepted() -> None:
    cidrs = ["10.0.0.0/8", "203.0.113.0/24", "2001:db8::/32", "198.51.100.7/32"]
    assert parse_spec(base("aws", ssh={"allowed_cidrs": cidrs})).ssh.allowed_cidrs == cidrs


# ----------------------------------------------------------------------------------------------------
# ssh.public_key_file: an OpenSSH public key, nothing else.


def _public_line(key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def _private_pem(key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()


def _keys() -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    return {
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ecdsa256": ec.generate_private_key(ec.SECP256R1()),
        "ecdsa384": ec.generate_private_key(ec.SECP384R1()),
    }


def _sk_line(kind: str) -> str:
    import base64
    import struct

    def string(value: bytes) -> bytes:
        return struct.pack(">I", len(value)) + value

    if kind == "sk-ssh-ed25519@openssh.com":
        blob = string(kind.encode()) + string(b"k" * 32) + string(b"ssh:")
    else:
        blob = string(kind.encode()) + string(b"nistp256") + string(b"\x04" + b"p" * 64) + string(b"ssh:")
    return f"{kind} {base64.b64encode(blob).decode()} yubikey"


def with_key(tmp_path: Path, content: str | bytes) -> dict[str, Any]:
    path = tmp_path / "key.pub"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return base("aws", ssh={"public_key_file": str(path)})


def test_openssh_public_keys_of_every_accepted_type_pass(tmp_path: Path) -> None:
    lines = [_public_line(key) + " ops@example" for key in _keys().values()]
    lines += [_sk_line("sk-ssh-ed25519@openssh.com"), _sk_line("sk-ecdsa-sha2-nistp256@openssh.com")]
    for line in lines:
        parse_spec(with_key(tmp_path, line + "\n"))
        assert parse_openssh_public_key(line).split()[:2] == line.split()[:2]


def test_a_missing_key_file_is_left_for_render_to_report(tmp_path: Path) -> None:
    parse_spec(base("aws", ssh={"public_key_file": str(tmp_path / "absent.pub")}))


def test_private_keys_and_other_files_are_refused_naming_the_field(tmp_path: Path) -> None:
    keys = _keys()
    ed25519_line = _public_line(keys["ed25519"])
    kind, blob = ed25519_line.split()[:2]
    rsa_blob = _public_line(keys["rsa"]).split()[1]
    bad = {
        "openssh private key": _private_pem(keys["ed25519"]),
        "pem private key": "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n",
        "passwd": "root:x:0:0:root:/root:/bin/bash\n",
        "type and blob disagree": f"ssh-ed25519 {rsa_blob}\n",
        "blob truncated": f"{kind} {blob[:-8]}\n",
        "not base64": f"{kind} !!!notbase64!!!\n",
        "two keys": f"{ed25519_line}\n{ed25519_line}\n",
        "dsa": "ssh-dss AAAAB3NzaC1kc3MAAACBAP\n",
        "options prefix": f'command="id" {ed25519_line}\n',
        "empty": "",
        "binary": b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)),
        "control in comment": f"{ed25519_line} a\x1bb\n",
    }
    for what, content in bad.items():
        found = dict(problems_of(with_key(tmp_path, content)))
        assert "ssh.public_key_file" in found, what
    found = dict(problems_of(with_key(tmp_path, _private_pem(keys["ed25519"]))))
    assert "private key" in found["ssh.public_key_file"]


def test_short_rsa_keys_are_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    short = _public_line(rsa.generate_private_key(public_exponent=65537, key_size=1024))  # noqa: S505 - the point
    assert "2048" in dict(problems_of(with_key(tmp_path, short)))["ssh.public_key_file"]


# ----------------------------------------------------------------------------------------------------
# The file itself: its name and `name:` agree.


def test_load_spec_refuses_a_name_that_differs_from_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "demo.yml"
    path.write_text("name: other\ncloud: local\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    message = str(caught.value.problems[0])
    assert caught.value.problems[0].field == "name" and "'other'" in message and "demo.yml" in message


@pytest.mark.parametrize("cloud", ["local", "aws", "gcp", "azure"])
def test_broker_defaults_to_redis_and_rabbitmq_is_accepted_on_every_target(cloud: str) -> None:
    assert parse_spec(base(cloud)).broker == "redis"
    assert parse_spec(base(cloud, broker="rabbitmq")).broker == "rabbitmq"  # no SpecError


def test_a_managed_rabbitmq_is_amazon_mq_on_aws_with_rabbitmq_as_the_broker() -> None:
    managed = {"broker": "rabbitmq", "rabbitmq": {"mode": "managed"}}
    spec = parse_spec(base("aws", size="standard", **managed))
    assert (spec.rabbitmq.mode, spec.rabbitmq.machine_type) == ("managed", "mq.m7g.large")
    for cloud in ("gcp", "azure", "local"):
        ((field, message),) = problems_of(base(cloud, **managed))
        assert field == "rabbitmq.mode" and "has no managed RabbitMQ" in message, (cloud, message)
    ((field, message),) = problems_of(base("aws", rabbitmq={"mode": "managed"}))
    assert field == "rabbitmq.mode" and "only with `broker: rabbitmq`" in message
    # Amazon MQ's instance types, and its cluster (ha) cannot run on mq.t3.micro.
    wrong = base("aws", broker="rabbitmq", rabbitmq={"mode": "managed", "machine_type": "m6i.large"})
    assert [f for f, _ in problems_of(wrong)] == ["rabbitmq.machine_type"]
    micro = {"broker": "rabbitmq", "rabbitmq": {"mode": "managed", "machine_type": "mq.t3.micro"}}
    assert parse_spec(base("aws", size="standard", **micro)).rabbitmq.machine_type == "mq.t3.micro"
    ((field, message),) = problems_of(base("aws", size="ha", **micro))
    assert field == "rabbitmq.machine_type" and "cluster" in message


def test_a_self_hosted_rabbitmq_runs_on_a_vm_of_the_cloud() -> None:
    spec = parse_spec(base("gcp", size="standard", broker="rabbitmq"))
    assert (spec.rabbitmq.mode, spec.rabbitmq.machine_type) == ("self_hosted", "e2-highmem-2")
    bad = base("gcp", broker="rabbitmq", rabbitmq={"machine_type": "mq.m7g.large"})
    assert [f for f, _ in problems_of(bad)] == ["rabbitmq.machine_type"]


def test_an_unknown_broker_names_the_choices() -> None:
    assert problems_of(base("local", broker="kafka")) == [("broker", "must be one of redis, rabbitmq")]


def test_a_tls_issuer_is_azures_cloud_certificates_only() -> None:
    """The Key Vault issuer of Azure's `cloud` certificate: rendered as the stack's tls_certificate_issuer, and
    refused where nothing would use it, or when it is Key Vault's self-signed `Self`."""
    spec = parse_spec(base("azure", tls={"mode": "cloud", "issuer": "DigiCert-OV"}))
    assert terraform_variables(spec, "ssh-ed25519 AAAA test")["tls_certificate_issuer"] == "DigiCert-OV"
    assert not azure_self_signed(spec) and azure_self_signed(parse_spec(base("azure", tls={"mode": "cloud"})))
    assert "tls_certificate_issuer" not in terraform_variables(parse_spec(base("azure")), "ssh-ed25519 AAAA test")
    for cloud, tls in (("aws", {"mode": "cloud", "issuer": "x"}), ("azure", {"mode": "self_signed", "issuer": "x"})):
        assert [p for p, _ in problems_of(base(cloud, tls=tls))] == ["tls.issuer"], (cloud, tls)
    assert problems_of(base("azure", tls={"mode": "cloud", "issuer": "Self"})) == [
        ("tls.issuer", "Self is Key Vault's self-signed issuer: use tls.mode self_signed for that")
    ]
