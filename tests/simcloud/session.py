"""TEST DOUBLE: one simulated cloud for a whole run of the tool (scripts/simulated-cloud), started and stopped.

`start CLOUD DIR` makes DIR the simulated account and prints the environment the tool then runs in, as `export`
lines for a shell:
* Terraform installs the providers from the provider double's plugin dir (a CLI configuration file with a filesystem
  mirror, TF_CLI_CONFIG_FILE; the rendered root module is the tool's own) run through provider_shim.py, with
  hook.py as SIM_PROVIDER_HOOK: hosts, networks, the load balancer and its certificate become real on this machine;
* the cloud's API, which the tool's SDK calls reach (preflight, snapshots, backups): on AWS a moto server
  (AWS_ENDPOINT_URL, the SDKs' own endpoint setting) that knows the public Debian and Ubuntu images (MOTO_AMIS_PATH);
  on GCP gcpapi.py, reached through its HTTPS proxy (HTTPS_PROXY, REQUESTS_CA_BUNDLE) with a service-account key
  (GOOGLE_APPLICATION_CREDENTIALS); on Azure azureapi.py through the same proxy, with a service principal
  (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET). hook.py reports to it what Terraform creates (instances
  with their tags, GCP's boot disks with their labels, Azure's VMs with their OS disks, buckets, storage accounts);
* SSL_CERT_FILE: the simulated CA that issues the load balancer's certificate (ca.py), which the tool's heartbeat
  then verifies for the LMS domain;
* OPENEDX_DEPLOY_CLOUD_SUBSTITUTES=1 and OPENEDX_DEPLOY_OFFLINE=1: the hosts reach no image registry and no vendor
  repository, so the tool runs its offline substitutes on the cloud target too (and says so).

`stop CLOUD DIR` stops the API server and removes every host, network and rule the simulation made.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

import hook
import provider_shim
from ca import simulated_ca

CLOUDS = ("aws", "gcp", "azure")
REPO = Path(__file__).resolve().parents[2]

# What DescribeImages answers for the images the stacks and the preflight look up (openedx_deploy/preflight.py
# AWS_IMAGES; terraform/modules/aws/app_hosts): the owners are Debian's and Canonical's AWS accounts, the names as
# they publish them (Debian: "debian-12-amd64-<date>-<build>"; Canonical: "ubuntu/images/hvm-ssd-gp3/...").
AWS_IMAGES = [
    {
        "ami_id": "ami-0d1e6b1a5c2f3e4d5",
        "name": "debian-12-amd64-20261101-2290",
        "owner_id": "136693071363",
        "description": "Debian 12 (20261101-2290)",
    },
    {
        "ami_id": "ami-0a9b8c7d6e5f4a3b2",
        "name": "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261101",
        "owner_id": "099720109477",
        "description": "Canonical, Ubuntu, 24.04, amd64 noble image",
    },
]


def label(cloud: str) -> str:
    return f"simup{cloud}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def plugin_dir(directory: Path) -> Path:
    source = Path(os.environ.get("TF_PLUGIN_DIR") or Path.home() / ".cache" / "openedx-deploy" / "tf-plugins")
    return provider_shim.make_plugin_dir(source, directory / "tf-plugins")


def terraform_config(directory: Path, plugins: Path) -> Path:
    """Terraform's CLI configuration: every hashicorp provider from the double's plugin dir, nothing downloaded."""
    path = directory / "terraformrc"
    path.write_text(
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path    = {json.dumps(str(plugins))}\n"
        '    include = ["registry.terraform.io/hashicorp/*"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n'
    )
    return path


def start_aws_api(directory: Path) -> dict[str, str]:
    """moto's server on a free port of this machine, knowing the public images; its pid in DIR/api.pid."""
    images = directory / "aws-images.json"
    common = {"architecture": "x86_64", "virtualization_type": "hvm", "root_device_type": "ebs", "state": "available"}
    images.write_text(json.dumps([image | common for image in AWS_IMAGES]))
    port = free_port()
    server = Path(sys.executable).with_name("moto_server")
    log = (directory / "aws-api.log").open("w")
    process = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "MOTO_AMIS_PATH": str(images)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    (directory / "api.pid").write_text(str(process.pid))
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()  # noqa: S310 - a local URL
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the simulated AWS API did not start: see {directory / 'aws-api.log'}") from None
            time.sleep(0.5)
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "simulated",
        "AWS_SECRET_ACCESS_KEY": "simulated",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def gcp_project(cloud: str = "gcp") -> str:
    """The simulated Google Cloud project: the one the API knows and the environment file names."""
    return f"{label(cloud)}-project"


def start_gcp_api(directory: Path) -> dict[str, str]:
    """The Google APIs behind an HTTPS proxy (gcpapi.py), with a service-account key of the simulated project. The
    environment file names the project (`project`), so GOOGLE_CLOUD_PROJECT is not set: the tool must use the
    file's."""
    import gcpapi

    environment = gcpapi.start_gcp_api(directory, gcp_project(), state_dir=directory / "state")
    environment.pop("GOOGLE_CLOUD_PROJECT", None)
    return environment


def start_azure_api(directory: Path) -> dict[str, str]:
    """The Azure APIs behind an HTTPS proxy (azureapi.py), with a service principal of the simulated subscription
    (hook.SUBSCRIPTION). The environment file names the subscription (`subscription_id`), so AZURE_SUBSCRIPTION_ID
    is not set: the tool must use the file's."""
    import azureapi

    environment = azureapi.start_azure_api(directory, hook.SUBSCRIPTION, state_dir=directory / "state")
    environment.pop("AZURE_SUBSCRIPTION_ID", None)
    return environment


def start(cloud: str, directory: Path) -> dict[str, str]:
    apis = {"aws": start_aws_api, "gcp": start_gcp_api, "azure": start_azure_api}
    if cloud not in apis:
        raise SystemExit(f"the whole simulated run covers {' and '.join(apis)} so far; {cloud}'s API is not simulated")
    directory.mkdir(parents=True, exist_ok=True)
    stop(cloud, directory)
    wrapper = directory / "sim-hook"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(hook.__file__).resolve()}" "$@"\n')
    wrapper.chmod(0o755)
    state = directory / "state"
    return {
        "SIM_PROVIDER_HOOK": str(wrapper),
        "SIM_CLOUD_STATE": str(state),
        "SIM_CLOUD_LABEL": label(cloud),
        "TF_CLI_CONFIG_FILE": str(terraform_config(directory, plugin_dir(directory))),
        "SSL_CERT_FILE": str(simulated_ca(state).certificate_file),
        "OPENEDX_DEPLOY_CLOUD_SUBSTITUTES": "1",
        "OPENEDX_DEPLOY_OFFLINE": "1",
        **apis[cloud](directory),
    }


def stop(cloud: str, directory: Path) -> None:
    pid_file = directory / "api.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.killpg(int(pid_file.read_text()), signal.SIGTERM)
        pid_file.unlink()
    hook.cleanup(label(cloud))


def main() -> int:
    command, cloud, directory = sys.argv[1:4]
    if cloud not in CLOUDS:
        print(f"unknown cloud {cloud!r}: one of {', '.join(CLOUDS)}", file=sys.stderr)
        return 2
    if command == "start":
        for name, value in start(cloud, Path(directory).resolve()).items():
            print(f"export {name}={shlex.quote(value)}")
        return 0
    if command == "stop":
        stop(cloud, Path(directory).resolve())
        return 0
    print(f"unknown command {command!r}: start or stop", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
