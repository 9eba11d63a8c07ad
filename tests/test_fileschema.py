"""The environment file's JSON Schema: `openedx-deploy schema` prints the published copy, the README's field table is
generated from it, the files the tool writes and resolves pass it, and it never refuses a file the loader accepts."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from test_bad_input import FAST, FIELDS, GOOD, TEXTS, set_path

from openedx_deploy.cli import cli
from openedx_deploy.commands.environment import environment_file_text
from openedx_deploy.errors import SpecError
from openedx_deploy.fileschema import (
    README,
    SCHEMA_PATH,
    TABLE_BEGIN,
    TABLE_END,
    environment_schema,
    field_table,
    readme_with_table,
    schema_text,
)
from openedx_deploy.spec import EnvironmentSpec, parse_document, parse_spec, spec_to_dict

CHECKOUT = Path(__file__).resolve().parent.parent
REGENERATE = "python -m openedx_deploy.fileschema"
VALIDATOR = jsonschema.Draft202012Validator(environment_schema())


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env={"OPENEDX_DEPLOY_OUTPUT": None})


def test_the_command_prints_the_published_schema() -> None:
    result = invoke("schema")
    assert result.exit_code == 0, result.output
    published = (CHECKOUT / SCHEMA_PATH).read_text()
    assert result.stdout == published == schema_text(), f"{SCHEMA_PATH} drifted from the spec's model: {REGENERATE}"
    jsonschema.Draft202012Validator.check_schema(json.loads(published))


def test_with_output_json_the_schema_comes_in_the_result_document() -> None:
    for args in (("schema", "--output", "json"), ("--output", "json", "schema")):
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)
        assert (document["command"], document["ok"]) == ("schema", True)
        assert document["environment_schema"] == json.loads((CHECKOUT / SCHEMA_PATH).read_text())


def test_the_readme_field_table_is_generated_from_the_schema() -> None:
    readme = (CHECKOUT / README).read_text()
    assert TABLE_BEGIN in readme and TABLE_END in readme
    assert readme_with_table(readme, field_table(environment_schema())) == readme, f"README drifted: {REGENERATE}"


def test_every_field_of_the_spec_is_in_the_schema_with_a_description() -> None:
    schema = environment_schema()
    assert list(schema["properties"]) == list(EnvironmentSpec.model_fields)
    table = field_table(schema)
    for name, field in schema["properties"].items():
        assert field.get("description"), f"{name}: give it Field(description=...) in openedx_deploy/spec.py"
        assert "; default " in field["description"] or name in schema["required"], f"{name}: say its default"
        assert f"| `{name}` |" in table
    # The table lists nested fields from the model: it cannot name one that does not exist, or miss one.
    state_row = next(line for line in table.splitlines() if line.startswith("| `state` |"))
    for field in EnvironmentSpec.model_fields["state"].annotation.model_fields:  # type: ignore[union-attr]
        assert f"`{field}`" in state_row
    mysql_row = next(line for line in table.splitlines() if line.startswith("| `mysql` |"))
    assert "`flavor` (`mysql`)" in mysql_row and "mariadb" not in mysql_row


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure", "local"])
@pytest.mark.parametrize("size", ["single", "standard", "ha"])
def test_files_the_tool_writes_and_resolves_pass_the_schema(cloud: str, size: str) -> None:
    written = yaml.safe_load(environment_file_text("demo", cloud, "ulmo", size, "learn.example.com"))
    VALIDATOR.validate(written)
    VALIDATOR.validate(spec_to_dict(parse_spec(written)))  # every field present, as `validate --output json` shows


def test_null_asks_for_the_default_in_the_schema_as_in_the_loader() -> None:
    document = {**GOOD, "size": None, "zones": None, "mysql": {"mode": None}, "tiers": None}
    parse_spec(document)
    VALIDATOR.validate(document)


@pytest.mark.parametrize(
    "document",
    [
        {"cloud": "local"},
        {"name": "demo"},
        {"name": "demo", "cloud": "aws"},  # a cloud needs domains.lms
        {"name": "demo", "cloud": "aws", "domains": {"studio": "studio.example.com"}},
        {**GOOD, "bogus": 1},
        {**GOOD, "size": "huge"},
        {**GOOD, "release": "quince"},
        {**GOOD, "tiers": {"app": {"count": 0}}},
        {**GOOD, "mysql": {"mode": "sometimes"}},
        {**GOOD, "mysql": {"version": 8.4}},
        {**GOOD, "state": {"lock_tabel": "x"}},
        {**GOOD, "tags": {"team": 3}},
    ],
)
def test_the_schema_refuses_what_the_loader_refuses(document: dict[str, Any]) -> None:
    assert not VALIDATOR.is_valid(document)
    with pytest.raises(SpecError):
        parse_spec(document)


RESOLVED = spec_to_dict(parse_spec(GOOD))


@st.composite
def acceptable(draw: st.DrawFn) -> str:
    """A valid environment with fields set to null (the default) or to the value they resolve to, as YAML text."""
    document = copy.deepcopy(GOOD)
    for path in draw(st.lists(st.sampled_from(FIELDS), max_size=6)):
        resolved: Any = RESOLVED
        for key in path:
            resolved = resolved[key]
        set_path(document, path, draw(st.sampled_from([None, resolved])))
    return yaml.safe_dump(document)


@settings(FAST, max_examples=400)
@given(TEXTS | acceptable())
def test_the_schema_never_refuses_a_file_the_loader_accepts(text: str) -> None:
    """An editor that flags what `validate` accepts would teach people to ignore it."""
    try:
        data, _marks = parse_document(text, "generated.yml")
        parse_spec(data)
    except SpecError:
        return
    assert VALIDATOR.is_valid(data), list(VALIDATOR.iter_errors(data))
