"""openedx-deploy: deploy the Open edX platform from one environment file."""

__version__ = "0.1.0"
