"""TEST DOUBLE: a cloud's managed MySQL and Redis as real servers, for the simulated cloud (hook.py).

A managed database the stack creates becomes a container on a podman network of the cloud's, at the address its
output gives (or that its name resolves to), running the server the clients then talk to. hook.py places them (AWS:
aws_db_instance, aws_elasticache_replication_group in their subnet groups' subnets; GCP: google_sql_database_instance,
google_redis_instance in the VPC's peered range; Azure: azurerm_mysql_flexible_server in its delegated subnet, an
azurerm_redis_cache at its private endpoint) and issues their certificates; this module runs them:

* MySQL (RDS for MySQL, Cloud SQL, Azure's flexible server): MariaDB from Debian (the only MySQL server Debian
  packages; the local target's offline substitute is the same), with the service's admin account holding the
  privileges a managed MySQL gives it (RDS User Guide, "Master user account privileges"; Cloud SQL's
  cloudsqlsuperuser and Azure's admin are alike: no SUPER, but CREATE USER and GRANT OPTION, so the tool must create
  the platform's databases and users through it) and nothing else: no database, no other user.
  `require_secure_transport` is enforced when the service requires TLS (a client without TLS is refused), and the
  character set settings given are the server's.
* Redis (ElastiCache, Memorystore, Azure Cache): redis-server on the TLS port only when the service encrypts in
  transit, the AUTH token (access key) as the default user's password; a client without TLS or without the token is
  refused.

The servers run from one image built once from the hosts' base image with Debian's mariadb-server and redis-server
(`localhost/openedx-deploy-simstores:bookworm`). Their data lives in the container: it survives everything but the
resource's delete, as a managed database outlives the hosts a `destroy` without --include-data removes.
Not simulated: replicas, Multi-AZ, most parameter changes after creation, IAM database authentication, backups inside
the server (the snapshots are the APIs' records).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from openedx_deploy.localhosts import LABEL

STORE_IMAGE = "localhost/openedx-deploy-simstores:bookworm"
CONTAINERFILE = """FROM {base}
RUN apt-get update \\
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mariadb-server redis-server \\
    && rm -rf /var/lib/apt/lists/*
"""
# The privileges RDS gives the master user of a MySQL instance (RDS User Guide, "Master user account privileges").
RDS_MASTER_PRIVILEGES = (
    "SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, REFERENCES, INDEX, ALTER, SHOW DATABASES, "
    "CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, REPLICATION SLAVE, REPLICATION CLIENT, CREATE VIEW, SHOW VIEW, "
    "CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER"
)
# MariaDB's own database-level privilege, which MySQL has none of: a database's ALL includes it, so without it the
# master could not grant ALL on a database, which RDS's master can (found by the first simulated `standard` run).
MARIADB_ONLY_PRIVILEGES = ", DELETE HISTORY"
# The server settings a parameter group may carry that the simulated server takes (others are accepted, not applied).
MYSQL_PARAMETERS = ("character_set_server", "collation_server", "max_allowed_packet", "innodb_lock_wait_timeout")
READY_SECONDS = 90


class StoreFailed(Exception):
    """The server did not start or refused its setup: the simulated service's create fails."""


def ensure_image(podman: Any, base_image: str, directory: Path) -> None:
    """The servers' image, built once from the hosts' base image (apt reaches Debian's archive at build time)."""
    if podman.exists("image", STORE_IMAGE):
        return
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Containerfile").write_text(CONTAINERFILE.format(base=base_image))
    built = podman.run("build", "-t", STORE_IMAGE, str(directory), check=False, timeout=900)
    if built.returncode != 0:
        raise StoreFailed(f"building {STORE_IMAGE} failed: {built.stderr.strip()[-1500:]}")


def write_tls(directory: Path, certificate: str, key: str) -> Path:
    """The server's certificate chain and key, in a directory mounted read-only into its container."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "server.pem").write_text(certificate)
    (directory / "server.key").write_text(key)
    # Read by the server's own user inside the container, whatever umask the hook runs with (Terraform's is 077).
    for path in (directory, directory / "server.pem", directory / "server.key"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return directory


def _wait(podman: Any, name: str, probe: list[str]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while True:
        ran = podman.run("exec", name, *probe, check=False)
        if ran.returncode == 0:
            return
        if time.monotonic() > deadline:
            logs = podman.run("logs", "--tail", "30", name, check=False)
            raise StoreFailed(f"{name} did not start in {READY_SECONDS} s: {ran.stderr.strip()}\n{logs.stdout}")
        time.sleep(1)


def _sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def start_mysql(
    podman: Any,
    *,
    name: str,
    label: str,
    network: str,
    address: str,
    port: int,
    tls: Path,
    admin_user: str,
    admin_password: str,
    parameters: dict[str, str],
) -> None:
    """A MySQL server (MariaDB) at `address`:`port` on `network`, with `admin_user` as its only account beyond the
    server's own, and TLS required of TCP clients when the parameters say so (require_secure_transport = 1)."""
    settings = [f"--{key.replace('_', '-')}={parameters[key]}" for key in MYSQL_PARAMETERS if key in parameters]
    if str(parameters.get("require_secure_transport", "0")).lower() in ("1", "on", "true"):
        settings.append("--require-secure-transport=ON")
    server = (
        "mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld && "
        "{ [ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql --skip-test-db >/dev/null; } && "
        f"exec mariadbd --user=mysql --bind-address={address} --port={port} --ssl-cert=/tls/server.pem "
        f"--ssl-key=/tls/server.key {' '.join(settings)}"
    )
    podman.run(
        "run", "--detach", "--name", name, "--label", f"{LABEL}={label}", "--network", f"{network}:ip={address}",
        "--volume", f"{tls}:/tls:ro,z", STORE_IMAGE, "sh", "-c", server,
    )  # fmt: skip
    _wait(podman, name, ["mariadb", "--protocol=socket", "-e", "SELECT 1"])
    account = f"{_sql_string(admin_user)}@'%'"
    statements = (
        f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY {_sql_string(admin_password)};\n"
        f"GRANT {RDS_MASTER_PRIVILEGES}{MARIADB_ONLY_PRIVILEGES} ON *.* TO {account} WITH GRANT OPTION;\n"
    )
    made = podman.run("exec", "-i", name, "mariadb", "--protocol=socket", check=False, stdin=statements)
    if made.returncode != 0:
        raise StoreFailed(f"{name}: creating the master user failed: {made.stderr.strip()}")


def start_redis(
    podman: Any,
    *,
    name: str,
    label: str,
    network: str,
    address: str,
    port: int,
    tls: Path | None,
    auth_token: str,
) -> None:
    """A Redis server at `address`:`port` on `network`: TLS only when `tls` is given (transit encryption), the AUTH
    token as the default user's password when given."""
    arguments = ["--bind", address, "--protected-mode", "no", "--save", "", "--appendonly", "yes"]
    if tls is not None:
        arguments += ["--port", "0", "--tls-port", str(port), "--tls-cert-file", "/tls/server.pem"]
        arguments += ["--tls-key-file", "/tls/server.key", "--tls-auth-clients", "no"]
    else:
        arguments += ["--port", str(port)]
    if auth_token:
        arguments += ["--requirepass", auth_token]
    volumes = ["--volume", f"{tls}:/tls:ro,z"] if tls is not None else []
    podman.run(
        "run", "--detach", "--name", name, "--label", f"{LABEL}={label}", "--network", f"{network}:ip={address}",
        *volumes, "--user", "redis", "--workdir", "/var/lib/redis", STORE_IMAGE, "redis-server", *arguments,
    )  # fmt: skip
    probe = ["redis-cli", "--no-auth-warning", "-h", address, "-p", str(port)]
    if tls is not None:
        probe += ["--tls", "--insecure"]
    if auth_token:
        probe += ["-a", auth_token]
    _wait(podman, name, [*probe, "PING"])


def stop(podman: Any, name: str) -> None:
    podman.run("rm", "--force", "--volumes", "--time", "5", name, check=False, timeout=120)
