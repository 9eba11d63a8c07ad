#!/usr/bin/env python
"""edx-platform's manage.py as offered by the Open edX contract test double: `python manage.py lms migrate`."""

import sys

from openedx_double.manage import main

if __name__ == "__main__":
    sys.exit(main())
