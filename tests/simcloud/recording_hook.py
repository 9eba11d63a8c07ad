"""TEST DOUBLE: the provider double's SIM_PROVIDER_HOOK while the stack outputs are recorded
(tests/test_inventory_contract.py, through provider_shim.py): it fills the one value a stack output reads that the
double leaves empty, and nothing else.

A Filestore instance's address is nested, `networks[0].ip_addresses`, a computed list the double answers with `[]`;
the GCP stack's `shared_files` output reads it. Here it is the third address of the instance's reserved /29 (a value
of the double's choosing: Google gives the instance an address in that range). Every other call prints nothing, so
the double's generic answer stands.
"""

from __future__ import annotations

import ipaddress
import json
import sys


def answer(request: dict[str, object]) -> dict[str, object]:
    if request.get("type") != "google_filestore_instance" or request.get("op") != "create":
        return {}
    planned = request.get("planned") or {}
    assert isinstance(planned, dict)
    networks = planned.get("networks") or []
    filled = []
    for network in networks:
        reserved = ipaddress.ip_network(network["reserved_ip_range"])
        filled.append({"ip_addresses": [str(reserved.network_address + 2)]})
    return {"networks": filled} if filled else {}


if __name__ == "__main__":
    found = answer(json.load(sys.stdin))
    if found:
        print(json.dumps(found))
