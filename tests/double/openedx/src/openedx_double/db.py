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
        **tls_kwargs(options),
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


def tls_kwargs(options: Mapping[str, Any]) -> dict[str, Any]:
    """PyMySQL's TLS arguments for the OPTIONS Django hands mysqlclient (MySQLdb.connect): `ssl` (a dict: ca, cert,
    key) and `ssl_mode`. As libmysqlclient does, a CA alone verifies the chain (VERIFY_CA), VERIFY_IDENTITY the server's
    name or address as well; a CA file that does not exist fails the connection."""
    ssl = options.get("ssl") or {}
    mode = str(options.get("ssl_mode") or ssl.get("ssl_mode") or "").upper()
    if not ssl and not mode:
        return {}
    if mode == "DISABLED":
        return {}
    ca = ssl.get("ca")
    mode = mode or ("VERIFY_CA" if ca else "REQUIRED")
    kwargs: dict[str, Any] = {"ssl": {"ssl_mode": mode}}
    if ca:
        kwargs.update(ssl_ca=str(ca), ssl_verify_cert=mode != "REQUIRED", ssl_verify_identity=mode == "VERIFY_IDENTITY")
    elif mode in ("VERIFY_CA", "VERIFY_IDENTITY"):
        # libmysqlclient verifies against the system's CAs then.
        kwargs.update(ssl_verify_cert=True, ssl_verify_identity=mode == "VERIFY_IDENTITY")
    for key in ("cert", "key"):
        if ssl.get(key):
            kwargs[f"ssl_{key}"] = str(ssl[key])
    return kwargs
