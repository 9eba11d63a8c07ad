"""Schema the Open edX contract test double creates with `migrate`, recorded in django_migrations like Django."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openedx_double import db

# (app, name, statements). Table names match the real ones where the roles or tests look at them.
# (app, migration name, SQL statements), in the order Django applies them.
Migration = tuple[str, str, list[str]]

MIGRATIONS: list[Migration] = [
    (
        "openedx_double",
        "0001_initial",
        [
            """CREATE TABLE IF NOT EXISTS auth_user (
                id INT AUTO_INCREMENT PRIMARY KEY,
                username VARCHAR(150) NOT NULL UNIQUE,
                email VARCHAR(254) NOT NULL,
                is_staff BOOL NOT NULL DEFAULT 0,
                is_superuser BOOL NOT NULL DEFAULT 0,
                has_usable_password BOOL NOT NULL DEFAULT 1)""",
            """CREATE TABLE IF NOT EXISTS oauth2_provider_application (
                id BIGINT AUTO_INCREMENT PRIMARY KEY,
                name VARCHAR(255) NOT NULL UNIQUE,
                client_id VARCHAR(100) NOT NULL UNIQUE,
                client_secret VARCHAR(255) NOT NULL,
                client_type VARCHAR(32) NOT NULL,
                authorization_grant_type VARCHAR(32) NOT NULL,
                redirect_uris TEXT NOT NULL,
                skip_authorization BOOL NOT NULL,
                scopes VARCHAR(255) NOT NULL DEFAULT '',
                user_id INT NOT NULL)""",
            """CREATE TABLE IF NOT EXISTS openedx_double_task_result (
                id BIGINT AUTO_INCREMENT PRIMARY KEY,
                task_name VARCHAR(100) NOT NULL,
                token VARCHAR(255) NOT NULL,
                service VARCHAR(8) NOT NULL,
                queue VARCHAR(100) NOT NULL DEFAULT '',
                worker VARCHAR(255) NOT NULL,
                created DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))""",
            """CREATE TABLE IF NOT EXISTS openedx_double_command_log (
                id BIGINT AUTO_INCREMENT PRIMARY KEY,
                service VARCHAR(8) NOT NULL,
                command VARCHAR(100) NOT NULL,
                arguments TEXT NOT NULL,
                ran_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))""",
        ],
    ),
    (
        "openedx_double",
        "0002_waffle_flag_retirement_state",
        [
            """CREATE TABLE IF NOT EXISTS waffle_flag (
                id INT AUTO_INCREMENT PRIMARY KEY,
                name VARCHAR(100) NOT NULL UNIQUE,
                everyone BOOL NULL)""",
            """CREATE TABLE IF NOT EXISTS user_api_retirementstate (
                id INT AUTO_INCREMENT PRIMARY KEY,
                state_name VARCHAR(30) NOT NULL UNIQUE,
                state_execution_order SMALLINT NOT NULL UNIQUE,
                is_dead_end_state BOOL NOT NULL,
                required BOOL NOT NULL)""",
        ],
    ),
]

DJANGO_MIGRATIONS_TABLE = """CREATE TABLE IF NOT EXISTS django_migrations (
    id INT AUTO_INCREMENT PRIMARY KEY,
    app VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    applied DATETIME(6) NOT NULL)"""


def apply_migrations(cur: Any, migrations: Sequence[Migration], label: str, out: Any) -> int:
    """What `manage.py migrate` does with a list of migrations: applies those django_migrations does not record,
    records each, and prints Django's lines (`label` is the "Apply all migrations" line's app list). Returns how
    many ran."""
    cur.execute(DJANGO_MIGRATIONS_TABLE)
    cur.execute("SELECT app, name FROM django_migrations")
    done = {(app, name) for app, name in cur.fetchall()}
    out.write(f"Operations to perform:\n  Apply all migrations: {label}\nRunning migrations:\n")
    applied_now = 0
    for app, name, statements in migrations:
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
    return applied_now


def migrate(config: Mapping[str, Any], out: Any) -> int:
    """Apply pending migrations; returns how many ran (0 on a second run)."""
    conn = db.connect(config, for_migration=True)
    try:
        with conn.cursor() as cur:
            # LMS and CMS migrate jobs may overlap on several hosts; MySQL serialises them.
            cur.execute("SELECT GET_LOCK('openedx_double_migrate', 120)")
            (locked,) = cur.fetchone()
            if locked != 1:
                raise RuntimeError("could not take the migration lock within 120 s")
            try:
                applied_now = apply_migrations(cur, MIGRATIONS, "openedx_double", out)
            finally:
                cur.execute("SELECT RELEASE_LOCK('openedx_double_migrate')")
                cur.fetchone()
    finally:
        conn.close()
    return applied_now
