"""Runs the comparison for one release and matches its differences against the reviewed allowlist."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from openedx_deploy.releases import Release

from . import ours, reference
from .model import Deployment, Difference, compare_containers, compare_settings, overridden_settings

HERE = Path(__file__).resolve().parent
KINDS = ("missing", "different", "extra")


def mapping() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((HERE / "mapping.yml").read_text())
    return loaded


def deployments(release: Release) -> tuple[Deployment, Deployment]:
    facts = mapping()
    ref_root = reference.render(release)
    ref = reference.load(ref_root, facts)
    env_dir = ref_root / "env"
    images = {
        "openedx": reference.dockerfile_defaults(env_dir / "build/openedx/Dockerfile", facts["base_images"]),
        "mfe": reference.dockerfile_defaults(env_dir / "plugins/mfe/build/mfe/Dockerfile", facts["base_images"]),
        "notes": reference.dockerfile_defaults(env_dir / "plugins/notes/build/notes/Dockerfile", facts["base_images"]),
    }
    mine = ours.load(ours.render_ours(release), images, facts)
    return ref, mine


def differences(ref: Deployment, mine: Deployment, facts: dict[str, Any]) -> list[Difference]:
    out: list[Difference] = []
    for name in facts["containers"]:
        if name == "proxy":
            continue  # nginx and Caddy share no configuration shape: compared by what they route, below
        out += compare_containers(name, ref.containers[name], mine.containers[name])
    out += _compare_routes(ref.routes, mine.routes)
    for service in ("lms", "cms", "notes"):
        equivalents = facts["settings_equivalents"].get(service, {})
        out += compare_settings(f"{service} settings", ref.settings[service], mine.settings[service], equivalents)
        overridden = facts.get("overridden_after_yaml", {}).get(service, {})
        out += overridden_settings(
            f"{service} settings", mine.settings[service], overridden, mine.after_yaml.get(service, set())
        )
    out += [Difference("jobs", job, "missing") for job in sorted(ref.jobs - mine.jobs)]
    out += [Difference("jobs", job, "extra") for job in sorted(mine.jobs - ref.jobs)]
    return sorted(set(out))


def _compare_routes(ref: dict[str, str], mine: dict[str, str]) -> list[Difference]:
    out = []
    for route, upstream in sorted(ref.items()):
        # A path ours does not route on its own goes where nginx sends it: the longest location prefix of it
        # (the site's root at least).
        served_by = mine.get(route) or mine.get(_serving_route(route, mine) or "")
        if served_by is None:
            out.append(Difference("proxy", f"route {route}", "missing", f"reference -> {upstream}"))
        elif served_by != upstream:
            out.append(
                Difference("proxy", f"route {route}", "different", f"reference -> {upstream}, ours -> {served_by}")
            )
    # Ours routes a path on its own where the reference does not, unless it is what serves a reference route.
    serving = {_serving_route(route, mine) for route in ref}
    for route, upstream in sorted(mine.items()):
        if route not in ref and route not in serving:
            out.append(Difference("proxy", f"route {route}", "extra", f"ours -> {upstream}"))
    return out


def _serving_route(route: str, mine: dict[str, str]) -> str | None:
    """Our route that answers `route` the way nginx picks a prefix location: the longest prefix of its path."""
    site, _, path = route.partition(":")
    prefixes = [r for r in mine if r.partition(":")[0] == site and path.startswith(r.partition(":")[2])]
    return max(prefixes, key=len, default=None)


@dataclass(frozen=True)
class Entry:
    container: str
    key: str
    kind: str
    reason: str
    releases: tuple[str, ...]

    @property
    def defect(self) -> bool:
        return self.reason.startswith("defect:")


def load_allowlist(path: Path = HERE / "allowlist.yml") -> list[Entry]:
    entries = []
    for raw in yaml.safe_load(path.read_text())["entries"]:
        unknown = set(raw) - {"container", "key", "kind", "reason", "releases"}
        if unknown:
            raise ValueError(f"allowlist entry {raw} has unknown fields {sorted(unknown)}")
        if raw["kind"] not in KINDS:
            raise ValueError(f"allowlist entry {raw}: kind must be one of {KINDS}")
        if any(ch in raw["key"] + raw["container"] for ch in "*?["):
            raise ValueError(f"allowlist entry {raw}: no wildcards, each entry names one difference")
        reason = str(raw.get("reason") or "").strip()
        if len(reason) < 20:
            raise ValueError(f"allowlist entry {raw}: the reason must say why (at least a sentence)")
        entries.append(Entry(raw["container"], raw["key"], raw["kind"], reason, tuple(raw.get("releases") or ())))
    return entries


def applies(entry: Entry, release: Release) -> bool:
    return not entry.releases or release.name in entry.releases


def match(found: list[Difference], entries: list[Entry], release: Release) -> tuple[list[Difference], list[Entry]]:
    """Differences no entry allows, and the release's entries no difference matches (stale)."""
    applicable = [entry for entry in entries if applies(entry, release)]
    keys = {(e.container, e.key, e.kind) for e in applicable}
    unlisted = [d for d in found if (d.container, d.key, d.kind) not in keys]
    seen = {(d.container, d.key, d.kind) for d in found}
    stale = [e for e in applicable if (e.container, e.key, e.kind) not in seen]
    return unlisted, stale
