"""What scripts/simulated-cloud checks beyond the commands' exit codes, on an environment `up` deployed on a
simulated cloud (a TEST DOUBLE: tests/simcloud/README.md).

  checks.py reach WORKDIR NAME        every host is reached only through the bastion: a direct SSH connection to its
                                      private address fails ("No route to host"), and through the inventory the host
                                      sees the connection come from the bastion's private address
  checks.py status WORKDIR NAME       `status --output json` on stdin shows the load balancer healthy
  checks.py backup WORKDIR NAME TAKEN LISTED  the backup (`backup --output json` in TAKEN) is listed (`backup --list`
                                      in LISTED), its files are in the bucket and its volume snapshots in the API
  checks.py second-up WORKDIR NAME UP  the `up --output json` (in UP) that lifted deletion_protection changed resources
                                      in place only, and Ansible changed nothing
  checks.py gone WORKDIR NAME         after `destroy --include-data`: no host left, instances terminated, final
                                      snapshots kept, and a second destroy has nothing to do
  checks.py certificate WORKDIR NAME  the heartbeat through the load balancer verifies its certificate for the LMS
                                      domain: it passes with the simulated CA trusted, and fails for another name and
                                      without that CA

Each prints what it saw and exits non-zero on the first thing that is not so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from openedx_deploy.backupstore import AzureBlobStore
from openedx_deploy.health import check_heartbeat
from openedx_deploy.localhosts import LABEL
from openedx_deploy.paths import Workdir
from openedx_deploy.spec import load_spec
from openedx_deploy.stackoutputs import load_outputs
from openedx_deploy.topology import azure_resource_group, azure_snapshot_group


class Failed(Exception):
    pass


def _outputs(workdir: Workdir, name: str) -> dict[str, Any]:
    outputs = load_outputs(workdir, name)
    if outputs is None:
        raise Failed(f"{name} has no cached outputs: was `up` run?")
    return outputs


def reach(workdir: Workdir, name: str) -> None:
    outputs = _outputs(workdir, name)
    bastion = outputs["bastion"]
    if not bastion.get("address"):
        raise Failed(f"the stack made no bastion: {bastion}")
    hosts = {m["name"]: m["address"] for members in outputs["host_groups"].values() for m in members}
    for host, address in sorted(hosts.items()):
        direct = subprocess.run(
            ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "StrictHostKeyChecking=no",
             "-o", "UserKnownHostsFile=/dev/null", f"{bastion['ssh_user']}@{address}", "true"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if direct.returncode != 255 or "No route to host" not in direct.stderr:
            raise Failed(f"{host} ({address}) answered a direct connection: {direct.returncode} {direct.stderr}")
        print(f"ok  {host} ({address}): a direct SSH connection fails: {direct.stderr.strip().splitlines()[-1]}")
    seen = subprocess.run(
        ["ansible", "-i", str(workdir.inventory_dir(name)), "--vault-password-file",
         str(workdir.default_vault_password_file), "all", "-m", "ansible.builtin.command", "-a", "printenv SSH_CLIENT"],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "ANSIBLE_HOST_KEY_CHECKING": "true"},
    )  # fmt: skip
    if seen.returncode != 0:
        raise Failed(f"the inventory does not reach every host: {seen.stdout}{seen.stderr}")
    clients: dict[str, str] = {}
    current = ""
    for line in seen.stdout.splitlines():
        if " | CHANGED |" in line:
            current = line.split(" | ")[0]
        elif current and line and line[0].isdigit():
            clients[current] = line.split()[0]
    # The offline substitutes leave MongoDB out (openedx_deploy/render.py LocalSubstitutes.left_out): its host is in
    # the outputs, and reached only through the bastion too, but not in the inventory.
    left_out = {m["name"] for m in outputs["host_groups"].get("mongodb", [])} - {
        m["name"] for group, members in outputs["host_groups"].items() if group != "mongodb" for m in members
    }
    for host in sorted(left_out):
        print(f"ok  {host}: not in the inventory (the offline substitutes leave MongoDB out)")
    if set(clients) != set(hosts) - left_out or set(clients.values()) != {bastion["private_address"]}:
        raise Failed(f"hosts seen from {clients}, not all from the bastion's {bastion['private_address']}")
    for host, client in sorted(clients.items()):
        print(f"ok  {host}: reached through the inventory, from the bastion's private address {client}")


def certificate(workdir: Workdir, name: str) -> None:
    spec = load_spec(workdir.environment_file(name))
    balancer = _outputs(workdir, name)["load_balancer"]
    target = balancer.get("dns_name") or balancer.get("address")
    trusted = check_heartbeat(target, spec.domains.lms, verify_tls=True)
    if not trusted.healthy:
        raise Failed(f"the heartbeat through {target} for {spec.domains.lms} fails: {trusted}")
    print(f"ok  {target}: healthy for {spec.domains.lms}, its certificate verified by the simulated CA")
    other = check_heartbeat(target, f"not-{spec.domains.lms}", verify_tls=True)
    if "CERTIFICATE_VERIFY_FAILED" not in other.error:
        raise Failed(f"a heartbeat for another name did not fail verification: {other}")
    print(f"ok  {target}: for another name verification fails ({other.error[:120]})")
    system = subprocess.run(
        [sys.executable, "-c", "import sys; from openedx_deploy.health import check_heartbeat as c; "
         "print(c(sys.argv[1], sys.argv[2], verify_tls=True).error)", target, spec.domains.lms],
        capture_output=True, text=True, timeout=60, check=False,
        env={k: v for k, v in os.environ.items() if k != "SSL_CERT_FILE"},
    )  # fmt: skip
    if "CERTIFICATE_VERIFY_FAILED" not in system.stdout:
        raise Failed(f"without the simulated CA the heartbeat did not fail verification: {system.stdout}")
    print(f"ok  {target}: without the simulated CA verification fails ({system.stdout.strip()[:120]})")


def status(workdir: Workdir, name: str) -> None:
    rows = json.load(sys.stdin)["hosts"]
    beats = [row for row in rows if row["groups"] == ["load_balancer"]]
    if not beats or any(row["heartbeat"] != "healthy" for row in beats):
        raise Failed(f"status: the load balancer's heartbeat is not healthy: {beats}")
    hosts = sorted({row["host"] for row in rows if row not in beats})
    print(f"ok  status: hosts {', '.join(hosts)}; the load balancer healthy, stores {beats[0]['stores']}")


def _aws(service: str) -> Any:
    """A client of the simulated AWS API, as the hook makes it (the environment file names no region: us-east-1)."""
    import hook

    return hook.aws_api(service, os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))


def _azure() -> Any:
    import hook

    return hook.azure_api()


def _gcp_snapshots(project: str, wanted: str) -> list[Any]:
    from google.cloud import compute_v1

    request = compute_v1.ListSnapshotsRequest(project=project, filter=wanted)
    return list(compute_v1.SnapshotsClient().list(request=request))


def backup(workdir: Workdir, name: str, taken_file: str, listed_file: str) -> None:
    spec = load_spec(workdir.environment_file(name))
    taken = json.loads(Path(taken_file).read_text())
    listed = json.loads(Path(listed_file).read_text())["backups"]
    if taken["id"] not in [entry["id"] for entry in listed]:
        raise Failed(f"backup {taken['id']} is not listed: {listed}")
    volumes = [s for s in taken["snapshots"] if s["kind"] in ("ebs-volume", "gcp-disk", "azure-disk")]
    if not volumes:
        raise Failed(f"no snapshot of the app host's volume: {taken['snapshots']}")
    scheme, _, rest = taken["location"].partition("://")
    bucket, _, prefix = rest.partition("/")
    prefix += f"{taken['id']}/"
    if spec.cloud == "azure":
        compute = _azure()
        stored = AzureBlobStore(bucket, prefix.split("/")[0]).client.list_blobs(
            name_starts_with=prefix.partition("/")[2]
        )
        stored = [f"{prefix.split('/')[0]}/{blob.name}" for blob in stored]
        found = []
        for volume in volumes:
            group, name = volume["id"].split("/resourceGroups/")[1].split("/")[0], volume["id"].rsplit("/", 1)[1]
            snapshot = compute.snapshots.get(group, name)
            found.append(f"{name} of {snapshot.creation_data.source_resource_id.rsplit('/', 1)[1]} in {group}")
    elif spec.cloud == "gcp":
        from google.cloud import storage

        stored = [blob.name for blob in storage.Client(project=spec.project).list_blobs(bucket, prefix=prefix)]
        found = [f"{s.name} of {s.source_disk.rsplit('/', 1)[-1]} ({s.status})" for s in _gcp_snapshots(
            str(spec.project), f"labels.environment = {name}") if s.name in {v["id"] for v in volumes}]  # fmt: skip
    else:
        stored = [o["Key"] for o in _aws("s3").list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
        snapshots = _aws("ec2").describe_snapshots(SnapshotIds=[s["id"] for s in volumes])["Snapshots"]
        found = [f"{s['SnapshotId']} of {s['VolumeId']} ({s['State']})" for s in snapshots]
        # A managed MySQL is backed up by its RDS snapshot (playbooks/backup.yml dumps self-hosted stores only).
        databases = [s for s in taken["snapshots"] if s["kind"] == "rds-mysql"]
        if spec.mysql.mode == "managed" and not databases:
            raise Failed(f"no RDS snapshot of the managed MySQL: {taken['snapshots']}")
        for snapshot in databases:
            (described,) = _aws("rds").describe_db_snapshots(DBSnapshotIdentifier=snapshot["id"])["DBSnapshots"]
            volumes.append(snapshot)
            found.append(f"{described['DBSnapshotIdentifier']} of {described['DBInstanceIdentifier']}")
    if f"{prefix}manifest.json" not in stored:
        raise Failed(f"the backup's manifest is not in {scheme}://{bucket}: {stored}")
    if len(found) != len(volumes):
        raise Failed(f"the API knows {found} of the backup's volume snapshots {volumes}")
    where = f"{scheme}://{bucket}"
    print(f"ok  backup {taken['id']}: listed; {len(stored)} object(s) in {where}; snapshots {', '.join(found)}")


def second_up(workdir: Workdir, name: str, up_file: str) -> None:
    """The `up` that lifts deletion_protection: Terraform only changes resources in place (no add, no destroy), and
    Ansible, over SSH through the bastion as the first time, changes nothing."""
    up = json.loads(Path(up_file).read_text())
    plan = up["terraform"]
    # Azure's protection is a management lock (a resource of its own), which goes: the only destroy allowed.
    destroyed = [r for r in plan["resources"] if not r.startswith("update ") and "azurerm_management_lock" not in r]
    if plan["add"] or destroyed or not plan["change"] + plan["destroy"]:
        raise Failed(f"the second up's plan is not in-place changes (and lifted locks) only: {plan}")
    if "ansible" not in up["seconds"] or up["changed_total"]:
        raise Failed(f"the second up's Ansible run changed something: {up['ansible_changed']} ({up['seconds']})")
    print(
        f"ok  second up: Terraform changed {plan['change']} resource(s) in place and removed {plan['destroy']} "
        f"lock(s), Ansible ran for "
        f"{up['seconds']['ansible']} s and changed nothing"
    )


def gone(workdir: Workdir, name: str) -> None:
    """After `destroy --include-data`: no host left, the instances terminated in the API, the final snapshots
    kept, and a second destroy finds nothing to do."""
    import hook

    left = hook.SimHosts(os.environ["SIM_CLOUD_LABEL"]).containers()
    if left:
        raise Failed(f"hosts left after destroy: {sorted(left)}")
    spec = load_spec(workdir.environment_file(name))
    if spec.cloud == "azure":
        from azure.core.exceptions import ResourceNotFoundError

        compute = _azure()
        try:
            live = [vm.name for vm in compute.virtual_machines.list(azure_resource_group(spec))]
        except ResourceNotFoundError:  # the group went with destroy
            live = []
        final = [
            s.name
            for s in compute.snapshots.list_by_resource_group(azure_snapshot_group(spec))
            if (s.tags or {}).get("reason") == "final-before-destroy"
        ]
    elif spec.cloud == "gcp":
        from google.cloud import compute_v1

        request = compute_v1.AggregatedListDisksRequest(project=spec.project, filter=f"labels.environment = {name}")
        live = [
            d.name for _zone, scoped in compute_v1.DisksClient().aggregated_list(request=request) for d in scoped.disks
        ]
        final = [s.name for s in _gcp_snapshots(str(spec.project), "labels.reason = final-before-destroy")]
    else:
        ec2 = _aws("ec2")
        reservations = ec2.describe_instances(Filters=[{"Name": "tag:environment", "Values": [name]}])["Reservations"]
        live = [i["InstanceId"] for r in reservations for i in r["Instances"] if i["State"]["Name"] != "terminated"]
        filters = [{"Name": "tag:reason", "Values": ["final-before-destroy"]}]
        final = [s["SnapshotId"] for s in ec2.describe_snapshots(Filters=filters)["Snapshots"]]
    if live:
        raise Failed(f"instances (or their disks) left in the API: {live}")
    if not final:
        raise Failed("destroy --include-data took no final snapshot")
    again = subprocess.run(["openedx-deploy", "destroy", "-e", name, "--include-data", "--yes"],
                           capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    if again.returncode != 0 or "nothing to destroy" not in again.stdout + again.stderr:
        raise Failed(f"a second destroy did not find nothing to do: {again.returncode} {again.stdout}{again.stderr}")
    print(
        f"ok  {name}: no host left, instances terminated, final snapshots {final}, a second destroy has nothing to do"
    )


# --- the data a destroy without --include-data keeps (size standard: managed MySQL and Redis, data hosts) ---

MARKER = "kept by destroy without --include-data"


def _state() -> dict[str, Any]:
    return dict(json.loads((Path(os.environ["SIM_CLOUD_STATE"]) / "state.json").read_text()))


def _store(engine: str) -> dict[str, Any]:
    """The simulated managed server of `engine` ("mysql": RDS, Cloud SQL, Azure's flexible server; "redis":
    ElastiCache, Memorystore, Azure Cache): its container, address, port and, for Redis, TLS and token, as the hook
    recorded them (hook.py start_store)."""
    found = [store for store in _state()["stores"].values() if store.get("engine") == engine]
    if len(found) != 1:
        raise Failed(f"not one simulated managed {engine} server: {found}")
    return dict(found[0])


def _exec(container: str, *argv: str) -> str:
    ran = subprocess.run(["podman", "exec", container, *argv], capture_output=True, text=True, timeout=60, check=False)
    if ran.returncode != 0:
        raise Failed(f"{container}: {' '.join(argv[:3])}...: {ran.stderr.strip()}")
    return ran.stdout.strip()


def _sql(query: str) -> str:
    return _exec(_store("mysql")["name"], "mariadb", "--protocol=socket", "--batch", "--skip-column-names", "-e", query)


def _redis(*command: str) -> str:
    """A command to the managed Redis from inside its server's container (the simulation's console: TLS without
    verification, the token the hook recorded)."""
    store = _store("redis")
    base = ["redis-cli", "--no-auth-warning", "-h", store["address"], "-p", str(store["port"])]
    base += ["--tls", "--insecure"] if store.get("tls") else []
    answer = _exec(store["name"], *base, *(["-a", store["token"]] if store.get("token") else []), *command)
    if answer.split(" ", 1)[0] in ("ERR", "NOAUTH", "WRONGPASS", "NOPERM"):  # redis-cli exits 0 on an error reply
        raise Failed(f"{store['name']}: {' '.join(command[:2])}: {answer}")
    return answer


def _containers() -> dict[str, str]:
    """Every container of the simulation (hosts, servers, balancer): name -> id."""
    listed = subprocess.run(
        ["podman", "ps", "--filter", f"label={LABEL}={os.environ['SIM_CLOUD_LABEL']}",
         "--format", "{{.Names}} {{.ID}}"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return dict(line.split() for line in listed.stdout.splitlines() if line.strip())


def mark(workdir: Workdir, name: str, record_file: str) -> None:
    """Before `destroy` without --include-data: a row in the managed MySQL and a key in the managed Redis; the
    platform's migrations, the kept containers (managed servers, data hosts) and all others, recorded in RECORD."""
    marking = "CREATE DATABASE IF NOT EXISTS simcheck; CREATE TABLE IF NOT EXISTS simcheck.kept (note VARCHAR(80)); "
    _sql(marking + f"INSERT INTO simcheck.kept VALUES ('{MARKER}')")  # noqa: S608 - a constant of this module
    _redis("SET", "simcheck:kept", MARKER)
    groups = _outputs(workdir, name)["host_groups"]
    data_hosts = [m["name"] for group in ("mysql", "mongodb", "redis", "search") for m in groups.get(group, [])]
    containers = _containers()
    record = {
        "migrations": _sql("SELECT COUNT(*) FROM openedx.django_migrations"),
        "users": _sql("SELECT GROUP_CONCAT(DISTINCT user ORDER BY user) FROM mysql.user WHERE user LIKE 'openedx%'"),
        "kept": {c: containers.get(c) for c in [_store("mysql")["name"], _store("redis")["name"], *data_hosts]},
        "containers": containers,
    }
    if int(record["migrations"]) == 0:
        raise Failed("the managed MySQL holds no migrations of the platform: the jobs did not run against it")
    Path(record_file).write_text(json.dumps(record))
    print(f"ok  marked: {record['migrations']} migrations and users {record['users']} in the managed MySQL")


