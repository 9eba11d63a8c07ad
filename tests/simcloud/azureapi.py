"""TEST DOUBLE: the Azure APIs the tool's SDK calls reach (preflight, snapshots, backups), served offline.

It copies the REST APIs as Microsoft documents them (Microsoft identity platform: "OAuth 2.0 client credentials
flow", OpenID Connect discovery and the AADSTS error codes; the Azure Resource Manager REST reference: Resource SKUs,
Virtual Machine Images, Usage, Virtual Machines, Disks, Snapshots, Resource Groups, Storage Accounts and Blob
Containers, "Track asynchronous Azure operations", "Resolve errors for storage account names"; the Blob service REST
reference: Create and Delete Container, Put Blob, Put Block, Put Block List, Get Blob, List Blobs, Delete Blob, "Blob
service error codes") and as the installed SDKs call them: azure-identity 1.27 with msal 1.39 (DefaultAzureCredential
tries EnvironmentCredential first: a ClientSecretCredential whose ConfidentialClientApplication reads the tenant's
OpenID configuration, posts client_credentials with the secret and, after a refusal, asks instance discovery for the
cloud's aliases; a refusal ends the chain, so managed identity is never probed), azure-mgmt-compute 39.0
(operations/_operations.py: the paths; api-versions 2026-04-01, 2026-03-02 for disks and snapshots, 2021-07-01 for
SKUs; lists follow nextLink), azure-mgmt-core 1.6 (ARMPolling: Azure-AsyncOperation, else Location, else
provisioningState) and azure-storage-blob 12.31.1 (x-ms-version 2026-10-06; Put Blob up to 64 MiB, 4 MiB Put Blocks
and Put Block List above; a download reads a 32 MiB range, then 4 MiB ranges on the ETag; errors by x-ms-error-code).

Nothing under login.microsoftonline.com, management.azure.com or blob.core.windows.net resolves here, so clients reach
it through apiproxy.py's HTTPS proxy (HTTPS_PROXY and REQUESTS_CA_BUNDLE, which azure-core's requests transport
honours): a CONNECT to login.microsoftonline.com, management.azure.com or `<account>.blob.core.windows.net` for an
account created through ARM (the proxy shows a `*.blob.core.windows.net` certificate, a wildcard as Azure's own) opens
a tunnel the API is served on; any other host is refused with 403, and an account that does not exist with 502 (its
name does not resolve).

It fails where Azure does, in each API's error shape: Entra's {"error", "error_description": "AADSTSnnn: ...",
"error_codes"} (unknown tenant 90002, client 700016, wrong secret 7000215, no secret 7000218, a scope without /.default
1002012, an unknown resource 500011), which azure-identity raises as ClientAuthenticationError; ARM's {"error": {"code",
"message"}} (no, an unknown or an expired bearer token, or one for another audience: 401 AuthenticationFailed,
InvalidAuthenticationToken, ExpiredAuthenticationToken, InvalidAuthenticationTokenAudience; another subscription 404
SubscriptionNotFound; an unknown group or resource 404 ResourceGroupNotFound, ResourceNotFound; a snapshot of a disk
not found in its location 404 NotFound "Resource X is not found."; a VM size not offered there 409 SkuNotAvailable, or
beyond the regional vCPU quota 409 OperationNotAllowed; deleting an attached disk 409 OperationNotAllowed; storage
account names as "Resolve errors for storage account names" gives them), which azure-core maps to
ClientAuthenticationError, ResourceNotFoundError, ResourceExistsError; Blob storage's XML <Error> and x-ms-error-code
(NoAuthenticationInformation, InvalidAuthenticationInfo "Audience validation failed.", ContainerNotFound,
BlobNotFound, BlobAlreadyExists, ConditionNotMet, InvalidBlockList, Md5Mismatch, InvalidRange), which
azure-storage-blob maps to its exceptions. A failed ARM call changes nothing. Long-running operations start
InProgress and are Succeeded when first polled, so the SDK's poller runs. State lives in the server process, for one
simulated session: one tenant, one service principal (which may do anything), one subscription.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import os
import re
import secrets
import sys
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

# Run as a program: the simulation's CA and proxy are this directory's.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import apiproxy
from apiproxy import Reply, Request
from ca import simulated_ca

LOGIN, ARM, BLOB = "login.microsoftonline.com", "management.azure.com", "blob.core.windows.net"
PRINCIPAL = "azure-principal.json"  # under the state dir: the tenant, the client id and the secret's SHA-256
# The resources a token may be asked for (scope RESOURCE/.default), and the API each one's tokens are good for.
AUDIENCES = {f"https://{host}": ARM for host in ("management.azure.com", "management.core.windows.net")}
AUDIENCES["https://storage.azure.com"] = BLOB
ARM_AUDIENCES = ",".join(f"'{a}{end}'" for a in reversed(list(AUDIENCES)[:2]) for end in ("/", ""))
TOKEN_SECONDS = 3599
BEARER_SINCE = "2017-11-09"  # the first Blob x-ms-version that takes OAuth tokens

REGIONS = {"eastus": ("1", "2", "3"), "westeurope": ("1", "2", "3")}
SIZES = {  # name: (family, vCPUs, memory GiB), as the B, Dsv5 and Esv5 series list them
    "Standard_B1s": ("standardBSFamily", 1, 1),  # the stacks' bastion size
    **{f"Standard_B2{kind}": ("standardBSFamily", 2, memory) for kind, memory in (("s", 4), ("ms", 8))},
    **{f"Standard_D{cpus}s_v5": ("standardDSv5Family", cpus, cpus * 4) for cpus in (2, 4, 8)},
    **{f"Standard_E{cpus}s_v5": ("standardESv5Family", cpus, cpus * 8) for cpus in (2, 4, 8)},
}
DISK_SKUS = ("Premium_LRS", "StandardSSD_LRS", "Standard_LRS", "Premium_ZRS", "StandardSSD_ZRS")
CORES_LIMIT, FAMILY_LIMIT, VM_LIMIT = 20, 10, 25000  # a new pay-as-you-go subscription's regional quotas
IMAGES = {  # (publisher, offer, sku): versions, oldest first, as the publishers list them; OS disks of 30 GiB
    ("Debian", "debian-12", "12-gen2"): ("0.20260910.1200", "0.20261015.1234", "0.20261111.1234"),
    ("Canonical", "ubuntu-24_04-lts", "server"): ("24.04.202610140", "24.04.202611130"),
}
IMAGE_GB = 30
IMAGE_ID = re.compile(
    r"/Subscriptions/[^/]+/Providers/Microsoft\.Compute/Locations/([^/]+)/Publishers/([^/]+)/ArtifactTypes/VMImage"
    r"/Offers/([^/]+)/Skus/([^/]+)/Versions/([^/]+)",
    re.IGNORECASE,
)

VM, DISK, SNAPSHOT = "Microsoft.Compute/virtualMachines", "Microsoft.Compute/disks", "Microsoft.Compute/snapshots"
ACCOUNT, CONTAINER = "Microsoft.Storage/storageAccounts", "Microsoft.Storage/storageAccounts/blobServices/containers"
COMPUTE_KINDS = {kind.rsplit("/", 1)[1].lower(): kind for kind in (VM, DISK, SNAPSHOT)}
# CRP's rule for VM (63), disk and snapshot (79) names, as its message quotes it (.NET), and in Python.
NAME_RULE, NAME_MATCH = r"^[^_\W][\w-._]{0,%d}(?<![-.])$", r"[^_\W][\w._-]{0,%d}(?<![-.])"
ACCOUNT_NAME = re.compile(r"[a-z0-9]{3,24}")
CONTAINER_NAME = re.compile(r"[a-z0-9](?!.*--)[a-z0-9-]*[a-z0-9]")
RESERVED_TAG_CHARACTERS = set("<>%&\\?/")
LIST_PAGE = 3  # ARM list items per page (ARM pages at its discretion): the SDK's nextLink paging runs
BLOB_PAGE = 2  # blobs per List Blobs page at most (a page may hold fewer than maxresults): NextMarker paging runs
BAD_QUERY = "Value for one of the query parameters specified in the request URI is invalid."
S = r"/subscriptions/([^/]+)"
G = S + r"/resourceGroups/([^/]+)"
COMPUTE = G + r"/providers/Microsoft\.Compute/(virtualMachines|disks|snapshots)"
ACCOUNTS = G + r"/providers/Microsoft\.Storage/storageAccounts/([^/]+)"
VERSIONS = S + r"/providers/Microsoft\.Compute/locations/([^/]+)/publishers/([^/]+)/artifacttypes/vmimage"
VERSIONS += r"/offers/([^/]+)/skus/([^/]+)/versions"
route = apiproxy.Routes(re.IGNORECASE)  # ARM's paths are case-insensitive; Entra's and Blob's are lowercase anyway


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None = None) -> str:
    return (moment or now()).isoformat(timespec="microseconds").replace("+00:00", "Z")


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def new_etag() -> str:
    """A Blob storage ETag: 0x and 15 hex digits, growing with time."""
    return f"0x8D{time.time_ns() // 100 & (16**13 - 1):013X}"


# --- Errors, in each API's shape -------------------------------------------------------------------------------


class AzureError(Exception):
    def reply(self) -> Reply:
        raise NotImplementedError


class EntraError(AzureError):
    """An error of the token endpoint: {"error", "error_description": "AADSTSnnn: ...", "error_codes", ...}."""

    def __init__(self, status: int, error: str, code: int, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.code, self.description = status, error, code, description

    def reply(self) -> Reply:
        trace, correlation, stamp = str(uuid.uuid4()), str(uuid.uuid4()), now().strftime("%Y-%m-%d %H:%M:%SZ")
        text = f"AADSTS{self.code}: {self.description} Trace ID: {trace} Correlation ID: {correlation} "
        body = {"error": self.error, "error_description": f"{text}Timestamp: {stamp}", "error_codes": [self.code]}
        body |= {"timestamp": stamp, "trace_id": trace, "correlation_id": correlation}
        return self.status, body | {"error_uri": f"https://{LOGIN}/error?code={self.code}"}, {}


class ArmError(AzureError):
    """An Azure Resource Manager error: {"error": {"code", "message", "target"?}}; a 401 with its challenge."""

    def __init__(self, status: int, code: str, message: str, target: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.target = status, code, message, target

    def reply(self) -> Reply:
        error = {"code": self.code, "message": self.message} | ({"target": self.target} if self.target else {})
        why = self.message.replace('"', "'")
        challenge = 'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", '
        challenge += f'error_description="{why}"'
        return self.status, {"error": error}, {"WWW-Authenticate": challenge} if self.status == 401 else {}


class BlobError(AzureError):
    """A Blob storage error: <Error><Code/><Message/></Error> and x-ms-error-code; a 401 with its challenge."""

    def __init__(self, status: int, code: str, message: str, detail: str = "", tenant: str = "") -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.detail, self.tenant = status, code, message, detail, tenant

    def reply(self) -> Reply:
        error = ET.Element("Error")
        ET.SubElement(error, "Code").text = self.code
        ET.SubElement(error, "Message").text = f"{self.message}\nRequestId:{uuid.uuid4()}\nTime:{iso()}"
        if self.detail:
            ET.SubElement(error, "AuthenticationErrorDetail").text = self.detail
        headers = {"x-ms-error-code": self.code, "Content-Type": "application/xml"}
        if self.status == 401:
            authority = f"https://{LOGIN}/{self.tenant}/oauth2/authorize"
            headers["WWW-Authenticate"] = f"Bearer authorization_uri={authority} resource_id=https://storage.azure.com"
        return self.status, xml(error), headers


def xml(element: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="unicode").encode()


def required(name: str) -> ArmError:
    return ArmError(400, "InvalidParameter", f"Required parameter '{name}' is missing (null).", name)


def invalid(name: str) -> ArmError:
    return ArmError(400, "InvalidParameter", f"The value of parameter {name} is invalid.", name)


def not_found(kind: str, name: str, group: str) -> ArmError:
    message = f"The Resource '{kind}/{name}' under resource group '{group}' was not found."
    return ArmError(
        404, "ResourceNotFound", f"{message} For more details please go to https://aka.ms/ARMResourceNotFoundFix"
    )


def source_not_found(resource_id: object) -> ArmError:
    return ArmError(404, "NotFound", f"Resource {str(resource_id).rsplit('/', 1)[-1]} is not found.")


# --- Blob storage's data ----------------------------------------------------------------------------------------


@dataclass
class Blob:
    data: bytes
    content_type: str
    md5: str | None  # the Content-MD5 property: computed by Put Blob, as the client gave it to Put Block List
    blocks: list[tuple[str, int]] = field(default_factory=list)  # committed (block id, size), in order
    etag: str = field(default_factory=new_etag)
    created: datetime = field(default_factory=now)

    def block(self, block_id: str) -> bytes | None:
        offset = 0
        for known, size in self.blocks:
            if known == block_id:
                return self.data[offset : offset + size]
            offset += size
        return None


@dataclass
class Container:
    blobs: dict[str, Blob] = field(default_factory=dict)
    uncommitted: dict[str, dict[str, bytes]] = field(default_factory=dict)  # blob name: block id: bytes
    etag: str = field(default_factory=new_etag)
    modified: datetime = field(default_factory=now)


def write_service_principal(state_dir: Path, path: Path) -> dict[str, str]:
    """A service principal with a client secret, as `az ad sp create-for-rbac` prints it (appId, displayName,
    password, tenant; mode 0600 at `path`), of a new tenant; the server learns the tenant, the client id and the
    secret's SHA-256 from `state_dir`. Returns the document."""
    document = {"appId": str(uuid.uuid4()), "displayName": "openedx-deploy-simulated"}
    document |= {"password": f"{secrets.token_urlsafe(3)}8Q~{secrets.token_urlsafe(28)}", "tenant": str(uuid.uuid4())}
    digest = hashlib.sha256(document["password"].encode()).hexdigest()
    state_dir.mkdir(parents=True, exist_ok=True)
    principal = {"tenant": document["tenant"], "appId": document["appId"], "secretSha256": digest}
    (state_dir / PRINCIPAL).write_text(json.dumps(principal))
    path.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        json.dump(document, out, indent=2)
    path.chmod(0o600)
    return document


