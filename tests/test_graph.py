"""The topology graph: what it draws for each cloud and profile, and that graphviz renders it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from openedx_deploy.graph import draw, topology_dot
from openedx_deploy.spec import parse_spec

DOMAINS = {"lms": "learn.example.org", "studio": "studio.example.org", "mfe": "apps.example.org"}


def spec_for(cloud: str, size: str = "standard") -> object:
    return parse_spec({"name": "demo", "cloud": cloud, "size": size, "domains": DOMAINS})


def test_standard_aws_shows_managed_and_self_hosted_stores_and_ports() -> None:
    dot = topology_dot(spec_for("aws"))  # type: ignore[arg-type]
    assert "Amazon RDS for MySQL" in dot and "(managed)" in dot
    assert "mongodb 7.0\\n1 self-hosted host(s)" in dot
    assert '"demo-app-1" -> mysql [label="3306"]' in dot
    assert '"demo-worker-1" -> redis [label="6379"]' in dot
    assert 'lb -> "demo-app-1"' in dot


@pytest.mark.parametrize("cloud", ["gcp", "local"])
def test_single_profile_draws_its_one_host_once_with_the_stores_it_runs(cloud: str) -> None:
    """issue 14: the single profile's host was drawn twice (app and worker tier, locally) and its data stores not
    at all."""
    dot = topology_dot(spec_for(cloud, "single"))  # type: ignore[arg-type]
    host = "demo-1" if cloud == "local" else "demo-app-1"
    assert dot.count(f'  "{host}" [label=') == 1 and "cluster_worker" not in dot
    if cloud == "local":
        assert "celery: lms" in dot, "the workers the one local host runs are shown on it"
    assert 'label="data stores on the app host (single profile)"' in dot
    for store, port in (("mysql", 3306), ("mongodb", 27017), ("redis", 6379), ("search", 7700)):
        assert f'"{host}" -> {store} [label="{port}"]' in dot
    assert "mysql 8.4\\non the app host" in dot


def test_offline_substitutes_are_drawn_as_what_ran() -> None:
    dot = topology_dot(spec_for("local"), "mariadb", ("mongodb", "search"))  # type: ignore[arg-type]
    assert "mariadb (offline substitute\\nfor mysql 8.4)" in dot and "mysql 8.4\\n" not in dot
    assert (
        "mongodb [label=" not in dot and "-> mongodb" not in dot and "meilisearch" not in dot and "-> search" not in dot
    )
    assert "(offline: mongodb, search left out)" in dot
    assert '"demo-app-1" -> mysql [label="3306"]' in dot and '"demo-app-1" -> redis [label="6379"]' in dot


def test_ha_draws_every_app_host() -> None:
    dot = topology_dot(spec_for("azure", "ha"))  # type: ignore[arg-type]
    assert dot.count('lb -> "demo-app-') >= 2


def test_local_uses_the_podman_host_names() -> None:
    dot = topology_dot(spec_for("local"))  # type: ignore[arg-type]
    assert '"demo-data-1"' not in dot  # stores are drawn as stores, the app hosts by their container names
    assert '"demo-app-1"' in dot and "HAProxy on the lb host" in dot
    assert "nginx on the app host" in topology_dot(spec_for("local", "single"))  # type: ignore[arg-type]


def test_draw_writes_svg_and_png(tmp_path: Path) -> None:
    if not shutil.which("dot"):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("graphviz is not installed: CI must run this test")
        pytest.skip("graphviz is not installed: run scripts/bootstrap")
    written = draw(topology_dot(spec_for("aws")), tmp_path, "demo-topology")  # type: ignore[arg-type]
    assert [p.suffix for p in written] == [".dot", ".svg", ".png"]
    assert (tmp_path / "demo-topology.svg").read_text().lstrip().startswith("<?xml")
    assert (tmp_path / "demo-topology.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_rabbitmq_broker_is_drawn_on_its_host_with_its_port_from_app_and_worker_hosts() -> None:
    dot = topology_dot(parse_spec({"name": "demo", "cloud": "local", "size": "standard", "broker": "rabbitmq"}))
    assert "rabbitmq (Celery broker)\\non demo-data-1" in dot
    assert '"demo-app-1" -> rabbitmq [label="5671"];' in dot
    assert '"demo-worker-1" -> rabbitmq [label="5671"];' in dot
    assert "rabbitmq" not in topology_dot(parse_spec({"name": "demo", "cloud": "local", "size": "standard"}))
    cloud = {"name": "demo", "cloud": "aws", "size": "standard", "domains": {"lms": "learn.example.org"}}
    assert "rabbitmq (Celery broker)\\non demo-rabbitmq-1" in topology_dot(parse_spec(cloud | {"broker": "rabbitmq"}))
    managed = cloud | {"broker": "rabbitmq", "rabbitmq": {"mode": "managed"}}
    assert "rabbitmq (Celery broker)\\nAmazon MQ (managed)" in topology_dot(parse_spec(managed))
