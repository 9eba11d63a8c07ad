"""The run logs' redaction and file modes (openedx_deploy/runlog.py), with the secrets `init` generates."""

from __future__ import annotations

import json
import os
from pathlib import Path

from openedx_deploy.runlog import REDACTED, Redactor, append_log, open_log
from openedx_deploy.secrets import GENERATORS


def test_every_generated_secret_is_redacted_as_printed_whole_escaped_or_in_parts() -> None:
    values = {name: generate() for name, generate in GENERATORS.items()}
    redact = Redactor(values.values())
    for name, value in values.items():
        for printed in (value, json.dumps(value), json.dumps({"msg": f"value: {value}"}), repr(value)):
            assert value not in redact(printed), name
            assert REDACTED in redact(printed), name
    key = values["ssh_host_key"]
    body = key.splitlines()[1]
    assert redact(f"line: {body}") == f"line: {REDACTED}", "one line of a PEM key printed on its own"
    assert "-----BEGIN OPENSSH PRIVATE KEY-----" in redact("-----BEGIN OPENSSH PRIVATE KEY-----"), "armour is no secret"
    jwk = json.loads(values["jwt_private_key"])
    assert jwk["d"] not in redact(f"d={jwk['d']}"), "a member of the JSON Web Key printed on its own"
    assert redact('"kty": "RSA"') == '"kty": "RSA"', "short JSON members are left alone"


def test_structures_are_redacted_in_every_string_and_kept_otherwise() -> None:
    redact = Redactor(["hunter2-but-longer"])
    event = {
        "event": "runner_on_ok",
        "counter": 3,
        "event_data": {"res": {"msg": "pw hunter2-but-longer", "list": ["x", "hunter2-but-longer"], "ok": True}},
        "hunter2-but-longer": None,
    }
    assert redact.data(event) == {
        "event": "runner_on_ok",
        "counter": 3,
        "event_data": {"res": {"msg": f"pw {REDACTED}", "list": ["x", REDACTED], "ok": True}},
        REDACTED: None,
    }
    assert Redactor([""])("nothing to hide") == "nothing to hide"
    assert Redactor()("nothing to hide") == "nothing to hide"


def test_a_longer_secret_wins_over_one_it_contains() -> None:
    redact = Redactor(["abcdefgh", "abcdefgh-ijklmnop"])
    assert redact("x abcdefgh-ijklmnop y abcdefgh") == f"x {REDACTED} y {REDACTED}"


def test_log_files_are_private_appended_and_tightened(tmp_path: Path) -> None:
    path = tmp_path / "build" / "demo" / "logs" / "ansible.log"
    append_log(path, "one\n")
    with open_log(path) as log:
        log.write("two\n")
    assert path.read_text() == "one\ntwo\n"
    assert oct(path.stat().st_mode & 0o777) == "0o600" and oct(path.parent.stat().st_mode & 0o777) == "0o700"
    os.chmod(path, 0o644)
    os.chmod(path.parent, 0o755)  # noqa: S103 - left so by hand or an older version: the next run tightens both
    append_log(path, "three\n")
    assert oct(path.stat().st_mode & 0o777) == "0o600" and oct(path.parent.stat().st_mode & 0o777) == "0o700"
