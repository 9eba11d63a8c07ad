"""The rabbitmq role's guard against a queue type change (roles/rabbitmq/filter_plugins/rabbitmq_queues.py;
docs/rabbitmq.md, "Queue type"): which of the platform's queues and exchanges the broker holds with another type than
the clients will declare. The lines are what `rabbitmqctl list_queues|list_exchanges --no-table-headers name type`
printed on the local end to end's broker (RabbitMQ 3.10); the role failing on them, and the run ending before the
app tier, is tests/test_local_rabbitmq.py's."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

PLUGIN = Path(__file__).resolve().parents[1] / "roles" / "rabbitmq" / "filter_plugins" / "rabbitmq_queues.py"

QUORUM_QUEUES = [
    "celery_delayed_0\tquorum",
    "edx.lms.core.default\tquorum",
    "edx.cms.core.low\tquorum",
    "celery@worker-1.celery.pidbox\tclassic",
]
TOPIC_EXCHANGES = ["\tdirect", "amq.direct\tdirect", "edx.lms.core\ttopic", "celery_delayed_delivery\ttopic"]
CLASSIC_QUEUES = ["edx.lms.core.default\tclassic", "celeryev.0b6f\tclassic"]
DIRECT_EXCHANGES = ["\tdirect", "edx.lms.core\tdirect", "celeryev\ttopic"]


@pytest.fixture(scope="module")
def plugin() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rabbitmq_queues", PLUGIN)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_queues_and_exchanges_of_the_asked_type_pass(plugin: ModuleType) -> None:
    assert plugin.rabbitmq_other_types(QUORUM_QUEUES, TOPIC_EXCHANGES, "quorum") == []
    assert plugin.rabbitmq_other_types(CLASSIC_QUEUES, DIRECT_EXCHANGES, "classic") == []
    assert plugin.rabbitmq_other_types([], [], "quorum") == []  # a new broker: nothing declared yet


def test_the_platforms_queues_and_exchanges_of_another_type_are_named(plugin: ModuleType) -> None:
    # Only edx.*: Celery's own queues (pidbox, events, delayed delivery) are not the platform's settings' to type.
    assert plugin.rabbitmq_other_types(QUORUM_QUEUES, TOPIC_EXCHANGES, "classic") == [
        "edx.lms.core.default quorum",
        "edx.cms.core.low quorum",
        "edx.lms.core topic",
    ]
    assert plugin.rabbitmq_other_types(CLASSIC_QUEUES, DIRECT_EXCHANGES, "quorum") == [
        "edx.lms.core.default classic",
        "edx.lms.core direct",
    ]


def test_an_unknown_queue_type_is_refused(plugin: ModuleType) -> None:
    with pytest.raises(ValueError, match="queue_type must be one of classic, quorum"):
        plugin.rabbitmq_other_types([], [], "stream")
