"""WSGI entry of the notes variant of the contract test double: `gunicorn notesserver.wsgi:application`."""

from openedx_double.notes import make_application

application = make_application()