def kept(workdir: Workdir, name: str, record_file: str) -> None:
    """After `destroy` without --include-data, and again after the `up` that follows it: the managed servers and the
    data hosts are the same containers, holding the same data."""
    record = json.loads(Path(record_file).read_text())
    now = _containers()
    for container, identity in sorted(record["kept"].items()):
        if identity is None or now.get(container) != identity:
            raise Failed(f"{container} was not kept: {identity} then, {now.get(container)} now")
    row, key = _sql("SELECT note FROM simcheck.kept"), _redis("GET", "simcheck:kept")
    if row != MARKER or key != MARKER:
        raise Failed(f"the marker row or key is gone: the row reads {row!r}, the key {key!r}")
    if _sql("SELECT COUNT(*) FROM openedx.django_migrations") != record["migrations"]:
        raise Failed("the platform's migrations table changed")
    print(
        f"ok  kept: {', '.join(sorted(record['kept']))} are the same containers, with the marker and the "
        f"{record['migrations']} migrations"
    )


def stateless_gone(workdir: Workdir, name: str, record_file: str) -> None:
    """Right after `destroy` without --include-data: every recorded container but the kept ones is gone (the app and
    worker hosts, the bastion, the balancer), and the kept ones hold their data."""
    record = json.loads(Path(record_file).read_text())
    left = set(_containers())
    removed = sorted(set(record["containers"]) - left)
    if left != set(record["kept"]) or not removed:
        raise Failed(f"after destroy: left {sorted(left)}, not the kept {sorted(record['kept'])}; removed {removed}")
    print(f"ok  destroy removed {', '.join(removed)}")
    kept(workdir, name, record_file)


def main() -> int:
    check, root, name, *more = sys.argv[1:]
    checks = {"reach": reach, "certificate": certificate, "status": status, "backup": backup, "gone": gone,
              "second-up": second_up, "mark": mark, "kept": kept, "stateless-gone": stateless_gone}  # fmt: skip
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        checks[check](Workdir(Path(root)), name, *more)
    except Failed as failed:
        print(f"FAILED {check}: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
