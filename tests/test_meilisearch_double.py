"""Fast tests of the Meilisearch TEST DOUBLE (tests/double/meilisearch/meilisearch): the script is started as the
search role's unit starts the binary (no arguments, MEILI_* in the environment) on 127.0.0.1 with a port of the
kernel's choosing and a temporary database, and asked over HTTP what the role, the jobs and the platform ask."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DOUBLE = Path(__file__).parent / "double" / "meilisearch" / "meilisearch"
MASTER_KEY = "a-master-key-of-32-bytes-exactly"


class Meili:
    """A running double: its process, port and stderr (the journal)."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log

    def call(self, method: str, path: str, body: Any = None, key: str | None = MASTER_KEY) -> tuple[int, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        connection.request(method, path, None if body is None else json.dumps(body), headers)
        response = connection.getresponse()
        raw = response.read()
        connection.close()
        return response.status, json.loads(raw) if raw else None

    def task(self, summary: dict[str, Any], key: str = MASTER_KEY) -> dict[str, Any]:
        assert summary["status"] == "enqueued"
        status, task = self.call("GET", f"/tasks/{summary['taskUid']}", key=key)
        assert status == 200, task
        return task  # type: ignore[no-any-return]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def environment(db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEILI_", "OPENEDX_DOUBLE_"))}
    env.update(
        MEILI_ENV="production",
        MEILI_MASTER_KEY=MASTER_KEY,
        MEILI_HTTP_ADDR="127.0.0.1:0",
        MEILI_DB_PATH=str(db),
        MEILI_DUMP_DIR=str(db.parent / "dumps"),
        MEILI_SNAPSHOT_DIR=str(db.parent / "snapshots"),
        MEILI_MAX_INDEXING_MEMORY="1073741824",
        MEILI_NO_ANALYTICS="true",
    )
    env.update(extra)
    return env


def start(tmp_path: Path, db: Path, **extra: str) -> Meili:
    log = tmp_path / f"journal-{time.monotonic_ns()}.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, str(DOUBLE)], env=environment(db, **extra), stderr=stderr)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = re.search(r'Server listening on:\s+"http://127\.0\.0\.1:(\d+)"', log.read_text())
        if found:
            return Meili(process, int(found[1]), log)
        if process.poll() is not None:
            raise AssertionError(f"the double stopped ({process.returncode}): {log.read_text()}")
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"the double did not start: {log.read_text()}")


def run_to_exit(db: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(DOUBLE)], env=environment(db, **extra), capture_output=True, text=True, timeout=15
    )


@pytest.fixture
def meili(tmp_path: Path) -> Iterator[Meili]:
    running = start(tmp_path, tmp_path / "data")
    yield running
    running.stop()


def test_the_script_is_an_executable_with_the_system_python_shebang() -> None:
    assert DOUBLE.read_text().startswith("#!/usr/bin/python3\n")
    assert os.access(DOUBLE, os.X_OK)


def test_production_refuses_a_master_key_shorter_than_16_bytes(tmp_path: Path) -> None:
    result = run_to_exit(tmp_path / "data", MEILI_MASTER_KEY="fifteen-bytes!!")
    assert result.returncode == 1
    assert "The master key must be at least 16 bytes in a production environment" in result.stderr
    assert "only 15 bytes" in result.stderr
    assert not (tmp_path / "data").exists()


def test_production_refuses_to_start_without_a_master_key(tmp_path: Path) -> None:
    result = run_to_exit(tmp_path / "data", MEILI_MASTER_KEY="")
    assert result.returncode == 1
    assert "You must provide a master key to secure your instance in a production environment" in result.stderr


