"""WSGI entry of the Open edX contract test double: `gunicorn lms.wsgi:application` as with edx-platform."""

from openedx_double.web import make_application

application = make_application("lms")
