"""The release catalog: load, order, refuse impossible upgrades, and each release's facts."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from typing import Any

import pytest
import yaml

from openedx_deploy.errors import DeployError, UsageError
from openedx_deploy.releases import catalog_from_data, load_catalog


def _raw() -> dict[str, Any]:
    text = resources.files("openedx_deploy").joinpath("data/releases.yml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def test_catalog_loads_in_upgrade_order() -> None:
    catalog = load_catalog()
    assert catalog.names() == ["teak", "ulmo", "verawood"]
    assert [release.order for release in catalog.releases()] == [1, 2, 3]
    assert catalog.supported_names() == ["ulmo", "verawood"]
    assert catalog.default.name == "ulmo"


def test_catalog_is_cached() -> None:
    assert load_catalog() is load_catalog()


def test_unknown_release_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"unknown release 'sumac': known releases are teak, ulmo, verawood"):
        load_catalog().get("sumac")


def test_upgrade_path_one_step() -> None:
    assert [release.name for release in load_catalog().upgrade_path("teak", "ulmo")] == ["ulmo"]
    assert [release.name for release in load_catalog().upgrade_path("ulmo", "verawood")] == ["verawood"]


@pytest.mark.parametrize(
    ("from_", "to", "message"),
    [
        ("teak", "verawood", "upgrade one release at a time: teak -> ulmo, then ulmo -> verawood"),
        ("verawood", "ulmo", "downgrading is not supported"),
        ("ulmo", "teak", "downgrading is not supported"),
        ("ulmo", "ulmo", "already runs ulmo"),
        ("ulmo", "xylon", "unknown release 'xylon'"),
    ],
)
def test_upgrade_path_refusals(from_: str, to: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        load_catalog().upgrade_path(from_, to)


@pytest.mark.parametrize(
    ("name", "facts"),
    [
        (
            "teak",
            {
                "status": "upgrade_only",
                "tutor_version": "20",
                "python": "3.11",
                "forum_backend": "mongodb",
                "mysql": "8.4",
                "mongodb": "7.0",
            },
        ),
        (
            "ulmo",
            {
                "status": "supported",
                "tutor_version": "21",
                "mysql": "8.4",
                "mongodb": "7.0",
                "redis": "7.4",
                "forum_backend": "mysql",
            },
        ),
        (
            "verawood",
            {
                "status": "supported",
                "tutor_version": "22",
                "python": "3.12",
                "mysql": "8.4",
                "mongodb": "7.0",
                "redis": "7.4",
                "forum_backend": "mysql",
            },
        ),
    ],
)
def test_release_facts(name: str, facts: dict[str, str]) -> None:
    release = load_catalog().get(name)
    for field, value in facts.items():
        assert getattr(release, field) == value, field
    assert re.fullmatch(rf"release/{name}\.\d+", release.git_tag)
    assert release.image.repository == "overhangio/openedx"
    assert release.image.tag.startswith(f"{release.tutor_version}.")
    assert release.mfe_image.tag.startswith(f"{release.tutor_version}.")
    assert release.notes_image.tag.startswith(f"{release.tutor_version}.")
    assert release.search.default_engine == "meilisearch"


def test_search_versions() -> None:
    catalog = load_catalog()
    assert catalog.get("ulmo").search_version("meilisearch") == "1.8"
    assert catalog.get("verawood").search_version("meilisearch") == "1.36"
    for release in catalog.releases():
        for engine in ("elasticsearch", "opensearch"):
            assert re.fullmatch(r"\d+\.\d+", release.search_version(engine))
    with pytest.raises(UsageError, match="unknown search engine 'solr'"):
        catalog.get("ulmo").search_version("solr")


def test_upgrade_steps_back_up_first_and_restart_last() -> None:
    for release in load_catalog().releases()[1:]:
        ids = [step.id for step in release.upgrade_steps]
        assert ids[0] == "backup", release.name
        assert ids[-1] == "rolling_restart", release.name
        assert ids.index("migrate") < ids.index("rolling_restart")
        assert all(step.description for step in release.upgrade_steps)


def test_verawood_upgrade_handles_its_breaking_changes() -> None:
    ids = [step.id for step in load_catalog().get("verawood").upgrade_steps]
    # Verawood drops the MongoDB forum backend and Meilisearch 1.36 cannot open a 1.8 index.
    assert "forum_mysql_only" in ids
    assert ids.index("search_upgrade") < ids.index("migrate")
    assert "forum_to_mysql" in [step.id for step in load_catalog().get("ulmo").upgrade_steps]


def test_as_rows_is_json_ready() -> None:
    rows = load_catalog().as_rows()
    assert [row["name"] for row in rows] == ["teak", "ulmo", "verawood"]
    assert [row["default"] for row in rows] == [False, True, False]
    assert rows[2]["image"] == "overhangio/openedx:22.0.0"
    json.dumps(rows)


def test_yaml_keeps_the_keys_ansible_reads() -> None:
    # Ansible reads releases.yml directly: these names are a contract.
    data = _raw()
    for release in data["openedx_releases"].values():
        assert {
            "order",
            "status",
            "git_tag",
            "tutor_version",
            "python",
            "image",
            "mfe_image",
            "notes_image",
        } <= set(release)
        assert {"mysql", "mongodb", "redis", "search", "forum_backend", "upgrade_steps"} <= set(release)
        assert {"default_engine", "meilisearch", "elasticsearch", "opensearch"} <= set(release["search"])


def test_broken_catalog_gap_in_order() -> None:
    data = _raw()
    data["openedx_releases"]["verawood"]["order"] = 5
    with pytest.raises(DeployError, match=r"orders must be 1\.\.N"):
        catalog_from_data(data)


def test_broken_catalog_names_the_bad_field() -> None:
    data = copy.deepcopy(_raw())
    data["openedx_releases"]["ulmo"]["git_tag"] = "open-release/ulmo.1"
    data["openedx_releases"]["verawood"]["status"] = "beta"
    with pytest.raises(DeployError) as caught:
        catalog_from_data(data)
    assert "release/ulmo.N" in str(caught.value)
    assert "verawood.status" in str(caught.value)


def test_broken_catalog_default_must_be_supported() -> None:
    data = _raw()
    data["openedx_default_release"] = "teak"
    with pytest.raises(DeployError, match="default release 'teak' is not supported"):
        catalog_from_data(data)
