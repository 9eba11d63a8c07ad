"""Terraform outputs shaped as the AWS stack gives them for a `standard` environment named demo (docs/contracts.md
section 2), for tests that render an inventory without running Terraform. tests/snapshots/outputs/ holds the outputs
each stack really gives (recorded from the provider double; tests/test_inventory_contract.py)."""

from __future__ import annotations

from typing import Any

AWS_STANDARD_OUTPUTS: dict[str, Any] = {
    "host_groups": {
        "app": [{"name": "demo-app-1", "address": "10.40.1.10", "public_address": ""}],
        "worker": [{"name": "demo-worker-1", "address": "10.40.1.20", "public_address": ""}],
        "mongodb": [{"name": "demo-mongodb-1", "address": "10.40.2.10", "public_address": ""}],
        "search": [{"name": "demo-search-1", "address": "10.40.2.20", "public_address": ""}],
        "mysql": [],
        "redis": [],
    },
    "endpoints": {
        "mysql": {"host": "demo.abc.rds.amazonaws.com", "port": 3306, "managed": True, "tls": True},
        "redis": {"host": "master.demo.cache.amazonaws.com", "port": 6379, "managed": True, "tls": True},
        "mongodb": {"host": "", "port": 27017, "managed": False, "tls": False},
        "search": {"host": "", "port": 7700, "managed": False, "tls": False},
    },
    "buckets": {"uploads": "demo-uploads", "exports": "demo-exports", "grades": "demo-grades", "backups": "b"},
    "load_balancer": {"address": "", "dns_name": "demo-lb.elb.amazonaws.com"},
    # No CDN (cdn.enabled false): every value "".
    "cdn": {"domain": "", "static_url": "", "media_url": ""},
    "storage_identity": "arn:aws:iam::123456789012:role/demo-app",
    "ssh_user": "openedx",
    # No ssh.allowed_cidrs, so no bastion: the inventory uses the hosts' own addresses.
    "bastion": {"address": "", "private_address": "", "ssh_user": "openedx"},
    "redis_credential": "sample-elasticache-auth-token",
    # Amazon EFS, which the app and worker hosts mount at /var/lib/openedx (every profile but single).
    "shared_files": {
        "type": "nfs",
        "address": "fs-0123456789abcdef0.efs.us-east-1.amazonaws.com",
        "export": "/",
        "options": "nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport",
    },
}
