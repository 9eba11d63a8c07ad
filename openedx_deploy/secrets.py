"""The environment's secrets: generated once, kept only ansible-vault encrypted, never printed.

`environments/<name>.secrets.yml` holds every password and key the platform needs (names in docs/contracts.md).
The vault password comes from OPENEDX_DEPLOY_VAULT_PASSWORD, or a password file (OPENEDX_DEPLOY_VAULT_PASSWORD_FILE,
default `.openedx-deploy/vault-password` in the working directory, created 0600 by `init` when none exists).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import fcntl
import hashlib
import hmac
import json
import os
import secrets as pysecrets
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import yaml
from ansible.errors import AnsibleError
from ansible.parsing.vault import AnsibleVaultError, VaultLib, VaultSecret
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from .errors import DeployError, UsageError

VAULT_HEADER = b"$ANSIBLE_VAULT;1.1;AES256"
PASSWORD_ENV = "OPENEDX_DEPLOY_VAULT_PASSWORD"  # noqa: S105 - the variable's name, not a password
PASSWORD_FILE_ENV = "OPENEDX_DEPLOY_VAULT_PASSWORD_FILE"  # noqa: S105 - likewise


def _token(length: int = 32) -> str:
    # URL-safe, no characters that need quoting in YAML, shell, DSNs or my.cnf.
    return pysecrets.token_urlsafe(length)


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def generate_jwk() -> str:
    """An RSA private signing key as a JWK (JSON), the form edx-platform's JWT_PRIVATE_SIGNING_JWK takes."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_numbers()
    public = private.public_numbers
    jwk = {
        "kty": "RSA",
        "kid": _token(8),
        "use": "sig",
        "alg": "RS512",
        "n": _b64url_uint(public.n),
        "e": _b64url_uint(public.e),
        "d": _b64url_uint(private.d),
        "p": _b64url_uint(private.p),
        "q": _b64url_uint(private.q),
        "dp": _b64url_uint(private.dmp1),
        "dq": _b64url_uint(private.dmq1),
        "qi": _b64url_uint(private.iqmp),
    }
    return json.dumps(jwk, sort_keys=True)


def public_jwk_set(private_jwk: str) -> str:
    """The public half of the signing key, as the JWK set edx-platform publishes (not a secret)."""
    jwk = json.loads(private_jwk)
    public = {k: jwk[k] for k in ("kty", "kid", "use", "alg", "n", "e")}
    return json.dumps({"keys": [public]}, sort_keys=True)


def generate_ssh_host_key() -> str:
    """An ed25519 SSH host key in OpenSSH's private format: every VM of the environment presents it (cloud-init
    installs it), so the inventory's known_hosts can pin it before the first connection."""
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()


