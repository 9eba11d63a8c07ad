"""Rendering: snapshots for every cloud x size profile, determinism, inventories from Terraform outputs.

Snapshots live in tests/snapshots/render/<cloud>-<size>/. After an intended change, refresh them with
`UPDATE_SNAPSHOTS=1 pytest tests/test_render.py` and review the diff like code.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest
import yaml
from sample_outputs import AWS_STANDARD_OUTPUTS

from openedx_deploy import render, secrets, topology
from openedx_deploy.errors import SpecError
from openedx_deploy.paths import Workdir
from openedx_deploy.spec import parse_spec

SNAPSHOTS = Path(__file__).parent / "snapshots" / "render"
CLOUDS = ("aws", "gcp", "azure", "local")
SIZES = ("single", "standard", "ha")
RENDERED = (
    "build/demo/terraform/main.tf",
    "build/demo/terraform/terraform.tfvars.json",
    "build/demo/terraform/backend.json",
    "build/demo/terraform/local-hosts.json",
    "inventories/demo/hosts.yml",
    "inventories/demo/group_vars/all/main.yml",
)


def environment(cloud: str, size: str) -> dict[str, object]:
    return {
        "name": "demo",
        "cloud": cloud,
        "release": "ulmo",
        "size": size,
        "domains": {"lms": "learn.example.org", "studio": "studio.example.org", "mfe": "apps.example.org"},
        "tls": {"mode": "self_signed" if cloud == "local" else "cloud"},
        # A DNS zone for the bigger clouds' profiles: the stacks create the records there; single prints them.
        **({"dns": {"zone": "example.org"}} if cloud != "local" and size != "single" else {}),
    }


@pytest.fixture
def fixed_secrets() -> dict[str, str]:
    values = {name: f"test-{name}-{hashlib.sha256(name.encode()).hexdigest()[:12]}" for name in secrets.SECRET_NAMES}
    values["jwt_private_key"] = secrets.generate_jwk()
    values["ssh_host_key"] = secrets.generate_ssh_host_key()
    values["data_ca"] = secrets.generate_data_ca()
    return values


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    # A well-formed Ed25519 public key whose 32 key bytes spell "test-key-only-not-a-real-key-32b".
    key = "AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Qta2V5LW9ubHktbm90LWEtcmVhbC1rZXktMzJi"
    (home / ".ssh" / "id_ed25519.pub").write_text(f"ssh-ed25519 {key} test@example\n")
    monkeypatch.setenv("HOME", str(home))
    return home


def render_once(workdir: Path, cloud: str, size: str, values: dict[str, str]) -> render.RenderResult:
    spec = parse_spec(environment(cloud, size))
    return render.render_environment(spec, Workdir(workdir), values, secrets.Vault("snapshot-password"))


def normalised(path: Path) -> str:
    text = path.read_text()
    # The JWT public key set derives from a random key: everything else must match byte for byte.
    return re.sub(r"openedx_jwt_public_jwk_set: .*", "openedx_jwt_public_jwk_set: <public JWK set>", text)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("cloud", CLOUDS)
def test_render_matches_snapshot(
    tmp_path: Path, home: Path, fixed_secrets: dict[str, str], cloud: str, size: str
) -> None:
    render_once(tmp_path, cloud, size, fixed_secrets)
    snapshot_dir = SNAPSHOTS / f"{cloud}-{size}"
    produced = {rel: tmp_path / rel for rel in RENDERED if (tmp_path / rel).exists()}
    assert produced, "nothing rendered"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        for rel, path in produced.items():
            target = snapshot_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(normalised(path))
    expected = sorted(str(p.relative_to(snapshot_dir)) for p in snapshot_dir.rglob("*") if p.is_file())
    assert sorted(produced) == expected, "the set of rendered files changed"
    for rel, path in produced.items():
        assert normalised(path) == (snapshot_dir / rel).read_text(), f"{rel} differs from its snapshot"


@pytest.mark.parametrize("cloud", CLOUDS)
def test_render_is_byte_identical_when_run_twice(
    tmp_path: Path, home: Path, fixed_secrets: dict[str, str], cloud: str
) -> None:
    first = render_once(tmp_path, cloud, "standard", fixed_secrets)
    digest = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    second = render_once(tmp_path, cloud, "standard", fixed_secrets)
    assert second.written == []
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == digest
    assert first.written


def test_no_secret_in_any_rendered_file(tmp_path: Path, home: Path, fixed_secrets: dict[str, str]) -> None:
    for cloud in CLOUDS:
        render_once(tmp_path / cloud, cloud, "ha", fixed_secrets)
    private_parts = json.loads(fixed_secrets["jwt_private_key"])
    needles = [v for k, v in fixed_secrets.items() if k != "jwt_private_key"] + [private_parts["d"]]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 20
    for path in files:
        content = path.read_text(errors="replace")
        for needle in needles:
            assert needle not in content, f"secret in {path}"


def test_vault_file_holds_every_secret_encrypted(tmp_path: Path, home: Path, fixed_secrets: dict[str, str]) -> None:
    render_once(tmp_path, "local", "single", fixed_secrets)
    path = tmp_path / "inventories/demo/group_vars/all/vault.yml"
    vault = secrets.Vault("snapshot-password")
    loaded = yaml.safe_load(vault.decrypt(path.read_bytes(), path))
    derived = secrets.derived_secrets(fixed_secrets)
    assert set(derived) == {"search_api_key_uid", "search_api_key", "data_ca_key", "data_ca_cert"}
    assert loaded == {f"vault_{k}": v for k, v in {**fixed_secrets, **derived}.items()}


def test_inventory_from_terraform_outputs(tmp_path: Path, home: Path, fixed_secrets: dict[str, str]) -> None:
    spec = parse_spec(environment("aws", "standard"))
    outputs = AWS_STANDARD_OUTPUTS
    result = render.RenderResult()
    render.render_inventory(spec, Workdir(tmp_path), fixed_secrets, secrets.Vault("p"), result, outputs)
    hosts = yaml.safe_load((tmp_path / "inventories/demo/hosts.yml").read_text())
    children = hosts["all"]["children"]
    assert children["app"]["hosts"]["demo-app-1"]["ansible_host"] == "10.40.1.10"
    assert children["data"]["children"]["mongodb"]["hosts"]["demo-mongodb-1"]["openedx_private_address"]
    assert children["data"]["children"]["mysql"] == {}
    facts = yaml.safe_load((tmp_path / "inventories/demo/group_vars/all/main.yml").read_text())
    assert facts["openedx_mysql"]["host"] == "demo.abc.rds.amazonaws.com"
    assert facts["openedx_redis"]["tls"] is True
    assert facts["openedx_mongodb"]["hosts"] == ["demo-mongodb-1"]
    assert facts["openedx_storage"]["buckets"]["uploads"] == "demo-uploads"


# --- A CDN in front of /static/ and /media/ ------------------------------------------------------------------------

GROUP_VARS = Path(__file__).resolve().parents[1] / "playbooks" / "group_vars" / "all" / "main.yml"


def _with_cdn(cloud: str) -> dict[str, object]:
    data = environment(cloud, "standard") | {"dns": {"zone": "example.org"}}
    if cloud == "aws":
        data["region"] = "eu-west-1"  # not where CloudFront's certificate lives
    data["cdn"] = {"enabled": True, **({"domain": "static.example.org"} if cloud != "gcp" else {})}
    return data


def _stack_module_and_providers(main_tf: Path) -> tuple[dict[str, object], list[dict[str, object]]]:
    import hcl2

    with main_tf.open() as handle:
        parsed = hcl2.load(handle)
    stack = next(body for block in parsed["module"] for name, body in block.items() if name.strip('"') == "stack")
    providers = [body for block in parsed.get("provider", []) for body in block.values()]
    return stack, providers


def _unquoted(value: object) -> object:
    value = value[0] if isinstance(value, list) and len(value) == 1 else value
    return value.strip('"') if isinstance(value, str) else value


@pytest.mark.parametrize("cloud", ("aws", "gcp", "azure"))
def test_cdn_renders_on_and_off_per_cloud(tmp_path: Path, home: Path, cloud: str) -> None:
    """cdn.enabled reaches the stack as cdn_enabled/cdn_domain (AWS also cdn_price_class); on AWS the root module
    always configures the provider aliased us_east_1 in us-east-1, where CloudFront reads its certificate, and passes
    it to the stack whatever the environment's region; the other clouds need none."""
    for enabled, data in ((False, environment(cloud, "standard")), (True, _with_cdn(cloud))):
        out = tmp_path / str(enabled)
        render.render_terraform(parse_spec(data), Workdir(out), render.RenderResult())
        tfvars = json.loads((out / "build/demo/terraform/terraform.tfvars.json").read_text())
        assert tfvars["cdn_enabled"] is enabled
        assert tfvars["cdn_domain"] == ("static.example.org" if enabled and cloud != "gcp" else "")
        assert ("cdn_price_class" in tfvars) is (cloud == "aws")
        stack, providers = _stack_module_and_providers(out / "build/demo/terraform/main.tf")
        aliased = [p for p in providers if _unquoted(p.get("alias")) == "us_east_1"]
        if cloud == "aws":
            assert not enabled or tfvars["region"] == "eu-west-1", "test fixture: a CDN outside us-east-1"
            assert [_unquoted(p["region"]) for p in aliased] == ["us-east-1"], providers
            passed = stack["providers"][0] if isinstance(stack["providers"], list) else stack["providers"]
            # python-hcl2 writes references as ${...}.
            assert {str(k).strip('"${}') for k in passed} == {"aws", "aws.us_east_1"}, passed
        else:
            assert not aliased and "providers" not in stack, (providers, stack)


