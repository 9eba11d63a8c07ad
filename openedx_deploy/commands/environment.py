"""`init`, `validate`, `render`, `schema`: create an environment file with its secrets, check it, render its files,
print its JSON Schema."""

from __future__ import annotations

from pathlib import Path

import click

from ..context import AppContext, env_option, pass_app
from ..errors import UsageError

# The domain modules (spec, secrets, render: pydantic, Ansible's vault, Jinja) are imported inside the commands,
# so that `--help` and shell completion do not pay for them.

CLOUDS = ("aws", "gcp", "azure", "local")
SIZES = ("single", "standard", "ha")


def _domains(name: str, domain: str | None) -> dict[str, str]:
    # LMS on the domain itself, Studio and the MFEs on sub-domains, as Open edX deployments usually do.
    base = domain or f"{name}.openedx.test"
    return {"lms": base, "studio": f"studio.{base}", "mfe": f"apps.{base}"}


def environment_file_text(name: str, cloud: str, release: str, size: str, domain: str | None) -> str:
    from ..releases import load_catalog
    from ..templating import templates

    return templates.get_template("environment.yml.j2").render(
        name=name,
        cloud=cloud,
        region=None,
        release=release,
        releases=load_catalog().names(),
        size=size,
        domains=_domains(name, domain),
        # Local hosts cannot pass an ACME challenge; on a cloud the load balancer holds the certificate.
        tls_mode="self_signed" if cloud == "local" else "cloud",
    )


@click.command()
@click.argument("name")
@click.option("--cloud", required=True, type=click.Choice(CLOUDS), help="where the environment runs")
@click.option("--release", default=None, help="Open edX release (default: the newest supported)")
@click.option("--domain", default=None, help="LMS domain; Studio and MFEs get studio.DOMAIN and apps.DOMAIN")
@click.option("--size", default=None, type=click.Choice(SIZES), help="size profile  [default: single]")
@pass_app
def init(app: AppContext, name: str, cloud: str, release: str | None, domain: str | None, size: str | None) -> None:
    """Write environments/NAME.yml (commented) and generate its encrypted secrets.

    Run again, it keeps the file as it is (and adds any secret it lacks) when the file agrees with the options given,
    so a script can run `init` then `up` every time; a file that disagrees is refused, never overwritten.

    \b
    Examples:
      openedx-deploy init demo --cloud local
      openedx-deploy init prod --cloud aws --release ulmo --domain learn.example.org --size standard
    """
    import yaml

    from ..releases import load_catalog
    from ..secrets import ensure_secrets, resolve_vault
    from ..spec import parse_spec
    from .documents import InitResult

    path = app.workdir.environment_file(name)
    if path.exists():
        _keep_existing(app, name, {"cloud": cloud, "release": release, "size": size, "domain": domain})
        return
    catalog = load_catalog()
    release = release or catalog.default.name
    text = environment_file_text(name, cloud, release, size or "single", domain)
    # Validate before writing anything: a bad name, release or domain leaves no file behind.
    parse_spec(yaml.safe_load(text), source=str(path))
    app.lock(name, "init")
    vault = resolve_vault(
        app.workdir.default_vault_password_file, create=True, encrypted_files=app.workdir.secrets_files()
    )
    if path.exists():  # created by another init while this one validated
        raise UsageError(f"{path} exists; run `init` again to check it against the options, or remove it")
    not_ignored = app.workdir.ensure_gitignore()
    if not_ignored:
        app.out.info(f"Note: {app.workdir.gitignore} does not list {', '.join(not_ignored)}: keep them out of git")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    _, generated = ensure_secrets(app.workdir.secrets_file(name), vault)
    app.out.info(f"Wrote {path}")
    app.out.info(
        f"Secrets: {len(generated)} generated into {app.workdir.secrets_file(name)} (ansible-vault encrypted)"
        if generated
        else f"Secrets: kept the existing {app.workdir.secrets_file(name)}"
    )
    app.out.info(f"Next: edit it, then `openedx-deploy validate -e {name}` and `openedx-deploy render -e {name}`")
    app.out.result(
        InitResult(
            environment_file=str(path),
            secrets_file=str(app.workdir.secrets_file(name)),
            secrets_generated=list(generated),
        )
    )


