"""Secrets: generated once, stored only ansible-vault encrypted, never regenerated."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from openedx_deploy import secrets
from openedx_deploy.errors import DeployError, UsageError


@pytest.fixture
def vault() -> secrets.Vault:
    return secrets.Vault("test-vault-password")


def test_generated_file_is_vault_encrypted_and_private(tmp_path: Path, vault: secrets.Vault) -> None:
    path = tmp_path / "environments" / "demo.secrets.yml"
    values, generated = secrets.ensure_secrets(path, vault)
    data = path.read_bytes()
    assert data.startswith(b"$ANSIBLE_VAULT;1.1;AES256\n")
    assert sorted(generated) == sorted(secrets.SECRET_NAMES)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for value in values.values():
        assert value.encode() not in data
    assert secrets.load_secrets(path, vault) == values


def test_existing_secrets_are_never_regenerated(tmp_path: Path, vault: secrets.Vault) -> None:
    path = tmp_path / "demo.secrets.yml"
    first, _ = secrets.ensure_secrets(path, vault)
    before = path.read_bytes()
    second, generated = secrets.ensure_secrets(path, vault)
    assert generated == []
    assert second == first
    assert path.read_bytes() == before  # not even re-encrypted


def test_only_missing_secrets_are_added(tmp_path: Path, vault: secrets.Vault) -> None:
    path = tmp_path / "demo.secrets.yml"
    secrets.write_secrets(path, vault, {"redis_password": "kept-as-is"})
    values, generated = secrets.ensure_secrets(path, vault)
    assert values["redis_password"] == "kept-as-is"
    assert "redis_password" not in generated
    assert len(generated) == len(secrets.SECRET_NAMES) - 1


def test_plain_text_secrets_file_is_refused(tmp_path: Path, vault: secrets.Vault) -> None:
    path = tmp_path / "demo.secrets.yml"
    path.write_text("redis_password: plain\n")
    with pytest.raises(DeployError, match="not ansible-vault encrypted"):
        secrets.load_secrets(path, vault)


def test_wrong_password_is_a_clear_error(tmp_path: Path, vault: secrets.Vault) -> None:
    path = tmp_path / "demo.secrets.yml"
    secrets.ensure_secrets(path, vault)
    with pytest.raises(DeployError, match="cannot decrypt"):
        secrets.load_secrets(path, secrets.Vault("another-password"))


def test_password_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(secrets.PASSWORD_ENV, raising=False)
    monkeypatch.delenv(secrets.PASSWORD_FILE_ENV, raising=False)
    default = tmp_path / ".openedx-deploy" / "vault-password"
    with pytest.raises(UsageError, match="no vault password"):
        secrets.resolve_vault(default)
    secrets.resolve_vault(default, create=True)
    assert stat.S_IMODE(default.stat().st_mode) == 0o600
    assert len(default.read_text().strip()) >= 32
    monkeypatch.setenv(secrets.PASSWORD_ENV, "from-the-environment")
    encrypted = secrets.resolve_vault(default).encrypt("x")
    assert secrets.Vault("from-the-environment").decrypt(encrypted, default) == "x"


def test_jwk_and_its_public_set() -> None:
    private = json.loads(secrets.generate_jwk())
    assert private["kty"] == "RSA" and {"n", "e", "d", "p", "q"} <= set(private)
    public = json.loads(secrets.public_jwk_set(json.dumps(private)))
    (key,) = public["keys"]
    assert key["n"] == private["n"] and key["kid"] == private["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_mongodb_keyfile_fits_mongodb_limits() -> None:
    keyfile = secrets.GENERATORS["mongodb_keyfile"]()
    assert 6 <= len(keyfile) <= 1024


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda good: good[:60], "damaged"),
        (lambda good: good[:40] + b"zz" + good[42:], "damaged"),
        (lambda good: secrets.VAULT_HEADER + b"\n\x00\xff", "damaged"),
        (lambda good: secrets.Vault("test-vault-password").encrypt("- a list\n"), "mapping"),
        (lambda good: secrets.Vault("test-vault-password").encrypt("a: [unclosed\n"), "not YAML"),
        (lambda good: secrets.Vault("test-vault-password").encrypt("a: {b: c}\n"), "mapping"),
    ],
)
def test_damaged_secrets_files_are_named_with_the_fix(
    tmp_path: Path, vault: secrets.Vault, damage: object, expected: str
) -> None:
    path = tmp_path / "demo.secrets.yml"
    secrets.ensure_secrets(path, vault)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    with pytest.raises(DeployError, match=expected) as caught:
        secrets.ensure_secrets(path, vault)
    assert caught.value.exit_code == 1 and str(path) in str(caught.value)
    assert "restore" in str(caught.value) or "decrypt" in str(caught.value)


def test_a_secrets_path_that_is_a_directory_is_named(tmp_path: Path, vault: secrets.Vault) -> None:
    path = tmp_path / "demo.secrets.yml"
    path.mkdir()
    with pytest.raises(DeployError, match="cannot read the secrets file"):
        secrets.ensure_secrets(path, vault)


@pytest.mark.parametrize(("content", "expected"), [(b"\xff\xfe\x00", "not UTF-8"), (b"\n \n", "is empty")])
def test_a_bad_password_file_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, expected: str
) -> None:
    monkeypatch.delenv(secrets.PASSWORD_ENV, raising=False)
    monkeypatch.delenv(secrets.PASSWORD_FILE_ENV, raising=False)
    path = tmp_path / "vault-password"
    path.write_bytes(content)
    with pytest.raises(DeployError, match=expected):
        secrets.resolve_vault(path)


def test_writes_are_atomic_and_private(tmp_path: Path, vault: secrets.Vault) -> None:
    path = tmp_path / "demo.secrets.yml"
    path.write_text("old")
    path.chmod(0o644)
    secrets.write_secrets(path, vault, {"a": "b"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secrets.load_secrets(path, vault) == {"a": "b"}
    assert [p.name for p in tmp_path.iterdir()] == ["demo.secrets.yml"]


def test_ssh_host_key_is_an_ed25519_openssh_key_with_its_public_half() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private = secrets.GENERATORS["ssh_host_key"]()
    assert private.startswith("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    key = serialization.load_ssh_private_key(private.encode(), password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    public = secrets.ssh_host_public_key(private)
    assert public.startswith("ssh-ed25519 ") and len(public.split()) == 2
    loaded = serialization.load_ssh_public_key(public.encode())
    assert loaded.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    ) == key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert secrets.GENERATORS["ssh_host_key"]() != private  # one per environment


def test_ssh_host_public_key_refuses_another_key_type() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    with pytest.raises(DeployError, match="ed25519"):
        secrets.ssh_host_public_key(other.decode())
