#!/usr/bin/env python
"""edx-notes-api's manage.py as the Open edX contract test double offers it: `python manage.py migrate`, run from
/app/edx-notes-api (the real notes image's working directory) with DJANGO_SETTINGS_MODULE set."""

import sys

from openedx_double.notes_manage import main

if __name__ == "__main__":
    sys.exit(main())
