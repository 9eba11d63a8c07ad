"""The environment file's JSON Schema, generated from the spec's pydantic model, and the README's field table,
generated from that schema: what `openedx-deploy schema` prints and docs/schemas/environment.schema.json publishes.

The model describes a resolved spec, where every field is present; the file leaves out what it does not change and
`null` asks for the default. The schema says so: only `name` and `cloud` are required (and `domains.lms` on a cloud),
and every field accepts null. What the schema cannot say (cross-field rules, the shape of a machine type per
cloud) `validate` checks.

`python -m openedx_deploy.fileschema [CHECKOUT]` rewrites both published copies; tests/test_fileschema.py fails when
either drifts from the model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path("docs/schemas/environment.schema.json")
README = Path("README.md")
TABLE_BEGIN = (
    "<!-- BEGIN environment fields: generated from the environment file's JSON Schema by "
    "`python -m openedx_deploy.fileschema`; edit the descriptions in openedx_deploy/spec.py, not here -->"
)
TABLE_END = "<!-- END environment fields -->"


def _accepts_null(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or any(_accepts_null(branch) for branch in schema.get("anyOf", ()))


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` or null (the file's null means the default), the description kept outside the branches."""
    if _accepts_null(schema):
        return schema
    inner = dict(schema)
    outer = {key: inner.pop(key) for key in ("description",) if key in inner}
    return {**outer, "anyOf": [inner, {"type": "null"}]}


def _drop_titles(schema: Any) -> Any:
    """Without the titles pydantic derives from names ("Machine Type" for machine_type): they only repeat them."""
    if isinstance(schema, dict):
        # A string `title` is the keyword; a field named title would hold a schema (a mapping), and stays.
        return {
            key: _drop_titles(value) for key, value in schema.items() if not (key == "title" and isinstance(value, str))
        }
    if isinstance(schema, list):
        return [_drop_titles(item) for item in schema]
    return schema


def environment_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an environment file."""
    from .releases import load_catalog
    from .spec import EnvironmentSpec

    model = EnvironmentSpec.model_json_schema(mode="validation")
    model["properties"]["release"]["enum"] = load_catalog().names()
    objects = [model, *model.get("$defs", {}).values()]
    for item in objects:
        item.pop("required", None)
        item["properties"] = {name: _nullable(field) for name, field in item["properties"].items()}
    description = model.pop("description", "")
    body = _drop_titles(model)
    body["required"] = ["name", "cloud"]
    # A cloud has no domain to default to: a made-up public one would break ACME.
    body["if"] = {"properties": {"cloud": {"enum": ["aws", "gcp", "azure"]}}, "required": ["cloud"]}
    body["then"] = {
        "required": ["domains"],
        "properties": {"domains": {"type": "object", "required": ["lms"], "properties": {"lms": {"type": "string"}}}},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "openedx-deploy environment file",
        "description": " ".join(description.split()),
        **body,
    }


def schema_text() -> str:
    """The schema as the published file holds it, and as `openedx-deploy schema` prints it."""
    return json.dumps(environment_schema(), indent=2, sort_keys=True) + "\n"


# --- the README's field table ------------------------------------------------------------------------------------


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """A field's own schema: the non-null branch, with a `$ref` followed."""
    branches = [b for b in schema.get("anyOf", [schema]) if b.get("type") != "null"]
    inner = branches[0] if len(branches) == 1 else schema
    ref = inner.get("$ref")
    if isinstance(ref, str):
        resolved: dict[str, Any] = root["$defs"][ref.rpartition("/")[2]]
        return resolved
    return inner


def _values(schema: dict[str, Any], root: dict[str, Any], depth: int = 0) -> str:
    inner = _resolve(schema, root)
    choices = inner["enum"] if "enum" in inner else [inner["const"]] if "const" in inner else None
    if choices is not None:
        return ", ".join(f"`{value}`" for value in choices)
    kind = inner.get("type")
    if kind == "object" and "properties" in inner:
        parts = []
        for name, field in inner["properties"].items():
            detail = _values(field, root, depth + 1) if depth == 0 else ""
            named = bool({"enum", "const", "properties"} & set(_resolve(field, root)))
            parts.append(f"`{name}` ({detail})" if detail and named else f"`{name}`")
        return ", ".join(parts)
    return {
        "string": "text",
        "integer": "a whole number",
        "boolean": "`true`, `false`",
        "array": "a list",
        "object": "a mapping of names to text",
    }.get(str(kind), "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def field_table(schema: dict[str, Any]) -> str:
    """The README's table of the file's top-level fields: what each holds, its values (nested fields with their
    choices) and its default, every cell from the schema."""
    lines = ["| field | what it holds | values | default |", "|---|---|---|---|"]
    required = set(schema.get("required", ()))
    for name, field in schema["properties"].items():
        description = field.get("description", "")
        what, marker, default = description.rpartition("; default ")
        if not marker:
            what, default = description.removesuffix("; required"), ""
        if name in required:
            default = "required"
        lines.append(f"| `{name}` | {_cell(what)} | {_cell(_values(field, schema))} | {_cell(default)} |")
    return "\n".join(lines) + "\n"


def readme_with_table(readme: str, table: str) -> str:
    """The README with the generated table between its markers."""
    begin = readme.index(TABLE_BEGIN) + len(TABLE_BEGIN)
    end = readme.index(TABLE_END)
    return readme[:begin] + "\n" + table + readme[end:]


def write(checkout: Path) -> list[Path]:
    """Rewrites the published schema and the README's table under `checkout`; returns the files written."""
    schema_file = checkout / SCHEMA_PATH
    schema_file.parent.mkdir(parents=True, exist_ok=True)
    schema_file.write_text(schema_text())
    readme = checkout / README
    readme.write_text(readme_with_table(readme.read_text(), field_table(environment_schema())))
    return [schema_file, readme]


if __name__ == "__main__":
    for written in write(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(written)
