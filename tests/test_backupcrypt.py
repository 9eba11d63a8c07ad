"""Backup files encrypted at rest (openedx_deploy/backupcrypt.py): round trips of every size around the chunk
boundaries, and every alteration refused: a wrong key, a flipped bit, chunks swapped, dropped or cut short."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from openedx_deploy import backupcrypt
from openedx_deploy.backupcrypt import MAGIC, SALT_BYTES, decrypt_file, encrypt_file
from openedx_deploy.errors import DeployError

KEY = "k" * 43
CHUNK = 64  # small chunks, so the boundaries are cheap to cross


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backupcrypt, "CHUNK", CHUNK)


def sealed(tmp_path: Path, data: bytes, key: str = KEY) -> Path:
    plain = tmp_path / "dump"
    plain.write_bytes(data)
    target = tmp_path / "dump.enc"
    encrypt_file(plain, target, key)
    return target


def chunks(path: Path) -> tuple[bytes, list[bytes]]:
    """(header, [length-prefixed chunk, ...]) of an encrypted file."""
    data = path.read_bytes()
    header, rest, parts = data[: len(MAGIC) + SALT_BYTES], data[len(MAGIC) + SALT_BYTES :], []
    while rest:
        length = int.from_bytes(rest[:4], "big")
        parts.append(rest[: 4 + length])
        rest = rest[4 + length :]
    return header, parts


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 5])
def test_every_size_round_trips_and_no_plain_text_is_stored(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    target = sealed(tmp_path, data)
    assert target.read_bytes().startswith(MAGIC)
    if size >= 16:
        assert data not in target.read_bytes()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    decrypt_file(target, tmp_path / "out", KEY)
    assert (tmp_path / "out").read_bytes() == data
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o600


def test_the_same_dump_encrypts_differently_each_time(tmp_path: Path) -> None:
    first = sealed(tmp_path, b"same rows").read_bytes()
    assert sealed(tmp_path, b"same rows").read_bytes() != first


def test_a_wrong_key_is_refused_and_leaves_no_output(tmp_path: Path) -> None:
    target = sealed(tmp_path, b"rows" * 100)
    with pytest.raises(DeployError, match="does not decrypt"):
        decrypt_file(target, tmp_path / "out", "x" * 43)
    assert not (tmp_path / "out").exists()


def test_a_flipped_bit_is_refused(tmp_path: Path) -> None:
    target = sealed(tmp_path, b"rows" * 100)
    data = bytearray(target.read_bytes())
    data[-5] ^= 1
    target.write_bytes(bytes(data))
    with pytest.raises(DeployError, match="does not decrypt"):
        decrypt_file(target, tmp_path / "out", KEY)


@pytest.mark.parametrize(
    "alter",
    [
        pytest.param(lambda parts: [parts[1], parts[0], *parts[2:]], id="swapped"),
        pytest.param(lambda parts: parts[:-1], id="last chunk dropped at a boundary"),
        pytest.param(lambda parts: [parts[0], *parts[2:]], id="middle chunk dropped"),
        pytest.param(lambda parts: [*parts[:-1], parts[-1][:-3]], id="cut inside the last chunk"),
    ],
)
def test_chunks_moved_dropped_or_cut_are_refused(tmp_path: Path, alter: Callable[[list[bytes]], list[bytes]]) -> None:
    target = sealed(tmp_path, os.urandom(3 * CHUNK + 5))
    header, parts = chunks(target)
    assert len(parts) == 4
    target.write_bytes(header + b"".join(alter(parts)))
    with pytest.raises(DeployError, match=r"does not decrypt|cut short"):
        decrypt_file(target, tmp_path / "out", KEY)
    assert not (tmp_path / "out").exists()


def test_a_file_that_is_not_an_encrypted_backup_is_named(tmp_path: Path) -> None:
    plain = tmp_path / "mysql.sql.gz.enc"
    plain.write_bytes(b"-- a plain dump\n" * 4)
    with pytest.raises(DeployError, match=r"mysql.sql.gz.enc is not an openedx-deploy encrypted backup"):
        decrypt_file(plain, tmp_path / "out", KEY)


def test_a_missing_key_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="backup_encryption_key is missing"):
        sealed(tmp_path, b"rows", key="")
    assert not (tmp_path / "dump.enc").exists()
