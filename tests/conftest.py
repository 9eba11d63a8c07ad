"""Shared pytest setup: the `slow` marker (tests that start podman test hosts) is opt-in locally, on in CI."""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="also run the slow tests that start podman test hosts")


def slow_enabled(config: pytest.Config) -> bool:
    return bool(
        config.getoption("--slow")
        or os.environ.get("OPENEDX_DEPLOY_SLOW") == "1"
        or os.environ.get("CI", "").lower() == "true"
    )


# Slow tests that need everything else to work run last, so a broken role fails first in the molecule scenarios.
RUN_LAST = ("test_local_up.py",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name in RUN_LAST)  # stable: keeps the order within each group
    if slow_enabled(config) and not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if slow_enabled(config):
        # Test hosts, their networks and the molecule scenarios have fixed names on the machine's one podman: two
        # workers would create and destroy each other's hosts (seen: a data-tier converge losing its containers).
        reason = "slow test host tests run one at a time: run them without pytest-xdist's -n (scripts/test does)"
    else:
        reason = "slow test host test: run with --slow or OPENEDX_DEPLOY_SLOW=1 (always on in CI)"
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
