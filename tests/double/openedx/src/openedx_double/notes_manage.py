"""`python manage.py <command>` of edx-notes-api as the Open edX contract test double offers it.

The real notes image (tutor-notes' Dockerfile) has edx-notes-api in /app/edx-notes-api, its working directory, with
Django's plain manage.py, which needs DJANGO_SETTINGS_MODULE (it sets no default). The deploy jobs run, as
tutor-notes' init does, `manage.py migrate` and then `manage.py shell -c` with the Meilisearch re-index of
`notesapi/v1/views/meilisearch.py` (edx-notes-api release/teak.3 to release/ulmo.1). The double creates the notes
table of the real migrations (app `v1`, table `v1_note`) in the notes database, records them in django_migrations, and
records each run; any other command or code is refused.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from openedx_double import config as cfg
from openedx_double import db

# Tutor-notes' init runs exactly this (and edx-notes-api's docstring of the module says so).
REINDEX = "from notesapi.v1.views.meilisearch import reindex; reindex()"
KNOWN_SHELL_SNIPPETS = {REINDEX: "meilisearch_reindex"}

# The real migrations of the notes app (notesapi/v1/migrations), reduced to the table the API reads.
MIGRATIONS: list[tuple[str, str, list[str]]] = [
    (
        "v1",
        "0001_initial",
        [
            """CREATE TABLE IF NOT EXISTS v1_note (
                id BIGINT AUTO_INCREMENT PRIMARY KEY,
                user_id VARCHAR(255) NOT NULL,
                course_id VARCHAR(255) NOT NULL,
                usage_id VARCHAR(255) NOT NULL,
                quote LONGTEXT NOT NULL,
                text LONGTEXT NOT NULL,
                ranges LONGTEXT NOT NULL,
                created DATETIME(6) NOT NULL,
                updated DATETIME(6) NOT NULL,
                INDEX v1_note_user_id (user_id),
                INDEX v1_note_course_id (course_id))""",
            """CREATE TABLE IF NOT EXISTS openedx_double_command_log (
                id BIGINT AUTO_INCREMENT PRIMARY KEY,
                service VARCHAR(8) NOT NULL,
                command VARCHAR(100) NOT NULL,
                arguments TEXT NOT NULL,
                ran_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))""",
        ],
    ),
    ("v1", "0002_note_tags", ["ALTER TABLE v1_note ADD COLUMN tags LONGTEXT NOT NULL"]),
    ("v1", "0003_auto_20200703_1515", []),
]
DJANGO_MIGRATIONS_TABLE = """CREATE TABLE IF NOT EXISTS django_migrations (
    id INT AUTO_INCREMENT PRIMARY KEY,
    app VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    applied DATETIME(6) NOT NULL)"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manage.py", description="Open edX contract test double: edx-notes-api")
    sub = parser.add_subparsers(dest="command", required=True)
    migrate = sub.add_parser("migrate")
    migrate.add_argument("app_label", nargs="?")
    migrate.add_argument("--database", default="default")
    migrate.add_argument("--noinput", "--no-input", action="store_true")
    shell = sub.add_parser("shell")
    shell.add_argument("-c", "--command", dest="code", required=True)
    return parser


def load_settings(environ: Mapping[str, str]) -> Mapping[str, Any]:
    """DJANGO_SETTINGS_MODULE imported as Django would: edx-notes-api's manage.py gives no default."""
    name = environ.get("DJANGO_SETTINGS_MODULE")
    if not name:
        raise cfg.ConfigError(
            "Requested settings, but settings are not configured: DJANGO_SETTINGS_MODULE is not set "
            "(edx-notes-api's manage.py has no default)"
        )
    try:
        module = importlib.import_module(name)
    except cfg.ConfigError:
        raise
    except Exception as exc:  # the real process would stop on any error in its settings
        raise cfg.ConfigError(f"DJANGO_SETTINGS_MODULE={name}: {type(exc).__name__}: {exc}") from exc
    config = getattr(module, "CONFIG", None)
    if not isinstance(config, Mapping):
        raise cfg.ConfigError(f"DJANGO_SETTINGS_MODULE={name} is not a notes settings module of the double")
    return config


def migrate(config: Mapping[str, Any], out: Any) -> int:
    """Apply the pending migrations (yaml_config's DB_MIGRATION_* overrides honoured); returns how many ran."""
    conn = db.connect(config, for_migration=True)
    applied_now = 0
    try:
        with conn.cursor() as cur:
            cur.execute(DJANGO_MIGRATIONS_TABLE)
            cur.execute("SELECT app, name FROM django_migrations")
            done = {(app, name) for app, name in cur.fetchall()}
            out.write("Operations to perform:\n  Apply all migrations: v1\nRunning migrations:\n")
            for app, name, statements in MIGRATIONS:
                if (app, name) in done:
                    continue
                out.write(f"  Applying {app}.{name}...")
                for statement in statements:
                    cur.execute(statement)
                cur.execute("INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, NOW(6))", (app, name))
                out.write(" OK\n")
                applied_now += 1
            if not applied_now:
                out.write("  No migrations to apply.\n")
    finally:
        conn.close()
    return applied_now


def reindex(cur: Any, config: Mapping[str, Any]) -> int:
    """What reindex() needs before it calls Meilisearch: the migrated table (Note.objects.all() reads it), and, with
    notes to index, a Meilisearch backend to send them to. The double calls no search engine: it counts them."""
    cur.execute("SHOW TABLES LIKE 'v1_note'")
    if cur.fetchone() is None:
        name = cfg.lookup(config, "DATABASES.default.NAME")
        raise SystemExit(f"ProgrammingError: (1146, \"Table '{name}.v1_note' doesn't exist\"): run migrate first")
    cur.execute("SELECT COUNT(*) FROM v1_note")
    (count,) = cur.fetchone()
    if count and not config.get("MEILISEARCH_ENABLED"):
        raise SystemExit(
            f"MeilisearchCommunicationError: {count} notes to index, but MEILISEARCH_ENABLED is off: the client would "
            f"call {config.get('MEILISEARCH_URL') or 'http://meilisearch:7700'}"
        )
    return int(count)


def run(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    args = _parser().parse_args(argv)
    config = load_settings(env)
    if args.command == "migrate":
        if args.database != "default":
            raise SystemExit(f"CommandError: edx-notes-api has only the 'default' database, not {args.database!r}")
        migrate(config, sys.stdout)
        return 0
    action = KNOWN_SHELL_SNIPPETS.get(args.code.strip())
    if action is None:
        raise SystemExit(
            "CommandError: the Open edX contract test double cannot execute arbitrary code; "
            f"known snippets: {sorted(KNOWN_SHELL_SNIPPETS)}"
        )
    conn = db.connect(config)
    try:
        with conn.cursor() as cur:
            notes = reindex(cur, config)
            cur.execute(
                "INSERT INTO openedx_double_command_log (service, command, arguments) VALUES (%s, %s, %s)",
                ("notes", "shell", json.dumps({"action": action, "notes": notes}, sort_keys=True)),
            )
    finally:
        conn.close()
    print(f"{action}: {notes} notes (recorded by the Open edX contract test double; it calls no search engine)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except cfg.ConfigError as exc:
        print(f"ImproperlyConfigured: {exc}", file=sys.stderr)
        return 1
