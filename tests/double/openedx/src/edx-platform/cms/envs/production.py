"""cms.envs.production of the Open edX contract test double: like edx-platform's, it reads the YAML in CMS_CFG."""

from openedx_double.config import celery_settings, load_config, settings_lists

CONFIG = load_config("cms")
# The lists a settings module layered on this one may edit (openedx_config's cms.envs.openedx_deploy removes the
# student module history app and router from them), with the entries edx-platform's settings hold.
INSTALLED_APPS, DATABASE_ROUTERS = settings_lists()
# The Celery exchange and queues production.py and common.py assign after reading the YAML.
globals().update(celery_settings("cms", CONFIG))
