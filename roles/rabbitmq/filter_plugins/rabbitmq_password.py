"""RabbitMQ's password hash, computed where the password already is (the controller), so that the broker learns its
users from a definitions file and no password reaches a command line (`rabbitmqctl add_user` would show it in `ps`,
and takes a password that begins with "-" for an option).

The algorithm is RabbitMQ's default, rabbit_password_hashing_sha256 (rabbitmq-server, deps/rabbit/src/
rabbit_password.erl; "Computing Password Hash" in https://www.rabbitmq.com/docs/passwords): base64 of a 4-byte salt
followed by SHA-256 of the salt and the UTF-8 password. The salt here comes from the user and the password (HMAC), not
from a random source, so the same password gives the same hash and a converge that changes nothing writes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any

HASHING_ALGORITHM = "rabbit_password_hashing_sha256"


def rabbitmq_password_hash(password: str, user: str) -> str:
    salt = hmac.new(user.encode(), password.encode(), hashlib.sha256).digest()[:4]
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


PERMISSIONS = {"configure": ".*", "write": ".*", "read": ".*"}


def rabbitmq_definitions(users: Iterable[Mapping[str, str]], vhost: str) -> dict[str, Any]:
    """The definitions `rabbitmqctl import_definitions` reads: the vhost, each client user with its password hash and
    no tags, and its configure/write/read permissions on the vhost."""
    users = list(users)
    return {
        "users": [
            {
                "name": user["name"],
                "password_hash": rabbitmq_password_hash(user["password"], user["name"]),
                "hashing_algorithm": HASHING_ALGORITHM,
                "tags": [],
            }
            for user in users
        ],
        "vhosts": [{"name": vhost}],
        "permissions": [{"user": user["name"], "vhost": vhost, **PERMISSIONS} for user in users],
    }


def rabbitmq_definitions_missing(exported: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """What of `wanted` the broker's exported definitions lack (a user, its hash, its permissions), one line each;
    empty when nothing needs importing. Compares only what `wanted` names."""
    have_users = {u.get("name"): u for u in exported.get("users") or []}
    have_permissions = {(p.get("user"), p.get("vhost")): p for p in exported.get("permissions") or []}
    missing = []
    for user in wanted["users"]:
        found = have_users.get(user["name"])
        if found is None:
            missing.append(f"user {user['name']}")
        elif (found.get("password_hash"), found.get("hashing_algorithm")) != (
            user["password_hash"],
            user["hashing_algorithm"],
        ):
            missing.append(f"password of {user['name']}")
    for permission in wanted["permissions"]:
        found = have_permissions.get((permission["user"], permission["vhost"]))
        if found is None or any(found.get(key) != permission[key] for key in PERMISSIONS):
            missing.append(f"permissions of {permission['user']} on {permission['vhost']}")
    return missing


class FilterModule:
    def filters(self) -> dict[str, object]:
        return {
            "rabbitmq_definitions": rabbitmq_definitions,
            "rabbitmq_definitions_missing": rabbitmq_definitions_missing,
        }
