"""The public names browsers call besides the LMS, Studio and the MFEs (issue 11): the notes API (EDXNOTES_PUBLIC_API)
and Meilisearch (MEILISEARCH_PUBLIC_URL, Studio's content search). The environment file gives them (defaults
notes.<lms> and, with Meilisearch only, meilisearch.<lms>), render hands them to Terraform (the load balancer's
certificate) and to the playbooks, and the proxy routes each to its server."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from test_load_balancer import ROLES, haproxy_config, nginx_site, role_variables

from openedx_deploy import render
from openedx_deploy.errors import SpecError
from openedx_deploy.spec import parse_spec

REPO = ROLES.parent


def spec(**extra: Any) -> Any:
    return parse_spec({"name": "demo", "cloud": "aws", "domains": {"lms": "learn.example.com"}, **extra})


def test_notes_and_meilisearch_domains_default_from_the_lms_domain() -> None:
    domains = spec().domains
    assert (domains.notes, domains.meilisearch) == ("notes.learn.example.com", "meilisearch.learn.example.com")
    other = spec(search={"engine": "opensearch"}).domains
    assert other.notes == "notes.learn.example.com" and other.meilisearch is None
    given = spec(
        domains={"lms": "learn.example.com", "notes": "notes.example.com", "meilisearch": "search.example.com"}
    )
    assert (given.domains.notes, given.domains.meilisearch) == ("notes.example.com", "search.example.com")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"domains": {"lms": "learn.example.com", "notes": "learn.example.com"}}, "domains.notes", "must differ"),
        (
            {"domains": {"lms": "learn.example.com", "meilisearch": "apps.learn.example.com"}},
            "domains.meilisearch",
            "must differ from domains.mfe",
        ),
        (
            {
                "domains": {"lms": "learn.example.com", "meilisearch": "m.example.com"},
                "search": {"engine": "elasticsearch"},
            },
            "domains.meilisearch",
            "search.engine is elasticsearch",
        ),
        ({"domains": {"lms": "learn.example.com", "notes": "notes_example"}}, "domains.notes", "not a valid host name"),
    ],
)
def test_the_new_domains_are_checked(data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(SpecError) as error:
        parse_spec({"name": "demo", "cloud": "aws", **data})
    assert any(p.field == field and message in p.message for p in error.value.problems), error.value.problems


def test_render_hands_the_domains_to_terraform_and_the_playbooks() -> None:
    environment = spec()
    variables = render.terraform_variables(environment, "ssh-ed25519 AAAA test")
    assert variables["notes_domain"] == "notes.learn.example.com"
    assert variables["meilisearch_domain"] == "meilisearch.learn.example.com"
    assert render.terraform_variables(spec(search={"engine": "opensearch"}), "k")["meilisearch_domain"] == ""
    facts = render.group_vars(environment, None, {}, "{}")
    assert facts["openedx_domains"]["notes"] == "notes.learn.example.com"
    for cloud in ("aws", "gcp", "azure"):
        main = (REPO / "terraform" / "stacks" / cloud / "main.tf").read_text()
        listed = re.search(r"domains\s+=\s+.*\[(var\.lms_domain[^\]]*)\]", main)
        assert listed and "var.notes_domain" in listed.group(1) and "var.meilisearch_domain" in listed.group(1), cloud


def _server(config: str, domain: str) -> str:
    return next(block for block in config.split("\nserver {")[1:] if f"server_name {domain};" in block)


@pytest.mark.parametrize("tls_mode", ["cloud", "self_signed"])
def test_nginx_routes_the_notes_and_meilisearch_domains(tls_mode: str) -> None:
    config = nginx_site(
        proxy_tls_mode=tls_mode,
        proxy_trusted_cidrs=["10.90.7.0/24"],
        ansible_facts={},
        proxy_notes_domain="notes.learn.example.org",
        proxy_meilisearch_domain="meilisearch.learn.example.org",
        proxy_meilisearch_url="http://10.40.3.7:7700",
    )
    assert re.search(r"upstream openedx_notes \{\s+server 127\.0\.0\.1:8120;", config)
    assert re.search(r"upstream openedx_meilisearch \{\s+server 10\.40\.3\.7:7700;", config)
    notes = _server(config, "notes.learn.example.org")
    assert "proxy_pass http://openedx_notes;" in notes and "location = /heartbeat" in notes
    search = _server(config, "meilisearch.learn.example.org")
    assert "proxy_pass http://openedx_meilisearch;" in search
    assert "location = /heartbeat" not in search  # Meilisearch's own health path is /health
    if tls_mode == "self_signed":
        assert "server_name learn.example.org studio.example.org apps.example.org notes.learn.example.org " in config
    without = nginx_site(ansible_facts={})
    assert "openedx_notes" not in without and "openedx_meilisearch" not in without


def test_the_proxy_refuses_a_meilisearch_domain_without_a_server() -> None:
    tasks = yaml.safe_load((ROLES / "proxy" / "tasks" / "preflight.yml").read_text())
    check = next(t for t in tasks if "Meilisearch" in t["name"])
    condition = check["ansible.builtin.assert"]["that"][0]
    assert "proxy_meilisearch_url" in condition and "https?://" in condition
    resolved = role_variables(
        "proxy",
        {
            "proxy_meilisearch_domain": "m.example.org",
            "proxy_meilisearch_url": "https://search.internal:7700",
            "proxy_listen_ipv6": False,
        },
    )
    meili = resolved["_proxy_sites"][-1]
    assert (meili["upstream"], meili["scheme"], meili["tls_name"]) == (
        "search.internal:7700",
        "https",
        "search.internal",
    )


def test_the_local_load_balancer_certificate_covers_the_new_domains() -> None:
    config = haproxy_config(
        load_balancer_notes_domain="notes.example.org", load_balancer_meilisearch_domain="m.example.org"
    )
    assert "notes.example.org" in config.splitlines()[1] and "m.example.org" in config.splitlines()[1]
    playbook = (REPO / "playbooks" / "load_balancer.yml").read_text()
    assert "load_balancer_notes_domain:" in playbook and "load_balancer_meilisearch_domain:" in playbook
