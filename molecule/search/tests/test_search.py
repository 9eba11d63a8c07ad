"""Verify Meilisearch: running under systemd on the private address, production mode, master key enforced."""

from __future__ import annotations

KEY = "molecule-meilisearch-master-key"


def _journal(host) -> str:
    return host.run("journalctl -u meilisearch --no-pager -n 60").stdout


def _address(host) -> str:
    return host.ansible("setup", "gather_subset=network")["ansible_facts"]["ansible_default_ipv4"]["address"]


# The base image has no curl: the probe is a few lines of the host's python3, status code on stdout.
_PROBE = """
import sys, urllib.error, urllib.request
url, key = sys.argv[1], sys.argv[2]
request = urllib.request.Request(url, headers={"Authorization": "Bearer " + key} if key != "-" else {})
try:
    print(urllib.request.urlopen(request, timeout=10).status)
except urllib.error.HTTPError as error:
    print(error.code)
"""


def _status(host, path: str, key: str = "") -> str:
    result = host.run("python3 -c %s http://%s:7700%s %s", _PROBE, _address(host), path, key or "-")
    return result.stdout.strip()


def test_meilisearch_running(host):
    service = host.service("meilisearch")
    assert service.is_running and service.is_enabled, _journal(host)


def test_listens_on_private_address_only(host):
    assert host.socket(f"tcp://{_address(host)}:7700").is_listening, _journal(host)
    assert not host.socket("tcp://0.0.0.0:7700").is_listening


def test_health_answers(host):
    assert _status(host, "/health", KEY) == "200", _journal(host)


def test_master_key_enforced(host):
    assert _status(host, "/stats", KEY) == "200"
    assert _status(host, "/stats") in ("401", "403")
    assert _status(host, "/stats", "wrong-key-wrong-key") in ("401", "403")


def test_environment_file_is_private(host):
    env = host.file("/etc/meilisearch/meilisearch.env")
    assert env.mode == 0o600 and env.user == "root"
    assert "MEILI_ENV=production" in env.content_string
