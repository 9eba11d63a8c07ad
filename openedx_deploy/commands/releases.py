"""`releases`: the release catalog, as a table or JSON."""

from __future__ import annotations

import click

from ..context import AppContext, pass_app


@click.command(name="releases")
@pass_app
def releases_command(app: AppContext) -> None:
    """List the Open edX releases this tool deploys, with their versions and upgrade steps.

    \b
    Examples:
      openedx-deploy releases
      openedx-deploy releases --output json
    """
    from ..releases import load_catalog
    from .documents import ReleasesResult

    catalog = load_catalog()
    rows = catalog.as_rows()
    if app.out.json:
        app.out.result(ReleasesResult.model_validate({"releases": rows}))
        return
    # One column per release, one row per fact: readable in 80 columns however many facts the catalog grows.
    facts = [key for key in rows[0] if key not in ("name", "order")] if rows else []
    table = [[fact, *(", ".join(v) if isinstance(v := row[fact], list) else v for row in rows)] for fact in facts]
    app.out.table("Open edX releases", ["", *(row["name"] for row in rows)], table)


COMMANDS = [releases_command]
