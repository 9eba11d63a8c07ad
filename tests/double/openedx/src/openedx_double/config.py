"""Reads and checks the LMS_CFG/CMS_CFG YAML the way the contract test double of the Open edX image needs it.

The real edx-platform production settings load the YAML named by LMS_CFG / CMS_CFG; the double refuses to start
when a key the deployment must provide is missing, naming the key, so a bad render fails loudly in tests.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import yaml

SERVICES = ("lms", "cms")

# Keys the roles must render. Dotted paths walk nested mappings.
REQUIRED_KEYS = (
    "DATABASES.default.HOST",
    "DATABASES.default.NAME",
    "DATABASES.default.USER",
    "DATABASES.default.PASSWORD",
    "SECRET_KEY",
    "LMS_BASE",
)
# Either one of these is a complete broker URL, or the CELERY_BROKER_* parts are used.
BROKER_URL_KEYS = ("CELERY_BROKER_URL", "BROKER_URL")
BROKER_PART_KEYS = ("CELERY_BROKER_HOSTNAME", "CELERY_BROKER_PASSWORD")

# The transports whose URLs the real image's kombu (a dependency of Celery, with py-amqp and redis-py) resolves, by
# the schemes edx-platform's BROKER_URL may carry: AMQP 0-9-1 to RabbitMQ, and Redis. Any other scheme stops the real
# workers at start ("No such transport"); the double stops the same way, before it connects.
AMQP_TRANSPORTS = ("amqp", "amqps", "pyamqp")
REDIS_TRANSPORTS = ("redis", "rediss")

# edx-platform's common settings defaults for the broker parts the YAML may leave out.
BROKER_DEFAULTS = {
    "CELERY_BROKER_TRANSPORT": "amqp",
    "CELERY_BROKER_USER": "celery",
    "CELERY_BROKER_VHOST": "",
}


# The entries of edx-platform's INSTALLED_APPS and DATABASE_ROUTERS (its common settings) that a settings module of
# the deployment may remove, as Tutor's does: Tutor 20.0.5, 21.0.0 and 22.0.0 render `INSTALLED_APPS.remove(
# "lms.djangoapps.coursewarehistoryextended")` and `DATABASE_ROUTERS.remove("openedx.core.lib.
# django_courseware_routers.StudentModuleHistoryExtendedRouter")` into lms/envs/tutor/production.py and
# cms/envs/tutor/production.py, which list.remove would refuse if edx-platform did not hold them.
CSMH_APP = "lms.djangoapps.coursewarehistoryextended"
CSMH_ROUTER = "openedx.core.lib.django_courseware_routers.StudentModuleHistoryExtendedRouter"
READ_REPLICA_ROUTER = "edx_django_utils.db.read_replica.ReadReplicaRouter"


def settings_lists() -> tuple[list[str], list[str]]:
    """Fresh INSTALLED_APPS and DATABASE_ROUTERS for the double's <service>.envs.production."""
    return [CSMH_APP], [CSMH_ROUTER, READ_REPLICA_ROUTER]


class ConfigError(Exception):
    """The configuration cannot run this service; the message names the file and the key."""


def celery_settings(service: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The Celery settings edx-platform's <service>/envs/production.py and common.py assign (Ulmo; docs/rabbitmq.md,
    "Queue type"): a direct exchange per service; CELERY_QUEUES rebuilt as {name: {}} from the YAML's list, plus the
    other service's default queue for each ALTERNATE_WORKER_QUEUES entry. A settings module layered on top may edit
    them, as openedx_config's does for quorum queues."""
    default_queue = str(config.get("CELERY_DEFAULT_QUEUE") or f"edx.{service}.core.default")
    queues: dict[str, dict[str, Any]] = {str(name): {} for name in config.get("CELERY_QUEUES") or [default_queue]}
    for other in str(config.get("ALTERNATE_WORKER_QUEUES") or "").split():
        queues.setdefault(f"edx.{other}.core.default", {})
    return {
        "CELERY_DEFAULT_EXCHANGE": f"edx.{service}.core",
        "CELERY_DEFAULT_EXCHANGE_TYPE": "direct",
        "CELERY_DEFAULT_QUEUE": default_queue,
        "CELERY_QUEUES": queues,
    }


def config_env_var(service: str) -> str:
    if service not in SERVICES:
        raise ConfigError(f"unknown service variant {service!r}: expected one of {', '.join(SERVICES)}")
    return f"{service.upper()}_CFG"


