"""The local load balancer (roles/load_balancer) and the drain it relies on (roles/proxy /heartbeat), offline.

The templates are rendered with plain Jinja and the roles' defaults and vars; the HAProxy configuration is then
checked by `haproxy -c` where HAProxy is installed (Debian's package: `apt-get install haproxy`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jinja2
import jinja2.nativetypes
import pytest
import yaml
from test_health import self_signed

from openedx_deploy.topology import LB_HEALTH_CHECKS

ROLES = Path(__file__).resolve().parents[1] / "roles"
SERVERS = {"demo-app-1": "10.90.7.2", "demo-app-2": "10.90.7.3"}


def role_variables(role: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """The role's defaults and vars with `overrides` (as inventory or play vars would), Jinja values resolved."""
    raw: dict[str, Any] = {}
    for part in ("defaults", "vars"):
        raw.update(yaml.safe_load((ROLES / role / part / "main.yml").read_text()) or {})
    raw.update(overrides)
    native = jinja2.nativetypes.NativeEnvironment(undefined=jinja2.StrictUndefined)
    resolved: dict[str, Any] = {}
    pending = dict(raw)
    for _ in range(len(raw)):
        for name, value in list(pending.items()):
            if isinstance(value, str) and "{{" in value:
                try:
                    value = native.from_string(value.strip()).render({**raw, **resolved})
                except jinja2.UndefinedError:
                    continue
            resolved[name] = value
            del pending[name]
        if not pending:
            break
        raw = {**raw, **resolved}
    assert not pending, f"unresolved {role} variables: {sorted(pending)}"
    return resolved


def render_template(role: str, template: str, overrides: dict[str, Any]) -> str:
    # Configuration files, not HTML: Ansible's template module does not escape either.
    env = jinja2.Environment(  # noqa: S701
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True
    )
    source = (ROLES / role / "templates" / template).read_text()
    return env.from_string(source).render({"ansible_managed": "managed by test", **role_variables(role, overrides)})


def haproxy_config(**overrides: Any) -> str:
    return render_template("load_balancer", "haproxy.cfg.j2", {"load_balancer_servers": SERVERS, **overrides})


def backend(config: str) -> str:
    return config.split("backend openedx_app", 1)[1]


def test_every_app_host_is_a_server_of_the_round_robin_backend() -> None:
    section = backend(haproxy_config())
    assert "balance roundrobin" in section
    servers = re.findall(r"^\s+server (\S+) (\S+)$", section, re.MULTILINE)
    assert servers == [("demo-app-1", "10.90.7.2:80"), ("demo-app-2", "10.90.7.3:80")]


def test_health_check_is_the_lms_heartbeat_with_the_role_numbers() -> None:
    section = backend(haproxy_config(load_balancer_lms_domain="learn.example.org"))
    assert "option httpchk" in section
    assert "http-check send meth GET uri /heartbeat ver HTTP/1.1 hdr Host learn.example.org" in section
    assert "http-check expect status 200" in section
    assert "default-server check inter 1s fall 2 rise 2" in section
    tuned = backend(haproxy_config(load_balancer_check_interval=3, load_balancer_check_fall=4))
    assert "default-server check inter 3s fall 4 rise 2" in tuned


def test_failed_requests_are_retried_elsewhere_and_only_get_beyond_connection_failures() -> None:
    section = backend(haproxy_config())
    for line in ("retries 3", "option redispatch 1", "retry-on all-retryable-errors"):
        assert re.search(rf"^\s+{re.escape(line)}$", section, re.MULTILINE), line
    assert "http-request disable-l7-retry unless METH_GET" in section


def test_tls_frontend_sets_the_forwarded_headers_and_http_redirects() -> None:
    config = haproxy_config()
    http = config.split("frontend http\n", 1)[1].split("frontend https", 1)[0]
    assert "http-request redirect scheme https code 301" in http
    https = config.split("frontend https", 1)[1].split("backend", 1)[0]
    assert "bind :443 ssl crt /etc/haproxy/openedx-tls/site.pem alpn h2,http/1.1" in https
    assert "http-request set-header X-Forwarded-Proto https" in https
    assert "option forwardfor" in https


def test_timeouts_match_the_proxy_role() -> None:
    config = haproxy_config()
    proxy = role_variables("proxy", {"ansible_facts": {}})
    assert f"timeout server {proxy['proxy_read_timeout']}s" in config
    assert f"timeout client {proxy['proxy_send_timeout']}s" in config
    assert f"timeout connect {proxy['proxy_connect_timeout']}s" in config


