"""Celery application of the Open edX contract test double: the broker from CELERY_BROKER_*, one probe task."""

from __future__ import annotations

import socket
from typing import Any

from celery import Celery

from openedx_double import config as cfg
from openedx_double import db

PING_TASK = "openedx_double.ping"


def make_celery(service: str) -> Celery:
    config = cfg.load_config(service)
    module = cfg.load_settings_module(service)
    # The queues and exchange as the settings module leaves them (edx-platform's Celery reads its settings with the
    # old-style names, config_from_object('django.conf:settings')); without one, as production.py assigns them.
    settings = vars(module) if module is not None else cfg.celery_settings(service, config)
    app = Celery(f"openedx_double_{service}", broker=cfg.broker_url(config))
    app.conf.update(
        task_queues=settings["CELERY_QUEUES"],
        task_default_exchange=settings["CELERY_DEFAULT_EXCHANGE"],
        task_default_exchange_type=settings["CELERY_DEFAULT_EXCHANGE_TYPE"],
        task_default_queue=settings["CELERY_DEFAULT_QUEUE"],
        broker_transport_options=settings.get("BROKER_TRANSPORT_OPTIONS", {}),
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        # Like edx-platform: a task is acknowledged after it ran, so a worker stopped mid-task does not lose it.
        task_acks_late=True,
        worker_prefetch_multiplier=1,
    )
    use_ssl = cfg.broker_use_ssl(config)
    if use_ssl:
        # edx-platform's BROKER_USE_SSL: kombu passes a dict's items to redis-py's SSL connection (rediss) or to
        # py-amqp's socket wrapper (amqp with TLS).
        app.conf.broker_use_ssl = use_ssl

    @app.task(name=PING_TASK, bind=True)
    def ping(self: Any, token: str) -> str:
        """Write a row a test can look for, proving a task sent through the broker was consumed."""
        delivery = self.request.delivery_info or {}
        conn = db.connect(config)
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "INSERT INTO openedx_double_task_result (task_name, token, service, queue, worker) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    (PING_TASK, token, service, delivery.get("routing_key") or "", socket.gethostname()),
                )
        finally:
            conn.close()
        return token

    return app
