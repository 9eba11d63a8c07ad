"""The one Jinja environment for the package's own templates (beside the code, StrictUndefined)."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .paths import PACKAGE_DIR

templates = Environment(
    loader=FileSystemLoader(str(PACKAGE_DIR / "templates")),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,  # noqa: S701 - renders HCL, YAML and Markdown, never HTML
)