def test_render_derives_the_local_waits_from_the_role_defaults() -> None:
    """openedx_lb_drain_seconds / _resume_seconds (render.py) must follow the HAProxy health check numbers."""
    defaults = role_variables("load_balancer", {})
    local = LB_HEALTH_CHECKS["local"]
    assert local.interval_s == defaults["load_balancer_check_interval"]
    assert local.unhealthy_threshold == defaults["load_balancer_check_fall"]
    assert local.healthy_threshold == defaults["load_balancer_check_rise"]
    assert (local.drain_seconds, local.resume_seconds) == (3, 3)


@pytest.mark.parametrize("role", ["load_balancer", "proxy"])
def test_argument_specs_document_every_default(role: str) -> None:
    specs = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    documented = {name for entry in specs.values() for name in entry["options"]}
    defaults = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())
    assert set(defaults) - documented == set()


@pytest.mark.parametrize("tls_mode", ["cloud", "self_signed"])
def test_proxy_heartbeat_answers_503_while_the_drain_flag_exists(tls_mode: str) -> None:
    """Every server block of the app hosts' nginx has the /heartbeat the load balancers check, and it fails while
    the drain flag exists: plain HTTP behind a load balancer that ends TLS, HTTPS behind a TCP one."""
    config = render_template(
        "proxy",
        "openedx.conf.j2",
        {"proxy_tls_mode": tls_mode, "proxy_trusted_cidrs": ["10.90.7.0/24"], "ansible_facts": {}},
    )
    # The site blocks (TLS modes also have a plain HTTP block that only redirects).
    sites = [block for block in config.split("\nserver {")[1:] if "proxy_pass" in block]
    assert len(sites) == 3
    for server in sites:
        location = server.split("location = /heartbeat {", 1)[1].split("\n    }\n", 1)[0]
        assert "if (-f /run/openedx-deploy/drain) {\n            return 503;\n        }" in location
        assert "proxy_pass http://openedx_" in location


def self_signed_pair(directory: Path) -> None:
    """site.pem and site.pem.key as the role lays them out (HAProxy finds the key beside the certificate)."""
    certificate, key = self_signed(directory, "learn.example.com")
    certificate.rename(directory / "site.pem")
    key.rename(directory / "site.pem.key")


def test_haproxy_accepts_the_configuration(tmp_path: Path) -> None:
    haproxy = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if haproxy is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("haproxy is not installed: scripts/bootstrap installs it in CI, where this check must run")
        pytest.skip(
            "haproxy is not installed here (Debian: apt-get install haproxy); the configuration was not checked"
        )
    self_signed_pair(tmp_path)
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(load_balancer_tls_dir=str(tmp_path)))
    checked = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


# Mozilla's server-side TLS "intermediate" profile (ssl-config.mozilla.org, guidelines 5.7), TLS 1.2 suites without
# the DHE ones: every one forward-secret (ECDHE) and AEAD (GCM, ChaCha20-Poly1305).
MOZILLA_INTERMEDIATE_ECDHE = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
)


def nginx_site(**overrides: Any) -> str:
    site = {
        "proxy_tls_mode": "self_signed",
        "proxy_listen_ipv6": False,
        "proxy_lms_domain": "learn.example.org",
        "proxy_studio_domain": "studio.example.org",
        "proxy_mfe_domain": "apps.example.org",
        **overrides,
    }
    return render_template("proxy", "openedx.conf.j2", site)


def test_nginx_and_haproxy_offer_only_the_mozilla_intermediate_forward_secret_suites() -> None:
    nginx = nginx_site()
    assert re.findall(r"^\s+ssl_protocols (.+);$", nginx, re.MULTILINE) == ["TLSv1.2 TLSv1.3"] * 3
    assert set(re.findall(r"^\s+ssl_ciphers (\S+);$", nginx, re.MULTILINE)) == {MOZILLA_INTERMEDIATE_ECDHE}
    assert len(re.findall(r"^\s+ssl_ciphers ", nginx, re.MULTILINE)) == 3, "one per site (LMS, Studio, MFE)"
    haproxy = haproxy_config()
    assert f"ssl-default-bind-ciphers {MOZILLA_INTERMEDIATE_ECDHE}\n" in haproxy
    assert "ssl-min-ver TLSv1.2" in haproxy
    for suite in MOZILLA_INTERMEDIATE_ECDHE.split(":"):
        assert suite.startswith("ECDHE-") and ("GCM" in suite or "CHACHA20-POLY1305" in suite), suite
