"""Celery app of the Open edX contract test double: `celery --app=cms.celery worker` as with edx-platform."""

from openedx_double.celery_app import make_celery

APP = make_celery("cms")