def test_health_is_public_and_other_routes_need_the_authorization_header(meili: Meili) -> None:
    assert meili.call("GET", "/health", key=None) == (200, {"status": "available"})
    status, body = meili.call("GET", "/stats", key=None)
    assert status == 401
    assert body == {
        "message": "The Authorization header is missing. It must use the bearer authorization method.",
        "code": "missing_authorization_header",
        "type": "auth",
        "link": "https://docs.meilisearch.com/errors#missing_authorization_header",
    }
    assert meili.call("GET", "/stats", key="not-the-master-key")[1]["code"] == "invalid_api_key"
    # the role's own health check: /stats with the master key
    status, stats = meili.call("GET", "/stats")
    assert status == 200
    assert stats["indexes"] == {}
    assert meili.call("GET", "/version")[1]["pkgVersion"] == "1.8.0"
    journal = meili.log.read_text()
    assert '"GET /health HTTP/1.1" 200' in journal
    assert MASTER_KEY not in journal


def test_a_key_created_with_a_uid_has_the_hmac_value_and_only_its_indexes_and_actions(meili: Meili) -> None:
    uid = str(uuid.uuid4())
    # the jobs' snippet: get_keys, create_key with a uid restricted to the platform's prefix
    status, listed = meili.call("GET", "/keys?limit=1000")
    assert status == 200
    assert {k["name"] for k in listed["results"]} == {"Default Search API Key", "Default Admin API Key"}
    status, key = meili.call(
        "POST",
        "/keys",
        {"uid": uid, "name": "openedx-deploy platform", "description": "d", "actions": ["*"],
         "indexes": ["openedx_*"], "expiresAt": None},
    )  # fmt: skip
    assert status == 201, key
    assert key["uid"] == uid
    assert key["key"] == hmac.new(MASTER_KEY.encode(), uid.encode(), hashlib.sha256).hexdigest()
    assert meili.call("GET", f"/keys/{uid}")[1]["key"] == key["key"]
    assert meili.call("GET", f"/keys/{key['key']}")[1]["uid"] == uid
    again = meili.call("POST", "/keys", {"uid": uid, "actions": ["*"], "indexes": ["*"], "expiresAt": None})
    assert again[0] == 409
    assert again[1]["code"] == "api_key_already_exists"
    bad_uid = meili.call("POST", "/keys", {"uid": "not-a-uuid", "actions": ["*"], "indexes": ["*"], "expiresAt": None})
    assert bad_uid[0] == 400
    assert bad_uid[1]["code"] == "invalid_api_key_uid"

    api_key = key["key"]
    assert (
        meili.task(meili.call("POST", "/indexes", {"uid": "openedx_one"}, key=api_key)[1], api_key)["status"]
        == "succeeded"
    )
    assert meili.task(meili.call("POST", "/indexes", {"uid": "other"})[1])["status"] == "succeeded"
    status, body = meili.call("POST", "/indexes/other/search", {"q": ""}, key=api_key)
    assert (status, body["code"]) == (403, "invalid_api_key")
    assert meili.call("POST", "/indexes/openedx_one/search", {"q": ""}, key=api_key)[0] == 200
    # /keys is the master key's (or a key with keys.* actions), the list of indexes is filtered
    assert meili.call("GET", "/keys", key=api_key)[0] == 200  # actions ["*"] include keys.get
    assert [i["uid"] for i in meili.call("GET", "/indexes", key=api_key)[1]["results"]] == ["openedx_one"]

    status, search_only = meili.call(
        "POST", "/keys", {"actions": ["search"], "indexes": ["openedx_one"], "expiresAt": None}
    )
    assert status == 201
    assert meili.call("GET", "/keys", key=search_only["key"])[1]["code"] == "invalid_api_key"
    status, body = meili.call("POST", "/indexes/openedx_one/documents", [{"id": 1}], key=search_only["key"])
    assert (status, body["code"]) == (403, "invalid_api_key")

    assert meili.call("DELETE", f"/keys/{uid}") == (204, None)
    assert meili.call("GET", f"/keys/{uid}")[1] == {
        "message": f"API key `{uid}` not found.",
        "code": "api_key_not_found",
        "type": "invalid_request",
        "link": "https://docs.meilisearch.com/errors#api_key_not_found",
    }
    assert meili.call("POST", "/indexes/openedx_one/search", {}, key=api_key)[1]["code"] == "invalid_api_key"


