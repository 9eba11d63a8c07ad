"""Conformance with Tutor's reference deployment of the same images (docs/conformance.md).

For a release, Tutor's pinned packages render the reference environment and Ansible renders ours; per container
(command, entrypoint, user, mounts, port, environment), per proxy route, per setting the platform reads and per
init job, every difference must be listed with its reason in tests/conformance/allowlist.yml, and every entry
there must still match a difference. The default release runs in the fast suite; the others under CI=true or
OPENEDX_DEPLOY_CONFORMANCE_ALL=1. A missing Tutor virtualenv skips (saying why), except under CI where it fails.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml
from conformance import check, reference
from conformance.model import (
    Container,
    Deployment,
    Difference,
    compare_containers,
    compare_settings,
    overridden_settings,
)

from openedx_deploy.releases import Release, load_catalog

CI = os.environ.get("CI") == "true"
ALL = CI or os.environ.get("OPENEDX_DEPLOY_CONFORMANCE_ALL") == "1"
CATALOG = load_catalog()


def _release_or_skip(name: str) -> Release:
    release = CATALOG.get(name)
    if name != CATALOG.default_name and not ALL:
        pytest.skip(
            f"{name} is not the default release: its conformance runs under CI=true or OPENEDX_DEPLOY_CONFORMANCE_ALL=1"
        )
    problem = reference.venv_problem(release)
    if problem:
        if CI:
            pytest.fail(f"CI must check {name}'s conformance, but {problem}")
        pytest.skip(f"conformance of {name} not checked: {problem}")
    return release


@pytest.fixture(scope="module")
def compared() -> dict[str, tuple[Deployment, Deployment, list[Difference], float]]:
    return {}


def _compare(name: str, cache: dict[str, tuple[Deployment, Deployment, list[Difference], float]]):
    if name not in cache:
        release = _release_or_skip(name)
        started = time.monotonic()
        ref, mine = check.deployments(release)
        found = check.differences(ref, mine, check.mapping())
        cache[name] = (ref, mine, found, time.monotonic() - started)
    return cache[name]


@pytest.mark.parametrize("name", CATALOG.names())
def test_every_difference_is_reviewed_and_no_entry_is_stale(name: str, compared) -> None:
    _, _, found, seconds = _compare(name, compared)
    print(f"{name}: {len(found)} differences, compared in {seconds:.1f} s")
    unlisted, stale = check.match(found, check.load_allowlist(), CATALOG.get(name))
    lines = [f"- container: {d.container}\n  key: {d.key!r}\n  kind: {d.kind}   # {d.detail}" for d in unlisted]
    lines += [f"stale (matches no difference of {name}): {e.container} / {e.key} / {e.kind}" for e in stale]
    assert not lines, f"{name}: {len(unlisted)} unreviewed differences, {len(stale)} stale entries\n" + "\n".join(lines)


@pytest.mark.parametrize("name", CATALOG.names())
def test_reference_runs_the_images_the_catalog_pins(name: str, compared) -> None:
    ref, mine, _, _ = _compare(name, compared)
    release = CATALOG.get(name)
    assert ref.containers["lms"].image == release.image.reference
    assert ref.containers["mfe"].image == release.mfe_image.reference
    assert ref.containers["notes"].image == release.notes_image.reference
    # Tutor builds the image from the edx-platform tag the catalog names.
    dockerfile = (reference.render(release) / "env/build/openedx/Dockerfile").read_text()
    assert f"ARG EDX_PLATFORM_VERSION={release.git_tag}\n" in dockerfile
    # Both sides were really read: the web containers, the settings and the jobs are there.
    for side in (ref, mine):
        assert {"lms", "cms", "lms-worker", "cms-worker", "mfe", "notes"} <= set(side.containers)
        assert "SECRET_KEY" in side.settings["lms"] and "DATABASES" in side.settings["notes"]
        assert any(job.endswith("lms migrate") for job in side.jobs)
        assert side.routes.get("lms:/") == "lms"


# --- The comparison itself must be able to fail: small hand-made cases ------------------------------------------


def _web(**changes: object) -> Container:
    base = {
        "image": "overhangio/openedx:21.0.0",
        "entrypoint": None,
        "command": ["celery", "--app=lms.celery", "worker", "--queues=a,b", "--without-mingle"],
        "user": "1000",
        "env": {"SERVICE_VARIANT": "lms"},
        "mounts": ["/openedx/media"],
        "port": 8000,
    }
    base.update(changes)
    return Container(**base)  # type: ignore[arg-type]


def test_container_differences_name_what_differs() -> None:
    assert compare_containers("x", _web(), _web()) == []
    found = {
        (d.key, d.kind)
        for d in compare_containers(
            "x",
            _web(),
            _web(
                command=["celery", "--app=lms.celery", "worker", "--queues=a", "--concurrency=2"],
                user="0",
                env={"SERVICE_VARIANT": "cms", "EXTRA": "1"},
                mounts=[],
                port=8010,
            ),
        )
    }
    assert found == {
        ("command --queues", "different"),
        ("command --without-mingle", "missing"),
        ("command --concurrency", "extra"),
        ("user", "different"),
        ("env SERVICE_VARIANT", "different"),
        ("env EXTRA", "extra"),
        ("mount /openedx/media", "missing"),
        ("port", "different"),
    }


def test_settings_differences_follow_keys_lists_and_equivalents() -> None:
    ref = {
        "A": 1,
        "FEATURES.ON": True,
        "CORS.append('https://apps')": True,
        "URL": "https://x",
        "MAPPED": 2,
        "DERIVED": 3,
    }
    ours = {"A": 9, "FEATURES.ON": False, "CORS": ["https://other"], "URL": "https://y", "OTHER": 2}
    found = {(d.key, d.kind) for d in compare_settings("s", ref, ours, {"MAPPED": {"ours": "OTHER"}, "DERIVED": "why"})}
    # A differs only in a number (not compared); the switch, the URL and the list membership are.
    assert found == {
        ("FEATURES.ON", "different"),
        ("CORS.append('https://apps')", "missing"),
        ("URL", "different"),
    }
    found = {(d.key, d.kind) for d in compare_settings("s", {"MAPPED": 2}, {}, {"MAPPED": {"ours": "OTHER"}})}
    assert found == {("MAPPED", "missing")}


def test_settings_production_py_replaces_are_reported_when_their_condition_holds() -> None:
    rules = {
        "TIME_ZONE": {"does": "TIME_ZONE = CELERY_TIMEZONE"},
        "SEARCH_ENGINE": {"does": "elastic", "when_features_any": ["ENABLE_COURSEWARE_SEARCH"]},
    }
    ours = {"TIME_ZONE": "UTC", "SEARCH_ENGINE": "meili", "FEATURES.ENABLE_COURSEWARE_SEARCH": False}
    assert [d.key for d in overridden_settings("s", ours, rules)] == ["TIME_ZONE (production.py overrides it)"]
    ours["FEATURES.ENABLE_COURSEWARE_SEARCH"] = True
    assert len(overridden_settings("s", ours, rules)) == 2


def test_allowlist_matching_reports_unlisted_and_stale(tmp_path: Path) -> None:
    allowlist = tmp_path / "allowlist.yml"
    entries = [
        {"container": "lms", "key": "command", "kind": "different", "reason": "gunicorn: a deliberate choice here"},
        {"container": "lms", "key": "port", "kind": "different", "reason": "no longer differs, so this is stale"},
        {
            "container": "cms",
            "key": "port",
            "kind": "different",
            "reason": "only for another release",
            "releases": ["teak"],
        },
    ]
    allowlist.write_text(yaml.safe_dump({"entries": entries}))
    found = [Difference("lms", "command", "different"), Difference("lms", "user", "different")]
    unlisted, stale = check.match(found, check.load_allowlist(allowlist), CATALOG.get("ulmo"))
    assert unlisted == [Difference("lms", "user", "different")]
    assert [(e.container, e.key) for e in stale] == [("lms", "port")]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"container": "lms", "key": "env *", "kind": "missing", "reason": "a long enough reason here"}, "wildcards"),
        ({"container": "lms", "key": "port", "kind": "gone", "reason": "a long enough reason here"}, "kind"),
        ({"container": "lms", "key": "port", "kind": "missing", "reason": "short"}, "reason"),
    ],
)
def test_allowlist_refuses_wildcards_unknown_kinds_and_empty_reasons(tmp_path: Path, entry, message) -> None:
    allowlist = tmp_path / "allowlist.yml"
    allowlist.write_text(yaml.safe_dump({"entries": [entry]}))
    with pytest.raises(ValueError, match=message):
        check.load_allowlist(allowlist)


def test_the_reviewed_allowlist_is_well_formed_and_has_no_duplicates() -> None:
    entries = check.load_allowlist()
    keys = [(e.container, e.key, e.kind, e.releases) for e in entries]
    assert len(keys) == len(set(keys))
    for entry in entries:
        assert set(entry.releases) <= set(CATALOG.names()), entry


def test_each_release_pins_the_tutor_packages_of_its_images() -> None:
    for release in CATALOG.releases():
        assert release.tutor.major == release.tutor_version
        assert release.image.tag == release.tutor.tutor
        assert release.mfe_image.tag == release.tutor.tutor_mfe
        assert release.notes_image.tag == release.tutor.tutor_notes
    raw = CATALOG.get("ulmo").model_dump()
    raw["mfe_image"]["tag"] = "21.0.9"
    with pytest.raises(ValueError, match=r"mfe_image tag .21\.0\.9. must equal the pinned Tutor package version"):
        Release(**raw)
    raw = CATALOG.get("ulmo").model_dump()
    raw["tutor"]["tutor_notes"] = "22.0.0"
    with pytest.raises(ValueError, match="must belong to Tutor 21"):
        Release(**raw)
