"""`python manage.py <command>` of edx-notes-api as the Open edX contract test double offers it.

The real notes image (tutor-notes' Dockerfile) has edx-notes-api in /app/edx-notes-api, its working directory, with
Django's plain manage.py, which needs DJANGO_SETTINGS_MODULE (it sets no default). The deploy jobs run, as
tutor-notes' init does, `manage.py migrate` and then `manage.py shell -c` with the Meilisearch re-index of
`notesapi/v1/views/meilisearch.py` (edx-notes-api release/teak.3 to release/ulmo.3, the same file at each tag). The
double creates the notes table of the real migrations (app `v1`, table `v1_note`) in the notes database, records them
in django_migrations, sends the notes to Meilisearch as that reindex() does (openedx_double.meili's client), and
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
from openedx_double.meili import Client, MeilisearchApiError, MeilisearchError, exit_for
from openedx_double.migrations import Migration, apply_migrations

# Tutor-notes' init runs exactly this (and edx-notes-api's docstring of the module says so).
REINDEX = "from notesapi.v1.views.meilisearch import reindex; reindex()"
KNOWN_SHELL_SNIPPETS = {REINDEX: "meilisearch_reindex"}

# notesapi/v1/views/meilisearch.py (release/teak.3 to release/ulmo.3): the `Client` class reads its settings with
# getattr and these defaults (notesserver/settings/common.py defines none of them), creates the index with primary key
# `id` and makes its filterable attributes include FILTERABLES; it sets no searchable or sortable attributes.
# reindex() pages Note.objects.all() by 100 and add_documents() sends each page as NOTE_FIELDS.
NOTES_DEFAULT_URL = "http://meilisearch:7700"
NOTES_DEFAULT_INDEX = "student_notes"
NOTES_PRIMARY_KEY = "id"
NOTES_FILTERABLES = ["user_id", "course_id"]
NOTE_FIELDS = ("id", "user_id", "course_id", "text")
REINDEX_BATCH = 100
# meilisearch-python's wait_for_task(task_uid, timeout_in_ms=2000) after create_index.
CREATE_INDEX_TIMEOUT = 2.0

# The real migrations of the notes app (notesapi/v1/migrations), reduced to the table the API reads.
MIGRATIONS: list[Migration] = [
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
    try:
        with conn.cursor() as cur:
            return apply_migrations(cur, MIGRATIONS, "v1", out)
    finally:
        conn.close()


def notes_index_name(config: Mapping[str, Any]) -> str:
    return str(config.get("MEILISEARCH_INDEX", NOTES_DEFAULT_INDEX))


def notes_client(config: Mapping[str, Any]) -> Client:
    """`Client().meilisearch_client`: meilisearch.Client(MEILISEARCH_URL, MEILISEARCH_API_KEY), the notes defaults."""
    return Client(str(config.get("MEILISEARCH_URL", NOTES_DEFAULT_URL)), str(config.get("MEILISEARCH_API_KEY", "")))


def _notes_index(client: Client, name: str) -> None:
    """`Client().meilisearch_index`: get the index; on any API error (a missing index, but also a refused key) create
    it with primary key `id`, wait for the task, get it again; then add FILTERABLES to its filterable attributes when
    they are not all there, keeping the others."""
    try:
        client.request("GET", f"/indexes/{name}")
    except MeilisearchApiError:
        client.create_index(name, NOTES_PRIMARY_KEY, timeout=CREATE_INDEX_TIMEOUT)
        client.request("GET", f"/indexes/{name}")
    # meilisearch-python returns the settings task without waiting; the double waits so that a failure shows here.
    client.add_filterable_attributes(name, NOTES_FILTERABLES)


def note_documents(notes: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """add_documents()'s conversion: rows of (id, user_id, course_id, text) as Meilisearch documents."""
    return [dict(zip(NOTE_FIELDS, note, strict=True)) for note in notes]


def index_notes(config: Mapping[str, Any], notes: Sequence[Sequence[Any]]) -> int:
    """reindex() after its query: each page of REINDEX_BATCH notes through add_documents(), which, for a page with
    notes, builds a new Client, gets or creates and configures the index, and adds the documents. With no note, the
    one (empty) page makes no call: the real reindex() then neither reaches Meilisearch nor creates the index.
    Returns how many notes were sent."""
    for start in range(0, len(notes), REINDEX_BATCH):
        documents = note_documents(notes[start : start + REINDEX_BATCH])
        client = notes_client(config)
        name = notes_index_name(config)
        _notes_index(client, name)
        # meilisearch-python's add_documents does not wait either; the double does, so a refused batch fails the run.
        client.add_documents(name, documents)
    return len(notes)


def reindex(cur: Any, config: Mapping[str, Any]) -> int:
    """reindex(): Note.objects.all() needs the migrated table (a ProgrammingError otherwise); the notes, if any, go to
    the Meilisearch of the settings (index_notes). With notes and MEILISEARCH_ENABLED off, the notes role renders no
    Meilisearch URL or key: the client would not reach a server, so the double fails as that client would."""
    cur.execute("SHOW TABLES LIKE 'v1_note'")
    if cur.fetchone() is None:
        name = cfg.lookup(config, "DATABASES.default.NAME")
        raise SystemExit(f"ProgrammingError: (1146, \"Table '{name}.v1_note' doesn't exist\"): run migrate first")
    cur.execute("SELECT id, user_id, course_id, text FROM v1_note ORDER BY id")  # NOTE_FIELDS
    notes = list(cur.fetchall())
    if notes and not config.get("MEILISEARCH_ENABLED"):
        raise SystemExit(
            f"MeilisearchCommunicationError: {len(notes)} notes to index, but MEILISEARCH_ENABLED is off: the client "
            f"would call {config.get('MEILISEARCH_URL') or NOTES_DEFAULT_URL}"
        )
    try:
        return index_notes(config, notes)
    except MeilisearchError as error:
        raise exit_for(error) from None


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
    print(f"{action}: {notes} notes sent to Meilisearch (recorded by the Open edX contract test double)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except cfg.ConfigError as exc:
        print(f"ImproperlyConfigured: {exc}", file=sys.stderr)
        return 1