class Azure(apiproxy.Api):
    """One tenant's token endpoint, one subscription's Resource Manager, and the Blob service of its accounts."""

    routes, hosts, name = route, (LOGIN, ARM, f"*.{BLOB}"), "Azure"

    def __init__(self, state_dir: Path, subscription: str) -> None:
        super().__init__()
        principal = json.loads((state_dir / PRINCIPAL).read_text())
        self.tenant, self.client_id, self.secret_sha256 = (
            principal["tenant"],
            principal["appId"],
            principal["secretSha256"],
        )
        self.subscription = subscription
        self.tokens: dict[str, tuple[str, float]] = {}  # access token: (audience, expiry)
        self.groups: dict[str, dict[str, Any]] = {}  # lowercase name: resource group
        self.resources: dict[str, dict[str, Any]] = {}  # lowercase resource id: resource
        self.operations: dict[str, dict[str, Any]] = {}  # operation id: status, and the resource it works on
        self.storage: dict[str, dict[str, Container]] = {}  # account name: container name: container

    def refusal(self, host: str, port: str) -> tuple[int, str] | None:
        refused = super().refusal(host, port)
        if refused is None and host.endswith(f".{BLOB}") and host.split(".")[0] not in self.storage:
            return 502, f"name not resolved: {host}"  # no such account: its name does not resolve
        return refused

    def handle(self, request: Request) -> Reply:
        blob = request.host.endswith(f".{BLOB}")
        with self.lock:  # a failed ARM call changes nothing: the state before it comes back
            saved = copy.deepcopy((self.groups, self.resources)) if request.host == ARM else None
            try:
                status, payload, headers = self.answer(request, blob)
                payload = copy.deepcopy(payload) if isinstance(payload, dict | list) else payload
            except AzureError as error:
                self.groups, self.resources = saved or (self.groups, self.resources)
                status, payload, headers = error.reply()
        request_id = str(uuid.uuid4())
        if blob:
            headers |= {"x-ms-request-id": request_id, "x-ms-version": request.header("x-ms-version")}
            headers |= {"Date": http_date(now())}
        elif request.host == ARM:
            headers |= {"x-ms-request-id": request_id, "x-ms-correlation-request-id": request_id}
        return status, payload, headers

    def answer(self, request: Request, blob: bool) -> Reply:
        """The route's reply after the API's authentication, or the API's error (an AzureError)."""
        if request.host == ARM:
            self.authenticate(request, ARM)
            if "api-version" not in request.query:
                message = "The api-version query parameter (?api-version=) is required for all requests."
                raise ArmError(400, "MissingApiVersionParameter", message)
        elif blob:
            self.authenticate(request, BLOB)
        try:
            reply = self.dispatch(request)
        except apiproxy.BadBody as bad:
            if blob:
                raise BlobError(400, "InvalidXmlDocument", "XML specified is not syntactically valid.") from None
            why = f"The request content was invalid and could not be deserialized: {bad}"
            raise ArmError(400, "InvalidRequestContent", why) from None
        if reply is not None:
            return reply
        if blob:
            raise BlobError(400, "InvalidQueryParameterValue", BAD_QUERY)
        if request.host == ARM:
            raise ArmError(404, "InvalidResourceType", f"The resource type of '{request.path}' is not simulated.")
        return 404, None, {}  # an endpoint of Entra ID's that is not simulated

    # --- Microsoft Entra ID ---------------------------------------------------------------------------------

    def check_tenant(self, tenant: str, error: str = "invalid_request") -> None:
        if tenant.lower() != self.tenant:
            why = (
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into "
                "the correct cloud. Check with your subscription administrator, this may happen if there are no "
                "active subscriptions for the tenant."
            )
            raise EntraError(400, error, 90002, why)

    @route(LOGIN, "GET", r"/([^/]+)/v2\.0/\.well-known/openid-configuration")
    def openid_configuration(self, request: Request, tenant: str) -> Reply:
        """The tenant's OpenID configuration (MSAL reads its token and authorization endpoints)."""
        self.check_tenant(tenant, "invalid_tenant")
        base = f"https://{LOGIN}/{self.tenant}"
        found = {"issuer": f"{base}/v2.0", "jwks_uri": f"{base}/discovery/v2.0/keys"}
        endpoints = ("authorization", "authorize"), ("token", "token"), ("device_authorization", "devicecode")
        found |= {f"{name}_endpoint": f"{base}/oauth2/v2.0/{path}" for name, path in endpoints}
        found["token_endpoint_auth_methods_supported"] = [f"client_secret_{how}" for how in ("post", "basic")]
        return 200, found | {"tenant_region_scope": "NA", "cloud_instance_name": "microsoftonline.com"}, {}

    @route(LOGIN, "GET", r"/common/discovery/instance")
    def instance_discovery(self, request: Request) -> Reply:
        """Instance discovery (MSAL asks it for the cloud's host aliases, to match its token cache, e.g. after a
        refused token request): the tenant discovery endpoint of the authorization endpoint given, and the public
        cloud's aliases (the other clouds are not simulated)."""
        endpoint = urllib.parse.urlsplit(request.query.get("authorization_endpoint", ""))
        found = re.fullmatch(r"/([^/]+)/oauth2/(v2\.0/)?authorize", endpoint.path)
        if endpoint.hostname != LOGIN or not found:
            why = "AADSTS50049: Unknown or invalid instance."
            return 400, {"error": "invalid_instance", "error_description": why}, {}
        discovery = f"https://{LOGIN}/{found[1]}{'/v2.0' if found[2] else ''}/.well-known/openid-configuration"
        aliases = [LOGIN, "login.windows.net", "login.microsoft.com", "sts.windows.net"]
        cloud = {"preferred_network": LOGIN, "preferred_cache": "login.windows.net", "aliases": aliases}
        answer = {"tenant_discovery_endpoint": discovery, "api-version": request.query.get("api-version")}
        return 200, answer | {"metadata": [cloud]}, {}

    @route(LOGIN, "POST", r"/([^/]+)/oauth2/v2\.0/token")
    def token(self, request: Request, tenant: str) -> Reply:
        """The client credentials grant of the one service principal: an access token for one resource."""
        self.check_tenant(tenant)
        form = dict(urllib.parse.parse_qsl(request.body.decode(errors="replace")))
        if form.get("grant_type") != "client_credentials":
            why = f"The app requested an unsupported grant type '{form.get('grant_type', '')}'."
            raise EntraError(400, "unsupported_grant_type", 70003, why)
        if form.get("client_id") != self.client_id:
            why = (
                f"Application with identifier '{form.get('client_id', '')}' was not found in the directory "
                f"'{self.tenant}'. This can happen if the application has not been installed by the administrator of "
                "the tenant or consented to by any user in the tenant. You may have sent your authentication request "
                "to the wrong tenant."
            )
            raise EntraError(400, "unauthorized_client", 700016, why)
        secret = form.get("client_secret")
        if not secret:
            why = "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
            raise EntraError(401, "invalid_client", 7000218, why)
        if not secrets.compare_digest(hashlib.sha256(secret.encode()).hexdigest(), self.secret_sha256):
            why = (
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
                f"value, not the client secret ID, for a secret added to app '{self.client_id}'."
            )
            raise EntraError(401, "invalid_client", 7000215, why)
        scopes = form.get("scope", "").split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            why = (
                f"The provided value for scope {form.get('scope', '')} is not valid. Client credential flows must "
                "have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            )
            raise EntraError(400, "invalid_scope", 1002012, why)
        audience = scopes[0].removesuffix(".default").removesuffix("/")  # keeps management.core.windows.net's /
        if audience.rstrip("/") not in AUDIENCES:
            why = (
                f"The resource principal named {audience} was not found in the tenant named {self.tenant}. This can "
                "happen if the application has not been installed by the administrator of the tenant or consented "
                "to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
            )
            raise EntraError(400, "invalid_resource", 500011, why)
        issued = int(time.time())
        claims = {"aud": audience, "iss": f"https://sts.windows.net/{self.tenant}/", "iat": issued, "nbf": issued}
        claims |= {"exp": issued + TOKEN_SECONDS, "appid": self.client_id, "appidacr": "1", "idtyp": "app"}
        claims |= {"oid": str(uuid.uuid5(uuid.NAMESPACE_OID, self.client_id)), "tid": self.tenant, "ver": "1.0"}
        parts = [json.dumps(part).encode() for part in ({"typ": "JWT", "alg": "RS256", "kid": "simulated"}, claims)]
        signature = secrets.token_urlsafe(64)  # tokens are known by lookup here, not by a signature
        token = ".".join([*(base64.urlsafe_b64encode(p).rstrip(b"=").decode() for p in parts), signature])
        self.tokens[token] = (audience, issued + TOKEN_SECONDS)
        body = {"token_type": "Bearer", "expires_in": TOKEN_SECONDS, "ext_expires_in": TOKEN_SECONDS}
        return 200, body | {"access_token": token}, {}

    def authenticate(self, request: Request, api: str) -> None:
        """A bearer token this tenant issued, unexpired, for `api`'s audience; else the API's 401 (or 403)."""
        header = request.header("Authorization")
        scheme, _, token = header.partition(" ")
        audience, expiry = self.tokens.get(token, ("", 0.0)) if scheme == "Bearer" else ("", 0.0)
        wrong_audience = AUDIENCES.get(audience.rstrip("/")) != api
        if api == ARM:
            if not header or scheme != "Bearer" or not token:
                how = "is missing" if not header else "is provided in an invalid format"
                raise ArmError(401, "AuthenticationFailed", f"Authentication failed. The 'Authorization' header {how}.")
            if not audience:
                raise ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.")
            if expiry <= time.time():
                times = [datetime.fromtimestamp(t, UTC).strftime("%m/%d/%Y %H:%M:%S") for t in (expiry, time.time())]
                message = "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.".format(*times)
                raise ArmError(401, "ExpiredAuthenticationToken", message)
            if wrong_audience:
                message = (
                    f"The access token has been obtained for wrong audience or resource '{audience}'. It should "
                    f"exactly match with one of the allowed audiences {ARM_AUDIENCES}."
                )
                raise ArmError(401, "InvalidAuthenticationTokenAudience", message)
            return
        if scheme == "SharedKey":  # no account keys are simulated: accounts take Entra ID tokens only
            message = "Key based authentication is not permitted on this storage account."
            raise BlobError(403, "KeyBasedAuthenticationNotPermitted", message)
        failed = "Server failed to authenticate the request. Please refer to the information in the www-authenticate"
        if not header:
            raise BlobError(401, "NoAuthenticationInformation", f"{failed} header.", tenant=self.tenant)
        for wrong, detail in (
            (not audience, "Signature validation failed. Signature verification failed."),
            (expiry <= time.time(), "Lifetime validation failed. The token is expired."),
            (wrong_audience, "Audience validation failed. Audience did not match."),
        ):
            if wrong:
                raise BlobError(401, "InvalidAuthenticationInfo", f"{failed} header.", detail, self.tenant)
        if request.header("x-ms-version") < BEARER_SINCE:
            message = "Server failed to authenticate the request. Make sure the value of Authorization header is "
            message += "formed correctly including the signature."
            detail = "Authentication scheme Bearer is not supported in this version."
            raise BlobError(403, "AuthenticationFailed", message, detail)

    # --- Resource Manager: subscription, groups, resources, operations ------------------------------------------

    def check_subscription(self, sub: str) -> None:
        if sub.lower() != self.subscription.lower():
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")

    def group(self, sub: str, name: str) -> dict[str, Any]:
        self.check_subscription(sub)
        if name.lower() not in self.groups:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
        return self.groups[name.lower()]

    def resource_id(self, sub: str, group: str, kind: str, name: str) -> str:
        return f"{self.group(sub, group)['id']}/providers/{kind}/{name}"

    def resource(self, sub: str, group: str, kind: str, name: str) -> dict[str, Any]:
        found = self.resources.get(self.resource_id(sub, group, kind, name).lower())
        if found is None:
            raise not_found(kind, name, self.groups[group.lower()]["name"])
        return found

    def by_id(self, resource_id: object, *kinds: str) -> dict[str, Any] | None:
        found = self.resources.get(str(resource_id).lower())
        return found if found is not None and found["type"] in kinds else None

    def listing(self, request: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
        """One page of an ARM list ({"value", "nextLink"}): LIST_PAGE items from the $skiptoken on."""
        token = request.query.get("$skiptoken") or "0"
        if not token.isdigit():
            raise invalid("$skiptoken")
        start = int(token)
        page = {"value": items[start : start + LIST_PAGE]}
        if start + LIST_PAGE < len(items):
            query = urllib.parse.urlencode(request.query | {"$skiptoken": str(start + LIST_PAGE)})
            page["nextLink"] = f"https://{ARM}{request.path}?{query}"
        return page

    def location(self, value: object, kind: str) -> str:
        location = str(value or "").replace(" ", "").lower()
        if location not in REGIONS:
            where = f"resource type '{kind}'" if kind else "resource group"
            message = f"The provided location '{value}' is not available for {where}. List of available regions "
            code = "LocationNotAvailableForResourceType" if kind else "LocationNotAvailableForResourceGroup"
            raise ArmError(400, code, f"{message}{'for the resource type ' if kind else ''}is '{','.join(REGIONS)}'.")
        return location

    @staticmethod
    def tags(body: dict[str, Any]) -> dict[str, str]:
        tags = body.get("tags") or {}
        if not isinstance(tags, dict):
            raise invalid("tags")
        reserved = [name for name in tags if set(str(name)) & RESERVED_TAG_CHARACTERS]
        if reserved:
            message = f"The tag names '{','.join(reserved)}' have reserved characters '<,>,%,&,\\,?,/' or control "
            raise ArmError(400, "InvalidTagNameCharacters", message + "characters.")
        return {str(name): str(value) for name, value in tags.items()}

    def tracked(
        self, request: Request, sub: str, group: str, kind: str, name: str, longest: int = 0
    ) -> tuple[dict[str, Any], str, str, dict[str, Any] | None]:
        """A PUT's body, the resource's id, its location and its current state (None when new), after ARM's checks:
        the group exists, the name follows CRP's rule (at most `longest` + 1 characters), the location is simulated
        and, for an existing resource, unchanged."""
        body = request.json()
        resource_id = self.resource_id(sub, group, kind, name)
        if longest and not re.fullmatch(NAME_MATCH % longest, name):
            message = f"The entity name '{name}' is invalid according to its validation rule: {NAME_RULE % longest}."
            raise ArmError(400, "InvalidParameter", message, name)
        location = self.location(body.get("location"), kind)
        existing = self.resources.get(resource_id.lower())
        if existing is not None and existing["location"] != location:
            message = (
                f"The resource '{name}' already exists in location '{existing['location']}' in resource group "
                f"'{self.groups[group.lower()]['name']}'. A resource with the same name cannot be created in location "
                f"'{location}'. Please select a new resource name."
            )
            raise ArmError(409, "InvalidResourceLocation", message)
        return body, resource_id, location, existing

    def operation(self, request: Request, path: str, resource_id: str | None, monitor: bool = False) -> str:
        """A new long-running operation on `resource_id` (InProgress; Succeeded when first polled): its URL under
        the subscription's `path` (`?monitor=true` for Storage's Location monitor)."""
        name = str(uuid.uuid4())
        self.operations[name] = {"name": name, "status": "InProgress", "startTime": iso(), "resource": resource_id}
        query = {"monitor": "true"} if monitor else {"p": str(uuid.uuid4())}
        query["api-version"] = request.query["api-version"]
        return f"https://{ARM}/subscriptions/{self.subscription}/{path}/{name}?{urllib.parse.urlencode(query)}"

    def accepted(
        self, request: Request, location: str, resource_id: str, kind: str = "operations", only: str = ""
    ) -> dict[str, str]:
        """A Compute operation's headers: Azure-AsyncOperation, and Location (monitor=true) for its result (DiskRP
        sends both; CRP's PUT `only` the first)."""
        url = self.operation(request, f"providers/Microsoft.Compute/locations/{location}/{kind}", resource_id)
        headers = {"Azure-AsyncOperation": url, "Location": url.replace("?", "?monitor=true&", 1)}
        return {only: headers[only]} if only else headers

    def finish(self, sub: str, name: str) -> dict[str, Any]:
        self.check_subscription(sub)
        operation = self.operations.get(name)
        if operation is None:
            raise ArmError(404, "NotFound", "The entity was not found in this Azure location.")
        if operation["status"] == "InProgress":
            operation |= {"status": "Succeeded", "endTime": iso()}
            resource = self.resources.get(str(operation["resource"]).lower())
            if resource is not None:
                resource["properties"]["provisioningState"] = "Succeeded"
        return operation

    @route(ARM, "GET", S + r"/providers/Microsoft\.Compute/locations/[^/]+/(?:operations|DiskOperations)/([^/]+)")
    def compute_operation(self, request: Request, sub: str, name: str) -> Reply:
        """An Azure-AsyncOperation status as Compute answers it: {"name", "status", "startTime", "endTime"}."""
        return 200, {key: value for key, value in self.finish(sub, name).items() if key != "resource"}, {}

    @route(ARM, "GET", S + r"/providers/Microsoft\.Storage/locations/[^/]+/asyncoperations/([^/]+)")
    def storage_operation(self, request: Request, sub: str, name: str) -> Reply:
        """Storage's Location monitor: 200 and the account, once done."""
        return 200, self.resources.get(str(self.finish(sub, name)["resource"]).lower()), {}

    @route(ARM, "GET", S + r"/operationresults/([^/]+)")
    def group_operation(self, request: Request, sub: str, name: str) -> Reply:
        self.finish(sub, name)
        return 200, None, {}

    # --- Resource groups ------------------------------------------------------------------------------------

    @route(ARM, "PUT", G)
    def put_group(self, request: Request, sub: str, name: str) -> Reply:
        self.check_subscription(sub)
        body = request.json()
        location, existing = self.location(body.get("location"), ""), self.groups.get(name.lower())
        if existing is not None and existing["location"] != location:
            message = f"Invalid resource group location '{location}'. The Resource group already exists in location"
            raise ArmError(409, "InvalidResourceGroupLocation", f"{message} '{existing['location']}'.")
        name = existing["name"] if existing else name
        group = {"id": f"/subscriptions/{self.subscription}/resourceGroups/{name}", "name": name, "location": location}
        group |= {"type": "Microsoft.Resources/resourceGroups", "tags": self.tags(body)}
        self.groups[name.lower()] = group | {"properties": {"provisioningState": "Succeeded"}}
        return (200 if existing else 201), self.groups[name.lower()], {}

    @route(ARM, "GET", G)
    def get_group(self, request: Request, sub: str, name: str) -> Reply:
        return 200, self.group(sub, name), {}

    @route(ARM, "DELETE", G)
    def delete_group(self, request: Request, sub: str, name: str) -> Reply:
        """The group and everything in it (its storage accounts' data too), through a Location monitor."""
        prefix = self.group(sub, name)["id"].lower() + "/"
        for resource_id in [key for key in self.resources if key.startswith(prefix)]:
            if self.resources[resource_id]["type"] == ACCOUNT:
                del self.storage[self.resources[resource_id]["name"]]
            del self.resources[resource_id]
        del self.groups[name.lower()]
        return 202, None, {"Location": self.operation(request, "operationresults", None), "Retry-After": "15"}

    # --- Compute: the catalogue --------------------------------------------------------------------------------

    @staticmethod
    def check_location(request: Request, location: str, kind: str) -> str:
        if location.lower() not in REGIONS:
            message = (
                f"No registered resource provider found for location '{location}' and API version "
                f"'{request.query['api-version']}' for type '{kind}'. The supported locations are "
                f"'{', '.join(REGIONS)}'."
            )
            raise ArmError(400, "NoRegisteredProviderFound", message)
        return location.lower()

    @route(ARM, "GET", S + r"/providers/Microsoft\.Compute/skus")
    def list_skus(self, request: Request, sub: str) -> Reply:
        """The resource SKUs (VM sizes, disk types), one entry per location; `$filter` only `location eq 'X'`, as
        the API supports it."""
        self.check_subscription(sub)
        expression = request.query.get("$filter")
        wanted = re.fullmatch(r"location eq '([^']*)'", expression.strip()) if expression else None
        if expression and not wanted:
            raise ArmError(400, "InvalidParameter", f"The filter '{expression}' is not supported.", "$filter")
        items = []
        for location, zones in REGIONS.items():
            if wanted and wanted[1].replace(" ", "").lower() != location:
                continue
            where = {"locations": [location], "locationInfo": [{"location": location, "zones": list(zones)}]}
            for name, (family, cpus, memory) in SIZES.items():
                capabilities = {"vCPUs": cpus, "MemoryGB": memory, "MaxDataDiskCount": 4 * cpus, "PremiumIO": "True"}
                capabilities |= {"vCPUsAvailable": cpus, "HyperVGenerations": "V1,V2", "CpuArchitectureType": "x64"}
                sku = {"resourceType": "virtualMachines", "name": name, "tier": "Standard", "size": name[9:]}
                sku |= {"family": family, **where, "restrictions": []}
                items.append(sku | {"capabilities": [{"name": k, "value": str(v)} for k, v in capabilities.items()]})
            for name in DISK_SKUS:
                tier = "Premium" if name.startswith("Premium") else "Standard"
                sku = {"resourceType": "disks", "name": name, "tier": tier, "size": name.split("_")[0], **where}
                items.append(sku | {"capabilities": [{"name": "MaxSizeGiB", "value": "32767"}], "restrictions": []})
        return 200, self.listing(request, items), {}

    @staticmethod
    def image_version(publisher: str, offer: str, sku: str, version: str) -> tuple[tuple[str, str, str], str] | None:
        """The catalogue's (publisher, offer, sku) and version (`latest`: the newest), matched case-insensitively."""
        for key, versions in IMAGES.items():
            if [part.lower() for part in key] == [publisher.lower(), offer.lower(), sku.lower()]:
                if version.lower() == "latest":
                    return key, versions[-1]
                return (key, version) if version in versions else None
        return None

    def image_id(self, location: str, key: tuple[str, str, str], version: str) -> str:
        publisher, offer, sku = key
        base = f"/Subscriptions/{self.subscription}/Providers/Microsoft.Compute/Locations/{location}"
        return f"{base}/Publishers/{publisher}/ArtifactTypes/VMImage/Offers/{offer}/Skus/{sku}/Versions/{version}"

    @route(ARM, "GET", VERSIONS)
    def list_versions(self, request: Request, sub: str, location: str, publisher: str, offer: str, sku: str) -> Reply:
        """A platform image's versions: a JSON array of {location, name, id}, as the API answers."""
        self.check_subscription(sub)
        location = self.check_location(request, location, "locations/publishers")
        found = self.image_version(publisher, offer, sku, "latest")
        if found is None:
            raise ArmError(404, "NotFound", "Artifact: VMImage was not found.")
        key, _ = found
        return 200, [{"location": location, "name": v, "id": self.image_id(location, key, v)} for v in IMAGES[key]], {}

    def machines(self, location: str) -> list[dict[str, Any]]:
        return [r for r in self.resources.values() if r["type"] == VM and r["location"] == location]

    def cores(self, location: str) -> int:
        return sum(SIZES[vm["properties"]["hardwareProfile"]["vmSize"]][1] for vm in self.machines(location))

    @route(ARM, "GET", S + r"/providers/Microsoft\.Compute/locations/([^/]+)/usages")
    def list_usages(self, request: Request, sub: str, location: str) -> Reply:
        """The regional quotas and their use by the VMs there: vCPUs in all ("cores") and per family, VMs."""
        self.check_subscription(sub)
        location = self.check_location(request, location, "locations/usages")
        sizes = [SIZES[vm["properties"]["hardwareProfile"]["vmSize"]] for vm in self.machines(location)]
        rows = [("cores", "Total Regional vCPUs", CORES_LIMIT, self.cores(location))]
        rows.append(("virtualMachines", "Virtual Machines", VM_LIMIT, len(sizes)))
        for family in sorted({family for family, _, _ in SIZES.values()}):
            used = sum(cpus for of, cpus, _ in sizes if of == family)
            label = f"Standard {family.removeprefix('standard').removesuffix('Family')} Family vCPUs"
            rows.append((family, label, FAMILY_LIMIT, used))
        value = [
            {"unit": "Count", "currentValue": used, "limit": limit, "name": {"value": name, "localizedValue": label}}
            for name, label, limit, used in rows
        ]
        return 200, self.listing(request, value), {}

    # --- Compute: disks, snapshots and virtual machines -------------------------------------------------------

    @route(ARM, "GET", COMPUTE)
    def list_compute(self, request: Request, sub: str, group: str, kind: str) -> Reply:
        prefix, kind = self.group(sub, group)["id"].lower() + "/", COMPUTE_KINDS[kind.lower()]
        items = [r for key, r in sorted(self.resources.items()) if key.startswith(prefix) and r["type"] == kind]
        return 200, self.listing(request, items), {}

    @route(ARM, "GET", COMPUTE + r"/([^/]+)")
    def get_compute(self, request: Request, sub: str, group: str, kind: str, name: str) -> Reply:
        return 200, self.resource(sub, group, COMPUTE_KINDS[kind.lower()], name), {}

    @route(ARM, "DELETE", COMPUTE + r"/([^/]+)")
    def delete_compute(self, request: Request, sub: str, group: str, kind: str, name: str) -> Reply:
        """A VM (its disks deleted or detached, by their deleteOption), a disk no VM holds, a snapshot; 204 when
        there is no such resource."""
        kind = COMPUTE_KINDS[kind.lower()]
        resource_id = self.resource_id(sub, group, kind, name)
        resource = self.resources.get(resource_id.lower())
        if resource is None:
            return 204, None, {}
        if kind == DISK and resource.get("managedBy"):
            raise ArmError(409, "OperationNotAllowed", f"Disk {name} is attached to VM {resource['managedBy']}.")
        if kind == VM:
            profile = resource["properties"]["storageProfile"]
            for entry in [profile["osDisk"], *profile["dataDisks"]]:
                disk = self.resources[entry["managedDisk"]["id"].lower()]
                if entry["deleteOption"] == "Delete":
                    del self.resources[disk["id"].lower()]
                else:
                    disk.pop("managedBy")
                    disk["properties"]["diskState"] = "Unattached"
        del self.resources[resource_id.lower()]
        kind = "operations" if kind == VM else "DiskOperations"
        return 202, None, self.accepted(request, resource["location"], resource_id, kind)

    def new_disk(
        self, disk_id: str, location: str, body: dict[str, Any], creation: dict[str, Any], size: int
    ) -> dict[str, Any]:
        """A managed disk as DiskRP answers it (provisioningState Updating until its operation is polled)."""
        sku, given = str((body.get("sku") or {}).get("name") or "Standard_LRS"), body.get("properties") or {}
        details = {"creationData": creation, "diskSizeGB": size, "diskSizeBytes": size * 2**30, "timeCreated": iso()}
        details |= {"uniqueId": str(uuid.uuid4()), "diskState": "Unattached", "provisioningState": "Updating"}
        details |= {"encryption": {"type": "EncryptionAtRestWithPlatformKey"}, "networkAccessPolicy": "AllowAll"}
        details |= {"osType": given["osType"]} if given.get("osType") else {}
        disk = {"id": disk_id, "name": disk_id.rsplit("/", 1)[1], "type": DISK, "location": location}
        disk |= {"tags": self.tags(body), "sku": {"name": sku, "tier": sku.split("_")[0].removesuffix("SSD")}}
        disk |= {"zones": body["zones"]} if body.get("zones") else {}
        self.resources[disk_id.lower()] = disk | {"properties": details}
        return self.resources[disk_id.lower()]

    @route(ARM, "PUT", G + r"/providers/Microsoft\.Compute/disks/([^/]+)")
    def put_disk(self, request: Request, sub: str, group: str, name: str) -> Reply:
        """A managed disk: Empty (diskSizeGB), FromImage (a platform image version's id) or Copy (of a disk or
        snapshot in its location). A PUT on an existing disk updates its tags."""
        body, disk_id, location, existing = self.tracked(request, sub, group, DISK, name, 79)
        if existing is not None:
            existing["tags"] = self.tags(body)
            return 202, None, self.accepted(request, location, disk_id, "DiskOperations")
        properties = body.get("properties") or {}
        creation, size = dict(properties.get("creationData") or {}), properties.get("diskSizeGB")
        if creation.get("createOption") == "FromImage":
            found = IMAGE_ID.fullmatch(str((creation.get("imageReference") or {}).get("id")))
            image = self.image_version(*found.groups()[1:]) if found and found[1].lower() == location else None
            if image is None:
                raise ArmError(404, "NotFound", "Artifact: VMImage was not found.")
            creation["imageReference"], size = {"id": self.image_id(location, *image)}, size or IMAGE_GB
        elif creation.get("createOption") == "Copy":
            source = self.by_id(creation.get("sourceResourceId"), DISK, SNAPSHOT)
            if source is None or source["location"] != location:
                raise source_not_found(creation.get("sourceResourceId"))
            creation["sourceUniqueId"] = source["properties"]["uniqueId"]
            size = size or source["properties"]["diskSizeGB"]
        elif creation.get("createOption") != "Empty":
            raise invalid("creationData.createOption") if creation else required("creationData")
        if not isinstance(size, int) or size < 1:
            raise required("diskSizeGB")
        self.new_disk(disk_id, location, body, creation, size)
        return 202, None, self.accepted(request, location, disk_id, "DiskOperations")

    @route(ARM, "PUT", G + r"/providers/Microsoft\.Compute/snapshots/([^/]+)")
    def put_snapshot(self, request: Request, sub: str, group: str, name: str) -> Reply:
        """A snapshot (full or incremental) of a disk found in its location, as DiskRP finds it; a PUT on an
        existing snapshot updates its tags."""
        body, snapshot_id, location, existing = self.tracked(request, sub, group, SNAPSHOT, name, 79)
        if existing is not None:
            existing["tags"] = self.tags(body)
            return 202, None, self.accepted(request, location, snapshot_id, "DiskOperations")
        properties = body.get("properties") or {}
        creation = dict(properties.get("creationData") or {})
        if creation.get("createOption") not in ("Copy", "CopyStart"):
            raise invalid("creationData.createOption") if creation else required("creationData")
        source = self.by_id(creation.get("sourceResourceId"), DISK, SNAPSHOT)
        if source is None or source["location"] != location:
            raise source_not_found(creation.get("sourceResourceId"))
        creation |= {"sourceResourceId": source["id"], "sourceUniqueId": source["properties"]["uniqueId"]}
        size = source["properties"]["diskSizeGB"]
        snapshot = {"id": snapshot_id, "name": name, "type": SNAPSHOT, "location": location, "tags": self.tags(body)}
        details = {"creationData": creation, "diskSizeGB": size, "diskSizeBytes": size * 2**30, "timeCreated": iso()}
        details |= {"incremental": bool(properties.get("incremental")), "uniqueId": str(uuid.uuid4())}
        details |= {"provisioningState": "Updating", "encryption": {"type": "EncryptionAtRestWithPlatformKey"}}
        details |= {"osType": source["properties"]["osType"]} if source["properties"].get("osType") else {}
        snapshot |= {"sku": {"name": "Standard_LRS", "tier": "Standard"}, "properties": details}
        self.resources[snapshot_id.lower()] = snapshot
        return 202, None, self.accepted(request, location, snapshot_id, "DiskOperations")

    def check_size(self, size: object, location: str, zones: list[str], freed: int = 0) -> str:
        """A VM size offered in the location (and zones), within the regional vCPU quota."""
        if size not in SIZES or any(zone not in REGIONS[location] for zone in zones):
            message = (
                f"The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: {size}' "
                f"is currently not available in location '{location}'. Please try another size or deploy to a "
                "different location or zones. See https://aka.ms/azureskunotavailable for details."
            )
            raise ArmError(409, "SkuNotAvailable", message)
        used, needed = self.cores(location) - freed, SIZES[str(size)][1]
        if used + needed > CORES_LIMIT:
            message = (
                "Operation could not be completed as it results in exceeding approved Total Regional Cores quota. "
                f"Additional details - Deployment Model: Resource Manager, Location: {location}, Current Limit: "
                f"{CORES_LIMIT}, Current Usage: {used}, Additional Required: {needed}, (Minimum) New Limit Required: "
                f"{used + needed}. Submit a request for Quota increase at https://aka.ms/ProdportalCRP"
            )
            raise ArmError(409, "OperationNotAllowed", message)
        return str(size)

    def attach(self, disk_id: object, location: str, vm_id: str) -> dict[str, Any]:
        """An existing disk for a VM to attach: in its location, not held by another VM."""
        disk = self.by_id(disk_id, DISK)
        if disk is None or disk["location"] != location:
            parts = [*str(disk_id).split("/"), "", "", "", "", ""]
            raise not_found(DISK, parts[-6], parts[4])
        if disk.get("managedBy") not in (None, vm_id):
            raise ArmError(409, "OperationNotAllowed", f"Disk {disk['name']} is attached to VM {disk['managedBy']}.")
        disk["managedBy"], disk["properties"]["diskState"] = vm_id, "Attached"
        return disk

    @route(ARM, "PUT", G + r"/providers/Microsoft\.Compute/virtualMachines/([^/]+)")
    def put_vm(self, request: Request, sub: str, group: str, name: str) -> Reply:
        """A VM of a size offered where it goes. Its OS disk FromImage (a managed disk made with it, named by
        osDisk.name or `<vm>_OsDisk_1_<hex>`, as CRP does) or an existing disk Attached; data disks Empty (made) or
        Attached. A PUT on an existing VM updates its tags and size."""
        body, vm_id, location, existing = self.tracked(request, sub, group, VM, name, 63)
        properties, zones = body.get("properties") or {}, [str(zone) for zone in body.get("zones") or []]
        size = (properties.get("hardwareProfile") or {}).get("vmSize")
        if not size:
            raise required("hardwareProfile.vmSize")
        if existing is not None:
            freed = SIZES[existing["properties"]["hardwareProfile"]["vmSize"]][1]
            existing["properties"]["hardwareProfile"] = {"vmSize": self.check_size(size, location, zones, freed)}
            existing["tags"] = self.tags(body)
            return 200, existing, self.accepted(request, location, vm_id, only="Azure-AsyncOperation")
        size = self.check_size(size, location, zones)
        storage, os_profile = properties.get("storageProfile") or {}, properties.get("osProfile")
        os_disk, profile = storage.get("osDisk") or {}, {}
        option, base = os_disk.get("createOption"), f"{self.group(sub, group)['id']}/providers/{DISK}/"

        def made(disk_name: str, given: dict[str, Any], creation: dict[str, Any], size: int) -> dict[str, Any]:
            if (base + disk_name).lower() in self.resources:
                message = f"Disk {disk_name} already exists in resource group {group.upper()}. Only CreateOption.Attach"
                raise ArmError(409, "InvalidParameter", f"{message} is supported.", base + disk_name)
            spec = {"sku": {"name": (given.get("managedDisk") or {}).get("storageAccountType")}, "zones": zones}
            disk = self.new_disk(base + disk_name, location, spec, creation, size)
            disk["properties"]["provisioningState"] = "Succeeded"
            return self.attach(disk["id"], location, vm_id)

        if option == "FromImage":
            given = storage.get("imageReference") or {}
            reference = {key: str(given.get(key)) for key in ("publisher", "offer", "sku", "version")}
            image = self.image_version(*reference.values())
            if image is None:
                message = (
                    f"The platform image '{':'.join(reference.values())}' is not available. Verify that all fields in "
                    "the storage profile are correct. For more details about storage profile information, please "
                    "refer to https://aka.ms/storageprofile"
                )
                raise ArmError(404, "PlatformImageNotFound", message)
            if not os_profile:
                raise required("osProfile")
            creation = {"createOption": "FromImage", "imageReference": {"id": self.image_id(location, *image)}}
            disk_size = max(int(os_disk.get("diskSizeGB") or 0), IMAGE_GB)
            disk = made(os_disk.get("name") or f"{name}_OsDisk_1_{uuid.uuid4().hex}", os_disk, creation, disk_size)
            disk["properties"]["osType"] = "Linux"
            profile["imageReference"] = reference | {"exactVersion": image[1]}
        elif option == "Attach":
            if os_profile:
                raise ArmError(400, "InvalidParameter", "Parameter 'osProfile' is not allowed.", "osProfile")
            disk = self.attach((os_disk.get("managedDisk") or {}).get("id"), location, vm_id)
        else:
            raise invalid("osDisk.createOption") if os_disk else required("storageProfile.osDisk")
        profile["osDisk"] = self.disk_entry(os_disk, disk, option)
        profile["osDisk"]["osType"] = disk["properties"].get("osType", "Linux")
        profile["dataDisks"] = []
        for given in storage.get("dataDisks") or []:
            if given.get("createOption") == "Empty":
                if not isinstance(given.get("diskSizeGB"), int):
                    raise required("dataDisks.diskSizeGB")
                disk_name = given.get("name") or f"{name}_disk{int(given.get('lun') or 0) + 2}_{uuid.uuid4().hex}"
                disk = made(disk_name, given, {"createOption": "Empty"}, given["diskSizeGB"])
            elif given.get("createOption") == "Attach":
                disk = self.attach((given.get("managedDisk") or {}).get("id"), location, vm_id)
            else:
                raise invalid("dataDisks.createOption")
            profile["dataDisks"].append(self.disk_entry(given, disk, given["createOption"]) | {"lun": given.get("lun")})
        details = {"vmId": str(uuid.uuid4()), "hardwareProfile": {"vmSize": size}, "storageProfile": profile}
        write_only = ("adminPassword", "customData")  # CRP never returns them
        details |= {"osProfile": {k: v for k, v in os_profile.items() if k not in write_only}} if os_profile else {}
        details |= {"networkProfile": properties.get("networkProfile") or {}, "provisioningState": "Creating"}
        vm = {"id": vm_id, "name": name, "type": VM, "location": location, "tags": self.tags(body)}
        details["timeCreated"] = iso()
        self.resources[vm_id.lower()] = vm | ({"zones": zones} if zones else {}) | {"properties": details}
        return 201, self.resources[vm_id.lower()], self.accepted(request, location, vm_id, only="Azure-AsyncOperation")

    @staticmethod
    def disk_entry(given: dict[str, Any], disk: dict[str, Any], option: str) -> dict[str, Any]:
        """A storageProfile disk as CRP answers it: the disk's name, size and id, and the options given."""
        entry = {"name": disk["name"], "createOption": option, "caching": given.get("caching") or "None"}
        entry |= {"managedDisk": {"id": disk["id"], "storageAccountType": disk["sku"]["name"]}}
        entry |= {"deleteOption": given.get("deleteOption") or "Detach"}
        return entry | {"diskSizeGB": disk["properties"]["diskSizeGB"]}

    # --- Storage: accounts and containers ------------------------------------------------------------------------

    @route(ARM, "PUT", ACCOUNTS)
    def put_account(self, request: Request, sub: str, group: str, name: str) -> Reply:
        """A storage account (its name global: 3-24 lowercase letters and digits), made through a Location monitor
        (202, then the account); a PUT on an existing account of the group updates its tags, at once."""
        self.group(sub, group)
        if not ACCOUNT_NAME.fullmatch(name):
            message = f"{name} is not a valid storage account name. Storage account name must be between 3 and 24 "
            message += "characters in length and use numbers and lower-case letters only."
            raise ArmError(400, "AccountNameInvalid", message)
        body, account_id, location, existing = self.tracked(request, sub, group, ACCOUNT, name)
        if existing is not None:
            existing["tags"] = self.tags(body)
            return 200, existing, {}
        if name in self.storage:
            message = f"The account {name} is already in another resource group in this subscription."
            raise ArmError(409, "StorageAccountInAnotherResourceGroup", message)
        details = {k: v for k, v in (body.get("properties") or {}).items() if k != "provisioningState"}
        endpoints = {service: f"https://{name}.{service}.core.windows.net/" for service in ("blob", "queue", "table")}
        details |= {"provisioningState": "Creating", "creationTime": iso(), "primaryEndpoints": endpoints}
        details |= {"primaryLocation": location, "statusOfPrimary": "available", "minimumTlsVersion": "TLS1_2"}
        account = {"id": account_id, "name": name, "type": ACCOUNT, "location": location, "tags": self.tags(body)}
        account |= {"sku": {"name": (body.get("sku") or {}).get("name") or "Standard_LRS", "tier": "Standard"}}
        self.resources[account_id.lower()] = account | {"kind": body.get("kind") or "StorageV2", "properties": details}
        self.storage[name] = {}
        path = f"providers/Microsoft.Storage/locations/{location}/asyncoperations"
        return 202, None, {"Location": self.operation(request, path, account_id, monitor=True), "Retry-After": "17"}

    @route(ARM, "GET", ACCOUNTS)
    def get_account(self, request: Request, sub: str, group: str, name: str) -> Reply:
        return 200, self.resource(sub, group, ACCOUNT, name), {}

    @route(ARM, "DELETE", ACCOUNTS)
    def delete_account(self, request: Request, sub: str, group: str, name: str) -> Reply:
        """The account and all its data, at once (200); 204 when there is no such account."""
        if self.resources.pop(self.resource_id(sub, group, ACCOUNT, name).lower(), None) is None:
            return 204, None, {}
        del self.storage[name]
        return 200, None, {}

    def containers_of(self, sub: str, group: str, account: str) -> dict[str, Container]:
        self.resource(sub, group, ACCOUNT, account)
        return self.storage[account]

    def container_resource(self, sub: str, group: str, account: str, name: str) -> dict[str, Any]:
        found = self.containers_of(sub, group, account)[name]
        container_id = f"{self.resource_id(sub, group, ACCOUNT, account)}/blobServices/default/containers/{name}"
        details = {"publicAccess": "None", "leaseStatus": "Unlocked", "leaseState": "Available", "deleted": False}
        details |= {"lastModifiedTime": iso(found.modified), "hasImmutabilityPolicy": False, "hasLegalHold": False}
        details |= {"defaultEncryptionScope": "$account-encryption-key", "denyEncryptionScopeOverride": False}
        return {"id": container_id, "name": name, "type": CONTAINER, "etag": f'"{found.etag}"', "properties": details}

    @route(ARM, "PUT", ACCOUNTS + r"/blobServices/default/containers/([^/]+)")
    def put_container_arm(self, request: Request, sub: str, group: str, account: str, name: str) -> Reply:
        """A container (made as the Blob service makes one; kept if it exists)."""
        containers = self.containers_of(sub, group, account)
        request.json()
        try:
            made = self.create_container(containers, name, exists_ok=True)
        except BlobError as error:  # Storage's resource provider passes the Blob service's errors on
            message = f"{error.message}\nRequestId:{uuid.uuid4()}\nTime:{iso()}"
            raise ArmError(error.status, "ContainerOperationFailure", message) from None
        return (201 if made else 200), self.container_resource(sub, group, account, name), {}

    @route(ARM, "GET", ACCOUNTS + r"/blobServices/default/containers/([^/]+)")
    def get_container_arm(self, request: Request, sub: str, group: str, account: str, name: str) -> Reply:
        if name not in self.containers_of(sub, group, account):
            message = f"The specified container does not exist.\nRequestId:{uuid.uuid4()}\nTime:{iso()}"
            raise ArmError(404, "ContainerNotFound", message)
        return 200, self.container_resource(sub, group, account, name), {}

    @route(ARM, "DELETE", ACCOUNTS + r"/blobServices/default/containers/([^/]+)")
    def delete_container_arm(self, request: Request, sub: str, group: str, account: str, name: str) -> Reply:
        return (200 if self.containers_of(sub, group, account).pop(name, None) else 204), None, {}

    # --- Blob storage -----------------------------------------------------------------------------------------

    @staticmethod
    def create_container(containers: dict[str, Container], name: str, exists_ok: bool = False) -> bool:
        if not 3 <= len(name) <= 63:
            message = "The specified resource name length is not within the permissible limits."
            raise BlobError(400, "OutOfRangeInput", message)
        if not CONTAINER_NAME.fullmatch(name):
            raise BlobError(400, "InvalidResourceName", "The specifed resource name contains invalid characters.")
        if name in containers:
            if exists_ok:
                return False
            raise BlobError(409, "ContainerAlreadyExists", "The specified container already exists.")
        containers[name] = Container()
        return True

    def containers(self, request: Request) -> dict[str, Container]:
        containers = self.storage.get(request.host.split(".")[0])
        if containers is None:  # deleted since the tunnel opened
            raise BlobError(404, "ResourceNotFound", "The specified resource does not exist.")
        return containers

    def container(self, request: Request, name: str) -> Container:
        found = self.containers(request).get(name)
        if found is None:
            raise BlobError(404, "ContainerNotFound", "The specified container does not exist.")
        return found

    @staticmethod
    def check_conditions(request: Request, etag: str | None) -> None:
        """If-Match (an ETag, or *) and If-None-Match: * (a write that must not overwrite), as the service has it."""
        if_match, if_none_match = request.header("If-Match").strip('"'), request.header("If-None-Match")
        if if_match and (etag is None or if_match not in ("*", etag)):
            message = "The condition specified using HTTP conditional header(s) is not met."
            raise BlobError(412, "ConditionNotMet", message)
        if if_none_match == "*" and etag is not None:
            raise BlobError(409, "BlobAlreadyExists", "The specified blob already exists.")

    @staticmethod
    def check_md5(request: Request) -> None:
        if request.header("Content-MD5") not in ("", md5(request.body)):
            message = "The MD5 value specified in the request did not match with the MD5 value calculated by the "
            message += "server."
            raise BlobError(400, "Md5Mismatch", message)

    @route(f"*.{BLOB}", "PUT", r"/([^/]+)")
    def put_container(self, request: Request, name: str) -> Reply:
        if request.query.get("restype") != "container":
            raise BlobError(400, "InvalidQueryParameterValue", BAD_QUERY)
        containers = self.containers(request)
        self.create_container(containers, name)
        return 201, None, {"ETag": f'"{containers[name].etag}"', "Last-Modified": http_date(containers[name].modified)}

    @route(f"*.{BLOB}", "DELETE", r"/([^/]+)")
    def delete_container(self, request: Request, name: str) -> Reply:
        self.container(request, name)
        del self.containers(request)[name]
        return 202, None, {}

    @route(f"*.{BLOB}", "GET", r"/([^/]+)")
    def get_container(self, request: Request, name: str) -> Reply:
        """List Blobs (comp=list: prefix, marker, maxresults; BLOB_PAGE blobs a page at most), or the container's
        properties."""
        found = self.container(request, name)
        if request.query.get("restype") != "container":
            raise BlobError(400, "InvalidQueryParameterValue", BAD_QUERY)
        if request.query.get("comp") != "list":
            headers = {"ETag": f'"{found.etag}"', "Last-Modified": http_date(found.modified)}
            return 200, None, headers | {"x-ms-lease-state": "available", "x-ms-lease-status": "unlocked"}
        if request.query.get("delimiter"):  # refused loudly, rather than listed without folding the prefixes
            raise BlobError(400, "InvalidQueryParameterValue", f"{BAD_QUERY} (delimiter is not simulated)")
        prefix, marker = request.query.get("prefix", ""), request.query.get("marker", "")
        most = request.query.get("maxresults")
        try:
            after = base64.b64decode(marker.removeprefix("2!"), validate=True).decode() if marker else ""
            page = min(int(most or 5000), BLOB_PAGE)
        except ValueError:
            raise BlobError(400, "InvalidQueryParameterValue", BAD_QUERY) from None
        names = [blob for blob in sorted(found.blobs) if blob.startswith(prefix) and blob > after]
        root = ET.Element("EnumerationResults", ServiceEndpoint=f"https://{request.host}/", ContainerName=name)
        for tag, value in (("Prefix", prefix), ("Marker", marker), ("MaxResults", most)):
            if value:
                ET.SubElement(root, tag).text = value
        listed = ET.SubElement(root, "Blobs")
        for blob_name in names[:page]:
            blob, item = found.blobs[blob_name], ET.SubElement(listed, "Blob")
            ET.SubElement(item, "Name").text = blob_name
            properties = ET.SubElement(item, "Properties")
            values = {"Creation-Time": http_date(blob.created), "Last-Modified": http_date(blob.created)}
            values |= {"Etag": blob.etag, "Content-Length": str(len(blob.data)), "Content-Type": blob.content_type}
            values |= {"Content-MD5": blob.md5, "BlobType": "BlockBlob", "AccessTier": "Hot"}
            values |= {"AccessTierInferred": "true"}
            values |= {"LeaseStatus": "unlocked", "LeaseState": "available", "ServerEncrypted": "true"}
            for tag, text in values.items():
                ET.SubElement(properties, tag).text = text
        following = base64.b64encode(names[page - 1].encode()).decode() if len(names) > page else None
        ET.SubElement(root, "NextMarker").text = f"2!{following}" if following else None
        return 200, xml(root), {"Content-Type": "application/xml"}

    @route(f"*.{BLOB}", "PUT", r"/([^/]+)/(.+)")
    def put_blob(self, request: Request, container: str, name: str) -> Reply:
        """Put Blob (x-ms-blob-type BlockBlob), Put Block (comp=block, blockid) or Put Block List (comp=blocklist:
        each block Committed, Uncommitted or Latest)."""
        found = self.container(request, container)
        existing, comp = found.blobs.get(name), request.query.get("comp")
        content_type = request.header("x-ms-blob-content-type") or "application/octet-stream"
        if comp == "block":
            self.check_md5(request)
            block_id, pending = request.query.get("blockid", ""), found.uncommitted.setdefault(name, {})
            try:
                valid = len(base64.b64decode(block_id, validate=True)) <= 64  # ids of one blob: all of one length
            except ValueError:
                valid = False
            if not valid or any(len(known) != len(block_id) for known in pending):
                raise BlobError(400, "InvalidQueryParameterValue", BAD_QUERY)
            pending[block_id] = bytes(request.body)
            return 201, None, {"Content-MD5": md5(request.body), "x-ms-request-server-encrypted": "true"}
        self.check_conditions(request, existing.etag if existing else None)
        if comp == "blocklist":
            try:
                listed = ET.fromstring(request.body)  # noqa: S314 - the SDK's own request, on this machine
            except ET.ParseError:
                raise apiproxy.BadBody(request.body[:200]) from None
            pending, parts, order = found.uncommitted.get(name, {}), [], []
            for entry in listed:
                block_id = entry.text or ""
                committed = existing.block(block_id) if existing else None
                choices = {"Uncommitted": pending.get(block_id), "Committed": committed}
                data = choices.get(entry.tag, pending.get(block_id, committed))
                if listed.tag != "BlockList" or data is None:
                    raise BlobError(400, "InvalidBlockList", "The specified block list is invalid.")
                parts.append(data)
                order.append((block_id, len(data)))
            blob = Blob(b"".join(parts), content_type, request.header("x-ms-blob-content-md5") or None, order)
        elif comp is None and request.header("x-ms-blob-type") == "BlockBlob":
            self.check_md5(request)
            blob = Blob(bytes(request.body), content_type, request.header("x-ms-blob-content-md5") or md5(request.body))
        else:
            message = "The value for one of the HTTP headers is not in the correct format."
            raise BlobError(400, "InvalidHeaderValue", message)
        found.blobs[name] = blob
        found.uncommitted.pop(name, None)
        headers = {"ETag": f'"{blob.etag}"', "Last-Modified": http_date(blob.created)}
        headers |= {"Content-MD5": blob.md5} if comp is None and blob.md5 else {}  # Put Blob's, computed
        return 201, None, headers | {"x-ms-request-server-encrypted": "true"}

    def blob(self, request: Request, container: str, name: str) -> tuple[Container, Blob]:
        found = self.container(request, container)
        blob = found.blobs.get(name)
        if blob is None:
            raise BlobError(404, "BlobNotFound", "The specified blob does not exist.")
        self.check_conditions(request, blob.etag)
        return found, blob

    @route(f"*.{BLOB}", "GET", r"/([^/]+)/(.+)")
    def get_blob(self, request: Request, container: str, name: str) -> Reply:
        """Get Blob: the bytes, or a range (x-ms-range or Range) with the blob's MD5 in x-ms-blob-content-md5 and,
        with x-ms-range-get-content-md5, the range's in Content-MD5 (4 MiB at most); HEAD: the properties."""
        _, blob = self.blob(request, container, name)
        size, created = len(blob.data), http_date(blob.created)
        headers = {"ETag": f'"{blob.etag}"', "Last-Modified": created, "x-ms-creation-time": created}
        headers |= {"Content-Type": blob.content_type, "x-ms-blob-type": "BlockBlob", "Accept-Ranges": "bytes"}
        headers |= {"x-ms-server-encrypted": "true", "x-ms-lease-state": "available", "x-ms-lease-status": "unlocked"}
        ranged = re.fullmatch(r"bytes=(\d+)-(\d*)", request.header("x-ms-range") or request.header("Range"))
        if not ranged or request.method == "HEAD":
            return 200, blob.data, headers | ({"Content-MD5": blob.md5} if blob.md5 else {})
        first = int(ranged[1])
        if first >= size:
            message = "The range specified is invalid for the current size of the resource."
            raise BlobError(416, "InvalidRange", message)
        last = min(int(ranged[2] or size - 1), size - 1)
        part = blob.data[first : last + 1]
        headers |= {"Content-Range": f"bytes {first}-{last}/{size}"}
        headers |= {"x-ms-blob-content-md5": blob.md5} if blob.md5 else {}
        if request.header("x-ms-range-get-content-md5").lower() == "true":
            if len(part) > 4 * 2**20:
                raise BlobError(400, "OutOfRangeInput", "One of the request inputs is out of range.")
            headers["Content-MD5"] = md5(part)
        return 206, part, headers

    @route(f"*.{BLOB}", "DELETE", r"/([^/]+)/(.+)")
    def delete_blob(self, request: Request, container: str, name: str) -> Reply:
        found, _ = self.blob(request, container, name)
        del found.blobs[name]
        found.uncommitted.pop(name, None)
        return 202, None, {"x-ms-delete-type-permanent": "true"}


# --- Clients: the server, and the ARM calls no installed SDK makes ------------------------------------------------


def arm(method: str, path: str, body: dict[str, Any] | None = None, api_version: str = "2023-05-01") -> Any:
    """One Resource Manager call at `path` (/subscriptions/...) for what no installed SDK has a client for (resource
    groups, storage accounts, containers), made as azure-mgmt-resource and azure-mgmt-storage make it: a bearer token
    for the management audience from DefaultAzureCredential, the api-version, an error raised as those SDKs raise it
    (azure.core.exceptions: ClientAuthenticationError for 401, ResourceNotFoundError 404, ResourceExistsError 409,
    else HttpResponseError, with ARM's code and message), and a long-running operation (Azure-AsyncOperation or
    Location) polled to its end by azure-mgmt-core's ARMPolling. Returns the final JSON, None when there is none."""
    from azure.core import PipelineClient
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceNotFoundError,
        map_error,
    )
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy, RequestIdPolicy, RetryPolicy
    from azure.core.polling import LROPoller
    from azure.core.rest import HttpRequest
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.core.exceptions import ARMErrorFormat
    from azure.mgmt.core.polling.arm_polling import ARMPolling

    credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
    policies = [RequestIdPolicy(), RetryPolicy(), BearerTokenCredentialPolicy(credential, f"https://{ARM}/.default")]
    client: PipelineClient[Any, Any] = PipelineClient(f"https://{ARM}", policies=policies)
    request = HttpRequest(method, f"https://{ARM}{path}", params={"api-version": api_version}, json=body)
    response = client.send_request(request, _return_pipeline_response=True)  # type: ignore[call-overload]
    answer = response.http_response
    if answer.status_code >= 400:
        errors = {401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError}
        map_error(answer.status_code, answer, errors)
        raise HttpResponseError(response=answer, error_format=ARMErrorFormat)
    if not {"azure-asyncoperation", "location"} & {name.lower() for name in answer.headers}:
        return answer.json() if answer.content else None

    def final(pipeline_response: Any) -> Any:
        return pipeline_response.http_response.json() if pipeline_response.http_response.content else None

    return LROPoller(client, response, final, ARMPolling(1)).result()


def start_azure_api(directory: Path, subscription: str, state_dir: Path | None = None) -> dict[str, str]:
    """The simulated Azure APIs of `subscription` on a free port of this machine (pid in DIR/api.pid, log in
    DIR/azure-api.log) and a service principal of a new tenant for them (DIR/azure-service-principal.json, mode 0600:
    the secret is this run's, written nowhere else); returns the environment the tool then runs in: apiproxy.start's
    and AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET (EnvironmentCredential's), AZURE_SUBSCRIPTION_ID. The
    CA and what the server trusts live in `state_dir` (default DIR)."""
    state = state_dir or directory
    principal = write_service_principal(state, directory / "azure-service-principal.json")
    command = [sys.executable, str(Path(__file__).resolve()), "serve", str(state), "--subscription", subscription]
    environment = apiproxy.start(command, directory, "azure-api.log", simulated_ca(state).certificate_file, LOGIN)
    environment |= {"AZURE_TENANT_ID": principal["tenant"], "AZURE_CLIENT_ID": principal["appId"]}
    return environment | {"AZURE_CLIENT_SECRET": principal["password"], "AZURE_SUBSCRIPTION_ID": subscription}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The simulated Azure APIs (a test double), as a proxy.")
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser("serve", help="serve one subscription's APIs until killed")
    serving.add_argument("state_dir", type=Path, help="the simulation's state: its CA and the service principal")
    serving.add_argument("--port", type=int, required=True)
    serving.add_argument("--subscription", required=True)
    args = parser.parse_args(argv)
    state = args.state_dir.resolve()
    apiproxy.serve(Azure(state, args.subscription), state, args.port, "azure-tls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