def lookup(config: Mapping[str, Any], dotted: str) -> Any:
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _is_set(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def missing_keys(config: Mapping[str, Any]) -> list[str]:
    """Required keys absent or empty in `config`, in a stable order."""
    missing = [key for key in REQUIRED_KEYS if not _is_set(lookup(config, key))]
    if not any(_is_set(config.get(key)) for key in BROKER_URL_KEYS):
        missing.extend(key for key in BROKER_PART_KEYS if not _is_set(config.get(key)))
    return missing


def validate(config: Any, source: str) -> dict[str, Any]:
    if not isinstance(config, Mapping):
        raise ConfigError(f"{source}: expected a YAML mapping at the top level, got {type(config).__name__}")
    missing = missing_keys(config)
    if missing:
        raise ConfigError(f"{source}: missing required key(s): {', '.join(missing)}")
    try:
        broker_transport(config)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return dict(config)


def load_config(service: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Load and check the YAML named by <SERVICE>_CFG."""
    env = os.environ if environ is None else environ
    var = config_env_var(service)
    path = env.get(var)
    if not path:
        raise ConfigError(f"{var} is not set: it must name the {service} YAML configuration file")
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as exc:
        raise ConfigError(f"{var}={path}: cannot read the configuration file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{var}={path}: not valid YAML: {exc}") from exc
    return validate(data, f"{var}={path}")


def load_settings_module(service: str, environ: Mapping[str, str] | None = None) -> ModuleType | None:
    """Import DJANGO_SETTINGS_MODULE, as Django does before anything runs: it must exist in the image (or be mounted
    into it) and import cleanly. The real image sets the variable; unset (unit tests) or naming the other service's
    package, nothing is checked. Returns the module it imported."""
    env = os.environ if environ is None else environ
    name = env.get("DJANGO_SETTINGS_MODULE")
    # Only the service's own package: ad-hoc runs of the image (`celery --app=cms.celery call ...` in the molecule
    # checks) keep the image's default lms.envs.production, whose LMS_CFG they do not set.
    if not name or not name.startswith(f"{service}."):
        return None
    try:
        return importlib.import_module(name)
    except ConfigError:
        raise
    except Exception as exc:  # the real process would stop on any error in its settings
        raise ConfigError(f"DJANGO_SETTINGS_MODULE={name}: {type(exc).__name__}: {exc}") from exc


def broker_url(config: Mapping[str, Any]) -> str:
    """The Celery broker URL, assembled from the CELERY_BROKER_* parts exactly as edx-platform does.

    edx-platform formats "{transport}://{user}:{password}@{hostname}/{vhost}" without quoting, so passwords must
    be URL-safe; the double keeps that behaviour rather than hiding it.
    """
    for key in BROKER_URL_KEYS:
        if _is_set(config.get(key)):
            return str(config[key])
    parts = {key: config.get(key, default) for key, default in BROKER_DEFAULTS.items()}
    for key in BROKER_PART_KEYS:
        if not _is_set(config.get(key)):
            raise ConfigError(f"missing required key: {key}")
    return "{}://{}:{}@{}/{}".format(
        parts["CELERY_BROKER_TRANSPORT"],
        "" if parts["CELERY_BROKER_USER"] is None else parts["CELERY_BROKER_USER"],
        config["CELERY_BROKER_PASSWORD"],
        config["CELERY_BROKER_HOSTNAME"],
        "" if parts["CELERY_BROKER_VHOST"] is None else parts["CELERY_BROKER_VHOST"],
    )


def broker_use_ssl(config: Mapping[str, Any]) -> dict[str, Any] | bool:
    """BROKER_USE_SSL as Celery (edx-platform configures it from the settings' old-style names) hands it to kombu: a
    dict of the redis-py SSL connection's (or py-amqp's socket wrapper's) arguments, or a bool (true: TLS verified
    with the system's CAs)."""
    value = config.get("BROKER_USE_SSL", config.get("CELERY_BROKER_USE_SSL", False))
    return dict(value) if isinstance(value, Mapping) else bool(value)


def broker_transport(config: Mapping[str, Any]) -> str:
    """The transport of the broker URL; ConfigError for one the real image's kombu cannot load."""
    url = broker_url(config)
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in AMQP_TRANSPORTS + REDIS_TRANSPORTS:
        raise ConfigError(
            f"broker transport {scheme!r}: kombu has no such transport (the real workers would not start); "
            f"expected one of {', '.join(AMQP_TRANSPORTS + REDIS_TRANSPORTS)}"
        )
    return scheme


def redis_url(config: Mapping[str, Any]) -> str:
    """The Redis the platform uses: the broker's URL when Redis is the broker, else the default cache's LOCATION (the
    caches stay in Redis with a RabbitMQ broker)."""
    if broker_transport(config) in REDIS_TRANSPORTS:
        return broker_url(config)
    location = lookup(config, "CACHES.default.LOCATION")
    if not isinstance(location, str) or not location.startswith(REDIS_TRANSPORTS):
        raise ConfigError("the broker is not Redis and CACHES.default.LOCATION names no Redis")
    return location


def mongodb_hosts(config: Mapping[str, Any]) -> list[str]:
    """Hosts of DOC_STORE_CONFIG (a string or a list, as edx-platform accepts); empty when MongoDB is not used."""
    host = lookup(config, "DOC_STORE_CONFIG.host")
    if not _is_set(host):
        return []
    return [str(h) for h in host] if isinstance(host, list) else [str(host)]