def test_index_task_documents_and_search(meili: Meili) -> None:
    status, summary = meili.call("POST", "/indexes", {"uid": "openedx_studio_content", "primaryKey": "id"})
    assert status == 202
    assert set(summary) == {"taskUid", "indexUid", "status", "type", "enqueuedAt"}
    assert (summary["indexUid"], summary["type"]) == ("openedx_studio_content", "indexCreation")
    task = meili.task(summary)
    assert (task["status"], task["error"]) == ("succeeded", None)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", task["finishedAt"])

    twice = meili.task(meili.call("POST", "/indexes", {"uid": "openedx_studio_content"})[1])
    assert twice["status"] == "failed"
    assert twice["error"]["code"] == "index_already_exists"

    settings = meili.call("PUT", "/indexes/openedx_studio_content/settings/filterable-attributes", ["org"])[1]
    assert meili.task(settings)["status"] == "succeeded"
    documents = [
        {"id": "block-1", "display_name": "Introduction to Physics", "org": "OpenedX"},
        {"id": "block-2", "display_name": "Chemistry basics", "org": "Other"},
    ]
    added = meili.call("POST", "/indexes/openedx_studio_content/documents", documents)
    assert added[0] == 202
    assert meili.task(added[1])["status"] == "succeeded"
    bad = meili.task(meili.call("POST", "/indexes/openedx_studio_content/documents", [{"id": "course:x+y"}])[1])
    assert (bad["status"], bad["error"]["code"]) == ("failed", "invalid_document_id")

    status, stats = meili.call("GET", "/indexes/openedx_studio_content/stats")
    assert (status, stats["numberOfDocuments"]) == (200, 2)
    status, found = meili.call("POST", "/indexes/openedx_studio_content/search", {"q": "physic"})
    assert status == 200
    assert [hit["id"] for hit in found["hits"]] == ["block-1"]
    assert found["estimatedTotalHits"] == 1
    filtered = meili.call("POST", "/indexes/openedx_studio_content/search", {"filter": "org = other"})[1]
    assert [hit["id"] for hit in filtered["hits"]] == ["block-2"]
    not_filterable = meili.call("POST", "/indexes/openedx_studio_content/search", {"filter": "display_name = x"})
    assert (not_filterable[0], not_filterable[1]["code"]) == (400, "invalid_search_filter")

    status, missing = meili.call("GET", "/indexes/nothing-here")
    assert (status, missing["code"], missing["message"]) == (404, "index_not_found", "Index `nothing-here` not found.")


def test_swap_moves_the_contents_and_creation_date(meili: Meili) -> None:
    for uid in ("openedx_studio_content", "openedx_studio_content_new"):
        meili.task(meili.call("POST", "/indexes", {"uid": uid, "primaryKey": "id"})[1])
    meili.task(meili.call("POST", "/indexes/openedx_studio_content_new/documents", [{"id": "a", "x": "new"}])[1])
    new_created = meili.call("GET", "/indexes/openedx_studio_content_new")[1]["createdAt"]
    swap = meili.call("POST", "/swap-indexes", [{"indexes": ["openedx_studio_content_new", "openedx_studio_content"]}])
    assert swap[0] == 202
    assert swap[1]["indexUid"] is None
    assert meili.task(swap[1])["status"] == "succeeded"
    assert meili.call("GET", "/indexes/openedx_studio_content")[1]["createdAt"] == new_created
    assert meili.call("GET", "/indexes/openedx_studio_content/documents")[1]["total"] == 1


def test_an_incompatible_version_file_stops_the_start(tmp_path: Path) -> None:
    db = tmp_path / "data"
    db.mkdir()
    (db / "VERSION").write_text("1.36.0")
    result = run_to_exit(db)
    assert result.returncode == 1
    assert "Database version 1.36.0 is higher than the Meilisearch version 1.8.0" in result.stderr
    (db / "VERSION").write_text("1.8.0")
    result = run_to_exit(db, OPENEDX_DOUBLE_MEILISEARCH_VERSION="1.36.0")
    assert result.returncode == 1
    assert "Your database version (1.8.0) is incompatible with your current engine version (1.36.0)" in result.stderr
    assert (db / "VERSION").read_text() == "1.8.0"


