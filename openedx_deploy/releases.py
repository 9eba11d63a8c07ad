"""The release catalog: typed, validated access to `data/releases.yml`, the one place versions live."""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from openedx_deploy.errors import DeployError, UsageError

SearchEngine = Literal["meilisearch", "elasticsearch", "opensearch"]
SEARCH_ENGINES: tuple[SearchEngine, ...] = ("meilisearch", "elasticsearch", "opensearch")

_VERSION = r"^\d+(\.\d+)*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImageRef(_Strict):
    repository: str = Field(min_length=1)
    tag: str = Field(min_length=1)

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}"


class SearchVersions(_Strict):
    default_engine: SearchEngine
    meilisearch: str = Field(pattern=_VERSION)
    elasticsearch: str = Field(pattern=_VERSION)
    opensearch: str = Field(pattern=_VERSION)


class TutorPins(_Strict):
    """The Tutor packages (PyPI) whose reference deployment the release's images come from.

    Tutor tags `overhangio/openedx` with its own version, tutor-mfe `overhangio/openedx-mfe` with its version and
    tutor-notes `overhangio/openedx-notes` with its version: the conformance suite renders these exact versions.
    """

    tutor: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    tutor_mfe: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    tutor_notes: str = Field(pattern=r"^\d+\.\d+\.\d+$")

    @property
    def major(self) -> str:
        return self.tutor.split(".")[0]

    def requirements(self) -> list[str]:
        """pip requirement strings for the reference renderer's virtualenv."""
        return [f"tutor=={self.tutor}", f"tutor-mfe=={self.tutor_mfe}", f"tutor-notes=={self.tutor_notes}"]