def test_cdn_output_reaches_the_inventory_and_the_settings_inputs(
    tmp_path: Path, home: Path, fixed_secrets: dict[str, str]
) -> None:
    """The stack's cdn output becomes the fact openedx_cdn, which the group vars map onto the openedx_config inputs
    that set STATIC_URL_BASE and the media base URLs (roles/openedx_config); without a CDN both stay ""."""
    import jinja2

    mapping = yaml.safe_load(GROUP_VARS.read_text())
    templates = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701 - YAML values, not HTML
    cdn = {
        "domain": "static.example.org",
        "static_url": "https://static.example.org/static/",
        "media_url": "https://static.example.org/media/",
    }
    spec = parse_spec(_with_cdn("aws"))
    for outputs, expected in ((AWS_STANDARD_OUTPUTS, None), ({**AWS_STANDARD_OUTPUTS, "cdn": cdn}, cdn)):
        out = tmp_path / ("on" if expected else "off")
        render.render_inventory(spec, Workdir(out), fixed_secrets, secrets.Vault("p"), render.RenderResult(), outputs)
        facts = yaml.safe_load((out / "inventories/demo/group_vars/all/main.yml").read_text())
        assert facts["openedx_cdn"] == expected
        for name, key in (
            ("openedx_config_static_url_base", "static_url"),
            ("openedx_config_media_url_base", "media_url"),
        ):
            value = templates.from_string(mapping[name]).render(openedx_cdn=facts["openedx_cdn"])
            assert value == (expected[key] if expected else ""), (name, value)
    # Inventories rendered before the stacks gave the output have no openedx_cdn at all.
    value = templates.from_string(mapping["openedx_config_static_url_base"]).render(
        openedx_cdn=jinja2.Undefined(name="openedx_cdn")
    )
    assert value == ""


