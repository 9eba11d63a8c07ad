"""MySQL access of the Open edX contract test double (DATABASES.default, or the DB_MIGRATION_* overrides)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pymysql

CONNECT_TIMEOUT = 3


def connect(config: Mapping[str, Any], *, for_migration: bool = False) -> pymysql.connections.Connection:
    db = dict(config["DATABASES"]["default"])
    if for_migration:
        # edx-platform lets the migration job use a DDL-capable account through these variables.
        db["USER"] = os.environ.get("DB_MIGRATION_USER", db["USER"])
        db["PASSWORD"] = os.environ.get("DB_MIGRATION_PASS", db["PASSWORD"])
    options = db.get("OPTIONS") or {}
    return pymysql.connect(
        host=str(db["HOST"]),
        port=int(db.get("PORT") or 3306),
        user=str(db["USER"]),
        password=str(db["PASSWORD"]),
        database=str(db["NAME"]),
        connect_timeout=int(options.get("connect_timeout", CONNECT_TIMEOUT)),
        read_timeout=30,
        write_timeout=30,
        autocommit=True,
        charset="utf8mb4",
    )
