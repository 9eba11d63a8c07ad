"""What the search jobs of the real image do to Meilisearch, done by the Open edX contract test double.

- `cms reindex_studio`: edx-platform's openedx/core/djangoapps/content/search/management/commands/reindex_studio.py
  (commit 0643c9b536a013006ee07367160b4b37c395a282) dispatching to api.py's `reset_index`, `init_index` and
  `rebuild_index` (the Teak/Ulmo-era api.py whose init_index asks for `reindex_studio --experimental
  [--incremental]`), with the index settings of index_config.py (commit 30ab7942ba2e7795f81a02da86be8f0cf847287b).
- `shell -c "import search.meilisearch; search.meilisearch.create_indexes()"`: openedx/edx-search
  search/meilisearch.py `create_indexes` (tag v5.0.1).
- the jobs' Meilisearch key snippet (roles/openedx_jobs/vars/main.yml `_openedx_jobs_meilisearch_key_snippet`).

The double holds no course, library or collection (its LMS answers the course list with none), so the Studio index is
created, configured and swapped in empty, as edx-platform's rebuild_index leaves it on a platform without content.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from openedx_double.meili import Client, MeilisearchCommunicationError, MeilisearchError

STUDIO_INDEX_SUFFIX = "studio_content"

# index_config.py: the names only (documents.py's Fields values), in edx-platform's order.
INDEX_DISTINCT_ATTRIBUTE = "usage_key"
INDEX_FILTERABLE_ATTRIBUTES = [
    "block_id",
    "block_type",
    "context_key",
    "usage_key",
    "org",
    "tags",
    "tags.taxonomy",
    "tags.level0",
    "tags.level1",
    "tags.level2",
    "tags.level3",
    "collections",
    "collections.display_name",
    "collections.key",
    "type",
    "access_id",
    "last_published",
    "content.problem_types",
    "publish_status",
]
INDEX_SEARCHABLE_ATTRIBUTES = [
    "display_name",
    "block_id",
    "content",
    "description",
    "tags",
    "collections",
    "tags.taxonomy",
    "tags.level0",
    "tags.level1",
    "tags.level2",
    "tags.level3",
    "collections.display_name",
    "collections.key",
    "published.display_name",
    "published.description",
]
INDEX_SORTABLE_ATTRIBUTES = ["display_name", "created", "modified", "last_published"]
INDEX_RANKING_RULES = ["sort", "words", "typo", "proximity", "attribute", "exactness"]
# What _configure_index sets, by meilisearch-python's settings sub-route, in its order.
STUDIO_INDEX_SETTINGS: list[tuple[str, str, Any]] = [
    ("distinct-attribute", "distinctAttribute", INDEX_DISTINCT_ATTRIBUTE),
    ("filterable-attributes", "filterableAttributes", INDEX_FILTERABLE_ATTRIBUTES),
    ("searchable-attributes", "searchableAttributes", INDEX_SEARCHABLE_ATTRIBUTES),
    ("sortable-attributes", "sortableAttributes", INDEX_SORTABLE_ATTRIBUTES),
    ("ranking-rules", "rankingRules", INDEX_RANKING_RULES),
]
SWAP_TIMEOUT = 30.0

# edx-search search/meilisearch.py: PRIMARY_KEY_FIELD_NAME and INDEX_FILTERABLES (names overridable by settings).
EDX_SEARCH_PRIMARY_KEY = "_pk"


def edx_search_filterables(config: Mapping[str, Any]) -> dict[str, list[str]]:
    return {
        str(config.get("COURSEWARE_INFO_INDEX_NAME", "course_info")): [
            "language",
            "modes",
            "org",
            "catalog_visibility",
            "enrollment_end",
        ],
        str(config.get("COURSEWARE_CONTENT_INDEX_NAME", "courseware_content")): [
            EDX_SEARCH_PRIMARY_KEY,
            "course",
            "org",
            "catalog_visibility",
            "start_date",
        ],
    }


def studio_index_name(config: Mapping[str, Any]) -> str:
    return str(config.get("MEILISEARCH_INDEX_PREFIX") or "") + STUDIO_INDEX_SUFFIX


def _configure_index(client: Client, index: str) -> None:
    for route, _, value in STUDIO_INDEX_SETTINGS:
        client.update_setting(index, route, value)


def _is_index_configured(client: Client, index: str) -> bool:
    settings = client.get_settings(index)
    for _, field, expected in STUDIO_INDEX_SETTINGS:
        current = settings.get(field, [])
        if isinstance(expected, list):
            if set(current or []) != set(expected):
                return False
        elif current != expected:
            return False
    return True


def _using_temp_index(client: Client, studio: str, status: Callable[[str], None], fill: Callable[[str], None]) -> None:
    """api.py `_using_temp_index`: a fresh `<index>_new` (a leftover one deleted first) is filled, the target created
    if missing, the two swapped, the swap waited for by the target's createdAt (a key restricted to a prefix cannot
    see the swap task, meilisearch issue #4103), then the temporary index deleted."""
    temp = studio + "_new"
    status("Checking index...")
    if client.get_index(temp) is not None:
        status("Temporary index already exists. Deleting it...")
        client.delete_index(temp)
    status("Creating new index...")
    client.create_index(temp, "id")
    created = (client.get_index(temp) or {}).get("createdAt")
    fill(temp)
    if client.get_index(studio) is None:
        status("Preparing to swap into index (first time)...")
        client.create_index(studio)
    status("Swapping index...")
    client.request("POST", "/swap-indexes", [{"indexes": [temp, studio]}])
    deadline = time.monotonic() + SWAP_TIMEOUT
    while (client.get_index(studio) or {}).get("createdAt") != created:
        if time.monotonic() > deadline:
            raise MeilisearchError(f"the swap of {temp} into {studio} did not complete in {SWAP_TIMEOUT:.0f}s")
        status("Waiting for swap completion...")
        time.sleep(0.5)
    status("Deleting old index...")
    client.delete_index(temp)