def test_shared_files_output_reaches_the_inventory_for_the_app_and_worker_groups(
    tmp_path: Path, home: Path, fixed_secrets: dict[str, str]
) -> None:
    """The stack's shared_files output becomes openedx_shared_files {mount, groups}: the groups whose hosts mount it
    (topology.SHARED_FILES_GROUPS). Nothing in single, on the local target (its podman volume is mounted when the host
    is made), or from outputs saved before the stacks gave it."""
    shared = AWS_STANDARD_OUTPUTS["shared_files"]
    cases = [
        ("aws", "standard", AWS_STANDARD_OUTPUTS, {"mount": shared, "groups": ["app", "worker"]}),
        ("aws", "single", {**AWS_STANDARD_OUTPUTS, "shared_files": dict.fromkeys(shared, "")}, None),
        # A single environment mounts nothing even if an output said otherwise: its one host has nothing to share.
        ("aws", "single", AWS_STANDARD_OUTPUTS, None),
        ("aws", "standard", {k: v for k, v in AWS_STANDARD_OUTPUTS.items() if k != "shared_files"}, None),
        ("local", "standard", None, None),
    ]
    for index, (cloud, size, outputs, expected) in enumerate(cases):
        spec = parse_spec(environment(cloud, size))
        out = tmp_path / str(index)
        render.render_inventory(spec, Workdir(out), fixed_secrets, secrets.Vault("p"), render.RenderResult(), outputs)
        facts = yaml.safe_load((out / f"inventories/{spec.name}/group_vars/all/main.yml").read_text())
        assert facts["openedx_shared_files"] == expected, (cloud, size)


