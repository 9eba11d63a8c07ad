"""Backup files encrypted at rest: AES-256-GCM in chunks, with a key the environment owns.

A database dump holds every learner's record; it leaves the controller only encrypted, wherever the backup storage
is (a bucket, or `backups/` in the working directory). The key is the environment's `backup_encryption_key`, a
secret generated with the others and kept in its vault-encrypted secrets file: never beside a dump in plain text
(the backup's copy of the secrets file is vault-encrypted, and the vault password is never in a backup).

The format (version 1) is a streaming construction in the manner of age's STREAM, so a dump of any size is
encrypted and checked without holding it in memory:

    MAGIC (8 bytes) | salt (16 bytes) | chunk*        chunk = length (4 bytes, big-endian) | AES-GCM ciphertext

Each file's key is HKDF-SHA256 of the environment's key with the file's random salt. Chunk i (plaintext of at most
CHUNK bytes) is sealed with the nonce i (11 bytes, big-endian) followed by 1 for the last chunk and 0 for the
others, and the header as associated data: a chunk moved, dropped, altered or a file cut short fails to decrypt.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import DeployError

MAGIC = b"ODXBAK1\n"
SALT_BYTES = 16
CHUNK = 1 << 20
SUFFIX = ".enc"
ALGORITHM = "AES-256-GCM, 1 MiB chunks, HKDF-SHA256 per-file key (openedx-deploy backup format 1)"
_TAG_BYTES = 16
_MAX_COUNTER = 1 << 88


def _file_key(key: str, salt: bytes) -> AESGCM:
    if len(key) < 32:
        raise DeployError("the environment's backup_encryption_key is missing or too short: run `up` to generate it")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"openedx-deploy backup v1").derive(
        key.encode()
    )
    return AESGCM(derived)


def _nonce(counter: int, last: bool) -> bytes:
    if counter >= _MAX_COUNTER:
        raise DeployError("a backup file is too large to encrypt in one stream")
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _read_full(handle: BinaryIO, size: int) -> bytes:
    data = b""
    while len(data) < size:
        block = handle.read(size - len(data))
        if not block:
            break
        data += block
    return data


def encrypt_file(source: Path, target: Path, key: str) -> None:
    """Encrypts `source` into `target` (created 0600)."""
    salt = os.urandom(SALT_BYTES)
    header = MAGIC + salt
    cipher = _file_key(key, salt)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with source.open("rb") as plain, os.fdopen(descriptor, "wb") as sealed:
        sealed.write(header)
        counter = 0
        chunk = _read_full(plain, CHUNK)
        while True:
            following = _read_full(plain, CHUNK) if len(chunk) == CHUNK else b""
            last = not following
            ciphertext = cipher.encrypt(_nonce(counter, last), chunk, header)
            sealed.write(len(ciphertext).to_bytes(4, "big") + ciphertext)
            if last:
                return
            chunk, counter = following, counter + 1


def decrypt_file(source: Path, target: Path, key: str) -> None:
    """Decrypts `source` into `target` (created 0600); DeployError naming the file when the key is wrong or the file
    was altered or cut short (what was written to `target` then is removed)."""
    try:
        _decrypt(source, target, key)
    except DeployError:
        target.unlink(missing_ok=True)
        raise


def _decrypt(source: Path, target: Path, key: str) -> None:
    with source.open("rb") as sealed:
        header = _read_full(sealed, len(MAGIC) + SALT_BYTES)
        if len(header) != len(MAGIC) + SALT_BYTES or not header.startswith(MAGIC):
            raise DeployError(f"{source.name} is not an openedx-deploy encrypted backup file (format 1)")
        cipher = _file_key(key, header[len(MAGIC) :])
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as plain:
            counter = 0
            while True:
                prefix = _read_full(sealed, 4)
                length = int.from_bytes(prefix, "big") if len(prefix) == 4 else -1
                if length < _TAG_BYTES or length > CHUNK + _TAG_BYTES:
                    raise DeployError(f"{source.name} is cut short or damaged (chunk {counter})")
                ciphertext = _read_full(sealed, length)
                last = sealed.peek(1) == b""  # nothing after this chunk
                try:
                    plain.write(cipher.decrypt(_nonce(counter, last), ciphertext, header))
                except InvalidTag:
                    raise DeployError(
                        f"{source.name} does not decrypt with this environment's backup_encryption_key: the file "
                        "was altered or cut short, or the backup belongs to an environment whose secrets differ"
                    ) from None
                if last:
                    return
                counter += 1