def reindex_studio(
    config: Mapping[str, Any],
    *,
    reset: bool,
    init: bool,
    incremental: bool,
    status: Callable[[str], None],
    warn: Callable[[str], None],
) -> None:
    """The command's dispatch: --reset, else --init, else --incremental, else a full rebuild. The client checks
    /health first (api.py `_get_meilisearch_client`: "Unable to connect to Meilisearch")."""
    client = Client.from_settings(config)
    try:
        client.health()
    except MeilisearchError as error:
        raise MeilisearchCommunicationError(f"Unable to connect to Meilisearch ({error})") from None
    studio = studio_index_name(config)

    def configure(index: str) -> None:
        _configure_index(client, index)
        status("Index recreated!")

    if init and not reset:
        if client.get_index(studio) is not None:
            if client.number_of_documents(studio) == 0:
                warn(
                    "The studio search index is empty. Please run ./manage.py cms reindex_studio"
                    " --experimental [--incremental]"
                )
            elif not _is_index_configured(client, studio):
                warn(
                    "A rebuild of the index is required. Please run ./manage.py cms reindex_studio"
                    " --experimental [--incremental]"
                )
            else:
                status("Index already exists and is configured.")
            return
        reset = True
    if reset:
        status("Creating new empty index...")
        _using_temp_index(client, studio, status, configure)
        status("Index reset complete.")
        return
    # rebuild_index: no library, no course in the double (CourseOverview and ContentLibrary are empty).
    status("Counting libraries...")
    status("Counting courses...")
    status("Found 0 courses, 0 libraries.")
    if not incremental:
        _using_temp_index(client, studio, status, lambda index: _configure_index(client, index))
    status("Done! 0 blocks indexed across 0 courses, collections and libraries.")


def create_indexes(config: Mapping[str, Any]) -> list[str]:
    """edx-search `create_indexes()`: get or create each index (primary key `_pk`), then make its filterable
    attributes include edx-search's, keeping any already there. Returns the indexes' names."""
    client = Client.from_settings(config)
    prefix = str(config.get("MEILISEARCH_INDEX_PREFIX") or "")
    names = []
    for name, filterables in edx_search_filterables(config).items():
        index = prefix + name
        if client.get_index(index) is None:
            client.create_index(index, EDX_SEARCH_PRIMARY_KEY)
        client.add_filterable_attributes(index, filterables)
        names.append(index)
    return names


def ensure_api_key(url: str, master_key: str, uid: str, indexes: list[str], expected: str) -> None:
    """The jobs' key snippet against the server, with the master key: find the uid among `GET /keys?limit=1000`,
    delete it when its indexes differ, create it when missing, then the key's value must be MEILISEARCH_API_KEY."""
    client = Client(url, master_key)
    found = [key for key in client.request("GET", "/keys", query={"limit": 1000})["results"] if key["uid"] == uid]
    stale = bool(found) and found[0]["indexes"] != indexes
    if stale:
        client.request("DELETE", f"/keys/{uid}")
    key = (
        found[0]
        if found and not stale
        else client.request(
            "POST",
            "/keys",
            {
                "uid": uid,
                "name": "openedx-deploy platform",
                "description": "The Open edX platform and notes API, on the indexes of their prefix",
                "actions": ["*"],
                "indexes": indexes,
                "expiresAt": None,
            },
        )
    )
    if key["key"] != expected:
        raise AssertionError(f"MEILISEARCH_API_KEY is not the key of uid {uid}")
