"""The /heartbeat of the Open edX contract test double: 200 only when every configured data store answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from openedx_double import config as cfg
from openedx_double import db

TIMEOUT = 3

Check = Callable[[], None]


def check_mysql(config: Mapping[str, Any]) -> None:
    conn = db.connect(config)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    finally:
        conn.close()


def check_redis(config: Mapping[str, Any]) -> None:
    import redis

    url = cfg.redis_url(config)
    kwargs: dict[str, Any] = {}
    use_ssl = cfg.broker_use_ssl(config)
    if url == cfg.broker_url(config) and isinstance(use_ssl, dict):
        kwargs.update(use_ssl)  # what kombu passes to redis-py for the broker's connections
    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT, **kwargs)
    try:
        if not client.ping():
            raise RuntimeError("PING did not answer PONG")
    finally:
        client.close()


def check_rabbitmq(config: Mapping[str, Any]) -> None:
    """Log in to the AMQP broker with the URL's user and password and open its vhost, as a Celery worker does first."""
    from kombu import Connection

    # BROKER_USE_SSL as the real workers hand it to kombu, and kombu to py-amqp: a broker of the environment's CA
    # is verified against it, so a wrong certificate fails here as it would fail the image's workers.
    use_ssl = cfg.broker_use_ssl(config)
    with Connection(cfg.broker_url(config), connect_timeout=TIMEOUT, ssl=use_ssl) as connection:
        connection.ensure_connection(max_retries=1)


def check_mongodb(config: Mapping[str, Any]) -> None:
    import pymongo

    store = config["DOC_STORE_CONFIG"]
    kwargs: dict[str, Any] = {
        "host": cfg.mongodb_hosts(config),
        "port": int(store.get("port") or 27017),
        "serverSelectionTimeoutMS": TIMEOUT * 1000,
        "connectTimeoutMS": TIMEOUT * 1000,
    }
    if store.get("user"):
        kwargs["username"] = store["user"]
        kwargs["password"] = store.get("password")
        kwargs["authSource"] = store.get("authsource") or store.get("db")
    if store.get("replicaSet"):
        kwargs["replicaset"] = store["replicaSet"]
    # As the image hands DOC_STORE_CONFIG to pymongo: `ssl` (the alias) or `tls`, and a self-hosted MongoDB of the
    # environment's CA verified with its certificate (tlsCAFile), so a wrong certificate fails here as in the LMS.
    if store.get("ssl") or store.get("tls"):
        kwargs["tls"] = True
    if store.get("tlsCAFile"):
        kwargs["tlsCAFile"] = store["tlsCAFile"]
    client: pymongo.MongoClient[Any] = pymongo.MongoClient(**kwargs)
    try:
        client[store.get("db") or "admin"].command("ping")
    finally:
        client.close()


def configured_checks(config: Mapping[str, Any]) -> dict[str, Check]:
    """One check per data store the configuration uses (MongoDB only when DOC_STORE_CONFIG names hosts, RabbitMQ when
    the broker URL is AMQP)."""
    checks: dict[str, Check] = {
        "mysql": lambda: check_mysql(config),
        "redis": lambda: check_redis(config),
    }
    if cfg.broker_transport(config) in cfg.AMQP_TRANSPORTS:
        checks["rabbitmq"] = lambda: check_rabbitmq(config)
    if cfg.mongodb_hosts(config):
        checks["mongodb"] = lambda: check_mongodb(config)
    return checks


def run(checks: Mapping[str, Check]) -> tuple[int, dict[str, dict[str, str]]]:
    """HTTP status and body: 200 when all checks pass, 503 naming each failing store and why."""
    body: dict[str, dict[str, str]] = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:  # any failure of a store is a failed heartbeat, reported not raised
            body[name] = {"status": "error", "message": f"{type(exc).__name__}: {exc}"}
        else:
            body[name] = {"status": "ok"}
    healthy = all(item["status"] == "ok" for item in body.values())
    return (200 if healthy else 503), body