def ssh_host_public_key(private_key: str) -> str:
    """The public half of the host key, `ssh-ed25519 AAAA...` (not a secret): what known_hosts holds."""
    key = serialization.load_ssh_private_key(private_key.encode(), password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise DeployError("the ssh_host_key secret is not an ed25519 key")
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def ensure_ssh_key(path: Path) -> str:
    """An ed25519 SSH key pair at `path` (private, 0600) and `path`.pub, made when missing (the key the local hosts
    accept over SSH); returns the public key line."""
    if not path.exists():
        _write_private(path, generate_ssh_host_key())
    public = ssh_host_public_key(path.read_text())
    public_file = path.with_name(f"{path.name}.pub")
    if not public_file.exists() or public_file.read_text() != public + "\n":
        public_file.write_text(public + "\n")
    return public


# How long the data stores' CA is valid. Its server certificates are issued on the hosts (short-lived, reissued by the
# roles); the CA itself is replaced by deleting the `data_ca` secret (docs/security.md, "TLS to the data stores").
DATA_CA_DAYS = 3650
DATA_CA_NAME = "openedx-deploy data stores CA"


def generate_data_ca(common_name: str = DATA_CA_NAME, days: int = DATA_CA_DAYS) -> str:
    """The private CA of the self-hosted data stores' TLS (MySQL, Redis): an EC P-256 key and its self-signed
    certificate, as one PEM text (the key first). One secret, so the key and the certificate never part; the inventory
    gets them split (derived_secrets: data_ca_key, data_ca_cert). `common_name` and `days` name and date another CA
    of the same kind (the simulated clouds' test double: tests/simcloud/ca.py)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return (key_pem + cert.public_bytes(serialization.Encoding.PEM)).decode()


_PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"


def split_data_ca(bundle: str) -> tuple[str, str]:
    """The (private key, certificate) PEM texts of a `data_ca` secret; ("", "") when it holds no certificate."""
    key, marker, cert = bundle.partition(_PEM_CERTIFICATE)
    if not marker:
        return "", ""
    return key.strip() + "\n", (marker + cert).strip() + "\n"


def _mongodb_keyfile() -> str:
    # MongoDB accepts 6..1024 base64 characters; 756 random bytes give 1008.
    return base64.b64encode(pysecrets.token_bytes(756)).decode()


GENERATORS: dict[str, Callable[[], str]] = {
    "mysql_root_password": _token,
    "mysql_app_password": _token,
    "mysql_migrate_password": _token,
    "mysql_readonly_password": _token,
    "mysql_notes_password": _token,
    "mysql_replication_password": _token,
    "mongodb_admin_password": _token,
    "mongodb_app_password": _token,
    "mongodb_keyfile": _mongodb_keyfile,
    "redis_password": _token,
    # RabbitMQ (broker: rabbitmq): one user per client service, each with its own password (roles/rabbitmq).
    "rabbitmq_lms_password": _token,
    "rabbitmq_cms_password": _token,
    # The one user of an Amazon MQ broker (rabbitmq.mode managed): Amazon MQ takes 12 to 250 characters without
    # `,:=`, which a URL-safe token meets.
    "rabbitmq_admin_password": _token,
    "search_master_key": _token,  # Meilisearch master key
    "search_admin_password": _token,  # the elastic / admin user of Elasticsearch or OpenSearch
    "lms_secret_key": lambda: _token(48),
    "cms_secret_key": lambda: _token(48),
    "notes_secret_key": lambda: _token(48),
    "jwt_private_key": generate_jwk,
    "oauth_studio_sso_secret": _token,
    "oauth_mfe_secret": _token,
    "oauth_notes_secret": _token,
    # Encrypts the database dumps of every backup (backupcrypt.py); the backups' copies of this file carry it.
    "backup_encryption_key": lambda: _token(32),
    # The host key of every VM on a cloud (docs/clouds.md, "Reaching the hosts"); the local target does not use it.
    "ssh_host_key": generate_ssh_host_key,
    # The CA the self-hosted MySQL and Redis servers' certificates are issued from, and their clients verify.
    "data_ca": generate_data_ca,
}
SECRET_NAMES = tuple(GENERATORS)

# What the uid of the platform's Meilisearch API key is derived from (with the master key): fixed, so the same master
# key always gives the same uid, and the jobs find the key they created on an earlier run.
_SEARCH_API_KEY_UID_LABEL = b"openedx-deploy: uid of the platform's Meilisearch API key"


def derived_secrets(values: Mapping[str, str]) -> dict[str, str]:
    """Secrets computed from the stored ones, never stored themselves (the inventory's vault gets them as vault_<name>).

    `search_api_key_uid` and `search_api_key`: the Meilisearch API key the platform and the notes API use instead of
    the master key, restricted to the environment's index prefix; the openedx_jobs role creates it with this uid.
    Meilisearch does not let a key's value be chosen: it is HMAC-SHA256 of the uid (lowercase, hyphenated) keyed with
    the master key, in hex (meilisearch/meilisearch crates/meilisearch-auth/src/store.rs, `generate_key_as_hexa`;
    Tutor derives its MEILISEARCH_API_KEY the same way, tutor/utils.py `uid_master_hash`), so the settings can name
    the key before it exists. The uid is a version 4 UUID, the form Meilisearch accepts, taken from an HMAC of the
    master key too: a new master key gives a new key.

    `data_ca_key` and `data_ca_cert`: the two halves of the `data_ca` secret, the CA of the data stores' TLS. The
    store roles issue their server certificates with both; the clients get only the certificate."""
    derived: dict[str, str] = {}
    data_ca_key, data_ca_cert = split_data_ca(values.get("data_ca") or "")
    if data_ca_cert:
        derived.update(data_ca_key=data_ca_key, data_ca_cert=data_ca_cert)
    master = values.get("search_master_key") or ""
    if not master:
        return derived
    digest = hmac.new(master.encode(), _SEARCH_API_KEY_UID_LABEL, hashlib.sha256).digest()
    uid = str(uuid.UUID(bytes=digest[:16], version=4))
    return derived | {
        "search_api_key_uid": uid,
        "search_api_key": hmac.new(master.encode(), uid.encode(), hashlib.sha256).hexdigest(),
    }


class Vault:
    """Encrypts and decrypts with one ansible-vault password."""

    def __init__(self, password: str) -> None:
        if not password:
            raise UsageError("the vault password is empty")
        self._lib = VaultLib([("default", VaultSecret(password.encode()))])
        self._password = password

    def encrypt(self, plaintext: str) -> bytes:
        encrypted: bytes = self._lib.encrypt(plaintext.encode())
        return encrypted

    def decrypt(self, ciphertext: bytes, source: Path) -> str:
        try:
            plaintext: bytes = self._lib.decrypt(ciphertext)
        except AnsibleVaultError as exc:
            if "HMAC" in str(exc) or "no vault secrets" in str(exc).lower() or "Decryption failed" in str(exc):
                raise DeployError(
                    f"{source}: cannot decrypt with the vault password given: it was encrypted with another one "
                    f"(or damaged). Use the working directory's password ({PASSWORD_ENV} or the password file)"
                ) from None
            raise DeployError(_corrupt(source, str(exc))) from None
        except (AnsibleError, ValueError, TypeError, binascii.Error) as exc:
            # A damaged file: ansible-vault's parser raises these for bad hex, a truncated envelope, etc.
            raise DeployError(_corrupt(source, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)) from None
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError:
            raise DeployError(_corrupt(source, "its decrypted content is not UTF-8 text")) from None

    def opens(self, ciphertext: bytes) -> bool:
        """Whether this password decrypts `ciphertext`."""
        try:
            self._lib.decrypt(ciphertext)
        except (AnsibleError, ValueError, TypeError, binascii.Error):
            return False
        return True

    def same_password(self, other: Vault) -> bool:
        return pysecrets.compare_digest(self._password.encode(), other._password.encode())

    def write_password_file(self, path: Path) -> None:
        """A password file for ansible-runner / ansible-playbook --vault-password-file (0600)."""
        _write_private(path, self._password + "\n")


def _corrupt(source: Path, detail: str) -> str:
    return (
        f"{source} is damaged and cannot be read ({detail}). Restore it from version control or a backup "
        "(`openedx-deploy restore --with-secrets`); do not delete it: new secrets would not match the deployed data"
    )


def _write_private(path: Path, text: str | bytes) -> None:
    """Write a 0600 file atomically: a temporary file beside it, then a rename, so a reader (or a crash) never sees
    half a file, and two writers leave one whole file, not a mix."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = text.encode() if isinstance(text, str) else text
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def _directory_lock(directory: Path) -> Iterator[None]:
    """An exclusive flock on a directory itself: serialises secret generation between processes without leaving
    a lock file beside the secrets."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def _read_password_file(path: Path) -> Vault:
    try:
        text = path.read_bytes().decode("utf-8").strip()
    except OSError as exc:
        raise DeployError(f"cannot read the vault password file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DeployError(f"the vault password file {path} is not UTF-8 text: restore it (a random token)") from None
    if not text:
        raise UsageError(f"the vault password file {path} is empty: restore it, or set {PASSWORD_ENV}")
    return Vault(text)


def resolve_vault(default_password_file: Path, create: bool = False, encrypted_files: Iterable[Path] = ()) -> Vault:
    """The vault for this working directory; with `create`, a new random password file when there is none.

    One password per working directory: `encrypted_files` (the secrets files already there) must open with the
    password found, else this refuses; and a new password is never created while such files exist, since they
    could not be opened with it.
    """
    encrypted = [path for path in encrypted_files if path.is_file()]
    path = Path(os.environ.get(PASSWORD_FILE_ENV) or default_password_file)
    password = os.environ.get(PASSWORD_ENV)
    if password:
        vault, source = Vault(password), f"${PASSWORD_ENV}"
        if create and path.is_file() and not vault.same_password(_read_password_file(path)):
            raise UsageError(
                f"two vault passwords: ${PASSWORD_ENV} and {path} differ. One working directory has one vault "
                f"password: unset {PASSWORD_ENV}, or remove {path} once nothing is encrypted with it"
            )
    elif path.is_file():
        vault, source = _read_password_file(path), str(path)
    elif create:
        if encrypted:
            raise UsageError(
                f"no vault password, but {encrypted[0]} is encrypted with one: restore {path} or set "
                f"{PASSWORD_ENV} to that password; a new password could not open the existing secrets"
            )
        vault, source = _create_password_file(path), str(path)
    else:
        raise UsageError(
            f"no vault password: set {PASSWORD_ENV}, or {PASSWORD_FILE_ENV}, or create {path} (`init` does)"
        )
    for secrets_file in encrypted:
        try:
            data = secrets_file.read_bytes()
        except OSError:
            continue
        if data.startswith(VAULT_HEADER) and not vault.opens(data):
            raise UsageError(
                f"{secrets_file} is encrypted with another vault password than {source}: one working directory has "
                "one vault password; use the one that opens the existing secrets"
            )
    return vault


def _create_password_file(path: Path) -> Vault:
    """A new random password file, created exclusively: of two concurrent `init`s, one creates it, the other
    reads it, so they never end up with two passwords."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    password = _token(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_password_file(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return Vault(password)


def ensure_secrets(path: Path, vault: Vault) -> tuple[dict[str, str], list[str]]:
    """Load the secrets file, generating only the secrets it lacks; returns (secrets, names newly generated).

    Existing secrets are never regenerated: rotating one is a deliberate edit with `ansible-vault edit`. The read,
    the generation and the write happen under a lock on the directory, and the write is a rename: two processes
    never produce two different sets, the second one reads what the first wrote.
    """
    current = load_secrets(path, vault) if path.exists() else {}
    if all(current.get(name) for name in SECRET_NAMES):
        return current, []
    with _directory_lock(path.parent):
        current = load_secrets(path, vault) if path.exists() else {}
        missing = [name for name in SECRET_NAMES if not current.get(name)]
        for name in missing:
            current[name] = GENERATORS[name]()
        if missing:
            write_secrets(path, vault, current)
    return current, missing


def load_secrets(path: Path, vault: Vault) -> dict[str, str]:
    """The decrypted secrets; DeployError (exit 1) naming the file for anything unreadable, never a traceback."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DeployError(f"cannot read the secrets file {path}: {exc.strerror or exc}") from None
    if not data.startswith(VAULT_HEADER):
        raise DeployError(f"{path} is not ansible-vault encrypted; refusing to read secrets kept in plain text")
    try:
        loaded = yaml.safe_load(vault.decrypt(data, path)) or {}
    except yaml.YAMLError:
        raise DeployError(_corrupt(path, "its decrypted content is not YAML")) from None
    if not isinstance(loaded, dict) or not all(isinstance(v, str | int | float | bool | None) for v in loaded.values()):
        raise DeployError(_corrupt(path, "expected a mapping of secret names to values"))
    # An emptied value (`name:`) counts as missing: ensure_secrets generates it.
    return {str(k): "" if v is None else str(v) for k, v in loaded.items()}


def write_secrets(path: Path, vault: Vault, values: Mapping[str, str]) -> None:
    plaintext = yaml.safe_dump(dict(sorted(values.items())), default_flow_style=False, width=4096)
    _write_private(path, vault.encrypt(plaintext))


def write_encrypted_if_changed(path: Path, vault: Vault, plaintext: str) -> bool:
    """Write an encrypted file only when its decrypted content changes: keeps re-rendering byte-identical
    (vault ciphertext is salted, so encrypting the same text twice gives different bytes)."""
    if path.exists():
        data = path.read_bytes()
        if data.startswith(VAULT_HEADER) and vault.decrypt(data, path) == plaintext:
            return False
    _write_private(path, vault.encrypt(plaintext))
    return True
