"""`python manage.py <lms|cms> <command>` of the Open edX contract test double.

It accepts the management commands openedx-deploy's jobs run against the real image (migrate, check,
manage_user, create_dot_application, waffle_flag, populate_retirement_states, load_policies, reindex_studio,
reindex_course, and through `shell -c` the search index creation, the Site rename, create_dot_application with
its arguments in OPENEDX_DEPLOY_DOT_ARGS and the platform's Meilisearch API key), performs their effect on MySQL in a
simplified schema (load_policies, reindex_course and the Site rename: recorded only), does what the search jobs
(reindex_studio, the search index creation, the API key) do to Meilisearch over HTTP (openedx_double.content_search),
and records each run, so tests can prove the jobs ran with the right arguments.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import shlex
import sys
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from openedx_double import config as cfg
from openedx_double import content_search, db, migrations
from openedx_double.meili import MeilisearchError, exit_for

DOT_ARGS_VARIABLE = "OPENEDX_DEPLOY_DOT_ARGS"
# How openedx_jobs creates an OAuth application without its client secret on a command line: the same text as the
# role's _openedx_jobs_dot_snippet (roles/openedx_jobs/vars/main.yml).
DOT_FROM_ENVIRONMENT = (
    "import os, shlex; from django.core.management import call_command; "
    f'call_command("create_dot_application", *shlex.split(os.environ["{DOT_ARGS_VARIABLE}"]))'
)
# How openedx_jobs names the Site of SITE_ID after the LMS domain: the same text as the role's
# _openedx_jobs_site_snippet. The double has no Site table: the run is recorded only.
SITE_FROM_SETTINGS = (
    "from django.conf import settings; from django.contrib.sites.models import Site; "
    "taken = Site.objects.filter(domain=settings.LMS_BASE).exists(); "
    'taken or Site.objects.filter(pk=settings.SITE_ID, domain="example.com").update(domain=settings.LMS_BASE, '
    'name="{:.50}".format(settings.LMS_BASE))'
)
MEILISEARCH_MASTER_KEY_VARIABLE = "OPENEDX_DEPLOY_MEILISEARCH_MASTER_KEY"
MEILISEARCH_KEY_UID_VARIABLE = "OPENEDX_DEPLOY_MEILISEARCH_KEY_UID"
# How openedx_jobs creates the platform's Meilisearch API key: the same text as the role's
# _openedx_jobs_meilisearch_key_snippet. The double checks locally what Meilisearch and the code would refuse, then
# does what the code does against the server (content_search.ensure_api_key) and records the run.
MEILISEARCH_KEY_FROM_ENVIRONMENT = (
    "import os, meilisearch; from django.conf import settings; "
    f'client = meilisearch.Client(settings.MEILISEARCH_URL, os.environ["{MEILISEARCH_MASTER_KEY_VARIABLE}"]); '
    f'uid = os.environ["{MEILISEARCH_KEY_UID_VARIABLE}"]; indexes = [settings.MEILISEARCH_INDEX_PREFIX + "*"]; '
    'found = [key for key in client.get_keys({"limit": 1000}).results if key.uid == uid]; '
    "stale = bool(found) and found[0].indexes != indexes; stale and client.delete_key(uid); "
    'key = found[0] if found and not stale else client.create_key({"uid": uid, "name": "openedx-deploy platform", '
    '"description": "The Open edX platform and notes API, on the indexes of their prefix", "actions": ["*"], '
    '"indexes": indexes, "expiresAt": None}); '
    'assert key.key == settings.MEILISEARCH_API_KEY, "MEILISEARCH_API_KEY is not the key of uid " + uid'
)
# `shell -c` code the jobs are known to run; anything else is refused, since the double cannot run edx-platform code.
KNOWN_SHELL_SNIPPETS = {
    "import search.meilisearch; search.meilisearch.create_indexes()": "search_create_indexes",
    DOT_FROM_ENVIRONMENT: "create_dot_application",
    SITE_FROM_SETTINGS: "rename_default_site",
    MEILISEARCH_KEY_FROM_ENVIRONMENT: "meilisearch_api_key",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manage.py", description="Open edX contract test double: manage.py")
    parser.add_argument("service", choices=cfg.SERVICES)
    parser.add_argument("--settings", help="accepted for compatibility; the double reads <SERVICE>_CFG only")
    sub = parser.add_subparsers(dest="command", required=True)

    migrate = sub.add_parser("migrate")
    migrate.add_argument("app_label", nargs="?")
    migrate.add_argument("--database", default="default")
    migrate.add_argument("--noinput", "--no-input", action="store_true")

    check = sub.add_parser("check")
    check.add_argument("--database", action="append", default=[])
    check.add_argument("--deploy", action="store_true")

    user = sub.add_parser("manage_user")
    user.add_argument("username")
    user.add_argument("email")
    user.add_argument("--staff", action="store_true")
    user.add_argument("--superuser", action="store_true")
    user.add_argument("--unusable-password", action="store_true")
    user.add_argument("--initial-password-hash")

    dot = sub.add_parser("create_dot_application")
    dot.add_argument("name")
    dot.add_argument("username")
    dot.add_argument(
        "--grant-type",
        default="client-credentials",
        choices=["authorization-code", "client-credentials", "implicit", "password"],
    )
    dot.add_argument("--redirect-uris", default="")
    dot.add_argument("--client-id")
    dot.add_argument("--client-secret")
    dot.add_argument("--scopes", default="")
    dot.add_argument("--public", action="store_true")
    dot.add_argument("--skip-authorization", action="store_true")
    dot.add_argument("--update", action="store_true")

    # django-waffle's waffle_flag (the options the jobs use; the real one's others are refused here).
    waffle = sub.add_parser("waffle_flag")
    waffle.add_argument("name", nargs="?")
    waffle.add_argument("-l", "--list", action="store_true", dest="list_flags")
    waffle.add_argument("--everyone", action="store_true", dest="everyone")
    waffle.add_argument("--deactivate", action="store_false", dest="everyone")
    waffle.add_argument("--create", action="store_true")
    waffle.set_defaults(everyone=None)

    retirement = sub.add_parser("populate_retirement_states")
    retirement.add_argument("--dry_run", action="store_true")

    # openedx-authz's load_policies (Ulmo+).
    policies = sub.add_parser("load_policies")
    policies.add_argument("--policy-file-path")
    policies.add_argument("--model-file-path")
    policies.add_argument("--clear-existing", action="store_true")

    # Studio's Meilisearch content index (edx-platform content/search); --experimental is required by Teak/Ulmo's
    # command and ignored by later ones, so the double accepts it either way.
    studio_index = sub.add_parser("reindex_studio")
    for option in ("--experimental", "--reset", "--init", "--incremental"):
        studio_index.add_argument(option, action="store_true")

    course_index = sub.add_parser("reindex_course")
    course_index.add_argument("course_ids", nargs="*", metavar="course_id")
    for option in ("--all", "--active", "--setup", "--warning"):
        course_index.add_argument(option, action="store_true")

    shell = sub.add_parser("shell")
    shell.add_argument("-c", "--command", dest="code", required=True)
    return parser


def dot_call_command(service: str, environ: Mapping[str, str]) -> argparse.Namespace:
    """The create_dot_application that DOT_FROM_ENVIRONMENT calls. Django's call_command parses string arguments with
    the command's own parser, as if they came from a command line, so the double parses them with its
    create_dot_application parser; without the variable the real code stops with a KeyError, and so does this."""
    if DOT_ARGS_VARIABLE not in environ:
        raise SystemExit(f"KeyError: {DOT_ARGS_VARIABLE!r} (the `shell -c` code reads it from the environment)")
    return _parser().parse_args([service, "create_dot_application", *shlex.split(environ[DOT_ARGS_VARIABLE])])


def meilisearch_api_key(config: Mapping[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """MEILISEARCH_KEY_FROM_ENVIRONMENT. First what it needs to succeed against a real Meilisearch: the settings it
    reads (an AttributeError of django.conf.settings otherwise), its two variables (a KeyError), a uid Meilisearch
    accepts (a UUID; `invalid_api_key_uid` otherwise) and, in the end, a key equal to MEILISEARCH_API_KEY: Meilisearch
    makes a key's value HMAC-SHA256 of its uid (lowercase, hyphenated) keyed with the master key, in hex
    (meilisearch/meilisearch crates/meilisearch-auth/src/store.rs, `generate_key_as_hexa`). Then the snippet's calls
    against the server at MEILISEARCH_URL with the master key. Returns what is recorded: the uid and the indexes the
    key is restricted to, never the master key."""
    for setting in ("MEILISEARCH_URL", "MEILISEARCH_INDEX_PREFIX", "MEILISEARCH_API_KEY"):
        if setting not in config:
            raise SystemExit(f"AttributeError: 'Settings' object has no attribute {setting!r}")
    for variable in (MEILISEARCH_MASTER_KEY_VARIABLE, MEILISEARCH_KEY_UID_VARIABLE):
        if variable not in environ:
            raise SystemExit(f"KeyError: {variable!r} (the `shell -c` code reads it from the environment)")
    uid = environ[MEILISEARCH_KEY_UID_VARIABLE]
    try:
        canonical = str(uuid.UUID(uid))
    except ValueError:
        raise SystemExit(f"MeilisearchApiError: invalid_api_key_uid: `{uid}` is not a valid uuid v4") from None
    master = environ[MEILISEARCH_MASTER_KEY_VARIABLE].encode()
    key = hmac.new(master, canonical.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(key, str(config["MEILISEARCH_API_KEY"])):
        raise SystemExit(f"AssertionError: MEILISEARCH_API_KEY is not the key of uid {uid}")
    indexes = [f"{config['MEILISEARCH_INDEX_PREFIX']}*"]
    try:
        content_search.ensure_api_key(
            str(config["MEILISEARCH_URL"]), environ[MEILISEARCH_MASTER_KEY_VARIABLE], uid, indexes, key
        )
    except AssertionError as error:
        raise SystemExit(f"AssertionError: {error}") from None
    return {"action": "meilisearch_api_key", "uid": canonical, "indexes": indexes}


def _log(cur: Any, service: str, command: str, arguments: dict[str, Any]) -> None:
    safe = {k: ("********" if "secret" in k or "password" in k else v) for k, v in arguments.items()}
    cur.execute(
        "INSERT INTO openedx_double_command_log (service, command, arguments) VALUES (%s, %s, %s)",
        (service, command, json.dumps(safe, sort_keys=True)),
    )


def _manage_user(cur: Any, args: argparse.Namespace) -> None:
    cur.execute(
        "INSERT INTO auth_user (username, email, is_staff, is_superuser, has_usable_password) "
        "VALUES (%s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE email=VALUES(email), is_staff=VALUES(is_staff), "
        "is_superuser=VALUES(is_superuser), has_usable_password=VALUES(has_usable_password)",
        (args.username, args.email, args.staff, args.superuser, not args.unusable_password),
    )


def _create_dot_application(cur: Any, args: argparse.Namespace) -> None:
    cur.execute("SELECT id FROM auth_user WHERE username = %s", (args.username,))
    row = cur.fetchone()
    if row is None:
        raise SystemExit(f"CommandError: user {args.username!r} does not exist (run manage_user first)")
    cur.execute("SELECT id FROM oauth2_provider_application WHERE name = %s", (args.name,))
    if cur.fetchone() is not None and not args.update:
        print(f"Application {args.name!r} already exists; pass --update to change it")
        return
    values = (
        args.name,
        args.client_id or args.name,
        args.client_secret or "",
        "public" if args.public else "confidential",
        args.grant_type,
        args.redirect_uris,
        args.skip_authorization,
        args.scopes,
        row[0],
    )
    cur.execute(
        "INSERT INTO oauth2_provider_application (name, client_id, client_secret, client_type, "
        "authorization_grant_type, redirect_uris, skip_authorization, scopes, user_id) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON DUPLICATE KEY UPDATE client_id=VALUES(client_id), "
        "client_secret=VALUES(client_secret), client_type=VALUES(client_type), "
        "authorization_grant_type=VALUES(authorization_grant_type), redirect_uris=VALUES(redirect_uris), "
        "skip_authorization=VALUES(skip_authorization), scopes=VALUES(scopes), user_id=VALUES(user_id)",
        values,
    )


# edx-platform's default settings.RETIREMENT_STATES (lms/envs/common.py), which populate_retirement_states mirrors.
RETIREMENT_STATES = [
    "PENDING",
    "LOCKING_ACCOUNT",
    "LOCKING_COMPLETE",
    "RETIRING_FORUMS",
    "FORUMS_COMPLETE",
    "RETIRING_EMAIL_LISTS",
    "EMAIL_LISTS_COMPLETE",
    "RETIRING_ENROLLMENTS",
    "ENROLLMENTS_COMPLETE",
    "RETIRING_NOTES",
    "NOTES_COMPLETE",
    "RETIRING_LMS",
    "LMS_COMPLETE",
    "ERRORED",
    "ABORTED",
    "COMPLETE",
]
RETIREMENT_END_STATES = ["ERRORED", "ABORTED", "COMPLETE"]


def _waffle_flag(cur: Any, args: argparse.Namespace) -> bool:
    """django-waffle's waffle_flag: --list prints the flags as `NAME: <name>` blocks; otherwise --create makes a
    missing flag, a missing one without it is an error, and --everyone/--deactivate set it. Returns whether it
    changed something (a --list changes nothing and is not recorded)."""
    if args.list_flags:
        print("Flags:")
        cur.execute("SELECT name, everyone FROM waffle_flag ORDER BY id")
        for name, everyone in cur.fetchall():
            print(f"NAME: {name}")
            print(f"EVERYONE: {None if everyone is None else bool(everyone)}")
            print("")
        return False
    if not args.name:
        raise SystemExit("CommandError: You need to specify a flag name.")
    cur.execute("SELECT id FROM waffle_flag WHERE name = %s", (args.name,))
    if cur.fetchone() is None:
        if not args.create:
            raise SystemExit("CommandError: This flag does not exist.")
        print(f"Creating flag: {args.name}")
        cur.execute("INSERT INTO waffle_flag (name, everyone) VALUES (%s, NULL)", (args.name,))
    cur.execute("UPDATE waffle_flag SET everyone = %s WHERE name = %s", (args.everyone, args.name))
    return True


def _populate_retirement_states(cur: Any, args: argparse.Namespace) -> None:
    """Mirror RETIREMENT_STATES into the table, execution order 1, 11, 21 ... as the real command does."""
    if args.dry_run:
        return
    cur.execute("DELETE FROM user_api_retirementstate WHERE state_name NOT IN %s", (RETIREMENT_STATES,))
    cur.execute("UPDATE user_api_retirementstate SET state_execution_order = state_execution_order + 500")
    for position, state in enumerate(RETIREMENT_STATES):
        cur.execute(
            "INSERT INTO user_api_retirementstate (state_name, state_execution_order, is_dead_end_state, required) "
            "VALUES (%s, %s, %s, %s) ON DUPLICATE KEY UPDATE state_execution_order = VALUES(state_execution_order)",
            (state, 1 + 10 * position, state in RETIREMENT_END_STATES, state in ["PENDING", *RETIREMENT_END_STATES]),
        )


def run(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    config = cfg.load_config(args.service)
    cfg.load_settings_module(args.service)
    if args.command == "migrate":
        if args.database != "default":
            raise SystemExit(f"CommandError: the double knows only the 'default' database, not {args.database!r}")
        migrations.migrate(config, sys.stdout)
        return 0
    if args.command == "check":
        conn = db.connect(config)
        with conn.cursor() as cur:
            cur.execute("SELECT DATABASE()")
            (name,) = cur.fetchone()
        conn.close()
        print(f"System check identified no issues (0 silenced). database={name}")
        return 0
    if args.command == "load_policies":
        # The real command reads Casbin files (the package's own by default): a named one that is missing fails.
        for path in (args.policy_file_path, args.model_file_path):
            if path is not None and not os.path.isfile(path):
                raise SystemExit(f"OSError: {path!r} does not exist")
    if args.command == "reindex_studio" and config.get("MEILISEARCH_ENABLED") is not True:
        raise SystemExit(
            "CommandError: Meilisearch is not enabled. Please set MEILISEARCH_ENABLED to True in your settings."
        )
    if args.command == "reindex_course" and bool(args.course_ids) == (args.all or args.active or args.setup):
        raise SystemExit(
            "CommandError: reindex_course requires one or more <course_id>s OR the --all, --active or --setup flags."
        )
    action = None
    if args.command == "shell":
        action = KNOWN_SHELL_SNIPPETS.get(args.code.strip())
        if action is None:
            raise SystemExit(
                "CommandError: the Open edX contract test double cannot execute arbitrary code; "
                f"known snippets: {sorted(KNOWN_SHELL_SNIPPETS)}"
            )
        if action == "create_dot_application":
            # The same effect and record as `manage.py lms create_dot_application ...`.
            args, action = dot_call_command(args.service, os.environ), None
    arguments = {k: v for k, v in vars(args).items() if k not in ("service", "command", "settings")}
    try:
        if action == "meilisearch_api_key":
            arguments = meilisearch_api_key(config, os.environ)
        elif action == "search_create_indexes":
            content_search.create_indexes(config)
        elif args.command == "reindex_studio":
            content_search.reindex_studio(
                config,
                reset=args.reset,
                init=args.init,
                incremental=args.incremental,
                status=print,
                warn=lambda text: print(text, file=sys.stderr),
            )
    except MeilisearchError as error:
        raise exit_for(error) from None
    if action is not None and action != "meilisearch_api_key":
        arguments = {"action": action}
    conn = db.connect(config)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW TABLES LIKE 'openedx_double_command_log'")
            if cur.fetchone() is None:
                raise SystemExit("CommandError: tables are missing; run `manage.py <lms|cms> migrate` first")
            if args.command == "manage_user":
                _manage_user(cur, args)
            elif args.command == "create_dot_application":
                _create_dot_application(cur, args)
            elif args.command == "waffle_flag" and not _waffle_flag(cur, args):
                return 0
            elif args.command == "populate_retirement_states":
                _populate_retirement_states(cur, args)
            _log(cur, args.service, args.command, arguments)
    finally:
        conn.close()
    print(f"{args.command}: done (recorded by the Open edX contract test double)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except cfg.ConfigError as exc:
        print(f"ImproperlyConfigured: {exc}", file=sys.stderr)
        return 1
