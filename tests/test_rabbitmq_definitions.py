"""The rabbitmq role's definitions filter (roles/rabbitmq/filter_plugins/rabbitmq_password.py): RabbitMQ's own password
hash, computed independently here from its documented algorithm; definitions that name each user, its hash and its
permissions; and the comparison that decides whether `rabbitmqctl import_definitions` runs. The broker accepting the
hashes is checked by molecule/rabbitmq (its clients log in with the passwords)."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

PLUGIN = Path(__file__).resolve().parents[1] / "roles" / "rabbitmq" / "filter_plugins" / "rabbitmq_password.py"


@pytest.fixture(scope="module")
def plugin() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rabbitmq_password", PLUGIN)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


USERS = [{"name": "lms", "password": "-starts-with-a-dash_0123"}, {"name": "cms", "password": "another-one-4567"}]


def test_the_hash_is_rabbitmqs_salted_sha256(plugin: ModuleType) -> None:
    """base64(salt + sha256(salt + utf8 password)), 4-byte salt (RabbitMQ's "Computing Password Hash")."""
    encoded = plugin.rabbitmq_password_hash("-starts-with-a-dash_0123", "lms")
    raw = base64.b64decode(encoded)
    salt, digest = raw[:4], raw[4:]
    assert len(raw) == 36 and digest == hashlib.sha256(salt + b"-starts-with-a-dash_0123").digest()
    assert plugin.rabbitmq_password_hash("-starts-with-a-dash_0123", "lms") == encoded, "stable: nothing to rewrite"
    assert plugin.rabbitmq_password_hash("-starts-with-a-dash_0123", "cms") != encoded


def test_the_definitions_hold_hashes_and_the_vhost_permissions_never_a_password(plugin: ModuleType) -> None:
    definitions = plugin.rabbitmq_definitions(USERS, "openedx")
    assert "starts-with-a-dash" not in repr(definitions) and "another-one" not in repr(definitions)
    assert [u["name"] for u in definitions["users"]] == ["lms", "cms"]
    assert {u["hashing_algorithm"] for u in definitions["users"]} == {"rabbit_password_hashing_sha256"}
    assert definitions["vhosts"] == [{"name": "openedx"}]
    assert {(p["user"], p["vhost"], p["configure"], p["write"], p["read"]) for p in definitions["permissions"]} == {
        ("lms", "openedx", ".*", ".*", ".*"),
        ("cms", "openedx", ".*", ".*", ".*"),
    }


def test_an_import_runs_only_for_what_the_broker_lacks(plugin: ModuleType) -> None:
    wanted = plugin.rabbitmq_definitions(USERS, "openedx")
    exported = {**wanted, "users": [*wanted["users"], {"name": "admin", "password_hash": "x"}]}
    assert plugin.rabbitmq_definitions_missing(exported, wanted) == []
    changed = plugin.rabbitmq_definitions([USERS[0], {"name": "cms", "password": "rotated-password-89"}], "openedx")
    assert plugin.rabbitmq_definitions_missing(exported, changed) == ["password of cms"]
    bare = {"users": [], "permissions": [{**wanted["permissions"][0], "write": "^$"}]}
    assert plugin.rabbitmq_definitions_missing(bare, wanted) == [
        "user lms",
        "user cms",
        "permissions of lms on openedx",
        "permissions of cms on openedx",
    ]