def _keep_existing(app: AppContext, name: str, asked: dict[str, str | None]) -> None:
    """`init` of an environment whose file exists: kept when it agrees with every option given (secrets it lacks are
    generated), else refused naming what differs. Nothing in the file is ever rewritten."""
    from ..secrets import ensure_secrets, resolve_vault
    from .documents import InitResult

    path = app.workdir.environment_file(name)
    spec = app.load(name)  # validated, and locked: init is a locking command
    has = {"cloud": spec.cloud, "release": spec.release, "size": spec.size, "domain": spec.domains.lms}
    differ = [f"{key} {has[key]} (not {value})" for key, value in asked.items() if value not in (None, has[key])]
    if differ:
        raise UsageError(
            f"{path} exists with {', '.join(differ)}; edit it, or remove it to start over (its secrets are kept)"
        )
    vault = resolve_vault(
        app.workdir.default_vault_password_file, create=True, encrypted_files=app.workdir.secrets_files()
    )
    _, generated = ensure_secrets(app.workdir.secrets_file(name), vault)
    app.out.info(f"Kept {path}: it agrees with the options given ({spec.cloud}, {spec.release}, {spec.size})")
    if generated:
        app.out.info(f"Secrets: {len(generated)} missing ones generated into {app.workdir.secrets_file(name)}")
    app.out.result(
        InitResult(
            environment_file=str(path),
            secrets_file=str(app.workdir.secrets_file(name)),
            secrets_generated=list(generated),
            created=False,
        )
    )


@click.command()
@env_option
@pass_app
def validate(app: AppContext, env_name: str) -> None:
    """Check the environment file; print every problem with its field (exit 2).

    \b
    Examples:
      openedx-deploy validate -e demo
      OPENEDX_DEPLOY_ENV=demo openedx-deploy validate --output json
    """
    from ..spec import spec_to_dict
    from .documents import ValidateResult

    spec = app.load(env_name)
    app.out.info(f"{app.workdir.environment_file(env_name)}: valid ({spec.cloud}, {spec.release}, {spec.size})")
    app.out.result(ValidateResult(environment=spec_to_dict(spec)))


@click.command()
@env_option
@pass_app
def render(app: AppContext, env_name: str) -> None:
    """Write build/NAME/terraform/ and inventories/NAME/ from the environment file.

    \b
    Examples:
      openedx-deploy render -e demo
      openedx-deploy render -e prod --output json
    """
    from ..render import render_environment
    from ..secrets import ensure_secrets, resolve_vault
    from .documents import RenderResult

    spec = app.load(env_name)
    vault = resolve_vault(app.workdir.default_vault_password_file)
    secrets, generated = ensure_secrets(app.workdir.secrets_file(env_name), vault)
    if generated:
        app.out.info(f"Generated {len(generated)} missing secret(s) into the vault")
    result = render_environment(spec, app.workdir, secrets, vault)
    root = app.workdir.root

    def rel(path: Path) -> str:
        return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)

    for path in result.written:
        app.out.info(f"wrote      {rel(path)}")
    for path in result.unchanged:
        app.out.debug(f"unchanged  {rel(path)}")
    app.out.info(f"{len(result.written)} file(s) written, {len(result.unchanged)} unchanged")
    for note in result.waiting:
        app.out.info(f"waits for up: {note}")
    app.out.result(
        RenderResult(
            written=[rel(p) for p in result.written],
            unchanged=[rel(p) for p in result.unchanged],
            waiting=list(result.waiting),
        )
    )


@click.command(name="schema")
@pass_app
def schema_command(app: AppContext) -> None:
    """Print the environment file's JSON Schema (draft 2020-12), generated from the spec's model.

    Editors that read JSON Schemas complete and check environment files with it (for the YAML language server, a
    first line `# yaml-language-server: $schema=PATH`); `validate` checks what a schema cannot (the rules between
    fields). The published copy is docs/schemas/environment.schema.json. With --output json, the schema comes
    inside the command's result document.

    \b
    Examples:
      openedx-deploy schema > environment.schema.json
      openedx-deploy schema --output json
    """
    from ..fileschema import environment_schema, schema_text
    from .documents import SchemaResult

    if app.out.json:
        app.out.result(SchemaResult(environment_schema=environment_schema()))
        return
    # Not through rich: the schema is data, printed byte for byte as the published file holds it.
    click.echo(schema_text(), nl=False)


COMMANDS = [init, validate, render, schema_command]