def test_installed_in_a_release_directory_it_is_that_release(tmp_path: Path) -> None:
    """The search role installs release X at <install dir>/X/meilisearch: the double copied there claims X, so the
    copy made for Verawood's 1.36 refuses Ulmo's 1.8 database as the real 1.36 binary does (the upgrade's
    search_upgrade step moves it aside first)."""
    installed = tmp_path / "opt" / "1.36.0" / "meilisearch"
    installed.parent.mkdir(parents=True)
    installed.write_bytes(DOUBLE.read_bytes())
    db = tmp_path / "data"
    db.mkdir()
    (db / "VERSION").write_text("1.8.0")
    result = subprocess.run(
        [sys.executable, str(installed)], env=environment(db), capture_output=True, text=True, timeout=15
    )
    assert result.returncode == 1
    assert "Your database version (1.8.0) is incompatible with your current engine version (1.36.0)" in result.stderr
    version = subprocess.run([sys.executable, str(installed), "-V"], capture_output=True, text=True, timeout=15)
    assert version.stdout.strip() == "meilisearch 1.36.0"


def test_a_restart_keeps_keys_indexes_and_documents_and_writes_version(tmp_path: Path) -> None:
    db = tmp_path / "data"
    first = start(tmp_path, db)
    try:
        uid = str(uuid.uuid4())
        key = first.call("POST", "/keys", {"uid": uid, "actions": ["*"], "indexes": ["openedx_*"], "expiresAt": None})
        first.task(first.call("POST", "/indexes/openedx_notes/documents", [{"id": 7, "text": "kept"}])[1])
    finally:
        first.stop()
    assert (db / "VERSION").read_text() == "1.8.0"
    second = start(tmp_path, db)
    try:
        assert second.call("GET", f"/keys/{uid}")[1]["key"] == key[1]["key"]
        hits = second.call("POST", "/indexes/openedx_notes/search", {"q": "kept"}, key=key[1]["key"])[1]["hits"]
        assert hits == [{"id": 7, "text": "kept"}]
        assert second.call("GET", "/indexes/openedx_notes")[1]["primaryKey"] == "id"
    finally:
        second.stop()


def tenant_token(api_key: str, uid: str, rules: Any, exp: float) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"searchRules": rules, "apiKeyUid": uid, "exp": int(exp)}).encode())
    signature = hmac.new(api_key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


def test_a_tenant_token_searches_its_indexes_with_its_filter_only(meili: Meili) -> None:
    """Studio's browser search: a tenant token signed with the platform key, its rule's filter applied."""
    uid = str(uuid.uuid4())
    key = meili.call("POST", "/keys", {"uid": uid, "actions": ["*"], "indexes": ["openedx_*"], "expiresAt": None})[1]
    meili.task(meili.call("PATCH", "/indexes/openedx_studio_content/settings", {"filterableAttributes": ["org"]})[1])
    docs = [{"id": "a", "org": "mine", "t": "x"}, {"id": "b", "org": "theirs", "t": "x"}]
    meili.task(meili.call("POST", "/indexes/openedx_studio_content/documents", docs)[1])
    token = tenant_token(key["key"], uid, {"openedx_studio_content": {"filter": "org = mine"}}, time.time() + 60)
    status, found = meili.call("POST", "/multi-search", {"queries": [{"indexUid": "openedx_studio_content", "q": "x"}]},
                               key=token)  # fmt: skip
    assert status == 200
    assert [hit["id"] for hit in found["results"][0]["hits"]] == ["a"]
    assert meili.call("GET", "/indexes/openedx_studio_content", key=token)[1]["code"] == "invalid_api_key"
    expired = tenant_token(key["key"], uid, ["openedx_studio_content"], time.time() - 1)
    assert meili.call("POST", "/indexes/openedx_studio_content/search", {}, key=expired)[0] == 403
    forged = tenant_token("not-the-key", uid, ["*"], time.time() + 60)
    assert meili.call("POST", "/indexes/openedx_studio_content/search", {}, key=forged)[0] == 403