# --- The local load balancer host, the load-balancing facts and the local entry points ---------------------------


@pytest.mark.parametrize("size", SIZES)
def test_local_layout_puts_a_load_balancer_host_in_front_unless_single(size: str) -> None:
    spec = parse_spec(environment("local", size))
    hosts = topology.local_hosts(spec)["hosts"]
    balancers = [h for h in hosts if "load_balancer" in h["groups"]]
    app = [h["name"] for h in hosts if "app" in h["groups"]]
    if size == "single":
        assert balancers == []
        assert topology.local_entrypoints(spec) == app == ["demo-1"]
        return
    assert [{k: v for k, v in h.items() if k != "address"} for h in balancers] == [
        {"name": "demo-lb", "groups": ["load_balancer"], "runs_containers": False, "shares_files": False}
    ]
    assert topology.local_entrypoints(spec) == ["demo-lb"]
    groups = render.host_groups(spec, None)
    assert list(groups["load_balancer"]) == ["demo-lb"]
    assert "demo-lb" not in groups["app"]
    children = render.inventory_hosts(groups)["all"]["children"]
    assert children["load_balancer"] == {"hosts": {"demo-lb": {"ansible_connection": "podman"}}}


def test_local_load_balancer_ends_tls_and_the_app_hosts_trust_its_network() -> None:
    spec = parse_spec(environment("local", "ha"))
    facts = render.group_vars(spec, None, render.host_groups(spec, None), "{}")
    # The app hosts' nginx: plain HTTP behind the load balancer (the proxy role's tls mode `cloud`)...
    assert facts["openedx_tls"]["mode"] == "cloud"
    # ...believing X-Forwarded-* from the podman network the hosts are started on...
    assert facts["openedx_network_cidr"] == topology.local_hosts(spec)["subnet"] == topology.local_network_cidr("demo")
    # ...and the load balancer host holds the environment's certificate.
    assert facts["openedx_lb_tls"] == {"mode": "self_signed", "certificate_file": None, "private_key_file": None}
    assert facts["openedx_load_balanced"] is True
    # HAProxy `inter 1s fall 2 rise 2` (roles/load_balancer defaults): fall*inter+1 and rise*inter+1.
    assert (facts["openedx_lb_drain_seconds"], facts["openedx_lb_resume_seconds"]) == (3, 3)


def test_local_provided_certificate_moves_to_the_load_balancer() -> None:
    values = environment("local", "standard")
    values["tls"] = {"mode": "provided", "certificate_file": "site.crt", "private_key_file": "site.key"}
    spec = parse_spec(values)
    facts = render.group_vars(spec, None, render.host_groups(spec, None), "{}")
    assert facts["openedx_lb_tls"] == {
        "mode": "provided",
        "certificate_file": "site.crt",
        "private_key_file": "site.key",
    }
    assert facts["openedx_tls"]["mode"] == "cloud" and facts["openedx_tls"]["certificate_file"] is None


def test_local_single_keeps_tls_on_the_app_host() -> None:
    spec = parse_spec(environment("local", "single"))
    facts = render.group_vars(spec, None, render.host_groups(spec, None), "{}")
    assert facts["openedx_tls"]["mode"] == "self_signed"
    assert facts["openedx_lb_tls"] is None
    assert (facts["openedx_load_balanced"], facts["openedx_lb_drain_seconds"], facts["openedx_lb_resume_seconds"]) == (
        False,
        0,
        0,
    )


