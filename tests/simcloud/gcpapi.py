"""TEST DOUBLE: the Google Cloud APIs the tool's SDK calls reach (preflight, snapshots, backups), served offline.

It copies the REST APIs as Google documents them (the REST references of OAuth 2.0 for service accounts, Compute
Engine API v1 and Cloud Storage JSON API v1) and as the installed SDKs call them: google-auth 2.63
(google/oauth2/_client.py jwt_grant; service_account.py, which sends the compute client's self-signed JWTs of
AIP-4111), google-cloud-compute 1.57 (services/*/transports/rest_base.py for the paths, types/compute.py for the
fields; its ExtendedOperation polls zoneOperations.get or globalOperations.get until the status is DONE) and
google-cloud-storage 3.17.1 (blob.py, _media/_upload.py and _download.py: multipart uploads up to 8 MiB, resumable
ones above, CRC32C and MD5 checked against x-goog-hash on download).

Nothing under googleapis.com resolves here, so clients reach it as an HTTPS proxy (HTTPS_PROXY; the proxy is
apiproxy.py's, which azureapi.py shares): a CONNECT to oauth2, compute or storage.googleapis.com:443 is answered 200,
then the proxy ends TLS itself with a certificate for that host (chosen by SNI) from the simulation's CA (ca.py;
clients trust it through REQUESTS_CA_BUNDLE) and serves the API on the stream (HTTP/1.1 keep-alive). A CONNECT
anywhere else is refused with 403: it would never reach Google.

It fails where Google does, in Google's JSON error shape ({"error": {"code", "message", "errors", "status"}}, which
google.api_core maps to its exceptions): a token only for a JWT signed by a key write_service_account_key issued
(else 400 invalid_grant); no API call without a token it issued or such a self-signed JWT (401 UNAUTHENTICATED);
another project than the one it serves, an unknown region, zone, machine type, image, disk, snapshot, operation,
bucket or object (404); a resource name or label Google's rules refuse, a list filter outside `labels.KEY = VALUE`
and `name = VALUE` terms joined by ` AND ` (400); a name taken (409); deleting a disk in use (400
resourceInUseByAnotherResource) or a bucket holding objects (409); an upload whose CRC32C or MD5 does not match.
State lives in the server process, for one simulated session. Operations answer RUNNING, then DONE when first
polled (get or wait), so the SDK's polling runs.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import sys
import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import google_crc32c
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# Run as a program: the tool's code is this checkout's, and the simulation's CA and proxy are this directory's.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import apiproxy
from apiproxy import Reply, Request
from ca import simulated_ca

OAUTH, COMPUTE, STORAGE = "oauth2.googleapis.com", "compute.googleapis.com", "storage.googleapis.com"
TOKEN_URI = f"https://{OAUTH}/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LINKS = "https://www.googleapis.com/compute/v1/"  # Compute Engine's selfLinks
KEYS = "gcp-keys"  # under the state dir: the public key of every service-account key issued, by private_key_id
# The scopes (after https://www.googleapis.com/auth/) that let a token call each API.
SCOPES = {COMPUTE: ("cloud-platform", "compute"), STORAGE: ("cloud-platform", "devstorage.")}

REGIONS = {"us-central1": "abcf", "us-east1": "bcd", "europe-west1": "bcd"}
ZONES = {f"{region}-{letter}": region for region, letters in REGIONS.items() for letter in letters}
CPU_QUOTA = 24.0
MACHINE_TYPES = {  # name: (guestCpus, memoryMb)
    **{f"e2-{name}": (2, mb) for name, mb in (("small", 2048), ("medium", 4096))},
    **{f"{series}-standard-{cpus}": (cpus, cpus * 4096) for series in ("e2", "n2") for cpus in (2, 4, 8)},
    **{f"{series}-highmem-{cpus}": (cpus, cpus * 8192) for series in ("e2", "n2") for cpus in (2, 4, 8)},
}
IMAGES = {  # (project, family): (name, description, archiveSizeBytes), as the image projects publish them
    ("debian-cloud", "debian-12"): (
        "debian-12-bookworm-v20261111",
        "Debian, Debian GNU/Linux, 12 (bookworm), amd64 built on 20261111",
        402653184,
    ),
    ("ubuntu-os-cloud", "ubuntu-2404-lts-amd64"): (
        "ubuntu-2404-noble-amd64-v20261113",
        "Canonical, Ubuntu, 24.04 LTS, amd64 noble image built on 2026-11-13",
        1180358016,
    ),
}
DISK_TYPES = ("hyperdisk-balanced", "pd-balanced", "pd-extreme", "pd-ssd", "pd-standard")

NAME = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]")
FILTER_TERM = re.compile(r'(name|labels\.[a-z][a-z0-9_-]{0,62}) = ("[^"]*"|[^\s"()]+)')
IMAGE_URL = re.compile(r"(?:https://[^/]+/compute/v1/)?projects/([^/]+)/global/images/(family/)?([^/]+)")
STORAGE_PAGE = 2  # objects per list page at most (GCS may return fewer than maxResults): the SDK's paging runs
CHUNK = 256 * 1024  # a resumable upload's chunks but the last are multiples of 256 KiB
WRITABLE = ("cacheControl", "contentDisposition", "contentEncoding", "contentLanguage", "metadata")

STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}
UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid "
    "authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
SHORT_LIVED = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and "
    "exp values in the JWT claim."
)


class ApiError(Exception):
    def __init__(self, code: int, message: str, reason: str) -> None:
        super().__init__(message)
        self.code, self.message, self.reason = code, message, reason

    def body(self) -> dict[str, Any]:
        detail = {"message": self.message, "domain": "global", "reason": self.reason}
        status = STATUS.get(self.code, "ALREADY_EXISTS" if self.reason == "alreadyExists" else "ABORTED")
        return {"error": {"code": self.code, "message": self.message, "errors": [detail], "status": status}}


def not_found(resource: str) -> ApiError:
    return ApiError(404, f"The resource '{resource}' was not found", "notFound")


def already_exists(resource: str) -> ApiError:
    return ApiError(409, f"The resource '{resource}' already exists", "alreadyExists")


def invalid(field: str, value: object, why: str) -> ApiError:
    return ApiError(400, f"Invalid value for field '{field}': '{value}'. {why}", "invalid")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id(seed: str | None = None) -> str:
    """A 19-digit id as Compute Engine's: random, or always the same for `seed` (the catalogue's)."""
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8]) if seed else secrets.randbits(64)
    return str(number % (9 * 10**18) + 10**18)


def check_name(name: object) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise invalid("resource.name", name, f"Must be a match of regex '(?:{NAME.pattern})'")
    return name


def check_labels(labels: object) -> dict[str, str]:
    """Google's label rules: at most 64; keys and values of at most 63 lowercase letters (international ones too),
    digits, '_' and '-'; keys start with a letter."""

    def ok(text: object, key: bool) -> bool:
        allowed = isinstance(text, str) and len(text) <= 63 and (not key or text[:1].isalpha())
        return allowed and all(c in "_-" or c.isdigit() or (c.isalpha() and c == c.lower()) for c in str(text))

    if not isinstance(labels, dict) or len(labels) > 64:
        raise invalid("resource.labels", labels, "A resource has at most 64 labels.")
    for key, value in labels.items():
        if not ok(key, True) or not ok(value, False):
            why = "Keys and values are lowercase letters, digits, '_' or '-' (at most 63), keys start with a letter."
            raise invalid(f"resource.labels.{key}", value, why)
    return dict(labels)


def list_filter(expression: str | None) -> Callable[[dict[str, Any]], bool]:
    """Compute Engine's list `filter`, as far as the tool uses it: `labels.KEY = VALUE` and `name = VALUE` terms
    joined by ` AND `. Anything else is refused: loudly, rather than read differently from the real API."""
    terms = []
    for term in expression.split(" AND ") if expression else []:
        match = FILTER_TERM.fullmatch(term.strip())
        if not match:
            raise invalid("filter", expression, "Invalid list filter expression.")
        terms.append((match[1], match[2].strip('"')))

    def value(resource: dict[str, Any], field: str) -> object:
        return resource.get("name") if field == "name" else resource.get("labels", {}).get(field[len("labels.") :])

    return lambda resource: all(value(resource, field) == wanted for field, wanted in terms)


def paginate(
    items: list[dict[str, Any]], query: dict[str, str], key: Callable[[dict[str, Any]], str], default: int, cap: int
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """One page of `items` (sorted by `key`) after the query's pageToken, and the next page's token if any."""
    try:
        size = int(query.get("maxResults") or default)
        after = unb64url(query["pageToken"]).decode() if query.get("pageToken") else None
    except ValueError:
        raise invalid("pageToken", query.get("pageToken"), "Invalid page token or maxResults.") from None
    rest = [item for item in items if after is None or key(item) > after]
    page = rest[: max(1, min(size, cap))]
    return page, {"nextPageToken": b64url(key(page[-1]).encode())} if len(rest) > len(page) else {}


route = apiproxy.Routes()
P = r"/compute/v1/projects/([^/]+)"
B = r"/storage/v1/b"


def write_service_account_key(state_dir: Path, path: Path, project: str) -> None:
    """A service-account key file as the Cloud console downloads it (mode 0600), its public key recorded in
    `state_dir` for the server: tokens are issued only for JWTs this key signs."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_id, email = secrets.token_hex(20), f"simulated@{project}.iam.gserviceaccount.com"
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (state_dir / KEYS).mkdir(parents=True, exist_ok=True)
    (state_dir / KEYS / f"{key_id}.json").write_text(json.dumps({"client_email": email, "public_key": public.decode()}))
    pkcs8 = serialization.PrivateFormat.PKCS8
    private = key.private_bytes(serialization.Encoding.PEM, pkcs8, serialization.NoEncryption()).decode()
    document = {
        "type": "service_account",
        "project_id": project,
        "private_key_id": key_id,
        "private_key": private,
        "client_email": email,
        "client_id": str(10**20 + secrets.randbelow(9 * 10**20)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": TOKEN_URI,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{urllib.parse.quote(email)}",
        "universe_domain": "googleapis.com",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        json.dump(document, out, indent=2)
    path.chmod(0o600)


class Cloud(apiproxy.Api):
    """One project's Compute Engine and Cloud Storage, and the tokens issued for them."""

    routes, hosts, name = route, (OAUTH, COMPUTE, STORAGE), "Google"

    def __init__(self, state_dir: Path, project: str) -> None:
        super().__init__()
        self.state_dir, self.project = state_dir, project
        self.tokens: dict[str, tuple[str, float, str]] = {}  # token: (client_email, expiry, scopes)
        self.disks: dict[tuple[str, str], dict[str, Any]] = {}  # (zone, name)
        self.snapshots: dict[str, dict[str, Any]] = {}
        self.operations: dict[tuple[str, str], dict[str, Any]] = {}  # (zones/ZONE or global, name)
        self.buckets: dict[str, dict[str, Any]] = {}
        self.objects: dict[str, dict[str, tuple[dict[str, Any], bytes]]] = {}  # bucket: name: (metadata, data)
        self.uploads: dict[str, dict[str, Any]] = {}  # resumable upload sessions by upload_id

    def handle(self, request: Request) -> Reply:
        try:
            if request.host != OAUTH:
                request.user = self.authenticate(request)
            reply = self.dispatch(request)
            if reply is None:
                raise ApiError(404, f"Not Found: {request.method} {request.path}", "notFound")
            return reply
        except apiproxy.BadBody:
            error = ApiError(400, "Parse Error", "parseError")
        except ApiError as failed:
            error = failed
        headers = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'} if error.code == 401 else {}
        return error.code, error.body(), headers

    # --- OAuth 2.0 ---------------------------------------------------------------------------------------------

    def public_key(self, key_id: str) -> tuple[str, rsa.RSAPublicKey] | None:
        path = self.state_dir / KEYS / f"{key_id}.json"
        if not re.fullmatch(r"[0-9a-f]{40}", key_id) or not path.exists():
            return None
        record = json.loads(path.read_text())
        key = serialization.load_pem_public_key(record["public_key"].encode())
        return (record["client_email"], key) if isinstance(key, rsa.RSAPublicKey) else None

    def verify_jwt(self, token: str) -> dict[str, Any]:
        """The claims of an RS256 JWT signed by an issued key, issued by that key's account, short-lived."""
        try:
            head, body, signature = token.split(".")
            header, claims = json.loads(unb64url(head)), json.loads(unb64url(body))
            known = self.public_key(str(header.get("kid"))) if header.get("alg") == "RS256" else None
            if known is None or not isinstance(claims, dict):
                raise ValueError(token)
            known[1].verify(unb64url(signature), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, AttributeError, InvalidSignature):
            raise ValueError("Invalid JWT Signature.") from None
        if claims.get("iss") != known[0] or claims.get("sub", known[0]) != known[0]:
            raise ValueError("Invalid grant: account not found")
        issued, expires = claims.get("iat"), claims.get("exp")
        if not (isinstance(issued, int) and isinstance(expires, int)):
            raise ValueError(SHORT_LIVED)
        if not issued - 300 <= time.time() < expires <= issued + 3600:
            raise ValueError(SHORT_LIVED)
        return claims

    @route(OAUTH, "POST", r"/token")
    def token(self, request: Request) -> Reply:
        form = dict(urllib.parse.parse_qsl(request.body.decode(errors="replace")))
        if form.get("grant_type") != JWT_BEARER:
            return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}, {}
        try:
            claims = self.verify_jwt(form.get("assertion", ""))
            if claims.get("aud") != TOKEN_URI:
                raise ValueError(f"Invalid JWT: Failed audience check. The right audience is {TOKEN_URI}")
        except ValueError as error:
            return 400, {"error": "invalid_grant", "error_description": str(error)}, {}
        if not claims.get("scope"):
            return 400, {"error": "invalid_scope", "error_description": "Empty or missing scope not allowed."}, {}
        token = "ya29." + secrets.token_urlsafe(48)
        self.tokens[token] = (claims["iss"], time.time() + 3600, str(claims["scope"]))
        return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}, {}

    def authenticate(self, request: Request) -> str:
        """The account of the request's bearer token: one issued here, or a self-signed JWT (AIP-4111) whose
        audience is this API or which names scopes; the scopes must cover the API."""
        scheme, _, token = request.header("Authorization").partition(" ")
        email, scopes, audience = "", "", f"https://{request.host}/"
        if scheme == "Bearer" and token in self.tokens and self.tokens[token][1] > time.time():
            email, _, scopes = self.tokens[token]
        elif scheme == "Bearer" and token.count(".") == 2:
            try:
                claims = self.verify_jwt(token)
            except ValueError:
                claims = {}
            if claims.get("aud") == audience or claims.get("scope"):
                email, scopes = claims["iss"], str(claims.get("scope") or "")
        if not email:
            raise ApiError(401, UNAUTHENTICATED, "authError")
        granted = [scope.removeprefix("https://www.googleapis.com/auth/") for scope in scopes.split()]
        if scopes and not any(scope.startswith(allowed) for scope in granted for allowed in SCOPES[request.host]):
            raise ApiError(403, "Request had insufficient authentication scopes.", "insufficientPermissions")
        return email

    # --- Compute Engine: the catalogue ------------------------------------------------------------------------

    def link(self, path: str, project: str | None = None) -> str:
        return f"{LINKS}projects/{project or self.project}/{path}"

    def resource(self, kind: str, path: str, name: str, **fields: Any) -> dict[str, Any]:
        """A Compute Engine resource: kind, id, name, creationTimestamp, `fields` (which may replace those), and
        selfLink (`path` under the project, or the full link)."""
        common = {"kind": f"compute#{kind}", "id": new_id(), "creationTimestamp": timestamp(), "name": name}
        return common | fields | {"selfLink": path if path.startswith(LINKS) else self.link(path)}

    def check_project(self, project: str, public: bool = False) -> None:
        if project != self.project and not (public and project in {image_project for image_project, _ in IMAGES}):
            raise not_found(f"projects/{project}")

    def check_zone(self, project: str, zone: str) -> None:
        self.check_project(project)
        if zone not in ZONES:
            raise not_found(f"projects/{project}/zones/{zone}")

    def zone(self, name: str) -> dict[str, Any]:
        region = self.link(f"regions/{ZONES[name]}")
        return self.resource(
            "zone", f"zones/{name}", name, id=new_id(name), description=name, status="UP", region=region
        )

    @route(COMPUTE, "GET", P + r"/regions/([^/]+)")
    def get_region(self, request: Request, project: str, region: str) -> Reply:
        self.check_project(project)
        if region not in REGIONS:
            raise not_found(f"projects/{project}/regions/{region}")
        disk_gb = float(sum(int(d["sizeGb"]) for (zone, _), d in self.disks.items() if ZONES[zone] == region))
        quotas = [("CPUS", CPU_QUOTA, 0.0), ("DISKS_TOTAL_GB", 4096.0, disk_gb), ("IN_USE_ADDRESSES", 8.0, 0.0)]
        found = self.resource("region", f"regions/{region}", region, id=new_id(region), description=region)
        zones = [self.link(f"zones/{zone}") for zone in sorted(ZONES) if ZONES[zone] == region]
        found |= {
            "status": "UP",
            "zones": zones,
            "quotas": [dict(zip(("metric", "limit", "usage"), q, strict=True)) for q in quotas],
        }
        return 200, found, {}

    def listing(self, kind: str, path: str, items: list[dict[str, Any]], request: Request) -> dict[str, Any]:
        page, token = paginate(items, request.query, key=lambda item: item["name"], default=500, cap=500)
        listing = {"kind": f"compute#{kind}", "id": f"projects/{self.project}/{path}", "items": page}
        return listing | {"selfLink": self.link(path)} | token

    @route(COMPUTE, "GET", P + r"/zones")
    def list_zones(self, request: Request, project: str) -> Reply:
        self.check_project(project)
        wanted = list_filter(request.query.get("filter"))
        zones = [zone for zone in map(self.zone, sorted(ZONES)) if wanted(zone)]
        return 200, self.listing("zoneList", "zones", zones, request), {}

    @route(COMPUTE, "GET", P + r"/zones/([^/]+)")
    def get_zone(self, request: Request, project: str, zone: str) -> Reply:
        self.check_zone(project, zone)
        return 200, self.zone(zone), {}

    @route(COMPUTE, "GET", P + r"/zones/([^/]+)/machineTypes/([^/]+)")
    def get_machine_type(self, request: Request, project: str, zone: str, name: str) -> Reply:
        self.check_zone(project, zone)
        if name not in MACHINE_TYPES:
            raise not_found(f"projects/{project}/zones/{zone}/machineTypes/{name}")
        cpus, memory = MACHINE_TYPES[name]
        found = self.resource("machineType", f"zones/{zone}/machineTypes/{name}", name, id=new_id(name), zone=zone)
        found |= {"description": f"{cpus} vCPUs, {memory // 1024} GB RAM", "guestCpus": cpus, "memoryMb": memory}
        return 200, found | {"isSharedCpu": name in ("e2-small", "e2-medium")}, {}

    def image(self, project: str, name: str, family: bool) -> dict[str, Any]:
        self.check_project(project, public=True)
        found = [(fam, *image) for (p, fam), image in IMAGES.items() if p == project and name in (fam, image[0])]
        if not found or (found[0][0] == name) != family:
            raise not_found(f"projects/{project}/global/images/{'family/' if family else ''}{name}")
        family_name, image_name, description, size = found[0]
        path = self.link(f"global/images/{image_name}", project)
        created = f"{image_name[-8:-4]}-{image_name[-4:-2]}-{image_name[-2:]}T10:00:00.000-08:00"
        image = self.resource("image", path, image_name, id=new_id(image_name), creationTimestamp=created)
        image |= {"description": description, "family": family_name, "status": "READY", "architecture": "X86_64"}
        return image | {"sourceType": "RAW", "archiveSizeBytes": str(size), "diskSizeGb": "10"}

    @route(COMPUTE, "GET", P + r"/global/images/family/([^/]+)")
    def get_image_from_family(self, request: Request, project: str, family: str) -> Reply:
        return 200, self.image(project, family, family=True), {}

    @route(COMPUTE, "GET", P + r"/global/images/([^/]+)")
    def get_image(self, request: Request, project: str, name: str) -> Reply:
        return 200, self.image(project, name, family=False), {}

    # --- Compute Engine: operations ---------------------------------------------------------------------------

    def operation(self, scope: str, kind: str, target: dict[str, Any], request: Request) -> Reply:
        """A new operation on `target` in `scope` (zones/ZONE or global): RUNNING, DONE once polled."""
        name = f"operation-{time.time_ns() // 10**6}-{secrets.token_hex(6)}-{secrets.token_hex(4)}"
        operation = self.resource("operation", f"{scope}/operations/{name}", name, operationType=kind, progress=0)
        operation |= {"targetLink": target["selfLink"], "status": "RUNNING", "user": request.user}
        operation |= {"insertTime": operation["creationTimestamp"], "startTime": operation["creationTimestamp"]}
        operation |= {"targetId": target["id"]} if "id" in target else {}
        operation |= {"zone": self.link(scope)} if scope != "global" else {}
        self.operations[(scope, name)] = operation
        return 200, operation, {}

    def poll(self, project: str, scope: str, name: str) -> Reply:
        self.check_project(project)
        operation = self.operations.get((scope, name))
        if operation is None:
            raise not_found(f"projects/{project}/{scope}/operations/{name}")
        if operation["status"] != "DONE":
            operation |= {"status": "DONE", "progress": 100, "endTime": timestamp()}
        return 200, operation, {}

    @route(COMPUTE, "GET", P + r"/zones/([^/]+)/operations/([^/]+)")
    @route(COMPUTE, "POST", P + r"/zones/([^/]+)/operations/([^/]+)/wait")
    def zone_operation(self, request: Request, project: str, zone: str, name: str) -> Reply:
        return self.poll(project, f"zones/{zone}", name)

    @route(COMPUTE, "GET", P + r"/global/operations/([^/]+)")
    @route(COMPUTE, "POST", P + r"/global/operations/([^/]+)/wait")
    def global_operation(self, request: Request, project: str, name: str) -> Reply:
        return self.poll(project, "global", name)

    # --- Compute Engine: disks and snapshots ------------------------------------------------------------------

    def disk(self, project: str, zone: str, name: str) -> dict[str, Any]:
        self.check_zone(project, zone)
        if (zone, name) not in self.disks:
            raise not_found(f"projects/{project}/zones/{zone}/disks/{name}")
        return self.disks[(zone, name)]

    @route(COMPUTE, "POST", P + r"/zones/([^/]+)/disks")
    def insert_disk(self, request: Request, project: str, zone: str) -> Reply:
        """A zonal disk, blank or from a public image (sourceImage in the body or the query); `users` (output only
        on GCP) may name the instances using it, which keep it from deletion until they detach it."""
        self.check_zone(project, zone)
        body = request.json()
        name, labels = check_name(body.get("name")), check_labels(body.get("labels", {}))
        if (zone, name) in self.disks:
            raise already_exists(f"projects/{project}/zones/{zone}/disks/{name}")
        image, source = None, body.get("sourceImage") or request.query.get("sourceImage")
        if source:
            found = IMAGE_URL.fullmatch(source)
            if not found:
                raise not_found(source)
            image = self.image(found[1], found[3], family=bool(found[2]))
        disk_type = str(body.get("type") or "pd-standard").rsplit("/", 1)[-1]
        if disk_type not in DISK_TYPES:
            raise invalid("resource.type", body.get("type"), f"Disk types: {', '.join(DISK_TYPES)}.")
        size = int(body.get("sizeGb") or (image["diskSizeGb"] if image else 500))
        if image and size < int(image["diskSizeGb"]):
            why = f"Requested disk size cannot be smaller than the image size ({image['diskSizeGb']} GB)"
            raise invalid("resource.sizeGb", size, why)
        users = [user if user.startswith(LINKS) else LINKS + user for user in body.get("users", [])]
        disk = self.resource("disk", f"zones/{zone}/disks/{name}", name, description=body.get("description", ""))
        disk |= {"sizeGb": str(size), "zone": self.link(f"zones/{zone}"), "status": "READY", "users": users}
        disk |= {"type": self.link(f"zones/{zone}/diskTypes/{disk_type}"), "labels": labels}
        disk |= {"labelFingerprint": b64(hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).digest()[:8])}
        disk |= {"sourceImage": image["selfLink"], "sourceImageId": image["id"]} if image else {}
        self.disks[(zone, name)] = disk
        return self.operation(f"zones/{zone}", "insert", disk, request)

    @route(COMPUTE, "GET", P + r"/zones/([^/]+)/disks/([^/]+)")
    def get_disk(self, request: Request, project: str, zone: str, name: str) -> Reply:
        return 200, self.disk(project, zone, name), {}

    @route(COMPUTE, "DELETE", P + r"/zones/([^/]+)/disks/([^/]+)")
    def delete_disk(self, request: Request, project: str, zone: str, name: str) -> Reply:
        disk = self.disk(project, zone, name)
        if disk["users"]:
            used_by = f"The disk resource 'projects/{project}/zones/{zone}/disks/{name}' is already being used by"
            raise ApiError(400, f"{used_by} '{disk['users'][0].removeprefix(LINKS)}'", "resourceInUseByAnotherResource")
        del self.disks[(zone, name)]
        return self.operation(f"zones/{zone}", "delete", disk, request)

    @route(COMPUTE, "POST", P + r"/zones/([^/]+)/instances/([^/]+)/detachDisk")
    def detach_disk(self, request: Request, project: str, zone: str, instance: str) -> Reply:
        """An instance lets go of a disk (its device name is the disk's name): the disk may be deleted then."""
        self.check_zone(project, zone)
        device, url = request.query.get("deviceName", ""), self.link(f"zones/{zone}/instances/{instance}")
        disk = self.disks.get((zone, device))
        if disk is None or url not in disk["users"]:
            raise invalid("deviceName", device, f"No disk with this device name is attached to instance {instance}.")
        disk["users"].remove(url)
        return self.operation(f"zones/{zone}", "detachDisk", {"selfLink": url}, request)

    @route(COMPUTE, "GET", P + r"/aggregated/disks")
    def aggregated_disks(self, request: Request, project: str) -> Reply:
        self.check_project(project)
        wanted = list_filter(request.query.get("filter"))

        def key(disk: dict[str, Any]) -> str:
            return f"{disk['zone'].rsplit('/', 1)[-1]}/{disk['name']}"

        disks = sorted((disk for disk in self.disks.values() if wanted(disk)), key=key)
        page, token = paginate(disks, request.query, key=key, default=500, cap=500)
        items: dict[str, Any] = {}
        for zone in sorted(ZONES):
            scoped = [disk for disk in page if key(disk).startswith(f"{zone}/")]
            message = f"There are no results for scope 'zones/{zone}' on this page."
            empty = {
                "code": "NO_RESULTS_ON_PAGE",
                "message": message,
                "data": [{"key": "scope", "value": f"zones/{zone}"}],
            }
            items[f"zones/{zone}"] = {"disks": scoped} if scoped else {"warning": empty}
        listing = {"kind": "compute#diskAggregatedList", "id": f"projects/{project}/aggregated/disks", "items": items}
        return 200, listing | {"selfLink": self.link("aggregated/disks")} | token, {}

    @route(COMPUTE, "POST", P + r"/zones/([^/]+)/disks/([^/]+)/createSnapshot")
    def create_snapshot(self, request: Request, project: str, zone: str, disk_name: str) -> Reply:
        disk = self.disk(project, zone, disk_name)
        body = request.json()
        name, labels = check_name(body.get("name")), check_labels(body.get("labels", {}))
        if name in self.snapshots:
            raise already_exists(f"projects/{project}/global/snapshots/{name}")
        # What the disk holds: its image's bytes (nothing writes to a disk here).
        source = disk.get("sourceImage", "")
        used = next((str(size) for image, _, size in IMAGES.values() if source.endswith(f"/{image}")), "0")
        location = {"europe": "eu"}.get(zone.split("-")[0], zone.split("-")[0])
        snapshot = self.resource("snapshot", f"global/snapshots/{name}", name, description=body.get("description", ""))
        snapshot |= {"status": "READY", "sourceDisk": disk["selfLink"], "sourceDiskId": disk["id"]}
        snapshot |= {"diskSizeGb": disk["sizeGb"], "storageBytes": used, "storageBytesStatus": "UP_TO_DATE"}
        snapshot |= {"labels": labels, "snapshotType": body.get("snapshotType", "STANDARD")}
        self.snapshots[name] = snapshot | {"storageLocations": [location]}
        return self.operation(f"zones/{zone}", "createSnapshot", disk, request)

    @route(COMPUTE, "GET", P + r"/global/snapshots")
    def list_snapshots(self, request: Request, project: str) -> Reply:
        self.check_project(project)
        wanted = list_filter(request.query.get("filter"))
        snapshots = [snapshot for _, snapshot in sorted(self.snapshots.items()) if wanted(snapshot)]
        return 200, self.listing("snapshotList", "global/snapshots", snapshots, request), {}

    def snapshot(self, project: str, name: str) -> dict[str, Any]:
        self.check_project(project)
        if name not in self.snapshots:
            raise not_found(f"projects/{project}/global/snapshots/{name}")
        return self.snapshots[name]

    @route(COMPUTE, "GET", P + r"/global/snapshots/([^/]+)")
    def get_snapshot(self, request: Request, project: str, name: str) -> Reply:
        return 200, self.snapshot(project, name), {}

    @route(COMPUTE, "DELETE", P + r"/global/snapshots/([^/]+)")
    def delete_snapshot(self, request: Request, project: str, name: str) -> Reply:
        snapshot = self.snapshot(project, name)
        del self.snapshots[name]
        return self.operation("global", "delete", snapshot, request)

    # --- Cloud Storage ----------------------------------------------------------------------------------------

    def bucket(self, name: str) -> dict[str, Any]:
        if name not in self.buckets:
            raise ApiError(404, "The specified bucket does not exist.", "notFound")
        return self.buckets[name]

    def object(self, bucket: str, name: str, generation: str | None = None) -> tuple[dict[str, Any], bytes]:
        self.bucket(bucket)
        found = self.objects[bucket].get(name)
        if found is None or generation not in (None, found[0]["generation"]):
            raise ApiError(404, f"No such object: {bucket}/{name}", "notFound")
        return found

    @route(STORAGE, "POST", B)
    def insert_bucket(self, request: Request) -> Reply:
        if request.query.get("project") != self.project:
            raise ApiError(404, "The requested project was not found.", "notFound")
        body = request.json()
        name, location = str(body.get("name", "")), str(body.get("location", "US")).upper()
        if not BUCKET.fullmatch(name) or ".." in name or name.startswith("goog"):
            raise ApiError(400, f"Invalid bucket name: '{name}'", "invalid")
        if name in self.buckets:
            raise ApiError(409, "You already own this bucket. Please select another name.", "conflict")
        bucket = body | {"kind": "storage#bucket", "id": name, "name": name, "projectNumber": new_id(self.project)[:12]}
        bucket |= {"selfLink": f"https://www.googleapis.com/storage/v1/b/{name}", "metageneration": "1", "etag": "CAE="}
        bucket |= {"location": location, "locationType": "region" if "-" in location else "multi-region"}
        bucket |= {"storageClass": body.get("storageClass", "STANDARD"), "timeCreated": timestamp()}
        self.buckets[name], self.objects[name] = bucket | {"updated": bucket["timeCreated"]}, {}
        return 200, self.buckets[name], {}

    @route(STORAGE, "GET", B + r"/([^/]+)")
    def get_bucket(self, request: Request, name: str) -> Reply:
        return 200, self.bucket(name), {}

    @route(STORAGE, "DELETE", B + r"/([^/]+)")
    def delete_bucket(self, request: Request, name: str) -> Reply:
        self.bucket(name)
        if self.objects[name]:
            raise ApiError(409, "The bucket you tried to delete was not empty.", "conflict")
        del self.buckets[name], self.objects[name]
        return 204, None, {}

    @route(STORAGE, "GET", B + r"/([^/]+)/o")
    def list_objects(self, request: Request, bucket: str) -> Reply:
        self.bucket(bucket)
        if request.query.get("delimiter"):
            raise ApiError(400, "The simulated Cloud Storage does not list with a delimiter.", "invalid")
        prefix = request.query.get("prefix", "")
        found = [meta for name, (meta, _) in sorted(self.objects[bucket].items()) if name.startswith(prefix)]
        page, token = paginate(found, request.query, key=lambda meta: meta["name"], default=1000, cap=STORAGE_PAGE)
        return 200, {"kind": "storage#objects"} | ({"items": page} if page else {}) | token, {}

    @route(STORAGE, "GET", B + r"/([^/]+)/o/(.+)")
    @route(STORAGE, "GET", r"/download/storage/v1/b/([^/]+)/o/(.+)")
    def get_object(self, request: Request, bucket: str, name: str) -> Reply:
        """The object's metadata, or with alt=media its bytes (a Range too) and the headers the SDK checks."""
        meta, data = self.object(bucket, name, request.query.get("generation"))
        if request.query.get("alt") != "media":
            return 200, meta, {}
        headers = {"Content-Type": meta["contentType"], "ETag": meta["etag"], "x-goog-generation": meta["generation"]}
        headers |= {"x-goog-hash": f"crc32c={meta['crc32c']},md5={meta['md5Hash']}", "x-goog-metageneration": "1"}
        headers |= {"x-goog-stored-content-length": meta["size"], "x-goog-stored-content-encoding": "identity"}
        headers |= {"x-goog-storage-class": meta["storageClass"]}
        wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", request.header("Range"))
        if wanted and int(wanted[1]) < len(data):
            first, last = int(wanted[1]), min(int(wanted[2] or len(data) - 1), len(data) - 1)
            return 206, data[first : last + 1], headers | {"Content-Range": f"bytes {first}-{last}/{len(data)}"}
        return 200, data, headers

    @route(STORAGE, "DELETE", B + r"/([^/]+)/o/(.+)")
    def delete_object(self, request: Request, bucket: str, name: str) -> Reply:
        self.object(bucket, name, request.query.get("generation"))
        del self.objects[bucket][name]
        return 204, None, {}

    def store(self, bucket: str, metadata: dict[str, Any], media_type: str, data: bytes) -> dict[str, Any]:
        """Keep an uploaded object, refusing it if a checksum the client sent in `metadata` does not match."""
        name = metadata.get("name")
        if not isinstance(name, str) or not name or len(name.encode()) > 1024 or "\r" in name or "\n" in name:
            raise ApiError(400, f"Invalid object name: '{name}'" if name else "Required", "invalid")
        crc32c = b64(google_crc32c.value(data).to_bytes(4, "big"))
        sums = {"crc32c": crc32c, "md5Hash": b64(hashlib.md5(data, usedforsecurity=False).digest())}
        for field, label in (("crc32c", "CRC32C"), ("md5Hash", "MD5 hash")):
            if metadata.get(field) not in (None, sums[field]):
                mismatch = f'Provided {label} "{metadata[field]}" doesn\'t match calculated {label} "{sums[field]}".'
                raise ApiError(400, mismatch, "invalid")
        generation, path = str(time.time_ns() // 1000), f"b/{bucket}/o/{urllib.parse.quote(name, safe='')}"
        meta = {key: metadata[key] for key in WRITABLE if key in metadata} | sums
        meta |= {"kind": "storage#object", "id": f"{bucket}/{name}/{generation}", "name": name, "bucket": bucket}
        meta |= {"selfLink": f"https://www.googleapis.com/storage/v1/{path}", "generation": generation}
        meta |= {"mediaLink": f"https://{STORAGE}/download/storage/v1/{path}?generation={generation}&alt=media"}
        meta |= {"metageneration": "1", "contentType": media_type, "storageClass": "STANDARD", "size": str(len(data))}
        meta |= {"etag": b64(int(generation).to_bytes(8, "big")), "timeCreated": timestamp()}
        self.objects[bucket][name] = (meta | {"updated": meta["timeCreated"]}, bytes(data))
        return self.objects[bucket][name][0]

    @route(STORAGE, "POST", r"/upload/storage/v1/b/([^/]+)/o")
    def upload(self, request: Request, bucket: str) -> Reply:
        """uploadType=media or multipart: the object at once; resumable: a session, its URL in Location."""
        self.bucket(bucket)
        kind, content_type = request.query.get("uploadType"), request.header("Content-Type")
        if kind == "media":
            metadata = {"name": request.query.get("name")}
            return 200, self.store(bucket, metadata, content_type or "application/octet-stream", request.body), {}
        if kind == "multipart":
            return 200, self.store(bucket, *multipart(request.body, content_type)), {}
        if kind != "resumable":
            raise ApiError(400, f"Invalid upload type: '{kind}'", "invalid")
        metadata = request.json() | ({"name": request.query["name"]} if "name" in request.query else {})
        media_type = (
            request.header("X-Upload-Content-Type") or metadata.get("contentType") or "application/octet-stream"
        )
        total, upload_id = request.header("X-Upload-Content-Length"), secrets.token_urlsafe(36)
        self.uploads[upload_id] = {"bucket": bucket, "metadata": metadata, "type": media_type, "data": bytearray()}
        self.uploads[upload_id]["total"] = int(total) if total else None
        location = f"https://{STORAGE}/upload/storage/v1/b/{bucket}/o?uploadType=resumable&upload_id={upload_id}"
        return 200, None, {"Location": location}

    @route(STORAGE, "PUT", r"/upload/storage/v1/b/([^/]+)/o")
    def upload_chunk(self, request: Request, bucket: str) -> Reply:
        """A chunk of a resumable upload (Content-Range: bytes FIRST-LAST/TOTAL, or /* while the total is unknown),
        or the status query (bytes */TOTAL): 308 and the bytes persisted (Range) until the last one arrives, then
        200 and the object, its checksum checked against the x-goog-hash sent."""
        upload_id = request.query.get("upload_id", "")
        upload = self.uploads.get(upload_id)
        if upload is None or upload["bucket"] != bucket:
            raise ApiError(404, "No such upload session.", "notFound")
        ranged = re.fullmatch(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)", request.header("Content-Range"))
        if not ranged:
            raise ApiError(400, "Failed to parse Content-Range header.", "badRequest")
        data, sent = upload["data"], request.body
        upload["total"] = upload["total"] if ranged[3] == "*" else int(ranged[3])
        if ranged[1] is not None:
            first, last = int(ranged[1]), int(ranged[2])
            if first > len(data) or last - first + 1 != len(sent):
                gap = f"{ranged[0]} does not follow the {len(data)} bytes persisted or the {len(sent)} bytes sent."
                raise ApiError(400, f"Invalid request: Content-Range {gap}", "invalid")
            if last + 1 != upload["total"] and len(sent) % CHUNK:
                short = f"The received request contained {len(sent)} bytes, which does not meet this requirement."
                rule = "The number of bytes uploaded is required to be equal or greater than 262144, except for the "
                rule += "final request (it's recommended to be the exact multiple of 262144)."
                raise ApiError(400, f"Invalid request. {rule} {short}", "invalid")
            data[first:] = sent
        if upload["total"] is None or len(data) < upload["total"]:
            return 308, None, {"Range": f"bytes=0-{len(data) - 1}"} if data else {}
        hashes_sent = (item.strip().partition("=") for item in request.header("x-goog-hash").split(",") if item)
        claimed = {{"md5": "md5Hash"}.get(algorithm, algorithm): value for algorithm, _, value in hashes_sent}
        del self.uploads[upload_id]
        return 200, self.store(bucket, upload["metadata"] | claimed, upload["type"], bytes(data[: upload["total"]])), {}


def multipart(body: bytes, content_type: str) -> tuple[dict[str, Any], str, bytes]:
    """A multipart/related upload's two parts: the object's JSON metadata, then its media (type and bytes)."""
    boundary = re.search(r'boundary="?([^";]+)"?', content_type)
    parts = body.split(b"--" + boundary[1].encode()) if boundary else []
    if len(parts) != 4 or parts[3].strip() != b"--":
        raise ApiError(400, f"Invalid multipart request with {max(len(parts) - 2, 0)} mime parts.", "invalid")
    sections = []
    for part in parts[1:3]:
        head, _, content = part.partition(b"\r\n\r\n")
        fields = (line.partition(":") for line in head.decode().strip().splitlines())
        sections.append(({k.strip().lower(): v.strip() for k, _, v in fields}, content.removesuffix(b"\r\n")))
    try:
        metadata = json.loads(sections[0][1])
    except ValueError:
        metadata = None
    if not isinstance(metadata, dict):
        raise ApiError(400, "The metadata part is not a JSON object.", "parseError")
    return metadata, sections[1][0].get("content-type", "application/octet-stream"), sections[1][1]


def start_gcp_api(directory: Path, project: str, state_dir: Path | None = None) -> dict[str, str]:
    """The simulated Google APIs of `project` on a free port of this machine (pid in DIR/api.pid, log in
    DIR/gcp-api.log) and a service-account key for them (DIR/gcp-service-account.json); returns the environment
    the tool then runs in. The CA and the keys the server trusts live in `state_dir` (default DIR)."""
    state = state_dir or directory
    key_file = directory / "gcp-service-account.json"
    write_service_account_key(state, key_file, project)
    command = [sys.executable, str(Path(__file__).resolve()), "serve", str(state), "--project", project]
    environment = apiproxy.start(command, directory, "gcp-api.log", simulated_ca(state).certificate_file, OAUTH)
    return environment | {"GOOGLE_APPLICATION_CREDENTIALS": str(key_file), "GOOGLE_CLOUD_PROJECT": project}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The simulated Google Cloud APIs (a test double), as a proxy.")
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser("serve", help="serve one project's APIs until killed")
    serving.add_argument("state_dir", type=Path, help="the simulation's state: its CA and the keys it issued")
    serving.add_argument("--port", type=int, required=True)
    serving.add_argument("--project", required=True)
    args = parser.parse_args(argv)
    apiproxy.serve(Cloud(args.state_dir.resolve(), args.project), args.state_dir.resolve(), args.port, "gcp-tls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
