#!/usr/bin/python
"""Ansible module: bring a replica set's featureCompatibilityVersion to a target series, one safe step only."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mongodb_fcv
short_description: Set MongoDB's featureCompatibilityVersion
description:
  - Reads the featureCompatibilityVersion and the server version from the primary and, when they differ from
    I(version), runs setFeatureCompatibilityVersion with confirm=true (required since MongoDB 7.0).
  - Refuses a target newer than the running binaries, and a move of more than one release series.
options:
  login_host: {type: str, default: 127.0.0.1, description: Seed host.}
  login_port: {type: int, default: 27017, description: Port.}
  login_user: {type: str, required: true, description: Admin user (clusterAdmin or root).}
  login_password: {type: str, required: true, no_log: true, description: Its password.}
  login_database: {type: str, default: admin, description: Authentication database.}
  replica_set: {type: str, description: Replica set name; the command then goes to the primary.}
  tls: {type: bool, default: false, description: Connect over TLS (a server with net.tls.mode requireTLS).}
  tls_ca_file: {type: path, description: CA certificate that verifies the server's certificate (with I(tls)).}
  version: {type: str, required: true, description: Target series, e.g. "7.0".}
requirements: [pymongo>=4]
"""

RETURN = r"""
previous: {description: featureCompatibilityVersion before the run, type: str, returned: always}
current: {description: featureCompatibilityVersion after the run, type: str, returned: always}
server_version: {description: MongoDB server version, type: str, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

try:
    from pymongo import MongoClient

    HAS_PYMONGO = True
except ImportError:  # the module reports it; the pure decision logic stays importable for tests
    HAS_PYMONGO = False

# MongoDB allows setting the FCV only to the running series or the series before it.
_PREVIOUS_SERIES = {"8.0": "7.0", "7.0": "6.0", "6.0": "5.0", "5.0": "4.4", "4.4": "4.2"}


def _series(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def plan_fcv(current: str, target: str, server_version: str) -> tuple[bool, str | None]:
    """Return (change_needed, error) for moving the FCV from `current` to `target` on a `server_version` binary."""
    running = "{}.{}".format(*_series(server_version))
    if _series(target) > _series(running):
        return False, (
            f"featureCompatibilityVersion {target} needs MongoDB {target} binaries, but the server runs "
            f"{server_version}: upgrade the packages on every member first"
        )
    if target not in (running, _PREVIOUS_SERIES.get(running)):
        return False, (
            f"MongoDB {server_version} accepts featureCompatibilityVersion {running} or "
            f"{_PREVIOUS_SERIES.get(running, '(none known)')} only, not {target}"
        )
    return current != target, None


def client_options_from(params: dict) -> dict:
    """The pymongo.MongoClient keyword arguments for the module's parameters."""
    if params.get("tls_ca_file") and not params.get("tls"):
        raise ValueError("tls_ca_file needs tls: true")
    options = {
        "host": params["login_host"],
        "port": params["login_port"],
        "username": params["login_user"],
        "password": params["login_password"],
        "authSource": params["login_database"],
        "serverSelectionTimeoutMS": 20000,
    }
    if params.get("replica_set"):
        options["replicaSet"] = params["replica_set"]
    else:
        options["directConnection"] = True
    if params.get("tls"):
        # Verified against the CA (pymongo checks the certificate and the host name unless told otherwise).
        options["tls"] = True
        if params.get("tls_ca_file"):
            options["tlsCAFile"] = params["tls_ca_file"]
    return options


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "login_host": {"type": "str", "default": "127.0.0.1"},
            "login_port": {"type": "int", "default": 27017},
            "login_user": {"type": "str", "required": True},
            "login_password": {"type": "str", "required": True, "no_log": True},
            "login_database": {"type": "str", "default": "admin"},
            "replica_set": {"type": "str"},
            "tls": {"type": "bool", "default": False},
            "tls_ca_file": {"type": "path"},
            "version": {"type": "str", "required": True},
        },
        supports_check_mode=True,
    )
    if not HAS_PYMONGO:
        module.fail_json(msg="pymongo 4 is required on the host (the mongodb role installs it into a venv)")
    params = module.params
    try:
        client_options = client_options_from(params)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    try:
        client = MongoClient(**client_options)
        server_version = client.admin.command("buildInfo")["version"]
        current = client.admin.command({"getParameter": 1, "featureCompatibilityVersion": 1})[
            "featureCompatibilityVersion"
        ]["version"]
        change, error = plan_fcv(current, params["version"], server_version)
        if error:
            module.fail_json(msg=error, previous=current, current=current, server_version=server_version)
        if change and not module.check_mode:
            client.admin.command({"setFeatureCompatibilityVersion": params["version"], "confirm": True})
    except Exception as exc:  # pymongo raises many types; report them as a module failure
        module.fail_json(msg=f"featureCompatibilityVersion check failed: {exc}")
    module.exit_json(
        changed=change,
        previous=current,
        current=params["version"] if change else current,
        server_version=server_version,
    )


if __name__ == "__main__":
    main()