@pytest.mark.parametrize(
    ("cloud", "tls_mode", "expected"),
    [
        ("aws", "cloud", (True, 105, 31)),
        ("aws", "acme", (True, 105, 31)),  # the NLB checks HTTPS /heartbeat with the same numbers
        ("gcp", "cloud", (True, 60, 21)),
        ("gcp", "provided", (True, 60, 21)),
        ("gcp", "acme", (False, 0, 0)),  # no load balancer: nginx on the app hosts faces the internet
        ("azure", "cloud", (True, 105, 16)),
        ("azure", "acme", (True, 105, 16)),
    ],
)
def test_cloud_load_balancing_facts(cloud: str, tls_mode: str, expected: tuple[bool, int, int]) -> None:
    values = environment(cloud, "standard")
    values["tls"] = {"mode": tls_mode, "email": "ops@example.org"} if tls_mode == "acme" else {"mode": tls_mode}
    if tls_mode == "provided":
        values["tls"].update(certificate_file="site.crt", private_key_file="site.key")
    spec = parse_spec(values)
    facts = render.group_vars(spec, None, render.host_groups(spec, None), "{}")
    got = (facts["openedx_load_balanced"], facts["openedx_lb_drain_seconds"], facts["openedx_lb_resume_seconds"])
    assert got == expected
    assert facts["openedx_tls"]["mode"] == tls_mode and facts["openedx_lb_tls"] is None
    assert facts["openedx_network_cidr"] == topology.NETWORK_CIDR


def test_load_balancer_numbers_are_the_terraform_modules() -> None:
    """LB_HEALTH_CHECKS documents each cloud module's health check and draining; a module change must show here."""
    modules = Path(__file__).resolve().parents[1] / "terraform" / "modules"

    def numbers(cloud: str, *names: str) -> list[set[int]]:
        text = (modules / cloud / "load_balancer" / "main.tf").read_text()
        return [{int(v) for v in re.findall(rf'\b{name}\s*=\s*"?(\d+)"?', text)} for name in names]

    aws, gcp, azure = (topology.LB_HEALTH_CHECKS[c] for c in ("aws", "gcp", "azure"))
    assert numbers("aws", "interval", "unhealthy_threshold", "healthy_threshold", "deregistration_delay") == [
        {aws.interval_s},
        {aws.unhealthy_threshold},
        {aws.healthy_threshold},
        {aws.draining_s},
    ]
    assert numbers(
        "gcp", "check_interval_sec", "unhealthy_threshold", "healthy_threshold", "connection_draining_timeout_sec"
    ) == [{gcp.interval_s}, {gcp.unhealthy_threshold}, {gcp.healthy_threshold}, {gcp.draining_s}]
    # Application Gateway has no healthy threshold: one passed probe puts a server back.
    assert numbers("azure", "interval", "unhealthy_threshold", "healthy_threshold", "drain_timeout_sec") == [
        {azure.interval_s},
        {azure.unhealthy_threshold},
        set(),
        {azure.draining_s},
    ]
    assert azure.healthy_threshold == 1


def test_local_network_cidr_is_a_stable_slash_24_of_the_pool() -> None:
    import ipaddress

    first = topology.local_network_cidr("demo")
    assert first == topology.local_network_cidr("demo")
    network = ipaddress.ip_network(first)
    assert network.prefixlen == 24 and network.subnet_of(topology.LOCAL_SUBNET_POOL)  # type: ignore[arg-type]
    assert len({topology.local_network_cidr(f"env{i}") for i in range(20)}) > 15


def test_a_key_file_swapped_for_a_private_key_after_validation_is_not_copied(
    tmp_path: Path, home: Path, fixed_secrets: dict[str, str]
) -> None:
    """render reads the key again when it copies it: a private key put there after `validate` is refused."""
    spec = parse_spec(environment("aws", "standard"))
    (home / ".ssh" / "id_ed25519.pub").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n")
    with pytest.raises(SpecError) as raised:
        render.render_environment(spec, Workdir(tmp_path), fixed_secrets, secrets.Vault("snapshot-password"))
    assert raised.value.problems[0].field == "ssh.public_key_file"
    assert "public key" in raised.value.problems[0].message
    assert not (tmp_path / "build").exists() or "PRIVATE KEY" not in "".join(
        p.read_text() for p in (tmp_path / "build").rglob("*") if p.is_file()
    )
