"""The environment's topology as a picture: load balancer, hosts per group with their containers, the data stores
(managed service or self-hosted hosts), and which tier may reach which port. DOT text, drawn by graphviz's `dot`.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Collection
from pathlib import Path

from .errors import DeployError
from .spec import EnvironmentSpec
from .topology import BROKER_PORTS, host_names, store_port

MANAGED_NAMES = {
    "aws": {
        "mysql": "Amazon RDS for MySQL",
        "mongodb": "Amazon DocumentDB",
        "redis": "Amazon ElastiCache",
        "search": "Amazon OpenSearch Service",
        "storage": "Amazon S3",
        "lb": "Elastic Load Balancing",
    },
    "gcp": {
        "mysql": "Cloud SQL for MySQL",
        "redis": "Memorystore for Redis",
        "storage": "Cloud Storage",
        "lb": "External HTTPS Load Balancer",
    },
    "azure": {
        "mysql": "Azure Database for MySQL",
        "mongodb": "Azure Cosmos DB for MongoDB",
        "redis": "Azure Cache for Redis",
        "storage": "Azure Blob Storage",
        "lb": "Application Gateway",
    },
    "local": {"storage": "local volumes", "lb": "HAProxy on the lb host"},
}
APP_CONTAINERS = "nginx (TLS)\\nLMS :8000 · Studio :8010\\nMFE :8002 · notes :8120"
WORKER_CONTAINERS = "celery: lms default/high/high_mem\\ncelery: cms default/high/low"


def _quote(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def _balancer(spec: EnvironmentSpec) -> str:
    """The local single profile has no load balancer host: each app host's nginx is the entry point."""
    if spec.cloud == "local" and spec.size == "single":
        return "nginx on the app host"
    return MANAGED_NAMES[spec.cloud]["lb"]


def topology_dot(spec: EnvironmentSpec, mysql_flavor: str | None = None, left_out: Collection[str] = ()) -> str:
    """The environment as DOT. Offline, the local target runs substitutes (render.LocalSubstitutes): `mysql_flavor`
    is the database that ran instead of MySQL (`mariadb`), `left_out` the stores that did not run at all; the
    drawing shows what ran, not what the file asks for."""
    names = MANAGED_NAMES[spec.cloud]
    stores = [store for store in ("mysql", "mongodb", "redis", "search") if store not in left_out]
    # The public names the proxy serves: not Meilisearch's when no search server ran (or none is configured).
    served = {
        k: v for k, v in spec.domains.model_dump().items() if v and not (k == "meilisearch" and "search" in left_out)
    }
    lines = [
        f"digraph {_quote(spec.name)} {{",
        "  rankdir=LR; compound=true; fontname=Helvetica;",
        "  node [shape=box, style=rounded, fontname=Helvetica, fontsize=10];",
        "  edge [fontname=Helvetica, fontsize=9];",
        f"  label={_quote(_title(spec, mysql_flavor, left_out))}; labelloc=t;",
        '  users [label="learners and authors", shape=oval];',
        f"  lb [label={_quote(_balancer(spec) + chr(10) + ' / '.join(served.values()))}];",
        '  users -> lb [label="443"];',
    ]
    single = spec.size == "single"
    app_hosts = host_names(spec, "app")
    # A host in both tiers (the local single profile's one host) is drawn once, in the app tier, with both.
    workers = [host for host in host_names(spec, "worker") if host not in app_hosts]
    both = set(host_names(spec, "worker")) & set(app_hosts)
    lines.append('  subgraph cluster_app { label="app tier"; style=dashed;')
    for host in app_hosts:
        label = host + chr(10) + APP_CONTAINERS + (chr(10) + WORKER_CONTAINERS if host in both else "")
        lines.append(f"    {_quote(host)} [label={_quote(label)}];")
    lines.append("  }")
    for host in app_hosts:
        lines.append(f'  lb -> {_quote(host)} [label="443 / 80"];')
    if workers:
        lines.append('  subgraph cluster_worker { label="worker tier"; style=dashed;')
        lines += [f"    {_quote(h)} [label={_quote(h + chr(10) + WORKER_CONTAINERS)}];" for h in workers]
        lines.append("  }")
    clients = app_hosts + workers
    # The single profile runs its self-hosted stores on the app host: drawn as stores all the same, said where.
    tier = "data stores on the app host (single profile)" if single else "data tier (private subnets)"
    lines.append(f"  subgraph cluster_data {{ label={_quote(tier)}; style=dashed;")
    for store in stores:
        config = getattr(spec, store)
        engine = spec.search.engine if store == "search" else store
        if store == "mysql" and mysql_flavor and mysql_flavor != "mysql":
            label = f"{mysql_flavor} (offline substitute\\nfor mysql {config.version})"
        elif config.mode == "managed":
            label = f"{names.get(store, store)}\\n{engine} {config.version} (managed)"
        elif single:
            label = f"{engine} {config.version}\\non the app host"
        else:
            count = len(host_names(spec, store))
            label = f"{engine} {config.version}\\n{count} self-hosted host(s)"
        lines.append(f"    {store} [label={_quote(label)}, shape=cylinder];")
    if spec.broker == "rabbitmq":
        # The Celery broker (locally beside Redis, on a cloud a VM of its own, or Amazon MQ): the app hosts send
        # tasks, the workers consume them.
        if spec.rabbitmq.mode == "managed":
            where = "Amazon MQ (managed)"
        else:
            where = "on the app host" if single else "on " + ", ".join(host_names(spec, "rabbitmq"))
        label = "rabbitmq (Celery broker)\\n" + where
        lines.append(f"    rabbitmq [label={_quote(label)}, shape=cylinder];")
    lines.append("  }")
    for store in stores:
        for client in clients:
            lines.append(f'  {_quote(client)} -> {store} [label="{store_port(spec, store)}"];')
    if spec.broker == "rabbitmq":
        lines += [f'  {_quote(c)} -> rabbitmq [label="{BROKER_PORTS["rabbitmq"]}"];' for c in clients]
    buckets = names["storage"] + "\n" + "uploads · exports · grades · backups"
    lines.append(f"  storage [label={_quote(buckets)}, shape=folder];")
    lines += [f"  {_quote(client)} -> storage [style=dotted];" for client in clients]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _title(spec: EnvironmentSpec, mysql_flavor: str | None, left_out: Collection[str]) -> str:
    title = f"{spec.name}: {spec.cloud}, {spec.size} profile, Open edX {spec.release}"
    if left_out:
        title += f" (offline: {', '.join(sorted(left_out))} left out)"
    return title


def draw(dot_text: str, out_dir: Path, stem: str) -> list[Path]:
    """Writes STEM.dot, STEM.svg and STEM.png into out_dir with graphviz's `dot`."""
    binary = shutil.which("dot")
    if not binary:
        raise DeployError("graphviz's `dot` is not installed: `apt-get install graphviz` (scripts/bootstrap does)")
    out_dir.mkdir(parents=True, exist_ok=True)
    source = out_dir / f"{stem}.dot"
    source.write_text(dot_text)
    written = [source]
    for fmt in ("svg", "png"):
        target = out_dir / f"{stem}.{fmt}"
        result = subprocess.run([binary, f"-T{fmt}", "-o", str(target), str(source)], capture_output=True, text=True)
        if result.returncode != 0:
            raise DeployError(f"dot -T{fmt} failed: {result.stderr.strip()}")
        written.append(target)
    return written