class UpgradeStep(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str = Field(min_length=1)


class Release(_Strict):
    name: str
    order: int = Field(ge=1)
    status: Literal["supported", "upgrade_only"]
    git_tag: str
    tutor_version: str = Field(pattern=r"^\d+$")
    tutor: TutorPins
    python: str = Field(pattern=_VERSION)
    image: ImageRef
    mfe_image: ImageRef
    notes_image: ImageRef
    mysql: str = Field(pattern=_VERSION)
    mongodb: str = Field(pattern=_VERSION)
    redis: str = Field(pattern=_VERSION)
    search: SearchVersions
    forum_backend: Literal["mysql", "mongodb"]
    upgrade_steps: list[UpgradeStep] = Field(default_factory=list)

    @model_validator(mode="after")
    def _tag_names_release(self) -> Release:
        # Since Teak, edx-platform tags its named releases release/<name>.<n> (no longer open-release/).
        if not re.fullmatch(rf"release/{re.escape(self.name)}\.\d+", self.git_tag):
            raise ValueError(f"git_tag {self.git_tag!r} must look like release/{self.name}.N")
        if not self.image.tag.startswith(f"{self.tutor_version}."):
            raise ValueError(f"image tag {self.image.tag!r} must belong to Tutor {self.tutor_version}")
        for package, version in self.tutor.model_dump().items():
            if version.split(".")[0] != self.tutor_version:
                raise ValueError(f"tutor.{package} {version!r} must belong to Tutor {self.tutor_version}")
        # Each image is tagged with the version of the Tutor package that builds it.
        for image, pinned in (
            ("image", self.tutor.tutor),
            ("mfe_image", self.tutor.tutor_mfe),
            ("notes_image", self.tutor.tutor_notes),
        ):
            tag = getattr(self, image).tag
            if tag != pinned:
                raise ValueError(f"{image} tag {tag!r} must equal the pinned Tutor package version {pinned!r}")
        return self

    @field_validator("upgrade_steps")
    @classmethod
    def _unique_steps(cls, steps: list[UpgradeStep]) -> list[UpgradeStep]:
        ids = [step.id for step in steps]
        if len(ids) != len(set(ids)):
            raise ValueError("upgrade step ids must be unique within a release")
        return steps

    @property
    def supported(self) -> bool:
        return self.status == "supported"

    def search_version(self, engine: str) -> str:
        """The version of `engine` this release runs against."""
        if engine not in SEARCH_ENGINES:
            raise UsageError(f"unknown search engine {engine!r}: use one of {', '.join(SEARCH_ENGINES)}")
        version: str = getattr(self.search, engine)
        return version

    def as_row(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "order": self.order,
            "status": self.status,
            "git_tag": self.git_tag,
            "tutor_version": self.tutor_version,
            "tutor_packages": self.tutor.requirements(),
            "python": self.python,
            "image": self.image.reference,
            "mfe_image": self.mfe_image.reference,
            "notes_image": self.notes_image.reference,
            "mysql": self.mysql,
            "mongodb": self.mongodb,
            "redis": self.redis,
            "search_engine": self.search.default_engine,
            "meilisearch": self.search.meilisearch,
            "elasticsearch": self.search.elasticsearch,
            "opensearch": self.search.opensearch,
            "forum_backend": self.forum_backend,
            "upgrade_steps": [step.id for step in self.upgrade_steps],
        }


class Catalog:
    """The named releases in upgrade order, and the rules for moving between them."""

    def __init__(self, releases: list[Release], default_release: str) -> None:
        self._releases = sorted(releases, key=lambda release: release.order)
        self._by_name = {release.name: release for release in self._releases}
        orders = [release.order for release in self._releases]
        if orders != list(range(1, len(orders) + 1)):
            raise DeployError(f"release catalog: orders must be 1..N without gaps, got {orders}")
        if default_release not in self._by_name:
            raise DeployError(f"release catalog: default release {default_release!r} is not in the catalog")
        if not self._by_name[default_release].supported:
            raise DeployError(f"release catalog: default release {default_release!r} is not supported")
        self.default_name = default_release

    def names(self) -> list[str]:
        """Release names, oldest first."""
        return [release.name for release in self._releases]

    def releases(self) -> list[Release]:
        return list(self._releases)

    def supported_names(self) -> list[str]:
        return [release.name for release in self._releases if release.supported]

    def get(self, name: str) -> Release:
        try:
            return self._by_name[name]
        except KeyError:
            raise UsageError(f"unknown release {name!r}: known releases are {', '.join(self.names())}") from None

    @property
    def default(self) -> Release:
        return self._by_name[self.default_name]

    def upgrade_path(self, from_: str, to: str) -> list[Release]:
        """The releases to upgrade through, in order; Open edX only supports one named release at a time."""
        current, target = self.get(from_), self.get(to)
        if target.order == current.order:
            raise UsageError(f"the environment already runs {current.name}: nothing to upgrade")
        if target.order < current.order:
            raise UsageError(
                f"downgrading is not supported ({current.name} -> {target.name}): "
                "restore the backup taken before the upgrade instead"
            )
        if target.order > current.order + 1:
            hops = self._releases[current.order - 1 : target.order]
            chain = ", then ".join(f"{a.name} -> {b.name}" for a, b in itertools.pairwise(hops))
            raise UsageError(f"upgrade one release at a time: {chain}")
        return [target]

    def as_rows(self) -> list[dict[str, Any]]:
        rows = [release.as_row() for release in self._releases]
        for row in rows:
            row["default"] = row["name"] == self.default_name
        return rows


def catalog_from_data(data: Any, source: str = "releases.yml") -> Catalog:
    """Build a catalog from the parsed YAML document (split out so tests can feed broken catalogs)."""
    if not isinstance(data, dict) or not isinstance(data.get("openedx_releases"), dict):
        raise DeployError(f"{source}: expected a mapping under 'openedx_releases'")
    releases: list[Release] = []
    problems: list[str] = []
    for name, fields in data["openedx_releases"].items():
        if not isinstance(fields, dict):
            problems.append(f"{name}: expected a mapping")
            continue
        try:
            releases.append(Release.model_validate({"name": name, **fields}))
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(part) for part in error["loc"])
                problems.append(f"{name}.{where}: {error['msg']}" if where else f"{name}: {error['msg']}")
    if problems:
        raise DeployError(f"{source} is not valid: " + "; ".join(problems))
    default = data.get("openedx_default_release")
    if not isinstance(default, str):
        raise DeployError(f"{source}: 'openedx_default_release' must name a release")
    return Catalog(releases, default)


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The packaged release catalog, parsed and validated once per process."""
    text = resources.files("openedx_deploy").joinpath("data/releases.yml").read_text(encoding="utf-8")
    return catalog_from_data(yaml.safe_load(text))
