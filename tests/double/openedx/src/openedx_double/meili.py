"""A small stdlib HTTP client for Meilisearch, for the Open edX contract test double.

The real image calls Meilisearch through meilisearch-python (edx-platform's Studio content search, edx-search's
engine, the jobs' key snippet). The double makes the same calls with urllib: `Authorization: Bearer <key>` (no
header with an empty key, as meilisearch-python sends none), JSON bodies, and asynchronous operations waited on
through `GET /tasks/{uid}` until `succeeded` or `failed`. An error answer raises MeilisearchApiError with
Meilisearch's code and message, a failed task too (meilisearch-python's `MeilisearchApiError` / a task's `error`),
and a server that does not answer raises MeilisearchCommunicationError, so the commands fail as the real ones do.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

# edx-search's defaults for the settings (search/meilisearch.py); the roles always render all three.
DEFAULT_URL = "http://meilisearch"
TASK_TIMEOUT = 30.0


class MeilisearchError(Exception):
    """Anything that keeps a call from succeeding; the message says what and where."""


class MeilisearchCommunicationError(MeilisearchError):
    """Nothing answered at the URL (meilisearch-python's MeilisearchCommunicationError)."""


class MeilisearchApiError(MeilisearchError):
    """Meilisearch answered an error, or a task it ran failed: its `code` and `message`."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"MeilisearchApiError. Error code: {code}. Error message: {message}")
        self.code, self.status = code, status


def exit_for(error: MeilisearchError) -> SystemExit:
    """How a command of the real image stops on the client's exception (a traceback, exit 1): the double exits with
    the exception's name and text."""
    name = type(error).__name__
    return SystemExit(str(error) if str(error).startswith(name) else f"{name}: {error}")


class Client:
    def __init__(self, url: str, key: str | None, timeout: float = 10.0) -> None:
        self.url, self.key, self.timeout = url.rstrip("/"), key, timeout

    @classmethod
    def from_settings(cls, config: Mapping[str, Any]) -> Client:
        """As the platform builds its client: MEILISEARCH_URL and MEILISEARCH_API_KEY from the settings."""
        return cls(str(config.get("MEILISEARCH_URL") or DEFAULT_URL), str(config.get("MEILISEARCH_API_KEY") or ""))

    def request(self, method: str, path: str, body: Any = None, query: Mapping[str, Any] | None = None) -> Any:
        url = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Content-Type": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        if not url.startswith(("http://", "https://")):
            raise MeilisearchCommunicationError(f"MEILISEARCH_URL {self.url!r} is not an http(s) URL")
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - http(s) only
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                answer = json.loads(raw)
                code, message = str(answer["code"]), str(answer["message"])
            except (ValueError, KeyError, TypeError):
                code, message = f"http_{error.code}", raw.decode(errors="replace")[:200]
            raise MeilisearchApiError(code, message, error.code) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise MeilisearchCommunicationError(f"cannot reach Meilisearch at {self.url}: {reason}") from None
        return json.loads(raw) if raw else None

    def health(self) -> None:
        self.request("GET", "/health")

    def wait(self, summary: Mapping[str, Any], timeout: float = TASK_TIMEOUT) -> dict[str, Any]:
        """Poll the task until it is final; a failed one raises with its error's code and message."""
        deadline = time.monotonic() + timeout
        while True:
            task: dict[str, Any] = self.request("GET", f"/tasks/{summary['taskUid']}")
            if task["status"] == "succeeded":
                return task
            if task["status"] in ("failed", "canceled"):
                error = task.get("error") or {}
                raise MeilisearchApiError(
                    str(error.get("code", task["status"])), str(error.get("message", f"task {task['uid']} failed"))
                )
            if time.monotonic() > deadline:
                raise MeilisearchError(f"task {task['uid']} still {task['status']} after {timeout:.0f}s")
            time.sleep(0.2)

    def get_index(self, uid: str) -> dict[str, Any] | None:
        """The index, or None for `index_not_found`."""
        try:
            index: dict[str, Any] = self.request("GET", f"/indexes/{uid}")
        except MeilisearchApiError as error:
            if error.code == "index_not_found":
                return None
            raise
        return index

    def create_index(self, uid: str, primary_key: str | None = None, timeout: float = TASK_TIMEOUT) -> None:
        self.wait(self.request("POST", "/indexes", {"uid": uid, "primaryKey": primary_key}), timeout=timeout)

    def delete_index(self, uid: str) -> None:
        self.wait(self.request("DELETE", f"/indexes/{uid}"))

    def get_settings(self, uid: str) -> dict[str, Any]:
        settings: dict[str, Any] = self.request("GET", f"/indexes/{uid}/settings")
        return settings

    def update_setting(self, uid: str, route: str, value: Any) -> None:
        """One settings sub-route (`filterable-attributes`, `distinct-attribute`, ...), as meilisearch-python's
        `update_<setting>` calls it."""
        self.wait(self.request("PUT", f"/indexes/{uid}/settings/{route}", value))

    def add_filterable_attributes(self, uid: str, names: list[str]) -> None:
        """Makes the index's filterable attributes include `names`, keeping the others (edx-search's
        create_indexes and edx-notes-api's index set them so); no call when they all are there already."""
        existing = set(self.request("GET", f"/indexes/{uid}/settings/filterable-attributes") or [])
        if not set(names) <= existing:
            self.update_setting(uid, "filterable-attributes", sorted(existing | set(names)))

    def add_documents(self, uid: str, documents: list[dict[str, Any]], primary_key: str | None = None) -> None:
        query = {"primaryKey": primary_key} if primary_key else None
        self.wait(self.request("POST", f"/indexes/{uid}/documents", documents, query))

    def number_of_documents(self, uid: str) -> int:
        return int(self.request("GET", f"/indexes/{uid}/stats")["numberOfDocuments"])
