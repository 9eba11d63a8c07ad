"""The environment's secrets: generated once, kept only ansible-vault encrypted, never printed.

`environments/<name>.secrets.yml` holds every password and key the platform needs (names in docs/contracts.md).
The vault password comes from OPENEDX_DEPLOY_VAULT_PASSWORD, or a password file (OPENEDX_DEPLOY_VAULT_PASSWORD_FILE,
default `.openedx-deploy/vault-password` in the working directory, created 0600 by `init` when none exists).
"""

from __future__ import annotations

import base64
import json
import os
import secrets as pysecrets
from collections.abc import Callable, Mapping
from pathlib import Path

import yaml
from ansible.parsing.vault import AnsibleVaultError, VaultLib, VaultSecret
from cryptography.hazmat.primitives.asymmetric import rsa

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
    "search_master_key": _token,  # Meilisearch master key
    "search_admin_password": _token,  # the elastic / admin user of Elasticsearch or OpenSearch
    "lms_secret_key": lambda: _token(48),
    "cms_secret_key": lambda: _token(48),
    "notes_secret_key": lambda: _token(48),
    "jwt_private_key": generate_jwk,
    "oauth_studio_sso_secret": _token,
    "oauth_mfe_secret": _token,
    "oauth_notes_secret": _token,
}
SECRET_NAMES = tuple(GENERATORS)


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
            return plaintext.decode()
        except AnsibleVaultError as exc:
            raise DeployError(f"{source}: cannot decrypt with the vault password given ({exc})") from None

    def write_password_file(self, path: Path) -> None:
        """A password file for ansible-runner / ansible-playbook --vault-password-file (0600)."""
        _write_private(path, self._password + "\n")


def _write_private(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = text.encode() if isinstance(text, str) else text
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def resolve_vault(default_password_file: Path, create: bool = False) -> Vault:
    """The vault for this working directory; with `create`, a new random password file when there is none."""
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return Vault(password)
    path = Path(os.environ.get(PASSWORD_FILE_ENV) or default_password_file)
    if path.is_file():
        return Vault(path.read_text().strip())
    if create:
        password = _token(32)
        _write_private(path, password + "\n")
        return Vault(password)
    raise UsageError(f"no vault password: set {PASSWORD_ENV}, or {PASSWORD_FILE_ENV}, or create {path} (`init` does)")


def ensure_secrets(path: Path, vault: Vault) -> tuple[dict[str, str], list[str]]:
    """Load the secrets file, generating only the secrets it lacks; returns (secrets, names newly generated).

    Existing secrets are never regenerated: rotating one is a deliberate edit with `ansible-vault edit`.
    """
    current = load_secrets(path, vault) if path.exists() else {}
    missing = [name for name in SECRET_NAMES if not current.get(name)]
    for name in missing:
        current[name] = GENERATORS[name]()
    if missing:
        write_secrets(path, vault, current)
    return current, missing


def load_secrets(path: Path, vault: Vault) -> dict[str, str]:
    data = path.read_bytes()
    if not data.startswith(VAULT_HEADER):
        raise DeployError(f"{path} is not ansible-vault encrypted; refusing to read secrets kept in plain text")
    loaded = yaml.safe_load(vault.decrypt(data, path)) or {}
    if not isinstance(loaded, dict):
        raise DeployError(f"{path}: expected a mapping of secret names to values")
    return {str(k): str(v) for k, v in loaded.items()}


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
