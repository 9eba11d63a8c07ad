"""Which of the platform's queues and exchanges a broker holds with another type than the clients will declare them
with (docs/rabbitmq.md, "Queue type"). RabbitMQ fixes a queue's type (`x-queue-type`) and an exchange's type when they
are first declared and refuses a later declaration that differs (PRECONDITION_FAILED - inequivalent arg), so Celery
workers whose settings ask for another type stop at start. Celery's queues and exchanges of the platform are named
`edx.*` (edx-platform's CELERY_DEFAULT_EXCHANGE `edx.<service>.core` and its queues); classic queues go with a
direct exchange (edx-platform's default), quorum queues with a topic one (openedx_config's settings for quorum).
"""

from __future__ import annotations

from collections.abc import Iterable

EXCHANGE_TYPES = {"classic": "direct", "quorum": "topic"}
PLATFORM_PREFIX = "edx."


def _listed(lines: Iterable[str]) -> list[tuple[str, str]]:
    """`rabbitmqctl list_queues|list_exchanges --no-table-headers name type` lines (tab-separated) as (name, type);
    the default exchange, whose name is empty, and anything else without both columns are left out."""
    return [(row[0], row[1]) for row in (line.split() for line in lines) if len(row) == 2]


def rabbitmq_other_types(queues: Iterable[str], exchanges: Iterable[str], queue_type: str) -> list[str]:
    """The platform's queues and exchanges whose type is not the one `queue_type` needs, as "name type" lines."""
    if queue_type not in EXCHANGE_TYPES:
        raise ValueError(f"queue_type must be one of {', '.join(EXCHANGE_TYPES)}, not {queue_type!r}")
    wanted = ((queues, queue_type), (exchanges, EXCHANGE_TYPES[queue_type]))
    return [
        f"{name} {kind}"
        for lines, want in wanted
        for name, kind in _listed(lines)
        if name.startswith(PLATFORM_PREFIX) and kind != want
    ]


class FilterModule:
    def filters(self) -> dict[str, object]:
        return {"rabbitmq_other_types": rabbitmq_other_types}
